"""Every night (deploy/): complete the withdrawals of the personal-data consent by erasing
their requests, erase the personal data of requests and withdrawals older than the
retention period (KOMMOGEN_RETENTION_DAYS, as the Privacy Policy states), and delete old
admin sign-in records."""

from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from agreements.contact.services import submission_erase
from agreements.core.clients import Context
from agreements.evidence.statements import EXPIRED_STATEMENT
from agreements.models import RightsRequest, Submission, Withdrawal
from agreements.withdrawal.services import blank, withdrawn_erase


class Command(BaseCommand):
    help = (
        "Erase the personal data of every request older than KOMMOGEN_RETENTION_DAYS, "
        "appending an 'erased' event for each, and blank old withdrawals' address and IP."
    )

    def handle(self, *args, **options):
        cutoff = timezone.now() - timedelta(days=settings.KOMMOGEN_RETENTION_DAYS)
        context = Context.without_request("erase_expired_requests command")
        withdrawn = withdrawn_erase(context=context)
        self.stdout.write(f"Completed {len(withdrawn)} withdrawal(s) of the personal-data "
                          "consent by erasing their requests.")  # fmt: skip
        expired = Submission.objects.filter(created_at__lt=cutoff, erased_at__isnull=True)
        erased = [
            s.reference
            for s in expired.order_by("created_at").iterator()
            if submission_erase(submission=s, context=context, statement=EXPIRED_STATEMENT)
        ]
        withdrawals = Withdrawal.objects.filter(created_at__lt=cutoff).exclude(
            email="", client_ip=None, user_agent=""
        )
        blanked = blank(withdrawals)  # with the outbox's copies
        RightsRequest.objects.filter(received_at__lt=cutoff).exclude(email="").update(
            email="", email_key=""
        )  # the register keeps what was asked and done, no longer whose it was
        self.stdout.write(
            f"Erased {len(erased)} request(s) and {blanked} withdrawal(s) older than "
            f"{settings.KOMMOGEN_RETENTION_DAYS} days."
        )
        self.forget_login_records()

    def forget_login_records(self):
        """Admin sign-in records (django-axes: IP, browser, what was typed as the user
        name) are kept KOMMOGEN_LOGIN_RECORDS_DAYS (30), then deleted."""
        cutoff = timezone.now() - timedelta(days=settings.KOMMOGEN_LOGIN_RECORDS_DAYS)
        deleted = AccessAttempt.objects.filter(attempt_time__lt=cutoff).delete()[0]
        deleted += AccessLog.objects.filter(attempt_time__lt=cutoff).delete()[0]
        deleted += AccessFailureLog.objects.filter(attempt_time__lt=cutoff).delete()[0]
        self.stdout.write(f"Deleted {deleted} admin sign-in record(s) older than "
                          f"{settings.KOMMOGEN_LOGIN_RECORDS_DAYS} days.")  # fmt: skip
