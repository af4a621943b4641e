"""Erase a person's personal data from their requests; the evidence chain stays verifiable."""

from django.core.management.base import BaseCommand

from agreements.evidence import Context, erase_submission
from agreements.models import Submission


class Command(BaseCommand):
    help = "Blank the personal fields of every request from EMAIL and record an 'erased' event."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        context = Context("", "erase_personal_data command", None, "", "", None, "")
        submissions = Submission.objects.filter(email__iexact=email.strip(), erased_at__isnull=True)
        erased = [s.reference for s in submissions if erase_submission(s, context)]
        self.stdout.write(f"Erased {len(erased)} request(s): {', '.join(erased) or 'none'}.")
