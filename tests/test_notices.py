"""Notifications: the consent takes effect only through the link in the confirmation
email (double opt-in, an event in the chain); a new version is announced to confirmed
subscribers only, each notice an event; unsubscribing takes one click (RFC 8058)."""

import re

from django.core import mail
from django.core.management import call_command

from agreements.evidence import verification
from agreements.models import AcceptanceEvent, OutboxMessage, Submission, Withdrawal

from .conftest import AGREEMENT_TEXT


def link(text, name):
    return re.search(rf"https?://[^\s\"<>]+/consent/{name}/[^\s\"<>/]+/", text).group(0)


def delivered(to):
    call_command("deliver", "--once")
    return [m for m in mail.outbox if m.to == [to]]


def test_the_notifications_consent_waits_for_the_link_in_the_confirmation_email(
    client, send_request
):
    send_request(consent_notifications="on")
    submission = Submission.objects.get()
    assert submission.notifications_consent and not submission.notifications_confirmed_at
    assert not Submission.objects.subscribed().exists()
    [confirm] = [m for m in delivered(submission.email) if "Confirm" in m.subject]
    url = link(confirm.body, "confirm")
    path = url.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)  # opening the link (or a mail scanner) changes nothing
    assert page.status_code == 200 and not Submission.objects.get().notifications_confirmed_at
    confirmed = client.post("/" + path)
    assert confirmed.status_code == 200 and "notifications are on" in confirmed.content.decode()
    assert Submission.objects.subscribed().get() == submission
    event = AcceptanceEvent.objects.order_by("position").last()
    assert (event.kind, event.purpose) == ("confirmed", "notifications")
    assert submission.reference in event.statement and event.texts
    client.post("/" + path)  # twice: one event
    assert AcceptanceEvent.objects.filter(kind="confirmed").count() == 1
    assert verification.verify_chain().ok


def test_a_forged_confirmation_link_is_404(client, send_request):
    send_request(consent_notifications="on")
    reference = Submission.objects.get().reference
    assert client.post(f"/consent/confirm/{reference}/").status_code == 404


def test_a_new_version_is_announced_to_confirmed_subscribers_only_with_one_click_unsubscribe(
    client, send_request, publish
):
    send_request(email="subscribed@example.com", consent_notifications="on")
    send_request(email="unconfirmed@example.com", consent_notifications="on")
    send_request(email="refused@example.com")
    subscriber = Submission.objects.get(email="subscribed@example.com")
    [confirm] = [m for m in delivered(subscriber.email) if "Confirm" in m.subject]
    client.post("/" + link(confirm.body, "confirm").split("://", 1)[1].split("/", 1)[1])
    mail.outbox.clear()
    second = publish(AGREEMENT_TEXT + "\n9.9. A new clause.\n")
    call_command("deliver", "--once")
    notices = [m for m in mail.outbox if "version 2" in m.subject]
    assert [m.to for m in notices] == [["subscribed@example.com"]]
    notice = notices[0]
    unsubscribe = link(notice.body, "unsubscribe")
    assert notice.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert notice.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/agreement/compare/1...2/" in notice.body and second.summary in notice.body
    assert "a notice of a change to the terms, not advertising" in notice.body
    told = AcceptanceEvent.objects.get(kind="notified")
    assert told.version == second and told.submission == subscriber
    # One click, as a mail client sends it: a POST without any CSRF token.
    from django.test import Client

    path = "/" + unsubscribe.split("://", 1)[1].split("/", 1)[1]
    response = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Withdrawal.objects.get().scope == "notifications"
    replayed = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert replayed.status_code == 200 and Withdrawal.objects.count() == 1  # one withdrawal
    assert AcceptanceEvent.objects.filter(kind="withdrawn").count() == 1
    assert not Submission.objects.subscribed().exists()
    publish(AGREEMENT_TEXT + "\n9.9. Another clause.\n")
    assert not OutboxMessage.objects.filter(key__startswith="notice:", notice_of__number=3)
    assert verification.verify_chain().ok


def test_notifications_go_out_at_most_twice_a_month_a_third_waits_for_the_next(
    client, send_request, publish
):
    from datetime import UTC, datetime

    import time_machine

    # Fixed moments later than any the suite runs at (make test-dates moves the clock up
    # to 2028): the documents the fixtures published are in effect by then.
    with time_machine.travel(datetime(2031, 3, 30, 12, tzinfo=UTC), tick=False):
        send_request(email="reader@example.com", consent_notifications="on")
        subscriber = Submission.objects.get()
        [confirm] = [m for m in delivered(subscriber.email) if "Confirm" in m.subject]
        client.post("/" + link(confirm.body, "confirm").split("://", 1)[1].split("/", 1)[1])
        for clause in ("9.1", "9.2", "9.3"):  # three versions in one day
            publish(AGREEMENT_TEXT + f"\n{clause}. A new clause.\n")
        mail.outbox.clear()
        call_command("deliver", "--once")
        assert len([m for m in mail.outbox if "version" in m.subject]) == 2
        held = OutboxMessage.objects.get(kind="notice", state="pending")
        assert held.next_attempt_at == datetime(2031, 4, 1, tzinfo=UTC) and held.attempts == 0
        assert AcceptanceEvent.objects.filter(kind="notified").count() == 2
    with time_machine.travel(datetime(2031, 4, 1, 0, 1, tzinfo=UTC), tick=False):
        call_command("deliver", "--once")
        assert len([m for m in mail.outbox if "version" in m.subject]) == 3  # held, not lost
        assert AcceptanceEvent.objects.filter(kind="notified").count() == 3
