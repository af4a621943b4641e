"""Erase the personal data of requests and withdrawals older than the retention period
(KOMMOGEN_RETENTION_DAYS, as the Privacy Policy states); deploy/ runs it every night."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from agreements.evidence.chain import Context
from agreements.evidence.erasure import erase_submission
from agreements.evidence.statements import EXPIRED_STATEMENT
from agreements.models import Submission, Withdrawal


class Command(BaseCommand):
    help = (
        "Erase the personal data of every request older than KOMMOGEN_RETENTION_DAYS, "
        "appending an 'erased' event for each, and blank old withdrawals' address and IP."
    )

    def handle(self, *args, **options):
        cutoff = timezone.now() - timedelta(days=settings.KOMMOGEN_RETENTION_DAYS)
        context = Context("", "erase_expired_requests command", None, "", "", None, "")
        expired = Submission.objects.filter(created_at__lt=cutoff, erased_at__isnull=True)
        erased = [
            s.reference
            for s in expired.order_by("created_at").iterator()
            if erase_submission(s, context, statement=EXPIRED_STATEMENT)
        ]
        withdrawals = Withdrawal.objects.filter(created_at__lt=cutoff).exclude(
            email="", client_ip=None, user_agent=""
        )
        blanked = withdrawals.update(email="", email_key="", client_ip=None, user_agent="")
        self.stdout.write(
            f"Erased {len(erased)} request(s) and {blanked} withdrawal(s) older than "
            f"{settings.KOMMOGEN_RETENTION_DAYS} days."
        )
