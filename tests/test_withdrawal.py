"""Withdrawal of consent: as easy as giving it, never for someone else, recorded in the
chain, with statutory clocks."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from agreements.evidence import chain, verification
from agreements.models import AcceptanceEvent, OutboxMessage, Submission, Withdrawal


def test_every_page_links_to_withdrawal(client, documents):
    for url in ("/", "/agreement/", "/contact/", "/evidence/"):
        assert 'href="/consent/withdraw/"' in client.get(url).content.decode()


def confirmation_path(address):
    """The path of the link in the confirmation email sent to address."""
    call_command("deliver", "--once")
    [message] = [m for m in mail.outbox if m.to == [address] and "withdraw" in m.subject]
    url = re.search(r"https?://\S+/consent/withdraw/confirm/\S+/", message.body).group(0)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_a_typed_withdrawal_takes_effect_only_by_the_link_sent_to_the_requests_address(
    client, send_request
):
    send_request(email="An@Example.com")
    response = client.post(
        "/consent/withdraw/", {"email": " an@example.COM", "scope": "personal_data"}
    )
    assert response.status_code == 200 and "Check your email" in response.content.decode()
    assert not Withdrawal.objects.exists()  # the worker matches what was typed, not the page
    call_command("deliver", "--once")
    withdrawal = Withdrawal.objects.get()
    assert withdrawal.confirmed_at is None  # pending: nothing in the chain yet
    assert not AcceptanceEvent.objects.filter(kind="withdrawn").exists()
    path = confirmation_path("An@Example.com")
    assert client.get(path).status_code == 200  # opening the link changes nothing
    assert Withdrawal.objects.get().confirmed_at is None
    confirmed = client.post(path)
    assert confirmed.status_code == 302 and confirmed["Location"] == withdrawal.get_absolute_url()
    event = AcceptanceEvent.objects.order_by("position").last()
    assert (event.kind, event.purpose, event.withdrawal) == (
        "withdrawn",
        "personal_data",
        withdrawal,
    )
    assert chain.record(event)["applies_to"] == [Submission.objects.get().reference]
    assert verification.verify_chain().ok
    receipt = client.get(confirmed["Location"]).content.decode()
    assert withdrawal.reference in receipt and event.hash in receipt
    client.post(path)  # again: one event
    assert AcceptanceEvent.objects.filter(kind="withdrawn").count() == 1
    call_command("deliver", "--once")
    assert any(withdrawal.reference in m.subject for m in mail.outbox if "[KommoGEN]" in m.subject)


def test_an_unknown_address_gets_the_same_page_and_nothing_is_sent(client, send_request):
    send_request(email="known@example.com")
    known = client.post(
        "/consent/withdraw/", {"email": "known@example.com", "scope": "notifications"}
    )
    unknown = client.post(
        "/consent/withdraw/", {"email": "nobody@example.com", "scope": "notifications"}
    )
    assert known.status_code == unknown.status_code == 200
    strip = lambda response: response.content.decode().replace("\n", "")  # noqa: E731
    assert strip(known) == strip(unknown)
    call_command("deliver", "--once")
    assert not [m for m in mail.outbox if m.to == ["nobody@example.com"]]
    assert [m.to for m in mail.outbox if "withdraw" in m.subject] == [["known@example.com"]]


def test_a_known_and_an_unknown_address_cost_the_request_the_same_work(client, send_request):
    """The same rows and the same queries either way: the timing tells nothing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    send_request(email="known@example.com")
    before = OutboxMessage.objects.count()
    work = []
    for address in ("known@example.com", "nobody@example.com"):
        with CaptureQueriesContext(connection) as queries:
            client.post("/consent/withdraw/", {"email": address, "scope": "notifications"})
        # The rate counter's purge of old windows runs now and then, whoever asks.
        sql = [q["sql"] for q in queries if 'ratecounter" WHERE' not in q["sql"]]
        work.append([re.sub(r"'[^']*'|\b\d+\b", "?", statement) for statement in sql])
    assert work[0] == work[1]
    assert OutboxMessage.objects.count() == before + 2 and not Withdrawal.objects.exists()
    call_command("deliver", "--once")
    typed = OutboxMessage.objects.filter(kind="withdrawal_request")
    assert set(typed.values_list("state", "recipient", "text")) == {("sent", "", "")}


def test_withdrawing_notifications_only_by_reference(client, send_request):
    send_request()
    submission = Submission.objects.get()
    response = client.post(
        "/consent/withdraw/", {"reference": submission.reference.lower(), "scope": "notifications"}
    )
    assert response.status_code == 200
    call_command("deliver", "--once")
    assert list(Withdrawal.objects.get().submissions.all()) == [submission]
    client.post(confirmation_path(submission.email))
    assert Withdrawal.objects.get().confirmed_at is not None


