"""Signed checkpoints of the events' Merkle tree, their public pages and proofs, signed
receipts, and what verify_evidence catches with them (the database edited directly, as
an attacker with access to it would)."""

import base64
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from agreements.documents.services import version_publish
from agreements.evidence import chain, merkle, notes
from agreements.evidence.checkpoints import parse_checkpoint
from agreements.evidence.signer import make_checkpoint
from agreements.models import AcceptanceEvent, AppendOnlyViolation, Checkpoint, Submission

from .test_evidence import drop_triggers, sql


@pytest.fixture
def six_events(send_request, settings):
    settings.KOMMOGEN_RATE_LIMIT = ""
    for number in range(2):
        assert send_request(email=f"person{number}@example.com").status_code == 302
    return list(AcceptanceEvent.objects.order_by("position"))


def b64decode(value):
    return base64.b64decode(value, validate=True)


def test_a_checkpoint_is_a_c2sp_note_signed_by_the_published_key(six_events, client, settings):
    checkpoint = make_checkpoint()
    key = client.get("/evidence/key").content.decode().strip()
    assert key == notes.verifier_key() and key.startswith(settings.LOG_ORIGIN + "+")
    text = notes.open_note(checkpoint.note, key)
    assert text == f"{settings.LOG_ORIGIN}\n6\n{notes.b64(merkle.root(6))}\n"
    assert parse_checkpoint(text)[1:] == (6, merkle.root(6))
    latest = client.get("/evidence/checkpoint")
    permanent = client.get("/evidence/checkpoints/6")
    assert latest.content.decode() == permanent.content.decode() == checkpoint.note
    assert permanent["Content-Type"] == "text/plain; charset=utf-8"
    assert "immutable" in permanent["Cache-Control"] and latest["Cache-Control"] == "no-cache"


def test_a_checkpoint_is_made_only_when_events_were_added_and_names_the_one_before(
    six_events, send_request
):
    first = make_checkpoint()
    assert make_checkpoint() is None
    send_request(email="third@example.com")
    second = make_checkpoint()
    assert (first.tree_size, second.tree_size) == (6, 9)
    assert second.previous_note_hash and first.previous_note_hash == ""
    call_command("verify_evidence")


def test_the_public_list_feed_and_proofs_let_anyone_check_a_checkpoint(
    six_events, send_request, client
):
    old = make_checkpoint()
    send_request(email="third@example.com")
    new = make_checkpoint()
    page = client.get("/evidence/checkpoints/").content.decode()
    assert new.root_hash in page and old.root_hash in page and notes.verifier_key() in page
    feed = client.get("/evidence/checkpoints/feed/")
    assert feed["Content-Type"].startswith("application/atom+xml")
    assert "/evidence/checkpoints/9" in feed.content.decode()
    proof = json.loads(client.get("/evidence/proofs/consistency/6/9").content)
    assert merkle.verify_consistency(6, 9, bytes.fromhex(old.root_hash),
                                     bytes.fromhex(new.root_hash),
                                     [b64decode(h) for h in proof["hashes"]])  # fmt: skip
    for event in AcceptanceEvent.objects.all():
        proof = json.loads(client.get(f"/evidence/proofs/inclusion/{event.position}/9").content)
        assert merkle.verify_inclusion(event.position - 1, 9, merkle.leaf_hash(event.hash),
                                       [b64decode(h) for h in proof["hashes"]],
                                       b64decode(proof["root_hash"]))  # fmt: skip
    for missing in ("/evidence/proofs/inclusion/10/9", "/evidence/proofs/inclusion/1/7",
                    "/evidence/proofs/consistency/9/6", "/evidence/checkpoints/7",
                    "/evidence/checkpoints/6.tsr"):  # fmt: skip
        assert client.get(missing).status_code == 404, missing


def test_publishing_a_version_signs_nothing_in_the_request_the_timer_does(
    six_events, make_draft, django_capture_on_commit_callbacks
):
    draft = make_draft("# User Agreement\n\n## 1. Terms\n\nNew text.\n")
    with django_capture_on_commit_callbacks(execute=True):
        version_publish(version=draft)
    assert not Checkpoint.objects.exists()  # no wait on the signer or an authority
    call_command("make_checkpoint")
    assert Checkpoint.objects.get().tree_size == 6


def test_checkpoints_are_append_only(six_events):
    checkpoint = make_checkpoint()
    with pytest.raises(AppendOnlyViolation):
        Checkpoint.objects.filter(pk=checkpoint.pk).update(root_hash="0" * 64)
    with pytest.raises(AppendOnlyViolation):
        checkpoint.delete()
    for statement in ("UPDATE agreements_checkpoint SET root_hash = 'x'",
                      "DELETE FROM agreements_checkpoint"):  # fmt: skip
        with pytest.raises(IntegrityError), transaction.atomic():
            sql(statement)


def test_a_receipt_is_signed_and_after_a_checkpoint_carries_its_inclusion_proofs(
    six_events, client
):
    submission = Submission.objects.first()
    before = json.loads(client.get(f"/receipt/{submission.receipt_token}.json").content)
    assert "checkpoint" not in before and verifies(before)
    assert (
        "not yet in a signed checkpoint"
        in client.get(submission.get_absolute_url()).content.decode()
    )
    make_checkpoint()
    receipt = json.loads(client.get(f"/receipt/{submission.receipt_token}.json").content)
    assert verifies(receipt) and receipt["site"] and receipt["log"]
    _, size, root = parse_checkpoint(notes.open_note(receipt["checkpoint"], notes.verifier_key()))
    for event, proof in zip(receipt["events"], receipt["inclusion_proofs"], strict=True):
        leaf = merkle.leaf_hash(event["hash"])
        assert merkle.verify_inclusion(event["record"]["position"] - 1, size, leaf,
                                       [b64decode(h) for h in proof["hashes"]], root)  # fmt: skip
    receipt["events"][0]["record"]["statement"] = "I accept nothing."
    assert not verifies(receipt)
    assert "checkpoint 6" in client.get(submission.get_absolute_url()).content.decode()


