"""The outbox: a request's emails are written with it and delivered by the worker, with
retries and backoff, at most once, visible in admin, erased with the person. Delivery is
tested against real sockets: a local SMTP server (aiosmtpd) and one that never answers."""

import email
import json
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from agreements.models import OutboxMessage, Submission
from agreements.outbox.delivery import backoff, deliver_due

from .conftest import Inbox
from .live import free_port


def test_a_request_writes_its_emails_with_it_and_sends_none_itself(send_request):
    response = send_request()
    assert response.status_code == 302 and len(mail.outbox) == 0
    submission = Submission.objects.get()
    keys = sorted(submission.messages.values_list("key", flat=True))
    assert keys == [f"operator:{submission.reference}", f"receipt:{submission.reference}"]
    assert set(submission.messages.values_list("state", flat=True)) == {"pending"}


def test_the_worker_sends_the_operator_and_the_visitor_a_multipart_email(
    send_request, smtp_server, settings
):
    settings.SITE_URL = "https://www.kommogen.com"
    send_request()
    call_command("deliver", "--once")
    submission = Submission.objects.get()
    by_recipient = {m["To"]: m for m in smtp_server.messages}
    operator, visitor = (
        by_recipient[settings.KOMMOGEN_OPERATOR_EMAIL],
        by_recipient[submission.email],
    )
    for message in (operator, visitor):
        assert message.get_body(("plain",)) and message.get_body(("html",))
        assert "http://127.0.0.1:8000" not in message.as_string()
    assert "Nguyễn Văn An" in operator.get_body(("plain",)).get_content()
    text = visitor.get_body(("plain",)).get_content()
    assert submission.reference in text and "What happens next" in text
    assert "You accepted: User Agreement (public offer), version" in text  # the title once
    assert "did not give your consent" in text
    assert f"https://www.kommogen.com/receipt/{submission.receipt_token}/" in text
    [attachment] = list(visitor.iter_attachments())
    receipt = json.loads(attachment.get_content())
    assert attachment.get_filename() == f"{submission.reference}.json"
    assert receipt["reference"] == submission.reference and len(receipt["events"]) == 3
    assert set(submission.messages.values_list("state", flat=True)) == {"sent"}
    call_command("deliver", "--once")
    assert len(smtp_server.messages) == 2  # sent once


def test_a_failing_mail_server_is_retried_with_backoff_then_given_up_and_retried_in_admin(
    send_request, settings, admin_client, smtp_server
):
    port = smtp_server and settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens: refused at once
    settings.KOMMOGEN_OUTBOX_MAX_ATTEMPTS = 3
    send_request()
    waits = []
    for _attempt in range(3):
        OutboxMessage.objects.update(next_attempt_at=OutboxMessage.objects.first().created_at)
        call_command("deliver", "--once")
        message = OutboxMessage.objects.get(key__startswith="operator:")
        waits.append((message.next_attempt_at - message.created_at).total_seconds())
    # An outage longer than the attempts allow: still tried later, and the operator told.
    assert message.state == "pending" and message.attempts == 3 and "Error" in message.last_error
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert waits == sorted(waits)
    assert OutboxMessage.objects.filter(kind="operator_outbox_alert").count() == 2
    assert list(message.tries.values_list("outcome", flat=True)) == ["retry"] * 3
    page = admin_client.get(f"/admin/agreements/outboxmessage/{message.pk}/change/").content
    assert page.decode().count("failed; tried again later") == 3  # every attempt, listed
    settings.EMAIL_PORT = port
    admin_client.post(
        "/admin/agreements/outboxmessage/",
        {"action": "retry_messages", "_selected_action": list(
            OutboxMessage.objects.values_list("pk", flat=True))},
    )  # fmt: skip
    call_command("deliver", "--once")
    assert len(smtp_server.messages) == 4  # the two messages and the two alerts
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"sent"}