def test_a_withdrawal_from_the_receipts_private_page_takes_effect_at_once(client, send_request):
    receipt = send_request()["Location"]
    assert 'action="' + receipt + 'withdraw/"' in client.get(receipt).content.decode()
    response = client.post(receipt + "withdraw/", {"scope": "personal_data"})
    withdrawal = Withdrawal.objects.get()
    assert response.status_code == 302 and response["Location"] == withdrawal.get_absolute_url()
    assert withdrawal.confirmed_at is not None
    assert AcceptanceEvent.objects.filter(kind="withdrawn", withdrawal=withdrawal).exists()


def test_the_receipt_offers_to_withdraw_only_the_consents_the_person_gave(client, send_request):
    without = client.get(send_request()["Location"]).content.decode()
    assert 'name="scope" value="personal_data"' in without
    assert 'value="notifications"' not in without and "Only the notifications" not in without
    notifications = send_request(email="bo@example.com", consent_notifications="on")
    both = client.get(notifications["Location"]).content.decode()
    assert 'type="radio" name="scope" value="notifications"' in both
    assert 'type="radio" name="scope" value="personal_data"' in both


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
    thursday = monday + timedelta(days=3)
    pending = Withdrawal(created_at=monday)
    assert not pending.is_overdue(at=thursday)  # waiting for the emailed link: no clock runs
    late = Withdrawal(created_at=monday, confirmed_at=monday)
    assert late.is_overdue(at=thursday)  # two working days ended on Wednesday
    over_a_weekend = Withdrawal(created_at=friday, confirmed_at=friday)
    assert not over_a_weekend.is_overdue(at=friday + timedelta(days=3))  # Monday: one day
    assert over_a_weekend.is_overdue(at=friday + timedelta(days=4, hours=1))
    late.acknowledged_at = thursday
    assert not late.is_overdue(at=thursday)
    assert late.is_overdue(at=monday + timedelta(days=15, seconds=1))  # not completed
    assert late.complete_by_russia - late.created_at == timedelta(days=30)


def test_admin_shows_overdue_withdrawals_and_marks_them_done(admin_client, db):
    twenty_days_ago = timezone.now() - timedelta(days=20)
    withdrawal = Withdrawal.objects.create(
        email="a@example.com", scope="personal_data", created_at=twenty_days_ago,
        confirmed_at=twenty_days_ago,
    )  # fmt: skip
    page = admin_client.get("/admin/agreements/withdrawal/").content.decode()
    assert "OVERDUE" in page
    admin_client.post(
        "/admin/agreements/withdrawal/",
        {"action": "mark_completed", "_selected_action": [withdrawal.pk]},
    )
    withdrawal.refresh_from_db()
    assert withdrawal.completed_at is None  # the personal-data consent: never by hand
    call_command("erase_expired_requests")  # the nightly job completes it by erasing
    withdrawal.refresh_from_db()
    assert withdrawal.completed_at is not None
    assert "OVERDUE" not in admin_client.get("/admin/agreements/withdrawal/").content.decode()


def test_marking_withdrawals_needs_change_permission_and_is_logged(client, db):
    from django.contrib.admin.models import LogEntry
    from django.contrib.auth.models import Permission, User

    withdrawal = Withdrawal.objects.create(email="a@example.com", scope="notifications")
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
    selected = {"action": "mark_completed", "_selected_action": [withdrawal.pk]}
    asked = client.post("/admin/agreements/withdrawal/", selected).content.decode()
    assert "This cannot be undone." in asked and withdrawal.reference in asked
    assert "(Asia/Ho_Chi_Minh)" in asked  # each deadline in the operator's zone, named
    withdrawal.refresh_from_db()
    assert withdrawal.completed_at is None  # asked, not done
    client.post("/admin/agreements/withdrawal/", selected | {"confirmed": "yes"})
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
    receipt = send_request()["Location"]
    client.post(receipt + "withdraw/", {"scope": "notifications"})
    call_command("deliver", "--once")
    bodies = [m.body for m in mail.outbox if m.to == [settings.KOMMOGEN_OPERATOR_EMAIL]]
    assert len(bodies) == 2
    for body in bodies:
        assert f"{settings.SITE_URL}/office-7f3k/agreements/" in body and "/admin/" not in body


def receipt_of(client, response):
    return client.get(response["Location"]).content.decode()


