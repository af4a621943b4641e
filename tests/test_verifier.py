"""The standalone verifier (/evidence/, static/evidence/verify_receipt.py) against a real
site under gunicorn: receipts the site made verify; a tampered copy of each part does
not; and a log rewritten or cut short after a receipt or a checkpoint was saved is
caught by whoever holds them. The site's database is edited directly, as an attacker
with access to it would (triggers dropped first)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from .live import fetch

pytestmark = pytest.mark.live

VERIFIER = Path(settings.BASE_DIR) / "static" / "evidence" / "verify_receipt.py"

# The attacker's tools, run inside the live site's Django: drop the append-only triggers
# (the migrations' own reversing SQL), then rewrite or cut the log and sign a new
# checkpoint with the site's key, as someone holding the server could.
# The site's own signer refuses to sign such a log (tests/test_signer.py); whoever holds
# the key can still sign one by hand, which is what a saved receipt must catch.
ATTACK = """
from importlib import import_module
from django.db import connection
from django.utils import timezone
from agreements.evidence import chain, merkle, notes
from agreements.evidence.checkpoints import checkpoint_text
from agreements.models import AcceptanceEvent, Checkpoint
with connection.cursor() as cursor:
    for migration in ("0004_acceptance_events_are_append_only",
                      "0017_merkle_tree_and_checkpoints",
                      "0020_append_only_for_every_connection"):
        for statement in import_module(f"agreements.migrations.{migration}").DROP[
                connection.vendor]:
            cursor.execute(statement)
    cursor.execute("DELETE FROM agreements_checkpoint")
    cursor.execute("DELETE FROM agreements_merklenode")
    %s
size = merkle.extend_tree()
root = merkle.root(size)
Checkpoint.objects.create(tree_size=size, root_hash=root.hex(), previous_note_hash="",
                          note=notes.sign_note(checkpoint_text(size, root)),
                          made_at=timezone.now())
print(size)
"""
REWRITE_FROM_4 = """
    previous = AcceptanceEvent.objects.get(position=3).hash
    for event in AcceptanceEvent.objects.filter(position__gte=4).order_by("position"):
        event.language, event.previous_hash = "xx", previous
        event.hash = previous = chain.hash_record(chain.record(event))
        cursor.execute("UPDATE agreements_acceptanceevent SET language = %s, "
                       "previous_hash = %s, hash = %s WHERE id = %s",
                       [event.language, event.previous_hash, event.hash, event.pk])
