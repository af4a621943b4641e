"""Append-only for every connection: on a copy of a real site's SQLite file, opened with
Python's plain sqlite3 module and no pragma (as the sqlite3 shell, a backup script or a
database browser open it), every append-only table refuses INSERT OR REPLACE, REPLACE
INTO, INSERT ... ON CONFLICT DO UPDATE, UPDATE and DELETE, and its row stays as it
was. Anyone holding the file can still drop the triggers: verify_evidence catches an
edit made after that."""

import os
import shutil
import sqlite3
import subprocess
import sys

import pytest
from django.conf import settings

# table: the column an attacker would change, and the value they would put there
CHANGES = {
    "agreements_version": ("source", "A text nobody accepted."),
    "agreements_acceptanceevent": ("statement", "I accept nothing."),
    "agreements_checkpoint": ("note", "forged\n"),
    "agreements_merklenode": ("hash", b"\x00" * 32),
    "agreements_cancellation": ("reason", "never cancelled"),
    "agreements_contentload": ("file_name", "other.md"),
    "agreements_chainverification": ("reason", "all is well"),
    "agreements_rightsrequestchange": ("note", "never asked"),
    "agreements_formsnapshot": ("html", "<form>another</form>"),
}

POPULATE = """
from datetime import timedelta
from types import SimpleNamespace
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from agreements.core.clients import Context
from agreements.documents.services import version_cancel, version_publish
from agreements.evidence.chain import append, new_event
from agreements.models import Document, Version
owner, shown = SimpleNamespace(reference="KG-APPEND"), Context.without_request("t")
with transaction.atomic():
    append([new_event(owner, shown, "", {}, kind="notified", purpose="notifications",
                      statement="s")])
document = Document.objects.get(slug="agreement")
latest = Version.objects.published().filter(document=document, language="en").latest("number")
draft = latest.new_draft()
draft.source += "\\n12.1. Later.\\n"
draft.save()
version_publish(version=draft, effective_at=timezone.now() + timedelta(days=3))
version_cancel(version=draft, by="operator", reason="a typo in its date")
call_command("make_checkpoint")
call_command("verify_evidence")
from agreements.models import RightsRequest, RightsRequestChange
entry = RightsRequest.objects.create(kind="access", channel="email", email="a@example.com")
RightsRequestChange.objects.create(request=entry, state="received", by="operator")
import hashlib
from agreements.models import FormSnapshot
FormSnapshot.objects.create(fingerprint=hashlib.sha256(b"<form></form>").hexdigest(),
                            html="<form></form>", language="en")
"""


def manage(env, *args):
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def site_file(tmp_path_factory):
    """A site's SQLite file with a row in every append-only table."""
    directory = tmp_path_factory.mktemp("append-only")
    database = directory / "db.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}",
           "KOMMOGEN_SIGNER_STATE_FILE": str(directory / "signer-state.json")}  # fmt: skip
    manage(env, "migrate", "-v0")
    manage(env, "load_content")
    manage(env, "shell", "-c", POPULATE)
    return database, env


def plain_connection(database):
    """As the sqlite3 shell opens it: no pragma, recursive_triggers off."""
    connection = sqlite3.connect(database, isolation_level=None)
    assert connection.execute("PRAGMA recursive_triggers").fetchone() == (0,)
    return connection


def first_row(connection, table):
    cursor = connection.execute(f"SELECT * FROM {table} ORDER BY id LIMIT 1")
    columns = [description[0] for description in cursor.description]
    return dict(zip(columns, cursor.fetchone(), strict=True))


def attacks(table, row):
    """(statement, parameters) of each way to rewrite the row."""
    column, value = CHANGES[table]
    changed = {**row, column: value}
    names = ", ".join(f'"{name}"' for name in changed)
    marks = ", ".join("?" for _ in changed)
    values = list(changed.values())
    return [
        (f"INSERT OR REPLACE INTO {table} ({names}) VALUES ({marks})", values),
        (f"REPLACE INTO {table} ({names}) VALUES ({marks})", values),
        (
            f'INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT("id") DO UPDATE SET '
            f'"{column}" = excluded."{column}"',
            values,
        ),  # fmt: skip
        (f'UPDATE {table} SET "{column}" = ? WHERE id = ?', [value, row["id"]]),
        (f"DELETE FROM {table} WHERE id = ?", [row["id"]]),
    ]


@pytest.mark.parametrize("table", CHANGES)
def test_a_plain_sqlite3_connection_cannot_rewrite_an_append_only_table(site_file, table):
    database, _env = site_file
    connection = plain_connection(database)
    try:
        if table == "agreements_version":
            query = "SELECT * FROM agreements_version WHERE number IS NOT NULL ORDER BY id LIMIT 1"
            cursor = connection.execute(query)
            columns = [description[0] for description in cursor.description]
            row = dict(zip(columns, cursor.fetchone(), strict=True))
        else:
            row = first_row(connection, table)
        for statement, parameters in attacks(table, row):
            with pytest.raises(sqlite3.DatabaseError):
                connection.execute(statement, parameters)
        after = connection.execute(f"SELECT * FROM {table} WHERE id = ?", [row["id"]]).fetchone()
        assert after == tuple(row.values()), statement
    finally:
        connection.close()


def test_an_edit_after_the_triggers_were_dropped_is_caught_by_verify_evidence(site_file, tmp_path):
    database, env = site_file
    copy = tmp_path / "copy.sqlite3"
    shutil.copy(database, copy)
    connection = plain_connection(copy)
    for (name,) in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = "
        "'agreements_acceptanceevent'"
    ).fetchall():
        connection.execute(f"DROP TRIGGER {name}")
    connection.execute("UPDATE agreements_acceptanceevent SET statement = 'I accept nothing.'")
    connection.close()
    result = subprocess.run(
        [sys.executable, "manage.py", "verify_evidence"], cwd=settings.BASE_DIR,
        env={**env, "DATABASE_URL": f"sqlite:///{copy}"}, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 1 and "BROKEN at position 1: edited" in result.stderr
