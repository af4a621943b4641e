"""Publishing and cancelling a version: each one transaction over the document, its
versions and what the areas above do about it (the notices to subscribers)."""

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from . import caching
from .models import (
    Cancellation,
    Document,
    PublishedVersionIsImmutable,
    Version,
    fingerprint_of,
    next_number,
    refuse_unless_it_follows,
    refuse_unless_it_names_its_original,
)
from .placeholders import filled
from .rendering import normalise_source, render_markdown
from .signals import version_published


def version_publish(
    *,
    version: Version,
    effective_at: datetime | None = None,
    summary: str | None = None,
    material: bool = False,
) -> Version:
    """Freeze a draft as its document's next numbered version (in its language).

    effective_at: now (default) or a later moment; never in the past, and never before
    the previous version's, so that numbers and effect keep one order. No checkpoint is
    signed here: the admin request would wait on the signer and a time-stamping
    authority (the timer signs one within minutes). A material change takes effect no
    sooner than KOMMOGEN_NOTICE_DAYS after publication (by then, if no later moment is
    given), and the areas above tell those who accepted before."""
    now = timezone.now()
    effective_at = after_notice(effective_at, now) if material else effective_at
    effective_at = not_in_the_past(effective_at or now, now)
    with transaction.atomic():
        Document.objects.select_for_update().get(pk=version.document_id)
        draft = Version.objects.select_for_update().get(pk=version.pk)
        if draft.is_published:
            raise PublishedVersionIsImmutable(f"{draft} is already published.")
        refuse_unless_it_names_its_original(draft)
        versions = Version.objects.filter(document_id=draft.document_id)
        versions = versions.in_language(draft.language)  # numbered per language
        previous = versions.not_cancelled().order_by("-number").first()
        source = filled(normalise_source(draft.source), draft.language)
        refuse_unless_it_follows(previous, fingerprint_of(source), effective_at)
        Version.objects.filter(pk=draft.pk, number__isnull=True).update(
            number=next_number(versions), summary=draft.summary if summary is None else summary,
            effective_at=effective_at, published_at=now, material=material, **frozen(source),
        )  # fmt: skip
        published = Version.objects.select_related("document").get(pk=draft.pk)
        version_published.announce(version=published)
    version.refresh_from_db()
    caching.forget()  # this process shows it at once; others within a second
    return version


def frozen(source):
    """What publication freezes of a text: it, its rendering and their fingerprints."""
    rendered = render_markdown(source)
    return {
        "source": source, "fingerprint": fingerprint_of(source), "html": rendered.html,
        "html_fingerprint": hashlib.sha256(rendered.html.encode()).hexdigest(),
        "toc_html": rendered.toc_html,
    }  # fmt: skip


def after_notice(effective_at, now):
    """A material change's moment: the notice period's end, or a later one given."""
    days = settings.KOMMOGEN_NOTICE_DAYS
    earliest = now + timedelta(days=days)
    if effective_at is None:
        return earliest
    if effective_at < earliest - timedelta(seconds=1):
        raise ValidationError(
            f"A material change takes effect no sooner than {days} days after it is "
            f"published: {earliest:%Y-%m-%d %H:%M} UTC at the earliest."
        )
    return effective_at


def not_in_the_past(effective_at, now):
    if effective_at < now - timedelta(seconds=1):
        raise ValidationError("A version cannot take effect in the past.")
    return effective_at


def version_cancel(*, version: Version, by: str, reason: str = "") -> Cancellation:
    """Withdraw a scheduled version before it takes effect. Its number stays used, its
    page says it was cancelled, and the Cancellation row records who and when."""
    with transaction.atomic():
        Document.objects.select_for_update().get(pk=version.document_id)
        version = Version.objects.select_related("cancellation").get(pk=version.pk)
        if not version.is_published:
            raise ValidationError("A draft is not scheduled; delete it instead.")
        if version.is_cancelled:
            raise ValidationError(f"{version} is already cancelled.")
        if version.effective_at <= timezone.now():
            raise ValidationError(f"{version} has taken effect; it can no longer be cancelled.")
        cancellation = Cancellation.objects.create(
            version=version, cancelled_at=timezone.now(), cancelled_by=by, reason=reason
        )
    caching.forget()
    return cancellation
