"""The contact form: what a visitor sees, what is recorded, and every way it refuses input."""

import hashlib
import hmac
import html
import json
import re
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail, signing
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from agreements.evidence import chain
from agreements.models import AcceptanceEvent, Submission, Version
from tests.conftest import AGREEMENT_TEXT, VALID_REQUEST, form_token


def nothing_recorded():
    return not Submission.objects.exists() and not AcceptanceEvent.objects.exists()


def test_the_form_names_and_links_each_version_and_nothing_is_ticked(client, documents):
    page = client.get("/contact/").content.decode()
    assert "User Agreement (public offer), version 1" in page
    assert 'href="/agreement/v/1/"' in page and 'href="/consent/v/1/"' in page
    assert 'href="/privacy/v/1/"' in page and 'href="/consent/v/1/#section-7"' in page
    assert "by email" in page and "at most twice a month" in page
    assert "checked" not in page


def test_a_request_records_one_submission_and_an_event_per_document_and_consent(send_request):
    response = send_request()
    submission = Submission.objects.get()
    assert response.status_code == 302 and response["Location"] == submission.get_absolute_url()
    events = list(submission.events.order_by("position"))
    assert [(e.kind, e.purpose) for e in events] == [
        ("accepted", "agreement"),
        ("consent_given", "personal_data"),
        ("consent_refused", "notifications"),
    ]
    assert events[0].statement == "I accept the User Agreement (public offer), version 1."
    assert events[0].fingerprint == events[0].version.fingerprint
    assert all(e.submit_label == "Send request" and e.page == "/contact/" for e in events)
    assert submission.name == VALID_REQUEST["name"] and submission.company == "ООО «Ромашка»"
    assert submission.client_ip == "127.0.0.1"
    assert "an@example.com" not in json.dumps([e.subject_digests for e in events])


def test_the_receipt_shows_versions_and_hashes_but_no_personal_data(client, send_request):
    receipt = client.get(send_request()["Location"])
    text = receipt.content.decode()
    submission = Submission.objects.get()
    assert submission.reference in text
    for event in submission.events.all():
        assert event.hash in text and event.fingerprint in text
    for private in ("an@example.com", "Nguyễn", "аудит", "@an_telegram"):
        assert private not in text
    assert receipt["X-Robots-Tag"] == "noindex"
    privacy = Version.objects.get(document__slug="privacy")
    assert (
        f'described in the <a href="/privacy/v/{privacy.number}/">Privacy Policy, version '
        f"{privacy.number}</a>, which you were shown" in text
    )


