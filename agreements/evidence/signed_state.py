"""The signer's memory, kept outside the database (a file beside the signing key): the
last checkpoint it signed, with the log's identity, the chain's head at that size and
the tree's frontier (its complete subtrees), so that it never signs history it did not
see grow, whatever the database says later.

Whoever can edit the database can delete checkpoints, rewrite events and re-link the
chain, edit or insert stored Merkle nodes: the database then agrees with itself. It
cannot agree with this file, which the database's users cannot write. The signer
(checkpoints.make_checkpoint) extends the tree from this state only, and
verify_evidence compares the database with it (disagreement()).
"""

import base64
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings

from . import merkle, notes
from .models import AcceptanceEvent, Checkpoint, MerkleNode

FORMAT = 1


@dataclass
class SignedState:
    origin: str
    verifier_key: str
    size: int = 0
    head_hash: str = ""  # the hash of event `size`: "" before the first checkpoint
    frontier: dict = field(default_factory=dict)  # {level: node hash}, the tree's right edge
    note: str = ""  # the last checkpoint signed

    def root(self):
        return merkle.fold(self.frontier) if self.size else merkle.EMPTY_ROOT

    def as_json(self):
        data = asdict(self) | {"format": FORMAT}
        data["frontier"] = {str(level): notes.b64(node) for level, node in self.frontier.items()}
        return json.dumps(data, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text):
        data = json.loads(text)
        if data.pop("format", None) != FORMAT:
            raise ValueError("Not a signer state this version of the site can read.")
        data["frontier"] = {
            int(level): base64.b64decode(value, validate=True)
            for level, value in data["frontier"].items()
        }
        return cls(**data)


def path():
    return Path(settings.SIGNER_STATE_FILE)


def pending_path():
    return path().with_name(path().name + ".pending")


def load():
    """The state as last signed, or None before the first checkpoint. A state written
    for a checkpoint whose database commit was lost is dropped; one whose commit went
    through but was not yet promoted is promoted."""
    pending = read(pending_path())
    if pending is not None:
        newest = Checkpoint.objects.order_by("-tree_size").first()
        if newest is not None and newest.note == pending.note:
            os.replace(pending_path(), path())
        else:
            pending_path().unlink()
    return read(path())


def read(file):
    try:
        return SignedState.from_json(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def write(state, file):
    """Atomically: a reader sees the old state or the new one, never half of one."""
    file.parent.mkdir(parents=True, exist_ok=True)
    temporary = file.with_name(file.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(state.as_json())
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, file)
    directory = os.open(file.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def save_pending(state):
    write(state, pending_path())


def promote_pending():
    os.replace(pending_path(), path())


def disagreement(state):
    """What the database says differently from the signer's state, or "": its newest
    checkpoint, the chain's event at the signed size, the stored tree's right edge and
    its size."""
    newest = Checkpoint.objects.order_by("-tree_size").first()
    if state.size == 0 and newest is not None:
        return f"checkpoint {newest.tree_size} in the database was never signed by the signer"
    if state.size and newest is None:
        return f"the signer signed checkpoint {state.size}; the database has no checkpoint"
    if state.size and newest.note != state.note:
        if newest.tree_size < state.size:
            return (
                f"the signer's latest checkpoint ({state.size}) is not in the database, "
                f"whose newest is {newest.tree_size}: checkpoints were deleted"
            )
        return f"checkpoint {newest.tree_size} in the database is not one the signer signed"
    return head_disagreement(state) or tree_disagreement(state)


def head_disagreement(state):
    if not state.size:
        return ""
    head = AcceptanceEvent.objects.filter(position=state.size).values_list("hash", flat=True)
    head = head.first()
    if head is None:
        return f"event {state.size}, signed in checkpoint {state.size}, is gone: events dropped"
    if head != state.head_hash:
        return (
            f"event {state.size} no longer has the hash the signer signed: the events up to "
            "it were rewritten"
        )
    return ""


def tree_disagreement(state):
    stored = merkle.fetch(merkle.frontier_keys(state.size))
    expected = {key: state.frontier.get(key[0]) for key in merkle.frontier_keys(state.size)}
    if any(stored.get(key) != node for key, node in expected.items()):
        return "stored Merkle tree nodes covered by the last checkpoint were edited"
    chain_length = AcceptanceEvent.objects.count()
    if MerkleNode.objects.filter(level=0, index__gte=chain_length).exists():
        return "the stored Merkle tree has leaves past the chain's last event"
    return ""
