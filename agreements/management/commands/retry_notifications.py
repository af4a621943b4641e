"""Send the operator the notifications that are still unsent (mail server down, or the
worker died between the commit and the email). deploy/ runs it every ten minutes."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from agreements.contact.notifications import notify_operator
from agreements.models import Submission, Withdrawal

# A record this young with no error may still be on its way out from its own request.
IN_FLIGHT = timedelta(minutes=1)


class Command(BaseCommand):
    help = "Retry every operator notification that failed or was never sent."

    def handle(self, *args, **options):
        sent = failed = 0
        settled = Q(notification_error__gt="") | Q(created_at__lt=timezone.now() - IN_FLIGHT)
        for model in (Submission, Withdrawal):
            pending = model.objects.filter(settled, notification_sent_at__isnull=True)
            if model is Submission:
                pending = pending.filter(erased_at__isnull=True)
            for record in pending.order_by("created_at"):
                if notify_operator(record):
                    sent += 1
                else:
                    failed += 1
        self.stdout.write(f"Sent {sent}, still failing {failed}.")
        if failed:
            raise SystemExit(1)
