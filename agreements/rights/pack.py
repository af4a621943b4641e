"""The evidence pack: one request's evidence as a PDF a lawyer can file (WeasyPrint;
fonts embedded), in one of the site's languages with the statements quoted as recorded,
and a detached Ed25519 signature over its bytes by the site's published key (so a
changed byte shows). What it holds: the issuer, the request (or, after erasure, its
digests and how to check an email against them), every event with its record, the texts
accepted with their fingerprints and in full as annexes, the signed receipt, the
checkpoint covering it with the inclusion proofs, the verification results, and how
anyone repeats them."""

import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML

from ..contact.models import Submission
from ..documents.models import Version
from ..evidence import chain, notes, verification
from ..evidence.models import ChainVerification, FormSnapshot
from ..evidence.receipts import signed_receipt

# Domain separation, as receipts have: what the key signs for a pack starts with this.
PACK_CONTEXT = b"kommogen.com/evidence-pack/v1\n"


def pack_pdf(submission: Submission, language: str = "en") -> bytes:
    """The pack as PDF bytes, in `language`."""
    receipt, checkpoint = signed_receipt(submission)
    events = chain.events_of(submission)
    with translation.override(language):
        html = render_to_string("agreements/evidence_pack.html", {
            "submission": submission, "events": events, "receipt": receipt,
            "receipt_json": chain.canonical(receipt).decode(), "checkpoint": checkpoint,
            "texts": texts_of(events), "site_url": settings.SITE_URL,
            "forms": FormSnapshot.objects.filter(
                fingerprint__in={event.form_snapshot for event, _ in events}),
            "problems": verification.verify_events(submission.events.all()),
            "last_verification": ChainVerification.objects.first(),
            "verifier_key": notes.verifier_key(), "language": language,
            "issuer": settings.KOMMOGEN_ISSUER, "issuer_address": settings.KOMMOGEN_ISSUER_ADDRESS,
            "operator_email": settings.KOMMOGEN_OPERATOR_EMAIL,
        })  # fmt: skip
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def texts_of(events):
    """Every version the events name, once, in order: the annexes."""
    seen = {}
    for event, _record in events:
        for version in event_versions(event):
            seen.setdefault(version.pk, version)
    return list(seen.values())


def event_versions(event):
    named = event.texts or []
    keys = [(t["document"], t.get("language", "en"), t["version"]) for t in named]
    versions = [
        Version.objects.published().select_related("document")
        .filter(document__slug=slug, language=language, number=number).first()
        for slug, language, number in keys
    ]  # fmt: skip
    return [v for v in versions if v] or ([event.version] if event.version else [])


def signature(pdf: bytes) -> str:
    """The .sig file beside a pack: the key (a C2SP verifier key) and the base64 Ed25519
    signature over the context line and the PDF's bytes."""
    return f"{notes.verifier_key()}\n{notes.sign_bytes(PACK_CONTEXT + pdf)}\n"


def signature_holds(pdf: bytes, sig: str) -> bool:
    """Whether sig is the site's signature of exactly these bytes."""
    lines = sig.strip().splitlines()
    if len(lines) != 2 or lines[0] != notes.verifier_key():
        return False
    _name, _key_id, public = notes.parse_verifier_key(lines[0])
    try:
        public.verify(base64.b64decode(lines[1], validate=True), PACK_CONTEXT + pdf)
    except (InvalidSignature, ValueError):
        return False
    return True


def sha256(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()
