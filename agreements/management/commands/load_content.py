"""Publish the Markdown files of content/ as new versions when the file changed.

A deploy runs it; it never publishes over a version the operator published in admin.
"""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from agreements.models import ContentLoad, Document, Version, fingerprint_of
from agreements.rendering import normalise_source

HEADER_FIELDS = {"document", "title", "effective", "summary"}


@dataclass(frozen=True)
class ContentFile:
    document: str
    title: str
    effective: dt.datetime
    summary: str
    source: str


def read_content_file(path):
    """A file is a small header between '---' lines, then the Markdown text."""
    text = normalise_source(Path(path).read_text(encoding="utf-8"))
    if not text.startswith("---\n") or "\n---\n" not in text[3:]:
        raise CommandError(f"{path}: the file must start with a '---' header.")
    header_text, source = text[4:].split("\n---\n", 1)
    header = {}
    for line in header_text.splitlines():
        key, sep, value = line.partition(":")
        if not sep or key.strip() not in HEADER_FIELDS:
            raise CommandError(f"{path}: unexpected header line {line!r}.")
        header[key.strip()] = value.strip()
    missing = HEADER_FIELDS - header.keys()
    if missing:
        raise CommandError(f"{path}: the header lacks {', '.join(sorted(missing))}.")
    if header["document"] not in dict(Document.SLUGS):
        raise CommandError(f"{path}: unknown document {header['document']!r}.")
    try:
        effective = dt.datetime.fromisoformat(header["effective"])
    except ValueError:
        raise CommandError(f"{path}: effective must be a date like 2026-11-26.") from None
    if timezone.is_naive(effective):
        effective = effective.replace(tzinfo=dt.UTC)
    return ContentFile(header["document"], header["title"], effective, header["summary"], source)


class Command(BaseCommand):
    help = (
        "Publish each content/*.md file as a new version of its document when the document "
        "has no version yet, or when the file changed since it was last loaded and the "
        "latest version is the one it loaded. A version published in admin is never "
        "published over. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", help="Files to load (default: content/*.md).")

    def handle(self, *args, paths, **options):
        files = paths or sorted(str(p) for p in (settings.BASE_DIR / "content").glob("*.md"))
        for path in files:
            self.load(read_content_file(path), Path(path).name)

    @transaction.atomic
    def load(self, content, name):
        document, _ = Document.objects.get_or_create(
            slug=content.document, defaults={"title": content.title}
        )
        Document.objects.select_for_update().get(pk=document.pk)  # one loader at a time
        versions = document.versions.not_cancelled().select_related("content_load")
        latest = versions.order_by("-number").first()
        fingerprint = fingerprint_of(content.source)
        if latest and latest.fingerprint == fingerprint:
            self.stdout.write(f"{name}: unchanged ({latest}).")
            return
        loaded = versions.filter(content_load__isnull=False).order_by("-number").first()
        if latest and loaded and loaded.fingerprint == fingerprint:
            self.stdout.write(f"{name}: unchanged since it was loaded as {loaded}; {latest} stays.")
            return
        if latest and not hasattr(latest, "content_load"):
            self.stdout.write(
                self.style.WARNING(
                    f"{name}: changed, but NOT published: {latest} was published in admin, "
                    "and a file never replaces it. Publish the change in admin instead."
                )
            )
            return
        self.publish(document, content, name, latest)

    def publish(self, document, content, name, latest):
        draft = Version.objects.create(
            document=document, title=content.title, source=content.source, summary=content.summary
        )
        # A date in the past means "as soon as it is loaded": versions never take effect
        # retroactively, and never before the previous one.
        effective_at = max(timezone.now(), content.effective)
        if latest:
            effective_at = max(effective_at, latest.effective_at)
        draft.publish(effective_at=effective_at)
        ContentLoad.objects.create(version=draft, file_name=name)
        self.stdout.write(self.style.SUCCESS(f"{name}: published {draft}."))
