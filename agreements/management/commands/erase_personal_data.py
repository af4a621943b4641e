"""Erase a person's personal data from their requests; the evidence chain stays verifiable."""

from django.core.management.base import BaseCommand

from agreements.evidence.chain import Context
from agreements.evidence.erasure import erase_person


class Command(BaseCommand):
    help = (
        "Erase every copy of EMAIL's personal data: their requests (each with an 'erased' "
        "event) and their withdrawals. The address is matched as normalise_email() gives it."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        context = Context("", "erase_personal_data command", None, "", "", None, "")
        erased = erase_person(email, context)
        self.stdout.write(f"Erased {len(erased)} request(s): {', '.join(erased) or 'none'}.")
