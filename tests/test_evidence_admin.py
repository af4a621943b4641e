"""The operator's side in admin: read-only evidence, the evidence sheet, exports, erasure."""

from django.core.management import call_command

from agreements.evidence import verification
from agreements.models import AcceptanceEvent, Submission, Version


def test_submissions_and_events_are_read_only_in_admin(admin_client, send_request):
    send_request(name="<script>alert(1)</script>")
    submission = Submission.objects.get()
    event = AcceptanceEvent.objects.first()
    page = admin_client.get(f"/admin/agreements/submission/{submission.pk}/change/")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.content.decode()
    assert "&lt;script&gt;" in page.content.decode()
    assert event.hash in page.content.decode()
    assert admin_client.get("/admin/agreements/acceptanceevent/add/").status_code == 403
    url = f"/admin/agreements/acceptanceevent/{event.pk}/delete/"
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    admin_client.post(
        f"/admin/agreements/acceptanceevent/{event.pk}/change/", {"statement": "changed"}
    )
    assert AcceptanceEvent.objects.get(pk=event.pk).statement == event.statement


def test_admin_finds_a_person_and_filters_submissions(admin_client, send_request):
    send_request(email="findme@example.com", service="licenses")
    send_request(email="other@example.com")
    page = admin_client.get("/admin/agreements/submission/?q=findme").content.decode()
    assert "findme@example.com" in page and "other@example.com" not in page
    page = admin_client.get("/admin/agreements/submission/?service=licenses").content.decode()
    assert "findme@example.com" in page and "other@example.com" not in page


def test_the_evidence_sheet_shows_events_fingerprints_and_verification(admin_client, send_request):
    send_request()
    submission = Submission.objects.get()
    sheet = admin_client.get(f"/admin/agreements/submission/{submission.pk}/evidence/")
    text = sheet.content.decode()
    assert sheet.status_code == 200 and submission.reference in text
    for event in submission.events.all():
        assert event.hash in text and event.fingerprint in text
    assert "not verified yet" in text and "sha256sum" in text
    assert "This request's events, checked now" in text and "<strong>OK</strong>" in text
    call_command("verify_evidence")
    text = admin_client.get(f"/admin/agreements/submission/{submission.pk}/evidence/")
    assert "OK: 3 events" in text.content.decode()


def test_the_evidence_sheet_needs_staff(client, send_request):
    send_request()
    submission = Submission.objects.get()
    response = client.get(f"/admin/agreements/submission/{submission.pk}/evidence/")
    assert response.status_code == 302


def test_admin_exports_events_as_csv_and_json(admin_client, send_request):
    send_request(name="=cmd|' /C calc'!A0")
    ids = list(AcceptanceEvent.objects.values_list("pk", flat=True))
    for action, marker in (("export_csv", "position,recorded_at"), ("export_json", '"record"')):
        response = admin_client.post(
            "/admin/agreements/acceptanceevent/", {"action": action, "_selected_action": ids}
        )
        body = b"".join(response.streaming_content).decode()
        assert response.status_code == 200 and marker in body
        assert "calc" not in body  # personal data is never exported, only its digest


def test_admin_erases_a_person_after_a_page_saying_what_and_the_chain_still_verifies(
    admin_client, send_request
):
    send_request()
    send_request(message="Another one.")
    submission = Submission.objects.order_by("created_at").first()
    other = Submission.objects.exclude(pk=submission.pk).get()
    selected = {"action": "erase_personal_data", "_selected_action": [submission.pk]}
    page = admin_client.post("/admin/agreements/submission/", selected)
    text = page.content.decode()
    assert page.status_code == 200 and "This cannot be undone." in text
    assert (
        submission.reference in text
        and f"1 other request(s) from this address ({other.reference})" in text
    )
    assert 'value="Erase the personal data"' in text and "No, go back" in text
    submission.refresh_from_db()
    assert submission.erased_at is None  # asked, not done
    admin_client.post("/admin/agreements/submission/", selected | {"confirmed": "yes"})
    submission.refresh_from_db()
    assert submission.erased_at and submission.email == ""
    assert AcceptanceEvent.objects.order_by("position").last().kind == "erased"
    assert verification.verify_chain().ok


def test_a_requests_admin_page_shows_its_consents_now_and_its_withdrawals(
    admin_client, client, send_request
):
    receipt = send_request(consent_notifications="on")["Location"]
    client.post(receipt + "withdraw/", {"scope": "notifications"})
    submission = Submission.objects.get()
    withdrawal = submission.withdrawals.get()
    page = admin_client.get(f"/admin/agreements/submission/{submission.pk}/change/")
    text = page.content.decode()
    assert f"withdrawn ({withdrawal.reference})" in text  # the notifications
    assert "processing of personal data: given" in text
    assert (
        f'/admin/agreements/withdrawal/{withdrawal.pk}/change/">{withdrawal.reference}</a>' in text
    )


def test_times_in_admin_are_the_operators_and_name_their_zone(admin_client, client, send_request):
    from datetime import UTC, datetime

    from agreements.models import Submission

    send_request()
    moment = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)  # 10:00 in Ho Chi Minh City
    Submission.objects.update(created_at=moment)
    listing = admin_client.get("/admin/agreements/submission/").content.decode()
    assert "Dec. 6, 2026, 10 a.m. +07" in listing
    page = admin_client.get(f"/admin/agreements/submission/{Submission.objects.get().pk}/change/")
    assert "Dec. 6, 2026, 10 a.m. +07" in page.content.decode()
    public = client.get(Submission.objects.get().get_absolute_url()).content.decode()
    assert "+07" not in public  # the visitor's pages keep UTC, labelled as such


def test_the_evidence_sheet_for_a_lawyer_names_its_issuer_every_text_and_labels_each_hash(
    admin_client, send_request, settings
):
    send_request()
    submission = Submission.objects.get()
    sheet = admin_client.get(f"/admin/agreements/submission/{submission.pk}/evidence/")
    text = sheet.content.decode()
    assert settings.KOMMOGEN_ISSUER in text and "Nha Trang" in text  # who issues it, where
    privacy = Version.objects.get(document__slug="privacy", language="en")
    assert f"privacy v{privacy.number}</a> (en)" in text and privacy.fingerprint in text
    event = submission.events.order_by("position").last()
    assert f"this event's hash:<br><code>{event.hash}</code>" in text
    assert "previous event's hash:" in text
    css = (settings.BASE_DIR / "static" / "css" / "evidence-sheet.css").read_text()
    assert "counter(page)" in css and "counter(pages)" in css  # every printed page numbered


def test_a_printed_receipt_names_its_issuer_every_texts_fingerprint_and_how_to_check_it(
    client, send_request, settings
):
    receipt = client.get(send_request()["Location"]).content.decode()
    privacy = Version.objects.get(document__slug="privacy", language="en")
    assert privacy.fingerprint in receipt  # the Privacy Policy's, beside the consent's
    verify = receipt[receipt.index('class="print-only print-verify"') :]
    assert settings.KOMMOGEN_ISSUER in verify and "verify_receipt.py" in verify
