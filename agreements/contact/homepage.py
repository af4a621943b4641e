"""The home page's own words: content/site/home.<language>.md, which the operator edits
like any text file (not a versioned document: nothing is accepted on it). Rendered as
the documents are, sanitised, and re-read when the file changes. And the messengers
the operator can be reached on, from their settings."""

from functools import lru_cache

import markdown
from django.conf import settings
from django.utils.safestring import mark_safe

from ..documents.rendering import sanitise


def home_text(language):
    """The home page's text in a language (English when that file does not exist)."""
    folder = settings.BASE_DIR / "content" / "site"
    path = folder / f"home.{language}.md"
    if not path.exists():
        path = folder / "home.en.md"
    if not path.exists():
        return ""
    return _rendered(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _rendered(path, _changed):
    with open(path, encoding="utf-8") as file:
        return mark_safe(sanitise(markdown.markdown(file.read(), output_format="html")))


def messengers():
    """[(name, address)] of the messengers set: Telegram (a username), WhatsApp and Zalo
    (a phone number with its country code)."""
    found = []
    if settings.KOMMOGEN_TELEGRAM:
        found.append(("Telegram", f"https://t.me/{settings.KOMMOGEN_TELEGRAM.lstrip('@')}"))
    for name, setting, base in (("WhatsApp", "KOMMOGEN_WHATSAPP", "https://wa.me/"),
                                ("Zalo", "KOMMOGEN_ZALO", "https://zalo.me/")):  # fmt: skip
        digits = "".join(ch for ch in getattr(settings, setting) if ch.isdigit())
        if digits:
            found.append((name, base + digits))
    return found
