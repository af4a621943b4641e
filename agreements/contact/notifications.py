"""Emails to the operator, sent after the transaction commits; failures are recorded, not raised."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

logger = logging.getLogger(__name__)


def notify_operator(record):
    """Email the operator about a Submission or Withdrawal; remember whether it went out."""
    kind = record._meta.model_name
    subject = f"[KommoGEN] New {kind} {record.reference}"
    body = render_to_string(
        f"agreements/email/{kind}.txt", {"record": record, "site_url": settings.SITE_URL}
    )
    try:
        send_mail(subject, body, None, [settings.KOMMOGEN_OPERATOR_EMAIL])
    except Exception as error:  # any mail failure: the request itself is already safe
        logger.warning("Notification for %s not sent: %s", record.reference, error)
        type(record).objects.filter(pk=record.pk).update(notification_error=str(error)[:1000])
        return False
    type(record).objects.filter(pk=record.pk).update(
        notification_sent_at=timezone.now(), notification_error=""
    )
    return True