def test_the_receipt_json_hashes_recompute_with_the_published_recipe(client, send_request):
    send_request()
    submission = Submission.objects.get()
    body = json.loads(client.get(f"/receipt/{submission.receipt_token}.json").content)
    assert len(body["events"]) == 3
    for event in body["events"]:
        c = json.dumps(event["record"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256(c.encode()).hexdigest() == event["hash"]
    salt = body["events"][0]["record"]["subject_salt"]
    key = settings.EVIDENCE_KEY.encode()  # the operator's check: only the key holder can
    digest = hmac.new(key, f"{salt}:an@example.com".encode(), hashlib.sha256).hexdigest()
    assert body["events"][0]["record"]["subject_digests"]["email"] == digest
    assert hashlib.sha256(f"{salt}:an@example.com".encode()).hexdigest() != digest


def test_an_unknown_receipt_is_404(client, db):
    assert client.get("/receipt/not-a-token/").status_code == 404


def test_the_optional_notifications_consent_is_recorded_when_ticked(send_request):
    send_request(consent_notifications="on")
    event = AcceptanceEvent.objects.get(purpose="notifications")
    assert event.kind == "consent_given"
    assert Submission.objects.get().notifications_consent


def test_unticked_required_consents_show_errors_at_the_top_and_record_nothing(send_request):
    response = send_request(accept_agreement=None, consent_personal_data=None)
    text = response.content.decode()
    assert response.status_code == 400
    assert 'class="error-summary"' in text
    assert 'href="#id_accept_agreement"' in text
    assert "Tick the box to accept the User Agreement" in text and "There is a problem" in text
    assert "<title>Error: Contact KommoGEN</title>" in text
    assert nothing_recorded()


def test_a_new_version_published_meanwhile_records_nothing_and_asks_again(
    client, documents, no_fill_delay, publish
):
    token = form_token(client.get("/contact/"))
    publish(AGREEMENT_TEXT + "\n9.1. Changed.\n")
    response = client.post("/contact/", {**VALID_REQUEST, "form_token": token})
    text = response.content.decode()
    assert response.status_code == 409
    assert "we published a new version" in text and "version 2" in text
    assert 'href="/agreement/versions/"' in text
    assert "checked" not in text and "Nguyễn Văn An" in text
    assert nothing_recorded()
    retry = client.post("/contact/", {**VALID_REQUEST, "form_token": form_token(response)})
    assert retry.status_code == 302
    assert AcceptanceEvent.objects.get(purpose="agreement").version.number == 2


@pytest.mark.parametrize(
    "token",
    ["", "garbage", signing.dumps({"versions": {}, "rendered_at": "x", "page": "/"}, salt="other")],
)
def test_a_forged_or_missing_version_token_is_refused(client, documents, no_fill_delay, token):
    response = client.post("/contact/", {**VALID_REQUEST, "form_token": token})
    assert response.status_code == 400
    assert "damaged or changed" in response.content.decode()
    assert nothing_recorded()


def test_a_token_naming_other_versions_is_refused(client, documents, no_fill_delay):
    token = form_token(client.get("/contact/"))
    value, signature = token.rsplit(":", 1)
    tampered = value[:-1] + ("A" if value[-1] != "A" else "B") + ":" + signature
    response = client.post("/contact/", {**VALID_REQUEST, "form_token": tampered})
    assert response.status_code == 400
    assert nothing_recorded()


def test_the_honeypot_stops_bots_and_stores_nothing(send_request):
    response = send_request(website="http://spam.example")
    assert response.status_code == 400 and "looks automated" in response.content.decode()
    assert nothing_recorded()


def test_a_form_sent_too_fast_is_refused(client, documents, settings):
    settings.KOMMOGEN_MIN_FILL_SECONDS = 60
    response = client.post(
        "/contact/", {**VALID_REQUEST, "form_token": form_token(client.get("/contact/"))}
    )
    assert response.status_code == 400
    assert nothing_recorded()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"email": "not-an-email"}, "in the correct format, like name@example.com"),
        ({"name": "x" * 101}, "Name must be 100 characters or fewer"),
        ({"message": "x" * 5001}, "Message must be 5,000 characters or fewer"),
        ({"service": "hacking"}, "Choose what your request is about from the list"),
        ({"name": ""}, "Enter your name"),
    ],
)
def test_bad_fields_get_a_clear_message_and_record_nothing(send_request, changes, message):
    response = send_request(**changes)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert nothing_recorded()


def test_a_missing_csrf_token_gets_a_friendly_403(documents):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/contact/", VALID_REQUEST)
    assert response.status_code == 403
    assert "security token" in response.content.decode()
    assert nothing_recorded()


def test_an_over_large_body_is_a_400(client, documents):
    response = client.post("/contact/", {**VALID_REQUEST, "message": "x" * 70_000})
    assert response.status_code == 400
    assert nothing_recorded()


