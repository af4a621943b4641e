"""What the site says: queued in the outbox inside the transaction that records what
caused it (a request, a withdrawal, a publication), and worded by the worker when it
sends it, so a request holds the chain's lock only to write a row per message. Every
email has a plain-text and an HTML part; links use KOMMOGEN_SITE_URL."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from ..contact.models import Submission
from ..core import links
from ..evidence import chain
from ..evidence.models import AcceptanceEvent
from ..evidence.receipts import signed_receipt
from . import kommo
from .models import OutboxMessage

COMPOSERS = {}


def composer(kind):
    """Registers how a kind of message is worded: message → subject, template, context."""

    def register(function):
        COMPOSERS[kind] = function
        return function

    return register


def queue(key, kind, recipient, **related):
    """One message, once: queuing the same key again changes nothing."""
    OutboxMessage.objects.get_or_create(
        key=key, defaults={"kind": kind, "recipient": recipient, **related}
    )


def compose(message):
    """Word a queued message (the worker, before sending it); saved with it."""
    if message.channel == OutboxMessage.Channel.KOMMO:
        submission = message.submission
        page = submission.events.values_list("page", flat=True).first() or "/contact/"
        message.text = kommo.lead_message(
            submission, page, admin_link("agreements_submission_evidence", submission)
        )
        message.subject = f"Lead {submission.reference}"
    else:
        with translation.override(language_of(message)):  # the person's language
            parts = COMPOSERS[message.kind](message)
            context = {"site_url": settings.SITE_URL, **parts["context"]}
            message.subject = str(parts["subject"])
            message.text = render_to_string(f"{parts['template']}.txt", context)
            message.html = render_to_string(f"{parts['template']}.html", context)
        message.attachments = parts.get("attachments", [])
        message.headers = parts.get("headers", {})
    fields = ["subject", "text", "html", "attachments", "headers"]
    OutboxMessage.objects.filter(pk=message.pk).update(
        **{name: getattr(message, name) for name in fields}
    )


ALERT_KINDS = {"operator_outbox_alert"}
# Not messages: what a visitor typed on a public form, resolved by the worker.
WITHDRAWAL_REQUEST = "withdrawal_request"
MY_DATA_REQUEST = "my_data_request"
TYPED_KINDS = (WITHDRAWAL_REQUEST, MY_DATA_REQUEST)
OPERATOR_KINDS = {
    "operator_request", "operator_withdrawal", "operator_kommo_erasure",
    "operator_overdue_report", *ALERT_KINDS,
}  # fmt: skip


def language_of(message):
    """The language a message is worded in: the page's language when the person sent
    the request (emails to the operator: the site's own, English)."""
    if message.kind in OPERATOR_KINDS:
        return settings.LANGUAGE_CODE
    if message.withdrawal_id and message.withdrawal.language:  # the page it was made on
        language = message.withdrawal.language
    else:
        submission = message.submission
        if submission is None and message.withdrawal_id:
            submission = message.withdrawal.submissions.order_by("-created_at").first()
        language = submission.language if submission else ""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def absolute_url(name, *args):
    """An address of the site in the active language, from KOMMOGEN_SITE_URL."""
    return settings.SITE_URL + reverse(name, args=args)


def admin_link(name, record):
    return settings.SITE_URL + reverse(f"admin:{name}", args=[record.pk])


def queue_for_submission(submission):
    """The operator's email, the visitor's copy of the receipt, the confirmation of the
    notifications box if ticked, and a Kommo lead if Kommo is configured: in one INSERT
    (the submission is new, so none of their keys can exist yet)."""
    ref, about = submission.reference, {"submission": submission}
    messages = [
        OutboxMessage(key=f"operator:{ref}", kind="operator_request",
                      recipient=settings.KOMMOGEN_OPERATOR_EMAIL, **about),
        OutboxMessage(key=f"receipt:{ref}", kind="receipt_copy", recipient=submission.email,
                      **about),
    ]  # fmt: skip
    if submission.notifications_consent:
        messages.append(OutboxMessage(key=f"confirm:{ref}", kind="confirm_notifications",
                                      recipient=submission.email, **about))  # fmt: skip
    if kommo.configured():
        messages.append(OutboxMessage(key=f"kommo:{ref}", kind="kommo_lead",
                                      recipient=settings.KOMMO_BASE_URL,
                                      channel=OutboxMessage.Channel.KOMMO, **about))  # fmt: skip
    OutboxMessage.objects.bulk_create(messages)


@composer("operator_request")
def operator_request(message):
    submission = message.submission
    return {
        "subject": f"[KommoGEN] New submission {submission.reference}",
        "template": "agreements/email/submission",
        "context": {"record": submission,
                    "sheet_url": admin_link("agreements_submission_evidence", submission)},
        "headers": {"Reply-To": submission.email},  # the operator answers the visitor
    }  # fmt: skip


@composer("receipt_copy")
def receipt_copy(message):
    submission = message.submission
    receipt, _checkpoint = signed_receipt(submission)
    receipt_json = chain.canonical(receipt).decode()
    return {
        "subject": _("Your request to KommoGEN ({reference}): your receipt").format(
            reference=submission.reference),
        "template": "agreements/email/receipt",
        "context": {"submission": submission,
                    "events": [event for event, _record in chain.events_of(submission)],
                    "receipt_url": settings.SITE_URL + submission.get_absolute_url(),
                    "evidence_url": absolute_url("evidence"),
                    "withdraw_url": absolute_url("withdraw")},
        "attachments": [{"name": f"{submission.reference}.json",
                         "content_type": "application/json", "content": receipt_json}],
    }  # fmt: skip


def queue_receipts_now_in_the_log(checkpoint, previous_size):
    """Once a checkpoint covers a request whose receipt copy went out without one: the
    receipt again, now with the checkpoint and the inclusion proofs."""
    covered = Submission.objects.filter(
        events__position__gt=previous_size, events__position__lte=checkpoint.tree_size,
        erased_at__isnull=True,
    ).exclude(email="").distinct()  # fmt: skip
    sent = OutboxMessage.objects.filter(
        submission__in=covered, kind="receipt_copy", state=OutboxMessage.State.SENT
    )
    for message in sent.select_related("submission"):
        if not any('"checkpoint"' in part["content"] for part in message.attachments):
            submission = message.submission
            queue(f"receipt-checkpoint:{submission.reference}", "receipt_checkpointed",
                  submission.email, submission=submission)  # fmt: skip


@composer("receipt_checkpointed")
def receipt_checkpointed(message):
    submission = message.submission
    receipt, _checkpoint = signed_receipt(submission)
    return {
        "subject": _("Your request to KommoGEN ({reference}): your receipt in the public log")
        .format(reference=submission.reference),
        "template": "agreements/email/receipt_checkpointed",
        "context": {"submission": submission, "evidence_url": absolute_url("evidence"),
                    "receipt_url": settings.SITE_URL + submission.get_absolute_url()},
        "attachments": [{"name": f"{submission.reference}.json",
                         "content_type": "application/json",
                         "content": chain.canonical(receipt).decode()}],
    }  # fmt: skip


@composer("confirm_notifications")
def confirm_notifications(message):
    """Double opt-in: the notifications consent takes effect by the link in this email."""
    submission = message.submission
    return {
        "subject": _("Confirm that you want notifications from KommoGEN"),
        "template": "agreements/email/confirm_notifications",
        "context": {"submission": submission, "confirm_url": links.confirm_url(submission)},
    }


def queue_notices(version):
    """Notice of a newly published version to every confirmed subscriber, once per
    address, with a one-click unsubscribe (RFC 8058). Sending one appends an event."""
    newest = {}
    for submission in Submission.objects.subscribed().order_by("created_at"):
        newest[submission.email_key] = submission
    for submission in newest.values():
        queue(f"notice:{version.pk}:{submission.reference}", "notice", submission.email,
              submission=submission, notice_of=version)  # fmt: skip


@composer("notice")
def notice(message):
    """In the subscriber's language: its translation of the new version when there is
    one, else the English text, said to be English, and their language's history page
    where the translation will appear."""
    version, submission = message.notice_of, message.submission
    unsubscribe = links.unsubscribe_url(submission)
    language = translation.get_language()
    shown = version
    if language != version.language:
        translated = version.translations.published().filter(language=language)
        shown = translated.order_by("-number").first() or version
    previous = shown.number - 1
    slug = shown.document.slug
    with translation.override(shown.language):
        changes = reverse("document_compare", args=[slug, previous, shown.number])
    with translation.override(language):
        history = reverse("document_history", args=[slug])
    return {
        "subject": _("KommoGEN: {title}, version {number}").format(
            title=version.document.title, number=version.number),
        "template": "agreements/email/notice",
        "context": {"version": version, "unsubscribe_url": unsubscribe,
                    "version_url": settings.SITE_URL + shown.get_absolute_url(),
                    "in_english": shown.language != language,
                    "history_url": settings.SITE_URL + history,
                    "changes_url": settings.SITE_URL + changes if previous else ""},
        "headers": {"List-Unsubscribe": f"<{unsubscribe}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    }  # fmt: skip


def queue_for_withdrawal(withdrawal):
    queue(f"operator:{withdrawal.reference}", "operator_withdrawal",
          settings.KOMMOGEN_OPERATOR_EMAIL, withdrawal=withdrawal)  # fmt: skip


@composer("operator_withdrawal")
def operator_withdrawal(message):
    withdrawal = message.withdrawal
    return {
        "subject": f"[KommoGEN] Consent withdrawn {withdrawal.reference}",
        "template": "agreements/email/withdrawal",
        "context": {"record": withdrawal,
                    "admin_url": admin_link("agreements_withdrawal_change", withdrawal)},
    }  # fmt: skip


@composer("operator_kommo_erasure")
def operator_kommo_erasure(message):
    """The request was erased here; its lead in Kommo must be deleted by hand."""
    submission = message.submission
    kommo_message = submission.messages.filter(channel=OutboxMessage.Channel.KOMMO).first()
    lead = kommo_message.remote_id if kommo_message else ""
    return {
        "subject": f"[KommoGEN] Delete request {submission.reference} from Kommo",
        "template": "agreements/email/kommo_erasure",
        "context": {"reference": submission.reference, "lead": lead,
                    "lead_url": f"{settings.KOMMO_BASE_URL}/leads/detail/{lead}" if lead else "",
                    "erased_at": submission.erased_at},
    }  # fmt: skip


def queue_withdrawal_confirmation(withdrawal):
    """The link that makes a typed withdrawal take effect, to the one mailbox whose
    requests it reaches."""
    queue(f"withdraw:{withdrawal.reference}", "confirm_withdrawal", withdrawal.email,
          withdrawal=withdrawal)  # fmt: skip


@composer("confirm_withdrawal")
def confirm_withdrawal(message):
    withdrawal = message.withdrawal
    return {
        "subject": _("Confirm that you withdraw your consent to KommoGEN"),
        "template": "agreements/email/confirm_withdrawal",
        "context": {"withdrawal": withdrawal,
                    "confirm_url": links.confirm_withdrawal_url(withdrawal)},
    }  # fmt: skip


def queue_operator_alert(message):
    """Tell the operator that a message needs them: worded now, so the alert says what
    the message's state was when it was raised."""
    message = OutboxMessage.objects.get(pk=message.pk)
    link = admin_link("agreements_outboxmessage_change", message)
    text = (
        f"The outbox message {message.key} ({message.get_channel_display()}) is "
        f"{message.get_state_display()} after {message.attempts} attempt(s).\n\n"
        f"{message.last_error}\n\nOpen it in admin: {link}\n"
    )
    queue(f"alert:{message.pk}:{message.attempts}", "operator_outbox_alert",
          settings.KOMMOGEN_OPERATOR_EMAIL, subject=f"[KommoGEN] Outbox: {message.key} needs you",
          text=text)  # fmt: skip


def queue_my_data_link(email, language, token):
    """The single-use link to a person's data, worded now in their language (the token
    lives only in this message, which the worker sends at once)."""
    language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with translation.override(language):
        context = {"site_url": settings.SITE_URL,
                   "open_url": absolute_url("my_data_open", token),
                   "minutes": settings.KOMMOGEN_MY_DATA_LINK_MINUTES}  # fmt: skip
        queue(f"my-data:{token[-16:]}", "my_data_link", email,
              subject=str(_("Your data at KommoGEN: the link you asked for")),
              text=render_to_string("agreements/email/my_data_link.txt", context),
              html=render_to_string("agreements/email/my_data_link.html", context))  # fmt: skip


def queue_material_notices(version):
    """A material change: a notice to every confirmed subscriber and to everyone whose
    request accepted an earlier version of the document (a legal notice, owed whether or
    not they asked for notifications), once per address, with the date it takes effect
    and a link to accept or decline it."""
    earlier = AcceptanceEvent.objects.filter(
        version__document_id=version.document_id, kind__in=("accepted", "consent_given")
    ).exclude(version=version)
    rested = Submission.objects.filter(pk__in=earlier.values("submission_id"), erased_at=None)
    rested = rested.exclude(email="").exclude(
        withdrawals__scope="personal_data", withdrawals__confirmed_at__isnull=False
    )
    newest = {}
    for submission in (rested | Submission.objects.subscribed()).order_by("created_at"):
        newest[submission.email_key] = submission
    for submission in newest.values():
        queue(f"material:{version.pk}:{submission.reference}", "material_notice",
              submission.email, submission=submission, notice_of=version)  # fmt: skip


@composer("material_notice")
def material_notice(message):
    version, submission = message.notice_of, message.submission
    parts = notice(message)
    parts["context"] |= {"reaccept_url": links.reaccept_url(submission, version),
                         "notice_days": settings.KOMMOGEN_NOTICE_DAYS}  # fmt: skip
    parts["template"] = "agreements/email/material_notice"
    parts["subject"] = _("KommoGEN: {title}, version {number}, a material change").format(
        title=version.document.title, number=version.number)  # fmt: skip
    parts["headers"] = {}  # a legal notice, not a notification: nothing to unsubscribe from
    return parts
