"""The evidence chain: verification, tampering of every kind caught, append-only, erasure."""

import csv
import hashlib
import io
import json
from datetime import timedelta
from importlib import import_module

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from agreements.core.clients import Context
from agreements.evidence import chain, digests, verification
from agreements.models import AcceptanceEvent, AppendOnlyViolation, Submission, Version, Withdrawal

EVENTS_TABLE = "agreements_acceptanceevent"


@pytest.fixture
def nine_events(send_request):
    """Three requests: nine events at positions 1 to 9."""
    for number in range(3):
        assert send_request(email=f"person{number}@example.com").status_code == 302
    return list(AcceptanceEvent.objects.order_by("position"))


def drop_triggers(migration="0004_acceptance_events_are_append_only"):
    """As an attacker with database access would (rolled back with the test): the SQL
    that reverses the migration that made the triggers."""
    drops = import_module(f"agreements.migrations.{migration}").DROP[connection.vendor]
    with connection.cursor() as cursor:
        for statement in drops:
            cursor.execute(statement)


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_an_untouched_chain_verifies_with_count_and_head(nine_events, capsys):
    call_command("verify_evidence")
    assert f"OK: 9 events, head hash {nine_events[-1].hash}" in capsys.readouterr().out
    assert [e.position for e in nine_events] == list(range(1, 10))
    assert nine_events[0].previous_hash == chain.GENESIS_HASH
    assert all(
        b.previous_hash == a.hash for a, b in zip(nine_events, nine_events[1:], strict=False)
    )


def test_an_empty_chain_verifies(db):
    assert verification.verify_chain().ok


def test_an_edited_event_is_caught(nine_events):
    drop_triggers()
    sql(f"UPDATE {EVENTS_TABLE} SET statement = %s WHERE position = 5", ["I accept nothing."])
    with pytest.raises(CommandError, match="position 5: edited"):
        call_command("verify_evidence")


def test_an_edited_fingerprint_is_caught(nine_events):
    drop_triggers()
    sql(f"UPDATE {EVENTS_TABLE} SET fingerprint = %s WHERE position = 4", ["0" * 64])
    assert "edited" in verification.verify_chain().reason


def test_a_deleted_event_is_caught(nine_events):
    drop_triggers()
    sql(f"DELETE FROM {EVENTS_TABLE} WHERE position = 4")
    result = verification.verify_chain()
    assert (result.broken_position, result.reason.split(":")[0]) == (5, "deleted")


def test_an_inserted_event_is_caught(nine_events):
    drop_triggers()
    sql(f"UPDATE {EVENTS_TABLE} SET position = position + 100 WHERE position > 3")
    sql(f"UPDATE {EVENTS_TABLE} SET position = position - 99 WHERE position > 100")
    forged = AcceptanceEvent(
        **{f.attname: getattr(nine_events[3], f.attname) for f in AcceptanceEvent._meta.fields}
    )
    # previous_hash is unique, so the forgery cannot link to event 3, whose follower does.
    forged.pk, forged.position, forged.previous_hash = None, 4, "e" * 64
    forged.statement = "A statement the visitor never saw."
    forged.hash = chain.hash_record(chain.record(forged))
    forged.save()
    result = verification.verify_chain()
    assert result.broken_position == 4 and result.reason.startswith("inserted")


def test_reordered_events_are_caught(nine_events):
    drop_triggers()
    sql(f"UPDATE {EVENTS_TABLE} SET position = 100 WHERE position = 4")
    sql(f"UPDATE {EVENTS_TABLE} SET position = 4 WHERE position = 5")
    sql(f"UPDATE {EVENTS_TABLE} SET position = 5 WHERE position = 100")
    result = verification.verify_chain()
    assert result.broken_position == 4 and result.reason.startswith("reordered")


@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {EVENTS_TABLE} SET statement = 'x' WHERE position = 1",
        f"DELETE FROM {EVENTS_TABLE} WHERE position = 1",
    ],
)
def test_events_refuse_raw_sql_changes(nine_events, statement):
    with pytest.raises(IntegrityError), transaction.atomic():
        sql(statement)
    assert verification.verify_chain().ok


def test_events_refuse_orm_changes(nine_events):
    event = nine_events[0]
    event.statement = "x"
    with pytest.raises(AppendOnlyViolation):
        event.save()
    with pytest.raises(AppendOnlyViolation):
        event.delete()
    with pytest.raises(AppendOnlyViolation):
        AcceptanceEvent.objects.filter(pk=event.pk).update(statement="x")
    with pytest.raises(AppendOnlyViolation):
        AcceptanceEvent.objects.all().delete()