def test_invalid_utf8_is_not_a_500(client, documents, no_fill_delay):
    token = form_token(client.get("/contact/"))
    body = b"name=%FF%FE&email=a%40example.com&service=audit&message=%C3%28&form_token=" + (
        token.encode()
    )
    response = client.post("/contact/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (302, 400)


def test_the_rate_limit_answers_429_after_several_requests(send_request, settings):
    settings.KOMMOGEN_RATE_LIMIT = "2/600"
    assert send_request().status_code == 302
    assert send_request().status_code == 302
    response = send_request()
    assert response.status_code == 429 and response["Retry-After"] == "600"
    assert "Too many requests" in response.content.decode()
    assert Submission.objects.count() == 2


def test_the_operator_is_emailed_by_the_worker_in_plain_text_unescaped(send_request):
    send_request(name="<b>Mallory</b>")
    assert len(mail.outbox) == 0  # nothing is sent inside the request
    call_command("deliver", "--once")
    submission = Submission.objects.get()
    [operator] = [m for m in mail.outbox if m.to == [settings.KOMMOGEN_OPERATOR_EMAIL]]
    assert submission.reference in operator.subject
    assert "Name: <b>Mallory</b>\n" in operator.body  # plain text: nothing escaped


def test_a_failure_while_appending_evidence_leaves_no_submission(send_request, monkeypatch):
    def fail(events, now=None):
        raise RuntimeError("disk full")

    monkeypatch.setattr("agreements.contact.services.append", fail)
    with pytest.raises(RuntimeError):
        send_request()
    assert nothing_recorded()


def test_the_form_is_unavailable_until_the_documents_are_published(client, db):
    response = client.get("/contact/")
    assert response.status_code == 503
    assert "gen@kommogen.com" in response.content.decode()


def test_the_form_embedded_on_the_home_page_records_that_page(client, documents, no_fill_delay):
    home = client.get("/")
    assert 'action="/contact/"' in home.content.decode()
    response = client.post("/contact/", {**VALID_REQUEST, "form_token": form_token(home)})
    assert response.status_code == 302
    assert {e.page for e in AcceptanceEvent.objects.all()} == {"/"}


def reshown_values(text):
    """The values a re-shown form holds: inputs, the textarea and the selected service."""
    fields = dict(re.findall(r'<input type="(?:text|email)" name="(\w+)" value="([^"]*)"', text))
    fields["message"] = re.search(r"<textarea[^>]*>\n?(.*?)</textarea>", text, re.S).group(1)
    fields["service"] = re.search(r'<option value="(\w+)" selected>', text).group(1)
    return {key: html.unescape(value) for key, value in fields.items()}


TYPED = {key: VALID_REQUEST[key] for key in ("name", "email", "contact", "company", "message")}


def test_the_form_shown_after_a_new_version_keeps_exactly_what_was_typed(
    client, documents, no_fill_delay, publish
):
    token = form_token(client.get("/contact/"))
    publish(AGREEMENT_TEXT + "\n9.1. Changed.\n")
    response = client.post("/contact/", {**VALID_REQUEST, "form_token": token})
    text = response.content.decode()
    assert response.status_code == 409
    assert reshown_values(text) == {**TYPED, "service": "audit"}
    assert "checked" not in text and 'class="error' not in text  # no wrong errors
    retry = client.post("/contact/", {**VALID_REQUEST, "form_token": form_token(response)})
    assert retry.status_code == 302
    assert Submission.objects.get().name == VALID_REQUEST["name"]  # not "['Nguyễn Văn An']"


def test_the_expired_form_keeps_exactly_what_was_typed(
    client, documents, no_fill_delay, monkeypatch
):
    token = form_token(client.get("/contact/"))
    monkeypatch.setattr("agreements.contact.forms.TOKEN_MAX_AGE", -1)
    response = client.post("/contact/", {**VALID_REQUEST, "form_token": token})
    text = response.content.decode()
    assert response.status_code == 400 and "has expired" in text
    assert reshown_values(text) == {**TYPED, "service": "audit"}
    assert "checked" not in text and nothing_recorded()


def test_a_request_recorded_after_a_scheduled_version_took_effect_is_refused(
    client, documents, no_fill_delay, publish, monkeypatch
):
    """The race: the form is checked just before v2 takes effect, the events are recorded
    just after. The versions are checked again under the chain's lock, at the event time."""
    effective = timezone.now() + timedelta(seconds=1)
    publish(AGREEMENT_TEXT + "\n9.1. Scheduled.\n", effective_at=effective)
    token = form_token(client.get("/contact/"))
    real_lock = chain.lock_chain

    def slow_lock():  # the request is held up between its checks and its append
        time.sleep(max(0, (effective - timezone.now()).total_seconds()) + 0.05)
        real_lock()

    monkeypatch.setattr("agreements.evidence.chain.lock_chain", slow_lock)
    response = client.post("/contact/", {**VALID_REQUEST, "form_token": token})
    assert response.status_code == 409 and "version 2" in response.content.decode()
    assert nothing_recorded()


def test_the_from_parameter_names_only_a_printable_path_of_this_site(send_request, client):
    for value in ("/%00", "/\x07bell", "//evil.example/", "https://evil.example/", "/nowhere/"):
        page = client.get("/contact/", {"from": value})
        assert page.status_code == 200
    response = client.get("/contact/?from=/%00")
    assert response.status_code == 200
    token = form_token(response)
    client.post("/contact/", {**VALID_REQUEST, "form_token": token})
    assert {e.page for e in AcceptanceEvent.objects.all()} == {"/contact/"}
    ok = client.get("/contact/", {"from": "/agreement/"})
    client.post("/contact/", {**VALID_REQUEST, "form_token": form_token(ok)})
    assert AcceptanceEvent.objects.order_by("-position").first().page == "/agreement/"


@pytest.mark.parametrize("field", ["name", "company", "contact"])
@pytest.mark.parametrize("bad", ["Alice\r\nBcc: x@example.com", "Alice\nSmith", "Ali\x1bce"])
def test_one_line_fields_refuse_line_breaks_and_control_characters(send_request, field, bad):
    response = send_request(**{field: bad})
    assert response.status_code == 400
    assert "Use a single line" in response.content.decode()
    assert nothing_recorded()


def test_a_form_is_sent_once(client, documents, no_fill_delay):
    token = form_token(client.get("/contact/"))
    first = client.post("/contact/", {**VALID_REQUEST, "form_token": token})
    second = client.post("/contact/", {**VALID_REQUEST, "form_token": token})
    assert first.status_code == 302
    assert second.status_code == 409 and "already sent" in second.content.decode()
    assert Submission.objects.count() == 1 and AcceptanceEvent.objects.count() == 3


@pytest.mark.parametrize(
    "payload",
    [
        {"versions": {}, "rendered_at": "2026-11-27T10:00:00", "page": "/"},  # naive
        {"versions": {}, "page": "/"},
        {"rendered_at": "2026-11-27T10:00:00+00:00", "page": "/"},
        {"versions": {"agreement": 1}, "rendered_at": "2026-11-27T10:00:00+00:00", "page": "/"},
        {"versions": {}, "rendered_at": "2026-11-27T10:00:00+00:00", "page": 7},
        {"versions": {}, "rendered_at": "2026-13-45T10:00:00+00:00", "page": "/"},
        ["not", "a", "dict"],
    ],
)
def test_a_well_signed_but_malformed_token_is_a_400(client, documents, no_fill_delay, payload):
    token = signing.dumps(payload, salt="agreements.contact-form", compress=True)
    response = client.post("/contact/", {**VALID_REQUEST, "form_token": token})
    assert response.status_code == 400 and "damaged or changed" in response.content.decode()
    assert nothing_recorded()


@pytest.mark.parametrize(
    "path",
    [
        "/agreement/compare/1...99999999999999999999/",
        "/agreement/compare/99999999999999999999...1/",
        "/agreement/v/99999999999999999999/",
        "/agreement/v/99999999999999999999/print/",
        "/agreement/v/99999999999999999999.md",
        "/agreement/v/9223372036854775808/",
        "/agreement/v/2147483648/",
        "/agreement/draft/99999999999999999999/",
    ],
)
def test_out_of_range_numbers_are_404(admin_client, documents, path):
    assert admin_client.get(path).status_code == 404


def test_a_mail_server_that_fails_never_keeps_the_visitor_from_the_receipt(send_request, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    response = send_request()
    submission = Submission.objects.get()
    assert response.status_code == 302 and response["Location"] == submission.get_absolute_url()
    call_command("deliver", "--once")  # fails, and will try again
    assert {m.state for m in submission.messages.all()} == {"pending"}


def test_a_request_its_events_messages_and_rate_count_are_written_in_one_commit(send_request):
    """Counted as the transactions the site opens at the outermost level (each one commit
    in production; in a test they are savepoints inside the test's own transaction)."""
    outermost, test_level = [], len(connection.savepoint_ids)

    def watch(execute, sql, params, many, context):
        if sql.startswith("SAVEPOINT") and len(connection.savepoint_ids) == test_level:
            outermost.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        assert send_request().status_code == 302
    assert len(outermost) == 1
    assert Submission.objects.get().messages.count() == 2


def test_a_visitors_mistakes_do_not_count_towards_the_rate_limit_but_bots_do(
    send_request, settings
):
    settings.KOMMOGEN_RATE_LIMIT = "2/600"
    for _ in range(3):  # a visitor who gets a field wrong, three times
        assert send_request(name="").status_code == 400
    assert send_request().status_code == 302  # counted: 1
    assert send_request(website="https://spam.example").status_code == 400  # a trap: 2
    assert send_request().status_code == 429
    assert Submission.objects.count() == 1


def test_a_429_shows_the_form_again_with_what_was_typed(send_request, settings):
    settings.KOMMOGEN_RATE_LIMIT = "1/600"
    assert send_request().status_code == 302
    response = send_request(name="Trần Thị Bích", message="Cần tư vấn triển khai Kommo.")
    page = response.content.decode()
    assert response.status_code == 429 and response["Retry-After"] == "600"
    assert "Too many requests" in page and 'role="alert"' in page
    assert 'value="Trần Thị Bích"' in page and "Cần tư vấn triển khai Kommo." in page
    assert 'name="form_token"' in page  # it can be sent again as it is, later


def test_each_field_error_says_what_to_do(send_request):
    response = send_request(name="", email="not-an-address", message="", service="")
    text = response.content.decode()
    for expected, field in (
        ("Enter your name", "id_name"),
        ("Enter an email address in the correct format, like name@example.com", "id_email"),
        ("Choose what your request is about", "id_service"),
        ("Enter your message", "id_message"),
    ):
        assert f'<a href="#{field}">{expected}</a>' in text, expected
    assert nothing_recorded()


def test_the_home_page_sells_the_service_from_the_operators_text_file(client, documents):
    page = client.get("/").content.decode()
    assert "What we do for your business" in page and "How work starts" in page
    assert "Partner ID 28694931" in page
    assert page.count('class="button"') == 1  # one clear call to action
    steps = re.search(r'<section id="services".*?</section>', page, re.S).group(0)
    assert steps.count("<li>") >= 10  # the six services and the four steps
    assert "Как начинается работа" in client.get("/ru/").content.decode()


def test_messengers_appear_only_when_their_settings_are_set(client, documents, settings):
    assert "t.me/" not in client.get("/").content.decode()
    settings.KOMMOGEN_TELEGRAM, settings.KOMMOGEN_ZALO = "@kommogen", "+84 90 123 45 67"
    for path in ("/", "/contact/"):
        page = client.get(path).content.decode()
        assert (
            'href="https://t.me/kommogen"' in page and 'href="https://zalo.me/84901234567"' in page
        )
        assert "wa.me" not in page


@pytest.mark.parametrize("address", ["an@exam\u202eple.com", "an@example\u2028.com",
                                     "an@ex\u200bample.com"])  # fmt: skip
def test_an_address_with_invisible_or_direction_characters_is_refused(send_request, address):
    response = send_request(email=address)
    assert response.status_code == 400
    assert "Enter an email address in the correct format" in response.content.decode()
    assert not Submission.objects.exists()


def test_the_operators_email_shows_no_direction_overrides(send_request):
    send_request(name="Ann \u202egnp.exe", message="See \u2066file\u2069 \u202etxt.exe")
    call_command("deliver", "--once")
    [operator] = [m for m in mail.outbox if m.to == [settings.KOMMOGEN_OPERATOR_EMAIL]]
    for part in (operator.body, operator.alternatives[0][0]):
        assert not any(ch in part for ch in "\u202e\u2066\u2069")
        assert "Ann gnp.exe" in part
