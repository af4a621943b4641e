"""What the site says, queued in the outbox inside the transaction that records what
caused it: the operator's email about a request or a withdrawal, and the visitor's copy
of their receipt. Every email has a plain-text and an HTML part; links use
KOMMOGEN_SITE_URL."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from ..evidence import chain
from .models import OutboxMessage


def queue(key, recipient, subject, template, context, **related):
    """One message, once: queuing the same key again changes nothing."""
    context = {"site_url": settings.SITE_URL, **context}
    OutboxMessage.objects.get_or_create(
        key=key,
        defaults={
            "recipient": recipient,
            "subject": subject,
            "text": render_to_string(f"{template}.txt", context),
            "html": render_to_string(f"{template}.html", context),
            "attachments": related.pop("attachments", []),
            **related,
        },
    )


def admin_link(name, record):
    return settings.SITE_URL + reverse(f"admin:{name}", args=[record.pk])


def queue_for_submission(submission):
    """The operator's email about the request, and the visitor's copy of the receipt."""
    queue(
        f"operator:{submission.reference}", settings.KOMMOGEN_OPERATOR_EMAIL,
        f"[KommoGEN] New submission {submission.reference}", "agreements/email/submission",
        {"record": submission,
         "sheet_url": admin_link("agreements_submission_evidence", submission)},
        submission=submission,
    )  # fmt: skip
    events = chain.events_of(submission)
    receipt_json = chain.canonical(chain.receipt_body(submission)).decode()
    queue(
        f"receipt:{submission.reference}", submission.email,
        f"Your request to KommoGEN ({submission.reference}): your receipt",
        "agreements/email/receipt",
        {"submission": submission, "events": [event for event, _record in events],
         "receipt_url": settings.SITE_URL + submission.get_absolute_url()},
        submission=submission,
        attachments=[{"name": f"{submission.reference}.json",
                      "content_type": "application/json", "content": receipt_json}],
    )  # fmt: skip


def queue_for_withdrawal(withdrawal):
    queue(
        f"operator:{withdrawal.reference}", settings.KOMMOGEN_OPERATOR_EMAIL,
        f"[KommoGEN] Consent withdrawn {withdrawal.reference}", "agreements/email/withdrawal",
        {"record": withdrawal,
         "admin_url": admin_link("agreements_withdrawal_change", withdrawal)},
        withdrawal=withdrawal,
    )  # fmt: skip
