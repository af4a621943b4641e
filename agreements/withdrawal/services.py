"""Withdrawing a consent, and erasing a person: each one transaction with its events and
what the areas above do about it (withdrawal/signals.py)."""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from ..contact.models import Submission
from ..contact.services import submission_erase
from ..core.clients import Context
from ..core.models import normalise_email
from ..evidence.chain import append, chain_time, lock_chain, new_event
from ..evidence.digests import subject_digests
from ..evidence.models import AcceptanceEvent
from .models import Withdrawal
from .signals import (
    withdrawal_confirmed,
    withdrawal_requested,
    withdrawal_typed,
    withdrawals_erased,
)

WITHDRAWN_STATEMENT = (
    "The personal data of this request was erased: the person withdrew their consent to "
    "its processing."
)


def withdrawal_statement(scope):
    """What a person who withdraws a consent states, in the page's language."""
    if scope == Withdrawal.Scope.NOTIFICATIONS:
        return gettext("I withdraw my consent to informational notifications only.")
    return gettext("I withdraw my consent to the processing of personal data.")


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


def withdrawal_hand_over(*, email: str, reference: str, scope: str, context: Context) -> None:
    """A withdrawal typed on the public form, handed to the worker: the request does the
    same work whether or not anything matches (one row), so neither the page nor its
    timing tells whether an address or a reference is known."""
    typed = {"email": email, "reference": reference, "scope": scope,
             "client_ip": context.client_ip, "user_agent": context.user_agent,
             "language": context.language}  # fmt: skip
    withdrawal_typed.announce(typed=typed)


@transaction.atomic
def withdrawal_request(
    *, email: str, reference: str, scope: str, context: Context
) -> list[Withdrawal]:
    """A typed withdrawal, read by the worker: pending until a link emailed to the
    requests' address is followed, so nobody withdraws another person's consent.

    One pending withdrawal per mailbox among the requests named: its link goes to that
    mailbox only and reaches only that mailbox's requests, so typing a victim's address
    beside one's own reference confirms nothing for the victim. The withdrawals made
    (none when nothing matches: the page said the same either way)."""
    withdrawals = []
    for requests in by_mailbox(requests_of(email, reference)):
        withdrawal = Withdrawal.objects.create(
            email=requests[0].email, submission_reference=reference, scope=scope,
            client_ip=context.client_ip, user_agent=context.user_agent,
            language=context.language,
        )  # fmt: skip
        withdrawal.submissions.set(requests)
        withdrawal_requested.announce(withdrawal=withdrawal)
        withdrawals.append(withdrawal)
    return withdrawals


@transaction.atomic
def withdrawal_record(
    *, submission: Submission, scope: str, context: Context, mailbox: bool = False
) -> Withdrawal:
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
    return withdrawal_confirm(withdrawal=withdrawal, context=context)


@transaction.atomic
def withdrawal_confirm(*, withdrawal: Withdrawal, context: Context) -> Withdrawal:
    """The withdrawal takes effect: its event states it in the page's language and names
    the requests it applies to. Confirming it again changes nothing."""
    withdrawal = Withdrawal.objects.select_for_update().get(pk=withdrawal.pk)
    if withdrawal.confirmed_at:
        return withdrawal
    now = chain_time()
    # Notifications stop at once (no notice goes to a withdrawn request): completed now.
    # A withdrawal of the personal-data consent is completed by the erasure it causes
    # (withdrawn_erase, every night), never by hand.
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
        kind=AcceptanceEvent.Kind.WITHDRAWN, purpose=withdrawal.scope,
        statement=withdrawal_statement(withdrawal.scope), withdrawal=withdrawal,
    )  # fmt: skip
    event.applies_to = sorted(withdrawal.submissions.values_list("reference", flat=True))
    append([event], now)
    withdrawal_confirmed.announce(withdrawal=withdrawal)
    return withdrawal


def blank(withdrawals: QuerySet) -> int:
    """Withdrawals keep nothing of the person: address, IP, browser (and the outbox's
    copies, through withdrawals_erased). How many were blanked."""
    withdrawals_erased.announce(withdrawals=withdrawals)
    return withdrawals.update(email="", email_key="", client_ip=None, user_agent="")


def withdrawn_erase(*, context: Context) -> list[str]:
    """Every confirmed withdrawal of the personal-data consent not yet completed: the
    requests it applies to are erased (each with its event, and the operator asked to
    delete a Kommo lead), its own address, IP and browser are blanked, and it is
    completed, by this and nothing else. Run every night: within the 15 days the
    Privacy Policy promises. The references of the withdrawals completed."""
    pending = Withdrawal.objects.filter(
        scope=Withdrawal.Scope.PERSONAL_DATA, confirmed_at__isnull=False,
        completed_at__isnull=True,
    )  # fmt: skip
    completed = []
    for withdrawal in pending:
        with transaction.atomic():
            for submission in withdrawal.submissions.filter(erased_at__isnull=True):
                submission_erase(
                    submission=submission, context=context, statement=WITHDRAWN_STATEMENT
                )
            blank(Withdrawal.objects.filter(pk=withdrawal.pk))
            Withdrawal.objects.filter(pk=withdrawal.pk).update(completed_at=timezone.now())
            completed.append(withdrawal.reference)
    return completed
