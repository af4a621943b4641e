"""Each checkpoint written outside the operator's server, where people can read it without
the site: committed to a git repository (KOMMOGEN_CHECKPOINT_GIT_REMOTE, for example a
public repository on a code host), one file per checkpoint with its cosignatures. A git
history is public, copied by everyone who clones it, and hard to rewrite unseen: a
checkpoint the site later denies, or a second one of the same size, would show there.
(The RFC 3161 timestamps of KOMMOGEN_TSA_URL prove when a checkpoint existed, but are
served by the site itself; this is what others can read without it.)"""

import os
import subprocess
from pathlib import Path

from django.conf import settings

from .witnesses import cosigned_note


def git(work, *args):
    env = {**os.environ, "GIT_AUTHOR_NAME": "KommoGEN signer", "GIT_COMMITTER_NAME":
           "KommoGEN signer", "GIT_AUTHOR_EMAIL": settings.KOMMOGEN_OPERATOR_EMAIL,
           "GIT_COMMITTER_EMAIL": settings.KOMMOGEN_OPERATOR_EMAIL,
           "GIT_TERMINAL_PROMPT": "0"}  # fmt: skip
    return subprocess.run(["git", "-C", str(work), *args], capture_output=True, text=True,
                          timeout=60, check=True, env=env)  # fmt: skip


def working_copy():
    """The local clone of the remote (made on first use)."""
    work = Path(settings.CHECKPOINT_GIT_DIR)
    if not (work / ".git").exists():
        work.mkdir(parents=True, exist_ok=True)
        git(work, "init", "--quiet", "--initial-branch", "main")
        git(work, "remote", "add", "origin", settings.CHECKPOINT_GIT_REMOTE)
        fetched = subprocess.run(["git", "-C", str(work), "fetch", "--quiet", "origin"],
                                 capture_output=True, timeout=60)  # fmt: skip
        if fetched.returncode == 0 and git(work, "branch", "-r").stdout.strip():
            git(work, "reset", "--quiet", "--hard", "origin/main")
    return work


def publish(checkpoint):
    """Commit the checkpoint (with its cosignatures) and push it; what went wrong, or ""."""
    if not settings.CHECKPOINT_GIT_REMOTE:
        return ""
    try:
        work = working_copy()
        path = work / "checkpoints" / str(checkpoint.tree_size)
        path.parent.mkdir(exist_ok=True)
        path.write_text(cosigned_note(checkpoint), encoding="utf-8")
        (work / "latest").write_text(cosigned_note(checkpoint), encoding="utf-8")
        git(work, "add", "checkpoints", "latest")
        if git(work, "status", "--porcelain").stdout.strip():
            git(work, "commit", "--quiet", "-m", f"Checkpoint {checkpoint.tree_size}")
        git(work, "push", "--quiet", "origin", "HEAD:main")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
        detail = getattr(error, "stderr", "") or str(error)
        return f"the checkpoint was not written to {settings.CHECKPOINT_GIT_REMOTE}: {detail}"
    return ""
