"""The legal wording a visitor is shown and accepts: each checkbox's statement, the
buttons, and which documents a form names. What is recorded is exactly this text."""

from dataclasses import dataclass

from django.utils.html import format_html, format_html_join

from ..documents.models import Document, Version
from ..withdrawal.models import Withdrawal
from .models import AcceptanceEvent

Purpose = AcceptanceEvent.Purpose
SUBMIT_LABEL = "Send request"
WITHDRAW_LABEL = "Withdraw consent"
# What an 'erased' event states.
ERASED_STATEMENT = "The personal data of this request was erased at the person's request."
EXPIRED_STATEMENT = "The personal data of this request was erased: its retention period ended."
# Confirming the notifications consent, by the link in the email (double opt-in).
CONFIRM_LABEL = "Yes, send me notifications"
CONFIRM_STATEMENT = (
    "I confirm that I want the notifications I asked for when I sent request {reference}: "
    "notice of new versions of these documents and news of KommoGEN's services, by email, "
    "at most twice a month."
)
UNSUBSCRIBE_LABEL = "Stop the notifications"
NOTICE_STATEMENT = "Notice of {version} sent by email to the address of request {reference}."
# The documents the contact form names, in the order of its statements.
FORM_DOCUMENTS = (Document.Slug.AGREEMENT, Document.Slug.CONSENT, Document.Slug.PRIVACY)


def current_form_versions(at=None):
    """The current version of each document the form names, or None if one has none."""
    return Version.objects.current_of_each(FORM_DOCUMENTS, at)


@dataclass(frozen=True)
class Statement:
    """A checkbox's wording: parts of text, some of them links to a version."""

    purpose: str
    parts: tuple
    version: Version | None
    texts: tuple = ()  # every version the wording links to, recorded with its fingerprints

    @property
    def text(self):
        return "".join(text for text, _ in self.parts)

    @property
    def label_html(self):
        return format_html_join(
            "",
            "{}",
            (
                (format_html('<a href="{}">{}</a>', url, text) if url else text,)
                for text, url in self.parts
            ),
        )


def statements(versions):
    agreement, consent, privacy = (versions[slug] for slug in FORM_DOCUMENTS)
    return {
        Purpose.AGREEMENT: Statement(
            Purpose.AGREEMENT,
            (
                ("I accept the ", None),
                (f"User Agreement (public offer), version {agreement.number}",
                 agreement.get_absolute_url()),
                (".", None),
            ),
            agreement,
            (agreement,),
        ),
        Purpose.PERSONAL_DATA: Statement(
            Purpose.PERSONAL_DATA,
            (
                ("I give my ", None),
                (f"consent to the processing of my personal data, version {consent.number}",
                 consent.get_absolute_url()),
                (", as described in the ", None),
                (f"Privacy Policy, version {privacy.number}", privacy.get_absolute_url()),
                (".", None),
            ),
            consent,
            (consent, privacy),
        ),
        Purpose.NOTIFICATIONS: Statement(
            Purpose.NOTIFICATIONS,
            (
                ("Optional: send me notifications by email — notice of new versions of these "
                 "documents and news of KommoGEN's services, at most twice a month (", None),
                (f"section 7 of the consent, version {consent.number}",
                 consent.get_absolute_url() + "#section-7"),
                ("). I can withdraw this consent at any time.", None),
            ),
            consent,
            (consent,),
        ),
    }  # fmt: skip


def withdrawal_statement(scope):
    """What a person who withdraws a consent states, in the consent's own words."""
    return f"I withdraw my {Withdrawal.Scope(scope).label.lower()}."
