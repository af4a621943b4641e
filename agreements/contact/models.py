"""A contact request: what the visitor typed, on a person's record (core)."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..core.models import PersonalRecord


class Service(models.TextChoices):
    """What a request is about: the services of clause 2.1 of the User Agreement."""

    IMPLEMENTATION = "implementation", _("Kommo CRM implementation and configuration")
    AUDIT = "audit", _("CRM audit")
    SUPPORT = "support", _("Technical support and system maintenance")
    LICENSES = "licenses", _("Sale and renewal of Kommo licences")
    DEVELOPMENT = "development", _("Widgets, modules, integrations and custom software")
    CONSULTING = "consulting", _("Analytical and consulting services")
    OTHER = "other", _("Something else")


class SubmissionQuerySet(models.QuerySet):
    def subscribed(self):
        """Requests whose notifications consent was given, confirmed by the link in the
        email, and neither withdrawn nor erased since: who is sent notices."""
        return self.filter(
            notifications_consent=True,
            notifications_confirmed_at__isnull=False,
            erased_at__isnull=True,
        ).exclude(withdrawals__confirmed_at__isnull=False)


class Submission(PersonalRecord):
    """One contact-form request with what the visitor typed (erasable on request)."""

    name = models.CharField(max_length=100, blank=True)
    contact = models.CharField("phone or messenger", max_length=100, blank=True)
    company = models.CharField(max_length=200, blank=True)
    service = models.CharField(max_length=20, choices=Service)
    message = models.TextField(max_length=5000, blank=True)
    language = models.CharField(max_length=35, blank=True)
    notifications_consent = models.BooleanField(
        default=False, help_text="Ticked on the form; it takes effect once confirmed."
    )
    notifications_confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the visitor followed the link in the email."
    )
    form_token_digest = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="SHA-256 of the form's token: a form is sent once.",
    )
    erased_at = models.DateTimeField(
        null=True, blank=True, help_text="When the personal data was erased on request."
    )

    objects = SubmissionQuerySet.as_manager()

    class Meta(PersonalRecord.Meta):
        pass

    def get_absolute_url(self):
        return reverse("receipt", kwargs={"token": self.receipt_token})
