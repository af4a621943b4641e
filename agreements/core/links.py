"""Signed links sent by email: confirming the notifications consent (double opt-in) and
unsubscribing in one click. A link names a request by its reference and is signed
with the site's key, so it cannot be made up; it never expires (an unsubscribe link in
an old email must still work)."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

CONFIRM, UNSUBSCRIBE, WITHDRAW = "confirm-notifications", "unsubscribe", "confirm-withdrawal"
REACCEPT = "reaccept"


class LinkError(Exception):
    """The link was altered, or was made for something else."""


def token(purpose, reference):
    return signing.dumps(reference, salt=f"agreements.{purpose}")


def reference_in(purpose, value):
    try:
        return signing.loads(value, salt=f"agreements.{purpose}")
    except signing.BadSignature:
        raise LinkError from None


def confirm_url(submission):
    path = reverse("confirm_notifications", args=[token(CONFIRM, submission.reference)])
    return settings.SITE_URL + path


def unsubscribe_url(submission):
    path = reverse("unsubscribe", args=[token(UNSUBSCRIBE, submission.reference)])
    return settings.SITE_URL + path


def confirm_withdrawal_url(withdrawal):
    path = reverse("confirm_withdrawal", args=[token(WITHDRAW, withdrawal.reference)])
    return settings.SITE_URL + path


def reaccept_url(submission, version):
    """The link in a material change's notice: this request's answer to this version."""
    value = token(REACCEPT, f"{submission.reference}:{version.pk}")
    return settings.SITE_URL + reverse("reaccept", args=[value])
