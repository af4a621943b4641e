"""Delivering the outbox: one message at a time, claimed, sent, then marked; failures
are retried with exponential backoff and stop after KOMMOGEN_OUTBOX_MAX_ATTEMPTS.

At most once: a message is marked "sending" in its own transaction before it is sent,
and only a "pending" one is ever claimed. If the worker dies mid-send, the message
stays "sending" until its lease (KOMMOGEN_OUTBOX_LEASE_SECONDS) runs out, then is
recovered (recover_stalled): a Kommo lead is tried again, which is safe because every
Kommo send searches for the lead first; an email may already have reached the mail
server, so it is marked failed and the operator is told, to check and send it again.
A duplicate is still possible when a mail server accepts a message but the connection
breaks before it says so (SMTP has no idempotency key): the attempt counts as failed
and is retried. Each message keeps one Message-ID, so mail clients can tell.
"""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.utils import timezone

from . import kommo
from .messages import ALERT_KINDS, WITHDRAWAL_REQUEST, compose, queue_operator_alert
from .models import OutboxMessage

FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=6)


def backoff(attempts):
    """30 s after the first failure, then twice as long each time, at most 6 hours."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


def lease():
    return timedelta(seconds=settings.KOMMOGEN_OUTBOX_LEASE_SECONDS)


def recover_stalled(now=None):
    """Messages left "sending" past their lease: Kommo ones wait again; emails are marked
    failed and raised to the operator (admin, and an email). The number recovered."""
    now = now or timezone.now()
    stalled = OutboxMessage.objects.filter(
        state=OutboxMessage.State.SENDING, claimed_at__lt=now - lease()
    )
    recovered = 0
    for message in stalled:
        with transaction.atomic():
            kommo_lead = message.channel == OutboxMessage.Channel.KOMMO
            changed = OutboxMessage.objects.filter(
                pk=message.pk, state=OutboxMessage.State.SENDING
            ).update(
                state=OutboxMessage.State.PENDING if kommo_lead else OutboxMessage.State.FAILED,
                next_attempt_at=now,
                last_error=STALLED_KOMMO if kommo_lead else STALLED_EMAIL,
            )
            if changed and not kommo_lead and message.kind not in ALERT_KINDS:
                queue_operator_alert(message)
            recovered += changed
    return recovered


STALLED_KOMMO = "The worker stopped while sending; tried again (Kommo is searched first)."
STALLED_EMAIL = (
    "The worker stopped while sending: the mail server may or may not have taken it. "
    "Check with the recipient, then Send again if it did not arrive."
)


def claim_next():
    """The oldest message due, marked "sending" and committed; None when none is due."""
    with transaction.atomic():
        due = OutboxMessage.objects.filter(
            state=OutboxMessage.State.PENDING, next_attempt_at__lte=timezone.now()
        ).order_by("next_attempt_at", "pk")
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        message = due.first()
        if message is None:
            return None
        message.state, message.claimed_at = OutboxMessage.State.SENDING, timezone.now()
        message.attempts += 1
        message.save(update_fields=["state", "claimed_at", "attempts"])
    return message


def message_id(message):
    """One Message-ID per message, the same at every attempt."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<outbox-{message.pk}.{int(message.created_at.timestamp())}@{host}>"


def send(message, mail):
    email = EmailMultiAlternatives(
        message.subject,
        message.text,
        settings.DEFAULT_FROM_EMAIL,
        [message.recipient],
        headers={"Message-ID": message_id(message), **message.headers},
        connection=mail,
    )
    if message.html:
        email.attach_alternative(message.html, "text/html")
    for attachment in message.attachments:
        # As UTF-8 bytes: a str would be encoded by the email package as it sees fit
        # (raw-unicode-escape), and a receipt in Russian or Vietnamese would not be JSON.
        content = attachment["content"].encode("utf-8")
        email.attach(attachment["name"], content, attachment["content_type"])
    mail.open()  # opened here, it stays open for the next message (Django's backend)
    email.send()


def deliver(message, mail):
    """Send one claimed message and record the outcome; True when it went out.
    mail: the connection to the mail server, kept open between messages."""
    if message.kind == WITHDRAWAL_REQUEST:  # work handed over by a request, not a message
        from ..evidence.recording import resolve_withdrawal_request

        resolve_withdrawal_request(message)
        return True
    try:
        if not message.text:  # worded now, not in the request that queued it
            compose(message)
        if message.channel == OutboxMessage.Channel.KOMMO:
            kommo.send(message)
        else:
            send(message, mail)
    except kommo.KommoUnavailable as error:
        failed(message, error, error.retry_after)
        return False
    except Exception as error:  # any failure of the mail server: retried later
        mail.close()  # the next message opens a fresh connection
        failed(message, error)
        return False
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=OutboxMessage.State.SENT, sent_at=timezone.now(), last_error=""
        )
        if message.notice_of_id:  # who was told of which version, and when: in the chain
            from ..evidence.recording import record_notice_sent

            record_notice_sent(message)
    return True


def failed(message, error, retry_after=None):
    """Wait and try again (as long as the receiver asked, with Retry-After), or give up."""
    gave_up = message.attempts >= settings.KOMMOGEN_OUTBOX_MAX_ATTEMPTS
    wait = backoff(message.attempts)
    if retry_after is not None:
        cap = settings.KOMMOGEN_RETRY_AFTER_MAX_SECONDS
        wait = timedelta(seconds=min(max(retry_after, 0), cap))
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=OutboxMessage.State.FAILED if gave_up else OutboxMessage.State.PENDING,
        next_attempt_at=timezone.now() + wait,
        last_error=f"{type(error).__name__}: {error}"[:1000],
    )


def deliver_due(limit=None, stopping=lambda: False):
    """Deliver every message due now (at most limit, and none after stopping() is true),
    over one connection to the mail server: (sent, failed)."""
    sent = failures = 0
    recover_stalled()
    mail = get_connection()
    try:
        while (limit is None or sent + failures < limit) and not stopping():
            message = claim_next()
            if message is None:
                break
            if deliver(message, mail):
                sent += 1
            else:
                failures += 1
    finally:
        mail.close()
    return sent, failures


def retry(messages):
    """The operator's retry (admin): failed, or stuck "sending", messages wait again."""
    return messages.filter(
        state__in=[OutboxMessage.State.FAILED, OutboxMessage.State.SENDING]
    ).update(state=OutboxMessage.State.PENDING, next_attempt_at=timezone.now(), attempts=0)
