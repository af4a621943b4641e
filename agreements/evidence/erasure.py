"""Erasure: every copy of a person's data the site keeps is blanked; the chain keeps
only keyed digests, gains an 'erased' event per request, and still verifies. A copy the
site sent to the operator's Kommo CRM cannot be deleted through Kommo's API: the operator
is asked by email to delete it by hand."""

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ..contact.models import Submission, normalise_email
from ..outbox.messages import WITHDRAWAL_REQUEST, queue
from ..outbox.models import OutboxAttempt, OutboxMessage
from ..withdrawal.models import Withdrawal
from .chain import append, new_event
from .models import AcceptanceEvent
from .statements import ERASED_STATEMENT

BLANK_PERSONAL = {
    "name": "", "email": "", "email_key": "", "contact": "", "company": "", "message": "",
    "client_ip": None, "user_agent": "",
}  # fmt: skip
BLANK_MESSAGE = {"recipient": "", "subject": "", "text": "", "html": "", "attachments": [],
                 "headers": {}, "last_error": ""}  # fmt: skip


@transaction.atomic
def erase_submission(submission, context, statement=ERASED_STATEMENT):
    """Blank the personal fields; the chain keeps only keyed digests, so it still verifies."""
    if submission.erased_at:
        return None
    now = timezone.now()
    in_kommo = may_be_in_kommo(submission)
    Submission.objects.filter(pk=submission.pk).update(**BLANK_PERSONAL, erased_at=now)
    blank_messages(submission.messages.all(), now)
    if in_kommo:  # its reference and lead number only: no personal data
        queue(f"kommo-erase:{submission.reference}", "operator_kommo_erasure",
              settings.KOMMOGEN_OPERATOR_EMAIL, submission=submission)  # fmt: skip
    event = new_event(
        submission, context, submission.salt, {},
        kind=AcceptanceEvent.Kind.ERASED, purpose=AcceptanceEvent.Purpose.PERSONAL_DATA,
        statement=statement, submission=submission,
    )  # fmt: skip
    append([event])
    submission.refresh_from_db()
    transaction.on_commit(leave_no_copy_in_the_journal)
    return event


def leave_no_copy_in_the_journal():
    """SQLite keeps the pages a transaction changed in its write-ahead log (-wal) until a
    checkpoint copies them into the database: the erased values stay there until then.
    Copy them now and empty the log (the database overwrites freed content itself:
    secure_delete, settings)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def blank_messages(messages, now):
    """A person's messages keep nothing of them. One not sent yet never will be
    ("failed", nothing left to send); one sent stays "sent": it went out."""
    messages.exclude(state=OutboxMessage.State.SENT).update(
        **BLANK_MESSAGE, erased_at=now, state=OutboxMessage.State.FAILED
    )
    messages.filter(state=OutboxMessage.State.SENT).update(**BLANK_MESSAGE, erased_at=now)
    OutboxAttempt.objects.filter(message__in=messages).update(detail="")


def may_be_in_kommo(submission):
    """Whether the request may have become a lead: its Kommo message was tried at least
    once (Kommo has no idempotency key, so a failed attempt may still have created one)."""
    kommo = submission.messages.filter(channel=OutboxMessage.Channel.KOMMO)
    return kommo.exclude(state=OutboxMessage.State.PENDING, attempts=0).exists()


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
    withdrawals = Withdrawal.objects.filter(email_key=key)
    blank_messages(OutboxMessage.objects.filter(withdrawal__in=withdrawals), timezone.now())
    withdrawals.update(email="", email_key="", client_ip=None, user_agent="")
    erase_typed_withdrawals(key)
    return erased


def erase_typed_withdrawals(key):
    """Withdrawals typed on the public form that the worker has not read yet: what was
    typed is dropped (they were not acted on: nothing matched yet)."""
    typed = OutboxMessage.objects.filter(
        kind=WITHDRAWAL_REQUEST, state=OutboxMessage.State.PENDING
    ).exclude(recipient="")
    mine = [message.pk for message in typed if normalise_email(message.recipient) == key]
    OutboxMessage.objects.filter(pk__in=mine).update(
        **BLANK_MESSAGE, erased_at=timezone.now(), state=OutboxMessage.State.FAILED
    )


WITHDRAWN_STATEMENT = (
    "The personal data of this request was erased: the person withdrew their consent to "
    "its processing."
)


def erase_withdrawn(context):
    """Every confirmed withdrawal of the personal-data consent not yet completed: the
    requests it applies to are erased (each with its event, and the operator asked to
    delete a Kommo lead), its own address, IP and browser are blanked, and it is
    completed, by this and nothing else. Run every night: within the 15 days the
    Privacy Policy promises. The withdrawals completed."""
    pending = Withdrawal.objects.filter(
        scope=Withdrawal.Scope.PERSONAL_DATA, confirmed_at__isnull=False,
        completed_at__isnull=True,
    )  # fmt: skip
    completed = []
    for withdrawal in pending:
        with transaction.atomic():
            for submission in withdrawal.submissions.filter(erased_at__isnull=True):
                erase_submission(submission, context, statement=WITHDRAWN_STATEMENT)
            Withdrawal.objects.filter(pk=withdrawal.pk).update(
                email="", email_key="", client_ip=None, user_agent="",
                completed_at=timezone.now(),
            )  # fmt: skip
            completed.append(withdrawal.reference)
    return completed
