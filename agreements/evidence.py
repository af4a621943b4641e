"""The evidence chain: canonical serialisation (RFC 8785), hashing, append and verify.

Each acceptance event is hashed over its canonical JSON record, which includes the
previous event's hash: any later edit, deletion, insertion or reordering shows.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC

import rfc8785
from django.db import connection, transaction
from django.utils import timezone

from .models import AcceptanceEvent, Submission, Version, Withdrawal

GENESIS_HASH = "0" * 64
PERSONAL_FIELDS = ("name", "email", "contact", "company", "message", "client_ip", "user_agent")
# Any constant: the key of PostgreSQL's advisory lock that serialises appends.
CHAIN_LOCK_KEY = 73022025


def digest(salt, value):
    """Salted SHA-256 of a personal value; None when the visitor gave none."""
    if value in (None, ""):
        return None
    value = str(value).strip()
    if "@" in value:
        value = value.casefold()
    return hashlib.sha256(f"{salt}:{value}".encode()).hexdigest()


def subject_digests(salt, **personal):
    return {field: digest(salt, personal.get(field)) for field in PERSONAL_FIELDS}


def timestamp(moment):
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def record(event, version=None):
    """The exact dict whose RFC 8785 serialisation is hashed; shown on receipts."""
    version = version or event.version
    return {
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


def append(events, now=None):
    """Give unsaved events their positions, hashes and timestamps, and insert them.

    Must run inside the transaction that writes the submission: all or nothing.
    now: the events' time, taken by the caller under the chain's lock.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Evidence is appended inside the submission's transaction.")
    lock_chain()
    head = AcceptanceEvent.objects.order_by("-position").values("position", "hash").first()
    position = head["position"] if head else 0
    previous_hash = head["hash"] if head else GENESIS_HASH
    now = now or timezone.now()
    for event in events:
        position += 1
        event.position, event.previous_hash, event.recorded_at = position, previous_hash, now
        event.hash = previous_hash = hash_record(record(event))
    AcceptanceEvent.objects.bulk_create(events)
    return events


@dataclass(frozen=True)
class Verification:
    ok: bool
    count: int
    head_hash: str
    broken_position: int | None = None
    reason: str = ""

    def __str__(self):
        if self.ok:
            return f"OK: {self.count} events, head hash {self.head_hash}"
        return f"BROKEN at position {self.broken_position}: {self.reason}"


def versions_by_pk():
    """Every published version (without its text) with its document, by primary key."""
    versions = Version.objects.published().select_related("document")
    return {v.pk: v for v in versions.defer("source", "html", "toc_html")}


def verify_chain(chunk_size=2000):
    """Recompute every hash in order, streaming; stop at the first break."""
    versions = versions_by_pk()
    events = AcceptanceEvent.objects.order_by("position").iterator(chunk_size=chunk_size)
    count, expected, previous = 0, 1, None
    previous_hash = GENESIS_HASH
    for event in events:
        broken = _break_in(event, expected, previous, previous_hash, versions)
        if broken:
            return Verification(False, count, previous_hash, event.position, broken)
        count, expected, previous, previous_hash = count + 1, event.position + 1, event, event.hash
    return Verification(True, count, previous_hash)


def _break_in(event, expected, previous, previous_hash, versions):
    if event.position != expected:
        return f"deleted: positions {expected} to {event.position - 1} are missing"
    if event.previous_hash != previous_hash:
        linked = AcceptanceEvent.objects.filter(hash=event.previous_hash).first()
        if linked and linked.position > event.position:
            return f"reordered: it follows event {linked.position}, which comes after it"
        if linked:
            return f"inserted: event(s) between {linked.position} and {event.position}"
        follower = AcceptanceEvent.objects.filter(previous_hash=previous_hash).first()
        if follower and follower.position > event.position:
            return f"inserted: event {follower.position} follows the event before this one"
        return "deleted or replaced: the event it follows is not in the log"
    if previous and event.recorded_at < previous.recorded_at:
        return "reordered: recorded before the event preceding it"
    version = versions.get(event.version_id)
    if event.version_id and (version is None or version.fingerprint != event.fingerprint):
        return "edited: its fingerprint does not match the published version"
    if hash_record(record(event, version)) != event.hash:
        return "edited: its content no longer matches its hash"
    return ""


