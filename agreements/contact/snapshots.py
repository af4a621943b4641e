"""The contact form as the visitor saw it: its HTML rendered for the versions and the
language shown (deterministic: the same texts, wordings and language give the same
bytes), the values of its two tokens taken out. Each request's events name its
fingerprint; the snapshot is kept once, public and never changed (FormSnapshot)."""

import hashlib
import re

from django.template.loader import render_to_string
from django.utils import translation

from ..documents.models import ENGLISH
from ..evidence.statements import SUBMIT_LABEL

TOKENS = re.compile(r'(name="(?:form_token|csrfmiddlewaretoken)" value=")[^"]*(")')
RENDERED = {}  # (versions, language) → HTML: published versions never change


def shows_english_texts(versions, language):
    """A form in another language whose texts are (some of them) the English originals."""
    return language != ENGLISH and any(v.language == ENGLISH for v in versions.values())


def form_html(blank_form, language):
    """The HTML a browser receives for this blank form, without its tokens' values."""
    versions = blank_form.versions
    key = (tuple(sorted((s, v.pk, v.fingerprint) for s, v in versions.items())), language)
    if key not in RENDERED:
        with translation.override(language):
            html = render_to_string("agreements/_contact_form.html", {
                "form": blank_form, "submit_label": SUBMIT_LABEL, "csrf_token": "-",
                "english_texts": shows_english_texts(versions, language),
            })  # fmt: skip
        if len(RENDERED) > 64:
            RENDERED.clear()
        RENDERED[key] = TOKENS.sub(r"\1\2", html)
    return RENDERED[key]


def fingerprint(html):
    return hashlib.sha256(html.encode()).hexdigest()
