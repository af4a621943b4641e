"""Witnessed checkpoints: each checkpoint is cosigned by the witnesses configured, with a
consistency proof from the last one each cosigned; the cosigned checkpoint is public;
verify_evidence checks the cosignatures (an edited one is caught) and the quorum; a
witness refuses a forked log, and one that is down never blocks a checkpoint."""

import base64
import urllib.request

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from agreements.evidence import merkle, notes, witnesses
from agreements.evidence.checkpoints import checkpoint_text
from agreements.models import Checkpoint, Cosignature

from .test_evidence import drop_triggers, sql
from .witness import Witness


@pytest.fixture
def witness(settings, db):
    running = Witness(notes.verifier_key())
    url = running.serve()
    settings.WITNESSES = [{"name": running.name, "vkey": running.vkey, "url": url}]
    settings.WITNESS_QUORUM = 1
    yield running
    running.stop()


def test_each_checkpoint_is_cosigned_with_a_consistency_proof_and_published(
    witness, send_request, client, capsys
):
    send_request()
    call_command("make_checkpoint")
    first = Checkpoint.objects.get()
    assert witnesses.quorum_of(first) == 1
    send_request(email="second@example.com")
    call_command("make_checkpoint")  # old 3, with the proof from 3 to 6
    second = Checkpoint.objects.order_by("-tree_size").first()
    assert witnesses.quorum_of(second) == 1 and witness.state[notes.key_name()][0] == 6
    published = client.get(f"/evidence/checkpoints/{second.tree_size}.cosigned").content.decode()
    assert published.startswith(second.note) and f"\u2014 {witness.name} " in published
    call_command("verify_evidence")
    assert "cosigned by 1 of 1 witness(es) (quorum 1)" in capsys.readouterr().out


def test_a_witness_refuses_a_forked_log(witness, send_request):
    send_request()
    call_command("make_checkpoint")
    size = Checkpoint.objects.get().tree_size
    forked_root = bytes(32)  # another history, signed with the same key
    forked = notes.sign_note(checkpoint_text(size + 3, forked_root))
    proof = merkle.consistency_proof(size, size)  # no proof can join the two
    body = f"old {size}\n" + "".join(base64.b64encode(n).decode() + "\n" for n in proof)
    url = f"{witnesses.configured()[0].url}/add-checkpoint"
    data = (body + "\n" + forked).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 422 and witness.refused


def test_an_edited_cosignature_is_caught(witness, send_request):
    send_request()
    call_command("make_checkpoint")
    drop_triggers("0024_witness_cosignatures")
    line = Cosignature.objects.get().line
    sql(
        "UPDATE agreements_cosignature SET line = %s",
        [line[:-6] + ("A" if line[-6] != "A" else "B") + line[-5:]],
    )
    with pytest.raises(CommandError, match="cosignature of witness.example/w1 on checkpoint"):
        call_command("verify_evidence")


def test_a_witness_that_is_down_never_blocks_a_checkpoint_and_is_asked_again(
    witness, send_request, settings, capsys
):
    send_request()
    settings.WITNESSES = [{**settings.WITNESSES[0], "url": "http://127.0.0.1:9"}]
    call_command("make_checkpoint")
    assert Checkpoint.objects.exists() and "WITNESS:" in capsys.readouterr().out
    settings.WITNESSES = [{**settings.WITNESSES[0], "url": witness.server_url}]
    call_command("make_checkpoint")  # no new events: the latest is cosigned now
    assert witnesses.quorum_of(Checkpoint.objects.get()) == 1


@pytest.mark.live
def test_the_standalone_verifier_checks_the_witnesses_quorum(live_site_factory, server_database,
                                                             tmp_path):  # fmt: skip
    import json
    import os
    import subprocess
    import sys

    from .live import fetch

    running = Witness(notes.verifier_key())  # the site's key: the same in its process
    url = running.serve()
    witnesses_env = json.dumps([{"name": running.name, "vkey": running.vkey, "url": url}])
    site = live_site_factory(server_database, KOMMOGEN_WITNESSES=witnesses_env)
    running.log_vkey = fetch(f"{site.url}/evidence/key").text.strip()  # that log's key
    response = site.submit(1)
    token = response.headers["Location"].split("/receipt/")[1].strip("/")
    assert "Cosigned by 1 of 1" in site.manage("make_checkpoint").stdout
    receipt = tmp_path / "receipt.json"
    receipt.write_bytes(fetch(f"{site.url}/receipt/{token}.json").body)
    program = os.path.join(os.path.dirname(__file__), "..", "static", "evidence",
                           "verify_receipt.py")  # fmt: skip

    def verify(*args):
        env = {**os.environ, "KOMMOGEN_KNOWN_KEYS": str(tmp_path / "known")}
        return subprocess.run([sys.executable, program, receipt, *args], capture_output=True,
                              text=True, timeout=120, env=env).stdout  # fmt: skip

    assert "is cosigned by 1 witness(es) you trust" in verify("--witness", running.vkey)
    other = Witness(notes.verifier_key(), name="witness.example/w2")
    out = verify("--witness", running.vkey, "--witness", other.vkey, "--quorum", "2")
    assert "FAILED  Checkpoint" in out and "2 are needed" in out
    running.stop()