def test_withdrawing_from_a_receipt_reaches_that_request_only(client, send_request):
    send_request(email="victim@example.com")
    victims = Submission.objects.get()
    # The attacker sends a request with the victim's address and presses Withdraw on it.
    attackers = send_request(email="Victim@Example.com")["Location"]
    attacker = Submission.objects.exclude(pk=victims.pk).get()
    withdrawn = client.post(attackers + "withdraw/", {"scope": "personal_data"})
    withdrawal = Withdrawal.objects.get()
    assert list(withdrawal.submissions.all()) == [attacker]
    event = AcceptanceEvent.objects.get(kind="withdrawn")
    assert chain.record(event)["applies_to"] == [attacker.reference]
    assert not victims.withdrawals.exists()
    page = receipt_of(client, withdrawn)
    data = client.get(f"/receipt/{withdrawal.receipt_token}.json").content.decode()
    assert victims.reference not in page and victims.reference not in data


def test_pressing_withdraw_twice_records_one_withdrawal(client, send_request):
    receipt = send_request()["Location"]
    first = client.post(receipt + "withdraw/", {"scope": "notifications"})
    second = client.post(receipt + "withdraw/", {"scope": "notifications"})
    assert first["Location"] == second["Location"]
    assert Withdrawal.objects.count() == 1
    assert AcceptanceEvent.objects.filter(kind="withdrawn").count() == 1
    client.post(receipt + "withdraw/", {"scope": "personal_data"})  # another consent: new
    assert Withdrawal.objects.count() == 2 and verification.verify_chain().ok


def test_a_typed_withdrawal_naming_two_mailboxes_reaches_each_only_by_its_own_link(
    client, send_request
):
    send_request(email="victim@example.com")
    victims = Submission.objects.get()
    send_request(email="attacker@example.com")
    attackers = Submission.objects.exclude(pk=victims.pk).get()
    client.post(
        "/consent/withdraw/",
        {"email": "victim@example.com", "reference": attackers.reference, "scope": "personal_data"},
    )
    call_command("deliver", "--once")
    by_mailbox = {w.email: list(w.submissions.all()) for w in Withdrawal.objects.all()}
    assert by_mailbox == {"victim@example.com": [victims], "attacker@example.com": [attackers]}
    # The attacker confirms the link their own mailbox received: it reaches their request.
    confirmed = client.post(confirmation_path("attacker@example.com"))
    event = AcceptanceEvent.objects.get(kind="withdrawn")
    assert chain.record(event)["applies_to"] == [attackers.reference]
    assert not victims.withdrawals.filter(confirmed_at__isnull=False).exists()
    withdrawal = Withdrawal.objects.get(confirmed_at__isnull=False)
    page = receipt_of(client, confirmed)
    data = client.get(f"/receipt/{withdrawal.receipt_token}.json").content.decode()
    assert victims.reference not in page and victims.reference not in data
    [victim_mail] = [m for m in mail.outbox if m.to == ["victim@example.com"]
                     and "withdraw" in m.subject]  # fmt: skip
    assert attackers.reference not in victim_mail.body


def test_the_withdraw_forms_errors_say_what_to_do_field_by_field(client, db):
    response = client.post("/consent/withdraw/", {"email": "not-an-address", "reference": "KG-12"})
    page = response.content.decode()
    assert response.status_code == 400
    for expected, field in (
        ("Enter an email address in the correct format, like name@example.com", "id_email"),
        ("Enter the reference as it is on your receipt", "id_reference"),
        ("Choose which consent to withdraw", "id_scope"),
    ):
        assert expected in page, expected
        assert f'id="{field}-error"' in page
    assert "This field is required" not in page and "Enter a valid" not in page


def test_a_withdrawn_personal_data_consent_is_completed_by_erasing_the_request(
    client, send_request
):
    from agreements.withdrawal.services import WITHDRAWN_STATEMENT

    receipt = send_request(email="leaving@example.com", consent_notifications="on")["Location"]
    client.post(receipt + "withdraw/", {"scope": "notifications"})
    notifications = Withdrawal.objects.get(scope="notifications")
    assert notifications.completed_at == notifications.confirmed_at  # notices stop at once
    client.post(receipt + "withdraw/", {"scope": "personal_data"})
    withdrawal = Withdrawal.objects.get(scope="personal_data")
    assert withdrawal.confirmed_at and withdrawal.completed_at is None
    assert Submission.objects.get().erased_at is None  # until the nightly job
    call_command("erase_expired_requests")
    submission, withdrawal = Submission.objects.get(), Withdrawal.objects.get(pk=withdrawal.pk)
    assert submission.erased_at and submission.email == "" and withdrawal.email == ""
    erased = AcceptanceEvent.objects.get(kind="erased")
    assert erased.submission == submission and erased.statement == WITHDRAWN_STATEMENT
    assert withdrawal.completed_at and not withdrawal.is_overdue()
    assert verification.verify_chain().ok
    call_command("erase_expired_requests")  # once
    assert AcceptanceEvent.objects.filter(kind="erased").count() == 1


