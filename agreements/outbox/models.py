"""The outbox: what the site must tell someone (the operator's email, the visitor's
copy of the receipt), written in the same transaction as the records that cause it and
delivered later by the worker (manage.py deliver), never inside a request."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxMessage(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "waiting to be sent"
        SENDING = "sending", "being sent (if it stays so, the worker stopped while sending)"
        SENT = "sent", "sent"
        FAILED = "failed", "failed: refused for good, or stopped (see the attempts)"

    class Channel(models.TextChoices):
        EMAIL = "email", "email"
        KOMMO = "kommo", "Kommo CRM"

    channel = models.CharField(max_length=10, choices=Channel, default=Channel.EMAIL)
    remote_id = models.CharField(
        max_length=40, blank=True, help_text="Kommo: the lead created for it, once created."
    )
    key = models.CharField(
        max_length=120, unique=True, help_text="What it is about: a message is queued once."
    )
    kind = models.CharField(
        max_length=30, blank=True, help_text="How the worker words it (outbox/messages.py)."
    )
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=300)
    text = models.TextField(blank=True, help_text="The plain-text part (worded when sent).")
    html = models.TextField(blank=True, help_text="The HTML part.")
    headers = models.JSONField(default=dict, blank=True, help_text="Extra email headers.")
    notice_of = models.ForeignKey(
        "agreements.Version",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
        help_text="The version this notice announces: sending it appends an event.",
    )
    attachments = models.JSONField(
        default=list, blank=True, help_text='[{"name", "content_type", "content"}], as text.'
    )
    submission = models.ForeignKey(
        "agreements.Submission",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
    )
    withdrawal = models.ForeignKey(
        "agreements.Withdrawal",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
    )
    state = models.CharField(max_length=10, choices=State, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(
        null=True, blank=True, help_text="When its personal data was erased with the person's."
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "outbox message"
        indexes = [  # the worker's next message, without walking past every sent one
            models.Index(fields=["next_attempt_at", "id"], condition=Q(state="pending"),
                         name="outbox_pending_due"),
        ]  # fmt: skip

    def __str__(self):
        return self.key


class OutboxAttempt(models.Model):
    """One attempt at sending a message, and what came of it: the log the operator reads
    when a message is late or refused (not only the last error)."""

    class Outcome(models.TextChoices):
        SENT = "sent", "sent"
        RETRY = "retry", "failed; tried again later"
        THROTTLED = "throttled", "asked to wait (429): not counted as a failure"
        REFUSED = "refused", "refused for good: not tried again"
        SKIPPED = "skipped", "not sent: the person's data was erased"

    message = models.ForeignKey(OutboxMessage, on_delete=models.PROTECT, related_name="tries")
    at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=10, choices=Outcome)
    detail = models.TextField(
        blank=True, help_text="What the receiver said (erased with the person)."
    )

    class Meta:
        ordering = ["message", "at"]

    def __str__(self):
        return f"{self.message.key} {self.at:%Y-%m-%d %H:%M:%S} {self.outcome}"
