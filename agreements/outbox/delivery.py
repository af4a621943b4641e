"""Delivering the outbox: one message at a time, claimed, sent, then marked, each
attempt logged. A refusal for good (Kommo 400 to 403, SMTP 5xx, a refused recipient)
fails at once and tells the operator; other failures are retried with exponential
backoff, and past KOMMOGEN_OUTBOX_MAX_ATTEMPTS every six hours, the operator told once.

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

import json
import smtplib
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, formataddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone

from ..core.clients import Context
from ..core.models import RateCounter
from ..notices.services import notice_record_sent
from ..rights.services import my_data_link_send
from ..withdrawal.services import withdrawal_request
from . import kommo
from .messages import (
    ALERT_KINDS,
    TYPED_KINDS,
    WITHDRAWAL_REQUEST,
    compose,
    queue_operator_alert,
)
from .models import OutboxAttempt, OutboxMessage

# Messages that carry a credential (a link that opens a person's data): once sent, the
# outbox keeps its subject and recipient only.
CREDENTIAL_KINDS = {"my_data_link"}
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


def claim_next(channel=None):
    """The oldest message due (of one channel), marked "sending" and committed; None when
    none is due."""
    with transaction.atomic():
        due = OutboxMessage.objects.filter(
            state=OutboxMessage.State.PENDING,
            next_attempt_at__lte=timezone.now(),
            erased_at__isnull=True,
        ).order_by("next_attempt_at", "pk")
        if channel:
            due = due.filter(channel=channel)
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
    """One email: a From with the site's name, Auto-Submitted (RFC 3834: no auto-replies
    to it), a Reply-To a person reads, a Date in +0000, one Message-ID for every try."""
    reply_to = message.headers.get("Reply-To") or settings.KOMMOGEN_REPLY_TO
    email = EmailMultiAlternatives(
        message.subject,
        message.text,
        formataddr((settings.KOMMOGEN_FROM_NAME, settings.DEFAULT_FROM_EMAIL)),
        [message.recipient],
        headers={
            "Message-ID": message_id(message),
            "Date": format_datetime(datetime.now(UTC)),
            "Auto-Submitted": "auto-generated",
            **{name: value for name, value in message.headers.items() if name != "Reply-To"},
        },
        reply_to=[reply_to],
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


class Refused(Exception):
    """The receiver refused the message for good (Kommo 400 to 403, an SMTP 5xx or a
    refused recipient): trying again cannot help."""


def words(text):
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def permanent(error):
    """Whether a failure is the receiver's final word (its Refused form), else None."""
    if isinstance(error, kommo.KommoRefused):
        return Refused(str(error))
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        said = "; ".join(
            f"{address}: {code} {words(text)}" for address, (code, text) in error.recipients.items()
        )
        return Refused(f"Recipient refused: {said}")
    code = getattr(error, "smtp_code", 0)
    if isinstance(error, smtplib.SMTPResponseException) and 500 <= code < 600:
        return Refused(f"SMTP {code} {words(error.smtp_error)}")
    return None


def erased_since_queued(message):
    """A message whose person was erased after it was queued is never sent: its text
    (a lead, the operator's copy) would carry what the erasure removed. (A message
    queued by the erasure itself, the operator's Kommo reminder, carries none.)"""
    if OutboxMessage.objects.filter(pk=message.pk, erased_at__isnull=False).exists():
        return True
    if not message.submission_id:
        return False
    erased_at = type(message.submission).objects.filter(pk=message.submission_id)
    erased_at = erased_at.values_list("erased_at", flat=True).first()
    return erased_at is not None and message.created_at < erased_at


def deliver(message, mail):
    """Send one claimed message and record the outcome; True when it went out.
    mail: the connection to the mail server, kept open between messages."""
    if message.kind in TYPED_KINDS:  # work handed over by a request, not a message
        resolve_typed(message)
        return True
    if erased_since_queued(message):
        return skipped(message)
    if held_for_next_month(message):
        return False
    try:
        if not message.text:  # worded now, not in the request that queued it
            compose(message)
        if message.channel == OutboxMessage.Channel.KOMMO:
            kommo.send(message)
        else:
            send(message, mail)
    except Exception as error:  # the receiver's refusal or outage, in whatever form
        if message.channel == OutboxMessage.Channel.EMAIL:
            mail.close()  # the next message opens a fresh connection
        refused = permanent(error)
        if refused:
            refuse(message, refused)
        else:
            failed(message, error, getattr(error, "retry_after", None),
                   counted=getattr(error, "status", None) != 429)  # fmt: skip
        return False
    until_written(lambda: sent(message))
    return True


def resolve_typed(message):
    """The worker's part of what a visitor typed: a withdrawal (the pending withdrawals and
    their links) or a "my data" request (the link, if the address is known); then the row
    keeps nothing of what was typed."""
    typed = json.loads(message.text)
    with transaction.atomic():
        if message.kind == WITHDRAWAL_REQUEST:
            context = Context("", "withdraw", None, "", typed.get("language", ""),
                              typed["client_ip"], typed["user_agent"])  # fmt: skip
            withdrawal_request(email=typed["email"], reference=typed["reference"],
                               scope=typed["scope"], context=context)  # fmt: skip
        else:
            my_data_link_send(email=typed["email"], language=typed.get("language", ""))
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=OutboxMessage.State.SENT, sent_at=timezone.now(), recipient="", text=""
        )


