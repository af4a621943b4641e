"""Concurrent submissions through several gunicorn workers: no fork, no gap, nothing lost."""

import http.cookiejar
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.conf import settings
from django.db import connection

SUBMITTERS = 24
BASE = settings.BASE_DIR


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server_database(tmp_path):
    """A database of its own for the server: the test database stays untouched."""
    db = settings.DATABASES["default"]
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'live.sqlite3'}"
        return
    name = f"kommogen_live_{secrets.token_hex(4)}"
    admin = {"host": db["HOST"], "port": db["PORT"] or 5432, "user": db["USER"],
             "password": db["PASSWORD"], "dbname": "postgres", "autocommit": True}  # fmt: skip
    with psycopg.connect(**admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{admin['port']}/{name}"
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def live_site(server_database):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": server_database,
        "DJANGO_SECRET_KEY": "live-test-key",
        "DJANGO_DEBUG": "false",
        "KOMMOGEN_RATE_LIMIT": "0",
        "KOMMOGEN_MIN_FILL_SECONDS": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=BASE, env=env,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    setup = (
        ["migrate", "-v0"],
        ["createcachetable"],
        ["load_content"],
        ["collectstatic", "--noinput"],
    )
    for command in setup:
        result = manage(*command)
        assert result.returncode == 0, result.stderr
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", "3",
         "--bind", f"127.0.0.1:{port}", "--no-control-socket", "--access-logfile", "/dev/null"],
        cwd=BASE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/agreement/", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        yield url, manage
    finally:
        server.terminate()
        server.wait(timeout=20)


def submit(url, number):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    page = opener.open(url + "/contact/", timeout=30).read().decode()
    fields = dict(re.findall(r'name="(csrfmiddlewaretoken|form_token)" value="([^"]+)"', page))
    data = {
        **fields, "name": f"Visitor {number}", "email": f"visitor{number}@example.com",
        "service": "audit", "message": "Concurrent request.",
        "accept_agreement": "on", "consent_personal_data": "on",
    }  # fmt: skip
    request = urllib.request.Request(
        url + "/contact/", urllib.parse.urlencode(data).encode(), headers={"Referer": url}
    )
    try:
        return opener.open(request, timeout=60).status
    except urllib.error.HTTPError as error:
        return error.code


def test_concurrent_submissions_through_several_workers_keep_one_chain(live_site):
    url, manage = live_site
    with ThreadPoolExecutor(SUBMITTERS) as pool:
        statuses = list(pool.map(lambda n: submit(url, n), range(SUBMITTERS)))
    assert statuses == [302] * SUBMITTERS
    result = manage("verify_evidence")
    assert result.returncode == 0, result.stderr
    assert f"OK: {SUBMITTERS * 3} events" in result.stdout
