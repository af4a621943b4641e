"""The register of rights requests: the law's clock computed from fixed dates (never
today), overdue ones marked in admin and emailed to the operator each morning, requests
typed in by the operator, and a log of states nobody can rewrite."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from agreements.core.deadlines import add_months, due_for
from agreements.evidence.models import AppendOnlyViolation
from agreements.models import RightsRequest, RightsRequestChange
from agreements.rights import services

FRIDAY = datetime(2031, 1, 3, 9, tzinfo=UTC)  # 2031-01-03 is a Friday


def test_each_laws_clock_is_computed_from_fixed_dates_and_the_stricter_wins():
    # Russia: access within 10 working days; from a Friday that is Friday two weeks later.
    assert due_for("access", FRIDAY, "ru") == datetime(2031, 1, 17, 9, tzinfo=UTC)
    # Vietnam keeps its own clock too: 10 working days there as well.
    assert due_for("access", FRIDAY, "vn") == datetime(2031, 1, 17, 9, tzinfo=UTC)
    # A withdrawal: Vietnam's 15 days before Russia's 30.
    assert due_for("withdrawal", FRIDAY, "ru") == datetime(2031, 1, 18, 9, tzinfo=UTC)
    # The GDPR's month is a calendar month, clipped to the month's last day.
    assert add_months(datetime(2031, 1, 31, 9, tzinfo=UTC), 1) == datetime(
        2031, 2, 28, 9, tzinfo=UTC)  # fmt: skip
    assert due_for("erasure", FRIDAY, "eu") <= datetime(2031, 2, 3, 9, tzinfo=UTC)


@pytest.mark.django_db
def test_the_law_follows_the_language_and_overdue_requests_are_marked(admin_client):
    entry = services.register(kind="access", channel="email", email="a@example.com",
                              by="operator", language="ru")  # fmt: skip
    RightsRequest.objects.filter(pk=entry.pk).update(received_at=FRIDAY)
    entry.refresh_from_db()
    assert entry.law == "ru" and entry.due == datetime(2031, 1, 17, 9, tzinfo=UTC)
    assert not entry.is_overdue(at=datetime(2031, 1, 17, 8, tzinfo=UTC))
    assert entry.is_overdue(at=datetime(2031, 1, 17, 10, tzinfo=UTC))
    from datetime import timedelta

    from django.utils import timezone

    RightsRequest.objects.filter(pk=entry.pk).update(received_at=timezone.now() - timedelta(30))
    listing = admin_client.get("/admin/agreements/rightsrequest/").content.decode()
    assert "OVERDUE" in listing and "Due (Asia/Ho_Chi_Minh)" in listing


@pytest.mark.django_db
def test_the_operator_types_in_a_request_and_moves_it_by_actions_that_ask_first(admin_client):
    response = admin_client.post("/admin/agreements/rightsrequest/add/", {
        "kind": "correction", "channel": "letter", "email": "b@example.com", "language": "vi",
        "law": "", "details": "Fix the company name.",
        "received_at_0": "2031-01-03", "received_at_1": "16:00:00",
    })  # fmt: skip
    assert response.status_code == 302
    entry = RightsRequest.objects.get()
    assert entry.law == "vn" and entry.changes.get().state == "received"
    selected = {"action": "mark_completed", "_selected_action": [entry.pk]}
    asked = admin_client.post("/admin/agreements/rightsrequest/", selected).content.decode()
    assert "This cannot be undone." in asked
    assert RightsRequest.objects.get().state == "received"  # asked, not done
    admin_client.post("/admin/agreements/rightsrequest/", selected | {"confirmed": "yes"})
    entry.refresh_from_db()
    assert entry.state == "completed" and entry.completed_at and entry.handled_by == "admin"
    assert list(entry.changes.values_list("state", flat=True)) == ["received", "completed"]


@pytest.mark.django_db
def test_the_registers_log_cannot_be_rewritten():
    entry = services.register(kind="erasure", channel="email", email="c@example.com", by="op")
    change = entry.changes.get()
    with pytest.raises(AppendOnlyViolation):
        change.save()
    with pytest.raises(AppendOnlyViolation):
        RightsRequestChange.objects.all().delete()
    from django.db import connection, transaction

    from agreements.evidence.models import AppendOnlyViolation as _  # noqa: F401

    with pytest.raises(Exception, match="cannot be changed"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE agreements_rightsrequestchange SET note = 'x'")


@pytest.mark.django_db
def test_every_morning_the_operator_is_emailed_what_is_overdue(settings):
    entry = services.register(kind="access", channel="email", email="d@example.com", by="op",
                              language="ru")  # fmt: skip
    RightsRequest.objects.filter(pk=entry.pk).update(received_at=FRIDAY)
    with time_machine.travel(datetime(2031, 1, 10, 9, tzinfo=UTC), tick=False):
        call_command("report_overdue")  # within its clock: nothing to say
    assert not mail.outbox and not list_overdue_messages()
    with time_machine.travel(datetime(2031, 1, 20, 9, tzinfo=UTC), tick=False):
        call_command("report_overdue")
        call_command("deliver", "--once")
    [report] = [m for m in mail.outbox if m.to == [settings.KOMMOGEN_OPERATOR_EMAIL]]
    assert f"rights request #{entry.pk}" in report.body and "past their deadline" in report.subject


def list_overdue_messages():
    from agreements.models import OutboxMessage

    return list(OutboxMessage.objects.filter(kind="operator_overdue_report"))


@pytest.mark.django_db
def test_the_register_forgets_whose_requests_they_were_after_the_retention_period(settings):
    from datetime import timedelta

    from django.utils import timezone

    old = services.register(kind="access", channel="email", email="old@example.com", by="op")
    new = services.register(kind="access", channel="email", email="new@example.com", by="op")
    long_ago = timezone.now() - timedelta(days=settings.KOMMOGEN_RETENTION_DAYS + 1)
    RightsRequest.objects.filter(pk=old.pk).update(received_at=long_ago)
    call_command("erase_expired_requests")
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.email == "" and old.kind == "access" and new.email == "new@example.com"
