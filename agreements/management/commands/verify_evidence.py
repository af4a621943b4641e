"""Recompute the evidence chain and report OK, or the first broken position and why."""

from django.core.management.base import BaseCommand, CommandError

from agreements.evidence.verification import verify_and_remember


class Command(BaseCommand):
    help = (
        "Recompute every acceptance event's hash and link, and re-hash the text and HTML of "
        "every version they name; exit 1 at the first break. The result is kept for admin."
    )

    def handle(self, *args, **options):
        result = verify_and_remember()
        if not result.ok:
            raise CommandError(str(result))
        self.stdout.write(self.style.SUCCESS(str(result)))
