"""deploy/postgres/grants.sql: the site's PostgreSQL role cannot rewrite the evidence.

The tables belong to the owner role that runs migrations; the site's role may read and
insert where the evidence lives, and nothing more: it cannot disable the triggers."""

import os
import secrets
import subprocess
import sys
from contextlib import contextmanager
from urllib.parse import urlsplit

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from .live import drop_database, needs

GRANTS = settings.BASE_DIR / "deploy" / "postgres" / "grants.sql"


def postgres_url():
    """The suite's PostgreSQL server: the test database's, or TEST_POSTGRES_URL on SQLite."""
    if connection.vendor == "postgresql":
        db = settings.DATABASES["default"]
        return (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/postgres"
        )
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        message = "no PostgreSQL server (set TEST_POSTGRES_URL; .ci/run does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url


def with_path(url, user=None, password=None, database=None):
    parts = urlsplit(url)
    user = user or parts.username
    password = password or parts.password
    return f"postgres://{user}:{password}@{parts.hostname}:{parts.port or 5432}/{database}"


@contextmanager
def owner_database_and_site_role(server):
    suffix, password = secrets.token_hex(4), secrets.token_hex(12)
    name, role = f"kommogen_roles_{suffix}", f"kommogen_site_{suffix}"
    with psycopg.connect(with_path(server, database="postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        admin.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
    try:
        yield with_path(server, database=name), with_path(server, role, password, name), role
    finally:
        drop_database(name, with_path(server, database="postgres"))
        with psycopg.connect(with_path(server, database="postgres"), autocommit=True) as admin:
            admin.execute(f'DROP ROLE "{role}"')


def test_the_site_role_cannot_disable_triggers_update_or_delete_events(tmp_path):
    psql = needs("psql")
    with owner_database_and_site_role(postgres_url()) as (owner_url, site_url, role):
        env = {**os.environ, "DATABASE_URL": owner_url}
        migrated = subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=settings.BASE_DIR, env=env,
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert migrated.returncode == 0, migrated.stderr
        granted = subprocess.run(
            [psql, "-q", "-v", f"site_role={role}", "-f", GRANTS, owner_url],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert granted.returncode == 0, granted.stderr
        with psycopg.connect(site_url, autocommit=True) as site:
            site.execute("SELECT count(*) FROM agreements_acceptanceevent")  # may read
            site.execute("SELECT count(*) FROM agreements_version")
            for statement in (
                "ALTER TABLE agreements_acceptanceevent DISABLE TRIGGER ALL",
                "ALTER TABLE agreements_version DISABLE TRIGGER ALL",
                "UPDATE agreements_acceptanceevent SET statement = 'x'",
                "DELETE FROM agreements_acceptanceevent",
                "TRUNCATE agreements_acceptanceevent",
                "DROP TRIGGER agreements_acceptanceevent_append_only_no_change "
                "ON agreements_acceptanceevent",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    site.execute(statement)