PERSON = {"name": "Traceable Person", "email": "trace.me@example.org",
          "REMOTE_ADDR": "203.0.113.77", "HTTP_USER_AGENT": "TraceableBrowser/9.1"}  # fmt: skip
TRACES = ("Traceable Person", "trace.me@example.org", "203.0.113.77", "203.0.113.79",
          "TraceableBrowser")  # fmt: skip


def dump_after_the_rate_windows():
    """The database as text once the rate limit's windows have ended (their counters hold
    an address that long: tests/test_hardening.py)."""
    from agreements.models import RateCounter

    from .test_evidence import database_text

    RateCounter.forget_old(now=timezone.now() + timedelta(hours=1))
    return database_text()


def withdrawn_by_link(client, send_request):
    """A request, and a withdrawal typed by email and confirmed by the emailed link."""
    send_request(**PERSON)
    meta = {"REMOTE_ADDR": "203.0.113.79", "HTTP_USER_AGENT": "TraceableBrowser/9.1"}
    client.post("/consent/withdraw/", {"email": PERSON["email"], "scope": "notifications"},
                **meta)  # fmt: skip
    client.post(confirmation_path(PERSON["email"]), **meta)
    call_command("deliver", "--once")  # the operator's email about it
    return Submission.objects.get()


def test_the_retention_job_leaves_no_trace_of_a_withdrawal_in_a_dump(
    client, send_request, settings
):
    from .test_evidence import database_text

    withdrawn_by_link(client, send_request)
    assert all(trace in database_text() for trace in TRACES)
    long_ago = timezone.now() - timedelta(days=settings.KOMMOGEN_RETENTION_DAYS + 1)
    Submission.objects.update(created_at=long_ago)
    Withdrawal.objects.update(created_at=long_ago)
    call_command("erase_expired_requests")
    dump = dump_after_the_rate_windows()
    assert [trace for trace in TRACES if trace in dump] == []
    assert verification.verify_chain().ok


def test_a_withdrawal_typed_by_reference_keeps_nothing_once_the_request_is_erased(
    client, send_request
):
    submission = withdrawn_by_link(client, send_request)
    client.post("/consent/withdraw/", {"reference": submission.reference, "scope": "personal_data"},
                REMOTE_ADDR="203.0.113.79", HTTP_USER_AGENT="TraceableBrowser/9.1")  # fmt: skip
    # The worker has not read it yet (stopped, or busy) when the person asks for erasure.
    call_command("erase_personal_data", PERSON["email"])
    dump = dump_after_the_rate_windows()
    assert [trace for trace in TRACES if trace in dump] == []
    call_command("deliver", "--once")  # nothing left to act on, nothing sent
    assert Withdrawal.objects.filter(scope="personal_data").count() == 0


def test_a_receipt_stays_true_after_a_withdrawal_and_offers_only_what_is_still_given(
    client, send_request
):
    receipt = send_request()["Location"]
    client.post(receipt + "withdraw/", {"scope": "notifications"})
    page = client.get(receipt).content.decode()
    assert "You stopped the notifications" in page and "answered as usual" in page
    assert 'value="notifications"' not in page and 'value="personal_data"' in page
    withdrawn = client.post(receipt + "withdraw/", {"scope": "personal_data"})
    page = client.get(receipt).content.decode()
    assert "You withdrew your consent to the processing of your personal data" in page
    assert "We will not answer this request" in page
    assert "withdraw-now" not in page and "What happens next" not in page  # nothing to offer
    withdrawal_page = client.get(withdrawn["Location"]).content.decode()
    meaning = withdrawal_page.index("we will not answer these requests")
    assert meaning < withdrawal_page.index("<table")  # in plain words, before any table
    assert f'href="{receipt}"' in withdrawal_page  # the request's reference, linked


def test_a_receipt_says_its_request_was_erased(client, send_request):
    receipt = send_request()["Location"]
    call_command("erase_personal_data", "an@example.com")
    page = client.get(receipt).content.decode()
    assert "The personal data of this request was erased on" in page
    assert "We will not answer it" in page and "withdraw-now" not in page
