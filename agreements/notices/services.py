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


class AlreadyAnswered(Exception):
    """This request has answered this version already: the event before stands."""

    def __init__(self, event):
        super().__init__("Answered already.")
        self.event = event


def earlier_acceptance(submission: Submission, version: Version) -> AcceptanceEvent | None:
    """The request's latest acceptance of another version of the document."""
    accepted = submission.events.filter(
        version__document_id=version.document_id, kind__in=("accepted", "consent_given")
    ).exclude(version=version)
    return accepted.select_related("version__translates").order_by("-position").first()


@transaction.atomic
def reacceptance_record(
    *, submission: Submission, version: Version, accepted: bool, statement: str, context: Context
) -> AcceptanceEvent:
    """A person's answer to a material change, tied to their earlier request: an
    'accepted' or a 'declined' event naming the version, with the wording shown. One
    answer per request and version (AlreadyAnswered after)."""
    now = chain_time()  # the chain's lock: two presses at once record one answer
    answered = submission.events.filter(version=version, kind__in=("accepted", "declined"))
    answered = answered.exclude(form_name="contact").first()
    if answered:
        raise AlreadyAnswered(answered)
    purpose = Purpose.AGREEMENT if version.document.slug == "agreement" else Purpose.PERSONAL_DATA
    event = new_event(
        submission, context, submission.salt, {},
        kind=AcceptanceEvent.Kind.ACCEPTED if accepted else AcceptanceEvent.Kind.DECLINED,
        purpose=purpose, version=version, texts=[version], statement=statement,
        submission=submission,
    )  # fmt: skip
    append([event], now)
    return event
