"""Template helpers: a moment shown in UTC and in the operator's zone."""

from datetime import UTC
from zoneinfo import ZoneInfo

from babel.dates import get_timezone_location
from django import template
from django.conf import settings
from django.urls import reverse
from django.utils import dateformat, translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from agreements.documents.rendering import with_clause_links, with_mention_links

register = template.Library()


# A moment as each language writes it: day, month in words, year, and the time.
MOMENT_FORMATS = {"en": "j F Y, H:i", "ru": "j E Y, H:i", "vi": r"j \t\h\á\n\g n \n\ă\m Y, H:i"}


def in_words(moment):
    """The moment in the active language: "27 November 2026, 12:00", "27 ноября 2026,
    12:00", "27 tháng 11 năm 2026, 12:00"."""
    language = translation.get_language() or "en"
    return dateformat.format(moment, MOMENT_FORMATS.get(language, MOMENT_FORMATS["en"]))


DAY_FORMATS = {"en": "j F Y", "ru": "j E Y", "vi": r"j \t\h\á\n\g n \n\ă\m Y"}


@register.filter
def day_in_words(moment):
    """The day of a moment in UTC, the zone a page names first (dual_time), in the active
    language's words: "27 November 2026", "27 ноября 2026", "27 tháng 11 năm 2026". One
    date per page: never the operator's day above the same moment's UTC day."""
    if moment is None:
        return ""
    language = translation.get_language() or "en"
    return dateformat.format(moment.astimezone(UTC), DAY_FORMATS.get(language, DAY_FORMATS["en"]))


@register.filter
def utc_day(moment):
    """The moment in UTC, in the active language's words."""
    return in_words(moment.astimezone(UTC)) if moment else ""


@register.simple_tag
def dual_time(moment):
    """<time> in UTC, followed by the same moment in the operator's zone, named by its
    city in the active language (CLDR, through Babel)."""
    if moment is None:
        return ""
    utc = moment.astimezone(UTC)
    local = moment.astimezone(ZoneInfo(settings.OPERATOR_TIME_ZONE))
    return format_html(
        '<time datetime="{}">{} UTC</time> ({}: {})',
        utc.isoformat(timespec="seconds").replace("+00:00", "Z"),
        in_words(utc),
        operator_city(),
        in_words(local),
    )


def operator_city():
    """The operator's zone as a reader of the page's language names it: its city."""
    language = translation.get_language() or "en"
    return get_timezone_location(settings.OPERATOR_TIME_ZONE, locale=language, return_city=True)


@register.filter
def clause_links(html):
    """Published HTML with a "link to this clause" anchor before each clause, and a link
    back to the contents at the end of each section."""
    linked = with_clause_links(
        html, gettext("Link to clause {number}"), gettext("Back to contents")
    )
    return mark_safe(linked)  # sanitised at publication; anchors are ours


# How each language names the documents in running text (with the inflected forms a
# Russian text uses), to link the mentions: agreements/documents/rendering.py.
DOCUMENT_NAMES = {
    "en": {"agreement": ["User Agreement"], "privacy": ["Privacy Policy"],
           "consent": ["Consent to the processing of personal data"]},
    "ru": {"agreement": ["Пользовательское соглашение", "Пользовательского соглашения",
                         "Пользовательским соглашением"],
           "privacy": ["Политика конфиденциальности", "Политики конфиденциальности",
                       "Политикой конфиденциальности"],
           "consent": ["Согласие на обработку персональных данных",
                       "Согласия на обработку персональных данных"]},
    "vi": {"agreement": ["Thỏa thuận người dùng"], "privacy": ["Chính sách quyền riêng tư"],
           "consent": ["Sự đồng ý xử lý dữ liệu cá nhân"]},
}  # fmt: skip


@register.filter
def mention_links(html, version):
    """Mentions of clauses, sections and documents in the text of `version` become
    links, in the page's language."""
    language = translation.get_language() or "en"
    names = tuple(
        (name, slug, reverse("document_current", kwargs={"document": slug}))
        for slug, forms in DOCUMENT_NAMES.get(language, DOCUMENT_NAMES["en"]).items()
        for name in forms
    )
    return mark_safe(with_mention_links(str(html), version.document.slug, names))


# Bidirectional overrides and isolates turn "gnp.exe" into what looks like "exe.png":
# never in text a visitor typed that the operator reads.
BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)


@register.filter
def without_bidi(value):
    """The text with its bidirectional control characters removed."""
    return str(value).translate(BIDI_CONTROLS)


@register.filter
def language_note(text):
    """What a receipt says of a text's language (from its record's entry): a translation
    names the English version it translates, which prevails; an English text shown on a
    page in another language says it is the English original. Nothing otherwise."""
    if not text:
        return ""
    if text.get("translates"):
        return " " + gettext(
            "This text is the translation of the English version {number}; the English "
            "text prevails."
        ).format(number=text["translates"]["version"])
    if text.get("language", "en") != (translation.get_language() or "en"):
        return " " + gettext("This text is the English original: it was not yet translated.")
    return ""


@register.filter
def text_url(text):
    """The permanent address of a text a record names (its record entry)."""
    with translation.override(text.get("language", "en")):
        kwargs = {"document": text["document"], "number": text["version"]}
        return reverse("document_version", kwargs=kwargs)
