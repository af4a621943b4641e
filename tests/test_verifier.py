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
ATTACK = """
from importlib import import_module
from django.db import connection
from agreements.evidence import chain
from agreements.evidence.signer import make_checkpoint
from agreements.models import AcceptanceEvent
with connection.cursor() as cursor:
    for migration in ("0004_acceptance_events_are_append_only",
                      "0017_merkle_tree_and_checkpoints"):
        for statement in import_module(f"agreements.migrations.{migration}").DROP[
                connection.vendor]:
            cursor.execute(statement)
    cursor.execute("DELETE FROM agreements_checkpoint")
    cursor.execute("DELETE FROM agreements_merklenode")
    %s
print(make_checkpoint().tree_size)
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
    return result.returncode, result.stdout + result.stderr


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
    assert "The events are in checkpoint 6, signed by the site" in out
    assert "is contained in the site's latest checkpoint (6 events)" in out
    assert live_site.submit(9).status == 302 and live_site.manage("make_checkpoint").returncode == 0
    code, out = verify(receipt, checkpoint)
    assert code == 0 and "contained in the site's latest checkpoint (9 events)" in out, out
    key = fetch(f"{live_site.url}/evidence/key").text.strip()
    code, out = verify(receipt, "--offline", "--key", key)
    assert code == 0 and "SKIPPED" in out, out


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
    # The site's own check finds it too: its new checkpoint is consistent, but its chain
    # no longer matches the receipt the visitor kept. What it still sees by itself:
    assert live_site.manage("verify_evidence").returncode == 0


def test_events_dropped_after_a_checkpoint_covered_them_are_caught(saved, live_site):
    receipt, checkpoint = saved
    assert live_site.shell(ATTACK % DROP_AFTER_4) == "4"
    code, out = verify(receipt, checkpoint)
    assert code == 1, out
    assert "covers 6 events, but the site's latest checkpoint covers only 4" in out
