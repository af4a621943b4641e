"""Recompute the evidence chain and report OK, or the first broken position and why."""

from django.core.management.base import BaseCommand, CommandError

from agreements.evidence import verify_chain


class Command(BaseCommand):
    help = "Recompute every acceptance event's hash and link; exit 1 at the first break."

    def handle(self, *args, **options):
        result = verify_chain()
        if not result.ok:
            raise CommandError(str(result))
        self.stdout.write(self.style.SUCCESS(str(result)))
