"""Recording and erasing a contact request: each one transaction with its events and
what the areas above do about it; a refusal is a named exception, never a value."""

import hashlib

from django.db import connection, transaction
from django.utils import timezone

from ..core.clients import Context, count_towards_limit
from ..core.models import normalise_email
from ..evidence.chain import append, chain_time, new_event
from ..evidence.digests import subject_digests
from ..evidence.models import AcceptanceEvent, FormSnapshot
from ..evidence.statements import ERASED_STATEMENT, Statement, current_form_versions
from .models import Submission
from .signals import person_erased, submission_erased, submission_recorded

Purpose = AcceptanceEvent.Purpose


class Refused(Exception):
    """Nothing was recorded: the request as a whole is refused (never a visitor's mistake
    in a field, which the form shows under the field)."""


class RateLimited(Refused):
    """The client sent more requests than the rate limit allows (KOMMOGEN_RATE_LIMIT)."""


class FormExpired(Refused):
    """The form was open too long: shown again with what was typed."""


class FormForged(Refused):
    """The form's hidden token was altered or missing."""


class LooksAutomated(Refused):
    """A field people never see was filled in, or the form was sent too fast."""


class StaleVersions(Refused):
    """A document the form showed is no longer current: shown again with the new ones."""

    def __init__(self, current):
        super().__init__("The documents changed while the form was open.")
        self.current = current


class FormAlreadySent(Refused):
    """The form's token was already used by a recorded request."""


def refusal_count(*, refusal: Refused, client_ip: str | None) -> None:
    """A refused form counts towards the rate limit (what looks automated is retried):
    raises RateLimited when over it, else the refusal itself."""
    if count_towards_limit("contact", client_ip):
        raise RateLimited from refusal
    raise refusal


def submission_record(
    *,
    fields: dict,
    consents: dict,
    token,
    statements: dict[str, Statement],
    context: Context,
    form_html: str = "",
) -> Submission:
    """The request, counted towards the rate limit and recorded with one event per
    statement the form showed, in one commit; or RateLimited, StaleVersions or
    FormAlreadySent, with the count alone committed."""
    with transaction.atomic():
        if count_towards_limit("contact", context.client_ip):
            refusal = RateLimited()
        else:
            try:
                with transaction.atomic():  # its savepoint: a refusal leaves the count
                    snapshot = kept_snapshot(form_html, context.language) if form_html else None
                    return record(fields, consents, token, statements, context, snapshot)
            except (StaleVersions, FormAlreadySent) as refused:
                refusal = refused
    raise refusal


def kept_snapshot(html, language):
    """The form as shown, kept once (FormSnapshot): its fingerprint."""
    fingerprint = hashlib.sha256(html.encode()).hexdigest()
    if fingerprint in KEPT:
        return fingerprint
    FormSnapshot.objects.get_or_create(  # two first requests at once: one row, both name it
        fingerprint=fingerprint, defaults={"html": html, "language": language}
    )
    transaction.on_commit(lambda: KEPT.add(fingerprint))  # a rolled-back one is not kept
    return fingerprint


KEPT = set()  # fingerprints this process knows are kept (snapshots are never removed)


def record(fields, consents, token, statements, context, snapshot=None):
    """Under the chain's lock, the moment of the events is taken and the versions the
    form showed must still be current at that moment, and its token unused: no request
    accepts a superseded text, and none is recorded twice."""
    now = chain_time()
    current = current_form_versions(at=now, language=context.language)
    if current is None or not token.matches(current):
        raise StaleVersions(current)
    if Submission.objects.filter(form_token_digest=token.digest).exists():
        raise FormAlreadySent
    submission = Submission.objects.create(
        **fields,
        client_ip=context.client_ip,
        user_agent=context.user_agent,
        language=context.language,
        notifications_consent=consents[Purpose.NOTIFICATIONS],
        form_token_digest=token.digest,
    )
    events = submission_events(submission, statements, fields, consents, context)
    for event in events:
        event.form_snapshot = snapshot
    append(events, now)
    submission_recorded.announce(submission=submission)  # its messages: one commit
    return submission


def kind_of(purpose, given):
    if purpose == Purpose.AGREEMENT:
        return AcceptanceEvent.Kind.ACCEPTED
    return AcceptanceEvent.Kind.CONSENT_GIVEN if given else AcceptanceEvent.Kind.CONSENT_REFUSED


def submission_events(submission, statements, fields, consents, context):
    """One event per statement the form showed: what was accepted, given or refused."""
    digests = subject_digests(
        submission.salt, **fields, client_ip=context.client_ip, user_agent=context.user_agent
    )
    return [
        new_event(
            submission,
            context,
            submission.salt,
            digests,
            kind=kind_of(purpose, consents[purpose]),
            purpose=purpose,
            texts=statement.texts,
            version=statement.version,
            statement=statement.text,
            submission=submission,
        )  # fmt: skip
        for purpose, statement in statements.items()
    ]


BLANK_PERSONAL = {
    "name": "", "email": "", "email_key": "", "contact": "", "company": "", "message": "",
    "client_ip": None, "user_agent": "",
}  # fmt: skip


@transaction.atomic
def submission_erase(
    *, submission: Submission, context: Context, statement: str = ERASED_STATEMENT
) -> AcceptanceEvent | None:
    """Blank the personal fields and every copy the site keeps (the outbox's, through
    submission_erased); the chain keeps only keyed digests, gains an 'erased' event, and
    still verifies. None when it was already erased."""
    if submission.erased_at:
        return None
    now = timezone.now()
    Submission.objects.filter(pk=submission.pk).update(**BLANK_PERSONAL, erased_at=now)
    submission_erased.announce(submission=submission, at=now)
    event = new_event(
        submission, context, submission.salt, {},
        kind=AcceptanceEvent.Kind.ERASED, purpose=Purpose.PERSONAL_DATA,
        statement=statement, submission=submission,
    )  # fmt: skip
    append([event])
    submission.refresh_from_db()
    transaction.on_commit(leave_no_copy_in_the_journal)
    return event


@transaction.atomic
def person_erase(*, email: str, context: Context) -> list[str]:
    """Every copy of one person's data the site keeps: their requests (each with an
    'erased' event) and, through person_erased, their withdrawals' address, IP and
    browser and a withdrawal they typed that the worker has not read yet. The
    references of the requests erased."""
    key = normalise_email(email)
    erased = [
        s.reference
        for s in Submission.objects.filter(email_key=key, erased_at__isnull=True)
        if submission_erase(submission=s, context=context)
    ]
    person_erased.announce(email_key=key)
    return erased


def leave_no_copy_in_the_journal():
    """SQLite keeps the pages a transaction changed in its write-ahead log (-wal) until a
    checkpoint copies them into the database: the erased values stay there until then.
    Copy them now and empty the log (the database overwrites freed content itself:
    secure_delete, settings)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
