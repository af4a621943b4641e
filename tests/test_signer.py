"""The signer signs only history it saw grow: each way an attacker with the database
can make it agree with itself (rewritten events, deleted or forged checkpoints, edited
or forged tree nodes, another log name) is refused by the site's own signer, with a
clear message and nothing signed, and caught by verify_evidence."""

import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from agreements.evidence import merkle, signed_state
from agreements.evidence.signer import SignerRefused, make_checkpoint
from agreements.models import AcceptanceEvent, Checkpoint, MerkleNode

from .test_checkpoints import drop_checkpoint_triggers, rewrite_chain_from, six_events  # noqa: F401
from .test_evidence import drop_triggers, sql


@pytest.fixture
def signed(six_events, send_request):  # noqa: F811
    """Checkpoint 6 signed, then three events more (7 to 9) not yet signed."""
    make_checkpoint()
    send_request(email="third@example.com")
    assert AcceptanceEvent.objects.count() == 9


def refused(match):
    """The signer refuses, says why, alerts the operator, signs nothing; verify_evidence
    fails too."""
    before = list(Checkpoint.objects.values_list("note", flat=True))
    mail.outbox.clear()
    with pytest.raises(CommandError, match="(?i)REFUSED: .*(" + match + ")"):
        call_command("make_checkpoint")
    assert list(Checkpoint.objects.values_list("note", flat=True)) == before
    assert [m.subject for m in mail.outbox] == [
        "[KommoGEN] The signer refused to sign a checkpoint"
    ]
    with pytest.raises(CommandError, match="BROKEN"):
        call_command("verify_evidence")


def drop_tree_triggers():
    drop_checkpoint_triggers()
    drop_triggers("0020_append_only_for_every_connection")


def test_an_honest_log_is_signed_and_its_state_kept_outside_the_database(signed, settings):
    checkpoint = make_checkpoint()
    state = signed_state.load()
    assert (state.size, state.note) == (9, checkpoint.note)
    assert state.root().hex() == checkpoint.root_hash == merkle.root(9).hex()
    assert oct(signed_state.path().stat().st_mode & 0o777) == "0o600"
    call_command("verify_evidence")


def test_events_rewritten_after_the_last_checkpoint_are_not_signed(signed):
    rewrite_chain_from(4)  # the chain re-linked: by itself it still verifies
    refused("event 6 no longer has the hash the signer signed")


def test_the_newest_checkpoints_deleted_and_the_log_rewritten_are_not_signed(signed, send_request):
    make_checkpoint()
    send_request(email="fourth@example.com")
    drop_tree_triggers()
    sql("DELETE FROM agreements_checkpoint WHERE tree_size = 9")
    sql("DELETE FROM agreements_merklenode")
    rewrite_chain_from(7)
    refused(r"the signer's latest checkpoint \(9\) is not in the database")


def test_the_latest_checkpoint_deleted_is_not_signed_over(signed):
    make_checkpoint()
    drop_checkpoint_triggers()
    sql("DELETE FROM agreements_checkpoint WHERE tree_size = 9")
    refused("checkpoints were deleted")


def test_events_dropped_at_the_signed_head_are_not_signed_over(signed):
    drop_triggers()
    sql("DELETE FROM agreements_acceptanceevent WHERE position >= 6")
    refused("event 6, signed in checkpoint 6, is gone")


def test_a_gap_in_the_new_events_is_not_signed(signed):
    drop_triggers()
    sql("DELETE FROM agreements_acceptanceevent WHERE position = 7")
    refused("gap before (event|position) 8")


def test_an_edited_stored_leaf_is_not_signed_over(signed):
    drop_tree_triggers()
    sql('UPDATE agreements_merklenode SET hash = %s WHERE level = 0 AND "index" = 2',
        [b"\x00" * 32])  # fmt: skip
    refused("the stored Merkle tree node 0/2 differs")


def test_a_forged_leaf_waiting_for_the_next_event_is_not_signed(six_events, send_request):  # noqa: F811
    make_checkpoint()
    drop_tree_triggers()
    MerkleNode.objects.create(level=0, index=6, hash=b"\x11" * 32)  # before event 7 exists
    send_request(email="third@example.com")
    refused("node 0/6 differs|differs from the events' at level 0")


def test_a_leaf_past_the_head_is_refused_in_words_not_a_crash(signed):
    drop_tree_triggers()
    MerkleNode.objects.create(level=0, index=100, hash=b"\x22" * 32)
    refused("leaves past the chain's last event|nodes the events do not give")


def test_a_bogus_checkpoint_row_is_refused_not_a_stall(signed):
    drop_tree_triggers()
    Checkpoint.objects.bulk_create([
        Checkpoint(tree_size=7, root_hash="ab" * 32, note="forged\n7\nAAAA\n\n— x y\n",
                   previous_note_hash="", made_at=timezone.now())
    ])  # fmt: skip
    refused("checkpoint 7 in the database is not one the signer signed")


def test_a_process_with_another_log_name_refuses_to_sign(signed, settings):
    settings.LOG_ORIGIN = "127.0.0.1:9999/evidence"  # a shell without the server's site URL
    with pytest.raises(SignerRefused, match="names the log '127.0.0.1:9999/evidence', but the"):
        make_checkpoint()
    assert Checkpoint.objects.count() == 1
    with pytest.raises(CommandError, match="names the log .* its checkpoints name"):
        call_command("verify_evidence")


def test_a_missing_state_file_is_refused_unless_adopted_after_a_full_verification(signed):
    signed_state.path().unlink()
    with pytest.raises(CommandError, match="the signer's state .* is missing"):
        call_command("make_checkpoint")
    call_command("make_checkpoint", "--adopt")
    assert Checkpoint.objects.order_by("-tree_size").first().tree_size == 9
    call_command("verify_evidence")


def test_an_install_with_checkpoints_under_two_names_keeps_them_and_signs_under_the_first(
    six_events,  # noqa: F811 (a fixture)
    send_request,
    settings,
):
    from agreements.evidence import notes
    from agreements.evidence.checkpoints import checkpoint_text, note_hash

    first = make_checkpoint()
    signed_state.path().unlink()  # an install from before the signer kept its state
    send_request(email="third@example.com")
    server_origin, settings.LOG_ORIGIN = settings.LOG_ORIGIN, "localhost:8000/evidence"
    size = merkle.extend_tree()  # what make_checkpoint did then, from a shell
    Checkpoint.objects.create(
        tree_size=size, root_hash=merkle.root(size).hex(),
        note=notes.sign_note(checkpoint_text(size, merkle.root(size))),
        previous_note_hash=note_hash(first.note), made_at=timezone.now(),
    )  # fmt: skip
    settings.LOG_ORIGIN = server_origin
    call_command("make_checkpoint", "--adopt")  # once, on upgrading: verifies, then keeps
    assert signed_state.load().origin == server_origin  # the first name, pinned
    out = io.StringIO()
    call_command("verify_evidence", stdout=out)  # reported, not taken for an edit
    assert "checkpoint(s) 9 were signed under another log name" in out.getvalue()
    send_request(email="fourth@example.com")
    checkpoint = make_checkpoint()
    assert checkpoint.note.startswith(server_origin + "\n")  # signed under the first name
    call_command("verify_evidence")
