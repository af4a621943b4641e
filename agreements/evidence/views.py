"""A receipt's private page as the request areas show it (render_receipt), and the
public pages that say what the evidence proves and how to check it."""

from functools import lru_cache

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render

from ..core.pages import private
from . import chain, merkle, notes
from .models import AcceptanceEvent, Checkpoint, FormSnapshot
from .receipts import signed_receipt
from .witnesses import cosigned_note


def render_receipt(request, template, name, owner, **extra):
    """A receipt's private page: never indexed, its address never sent on as a referrer."""
    receipt, checkpoint = signed_receipt(owner)
    events = chain.events_of(owner)
    asked_for_notifications = any(
        event.kind == AcceptanceEvent.Kind.CONSENT_GIVEN
        and event.purpose == AcceptanceEvent.Purpose.NOTIFICATIONS
        for event, _record in events
    )
    context = {name: owner, "events": events, "checkpoint": checkpoint,
               "signature": receipt["signature"],
               "asked_for_notifications": asked_for_notifications} | extra  # fmt: skip
    return private(render(request, template, context))


def receipt_download(owner):
    """A receipt as its signed JSON (a request's or a withdrawal's)."""
    body = chain.canonical(signed_receipt(owner)[0])
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'inline; filename="{owner.reference}.json"'
    response["X-Robots-Tag"] = "noindex"
    return response


@lru_cache(maxsize=1)
def receipt_verifier():
    """The program /evidence/ shows and offers: one file, Python and `cryptography`."""
    return (settings.BASE_DIR / "static" / "evidence" / "verify_receipt.py").read_text("utf-8")


def evidence_page(request):
    return render(request, "agreements/evidence.html", {
        "verifier": receipt_verifier(), "verifier_key": notes.verifier_key(),
        "latest": Checkpoint.objects.order_by("-tree_size").first(), "tsa": settings.TSA_URL,
    })  # fmt: skip


# --- The transparency log: checkpoints, proofs, the key (public, plain text and JSON) ---

IMMUTABLE = "public, max-age=31536000, immutable"


def plain_text(text, cache_control="no-cache"):
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = cache_control
    return response


def proof_json(data):
    response = JsonResponse(data)
    response["Cache-Control"] = IMMUTABLE  # between published checkpoints, never changes
    return response


def checkpoint_list(request):
    page = Paginator(Checkpoint.objects.order_by("-tree_size"), 100).get_page(
        request.GET.get("page")
    )
    return render(request, "agreements/checkpoints.html",
                  {"page": page, "verifier_key": notes.verifier_key()})  # fmt: skip


def checkpoint(request, size):
    return plain_text(get_object_or_404(Checkpoint, tree_size=size).note, IMMUTABLE)


def latest_checkpoint(request):
    latest = Checkpoint.objects.order_by("-tree_size").first()
    if latest is None:  # plain text like the checkpoints, which a client reads here
        response = plain_text("No checkpoint yet: the first is made when events exist.\n")
        response.status_code = 404
        return response
    return plain_text(latest.note)


def checkpoint_timestamp(request, size):
    stamped = get_object_or_404(Checkpoint, tree_size=size, timestamp__isnull=False)
    response = HttpResponse(bytes(stamped.timestamp), content_type="application/timestamp-reply")
    response["Content-Disposition"] = f'attachment; filename="checkpoint-{size}.tsr"'
    return response


def verifier_key(request):
    return plain_text(notes.verifier_key() + "\n")


def inclusion(request, position, size):
    """The proof that event `position` is in the tree of checkpoint `size`."""
    checkpoint = get_object_or_404(Checkpoint, tree_size=size)
    if not 0 < position <= size:
        raise Http404("That checkpoint does not cover that event.")
    hashes = merkle.inclusion_proof(position - 1, size)
    return proof_json({"position": position, "leaf_index": position - 1, "tree_size": size,
                       "root_hash": notes.b64(bytes.fromhex(checkpoint.root_hash)),
                       "hashes": [notes.b64(node) for node in hashes]})  # fmt: skip


def consistency(request, old, new):
    """The proof that checkpoint `old`'s tree is the beginning of checkpoint `new`'s."""
    first = get_object_or_404(Checkpoint, tree_size=old)
    second = get_object_or_404(Checkpoint, tree_size=new)
    if old > new:
        raise Http404("The first checkpoint must be the older one.")
    hashes = merkle.consistency_proof(old, new)
    return proof_json({"old_size": old, "new_size": new,
                       "old_root_hash": notes.b64(bytes.fromhex(first.root_hash)),
                       "new_root_hash": notes.b64(bytes.fromhex(second.root_hash)),
                       "hashes": [notes.b64(node) for node in hashes]})  # fmt: skip


def form_snapshot(request, fingerprint):
    """A kept form, as the visitor's browser received it: its SHA-256 is its address."""
    snapshot = get_object_or_404(FormSnapshot, fingerprint=fingerprint)
    return plain_text(snapshot.html, IMMUTABLE)


def cosigned_checkpoint(request, size):
    """A checkpoint with its witnesses' cosignatures (a late one may still be added)."""
    return plain_text(cosigned_note(get_object_or_404(Checkpoint, tree_size=size)))
