"""Recording what a person did, each in one transaction with its events and the
messages it causes (the outbox): a request (record_submission) and a withdrawal
(record_withdrawal)."""

import json
import secrets

from django.db import transaction
from django.utils import timezone

from ..contact.models import Submission, normalise_email
from ..outbox.messages import (
    WITHDRAWAL_REQUEST,
    queue_for_submission,
    queue_for_withdrawal,
    queue_withdrawal_confirmation,
)
from ..outbox.models import OutboxMessage
from ..withdrawal.models import Withdrawal
from .chain import Context, append, chain_time, lock_chain, new_event
from .digests import subject_digests
from .models import AcceptanceEvent
from .statements import CONFIRM_STATEMENT, NOTICE_STATEMENT


class StaleVersions(Exception):
    """A document the form showed is no longer current when the request is recorded."""

    def __init__(self, current):
        super().__init__("The documents changed while the form was open.")
        self.current = current


class FormAlreadySent(Exception):
    """The form's token was already used by a recorded request."""


def kind_of(purpose, given):
    if purpose == AcceptanceEvent.Purpose.AGREEMENT:
        return AcceptanceEvent.Kind.ACCEPTED
    return AcceptanceEvent.Kind.CONSENT_GIVEN if given else AcceptanceEvent.Kind.CONSENT_REFUSED


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
        notifications_consent=consents[AcceptanceEvent.Purpose.NOTIFICATIONS],
        form_token_digest=form.token.digest,
    )
    append(submission_events(submission, form, fields, consents, context), now)
    queue_for_submission(submission)  # in this transaction: one commit, nothing sent here
    return submission


def submission_events(submission, form, fields, consents, context):
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
        for purpose, statement in form.statements.items()
    ]


def requests_of(email, reference):
    """The requests a withdrawal names: by the one normalisation of the email, or by the
    request's reference."""
    matching = Submission.objects.none()
    if email:
        matching = Submission.objects.filter(email_key=normalise_email(email))
    if reference:
        matching = matching | Submission.objects.filter(reference=reference)
    return matching


def by_mailbox(submissions):
    """The requests grouped by the mailbox they were sent from (none without an address)."""
    mailboxes = {}
    for submission in submissions:
        if submission.email_key:
            mailboxes.setdefault(submission.email_key, []).append(submission)
    return list(mailboxes.values())


def queue_withdrawal_request(email, reference, scope, context):
    """A withdrawal typed on the public form, handed to the worker: the request does the
    same work whether or not anything matches (one row), so neither the page nor its
    timing tells whether an address or a reference is known."""
    typed = {"email": email, "reference": reference, "scope": scope,
             "client_ip": context.client_ip, "user_agent": context.user_agent,
             "language": context.language}  # fmt: skip
    OutboxMessage.objects.create(
        key=f"withdrawal-request:{secrets.token_hex(8)}", kind=WITHDRAWAL_REQUEST,
        recipient=email, text=json.dumps(typed),
    )  # fmt: skip


def resolve_withdrawal_request(message):
    """The worker's part of a typed withdrawal: the pending withdrawals and their links;
    then the row keeps nothing of what was typed."""
    typed = json.loads(message.text)
    with transaction.atomic():
        context = Context("", "withdraw", None, "", typed.get("language", ""),
                          typed["client_ip"], typed["user_agent"])  # fmt: skip
        request_withdrawal(typed["email"], typed["reference"], typed["scope"], context)
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=OutboxMessage.State.SENT, sent_at=timezone.now(), recipient="", text=""
        )


@transaction.atomic
def request_withdrawal(email, reference, scope, context):
    """A withdrawal typed on the public form: pending until a link emailed to the
    requests' address is followed, so nobody withdraws another person's consent.

    One pending withdrawal per mailbox among the requests named: its link goes to that
    mailbox only and reaches only that mailbox's requests, so typing a victim's address
    beside one's own reference confirms nothing for the victim. The withdrawals made
    (none when nothing matches: the page says the same either way)."""
    withdrawals = []
    for requests in by_mailbox(requests_of(email, reference)):
        withdrawal = Withdrawal.objects.create(
            email=requests[0].email, submission_reference=reference, scope=scope,
            client_ip=context.client_ip, user_agent=context.user_agent,
            language=context.language,
        )  # fmt: skip
        withdrawal.submissions.set(requests)
        queue_withdrawal_confirmation(withdrawal)
        withdrawals.append(withdrawal)
    return withdrawals


