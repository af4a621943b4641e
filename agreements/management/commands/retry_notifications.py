"""Send the operator the notifications that failed (mail server down)."""

from django.core.management.base import BaseCommand

from agreements.models import Submission, Withdrawal
from agreements.notifications import notify_operator


class Command(BaseCommand):
    help = "Retry every operator notification not sent yet."

    def handle(self, *args, **options):
        sent = failed = 0
        for model in (Submission, Withdrawal):
            pending = model.objects.filter(notification_sent_at__isnull=True)
            if model is Submission:
                pending = pending.filter(erased_at__isnull=True)
            for record in pending:
                if notify_operator(record):
                    sent += 1
                else:
                    failed += 1
        self.stdout.write(f"Sent {sent}, still failing {failed}.")
        if failed:
            raise SystemExit(1)
