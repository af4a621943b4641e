"""What the site says, queued in the outbox inside the transaction that records what
caused it: the operator's email about a request or a withdrawal, and the visitor's copy
of their receipt. Every email has a plain-text and an HTML part; links use
KOMMOGEN_SITE_URL."""

import hashlib

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from ..contact.models import Submission
from ..evidence import chain
from ..notices import links
from . import kommo
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
            "headers": related.pop("headers", {}),
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
    if submission.notifications_consent:
        queue_confirmation(submission)
    if kommo.configured():
        queue_lead(submission)


def queue_lead(submission):
    """The request as a lead in the operator's Kommo CRM (outbox/kommo.py)."""
    page = submission.events.values_list("page", flat=True).first() or "/contact/"
    text = kommo.lead_message(
        submission, page, settings.SITE_URL + submission.get_absolute_url(),
        admin_link("agreements_submission_evidence", submission),
    )  # fmt: skip
    OutboxMessage.objects.get_or_create(
        key=f"kommo:{submission.reference}",
        defaults={"channel": OutboxMessage.Channel.KOMMO, "recipient": settings.KOMMO_BASE_URL,
                  "subject": f"Lead {submission.reference}", "text": text,
                  "submission": submission},
    )  # fmt: skip


def queue_confirmation(submission):
    """Double opt-in: the notifications consent takes effect by the link in this email."""
    queue(
        f"confirm:{submission.reference}", submission.email,
        "Confirm that you want notifications from KommoGEN",
        "agreements/email/confirm_notifications",
        {"submission": submission, "confirm_url": links.confirm_url(submission)},
        submission=submission,
    )  # fmt: skip


def queue_notices(version):
    """Notice of a newly published version to every confirmed subscriber, once per
    address, with a one-click unsubscribe (RFC 8058). Sending one appends an event."""
    newest = {}
    for submission in Submission.objects.subscribed().order_by("created_at"):
        newest[submission.email_key] = submission
    previous = version.number - 1
    changes_url = (
        settings.SITE_URL
        + reverse("document_compare", args=[version.document.slug, previous, version.number])
        if previous
        else ""
    )
    for submission in newest.values():
        unsubscribe = links.unsubscribe_url(submission)
        queue(
            f"notice:{version.pk}:{submission.reference}", submission.email,
            f"KommoGEN: {version.document.title}, version {version.number}",
            "agreements/email/notice",
            {"version": version, "changes_url": changes_url, "unsubscribe_url": unsubscribe},
            submission=submission, notice_of=version,
            headers={"List-Unsubscribe": f"<{unsubscribe}>",
                     "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        )  # fmt: skip


def queue_for_withdrawal(withdrawal):
    queue(
        f"operator:{withdrawal.reference}", settings.KOMMOGEN_OPERATOR_EMAIL,
        f"[KommoGEN] Consent withdrawn {withdrawal.reference}", "agreements/email/withdrawal",
        {"record": withdrawal,
         "admin_url": admin_link("agreements_withdrawal_change", withdrawal)},
        withdrawal=withdrawal,
    )  # fmt: skip


def queue_withdrawal_confirmation(withdrawal, addresses):
    """The link that makes a typed withdrawal take effect, to the requests' address."""
    for address in sorted(addresses):
        queue(
            f"withdraw:{withdrawal.reference}:{hashlib.sha256(address.encode()).hexdigest()[:16]}",
            address,
            "Confirm that you withdraw your consent to KommoGEN",
            "agreements/email/confirm_withdrawal",
            {"withdrawal": withdrawal, "confirm_url": links.confirm_withdrawal_url(withdrawal)},
            withdrawal=withdrawal,
        )  # fmt: skip
