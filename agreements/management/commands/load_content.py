"""Publish the Markdown files of content/ as new versions (agreements/documents/loader.py
says when). A deploy runs it; it never publishes over a version published in admin."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agreements.documents.loader import (
    ContentFileError,
    content_files,
    load,
    read_content_file,
)


class Command(BaseCommand):
    help = (
        "Publish each content/*.md file as a new version of its document when the document "
        "has no version yet, or when the file changed since it was last loaded and the "
        "latest version is the one it loaded. A version published in admin is never "
        "published over. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="*",
            help="Files to load (default: content/*.md, then content/<language>/*.md).",
        )  # fmt: skip

    def handle(self, *args, paths, **options):
        files = [(p, Path(p).name, "en") for p in paths]
        files = files or content_files(settings.BASE_DIR / "content")
        for path, name, language in files:
            if language not in dict(settings.LANGUAGES):
                raise CommandError(f"{name}: {language!r} is not a language of the site.")
            try:
                content = read_content_file(path)
            except ContentFileError as error:
                raise CommandError(str(error)) from None
            outcome = load(content, name, language)
            if outcome.published:
                self.stdout.write(self.style.SUCCESS(f"{outcome.message} {outcome.published}."))
            elif outcome.skipped_over_admin:
                self.stdout.write(self.style.WARNING(outcome.message))
            else:
                self.stdout.write(outcome.message)