def test_a_fork_is_impossible(nine_events):
    twin = AcceptanceEvent(
        **{f.attname: getattr(nine_events[-1], f.attname) for f in AcceptanceEvent._meta.fields}
    )
    twin.pk, twin.position, twin.hash = None, 10, "f" * 64
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()  # same previous hash as event 9


def test_erasure_blanks_personal_data_and_the_chain_still_verifies(nine_events, capsys):
    call_command("erase_personal_data", "PERSON1@example.com")
    submission = Submission.objects.get(events__position=4)
    assert submission.erased_at and submission.email == "" and submission.client_ip is None
    assert submission.name == "" and submission.message == ""
    erased = AcceptanceEvent.objects.order_by("position").last()
    assert erased.kind == "erased" and erased.submission == submission
    assert verification.verify_chain().ok
    assert digests.digest_matches(
        AcceptanceEvent.objects.get(position=4), "email", "Person1@Example.com"
    )


def test_export_streams_csv_and_json_lines(nine_events, capsys):
    call_command("export_evidence", "--format", "csv")
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("position,recorded_at") and len(lines) == 10
    call_command("export_evidence", "--format", "json", "--since", "2000-01-01")
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["hash"] for r in records] == [e.hash for e in nine_events]
    call_command("export_evidence", "--until", "2000-01-01")
    assert len(capsys.readouterr().out.strip().splitlines()) == 1


def test_csv_export_guards_against_formula_injection(send_request, capsys):
    from agreements.evidence.export import spreadsheet_safe

    assert spreadsheet_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert spreadsheet_safe("+1") == "'+1" and spreadsheet_safe("plain") == "plain"
    # The language recorded is the page's, not the browser's header (which the visitor
    # controls, and which once reached the export as a formula).
    send_request(HTTP_ACCEPT_LANGUAGE='=HYPERLINK("http://evil.example")')
    call_command("export_evidence")
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and all(row["language"] == "en" for row in rows)


def drop_version_triggers():
    drop_triggers("0002_published_versions_are_immutable")


def test_the_privacy_policy_shown_is_recorded_with_its_own_fingerprints(nine_events, documents):
    consent_event = AcceptanceEvent.objects.filter(purpose="personal_data").first()
    privacy = documents["privacy"]
    assert {
        "document": "privacy",
        "language": "en",
        "version": privacy.number,
        "fingerprint": privacy.fingerprint,
        "html_fingerprint": hashlib.sha256(privacy.html.encode()).hexdigest(),
    } in chain.record(consent_event)["texts"]
    assert privacy.html_fingerprint == hashlib.sha256(privacy.html.encode()).hexdigest()


@pytest.mark.parametrize("column", ["source", "html"])
def test_editing_a_versions_text_or_html_in_the_database_is_caught(nine_events, documents, column):
    drop_version_triggers()
    sql(f"UPDATE agreements_version SET {column} = %s WHERE id = %s",
        ["1.1. A text nobody accepted.", documents["privacy"].pk])  # fmt: skip
    result = verification.verify_chain()
    assert not result.ok and "privacy" in result.reason.lower()
    assert ("text" if column == "source" else "HTML") in result.reason


def test_an_event_pointed_at_another_request_is_caught(nine_events):
    drop_triggers()
    other = Submission.objects.exclude(pk=nine_events[0].submission_id).first()
    sql(f"UPDATE {EVENTS_TABLE} SET submission_id = %s WHERE position = 1", [other.pk])
    result = verification.verify_chain()
    assert result.broken_position == 1 and result.reason.startswith("edited: it points at")


def test_a_server_with_a_slow_clock_never_makes_time_go_backwards(nine_events, send_request):
    from django.utils import timezone

    ahead = timezone.now() + timedelta(seconds=5)  # another server's clock, 5 s ahead
    with transaction.atomic():
        submission = nine_events[-1].submission
        event = chain.new_event(
            submission, Context.without_request("other server"),
            submission.salt, {}, kind="erased", purpose="personal_data", statement="x",
            submission=submission,
        )  # fmt: skip
        chain.append([event], now=ahead)
    send_request(email="later@example.com")
    newest = AcceptanceEvent.objects.order_by("-position").first()
    assert newest.recorded_at > ahead
    assert verification.verify_chain().ok


