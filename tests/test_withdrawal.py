"""Withdrawal of consent: as easy as giving it, recorded in the chain, with statutory clocks."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from agreements.evidence import verification
from agreements.models import AcceptanceEvent, Submission, Withdrawal


def test_every_page_links_to_withdrawal(client, documents):
    for url in ("/", "/agreement/", "/contact/", "/evidence/"):
        assert 'href="/consent/withdraw/"' in client.get(url).content.decode()


def test_withdrawing_by_email_records_an_event_linked_to_earlier_requests(client, send_request):
    send_request(email="An@Example.com")
    response = client.post(
        "/consent/withdraw/", {"email": "an@example.com", "scope": "personal_data"}
    )
    withdrawal = Withdrawal.objects.get()
    assert response.status_code == 302 and response["Location"] == withdrawal.get_absolute_url()
    assert list(withdrawal.submissions.all()) == [Submission.objects.get()]
    event = AcceptanceEvent.objects.order_by("position").last()
    assert (event.kind, event.purpose) == ("withdrawn", "personal_data")
    assert event.withdrawal == withdrawal
    assert verification.verify_chain().ok
    receipt = client.get(response["Location"]).content.decode()
    assert withdrawal.reference in receipt and event.hash in receipt
    call_command("deliver", "--once")
    assert any(withdrawal.reference in m.subject for m in mail.outbox)


def test_withdrawing_notifications_only_by_reference(client, send_request):
    send_request()
    submission = Submission.objects.get()
    response = client.post(
        "/consent/withdraw/", {"reference": submission.reference.lower(), "scope": "notifications"}
    )
    assert response.status_code == 302
    assert list(Withdrawal.objects.get().submissions.all()) == [submission]


def test_a_withdrawal_without_email_or_reference_gets_a_clear_message(client, db):
    response = client.post("/consent/withdraw/", {"scope": "personal_data"})
    assert response.status_code == 400
    assert "Give the email you used" in response.content.decode()
    assert not Withdrawal.objects.exists() and not AcceptanceEvent.objects.exists()


def test_statutory_clocks_and_overdue(db):
    monday = datetime(2026, 11, 23, 9, tzinfo=UTC)
    friday = datetime(2026, 11, 27, 9, tzinfo=UTC)
    assert Withdrawal(created_at=monday).acknowledge_by.date().isoformat() == "2026-11-25"
    assert Withdrawal(created_at=friday).acknowledge_by.date().isoformat() == "2026-12-01"
    late = Withdrawal(created_at=timezone.now() - timedelta(days=3))
    assert late.is_overdue()
    late.acknowledged_at = timezone.now()
    assert not late.is_overdue()
    assert late.complete_by_russia - late.created_at == timedelta(days=30)


def test_admin_shows_overdue_withdrawals_and_marks_them_done(admin_client, db):
    withdrawal = Withdrawal.objects.create(
        email="a@example.com", scope="personal_data", created_at=timezone.now() - timedelta(days=20)
    )
    page = admin_client.get("/admin/agreements/withdrawal/").content.decode()
    assert "OVERDUE" in page
    admin_client.post(
        "/admin/agreements/withdrawal/",
        {"action": "mark_completed", "_selected_action": [withdrawal.pk]},
    )
    withdrawal.refresh_from_db()
    assert withdrawal.acknowledged_at and withdrawal.completed_at
    assert "OVERDUE" not in admin_client.get("/admin/agreements/withdrawal/").content.decode()


def test_marking_withdrawals_needs_change_permission_and_is_logged(client, db):
    from django.contrib.admin.models import LogEntry
    from django.contrib.auth.models import Permission, User

    withdrawal = Withdrawal.objects.create(email="a@example.com", scope="personal_data")
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_withdrawal"))
    client.force_login(viewer)
    page = client.get("/admin/agreements/withdrawal/").content.decode()
    assert "mark_completed" not in page
    client.post(
        "/admin/agreements/withdrawal/",
        {"action": "mark_completed", "_selected_action": [withdrawal.pk]},
    )
    withdrawal.refresh_from_db()
    assert withdrawal.acknowledged_at is None and withdrawal.completed_at is None

    viewer.user_permissions.add(Permission.objects.get(codename="change_withdrawal"))
    client.post(
        "/admin/agreements/withdrawal/",
        {"action": "mark_completed", "_selected_action": [withdrawal.pk]},
    )
    withdrawal.refresh_from_db()
    assert withdrawal.acknowledged_at and withdrawal.completed_at
    logged = LogEntry.objects.filter(object_id=str(withdrawal.pk), user=viewer)
    assert sorted(logged.values_list("change_message", flat=True)) == [
        "Marked as acknowledged.",
        "Marked as completed.",
    ]


@pytest.mark.urls("tests.admin_path_urls")
def test_operator_emails_link_to_the_configured_admin_path(client, send_request, settings):
    settings.ADMIN_PATH = "office-7f3k/"
    send_request()
    client.post("/consent/withdraw/", {"email": "an@example.com", "scope": "notifications"})
    call_command("deliver", "--once")
    bodies = [m.body for m in mail.outbox if m.to == [settings.KOMMOGEN_OPERATOR_EMAIL]]
    assert len(bodies) == 2
    for body in bodies:
        assert f"{settings.SITE_URL}/office-7f3k/agreements/" in body and "/admin/" not in body
