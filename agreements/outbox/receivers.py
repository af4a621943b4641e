"""What the outbox does when the areas below announce something (their signals.py):
queue the messages it causes, or blank the copies an erasure removes. Each runs in the
announcing transaction, so a message exists exactly when what caused it was recorded.
Connected in AppConfig.ready() (agreements/apps.py)."""

import json
import secrets

from django.conf import settings
from django.utils import timezone

from ..contact.signals import person_erased, submission_erased, submission_recorded
from ..core.models import normalise_email
from ..documents.models import ENGLISH
from ..documents.signals import version_published
from ..rights.signals import my_data_asked, my_data_link_made
from ..withdrawal.signals import (
    withdrawal_confirmed,
    withdrawal_requested,
    withdrawal_typed,
    withdrawals_erased,
)
from .messages import (
    MY_DATA_REQUEST,
    TYPED_KINDS,
    WITHDRAWAL_REQUEST,
    queue,
    queue_for_submission,
    queue_for_withdrawal,
    queue_material_notices,
    queue_my_data_link,
    queue_notices,
    queue_withdrawal_confirmation,
)
from .models import OutboxAttempt, OutboxMessage

BLANK_MESSAGE = {"recipient": "", "subject": "", "text": "", "html": "", "attachments": [],
                 "headers": {}, "last_error": ""}  # fmt: skip


def on_version_published(version, **_):
    if version.language != ENGLISH:  # the original: subscribers hear of it in their language
        return
    if version.material:
        queue_material_notices(version)
    else:
        queue_notices(version)


def on_submission_recorded(submission, **_):
    queue_for_submission(submission)


def on_withdrawal_typed(typed, **_):
    """The typed withdrawal as the worker's work (outbox/delivery.py reads it, then
    the row keeps nothing of what was typed)."""
    OutboxMessage.objects.create(
        key=f"withdrawal-request:{secrets.token_hex(8)}", kind=WITHDRAWAL_REQUEST,
        recipient=typed["email"], text=json.dumps(typed),
    )  # fmt: skip


def on_my_data_asked(typed, **_):
    """The address typed on /my-data/, as the worker's work (outbox/delivery.py)."""
    OutboxMessage.objects.create(
        key=f"my-data-request:{secrets.token_hex(8)}", kind=MY_DATA_REQUEST,
        recipient=typed["email"], text=json.dumps(typed),
    )  # fmt: skip


def on_my_data_link_made(email, language, token, **_):
    queue_my_data_link(email, language, token)


def on_withdrawal_requested(withdrawal, **_):
    queue_withdrawal_confirmation(withdrawal)


def on_withdrawal_confirmed(withdrawal, **_):
    queue_for_withdrawal(withdrawal)


def on_submission_erased(submission, at, **_):
    """The request's messages keep nothing of the person, nor does a withdrawal typed with
    its reference that the worker has not read yet; a lead it may have made in Kommo
    (which the API cannot delete) is the operator's to delete, by an email that carries
    only its reference and lead number."""
    in_kommo = may_be_in_kommo(submission)
    blank_messages(submission.messages.all(), at)
    drop_typed_withdrawals(lambda typed: typed.get("reference") == submission.reference, at)
    if in_kommo:
        queue(f"kommo-erase:{submission.reference}", "operator_kommo_erasure",
              settings.KOMMOGEN_OPERATOR_EMAIL, submission=submission)  # fmt: skip


def on_withdrawals_erased(withdrawals, **_):
    blank_messages(OutboxMessage.objects.filter(withdrawal__in=withdrawals), timezone.now())


def on_person_erased(email_key, **_):
    """What the person typed that the worker has not read yet, and the links to their data
    emailed to them, keep nothing of them."""

    def typed_by_them(typed):
        return normalise_email(typed.get("email")) == email_key

    now = timezone.now()
    drop_typed_withdrawals(typed_by_them, now)
    links = OutboxMessage.objects.filter(kind="my_data_link").exclude(recipient="")
    theirs = [m.pk for m in links if normalise_email(m.recipient) == email_key]
    blank_messages(OutboxMessage.objects.filter(pk__in=theirs), now)


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


def drop_typed_withdrawals(matches, now):
    """Withdrawals typed on the public form that the worker has not read yet and that
    `matches` (what was typed → bool): what was typed is dropped; they were not acted on."""
    typed = OutboxMessage.objects.filter(
        kind__in=TYPED_KINDS, state=OutboxMessage.State.PENDING
    ).exclude(text="")
    mine = [message.pk for message in typed if matches(json.loads(message.text))]
    OutboxMessage.objects.filter(pk__in=mine).update(
        **BLANK_MESSAGE, erased_at=now, state=OutboxMessage.State.FAILED
    )


def connect():
    """Called once, from AppConfig.ready()."""
    for signal, receiver in (
        (version_published, on_version_published),
        (submission_recorded, on_submission_recorded),
        (submission_erased, on_submission_erased),
        (withdrawal_typed, on_withdrawal_typed),
        (withdrawal_requested, on_withdrawal_requested),
        (withdrawal_confirmed, on_withdrawal_confirmed),
        (withdrawals_erased, on_withdrawals_erased),
        (person_erased, on_person_erased),
        (my_data_asked, on_my_data_asked),
        (my_data_link_made, on_my_data_link_made),
    ):
        signal.connect(receiver, dispatch_uid=f"outbox.{receiver.__name__}")