def test_insert_or_replace_cannot_overwrite_a_published_version_or_an_event(nine_events, documents):
    """SQLite's INSERT OR REPLACE deletes the row it replaces (its triggers must fire);
    PostgreSQL's counterpart is INSERT … ON CONFLICT DO UPDATE."""
    version = documents["agreement"]
    replace = "INSERT OR REPLACE INTO {table} SELECT * FROM {table} WHERE {where}"
    upsert = (
        "INSERT INTO {table} SELECT * FROM {table} WHERE {where} "
        "ON CONFLICT (id) DO UPDATE SET {column} = 'Forged'"
    )
    statement = replace if connection.vendor == "sqlite" else upsert
    for table, where, column in (
        ("agreements_version", f"id = {version.pk}", "title"),
        (EVENTS_TABLE, "position = 1", "statement"),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            sql(statement.format(table=table, where=where, column=column))
    assert Version.objects.get(pk=version.pk).title == version.title
    assert verification.verify_chain().ok


def test_json_lines_escape_unicode_line_separators_and_csv_rows_rehash(send_request):
    send_request(name="Ann\u2028Lee", message="One\u2029two")
    out = io.StringIO()
    call_command("export_evidence", format="json", stdout=out)
    lines = out.getvalue().split("\n")[:-1]
    assert len(lines) == 3 and "\u2028" not in out.getvalue() and "\u2029" not in out.getvalue()
    records = [json.loads(line) for line in lines]
    out = io.StringIO()
    call_command("export_evidence", format="csv", stdout=out)
    for row, line in zip(csv.DictReader(io.StringIO(out.getvalue())), records, strict=True):
        rebuilt = {key: line["record"][key] for key in line["record"]}
        assert json.loads(row["subject_digests"]) == rebuilt["subject_digests"]
        assert json.loads(row["texts"]) == rebuilt["texts"]
        assert row["hash"] == line["hash"] == chain.hash_record(rebuilt)


def test_every_csv_row_re_hashes_from_the_csv_alone_a_withdrawals_too(client, send_request):
    receipt = send_request()["Location"]
    client.post(receipt + "withdraw/", {"scope": "personal_data"})  # applies_to in its record
    out = io.StringIO()
    call_command("export_evidence", format="json", stdout=out)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    out = io.StringIO()
    call_command("export_evidence", format="csv", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert "applies_to" in records[-1]["record"]
    for row, line in zip(rows, records, strict=True):
        rebuilt = {}
        for key, value in line["record"].items():
            cell = row[key]  # every key of the record has its column
            if isinstance(value, (dict, list)):
                rebuilt[key] = json.loads(cell)
            elif isinstance(value, int):
                rebuilt[key] = int(cell)
            else:
                rebuilt[key] = None if value is None and cell == "" else cell
        assert chain.hash_record(rebuilt) == row["hash"] == line["hash"]


def test_one_normalisation_of_email_addresses_everywhere(client, send_request):
    send_request(email="zoe@ärzte.de")
    client.post("/consent/withdraw/", {"email": " ZOE@Ärzte.de ", "scope": "notifications"})
    call_command("deliver", "--once")  # the worker matches what was typed
    withdrawal = Withdrawal.objects.get()
    assert list(withdrawal.submissions.all()) == [Submission.objects.get()]
    event = AcceptanceEvent.objects.filter(purpose="agreement").get()
    assert digests.digest_matches(event, "email", "Zoe@XN--RZTE-KOA.de")
    call_command("erase_personal_data", "zoe@Ärzte.DE")
    assert Submission.objects.get().erased_at is not None


def database_text():
    """Every row of every table as text: what a dump of the database holds."""
    if connection.vendor == "sqlite":
        return "\n".join(connection.connection.iterdump())
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            rows += [repr(row) for row in cursor.fetchall()]
    return "\n".join(rows)


def test_erasure_leaves_no_trace_of_the_person_in_a_dump(client, send_request, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    person = {"name": "Zoë Quixotic-Traceable", "email": "zoe.traceable@example.org",
              "contact": "+84 905 111 222"}  # fmt: skip
    send_request(**person)
    send_request(**(person | {"email": "ZOE.Traceable@Example.org"}), message="Again.")
    client.post("/consent/withdraw/", {"email": person["email"], "scope": "personal_data"})
    assert person["email"] in database_text()
    call_command("erase_personal_data", person["email"])
    dump = database_text()
    for value in (*person.values(), "zoe.traceable", "905 111 222"):
        assert value.casefold() not in dump.casefold(), value
    assert verification.verify_chain().ok


def test_the_evidence_sheet_checks_its_own_events_not_the_whole_chain(admin_client, nine_events):
    call_command("verify_evidence")
    drop_triggers()
    sql(f"UPDATE {EVENTS_TABLE} SET statement = 'x' WHERE position = 8")  # another request's
    first = nine_events[0].submission
    sheet = admin_client.get(f"/admin/agreements/submission/{first.pk}/evidence/")
    text = sheet.content.decode()
    assert "<strong>OK</strong>" in text and "OK: 9 events" in text  # as last verified
    broken = Submission.objects.get(events__position=8)
    sheet = admin_client.get(f"/admin/agreements/submission/{broken.pk}/evidence/")
    assert "<strong>BROKEN</strong>" in sheet.content.decode()
    assert "Position 8: edited" in sheet.content.decode()


def test_requests_past_their_retention_period_are_erased_with_an_event(send_request, settings):
    from django.utils import timezone

    send_request(email="old@example.com")
    send_request(email="recent@example.com")
    old = Submission.objects.get(email="old@example.com")
    long_ago = timezone.now() - timedelta(days=settings.KOMMOGEN_RETENTION_DAYS + 1)
    Submission.objects.filter(pk=old.pk).update(created_at=long_ago)
    Withdrawal.objects.create(email="old@example.com", scope="notifications", created_at=long_ago)
    call_command("erase_expired_requests")
    old.refresh_from_db()
    assert old.erased_at and old.email == "" and old.name == ""
    assert Submission.objects.get(email="recent@example.com").erased_at is None
    assert Withdrawal.objects.get().email == ""
    erased = AcceptanceEvent.objects.order_by("position").last()
    assert erased.kind == "erased" and erased.submission == old
    assert "retention period ended" in erased.statement
    assert verification.verify_chain().ok
    call_command("erase_expired_requests")  # again: nothing more
    assert AcceptanceEvent.objects.filter(kind="erased").count() == 1


def test_the_verifier_on_the_evidence_page_checks_a_receipt_and_an_email_with_the_key(
    client, send_request, tmp_path, settings
):
    """Offline here (tests/test_verifier.py runs it against a live site)."""
    import html
    import os
    import re
    import subprocess
    import sys

    from agreements.evidence import notes

    send_request(email="zoe@ärzte.de", consent_notifications="on")
    page = client.get("/evidence/").content.decode()
    assert notes.verifier_key() in page
    code = re.search(
        r'aria-label="verify_receipt.py" lang="en"><code>(.*?)</code>', page, re.S
    ).group(1)
    program = tmp_path / "verify_receipt.py"
    program.write_text(html.unescape(code), encoding="utf-8")
    assert (
        program.read_bytes()
        == (settings.BASE_DIR / "static/evidence/verify_receipt.py").read_bytes()
    )
    submission = Submission.objects.get()
    receipt = tmp_path / "receipt.json"
    receipt.write_bytes(client.get(f"/receipt/{submission.receipt_token}.json").content)
    assert "—".encode() in receipt.read_bytes()  # not ASCII: opened as UTF-8 or it fails
    key_file = tmp_path / "key"
    key_file.write_text(settings.EVIDENCE_KEY, encoding="utf-8")
    # An ASCII locale, as a Windows console's code page is not UTF-8 either.
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0"}
    env.pop("PYTHONIOENCODING", None)

    def run(*args):
        offline = ["--offline", "--key", notes.verifier_key()]
        return subprocess.run([sys.executable, program, receipt, *offline, *args], env=env,
                              capture_output=True, text=True, timeout=60)  # fmt: skip

    checked = run()
    assert checked.returncode == 3, checked.stdout + checked.stderr  # offline: some skipped
    assert "Each of the 3 events hashes to its recorded hash" in checked.stdout
    assert "FAILED" not in checked.stdout
    matched = run("--key-file", key_file, "--email", " ZOE@XN--RZTE-KOA.DE ")
    assert matched.stdout.count("email matches") == 3
    assert (
        run("--key-file", key_file, "--email", "other@xn--rzte-koa.de").stdout.count("differs") == 3
    )


def test_erasure_reaches_withdrawals_typed_by_reference_and_ones_not_yet_read(client, send_request):
    email = "yuri.traceable@example.org"
    browser = {"REMOTE_ADDR": "203.0.113.77", "HTTP_USER_AGENT": "TraceableBrowser/9"}
    send_request(email=email)
    reference = Submission.objects.get().reference
    client.post("/consent/withdraw/", {"reference": reference, "scope": "personal_data"}, **browser)
    call_command("deliver", "--once")  # matched; its confirmation email went out
    client.post("/consent/withdraw/", {"email": email, "scope": "notifications"})  # not yet read
    call_command("erase_personal_data", email)
    dump = database_text()
    unsalted = hashlib.sha256(email.encode()).hexdigest()[:16]
    for value in ("yuri.traceable", "TraceableBrowser", unsalted):
        assert value.casefold() not in dump.casefold(), value
    assert set(Withdrawal.objects.values_list("client_ip", "user_agent")) == {(None, "")}