"""
DROP_AFTER_4 = 'cursor.execute("DELETE FROM agreements_acceptanceevent WHERE position > 4")'


def verify(*args):
    result = subprocess.run([sys.executable, VERIFIER, *map(str, args)],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stdout + result.stderr


@pytest.fixture(autouse=True)
def known_keys(tmp_path, monkeypatch):
    """The verifier's file of pinned keys (like SSH's known hosts): each test its own."""
    path = tmp_path / "known_keys"
    monkeypatch.setenv("KOMMOGEN_KNOWN_KEYS", str(path))
    return path


@pytest.fixture
def saved(live_site, tmp_path):
    """Two requests sent, a checkpoint made: the first receipt and the checkpoint as a
    visitor would have saved them."""
    tokens = []
    for number in range(2):
        response = live_site.submit(number)
        assert response.status == 302
        tokens.append(re.search(r"/receipt/([^/]+)/", response.headers["Location"]).group(1))
    assert live_site.manage("make_checkpoint").returncode == 0
    receipt = tmp_path / "receipt.json"
    receipt.write_bytes(fetch(f"{live_site.url}/receipt/{tokens[0]}.json").body)
    checkpoint = tmp_path / "checkpoint-6.txt"
    checkpoint.write_bytes(fetch(f"{live_site.url}/evidence/checkpoint").body)
    return receipt, checkpoint


def test_a_receipt_and_a_saved_checkpoint_verify_and_say_what_they_prove(saved, live_site):
    receipt, checkpoint = saved
    code, out = verify(receipt, checkpoint)
    assert code == 0, out
    assert "The receipt is signed by the site's key" in out
    assert "Each of the 3 events hashes to its recorded hash" in out
    assert "/agreement/v/1.md is the one the events record" in out
    assert "/agreement/v/1.html is the one the events record" in out  # the HTML too
    assert "The events are in checkpoint 6, signed by the site" in out
    assert "is contained in the site's latest checkpoint (6 events)" in out
    assert live_site.submit(9).status == 302 and live_site.manage("make_checkpoint").returncode == 0
    code, out = verify(receipt, checkpoint)
    assert code == 0 and "contained in the site's latest checkpoint (9 events)" in out, out
    key = fetch(f"{live_site.url}/evidence/key").text.strip()
    code, out = verify(receipt, "--offline", "--key", key)
    assert code == 3 and "SKIPPED" in out, out  # nothing failed, but not everything checked
    assert "does not exclude the site showing another log to others" in out


def test_a_receipt_from_a_translated_page_checks_the_english_original_too(live_site, tmp_path):
    response = live_site.submit(1, prefix="/ru")
    assert response.status == 302
    token = re.search(r"/receipt/([^/]+)/", response.headers["Location"]).group(1)
    assert live_site.manage("make_checkpoint").returncode == 0
    receipt = tmp_path / "receipt.json"
    receipt.write_bytes(fetch(f"{live_site.url}/receipt/{token}.json").body)
    code, out = verify(receipt)
    assert code == 0, out
    assert f"{live_site.url}/ru/agreement/v/1.md is the one the events record" in out  # shown
    assert f"{live_site.url}/agreement/v/1.md is the one the events record" in out  # prevails
    assert f"{live_site.url}/evidence/forms/" in out  # the form as it was shown, too


def tampered(receipt, change):
    data = json.loads(receipt.read_text(encoding="utf-8"))
    change(data)
    copy = receipt.with_name("tampered.json")
    copy.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return copy


def test_a_tampered_copy_of_each_part_of_a_receipt_fails(saved, live_site):
    receipt, checkpoint = saved

    def record(data):
        data["events"][0]["record"]["statement"] = "I accept nothing."

    def signature(data):
        data["signature"]["value"] = data["signature"]["value"][::-1]

    def foreign_key(data):
        data["signature"]["key"] = data["signature"]["key"].replace("+", "+0", 1)

    def checkpoint_note(data):
        data["checkpoint"] = data["checkpoint"].replace("\n6\n", "\n5\n")

    def proof(data):
        hashes = data["inclusion_proofs"][1]["hashes"]
        hashes[0] = hashes[-1]

    for change in (record, signature, foreign_key, checkpoint_note, proof):
        code, out = verify(tampered(receipt, change))
        assert code == 1 and "FAILED" in out, (change.__name__, out)
    forged = checkpoint.read_text(encoding="utf-8").replace("\n6\n", "\n7\n")
    (checkpoint.parent / "forged.txt").write_text(forged, encoding="utf-8")
    code, out = verify(receipt, checkpoint.parent / "forged.txt")
    assert code == 1 and "its signature does not verify" in out, out


def test_a_log_rewritten_after_the_receipt_was_saved_is_caught(saved, live_site):
    receipt, checkpoint = saved
    assert live_site.shell(ATTACK % REWRITE_FROM_4) == "6"  # re-signed, 6 events again
    code, out = verify(receipt, checkpoint)
    assert code == 1, out
    assert "is NOT contained in the site's latest checkpoint (6 events)" in out
    # The site's own check finds it too: the database no longer agrees with the signer's
    # state outside it, and the signer refuses to sign over it.
    checked = live_site.manage("verify_evidence")
    assert checked.returncode == 1 and "against the signer's state" in checked.stderr
    assert live_site.submit(7).status == 302
    signed = live_site.manage("make_checkpoint")
    assert signed.returncode == 1 and "REFUSED" in signed.stderr


def test_events_dropped_after_a_checkpoint_covered_them_are_caught(saved, live_site):
    receipt, checkpoint = saved
    assert live_site.shell(ATTACK % DROP_AFTER_4) == "4"
    code, out = verify(receipt, checkpoint)
    assert code == 1, out
    assert "covers 6 events, but the site's latest checkpoint covers only 4" in out


def test_the_key_is_pinned_on_first_use_and_a_changed_key_or_another_log_fails(
    saved, live_site, known_keys
):
    receipt, _checkpoint = saved
    code, out = verify(receipt)
    assert code == 0 and "WARNING First use of" in out, out
    key = fetch(f"{live_site.url}/evidence/key").text.strip()
    assert known_keys.read_text() == f"{live_site.url} {key}\n"
    code, out = verify(receipt)
    assert code == 0 and "WARNING" not in out
    other = "other.example/evidence+00000000+AQ" + "A" * 42 + "="
    known_keys.write_text(f"{live_site.url} {other}\n")
    code, out = verify(receipt)
    assert code == 1 and "The site now shows the key" in out, out

    def other_log(data):
        data["log"] = "evil.example/evidence"

    code, out = verify(tampered(receipt, other_log), "--key", key)
    assert code == 1 and "names the log 'evil.example/evidence'" in out, out


def test_a_receipt_with_a_key_twice_or_not_utf8_is_refused_in_words(saved):
    receipt, _checkpoint = saved
    text = receipt.read_text(encoding="utf-8")
    doubled = receipt.with_name("doubled.json")
    doubled.write_text(text.replace('{"checkpoint"', '{"reference":"KG-OTHER","checkpoint"', 1),
                       encoding="utf-8")  # fmt: skip
    assert '"reference"' in doubled.read_text(encoding="utf-8").split("checkpoint")[0]
    code, out = verify(doubled)
    assert code == 1 and "has the key 'reference' twice" in out, out
    latin = receipt.with_name("latin.json")
    latin.write_bytes(text.encode("utf-8").replace(b"\xc3\xa9", b"\xe9") + b"\xff")
    code, out = verify(latin)
    assert code == 1 and "is not UTF-8 text" in out, out


def test_files_saved_on_windows_verify(saved):
    receipt, checkpoint = saved
    text = receipt.read_text(encoding="utf-8")
    with_bom = receipt.with_name("bom.json")
    with_bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    utf16 = receipt.with_name("utf16.json")
    utf16.write_bytes(text.encode("utf-16"))  # with its BOM, as Notepad saves it
    crlf = checkpoint.with_name("crlf.txt")
    crlf.write_bytes(checkpoint.read_bytes().replace(b"\n", b"\r\n"))
    for copy in (with_bom, utf16):
        code, out = verify(copy, crlf)
        assert code == 0, out


def test_a_checkpoint_with_a_padded_size_or_another_origin_is_refused(saved, live_site, settings):
    from agreements.evidence import notes

    receipt, checkpoint = saved
    origin, size, root = checkpoint.read_text(encoding="utf-8").split("\n")[:3]
    settings.LOG_ORIGIN = origin  # the live site's log, signed with the same test key
    for text, complaint in ((f"{origin}\n0{size}\n{root}\n", "it is not a checkpoint"),
                            (f"other.example/log\n{size}\n{root}\n", "another log")):  # fmt: skip
        forged = checkpoint.with_name("forged.txt")
        forged.write_text(notes.sign_note(text), encoding="utf-8")
        code, out = verify(receipt, forged)
        assert code == 1 and complaint in out, out


def test_a_receipt_without_a_checkpoint_is_checked_against_the_live_log(live_site, tmp_path):
    response = live_site.submit(1)
    token = re.search(r"/receipt/([^/]+)/", response.headers["Location"]).group(1)
    receipt = tmp_path / "early.json"
    receipt.write_bytes(fetch(f"{live_site.url}/receipt/{token}.json").body)
    assert "checkpoint" not in json.loads(receipt.read_text(encoding="utf-8"))
    code, out = verify(receipt)
    assert code == 3 and "published no checkpoint yet" in out, out
    assert live_site.manage("make_checkpoint").returncode == 0
    code, out = verify(receipt)  # the same saved receipt, now against the live log
    assert "is in the site's latest checkpoint (3 events)" in out
    assert code == 3 and "names no checkpoint yet" in out, out


def test_an_email_that_differs_changes_the_exit_status(saved, tmp_path):
    receipt, _checkpoint = saved
    key_file = tmp_path / "evidence-key"
    key_file.write_text("tests-only-evidence-key\n")
    code, out = verify(receipt, "--key-file", key_file, "--email", "Visitor0@Example.com")
    assert code == 0 and "email matches" in out, out
    code, out = verify(receipt, "--key-file", key_file, "--email", "someone@example.com")
    assert code == 4 and "email differs" in out, out


def test_events_dropped_before_any_checkpoint_covered_them_are_caught_by_the_receipt(
    saved, live_site, tmp_path
):
    response = live_site.submit(2)  # events 7 to 9, newer than checkpoint 6
    token = re.search(r"/receipt/([^/]+)/", response.headers["Location"]).group(1)
    early = tmp_path / "early.json"
    early.write_bytes(fetch(f"{live_site.url}/receipt/{token}.json").body)
    dropped = """
from importlib import import_module
from django.db import connection
with connection.cursor() as cursor:
    for statement in import_module(
            "agreements.migrations.0004_acceptance_events_are_append_only").DROP[
            connection.vendor]:
        cursor.execute(statement)
    cursor.execute("DELETE FROM agreements_acceptanceevent WHERE position > 6")
print("dropped")
"""
    assert live_site.shell(dropped) == "dropped"
    assert live_site.submit(3).status == 302  # new events take positions 7 to 9
    # The site's signer never saw the dropped events: it cannot know, and signs.
    assert live_site.manage("make_checkpoint").returncode == 0
    code, out = verify(early)
    assert code == 1 and "Event 7 is NOT in the site's latest checkpoint (9 events)" in out, out
