"""Erase a person's personal data from their requests; the evidence chain stays verifiable."""

from django.core.management.base import BaseCommand

from agreements.contact.services import person_erase
from agreements.core.clients import Context


class Command(BaseCommand):
    help = (
        "Erase every copy of EMAIL's personal data: their requests (each with an 'erased' "
        "event) and their withdrawals. The address is matched as normalise_email() gives it."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        context = Context.without_request("erase_personal_data command")
        erased = person_erase(email=email, context=context)
        self.stdout.write(f"Erased {len(erased)} request(s): {', '.join(erased) or 'none'}.")