def sent(message):
    """Mark it sent and, for a notice, record in the chain who was told of which version,
    in one transaction: a notice delivered always has its 'notified' event."""
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=OutboxMessage.State.SENT, sent_at=timezone.now(), last_error=""
        )
        if message.kind in CREDENTIAL_KINDS:  # a link that opens a person's data: no copy kept
            OutboxMessage.objects.filter(pk=message.pk).update(text="", html="")
        OutboxAttempt.objects.create(message=message, outcome=OutboxAttempt.Outcome.SENT)
        if message.notice_of_id:
            notice_record_sent(submission=message.submission, version=message.notice_of)


def until_written(write, tries=60, pause=1.0):
    """The message went out: what records it must be written, whatever the database says
    for a while (locked, or briefly away). Gives up, raising, after `tries`."""
    for attempt in range(tries):
        try:
            return write()
        except OperationalError:
            if attempt == tries - 1:
                raise
            connections.close_all()
            time.sleep(pause)


def start_of_next_month(moment):
    first = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first + timedelta(days=32)).replace(day=1)


def held_for_next_month(message, now=None):
    """The consent promises notifications at most KOMMOGEN_NOTICES_PER_MONTH (2) a month
    to one address: one more waits for the first day of the next month (UTC). It is
    held, never dropped, and the wait is no failed attempt."""
    if message.kind != "notice":
        return False
    now = now or timezone.now()
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    sent = OutboxMessage.objects.filter(
        kind="notice", recipient=message.recipient, state=OutboxMessage.State.SENT,
        sent_at__gte=month,
    ).count()  # fmt: skip
    if sent < settings.KOMMOGEN_NOTICES_PER_MONTH:
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=OutboxMessage.State.PENDING, attempts=message.attempts - 1,
        next_attempt_at=start_of_next_month(now),
        last_error="Held: this address had its notifications for this month.",
    )  # fmt: skip
    return True


def skipped(message):
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=OutboxMessage.State.FAILED, last_error="Not sent: the person's data was erased."
    )
    OutboxAttempt.objects.create(message=message, outcome=OutboxAttempt.Outcome.SKIPPED)
    return False


def refuse(message, error):
    """Refused for good: failed at once, the operator told (email, and admin)."""
    detail = str(error)[:2000]
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=OutboxMessage.State.FAILED, last_error=f"Refused: {detail}"
    )
    OutboxAttempt.objects.create(message=message, outcome=OutboxAttempt.Outcome.REFUSED,
                                 detail=detail)  # fmt: skip
    if message.kind not in ALERT_KINDS:
        queue_operator_alert(message)


def failed(message, error, retry_after=None, counted=True):
    """Wait and try again: as long as the receiver asked (Retry-After, capped), or with
    backoff. A 429 is not a failure (counted=False). Past KOMMOGEN_OUTBOX_MAX_ATTEMPTS
    it is still tried, every six hours, and the operator is told once."""
    attempts = message.attempts if counted else message.attempts - 1
    wait = backoff(attempts)
    if retry_after is not None:
        cap = settings.KOMMOGEN_RETRY_AFTER_MAX_SECONDS
        wait = timedelta(seconds=min(max(retry_after, 0), cap))
    detail = f"{type(error).__name__}: {error}"[:1000]
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=OutboxMessage.State.PENDING, attempts=attempts,
        next_attempt_at=timezone.now() + wait, last_error=detail,
    )  # fmt: skip
    outcome = OutboxAttempt.Outcome.RETRY if counted else OutboxAttempt.Outcome.THROTTLED
    OutboxAttempt.objects.create(message=message, outcome=outcome, detail=detail)
    if counted and attempts == settings.KOMMOGEN_OUTBOX_MAX_ATTEMPTS:
        if message.kind not in ALERT_KINDS:
            queue_operator_alert(message)


_last_tidy = [0.0]


def tidy_now_and_then():
    """Once a minute: rate counters of ended windows go (they hold IP addresses)."""
    if time.monotonic() - _last_tidy[0] >= 60:
        _last_tidy[0] = time.monotonic()
        RateCounter.forget_old()


def deliver_due(limit=None, stopping=lambda: False, channel=None):
    """Deliver every message due now (of one channel, or all; at most limit, and none
    after stopping() is true), over one connection to the mail server: (sent, failed)."""
    sent = failures = 0
    recover_stalled()
    tidy_now_and_then()
    mail = get_connection()
    try:
        while (limit is None or sent + failures < limit) and not stopping():
            message = claim_next(channel)
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
    """The operator's retry (admin): failed, stuck "sending", or waiting messages are due
    now; never one whose person was erased (it has nothing left to send)."""
    return messages.filter(
        state__in=[
            OutboxMessage.State.FAILED,
            OutboxMessage.State.SENDING,
            OutboxMessage.State.PENDING,
        ],
        erased_at__isnull=True,
    ).update(state=OutboxMessage.State.PENDING, next_attempt_at=timezone.now(), attempts=0)
