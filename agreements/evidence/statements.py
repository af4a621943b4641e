"""The legal wording a visitor is shown and accepts: each checkbox's statement, the
buttons, and which documents a form names. What is recorded is exactly this text."""

import re
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from ..documents.languages import form_versions, reading_language
from ..documents.models import Document, Version
from .models import AcceptanceEvent

Purpose = AcceptanceEvent.Purpose
# The buttons: what is recorded is their text in the page's language.
SUBMIT_LABEL = _("Send request")
WITHDRAW_LABEL = _("Withdraw consent")
CONFIRM_LABEL = _("Yes, send me notifications")
UNSUBSCRIBE_LABEL = _("Stop the notifications")
# What an 'erased' event states (the operator's records: English).
ERASED_STATEMENT = "The personal data of this request was erased at the person's request."
EXPIRED_STATEMENT = "The personal data of this request was erased: its retention period ended."
# Confirming the notifications consent, by the link in the email (double opt-in).
CONFIRM_STATEMENT = _(
    "I confirm that I want the notifications I asked for when I sent request {reference}: "
    "notice of new versions of these documents, by email, at most twice a month."
)
NOTICE_STATEMENT = "Notice of {version} sent by email to the address of request {reference}."
# The documents the contact form names, in the order of its statements.
FORM_DOCUMENTS = (Document.Slug.AGREEMENT, Document.Slug.CONSENT, Document.Slug.PRIVACY)


def current_form_versions(at=None, language=None):
    """The version of each document the form names, as a form in `language` (the page's,
    by default) shows it (agreements/documents/languages.py), or None if one has none."""
    return form_versions(FORM_DOCUMENTS, at, language or reading_language())


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


def linked(template, **links):
    """The parts of a translated sentence whose {placeholders} are links: name → (text,
    url). Whole sentences are translated, so each language keeps its own word order."""
    parts = []
    for piece in re.split(r"(\{\w+\})", str(template)):
        if piece.startswith("{") and piece[1:-1] in links:
            parts.append(links[piece[1:-1]])
        elif piece:
            parts.append((piece, None))
    return tuple(parts)


def statements(versions):
    """Each checkbox's wording, in the page's language, linking the versions shown."""
    agreement, consent, privacy = (versions[slug] for slug in FORM_DOCUMENTS)
    return {
        Purpose.AGREEMENT: Statement(
            Purpose.AGREEMENT,
            linked(_("I accept the {agreement}."), agreement=(
                _("User Agreement (public offer), version {number}").format(
                    number=agreement.number), agreement.get_absolute_url())),
            agreement,
            (agreement,),
        ),
        Purpose.PERSONAL_DATA: Statement(
            Purpose.PERSONAL_DATA,
            linked(_("I give my {consent}, as described in the {privacy}."),
                   consent=(_("consent to the processing of my personal data, version "
                              "{number}").format(number=consent.number),
                            consent.get_absolute_url()),
                   privacy=(_("Privacy Policy, version {number}").format(number=privacy.number),
                            privacy.get_absolute_url())),
            consent,
            (consent, privacy),
        ),
        Purpose.NOTIFICATIONS: Statement(
            Purpose.NOTIFICATIONS,
            linked(_("Optional: send me notifications by email — notice of new versions of "
                     "these documents, at most twice a month ({section}). I can withdraw this "
                     "consent at any time."),
                   section=(_("section 7 of the consent, version {number}").format(
                       number=consent.number), consent.get_absolute_url() + "#section-7")),
            consent,
            (consent,),
        ),
    }  # fmt: skip
