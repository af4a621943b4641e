"""Which text a reader is shown, by language. English is the original of every document;
a translation is its own published version, in its own language, naming the English
version it translates. A translation that has not caught up with the current English
version is shown as such (its page says so and links the English text), and a form is
never accepted on it: the form shows the English text instead."""

from django.conf import settings
from django.utils import translation

from .models import ENGLISH, Version


def reading_language():
    """The language of the page being served: "en", "ru" or "vi"."""
    return translation.get_language() or ENGLISH


def form_versions(slugs, at=None, language=ENGLISH):
    """{slug: version} a form in `language` shows as the text being accepted: the
    translation of the current English version when one is in effect, else the English
    version itself. None while a document has no English version in effect."""
    english = Version.objects.current_of_each(slugs, at)
    if english is None or language == ENGLISH:
        return english
    translations = Version.objects.in_effect(at).filter(
        language=language, translates__in=[v.pk for v in english.values()]
    )
    translations = translations.named()
    latest = {}
    for version in translations.order_by("number"):
        latest[version.translates_id] = version  # the newest translation of that version
    return {slug: latest.get(version.pk, version) for slug, version in english.items()}


def is_outdated(translated, english_current):
    """A translation that is not of the current English version."""
    return bool(
        translated and english_current and translated.language != ENGLISH
        and translated.translates_id != english_current.pk
    )  # fmt: skip


def left_behind(english_draft):
    """{language: its latest published translation} of the draft's document that will be
    behind once the English draft is published (None for a language with no translation
    yet): what the publish page warns about."""
    versions = (
        Version.objects.published().not_cancelled().filter(document_id=english_draft.document_id)
    )
    behind = {}
    for code, _name in settings.LANGUAGES:
        if code != ENGLISH:
            latest = versions.filter(language=code).order_by("-number").first()
            behind[code] = latest
    return behind