def test_the_worker_sends_over_one_connection_and_reconnects_after_a_refusal(
    send_request, smtp_server, settings
):
    settings.KOMMOGEN_RATE_LIMIT = ""
    for _ in range(3):
        send_request()
    smtp_server.refuse = 1
    call_command("deliver", "--once")
    assert len(smtp_server.messages) == 5 and len(smtp_server.peers) == 2
    [refused] = OutboxMessage.objects.filter(state="pending")
    assert "451" in refused.last_error
    for _ in range(3):
        send_request()
    call_command("deliver", "--once")
    assert len(smtp_server.messages) == 11 and len(smtp_server.peers) == 3


def test_a_worker_told_to_stop_sends_no_further_message(send_request, smtp_server):
    send_request()
    assert deliver_due(stopping=lambda: len(smtp_server.messages) >= 1) == (1, 0)
    assert OutboxMessage.objects.filter(state="pending").count() == 1


def test_a_message_the_worker_was_sending_when_it_died_is_never_sent_again(
    send_request, smtp_server
):
    send_request()
    OutboxMessage.objects.update(state="sending")  # claimed, then the worker was killed
    call_command("deliver", "--once")
    assert smtp_server.messages == []


def test_staff_who_may_not_view_requests_see_the_outbox_without_its_text(client, send_request):
    send_request()
    clerk = User.objects.create_user("clerk", password="pw", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_outboxmessage"))
    client.force_login(clerk)
    message = OutboxMessage.objects.get(key__startswith="receipt:")
    page = client.get(f"/admin/agreements/outboxmessage/{message.pk}/change/").content.decode()
    assert "pending" in page or "waiting" in page
    assert "an@example.com" not in page and "What happens next" not in page
    # A refused recipient's error names the address; a notice's headers carry a working
    # unsubscribe link: neither is shown to staff who may not view requests.
    OutboxMessage.objects.filter(pk=message.pk).update(
        last_error="SMTPRecipientsRefused: {'an@example.com': (550, b'No such user')}",
        headers={"List-Unsubscribe": "<https://x/consent/unsubscribe/SECRET-TOKEN/>"},
    )
    page = client.get(f"/admin/agreements/outboxmessage/{message.pk}/change/").content.decode()
    listed = client.get("/admin/agreements/outboxmessage/").content.decode()
    for shown in (page, listed):
        assert "an@example.com" not in shown and "SECRET-TOKEN" not in shown
    assert "No such user" in page and "No such user" in listed


class HangingServer:
    """Accepts connections and never says a word, like a mail server that hangs."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.open = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                self.open.append(self.sock.accept()[0])
            except OSError:
                return

    def close(self):
        for conn in self.open:
            conn.close()
        self.sock.close()


def test_with_a_hanging_mail_server_the_receipt_comes_at_once_and_the_email_later(
    send_request, settings, smtp_server
):
    recovered_port, hanging = settings.EMAIL_PORT, HangingServer()
    settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = hanging.port, 1
    started = time.monotonic()
    response = send_request()
    assert response.status_code == 302 and time.monotonic() - started < 1
    call_command("deliver", "--once")  # each attempt times out after EMAIL_TIMEOUT
    assert smtp_server.messages == []
    assert {m.state for m in OutboxMessage.objects.all()} == {"pending"}
    hanging.close()
    settings.EMAIL_PORT = recovered_port  # the server is back
    OutboxMessage.objects.update(next_attempt_at=OutboxMessage.objects.first().created_at)
    call_command("deliver", "--once")
    assert len(smtp_server.messages) == 2


def test_emails_carry_no_injected_header_no_tracking_and_only_site_links(
    send_request, settings, client
):
    settings.SITE_URL = "https://www.kommogen.com"
    refused = send_request(email="an@example.com\r\nBcc: victim@example.com")
    assert refused.status_code == 400 and not Submission.objects.exists()
    send_request(name="Mallory\u2028", consent_notifications="on")
    call_command("deliver", "--once")
    assert len(mail.outbox) == 3  # operator, receipt copy, confirmation
    for message in mail.outbox:
        raw = message.message().as_string()
        assert "victim" not in raw and "Bcc" not in raw
        html = message.alternatives[0][0]
        assert "<img" not in html and "?utm_" not in html
        for link in re.findall(r'href="([^"]+)"', html):
            assert link.startswith("https://www.kommogen.com/"), link


def test_an_email_left_sending_past_its_lease_is_failed_and_raised_to_the_operator(
    send_request, smtp_server, settings, admin_client
):
    send_request()
    long_ago = timezone.now() - timedelta(seconds=settings.KOMMOGEN_OUTBOX_LEASE_SECONDS + 1)
    # Claimed, then the worker was SIGKILLed: the mail server may or may not have it.
    OutboxMessage.objects.update(state="sending", claimed_at=long_ago, attempts=1)
    call_command("deliver", "--once")
    stuck = OutboxMessage.objects.filter(key__startswith=("receipt:"))
    assert stuck.get().state == "failed" and "may or may not" in stuck.get().last_error
    [alert, other_alert] = [m for m in smtp_server.messages if "needs you" in m["Subject"]]
    assert alert["To"] == settings.KOMMOGEN_OPERATOR_EMAIL
    assert not [m for m in smtp_server.messages if m["To"] == "an@example.com"]  # not resent
    page = admin_client.get("/admin/agreements/outboxmessage/?state=failed").content.decode()
    assert "may or may not" in page
    call_command("deliver", "--once")
    assert len([m for m in smtp_server.messages if "needs you" in m["Subject"]]) == 2  # once


def trouble_for_a_while(database_url, seconds):
    """What a worker meets in real life for a while: SQLite's write lock held by another
    process ("database is locked"), or PostgreSQL ending its connections."""
    deadline = time.monotonic() + seconds
    if database_url.startswith("sqlite"):
        other = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        time.sleep(seconds)
        other.execute("ROLLBACK")
        other.close()
        return
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as admin:
        while time.monotonic() < deadline:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                "current_database() AND pid <> pg_backend_pid() AND usename = current_user"
            )
            time.sleep(0.05)


def test_the_worker_survives_a_locked_database_and_delivers_when_it_is_free(
    live_site, smtp_server, settings
):
    queued = (
        "from agreements.outbox.messages import queue; "
        "queue('test:{n}', 'operator_outbox_alert', 'op@example.com', subject='S{n}', text='T')"
    )
    live_site.shell(queued.format(n=1))
    env = {
        **live_site.env,
        "KOMMOGEN_SQLITE_BUSY_TIMEOUT": "1",
        "DJANGO_EMAIL_HOST": "127.0.0.1",
        "DJANGO_EMAIL_PORT": str(settings.EMAIL_PORT),
    }
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "deliver", "--interval", "0.1"], cwd=settings.BASE_DIR,
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: len(smtp_server.messages) == 1)
        trouble_for_a_while(live_site.env["DATABASE_URL"], 3)
        assert worker.poll() is None  # alive
        live_site.shell(queued.format(n=2))
        wait_for(lambda: len(smtp_server.messages) == 2)
    finally:
        worker.terminate()
        out, err = worker.communicate(timeout=20)
    assert worker.returncode == 0 and "trying again" in err


def wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.1)


def test_keep_running_starts_the_worker_again_when_it_exits(tmp_path):
    runs = tmp_path / "runs"
    script = settings_dir() / "deploy" / "keep-running"
    started = subprocess.Popen(
        [script, "0.1", "sh", "-c", f"echo run >> {runs}; exit 1"], stderr=subprocess.PIPE
    )
    time.sleep(1.0)
    started.terminate()
    assert started.wait(timeout=5) == 0
    assert runs.read_text().count("run") >= 3
    assert b"starting it again" in started.stderr.read()


def settings_dir():
    from django.conf import settings

    return settings.BASE_DIR


@pytest.mark.django_db
def test_healthz_reports_a_stalled_outbox(client, send_request, settings):
    assert client.get("/healthz").status_code == 200
    send_request()
    assert client.get("/healthz").status_code == 200  # due now: the worker has time
    stalled = timezone.now() - timedelta(seconds=settings.KOMMOGEN_OUTBOX_STALL_SECONDS + 1)
    OutboxMessage.objects.update(next_attempt_at=stalled)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["outbox"] == "stalled"
    call_command("deliver", "--once")
    assert client.get("/healthz").status_code == 200


def test_a_refused_recipient_fails_at_once_and_the_operator_sees_the_bounce(
    send_request, smtp_server, settings, admin_client
):
    smtp_server.unknown = {"an@example.com"}
    send_request()
    call_command("deliver", "--once")
    receipt = OutboxMessage.objects.get(key__startswith="receipt:")
    assert receipt.state == "failed" and receipt.attempts == 1  # no retry for an hour
    assert "550" in receipt.last_error and "Refused" in receipt.last_error
    assert list(receipt.tries.values_list("outcome", flat=True)) == ["refused"]
    call_command("deliver", "--once")  # the alert goes out
    [alert] = [m for m in smtp_server.messages if "needs you" in m["Subject"]]
    assert alert["To"] == settings.KOMMOGEN_OPERATOR_EMAIL and receipt.key in alert["Subject"]
    submission = Submission.objects.get()
    page = admin_client.get(f"/admin/agreements/submission/{submission.pk}/change/")
    assert "550 5.1.1 No such user here" in page.content.decode()  # the bounce, in words


def test_erasure_keeps_sent_messages_sent_and_nothing_erased_is_ever_sent(
    send_request, smtp_server, admin_client
):
    from agreements.contact.services import person_erase
    from agreements.core.clients import Context
    from agreements.outbox.delivery import claim_next, deliver

    send_request(email="first@example.com")
    call_command("deliver", "--once")
    send_request(email="first@example.com", message="Second")  # queued, not sent yet
    in_flight = claim_next()  # the worker took it, then the person was erased
    person_erase(email="first@example.com", context=Context.without_request("test"))
    states = dict(OutboxMessage.objects.values_list("key", "state"))
    assert sorted(states.values()) == ["failed", "failed", "sent", "sent"]  # sent stay sent
    from django.core.mail import get_connection

    assert deliver(OutboxMessage.objects.get(pk=in_flight.pk), get_connection()) is False
    assert len(smtp_server.messages) == 2  # only the first request's two, before erasure
    admin_client.post(
        "/admin/agreements/outboxmessage/",
        {"action": "retry_messages",
         "_selected_action": list(OutboxMessage.objects.values_list("pk", flat=True))},
    )  # fmt: skip
    call_command("deliver", "--once")
    assert len(smtp_server.messages) == 2  # erased rows cannot be sent again
    assert set(OutboxMessage.objects.filter(sent_at__isnull=False).values_list(
        "state", flat=True)) == {"sent"}  # fmt: skip


def test_emails_are_headed_as_automatic_with_a_name_a_reply_to_and_a_utc_date(
    send_request, smtp_server, settings
):
    send_request(name="Trần Thị Bích Ngọc", email="ngoc@example.com")
    call_command("deliver", "--once")
    by_recipient = {m["To"]: m for m in smtp_server.messages}
    operator, visitor = (
        by_recipient[settings.KOMMOGEN_OPERATOR_EMAIL],
        by_recipient["ngoc@example.com"],
    )
    for message in (operator, visitor):
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["From"] == f"KommoGEN <{settings.DEFAULT_FROM_EMAIL}>"
        assert message["Date"].endswith("+0000")
    assert operator["Reply-To"] == "ngoc@example.com"  # the operator answers the visitor
    assert visitor["Reply-To"] == settings.KOMMOGEN_REPLY_TO == settings.KOMMOGEN_OPERATOR_EMAIL
    for raw in smtp_server.raw:
        headers = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
        for word in re.findall(r"=\?[^?]+\?[bBqQ]\?[^?]*\?=", headers):
            assert len(word) <= 75, word  # RFC 2047


def test_the_deployment_guide_asks_for_dkim_over_list_unsubscribe_and_an_https_site():
    from django.conf import settings

    guide = (settings.BASE_DIR / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert "DKIM" in guide and "List-Unsubscribe" in guide and "RFC 8058" in guide
    assert "`KOMMOGEN_SITE_URL` must be `https://" in guide


class LockingInbox(Inbox):
    """A mail server that, as it takes a notice, has another process hold the database's
    write lock for a while: the worker must still pair the notice with its event."""

    def __init__(self, database_url):
        super().__init__()
        self.database_url, self.held = database_url, threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if b"version 2" in envelope.content and not self.held.is_set():
            self.held.set()
            ready = threading.Event()
            threading.Thread(target=self.hold, args=(ready,), daemon=True).start()
            ready.wait(5)
        return await super().handle_DATA(server, session, envelope)

    def hold(self, ready, seconds=2.5):
        if self.database_url.startswith("sqlite"):
            other = sqlite3.connect(self.database_url.removeprefix("sqlite:///"),
                                    isolation_level=None)  # fmt: skip
            other.execute("BEGIN EXCLUSIVE")
            ready.set()
            time.sleep(seconds)
            other.execute("ROLLBACK")
            other.close()
            return
        import psycopg

        with psycopg.connect(self.database_url) as other:
            other.execute("LOCK TABLE agreements_outboxmessage, agreements_acceptanceevent "
                          "IN ACCESS EXCLUSIVE MODE")  # fmt: skip
            ready.set()
            time.sleep(seconds)
            other.rollback()


SUBSCRIBE_AND_PUBLISH = """
from django.utils import timezone
from agreements.documents.services import version_publish
from agreements.models import OutboxMessage, Submission, Version
Submission.objects.update(notifications_confirmed_at=timezone.now())
OutboxMessage.objects.update(state="sent")
latest = Version.objects.published().filter(document__slug="agreement", language="en").latest(
    "number")
draft = latest.new_draft()
draft.source = latest.source + "\\n12.1. Requests are answered within one working day.\\n"
draft.save()
version_publish(version=draft, summary="Answer time (12.1).")
print(OutboxMessage.objects.filter(kind="notice").count())
"""


def test_a_notice_delivered_while_the_database_is_locked_still_gets_its_event(live_site, settings):
    assert live_site.submit(1, consent_notifications="on").status == 302
    assert live_site.shell(SUBSCRIBE_AND_PUBLISH) == "1"
    inbox, port = LockingInbox(live_site.env["DATABASE_URL"]), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    env = {**live_site.env, "KOMMOGEN_SQLITE_BUSY_TIMEOUT": "1",
           "DJANGO_EMAIL_HOST": "127.0.0.1", "DJANGO_EMAIL_PORT": str(port)}  # fmt: skip
    try:
        worker = subprocess.run(
            [sys.executable, "manage.py", "deliver", "--once"], cwd=settings.BASE_DIR,
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        controller.stop()
    assert inbox.held.is_set() and len(inbox.messages) == 1
    assert worker.returncode == 0, worker.stderr
    state = live_site.shell(
        "from agreements.models import AcceptanceEvent, OutboxMessage; "
        "print(OutboxMessage.objects.get(kind='notice').state, "
        "AcceptanceEvent.objects.filter(kind='notified').count())"
    )
    assert state == "sent 1"


def test_without_a_mail_server_emails_go_to_private_files_and_the_output_names_no_one(
    send_request, settings, tmp_path, capsys
):
    settings.EMAIL_BACKEND = "kommogen_site.mail.DevelopmentMailbox"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    send_request(name="Zoë Quixotic", email="zoe.private@example.org")
    call_command("deliver", "--once")
    output = capsys.readouterr().out
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2  # one file per message
    for path in files:
        assert oct(path.stat().st_mode & 0o777) == "0o600"  # the owner's only
    assert oct((tmp_path / "mail").stat().st_mode & 0o777) == "0o700"
    parsed = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]
    [visitor] = [m for m in parsed if m["To"] == "zoe.private@example.org"]
    assert "/receipt/" in visitor.get_body(("plain",)).get_content()  # the whole message
    assert output.count("Email to 1 recipient(s)") == 2
    for private in ("zoe.private", "Quixotic", "/receipt/", "Нужен аудит"):
        assert private not in output


def test_make_runs_default_is_the_private_mailbox_not_the_console():
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from django.conf import settings; print(settings.EMAIL_BACKEND)"],
        cwd=settings_dir(), capture_output=True, text=True, timeout=60,
        env={k: v for k, v in __import__("os").environ.items() if k != "DJANGO_EMAIL_HOST"},
    )  # fmt: skip
    assert result.stdout.strip().splitlines()[-1] == "kommogen_site.mail.DevelopmentMailbox"
