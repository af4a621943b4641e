"""Email the operator the rights requests and withdrawals past their deadline (every
morning, from deploy/systemd's nightly unit); nothing is sent when none is."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone

from agreements.models import RightsRequest, Withdrawal
from agreements.outbox.messages import queue


class Command(BaseCommand):
    help = "Email the operator the rights requests and withdrawals past their deadline."

    def handle(self, *args, **options):
        now = timezone.now()
        open_states = (RightsRequest.State.RECEIVED, RightsRequest.State.ACKNOWLEDGED)
        entries = [e for e in RightsRequest.objects.filter(state__in=open_states)
                   if e.is_overdue(at=now)]  # fmt: skip
        withdrawals = [w for w in Withdrawal.objects.filter(completed_at__isnull=True)
                       if w.is_overdue(at=now)]  # fmt: skip
        if not entries and not withdrawals:
            self.stdout.write("Nothing is overdue.")
            return
        lines = [f"- rights request #{e.pk} ({e.get_kind_display()}), due "
                 f"{e.due:%Y-%m-%d %H:%M} UTC: {admin_url('rightsrequest', e.pk)}"
                 for e in entries]  # fmt: skip
        lines += [f"- withdrawal {w.reference}, complete by {w.complete_by:%Y-%m-%d %H:%M} UTC: "
                  f"{admin_url('withdrawal', w.pk)}" for w in withdrawals]  # fmt: skip
        text = "These are past their deadline:\n\n" + "\n".join(lines) + "\n"
        subject = f"[KommoGEN] {len(lines)} request(s) past their deadline"
        queue(f"overdue:{now:%Y-%m-%d}", "operator_overdue_report",
              settings.KOMMOGEN_OPERATOR_EMAIL, subject=subject, text=text)  # fmt: skip
        self.stdout.write(f"{len(lines)} overdue: the operator is emailed.")


def admin_url(model, pk):
    return settings.SITE_URL + reverse(f"admin:agreements_{model}_change", args=[pk])
