"""The evidence chain: verification, tampering of every kind caught, append-only, erasure."""

import hashlib
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from agreements import evidence, triggers
from agreements.models import AcceptanceEvent, Submission

EVENTS_TABLE = "agreements_acceptanceevent"
TRIGGER = "agreements_acceptanceevent_append_only"


@pytest.fixture
def chain(send_request):
    """Three requests: nine events at positions 1 to 9."""
    for number in range(3):
        assert send_request(email=f"person{number}@example.com").status_code == 302
    return list(AcceptanceEvent.objects.order_by("position"))


def drop_triggers():
    """As an attacker with database access would (rolled back with the test)."""
    with connection.cursor() as cursor:
        for sql in triggers.drop_statements(connection.vendor, TRIGGER, EVENTS_TABLE):
            cursor.execute(sql)


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_an_untouched_chain_verifies_with_count_and_head(chain, capsys):
    call_command("verify_evidence")
    assert f"OK: 9 events, head hash {chain[-1].hash}" in capsys.readouterr().out
    assert [e.position for e in chain] == list(range(1, 10))
    assert chain[0].previous_hash == evidence.GENESIS_HASH
    assert all(b.previous_hash == a.hash for a, b in zip(chain, chain[1:], strict=False))


def test_an_empty_chain_verifies(db):
    assert evidence.verify_chain().ok


def test_an_edited_event_is_caught(chain):
    drop_triggers()
    sql(f"UPDATE {EVENTS_TABLE} SET statement = %s WHERE position = 5", ["I accept nothing."])
    with pytest.raises(CommandError, match="position 5: edited"):
        call_command("verify_evidence")


def test_an_edited_fingerprint_is_caught(chain):
    drop_triggers()
    sql(f"UPDATE {EVENTS_TABLE} SET fingerprint = %s WHERE position = 4", ["0" * 64])
    assert "edited" in evidence.verify_chain().reason


def test_a_deleted_event_is_caught(chain):
    drop_triggers()
    sql(f"DELETE FROM {EVENTS_TABLE} WHERE position = 4")
    result = evidence.verify_chain()
    assert (result.broken_position, result.reason.split(":")[0]) == (5, "deleted")


def test_an_inserted_event_is_caught(chain):
    drop_triggers()
    sql(f"UPDATE {EVENTS_TABLE} SET position = position + 100 WHERE position > 3")
    sql(f"UPDATE {EVENTS_TABLE} SET position = position - 99 WHERE position > 100")
    forged = AcceptanceEvent(
        **{f.attname: getattr(chain[3], f.attname) for f in AcceptanceEvent._meta.fields}
    )
    # previous_hash is unique, so the forgery cannot link to event 3, whose follower does.
    forged.pk, forged.position, forged.previous_hash = None, 4, "e" * 64
    forged.statement = "A statement the visitor never saw."
    forged.hash = evidence.hash_record(evidence.record(forged))
    forged.save()
    result = evidence.verify_chain()
    assert result.broken_position == 4 and result.reason.startswith("inserted")


def test_reordered_events_are_caught(chain):
    drop_triggers()
    sql(f"UPDATE {EVENTS_TABLE} SET position = 100 WHERE position = 4")
    sql(f"UPDATE {EVENTS_TABLE} SET position = 4 WHERE position = 5")
    sql(f"UPDATE {EVENTS_TABLE} SET position = 5 WHERE position = 100")
    result = evidence.verify_chain()
    assert result.broken_position == 4 and result.reason.startswith("reordered")


@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {EVENTS_TABLE} SET statement = 'x' WHERE position = 1",
        f"DELETE FROM {EVENTS_TABLE} WHERE position = 1",
    ],
)
def test_events_refuse_raw_sql_changes(chain, statement):
    with pytest.raises(IntegrityError), transaction.atomic():
        sql(statement)
    assert evidence.verify_chain().ok


def test_events_refuse_orm_changes(chain):
    event = chain[0]
    event.statement = "x"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AcceptanceEvent.objects.filter(pk=event.pk).update(statement="x")
    with pytest.raises(PermissionError):
        AcceptanceEvent.objects.all().delete()


def test_a_fork_is_impossible(chain):
    twin = AcceptanceEvent(
        **{f.attname: getattr(chain[-1], f.attname) for f in AcceptanceEvent._meta.fields}
    )
    twin.pk, twin.position, twin.hash = None, 10, "f" * 64
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()  # same previous hash as event 9


def test_erasure_blanks_personal_data_and_the_chain_still_verifies(chain, capsys):
    call_command("erase_personal_data", "PERSON1@example.com")
    submission = Submission.objects.get(events__position=4)
    assert submission.erased_at and submission.email == "" and submission.client_ip is None
    assert submission.name == "" and submission.message == ""
    erased = AcceptanceEvent.objects.order_by("position").last()
    assert erased.kind == "erased" and erased.submission == submission
    assert evidence.verify_chain().ok
    digest = hashlib.sha256(f"{submission.salt}:person1@example.com".encode()).hexdigest()
    assert AcceptanceEvent.objects.get(position=4).subject_digests["email"] == digest


def test_export_streams_csv_and_json_lines(chain, capsys):
    call_command("export_evidence", "--format", "csv")
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("position,recorded_at") and len(lines) == 10
    call_command("export_evidence", "--format", "json", "--since", "2000-01-01")
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["hash"] for r in records] == [e.hash for e in chain]
    call_command("export_evidence", "--until", "2000-01-01")
    assert len(capsys.readouterr().out.strip().splitlines()) == 1


def test_csv_export_guards_against_formula_injection(send_request, capsys):
    from agreements.export import spreadsheet_safe

    assert spreadsheet_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert spreadsheet_safe("+1") == "'+1" and spreadsheet_safe("plain") == "plain"
    send_request()
    call_command("export_evidence")
    assert "\n=" not in capsys.readouterr().out