@transaction.atomic
def record_withdrawal(submission, scope, statement, context, mailbox=False):
    """A withdrawal that takes effect at once: from a receipt's private page (that request
    only), or an unsubscribe link mailed to the request's address (mailbox=True: every
    request sent from that mailbox). Idempotent: when a withdrawal of the same consent
    already covers the request, that one is returned and nothing new is recorded."""
    lock_chain()  # two presses at once: the second waits, then finds the first
    existing = Withdrawal.objects.filter(
        submissions=submission, scope=scope, confirmed_at__isnull=False
    ).first()
    if existing:
        return existing
    withdrawal = Withdrawal.objects.create(
        email=submission.email, submission_reference=submission.reference, scope=scope,
        client_ip=context.client_ip, user_agent=context.user_agent, language=context.language,
    )  # fmt: skip
    reaches = [submission]
    if mailbox and submission.email_key:
        reaches = Submission.objects.filter(email_key=submission.email_key)
    withdrawal.submissions.set(reaches)
    return confirm_withdrawal(withdrawal, statement, context)


@transaction.atomic
def confirm_withdrawal(withdrawal, statement, context):
    """The withdrawal takes effect: its event names the requests it applies to."""
    withdrawal = Withdrawal.objects.select_for_update().get(pk=withdrawal.pk)
    if withdrawal.confirmed_at:
        return withdrawal
    now = chain_time()
    # Notifications stop at once (no notice goes to a withdrawn request): completed now.
    # A withdrawal of the personal-data consent is completed by the erasure it causes
    # (erasure.erase_withdrawn, every night), never by hand.
    notifications = withdrawal.scope == Withdrawal.Scope.NOTIFICATIONS
    Withdrawal.objects.filter(pk=withdrawal.pk).update(
        confirmed_at=now, completed_at=now if notifications else None
    )
    withdrawal.confirmed_at = now
    digests = subject_digests(
        withdrawal.salt, email=withdrawal.email, client_ip=context.client_ip,
        user_agent=context.user_agent,
    )  # fmt: skip
    event = new_event(
        withdrawal, context, withdrawal.salt, digests,
        kind=AcceptanceEvent.Kind.WITHDRAWN, purpose=withdrawal.scope, statement=statement,
        withdrawal=withdrawal,
    )  # fmt: skip
    event.applies_to = sorted(withdrawal.submissions.values_list("reference", flat=True))
    append([event], now)
    queue_for_withdrawal(withdrawal)
    return withdrawal


@transaction.atomic
def confirm_notifications(submission, context):
    """Double opt-in: the notifications consent takes effect; an event says so. None if
    it was already confirmed."""
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if submission.notifications_confirmed_at:
        return None
    given = submission.events.filter(purpose=AcceptanceEvent.Purpose.NOTIFICATIONS).first()
    now = chain_time()
    Submission.objects.filter(pk=submission.pk).update(notifications_confirmed_at=now)
    digests = subject_digests(
        submission.salt, email=submission.email, client_ip=context.client_ip,
        user_agent=context.user_agent,
    )  # fmt: skip
    event = new_event(
        submission, context, submission.salt, digests,
        kind=AcceptanceEvent.Kind.CONFIRMED, purpose=AcceptanceEvent.Purpose.NOTIFICATIONS,
        version=given.version, texts=[], submission=submission,
        statement=CONFIRM_STATEMENT.format(reference=submission.reference),
    )  # fmt: skip
    event.texts = given.texts or []
    append([event], now)
    return event


def record_notice_sent(message):
    """The worker sent a notice of a new version: the chain records who and which."""
    submission, version = message.submission, message.notice_of
    context = Context("", "notice", None, "", "", None, "")
    event = new_event(
        submission, context, submission.salt, {},
        kind=AcceptanceEvent.Kind.NOTIFIED, purpose=AcceptanceEvent.Purpose.NOTIFICATIONS,
        version=version, texts=[version], submission=submission,
        statement=NOTICE_STATEMENT.format(version=version, reference=submission.reference),
    )  # fmt: skip
    append([event])
