"""The evidence chain: records, canonical serialisation (RFC 8785), hashing and append.

Each acceptance event is hashed over its canonical JSON record, which includes the
previous event's hash: any later edit, deletion, insertion or reordering shows.
"""

import hashlib
from datetime import UTC, timedelta

import rfc8785
from django.db import connection, transaction
from django.utils import timezone

from .digests import key_id
from .models import AcceptanceEvent

GENESIS_HASH = "0" * 64
# Any constant: the key of PostgreSQL's advisory lock that serialises appends.
CHAIN_LOCK_KEY = 73022025
# Record format 2 (events recorded since 2026-11-27): keyed digests, every text shown,
# and what the event belongs to. Format 1 events keep verifying as they were recorded.
RECORD_FORMAT = 2
ONE_MICROSECOND = timedelta(microseconds=1)


def timestamp(moment):
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def text_of(version):
    """How a text shown to the visitor is named in a record. A translation names the
    English version it translates, with its fingerprints, and that the English prevails
    (the texts say so too): the record alone shows which text governs."""
    named = {
        "document": version.document.slug,
        "language": version.language,
        "version": version.number,
        "fingerprint": version.fingerprint,
        "html_fingerprint": version.html_fingerprint,
    }
    if version.translates_id:
        original = version.translates
        named["translates"] = {
            "language": original.language,
            "version": original.number,
            "fingerprint": original.fingerprint,
            "html_fingerprint": original.html_fingerprint,
        }
        named["prevails"] = original.language
    return named


def belongs_to(event):
    if event.submission_id:
        return "submission"
    return "withdrawal" if event.withdrawal_id else None


def record(event, version=None):
    """The exact dict whose RFC 8785 serialisation is hashed; shown on receipts."""
    version = version or event.version
    data = {
        "position": event.position,
        "previous_hash": event.previous_hash,
        "recorded_at": timestamp(event.recorded_at),
        "kind": event.kind,
        "purpose": event.purpose,
        "document": version.document.slug if version else None,
        "version": version.number if version else None,
        "fingerprint": event.fingerprint or None,
        "statement": event.statement,
        "submit_label": event.submit_label,
        "form": event.form_name,
        "page": event.page,
        "form_rendered_at": timestamp(event.form_rendered_at),
        "language": event.language,
        "reference": event.reference,
        "subject_salt": event.subject_salt,
        "subject_digests": event.subject_digests,
    }
    if event.record_format == 2:
        data |= {
            "format": 2,
            "texts": event.texts,
            "belongs_to": belongs_to(event),
            "subject_digest": "HMAC-SHA-256(evidence key, subject_salt:value)",
            "subject_key_id": event.subject_key_id,
        }
        if event.applies_to is not None:
            data["applies_to"] = event.applies_to
        if event.form_snapshot:  # recorded by events made since snapshots were kept
            data["form_snapshot"] = event.form_snapshot
    return data


def canonical(data):
    return rfc8785.dumps(data)


def hash_record(data):
    return hashlib.sha256(canonical(data)).hexdigest()


def lock_chain():
    """Serialise appends across processes and machines sharing the database.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: write transactions
    begin IMMEDIATE (settings), so the database lock is already held.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def chain_time():
    """Lock the chain; the time the next events get: the clock, or just after the newest
    event if the clock is behind it (time never goes backwards along the chain)."""
    lock_chain()
    newest = AcceptanceEvent.objects.order_by("-position").values_list("recorded_at", flat=True)
    newest = newest.first()
    now = timezone.now()
    return max(now, newest + ONE_MICROSECOND) if newest else now


def append(events, now=None):
    """Give unsaved events their positions, hashes and timestamps, and insert them.

    Must run inside the transaction that writes the submission: all or nothing.
    now: the events' time, taken by the caller under the chain's lock.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Evidence is appended inside the submission's transaction.")
    lock_chain()
    head = AcceptanceEvent.objects.order_by("-position")
    head = head.values("position", "hash", "recorded_at").first()
    position = head["position"] if head else 0
    previous_hash = head["hash"] if head else GENESIS_HASH
    now = now or timezone.now()
    if head and now <= head["recorded_at"]:
        # Time never goes backwards along the chain: a server whose clock is a little
        # behind another's records just after the event before, not before it.
        now = head["recorded_at"] + ONE_MICROSECOND
    for event in events:
        position += 1
        event.position, event.previous_hash, event.recorded_at = position, previous_hash, now
        event.hash = previous_hash = hash_record(record(event))
    AcceptanceEvent.objects.bulk_create(events)
    return events


def new_event(owner, context, salt, digests, texts=(), **fields):
    """An unsaved event of owner (a request or a withdrawal); append() completes it."""
    version = fields.get("version")
    return AcceptanceEvent(
        record_format=RECORD_FORMAT,
        texts=[text_of(shown) for shown in texts],
        subject_key_id=key_id(),
        fingerprint=version.fingerprint if version else "",
        submit_label=context.submit_label,
        form_rendered_at=context.form_rendered_at,
        form_name=context.form_name,
        page=context.page,
        language=context.language,
        reference=owner.reference,
        subject_salt=salt,
        subject_digests=digests,
        **fields,
    )


def events_of(owner):
    """A request's or a withdrawal's events in chain order, each with its record: what
    its receipt, its JSON and its evidence sheet show."""
    events = owner.events.select_related("version__document").order_by("position")
    return [(event, record(event)) for event in events]


def receipt_body(owner):
    """A receipt as JSON data: the reference and each event's record and hash."""
    return {
        "reference": owner.reference,
        "hash_algorithm": "sha256 over RFC 8785 canonical JSON of each record",
        "events": [{"record": rec, "hash": event.hash} for event, rec in events_of(owner)],
    }
