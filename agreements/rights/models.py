"""The register of a person's rights requests (access, correction, erasure, withdrawal,
objection), made on the site's "my data" page or typed in by the operator from an email
or a letter: each with its statutory clock (core/deadlines.py) and an append-only log of
its states; and the single-use links that open a person's data."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..core.deadlines import LAW_OF_LANGUAGE, due_for
from ..core.models import normalise_email
from ..evidence.models import AppendOnlyQuerySet, AppendOnlyViolation


class RightsRequest(models.Model):
    class Kind(models.TextChoices):
        ACCESS = "access", _("access and a copy")
        CORRECTION = "correction", _("correction")
        ERASURE = "erasure", _("erasure")
        WITHDRAWAL = "withdrawal", _("withdrawal of a consent")
        OBJECTION = "objection", _("objection, or stopping or restricting processing")

    class Channel(models.TextChoices):
        PAGE = "page", _("the site's “my data” page")
        EMAIL = "email", _("email")
        LETTER = "letter", _("letter")
        OTHER = "other", _("other")

    class State(models.TextChoices):
        RECEIVED = "received", _("received")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        COMPLETED = "completed", _("completed")
        REFUSED = "refused", _("refused, with the reason given")

    class Law(models.TextChoices):
        VN = "vn", _("Vietnam")
        RU = "ru", _("Russia")
        EU = "eu", _("European Union (GDPR)")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    email = models.EmailField(max_length=254, blank=True, help_text=_("Whose data it is about."))
    email_key = models.CharField(max_length=254, blank=True, db_index=True, editable=False)
    language = models.CharField(max_length=8, blank=True)
    law = models.CharField(
        max_length=2, choices=Law.choices, blank=True,
        help_text=_("The person's law, by their country or language; Vietnam's clock is kept "
                    "too, and the stricter wins. Empty: by the language."),
    )  # fmt: skip
    details = models.TextField(blank=True, help_text=_("What was asked, in a few words."))
    received_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=15, choices=State.choices, default=State.RECEIVED)
    handled_by = models.CharField(max_length=150, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()} ({self.get_state_display()})"

    def save(self, *args, **kwargs):
        self.email_key = normalise_email(self.email)
        self.law = self.law or LAW_OF_LANGUAGE.get(self.language[:2], "vn")
        super().save(*args, **kwargs)

    @property
    def due(self):
        clock_kind = "objection" if self.kind == self.Kind.OBJECTION else self.kind
        return due_for(clock_kind, self.received_at, self.law or "vn")

    def is_overdue(self, at=None):
        open_states = (self.State.RECEIVED, self.State.ACKNOWLEDGED)
        return self.state in open_states and (at or timezone.now()) > self.due


class RightsRequestChangeQuerySet(AppendOnlyQuerySet):
    refusal = "The register's log is append-only."


class RightsRequestChange(models.Model):
    """One change of a register entry's state: who, when, to what (append-only)."""

    request = models.ForeignKey(RightsRequest, on_delete=models.PROTECT, related_name="changes")
    state = models.CharField(max_length=15, choices=RightsRequest.State.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.CharField(max_length=150)
    note = models.TextField(blank=True)

    objects = RightsRequestChangeQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.request_id}: {self.state} by {self.by}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise AppendOnlyViolation("The register's log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyViolation("The register's log is append-only.")


class MyDataLinkUse(models.Model):
    """A "my data" link that was followed: its nonce's digest, so a link opens once."""

    nonce_digest = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"link used {self.used_at:%Y-%m-%d %H:%M}"
