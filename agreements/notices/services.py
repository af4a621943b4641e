"""The notifications a person asked for: confirming that consent by the emailed link
(double opt-in), and recording each notice sent, as chain events."""

from django.db import transaction

from ..contact.models import Submission
from ..core.clients import Context
from ..documents.models import Version
from ..evidence.chain import append, chain_time, new_event
from ..evidence.digests import subject_digests
from ..evidence.models import AcceptanceEvent
from ..evidence.statements import CONFIRM_STATEMENT, NOTICE_STATEMENT

Purpose = AcceptanceEvent.Purpose


@transaction.atomic
def notifications_confirm(*, submission: Submission, context: Context) -> AcceptanceEvent | None:
    """Double opt-in: the notifications consent takes effect; an event says so. None if
    it was already confirmed."""
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if submission.notifications_confirmed_at:
        return None
    given = submission.events.filter(purpose=Purpose.NOTIFICATIONS).first()
    now = chain_time()
    Submission.objects.filter(pk=submission.pk).update(notifications_confirmed_at=now)
    digests = subject_digests(
        submission.salt, email=submission.email, client_ip=context.client_ip,
        user_agent=context.user_agent,
    )  # fmt: skip
    event = new_event(
        submission, context, submission.salt, digests,
        kind=AcceptanceEvent.Kind.CONFIRMED, purpose=Purpose.NOTIFICATIONS,
        version=given.version, texts=[], submission=submission,
        statement=CONFIRM_STATEMENT.format(reference=submission.reference),
    )  # fmt: skip
    event.texts = given.texts or []
    append([event], now)
    return event


def notice_record_sent(*, submission: Submission, version: Version) -> None:
    """A notice of a new version went out: the chain records who was told of which (in
    the transaction that marks the message sent)."""
    event = new_event(
        submission, Context.without_request("notice"), submission.salt, {},
        kind=AcceptanceEvent.Kind.NOTIFIED, purpose=Purpose.NOTIFICATIONS,
        version=version, texts=[version], submission=submission,
        statement=NOTICE_STATEMENT.format(version=version, reference=submission.reference),
    )  # fmt: skip
    append([event])