def verifies(receipt):
    """Its signature, over the context line and the canonical JSON (domain separation)."""
    signature = receipt.pop("signature")
    _, _, public = notes.parse_verifier_key(signature["key"])
    try:
        signed = b"kommogen.com/receipt/v1\n" + chain.canonical(receipt)
        assert signature["context"] == "kommogen.com/receipt/v1"
        public.verify(b64decode(signature["value"]), signed)
        return True
    except Exception:
        return False
    finally:
        receipt["signature"] = signature


# --- What verify_evidence catches --------------------------------------------------------


def rewrite_chain_from(position):
    """Rewrite every event from `position` on and re-link the chain, so that the chain by
    itself still verifies: what someone with the database could do."""
    drop_triggers()
    previous = AcceptanceEvent.objects.get(position=position - 1).hash
    for event in AcceptanceEvent.objects.filter(position__gte=position).order_by("position"):
        event.language, event.previous_hash = "xx", previous
        event.hash = previous = chain.hash_record(chain.record(event))
        sql("UPDATE agreements_acceptanceevent SET language = %s, previous_hash = %s, "
            "hash = %s WHERE id = %s", [event.language, event.previous_hash, event.hash,
                                        event.pk])  # fmt: skip


def test_a_chain_rewritten_consistently_passes_the_chain_but_not_its_checkpoint(six_events):
    make_checkpoint()
    rewrite_chain_from(4)
    from agreements.evidence.verification import verify_chain

    assert verify_chain().ok  # the chain alone cannot show it
    with pytest.raises(CommandError, match="checkpoint 6: .*the chain was rewritten"):
        call_command("verify_evidence")


def test_events_dropped_after_a_checkpoint_covered_them_are_caught(six_events):
    make_checkpoint()
    drop_triggers()
    sql("DELETE FROM agreements_acceptanceevent WHERE position > 4")
    with pytest.raises(CommandError, match="covers 6 events, the chain has 4: events were dropped"):
        call_command("verify_evidence")


def drop_checkpoint_triggers():
    drop_triggers("0017_merkle_tree_and_checkpoints")


def test_an_edited_checkpoint_is_caught(six_events):
    checkpoint = make_checkpoint()
    drop_checkpoint_triggers()
    forged = checkpoint.note.replace("\n6\n", "\n5\n")
    sql("UPDATE agreements_checkpoint SET note = %s", [forged])
    with pytest.raises(CommandError, match="checkpoint 6: its signature does not verify"):
        call_command("verify_evidence")


def test_a_deleted_checkpoint_is_caught(six_events, send_request):
    make_checkpoint()
    send_request(email="third@example.com")
    make_checkpoint()
    drop_checkpoint_triggers()
    sql("DELETE FROM agreements_checkpoint WHERE tree_size = 6")
    with pytest.raises(CommandError, match="checkpoint 9: the checkpoint before it was deleted"):
        call_command("verify_evidence")


def test_make_checkpoint_says_what_it_did(six_events, capsys):
    call_command("make_checkpoint")
    call_command("make_checkpoint")
    out = capsys.readouterr().out
    assert f"Checkpoint 6, root {Checkpoint.objects.get().root_hash}." in out
    assert "No new events since the last checkpoint (checkpoint 6 covers them)." in out


def test_a_receipt_keeps_its_proofs_after_a_later_event(six_events, client):
    submission = Submission.objects.first()
    make_checkpoint()
    call_command("erase_personal_data", submission.email)  # its 'erased' event: position 7
    receipt = json.loads(client.get(f"/receipt/{submission.receipt_token}.json").content)
    positions = [event["record"]["position"] for event in receipt["events"]]
    assert positions[-1] == 7 and verifies(receipt) and "checkpoint" in receipt
    assert [p["position"] for p in receipt["inclusion_proofs"]] == positions[:-1]


def test_a_receipts_signature_is_not_one_over_its_bare_json(six_events, client):
    submission = Submission.objects.first()
    receipt = json.loads(client.get(f"/receipt/{submission.receipt_token}.json").content)
    signature = receipt.pop("signature")
    _, _, public = notes.parse_verifier_key(signature["key"])
    with pytest.raises(Exception):  # noqa: B017 (cryptography's InvalidSignature)
        public.verify(b64decode(signature["value"]), chain.canonical(receipt))


def test_once_a_checkpoint_covers_a_receipt_the_visitor_gets_it_again_with_the_proofs(
    six_events, send_request
):
    from django.core import mail

    call_command("deliver", "--once")  # the receipt copies go out: no checkpoint yet
    mail.outbox.clear()
    call_command("make_checkpoint")
    call_command("deliver", "--once")
    again = [m for m in mail.outbox if "public log" in m.subject]
    assert sorted(m.to[0] for m in again) == ["person0@example.com", "person1@example.com"]
    name, content, mimetype = again[0].attachments[0]
    receipt = json.loads(content)
    assert mimetype == "application/json" and "checkpoint" in receipt and verifies(receipt)
    # A receipt copy still waiting when the checkpoint is made goes out with it: once.
    send_request(email="third@example.com")
    call_command("make_checkpoint")
    call_command("deliver", "--once")
    [copy] = [m for m in mail.outbox if m.to == ["third@example.com"] and m.attachments]
    assert "checkpoint" in json.loads(copy.attachments[0][1])
    assert len([m for m in mail.outbox if "public log" in m.subject]) == 2
