"""gunicorn settings; each can be overridden from the environment (docs/configuration.md)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", min(4, multiprocessing.cpu_count() * 2)))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 10
# A worker is replaced after this many requests (a guard against slow leaks). Each new
# worker renders its pages once before it answers them early, so a restart every ~2,000
# requests showed in the tail latency (bench/README.md); every ~20,000 does not.
max_requests = 20000
max_requests_jitter = 2000
# Django is imported once, in the master: a worker restarted by max_requests starts at
# once instead of importing it again while requests queue. A deploy therefore restarts
# the service (systemctl restart), as docs/deploy.md says; a reload keeps the old code.
preload_app = True
# The access log names no visitor: no IP, no receipt address (kommogen_site/access_log.py).
accesslog = "-"
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(L)s'
logger_class = "kommogen_site.access_log.PrivateAccessLogger"
errorlog = "-"
wsgi_app = "kommogen_site.wsgi:application"
