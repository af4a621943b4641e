"""Template helpers: a moment shown in UTC and in the operator's zone."""

from datetime import UTC
from zoneinfo import ZoneInfo

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from agreements.documents.rendering import with_clause_links

register = template.Library()


@register.simple_tag
def dual_time(moment):
    """<time> in UTC, followed by the same moment in the operator's zone."""
    if moment is None:
        return ""
    utc = moment.astimezone(UTC)
    local = moment.astimezone(ZoneInfo(settings.OPERATOR_TIME_ZONE))
    return format_html(
        '<time datetime="{}">{} UTC</time> ({} {})',
        utc.isoformat(timespec="seconds").replace("+00:00", "Z"),
        utc.strftime("%-d %B %Y, %H:%M"),
        local.strftime("%-d %B %Y, %H:%M"),
        settings.OPERATOR_TIME_ZONE.replace("_", " "),
    )


@register.filter
def clause_links(html):
    """Published HTML with a "link to this clause" anchor before each clause."""
    return mark_safe(with_clause_links(html))  # sanitised at publication; anchors are ours
