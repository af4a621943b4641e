"""The evidence chain: canonical serialisation (RFC 8785), hashing, append and verify.

Each acceptance event is hashed over its canonical JSON record, which includes the
previous event's hash: any later edit, deletion, insertion or reordering shows.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, timedelta

import rfc8785
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import (
    AcceptanceEvent,
    ChainVerification,
    Submission,
    Version,
    Withdrawal,
    normalise_email,
)

GENESIS_HASH = "0" * 64
PERSONAL_FIELDS = ("name", "email", "contact", "company", "message", "client_ip", "user_agent")
# Any constant: the key of PostgreSQL's advisory lock that serialises appends.
CHAIN_LOCK_KEY = 73022025
# Record format 2 (events recorded since 2026-11-27): keyed digests, every text shown,
# and what the event belongs to. Format 1 events keep verifying as they were recorded.
RECORD_FORMAT = 2
ONE_MICROSECOND = timedelta(microseconds=1)


def normalised(field, value):
    """A personal value as it is digested: trimmed, and emails by normalise_email()."""
    value = str(value).strip()
    return normalise_email(value) if field == "email" else value


def key_id():
    """Names the evidence key without revealing it: which key made an event's digests."""
    return hashlib.sha256(settings.EVIDENCE_KEY.encode()).hexdigest()[:16]


def keyed_digest(salt, field, value):
    """HMAC-SHA-256, keyed with the evidence key, of "salt:value"; None for no value.

    Without the key (kept outside the database) a digest cannot be tested against
    guesses, so a phone number or an IP address cannot be read back by brute force.
    """
    if value in (None, ""):
        return None
    message = f"{salt}:{normalised(field, value)}".encode()
    return hmac.new(settings.EVIDENCE_KEY.encode(), message, hashlib.sha256).hexdigest()


def legacy_digest(salt, value):
    """Format 1 events (before 2026-11-27): SHA-256 of "salt:value", emails in lower case."""
    if value in (None, ""):
        return None
    value = str(value).strip()
    if "@" in value:
        value = value.casefold()
    return hashlib.sha256(f"{salt}:{value}".encode()).hexdigest()


def subject_digests(salt, **personal):
    return {field: keyed_digest(salt, field, personal.get(field)) for field in PERSONAL_FIELDS}


def digest_matches(event, field, value):
    """Whether the event's digest of field is of value (the operator's check, with the key)."""
    expected = event.subject_digests.get(field)
    if not expected:
        return False
    if event.subject_key_id:
        return keyed_digest(event.subject_salt, field, value) == expected
    return legacy_digest(event.subject_salt, value) == expected


def timestamp(moment):
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def text_of(version):
    """How a text shown to the visitor is named in a record."""
    return {
        "document": version.document.slug,
        "version": version.number,
        "fingerprint": version.fingerprint,
        "html_fingerprint": version.html_fingerprint,
    }


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


@dataclass(frozen=True)
class PublishedText:
    """A published version as verification needs it, its text re-hashed once."""

    version: Version
    source_ok: bool
    html_ok: bool

    def problem(self):
        if not self.source_ok:
            return f"edited: the text of {self.version} no longer matches its fingerprint"
        if not self.html_ok:
            return f"edited: the HTML of {self.version} no longer matches its fingerprint"
        return ""


def published_texts():
    """Every published version by primary key and by (document, number), re-hashed."""
    texts = {}
    for version in Version.objects.published().select_related("document").iterator():
        html = hashlib.sha256(version.html.encode()).hexdigest()
        source_ok = hashlib.sha256(version.source.encode()).hexdigest() == version.fingerprint
        html_ok = version.html_fingerprint in (None, html)
        version.source = version.html = version.toc_html = ""  # keep memory small
        text = PublishedText(version, source_ok, html_ok)
        texts[version.pk] = texts[(version.document.slug, version.number)] = text
    return texts


def versions_by_pk():
    """Every published version (without its text) with its document, by primary key."""
    versions = Version.objects.published().select_related("document")
    return {v.pk: v for v in versions.defer("source", "html", "toc_html")}


def events_with_owners(events):
    """Events with owner_reference: the reference of the request or withdrawal they point at."""
    owner = Coalesce(F("submission__reference"), F("withdrawal__reference"))
    return events.select_related(None).annotate(owner_reference=owner)


def verify_chain(chunk_size=2000):
    """Recompute every hash in order, streaming; stop at the first break."""
    texts = published_texts()
    events = events_with_owners(AcceptanceEvent.objects.order_by("position"))
    count, expected, previous = 0, 1, None
    previous_hash = GENESIS_HASH
    for event in events.iterator(chunk_size=chunk_size):
        broken = _break_in(event, expected, previous, previous_hash, texts)
        if broken:
            return Verification(False, count, previous_hash, event.position, broken)
        count, expected, previous, previous_hash = count + 1, event.position + 1, event, event.hash
    return Verification(True, count, previous_hash)


