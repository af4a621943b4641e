"""Witnessed checkpoints (C2SP tlog-witness and tlog-cosignature): each checkpoint the
signer makes is sent to the witnesses of KOMMOGEN_WITNESSES with a consistency proof from
the last one each cosigned; a witness that finds it consistent with what it saw before
returns a timestamped cosignature, kept here (Cosignature) and published with the
checkpoint. A log that showed one history to some and another to others (a split view)
cannot get both cosigned."""

import base64
import hashlib
import struct
import urllib.error
import urllib.request
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings

from . import merkle
from .models import Checkpoint, Cosignature

COSIGNATURE_TYPE = b"\x04"  # tlog-cosignature's Ed25519 key type
DASH = "\u2014"


@dataclass(frozen=True)
class Witness:
    name: str
    key_id: bytes
    public: Ed25519PublicKey
    url: str


def cosigner(vkey, url=""):
    """A witness from its verifier key (name+keyhash+base64(0x04 || key)); ValueError."""
    name, key_hash, encoded = vkey.split("+", 2)
    raw = base64.b64decode(encoded, validate=True)
    key_id = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    if raw[:1] != COSIGNATURE_TYPE or len(raw) != 33 or key_id.hex() != key_hash:
        raise ValueError(f"{name}: not an Ed25519 cosigner key.")
    return Witness(name, key_id, Ed25519PublicKey.from_public_bytes(raw[1:]), url)


def configured():
    return [cosigner(w["vkey"], w["url"]) for w in settings.WITNESSES]


def body_of(note):
    """A note's text: its lines before the blank line that precedes the signatures."""
    return note.split("\n\n", 1)[0] + "\n"


def cosigned_message(body, timestamp):
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def verifies(witness, line, body):
    """Whether line is this witness's valid cosignature of the note body."""
    prefix = f"{DASH} {witness.name} "
    if not line.startswith(prefix):
        return False
    try:
        raw = base64.b64decode(line[len(prefix) :], validate=True)
    except ValueError:
        return False
    if len(raw) != 4 + 8 + 64 or raw[:4] != witness.key_id:
        return False
    (timestamp,) = struct.unpack(">Q", raw[4:12])
    try:
        witness.public.verify(raw[12:], cosigned_message(body, timestamp))
    except InvalidSignature:
        return False
    return True


def add_checkpoint(witness, checkpoint, old):
    """POST <prefix>/add-checkpoint: (HTTP status, body text)."""
    proof = merkle.consistency_proof(old, checkpoint.tree_size) if old else []
    lines = "".join(base64.b64encode(node).decode() + "\n" for node in proof)
    data = f"old {old}\n{lines}\n{checkpoint.note}".encode()
    request = urllib.request.Request(f"{witness.url.rstrip('/')}/add-checkpoint", data=data,
                                     method="POST")  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")
    except OSError as error:
        return 0, str(error)


def last_cosigned(witness):
    sizes = Checkpoint.objects.filter(cosignatures__witness=witness.name)
    return sizes.order_by("-tree_size").values_list("tree_size", flat=True).first() or 0


def cosign(checkpoint):
    """Ask every witness that has not cosigned checkpoint yet; keep each cosignature that
    verifies. What went wrong, one line per witness (empty when all cosigned)."""
    problems = []
    for witness in configured():
        if checkpoint.cosignatures.filter(witness=witness.name).exists():
            continue
        old = last_cosigned(witness)
        status, text = add_checkpoint(witness, checkpoint, old)
        if status == 409 and text.strip().isdigit():  # it knows another size: from that one
            status, text = add_checkpoint(witness, checkpoint, int(text))
        body = body_of(checkpoint.note)
        valid = [line for line in text.splitlines() if verifies(witness, line, body)]
        line = valid[0] if status == 200 and valid else None
        if line is None:
            problems.append(f"{witness.name} did not cosign checkpoint "
                            f"{checkpoint.tree_size}: {status} {text.strip()[:200]}")  # fmt: skip
            continue
        Cosignature.objects.create(checkpoint=checkpoint, witness=witness.name, line=line)
    return problems


def cosigned_note(checkpoint):
    """The checkpoint with its witnesses' cosignature lines after the site's signature."""
    lines = "".join(c.line + "\n" for c in checkpoint.cosignatures.order_by("witness"))
    return checkpoint.note + lines


def cosignature_problems():
    """Stored cosignatures that no longer verify (an edit), for verify_evidence."""
    witnesses = {w.name: w for w in configured()}
    problems = []
    for cosignature in Cosignature.objects.select_related("checkpoint"):
        witness = witnesses.get(cosignature.witness)
        body = body_of(cosignature.checkpoint.note)
        if witness and not verifies(witness, cosignature.line, body):
            problems.append(f"edited: the cosignature of {cosignature.witness} on checkpoint "
                            f"{cosignature.checkpoint.tree_size} does not verify")  # fmt: skip
    return problems


def quorum_of(checkpoint):
    """How many configured witnesses validly cosigned this checkpoint."""
    witnesses = {w.name: w for w in configured()}
    body = body_of(checkpoint.note)
    cosignatures = checkpoint.cosignatures.filter(witness__in=witnesses)
    return sum(1 for c in cosignatures if verifies(witnesses[c.witness], c.line, body))