@dataclass(frozen=True)
class Context:
    """Where and how a statement was shown: the same for every event of a request."""

    page: str
    form_name: str
    form_rendered_at: object
    submit_label: str
    language: str
    client_ip: str | None
    user_agent: str


def _event(owner, context, salt, digests, **fields):
    version = fields.get("version")
    return AcceptanceEvent(
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


class StaleVersions(Exception):
    """A document the form showed is no longer current when the request is recorded."""

    def __init__(self, current):
        super().__init__("The documents changed while the form was open.")
        self.current = current


class FormAlreadySent(Exception):
    """The form's token was already used by a recorded request."""


def kind_of(purpose, given):
    if purpose == AcceptanceEvent.PURPOSE_AGREEMENT:
        return AcceptanceEvent.ACCEPTED
    return AcceptanceEvent.CONSENT_GIVEN if given else AcceptanceEvent.CONSENT_REFUSED


@transaction.atomic
def record_submission(form, context):
    """Write the submission and one event per document and consent: all or nothing.

    Under the chain's lock, the moment of the events is taken and the versions the form
    showed must still be current at that moment (StaleVersions otherwise), and the form's
    token must not have been used (FormAlreadySent): no request accepts a superseded text,
    and none is recorded twice.
    """
    lock_chain()
    now = timezone.now()
    current = form.current_versions(at=now)
    if current is None or not form.token.matches(current):
        raise StaleVersions(current)
    if Submission.objects.filter(form_token_digest=form.token.digest).exists():
        raise FormAlreadySent
    fields, consents = form.fields_typed(), form.consents()
    submission = Submission.objects.create(
        **fields,
        client_ip=context.client_ip,
        user_agent=context.user_agent,
        language=context.language,
        notifications_consent=consents[AcceptanceEvent.PURPOSE_NOTIFICATIONS],
        form_token_digest=form.token.digest,
    )
    digests = subject_digests(
        submission.salt, **fields, client_ip=context.client_ip, user_agent=context.user_agent
    )
    events = [
        _event(
            submission,
            context,
            submission.salt,
            digests,
            kind=kind_of(purpose, consents[purpose]),
            purpose=purpose,
            version=statement.version,
            statement=statement.text,
            submission=submission,
        )  # fmt: skip
        for purpose, statement in form.statements.items()
    ]
    append(events, now)
    return submission


@transaction.atomic
def record_withdrawal(email, reference, scope, statement, context):
    withdrawal = Withdrawal.objects.create(
        email=email,
        submission_reference=reference,
        scope=scope,
        client_ip=context.client_ip,
        user_agent=context.user_agent,
    )
    matching = Submission.objects.none()
    if email:
        matching = Submission.objects.filter(email__iexact=email)
    if reference:
        matching = matching | Submission.objects.filter(reference=reference)
    withdrawal.submissions.set(matching)
    digests = subject_digests(
        withdrawal.salt, email=email, client_ip=context.client_ip, user_agent=context.user_agent
    )
    event = _event(
        withdrawal, context, withdrawal.salt, digests,
        kind=AcceptanceEvent.WITHDRAWN, purpose=scope, statement=statement,
        withdrawal=withdrawal,
    )  # fmt: skip
    append([event])
    return withdrawal


ERASED_STATEMENT = "The personal data of this request was erased at the person's request."


@transaction.atomic
def erase_submission(submission, context):
    """Blank the personal fields; the chain keeps only salted digests, so it still verifies."""
    if submission.erased_at:
        return None
    Submission.objects.filter(pk=submission.pk).update(
        name="", email="", contact="", company="", message="",
        client_ip=None, user_agent="", erased_at=timezone.now(),
    )  # fmt: skip
    event = _event(
        submission, context, submission.salt, {},
        kind=AcceptanceEvent.ERASED, purpose=AcceptanceEvent.PURPOSE_PERSONAL_DATA,
        statement=ERASED_STATEMENT, submission=submission,
    )  # fmt: skip
    append([event])
    submission.refresh_from_db()
    return event
