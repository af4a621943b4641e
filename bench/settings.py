"""The production settings, plus the benchmark's reference views (bench/urls.py).

Only `make bench` uses this module; the site itself never serves bench/urls.py.
"""

from kommogen_site.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
