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
    """(owner URL, site URL, site role, signer URL, signer role) of a new database."""
    suffix, password = secrets.token_hex(4), secrets.token_hex(12)
    name, role = f"kommogen_roles_{suffix}", f"kommogen_site_{suffix}"
    signer = f"kommogen_signer_{suffix}"
    with psycopg.connect(with_path(server, database="postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        for each in (role, signer):
            admin.execute(f"CREATE ROLE \"{each}\" LOGIN PASSWORD '{password}'")
    try:
        yield (with_path(server, database=name), with_path(server, role, password, name), role,
               with_path(server, signer, password, name), signer)  # fmt: skip
    finally:
        drop_database(name, with_path(server, database="postgres"))
        with psycopg.connect(with_path(server, database="postgres"), autocommit=True) as admin:
            for each in (role, signer):
                admin.execute(f'DROP ROLE "{each}"')


def test_the_site_role_cannot_disable_triggers_update_or_delete_events(tmp_path):
    psql = needs("psql")
    roles = owner_database_and_site_role(postgres_url())
    with roles as (owner_url, site_url, role, signer_url, signer):
        env = {**os.environ, "DATABASE_URL": owner_url}
        migrated = subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=settings.BASE_DIR, env=env,
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert migrated.returncode == 0, migrated.stderr
        granted = subprocess.run(
            [psql, "-q", "-v", f"site_role={role}", "-v", f"signer_role={signer}", "-f",
             GRANTS, owner_url],
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
            # Only the signer writes the tree and the checkpoints: the site cannot plant
            # a forged node or checkpoint for the signer to build on.
            for statement in (
                "INSERT INTO agreements_merklenode (level, index, hash) VALUES (0, 0, 'x')",
                "INSERT INTO agreements_checkpoint (tree_size, root_hash, note, "
                "previous_note_hash, made_at) VALUES (1, 'x', 'x', '', now())",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    site.execute(statement)
        # The site records a request; the signer, with its own role, signs a checkpoint.
        site_env = {**env, "DATABASE_URL": site_url, "KOMMOGEN_SIGNER_STATE_FILE":
                    str(tmp_path / "signer-state.json")}  # fmt: skip
        loaded = subprocess.run(
            [sys.executable, "manage.py", "load_content"], cwd=settings.BASE_DIR,
            env=site_env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert loaded.returncode == 0, loaded.stderr
        recorded = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", RECORD_AN_EVENT], cwd=settings.BASE_DIR,
            env=site_env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert recorded.returncode == 0, recorded.stderr
        # ON CONFLICT DO UPDATE is an UPDATE: the site's role may not (grants), and not
        # even the owner gets past the triggers, on every append-only table.
        upsert = ("INSERT INTO {table} SELECT * FROM {table} ORDER BY id LIMIT 1 "
                  "ON CONFLICT (id) DO UPDATE SET {column} = excluded.{column}")  # fmt: skip
        with psycopg.connect(site_url, autocommit=True) as site:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                site.execute(upsert.format(table="agreements_acceptanceevent", column="statement"))
        with psycopg.connect(owner_url, autocommit=True) as owner:
            for table, column in UPSERTED.items():
                with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="cannot be"):
                    owner.execute(upsert.format(table=table, column=column))
        for url, allowed in ((site_url, False), (signer_url, True)):
            signed = subprocess.run(
                [sys.executable, "manage.py", "make_checkpoint"], cwd=settings.BASE_DIR,
                env={**site_env, "DATABASE_URL": url}, capture_output=True, text=True,
                timeout=300,
            )  # fmt: skip
            assert (signed.returncode == 0) == allowed, signed.stderr
            assert allowed or "permission denied" in signed.stderr
        assert "Checkpoint 1," in signed.stdout


# A column of each append-only table (with rows by then) to upsert over.
UPSERTED = {
    "agreements_acceptanceevent": "statement", "agreements_version": "source",
    "agreements_contentload": "file_name",
}  # fmt: skip

# An event appended as the site appends one, with the site's role.
RECORD_AN_EVENT = """
from types import SimpleNamespace
from django.db import transaction
from agreements.core.clients import Context
from agreements.evidence.chain import append, new_event
owner = SimpleNamespace(reference="KG-ROLES")
with transaction.atomic():
    append([new_event(owner, Context.without_request("t"), "", {},
                      kind="notified", purpose="notifications", statement="s")])
"""