def verify_events(events):
    """Check a few events (one request's) without reading the whole chain: each one's
    content and hash, and its links to the events just before and after it in the chain.
    A list of (position, what is wrong); empty when all is well."""
    events = list(events_with_owners(events.order_by("position")))
    positions = {p for e in events for p in (e.position - 1, e.position + 1)}
    neighbours = AcceptanceEvent.objects.filter(position__in=positions)
    hashes = dict(neighbours.values_list("position", "hash"))
    following = dict(neighbours.values_list("position", "previous_hash"))
    texts, problems = published_texts(), []
    for event in events:
        before = GENESIS_HASH if event.position == 1 else hashes.get(event.position - 1)
        if event.previous_hash != before:
            problems.append((event.position, "its link to the event before it is broken"))
        after = following.get(event.position + 1)
        if after is not None and after != event.hash:
            problems.append((event.position, "the event after it does not link to it"))
        broken = _content_break(event, texts)
        if broken:
            problems.append((event.position, broken))
    return problems


def verify_and_remember():
    """verify_chain(), its result kept for admin's evidence sheets (ChainVerification)."""
    started = timezone.now()
    result = verify_chain()
    ChainVerification.objects.create(
        started_at=started, finished_at=timezone.now(), ok=result.ok, count=result.count,
        head_hash=result.head_hash, broken_position=result.broken_position,
        reason=result.reason,
    )  # fmt: skip
    return result


def _break_in(event, expected, previous, previous_hash, texts):
    if event.position != expected:
        return f"deleted: positions {expected} to {event.position - 1} are missing"
    if event.previous_hash != previous_hash:
        return _link_break(event, previous_hash)
    if previous and event.recorded_at < previous.recorded_at:
        return "reordered: recorded before the event preceding it"
    return _content_break(event, texts)


def _link_break(event, previous_hash):
    linked = AcceptanceEvent.objects.filter(hash=event.previous_hash).first()
    if linked and linked.position > event.position:
        return f"reordered: it follows event {linked.position}, which comes after it"
    if linked:
        return f"inserted: event(s) between {linked.position} and {event.position}"
    follower = AcceptanceEvent.objects.filter(previous_hash=previous_hash).first()
    if follower and follower.position > event.position:
        return f"inserted: event {follower.position} follows the event before this one"
    return "deleted or replaced: the event it follows is not in the log"


def _content_break(event, texts):
    """What is wrong with the event's own content, or ""."""
    owner = getattr(event, "owner_reference", None)
    if owner is not None and owner != event.reference:
        return f"edited: it points at {owner}, but its record names {event.reference}"
    text = texts.get(event.version_id) if event.version_id else None
    if event.version_id and (text is None or text.version.fingerprint != event.fingerprint):
        return "edited: its fingerprint does not match the published version"
    for shown in event.texts or []:
        linked = texts.get((shown.get("document"), shown.get("version")))
        if linked is None or text_of(linked.version) != shown:
            return f"edited: the {shown.get('document')} text it names is not as published"
        if linked.problem():
            return linked.problem()
    if text and text.problem():
        return text.problem()
    if hash_record(record(event, text.version if text else None)) != event.hash:
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


def _event(owner, context, salt, digests, texts=(), **fields):
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
    now = chain_time()
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
            texts=statement.texts,
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
        matching = Submission.objects.filter(email_key=normalise_email(email))
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
EXPIRED_STATEMENT = "The personal data of this request was erased: its retention period ended."
BLANK_PERSONAL = {
    "name": "", "email": "", "email_key": "", "contact": "", "company": "", "message": "",
    "client_ip": None, "user_agent": "", "notification_error": "",
}  # fmt: skip


@transaction.atomic
def erase_submission(submission, context, statement=ERASED_STATEMENT):
    """Blank the personal fields; the chain keeps only keyed digests, so it still verifies."""
    if submission.erased_at:
        return None
    Submission.objects.filter(pk=submission.pk).update(**BLANK_PERSONAL, erased_at=timezone.now())
    event = _event(
        submission, context, submission.salt, {},
        kind=AcceptanceEvent.ERASED, purpose=AcceptanceEvent.PURPOSE_PERSONAL_DATA,
        statement=statement, submission=submission,
    )  # fmt: skip
    append([event])
    submission.refresh_from_db()
    return event


@transaction.atomic
def erase_person(email, context):
    """Every copy of one person's data the site keeps: their requests (each with an
    'erased' event) and their withdrawals' address, IP and browser. The references of
    the requests erased."""
    key = normalise_email(email)
    erased = [
        s.reference
        for s in Submission.objects.filter(email_key=key, erased_at__isnull=True)
        if erase_submission(s, context)
    ]
    Withdrawal.objects.filter(email_key=key).update(
        email="", email_key="", client_ip=None, user_agent="", notification_error=""
    )
    return erased
