"""A person's rights, served by the site: /my-data/ in each language, a single-use link
through the outbox to a real SMTP server, the page a button opens, and each thing done
there (download, correct, erase, withdraw) recorded in the chain and the register."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from agreements.evidence import verification
from agreements.models import AcceptanceEvent, OutboxMessage, RightsRequest, Submission
from agreements.rights import services

from .conftest import VALID_REQUEST

EMAIL = VALID_REQUEST["email"]


def link_in(inbox, address=EMAIL):
    """The path of the my-data link in the last email to address."""
    [message] = [m for m in inbox.messages if m["To"] == address][-1:]
    body = message.get_body(("plain",)).get_content()
    url = re.search(r"https?://\S+/my-data/open/\S+/", body).group(0)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def ask(client, prefix="", email=EMAIL):
    response = client.post(f"{prefix}/my-data/", {"email": email})
    call_command("deliver", "--once")
    return response


def opened(client, inbox, prefix=""):
    """The my-data page, opened by the emailed link's button."""
    ask(client, prefix)
    path = link_in(inbox)
    return path, client.post(path)


def grant_of(page):
    return re.search(r'name="grant" value="([^"]+)"', page.content.decode()).group(1)


@pytest.mark.parametrize("prefix", ["", "/ru", "/vi"])
def test_the_page_answers_the_same_for_any_address_and_mails_a_link_only_to_a_known_one(
    client,
    send_request,
    smtp_server,
    prefix,
):
    send_request()
    known, unknown = ask(client, prefix), ask(client, prefix, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    sent = [
        m for m in smtp_server.messages if "/my-data/open/" in m.get_body(("plain",)).get_content()
    ]
    assert [m["To"] for m in sent] == [EMAIL]
    assert f"{prefix}/my-data/open/" in sent[0].get_body(("plain",)).get_content()
    assert not OutboxMessage.objects.filter(kind="my_data_request").exclude(text="").exists()


@pytest.mark.parametrize("prefix", ["", "/ru", "/vi"])
def test_the_link_opens_once_by_its_button_and_shows_the_persons_data(
    client,
    send_request,
    smtp_server,
    prefix,
):
    send_request(consent_notifications="on")
    submission = Submission.objects.get()
    ask(client, prefix)
    path = link_in(smtp_server)
    assert client.get(path).status_code == 200  # a mail scanner opening it changes nothing
    assert not AcceptanceEvent.objects.filter(kind="accessed").exists()
    page = client.post(path)
    text = page.content.decode()
    assert page.status_code == 200 and submission.reference in text and "Nguyễn" in text
    assert submission.events.get(purpose="agreement").fingerprint[:16] in text
    assert page["Referrer-Policy"] == "same-origin" and page["X-Robots-Tag"] == "noindex"
    accessed = AcceptanceEvent.objects.get(kind="accessed")
    assert accessed.submission == submission and accessed.submit_label
    assert accessed.page == f"{prefix}/my-data/open/"  # the token is a credential: never kept
    assert RightsRequest.objects.get().kind == "access"
    again = client.post(path)
    assert again.status_code == 410 and AcceptanceEvent.objects.filter(kind="accessed").count() == 1
    assert verification.verify_chain().ok


def test_a_forged_an_altered_or_an_old_link_is_refused_and_records_nothing(
    client,
    send_request,
    smtp_server,
):
    send_request()
    for forged in ("nonsense", "eyJrIjoiYSJ9:1x:abc"):
        assert client.post(f"/my-data/open/{forged}/").status_code == 400
    with time_machine.travel(datetime(2031, 1, 5, 10, tzinfo=UTC), tick=False):
        ask(client)
        path = link_in(smtp_server)
    with time_machine.travel(datetime(2031, 1, 5, 10, 31, tzinfo=UTC), tick=False):
        expired = client.post(path)
    assert expired.status_code == 410 and "too old" in expired.content.decode()
    assert not AcceptanceEvent.objects.filter(kind="accessed").exists()
    assert not RightsRequest.objects.exists()


def test_the_person_downloads_everything_as_json_with_the_events_hashes(
    client,
    send_request,
    smtp_server,
):
    send_request()
    _path, page = opened(client, smtp_server)
    response = client.post("/my-data/act/", {"grant": grant_of(page), "action": "export"})
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    [request] = data["requests"]
    assert request["email"] == EMAIL and request["name"] == VALID_REQUEST["name"]
    hashes = set(Submission.objects.get().events.values_list("hash", flat=True))
    assert {event["hash"] for event in request["events"]} <= hashes
    assert AcceptanceEvent.objects.filter(kind="exported").count() == 1
    assert verification.verify_chain().ok


def test_a_correction_is_an_appended_event_and_the_first_record_stays(
    client,
    send_request,
    smtp_server,
):
    send_request()
    submission = Submission.objects.get()
    before = list(submission.events.values_list("hash", flat=True))
    _path, page = opened(client, smtp_server)
    grant = grant_of(page)
    wrong = client.post("/my-data/act/", {"grant": grant, "action": "correct",
                                          "reference": submission.reference, "field": "email",
                                          "value": "x@example.com"})  # fmt: skip
    assert wrong.status_code == 400 and "Choose what to correct" in wrong.content.decode()
    done = client.post("/my-data/act/", {"grant": grant, "action": "correct",
                                         "reference": submission.reference, "field": "name",
                                         "value": "Nguyễn Văn Bình"})  # fmt: skip
    assert done.status_code == 200 and "Corrected." in done.content.decode()
    submission.refresh_from_db()
    assert submission.name == "Nguyễn Văn Bình"
    corrected = AcceptanceEvent.objects.get(kind="corrected")
    assert "The name of request" in corrected.statement and "Bình" not in corrected.statement
    assert list(submission.events.exclude(kind__in=["corrected", "accessed"])
                .values_list("hash", flat=True)) == before  # fmt: skip
    assert RightsRequest.objects.filter(kind="correction", state="completed").exists()
    assert verification.verify_chain().ok


def test_erasing_everything_asks_first_then_leaves_no_trace_in_a_dump(
    client,
    send_request,
    smtp_server,
):
    from .test_withdrawal import dump_after_the_rate_windows

    send_request()
    link, page = opened(client, smtp_server)
    grant = grant_of(page)
    asked = client.post("/my-data/act/", {"grant": grant, "action": "erase"})
    assert "This cannot be undone." in asked.content.decode()
    assert Submission.objects.get().erased_at is None
    client.post("/my-data/act/", {"grant": grant, "action": "erase", "confirmed": "yes"})
    assert Submission.objects.get().erased_at is not None
    dump = dump_after_the_rate_windows()
    for trace in (EMAIL, VALID_REQUEST["name"], link.split("/")[-2]):  # the link's token too
        assert trace not in dump, trace
    assert RightsRequest.objects.filter(kind="erasure", state="completed").exists()
    assert verification.verify_chain().ok


def test_a_consent_is_withdrawn_from_the_page_and_the_receipt_says_so(
    client,
    send_request,
    smtp_server,
):
    receipt = send_request()["Location"]
    submission = Submission.objects.get()
    _path, page = opened(client, smtp_server)
    done = client.post("/my-data/act/", {"grant": grant_of(page), "action": "withdraw",
                                         "reference": submission.reference,
                                         "scope": "personal_data"})  # fmt: skip
    assert "Your consent is withdrawn." in done.content.decode()
    assert "You withdrew your consent" in client.get(receipt).content.decode()
    assert RightsRequest.objects.filter(kind="withdrawal").exists()


def test_an_old_grant_and_a_bad_action_are_refused(client, send_request, smtp_server):
    send_request()
    _path, page = opened(client, smtp_server)
    grant = grant_of(page)
    assert client.post("/my-data/act/", {"grant": grant, "action": "x"}).status_code == 400
    assert client.post("/my-data/act/", {"grant": "forged", "action": "export"}).status_code == 400
    assert client.get("/my-data/act/").status_code == 405
    later = datetime.now(UTC) + timedelta(minutes=31)
    with time_machine.travel(later, tick=False):
        assert client.post("/my-data/act/", {"grant": grant, "action": "export"}).status_code == 410


def test_the_my_data_form_is_rate_limited_and_says_what_to_fix(client, db, settings):
    settings.KOMMOGEN_RATE_LIMIT = "2/600"
    blank = client.post("/my-data/", {"email": ""})
    assert (
        blank.status_code == 400 and "Enter the email address you gave us" in blank.content.decode()
    )
    client.post("/my-data/", {"email": "a@example.com"})
    assert client.post("/my-data/", {"email": "a@example.com"}).status_code == 429


def test_a_link_worker_finds_nothing_for_an_erased_person(send_request, db):
    send_request()
    call_command("erase_personal_data", EMAIL)
    assert services.my_data_link_send(email=EMAIL, language="en") is False


@pytest.mark.parametrize("prefix", ["", "/ru", "/vi"])
def test_every_page_links_to_the_persons_data(client, documents, prefix):
    page = client.get(f"{prefix}/").content.decode()
    assert f'href="{prefix}/my-data/"' in page


def test_a_reference_not_of_the_persons_requests_is_refused_and_nothing_recorded(
    client,
    send_request,
    smtp_server,
):
    send_request()
    send_request(email="someone.else@example.com")
    theirs = Submission.objects.get(email="someone.else@example.com").reference
    _path, page = opened(client, smtp_server)
    grant, events = grant_of(page), AcceptanceEvent.objects.count()
    for action in (
        {"action": "withdraw", "reference": theirs, "scope": "personal_data"},
        {"action": "withdraw", "reference": "", "scope": "notifications"},
        {"action": "correct", "reference": theirs, "field": "name", "value": "Mallory"},
    ):
        refused = client.post("/my-data/act/", {"grant": grant, **action})
        assert refused.status_code == 400, action
        assert "This request is not one of yours" in refused.content.decode()
    assert AcceptanceEvent.objects.count() == events
    assert Submission.objects.get(email="someone.else@example.com").name != "Mallory"
    assert not Submission.objects.filter(withdrawals__isnull=False).exists()
