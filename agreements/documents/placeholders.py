"""Facts of the deployment a text names, filled in when a version is published: who
receives the data and where (from settings), and the statutory clocks (core/deadlines.py).
The published text carries the values and is frozen and fingerprinted as usual, so a
text cannot drift from the deployment: when a value changes, the content loader
publishes the text again."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import ngettext

from ..core.deadlines import CLOCKS, LAWS, REQUESTS, STATED

PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def recipient(kind):
    """The name of one kind of recipient as settings give it (in the active language when
    a translation is set), in brackets after the kind the text names: " (Hetzner Online
    GmbH, Germany)"; nothing when none is set (the text then names the kind only)."""
    names = settings.KOMMOGEN_RECIPIENTS.get(kind, {})
    name = names.get(translation.get_language() or "en") or names.get("en")
    return f" ({name})" if name else ""


def duration(clock):
    if clock.working:
        return ngettext("%(days)d working day", "%(days)d working days", clock.days) % {
            "days": clock.days
        }
    return ngettext("%(days)d day", "%(days)d days", clock.days) % {"days": clock.days}


def deadlines():
    """The table of clocks as a Markdown list, one law per item."""
    items = []
    for law, name in LAWS.items():
        if law not in STATED:
            continue
        clocks = [c for c in CLOCKS if c.law == law]
        parts = [f"{REQUESTS[c.request]} — {duration(c)}" for c in clocks]
        items.append(f"- {name}: {'; '.join(parts)}.")
    return "\n".join(items)


def values():
    return {
        "hosting": recipient("hosting"),
        "mail_provider": recipient("mail"),
        "crm": recipient("crm"),
        "backups": recipient("backups"),
        "deadlines": deadlines(),
    }


def filled(source, language):
    """The text with each {{ name }} replaced by its value in the text's language; an
    unknown name is refused (a typo must not be published)."""
    if "{{" not in source:
        return source
    with translation.override(language):
        known = values()
    unknown = sorted({name for name in PLACEHOLDER.findall(source) if name not in known})
    if unknown:
        raise ValidationError(
            f"Unknown placeholder(s) {', '.join(unknown)}; the text may use "
            f"{', '.join('{{ ' + name + ' }}' for name in known)}."
        )
    return PLACEHOLDER.sub(lambda match: known[match.group(1)], source)
