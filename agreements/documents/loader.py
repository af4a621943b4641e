"""The content loader: the Markdown files of content/ become published versions.

A file is published when its document has no version yet, or when the file changed
since it was last loaded and the latest version is the one the loader published from
it. A version published in admin is never published over: a deploy never undoes one.

Translations live in content/<language>/ (content/ru/, content/vi/), one file per
document like the English ones; each is published as a version in its language that
translates the English version current when it is loaded (the English files are
loaded first). A translation file left unchanged after the English text moved on
stays the translation of the older version, and its page says so.
"""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import ENGLISH, ContentLoad, Document, Version, fingerprint_of
from .placeholders import filled
from .rendering import normalise_source
from .services import version_publish

HEADER_FIELDS = {"document", "title", "effective", "summary"}


class ContentFileError(Exception):
    """A content file the loader cannot read: the message says what to fix."""


@dataclass(frozen=True)
class ContentFile:
    document: str
    title: str
    effective: dt.datetime
    summary: str
    source: str


@dataclass(frozen=True)
class Outcome:
    """What loading a file did: published is the new version, or None."""

    message: str
    published: Version | None = None
    skipped_over_admin: bool = False


def read_content_file(path):
    """A file is a small header between '---' lines, then the Markdown text."""
    text = normalise_source(Path(path).read_text(encoding="utf-8"))
    if not text.startswith("---\n") or "\n---\n" not in text[3:]:
        raise ContentFileError(f"{path}: the file must start with a '---' header.")
    header_text, source = text[4:].split("\n---\n", 1)
    header = {}
    for line in header_text.splitlines():
        key, sep, value = line.partition(":")
        if not sep or key.strip() not in HEADER_FIELDS:
            raise ContentFileError(f"{path}: unexpected header line {line!r}.")
        header[key.strip()] = value.strip()
    missing = HEADER_FIELDS - header.keys()
    if missing:
        raise ContentFileError(f"{path}: the header lacks {', '.join(sorted(missing))}.")
    if header["document"] not in Document.Slug.values:
        raise ContentFileError(f"{path}: unknown document {header['document']!r}.")
    try:
        effective = dt.datetime.fromisoformat(header["effective"])
    except ValueError:
        raise ContentFileError(f"{path}: effective must be a date like 2026-11-26.") from None
    if timezone.is_naive(effective):
        effective = effective.replace(tzinfo=dt.UTC)
    return ContentFile(header["document"], header["title"], effective, header["summary"], source)


@transaction.atomic
def load(content, name, language=ENGLISH):
    """Publish content (read from the file called name) if the rule above allows it."""
    document, _ = Document.objects.get_or_create(slug=content.document)
    Document.objects.select_for_update().get(pk=document.pk)  # one loader at a time
    versions = document.versions.not_cancelled().filter(language=language)
    versions = versions.select_related("content_load")
    latest = versions.order_by("-number").first()
    fingerprint = fingerprint_of(filled(content.source, language))  # as it would be published
    if latest and latest.fingerprint == fingerprint:
        return Outcome(f"{name}: unchanged ({latest}).")
    loaded = versions.filter(content_load__isnull=False).order_by("-number").first()
    if latest and loaded and loaded.fingerprint == fingerprint:
        return Outcome(f"{name}: unchanged since it was loaded as {loaded}; {latest} stays.")
    if latest and not hasattr(latest, "content_load"):
        return Outcome(
            f"{name}: changed, but NOT published: {latest} was published in admin, and a "
            "file never replaces it. Publish the change in admin instead.",
            skipped_over_admin=True,
        )
    original = None
    if language != ENGLISH:
        english = document.versions.not_cancelled().filter(language=ENGLISH)
        original = english.current() or english.order_by("-number").first()
        if original is None:
            return Outcome(f"{name}: NOT published: the English text is not published yet.")
    return Outcome(f"{name}: published", publish(document, content, name, latest, original))


def publish(document, content, name, latest, original=None):
    """original: for a translation, the English version it translates."""
    draft = Version.objects.create(
        document=document, title=content.title, source=content.source, summary=content.summary,
        language=content_language(name) if original else ENGLISH, translates=original,
    )  # fmt: skip
    # A date in the past means "as soon as it is loaded": versions never take effect
    # retroactively, and never before the previous one.
    effective_at = max(timezone.now(), content.effective)
    if latest:
        effective_at = max(effective_at, latest.effective_at)
    version_publish(version=draft, effective_at=effective_at)
    ContentLoad.objects.create(version=draft, file_name=name)
    return draft


def content_language(name):
    """The language of a content file from its name: "ru/consent.md" is Russian."""
    folder = Path(name).parent.name
    return folder or ENGLISH


def content_files(base):
    """(path, name, language) of every content file: English first, then each language
    (content/<language>/; other folders, like content/site/, are not documents)."""
    files = [(path, path.name, ENGLISH) for path in sorted(base.glob("*.md"))]
    languages = {code for code, _name in settings.LANGUAGES} - {ENGLISH}
    for folder in sorted(p for p in base.iterdir() if p.is_dir() and p.name in languages):
        for path in sorted(folder.glob("*.md")):
            files.append((path, f"{folder.name}/{path.name}", folder.name))
    return files
