"""A real site for tests that need one: gunicorn with the production settings, on
127.0.0.1, with a database of its own (a temporary SQLite file, or a PostgreSQL
database created for it when the suite runs on PostgreSQL)."""

import atexit
import functools
import http.cookiejar
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import closing, contextmanager
from dataclasses import dataclass, field

import psycopg
import pytest
from django.conf import settings
from django.db import connection

BASE = settings.BASE_DIR


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def needs(program):
    """The path of a program the test needs: in CI its absence fails the test."""
    path = shutil.which(program) or (program if os.path.exists(program) else None)
    if path is None:
        message = f"{program} is not installed (.ci/run installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes = b""

    @property
    def text(self):
        return self.body.decode()


def fetch(url, data=None, headers=None, opener=None, timeout=60):
    """One HTTP request; redirects are returned, not followed."""
    opener = opener or urllib.request.build_opener(NoRedirect)
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, body, headers=headers or {})
    try:
        with opener.open(request, timeout=timeout) as response:
            return Response(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, dict(error.headers), error.read())


@dataclass
class LiveSite:
    url: str
    env: dict
    server: subprocess.Popen = field(repr=False)

    def manage(self, *args):
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=BASE, env=self.env,
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    def workers(self):
        """The PIDs of gunicorn's worker processes."""
        children = f"/proc/{self.server.pid}/task/{self.server.pid}/children"
        with open(children) as file:
            return [int(pid) for pid in file.read().split()]

    def stop(self):
        self.server.terminate()
        self.server.wait(timeout=20)

    def shell(self, code):
        """Run Python in the site's Django (manage.py shell); its last line of output."""
        result = self.manage("shell", "--no-imports", "-c", code)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""

    def kill_a_worker(self):
        workers = self.workers()
        if workers:
            os.kill(workers[0], signal.SIGKILL)

    def submit(self, number, prefix="", **changes):
        """The contact form as a browser sends it: page, cookie, tokens, POST (prefix:
        "/ru" or "/vi" for a page in another language)."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
        page = fetch(self.url + prefix + "/contact/", opener=opener).text
        fields = dict(re.findall(r'name="(csrfmiddlewaretoken|form_token)" value="([^"]+)"', page))
        data = {
            **fields, "name": f"Visitor {number}", "email": f"visitor{number}@example.com",
            "service": "audit", "message": "A request.",
            "accept_agreement": "on", "consent_personal_data": "on", **changes,
        }  # fmt: skip
        return fetch(self.url + prefix + "/contact/", data, {"Referer": self.url + "/"}, opener)


@functools.cache
def collected_static():
    """One collectstatic for the whole test session, into a folder of its own (it takes
    2.5 s, compressing every file); every live site serves from it."""
    root = tempfile.mkdtemp(prefix="kommogen-static-")
    env = {**os.environ, "DJANGO_SECRET_KEY": "live-test-key", "DJANGO_STATIC_ROOT": root}
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=BASE, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return root


def site_env(database_url, port, **extra_env):
    return {
        **os.environ,
        "DJANGO_STATIC_ROOT": collected_static(),
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": "live-test-key",
        "DJANGO_DEBUG": "false",
        "KOMMOGEN_RATE_LIMIT": "0",
        "KOMMOGEN_MIN_FILL_SECONDS": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "KOMMOGEN_SITE_URL": f"http://127.0.0.1:{port}",  # what receipts and feeds name
        # The signer's state of this site's own database (outside the database).
        "KOMMOGEN_SIGNER_STATE_FILE": os.path.join(tempfile.mkdtemp(), "signer-state.json"),
        **extra_env,
    }


def migrate_and_load(env):
    for command in (["migrate", "-v0"], ["load_content"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=BASE, env=env,
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr


# The databases own_database() made as copies of the session's prepared one: migrated,
# with content/ loaded.
PREPARED = set()


def start_site(database_url, workers=3, access_log="/dev/null", **extra_env):
    port = free_port()
    env = site_env(database_url, port, **extra_env)
    site = LiveSite(f"http://127.0.0.1:{port}", env, server=None)
    if database_url not in PREPARED:
        migrate_and_load(env)
    site.server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}", "--no-control-socket", "--access-logfile", access_log],
        cwd=BASE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(200):
        try:
            fetch(site.url + "/healthz", timeout=2)  # any answer: gunicorn is up
            return site
        except OSError:
            time.sleep(0.1)
    site.server.kill()
    raise AssertionError("gunicorn did not start")


def postgres_admin():
    """Connection parameters of the tests' PostgreSQL server, as its maintenance database."""
    db = settings.DATABASES["default"]
    return {"host": db["HOST"], "port": db["PORT"] or 5432, "user": db["USER"],
            "password": db["PASSWORD"], "dbname": "postgres"}  # fmt: skip


def postgres_url(name):
    admin = postgres_admin()
    return f"postgres://{admin['user']}:{admin['password']}@{admin['host']}:{admin['port']}/{name}"


@functools.cache
def prepared_database():
    """One database for the whole session, migrated and with content/ loaded (3.5 s a site
    otherwise): each live site's own database starts as a copy of it. Its path (SQLite) or
    name (PostgreSQL), removed when the session ends."""
    if connection.vendor != "postgresql":
        directory = tempfile.mkdtemp(prefix="kommogen-prepared-")
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        path = os.path.join(directory, "prepared.sqlite3")
        migrate_and_load(site_env(f"sqlite:///{path}", 0))
        return path
    name = f"kommogen_prepared_{secrets.token_hex(4)}"
    with psycopg.connect(**postgres_admin(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    atexit.register(drop_database, name, **postgres_admin())
    migrate_and_load(site_env(postgres_url(name), 0))
    return name


@contextmanager
def own_database(directory):
    """A database URL of the server's own, a copy of the prepared one: the test database
    stays untouched."""
    if connection.vendor != "postgresql":
        path = directory / "live.sqlite3"
        with closing(sqlite3.connect(prepared_database())) as source:
            with closing(sqlite3.connect(path)) as copy:
                source.backup(copy)
        PREPARED.add(url := f"sqlite:///{path}")
        yield url
        return
    name = f"kommogen_live_{secrets.token_hex(4)}"
    with psycopg.connect(**postgres_admin(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{prepared_database()}"')
    PREPARED.add(url := postgres_url(name))
    try:
        yield url
    finally:
        drop_database(name, **postgres_admin())


def drop_database(name, *url, **params):
    """Ends the server's own leftover connections (a killed worker's among them), then drops.

    Not `WITH (FORCE)`: that needs the right to end an autovacuum worker, which the
    tests' role lacks; a plain DROP stops autovacuum itself and only waits for ours.
    """
    with psycopg.connect(*url, autocommit=True, **params) as conn:
        for _ in range(50):
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                         " WHERE datname = %s AND usename = current_user", [name])  # fmt: skip
            try:
                conn.execute(f'DROP DATABASE "{name}"')
                return
            except psycopg.errors.ObjectInUse:
                time.sleep(0.2)
        conn.execute(f'DROP DATABASE "{name}"')


@pytest.fixture
def server_database(tmp_path):
    with own_database(tmp_path) as url:
        yield url


@pytest.fixture
def live_site_factory():
    """live_site_factory(database_url, workers=3, access_log=…, **env) → a started LiveSite."""
    sites = []

    def start(database_url, workers=3, access_log="/dev/null", **env):
        sites.append(start_site(database_url, workers, access_log, **env))
        return sites[-1]

    yield start
    for site in sites:
        site.stop()


@pytest.fixture
def live_site(live_site_factory, server_database):
    return live_site_factory(server_database)
