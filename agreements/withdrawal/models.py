"""A withdrawal of consent, recorded like an acceptance, with the statutory clocks the
operator must meet (core/deadlines.py: acknowledge within 2 working days, complete
within 15 days, the strictest of the laws)."""

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..core.deadlines import clock, strictest_due
from ..core.models import PersonalRecord


class Withdrawal(PersonalRecord):
    """A visitor withdrew a consent; the operator must act within the statutory deadlines."""

    class Scope(models.TextChoices):
        PERSONAL_DATA = "personal_data", _("Consent to the processing of personal data")
        NOTIFICATIONS = "notifications", _("Consent to informational notifications only")

    submission_reference = models.CharField(max_length=16, blank=True)
    scope = models.CharField(max_length=20, choices=Scope.choices)
    submissions = models.ManyToManyField(
        "agreements.Submission", blank=True, related_name="withdrawals"
    )
    confirmed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When it took effect: at once from a receipt's private page, or when the "
        "link emailed to the request's address was followed. Empty: pending.",
    )
    language = models.CharField(
        max_length=8, blank=True,
        help_text="The language of the page the withdrawal was made on: its emails use it.",
    )  # fmt: skip
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta(PersonalRecord.Meta):
        pass

    def __str__(self):
        return f"{self.reference} ({self.get_scope_display()})"

    def get_absolute_url(self):
        return reverse("withdrawal_receipt", kwargs={"token": self.receipt_token})

    @property
    def started(self):
        """The statutory clocks run from when the withdrawal took effect."""
        return self.confirmed_at or self.created_at

    @property
    def acknowledge_by(self):
        return strictest_due("acknowledge", self.started)

    @property
    def complete_by(self):
        """The strictest law's deadline for a withdrawal (Vietnam's 15 days, before
        Russia's 30)."""
        return strictest_due("withdrawal", self.started)

    @property
    def complete_by_russia(self):
        return clock("ru", "withdrawal").due(self.started)

    def is_overdue(self, at=None):
        """Late on a clock; a withdrawal still waiting for its link runs none."""
        if self.confirmed_at is None:
            return False
        at = at or timezone.now()
        late_ack = self.acknowledged_at is None and at > self.acknowledge_by
        return late_ack or (self.completed_at is None and at > self.complete_by)
