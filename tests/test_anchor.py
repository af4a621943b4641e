"""Each checkpoint written outside the site: committed to a git repository (a local bare
repository stands in for a public one), one file per checkpoint with its cosignatures,
each in its own commit; a remote that cannot be reached never blocks a checkpoint."""

import subprocess

import pytest
from django.core.management import call_command

from agreements.evidence.witnesses import cosigned_note
from agreements.models import Checkpoint


@pytest.fixture
def remote(tmp_path, settings):
    bare = tmp_path / "public-log.git"
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch", "main", str(bare)],
                   check=True)  # fmt: skip
    settings.CHECKPOINT_GIT_REMOTE = str(bare)
    settings.CHECKPOINT_GIT_DIR = tmp_path / "clone"
    return bare


def shown(bare, path):
    return subprocess.run(["git", "--git-dir", str(bare), "show", f"main:{path}"],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip


def test_each_checkpoint_is_committed_to_the_public_repository(remote, send_request):
    send_request()
    call_command("make_checkpoint")
    first = Checkpoint.objects.get()
    assert shown(remote, f"checkpoints/{first.tree_size}") == cosigned_note(first)
    send_request(email="second@example.com")
    call_command("make_checkpoint")
    second = Checkpoint.objects.order_by("-tree_size").first()
    assert shown(remote, "latest") == cosigned_note(second)
    assert shown(remote, f"checkpoints/{first.tree_size}") == cosigned_note(first)  # kept
    log = subprocess.run(["git", "--git-dir", str(remote), "log", "--format=%s", "main"],
                         capture_output=True, text=True, check=True).stdout.split("\n")  # fmt: skip
    assert log[:2] == [f"Checkpoint {second.tree_size}", f"Checkpoint {first.tree_size}"]


def test_an_unreachable_repository_never_blocks_a_checkpoint(send_request, settings, tmp_path,
                                                             capsys):  # fmt: skip
    settings.CHECKPOINT_GIT_REMOTE = str(tmp_path / "nowhere.git")
    settings.CHECKPOINT_GIT_DIR = tmp_path / "clone"
    send_request()
    call_command("make_checkpoint")
    assert Checkpoint.objects.exists() and "ANCHOR: the checkpoint was not written" in (
        capsys.readouterr().out)  # fmt: skip
