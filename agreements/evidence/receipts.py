"""A receipt that proves itself: the events' records and hashes, the first checkpoint
that covers them with an inclusion proof for each, and the site's Ed25519 signature over
the whole (RFC 8785 canonical JSON, without the signature itself, after a context line
that keeps a receipt's signature from being taken for any other the key makes). The
standalone verifier (static/evidence/verify_receipt.py) checks every part of it."""

from django.conf import settings

from . import chain, merkle, notes
from .checkpoints import covering
from .models import Checkpoint

# Domain separation: what the key signs for a receipt starts with this line.
SIGNATURE_CONTEXT = "kommogen.com/receipt/v1"


def signed_bytes(body):
    return SIGNATURE_CONTEXT.encode() + b"\n" + chain.canonical(body)


def signed_receipt(owner):
    """A request's or a withdrawal's receipt as JSON data, signed. Its events that a
    checkpoint covers carry their proofs even when a later event (an erasure, a
    withdrawal) is not covered yet."""
    body = chain.receipt_body(owner)
    body["site"], body["log"] = settings.SITE_URL, settings.LOG_ORIGIN
    newest = Checkpoint.objects.order_by("-tree_size").values_list("tree_size", flat=True)
    newest = newest.first() or 0
    positions = [event["record"]["position"] for event in body["events"]]
    covered = [position for position in positions if position <= newest]
    checkpoint = covering(max(covered)) if covered else None
    if checkpoint:
        body["checkpoint"] = checkpoint.note
        body["inclusion_proofs"] = [
            {"position": position, "tree_size": checkpoint.tree_size,
             "hashes": [notes.b64(node) for node in
                        merkle.inclusion_proof(position - 1, checkpoint.tree_size)]}
            for position in covered
        ]  # fmt: skip
    body["signature"] = {
        "algorithm": f"Ed25519 over the line '{SIGNATURE_CONTEXT}', a line feed, and the "
        "RFC 8785 canonical JSON of this receipt without its signature",
        "context": SIGNATURE_CONTEXT,
        "key": notes.verifier_key(),
        "value": notes.sign_bytes(signed_bytes(body)),
    }
    return body, checkpoint
