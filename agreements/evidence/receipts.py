"""A receipt that proves itself: the events' records and hashes, the first checkpoint
that covers them with an inclusion proof for each, and the site's Ed25519 signature over
the whole (RFC 8785 canonical JSON, without the signature itself). The standalone
verifier (static/evidence/verify_receipt.py) checks every part of it."""

from django.conf import settings

from . import chain, merkle, notes
from .checkpoints import covering


def signed_receipt(owner):
    """A request's or a withdrawal's receipt as JSON data, signed."""
    body = chain.receipt_body(owner)
    body["site"], body["log"] = settings.SITE_URL, settings.LOG_ORIGIN
    positions = [event["record"]["position"] for event in body["events"]]
    checkpoint = covering(max(positions)) if positions else None
    if checkpoint:
        body["checkpoint"] = checkpoint.note
        body["inclusion_proofs"] = [
            {"position": position, "tree_size": checkpoint.tree_size,
             "hashes": [notes.b64(node) for node in
                        merkle.inclusion_proof(position - 1, checkpoint.tree_size)]}
            for position in positions
        ]  # fmt: skip
    body["signature"] = {
        "algorithm": "Ed25519 over the RFC 8785 canonical JSON of this receipt without "
        "its signature",
        "key": notes.verifier_key(),
        "value": notes.sign_bytes(chain.canonical(body)),
    }
    return body, checkpoint
