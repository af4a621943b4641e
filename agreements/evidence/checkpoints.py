"""Checkpoints: the tree's size and root, signed by the site, published for good.

A checkpoint is a C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the log's origin, the
tree size and the base64 root hash, one per line, signed as a C2SP signed note. Whoever
saves one can later hold the operator to it: every later checkpoint must be consistent
with it (an RFC 9162 consistency proof), and every event it covers has an inclusion
proof against it. One is made every few minutes when new events exist (manage.py
make_checkpoint, a systemd timer in deploy/), by the signer (signer.py), which signs
only history it saw grow.

With KOMMOGEN_TSA_URL, each checkpoint's note also gets an RFC 3161 timestamp from that
authority: a third party's word that the note existed at that time.
"""

import base64
import hashlib
import logging
import urllib.request
from pathlib import Path

from cryptography import x509
from django.conf import settings
from rfc3161_client import (
    PKIStatus,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from . import merkle, notes
from .models import Checkpoint

logger = logging.getLogger(__name__)


class TimestampRefused(Exception):
    """The time-stamping authority did not grant a timestamp for the note."""


def checkpoint_text(size, root):
    return f"{settings.LOG_ORIGIN}\n{size}\n{notes.b64(root)}\n"


def parse_checkpoint(text):
    """(origin, size, root bytes) of a checkpoint's text; ValueError if malformed."""
    lines = text.split("\n")
    if len(lines) < 4 or not lines[1].isdigit():
        raise ValueError("Not a checkpoint.")
    root = base64.b64decode(lines[2], validate=True)
    if len(root) != 32:
        raise ValueError("A checkpoint's root hash is 32 bytes.")
    return lines[0], int(lines[1]), root


def note_hash(note):
    return hashlib.sha256(note.encode()).hexdigest()


def covering(position):
    """The first checkpoint whose tree holds the event at `position`, or None."""
    return Checkpoint.objects.filter(tree_size__gte=position).order_by("tree_size").first()


def timestamp(note):
    """The RFC 3161 answer (DER) of KOMMOGEN_TSA_URL for the note; TimestampRefused. The
    authority is asked to include its certificate, so that the answer can be checked
    with the authority's root certificate alone."""
    builder = TimestampRequestBuilder().data(note.encode()).nonce(nonce=True)
    request = builder.cert_request(cert_request=True).build()
    http = urllib.request.Request(
        settings.TSA_URL, data=request.as_bytes(), method="POST",
        headers={"Content-Type": "application/timestamp-query"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(http, timeout=10) as answer:
            response = decode_timestamp_response(answer.read())
    except (OSError, ValueError) as error:
        raise TimestampRefused(f"{type(error).__name__}: {error}") from None
    info = response.tst_info
    granted = response.status in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS)
    if not granted or info.nonce != request.nonce:
        raise TimestampRefused(f"The authority answered {response.status_string or 'no'}.")
    if info.message_imprint.message != hashlib.sha512(note.encode()).digest():
        raise TimestampRefused("The timestamp is for another text.")
    return response.as_bytes()


def timestamp_problem(checkpoint):
    """What is wrong with a checkpoint's RFC 3161 timestamp, or "": it must be for the
    note's exact text and, with KOMMOGEN_TSA_ROOTS (the authority's root certificates,
    PEM), signed by a certificate that chains to one of them."""
    if checkpoint.timestamp is None:
        return ""
    try:
        response = decode_timestamp_response(bytes(checkpoint.timestamp))
    except ValueError:
        return "its RFC 3161 timestamp cannot be read"
    imprint = response.tst_info.message_imprint.message
    if imprint != hashlib.sha512(checkpoint.note.encode()).digest():
        return "its RFC 3161 timestamp is for another text"
    if settings.TSA_ROOTS:
        roots = x509.load_pem_x509_certificates(Path(settings.TSA_ROOTS).read_bytes())
        try:
            VerifierBuilder(roots=roots).build().verify_message(response, checkpoint.note.encode())
        except VerificationError as error:
            return f"its RFC 3161 timestamp does not verify: {error}"
    return ""


def misnamed_checkpoints():
    """The sizes of checkpoints signed under another log name than the first's."""
    notes_ = list(Checkpoint.objects.order_by("tree_size").values_list("tree_size", "note"))
    first = notes_[0][1].split("\n", 1)[0] if notes_ else ""
    return [size for size, note in notes_ if note.split("\n", 1)[0] != first]


def checkpoint_problems(chain_length):
    """What is wrong with the checkpoints against the chain of `chain_length` events
    (verify_evidence), or "": each one's signature, its root against the chain's own
    hashes and the stored tree, its link to the one before, their consistency."""
    checkpoints = list(Checkpoint.objects.order_by("tree_size"))
    origin = checkpoints[0].note.split("\n", 1)[0] if checkpoints else settings.LOG_ORIGIN
    if origin != settings.LOG_ORIGIN:
        return (
            f"this process names the log {settings.LOG_ORIGIN!r}, but its checkpoints name "
            f"{origin!r}: set KOMMOGEN_SITE_URL (or KOMMOGEN_LOG_ORIGIN) as the server has it"
        )
    roots = merkle.prefix_roots([c.tree_size for c in checkpoints if c.tree_size <= chain_length])
    previous = None
    for checkpoint in checkpoints:
        # One signed under another log name (a shell without the server's site URL,
        # before the name was pinned) is checked under its own name: kept, and reported
        # by misnamed_checkpoints(), not taken for an edit.
        vkey = notes.verifier_key(name=checkpoint.note.split("\n", 1)[0])
        try:
            problem = one_checkpoint_problem(checkpoint, previous, roots, vkey, chain_length)
            problem = problem or timestamp_problem(checkpoint)
        except LookupError:
            problem = "the stored Merkle tree lacks nodes it had (they were deleted)"
        if problem:
            return f"checkpoint {checkpoint.tree_size}: {problem}"
        previous = checkpoint
    return ""


def one_checkpoint_problem(checkpoint, previous, roots, vkey, chain_length):
    try:
        _origin, size, root = parse_checkpoint(notes.open_note(checkpoint.note, vkey))
    except ValueError:
        return "its signature does not verify (the checkpoint was edited)"
    if size != checkpoint.tree_size or root.hex() != checkpoint.root_hash:
        return "its row does not say what its signed note says"
    if checkpoint.previous_note_hash != (note_hash(previous.note) if previous else ""):
        return "the checkpoint before it was deleted or changed"
    if size > chain_length:
        return f"it covers {size} events, the chain has {chain_length}: events were dropped"
    if roots[size] != root:
        return "the chain's events no longer hash to its root: the chain was rewritten"
    if merkle.root(size) != root:
        return "the stored Merkle tree no longer matches it"
    if previous and not merkle.verify_consistency(
        previous.tree_size, size, bytes.fromhex(previous.root_hash), root,
        merkle.consistency_proof(previous.tree_size, size),
    ):  # fmt: skip
        return "it is not consistent with the checkpoint before it"
    return ""
