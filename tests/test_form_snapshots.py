"""The form as the visitor saw it: kept once per set of texts, wordings and language,
named by each event made from it, public at its fingerprint's address (immutable like a
version), shown in the evidence pack; verify_evidence re-hashes it and catches an edit."""

import hashlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from agreements.models import AcceptanceEvent, FormSnapshot, Submission

from .test_evidence import drop_triggers, sql


def test_a_request_names_the_form_it_was_sent_from_kept_once_and_public(client, send_request):
    send_request()
    send_request(email="second@example.com")
    [snapshot] = FormSnapshot.objects.all()  # the same form twice: kept once
    assert hashlib.sha256(snapshot.html.encode()).hexdigest() == snapshot.fingerprint
    assert set(AcceptanceEvent.objects.values_list("form_snapshot", flat=True)) == {
        snapshot.fingerprint}  # fmt: skip
    assert "I accept the" in snapshot.html and 'name="form_token" value=""' in snapshot.html
    from agreements.contact.snapshots import TOKENS

    page = TOKENS.sub(r"\1\2", client.get("/contact/").content.decode())
    assert snapshot.html.strip() in page  # exactly what the browser received, tokens aside
    public = client.get(f"/evidence/forms/{snapshot.fingerprint}.html")
    assert public.status_code == 200 and "immutable" in public["Cache-Control"]
    assert hashlib.sha256(public.content).hexdigest() == snapshot.fingerprint
    call_command("verify_evidence")


@pytest.mark.parametrize("prefix", ["/ru", "/vi"])
def test_each_language_has_its_own_snapshot(client, send_request, documents, prefix):
    from .conftest import VALID_REQUEST, form_token

    send_request()
    page = client.get(f"{prefix}/contact/")
    client.post(f"{prefix}/contact/", {**VALID_REQUEST, "form_token": form_token(page),
                                       "email": "other@example.com"})  # fmt: skip
    assert FormSnapshot.objects.count() == 2
    assert FormSnapshot.objects.filter(language=prefix[1:]).exists()


def test_an_edited_snapshot_is_caught(send_request, db):
    send_request()
    drop_triggers("0023_form_snapshots")
    sql("UPDATE agreements_formsnapshot SET html = replace(html, 'I accept', 'I reject')")
    with pytest.raises(CommandError, match="the form it names no longer matches"):
        call_command("verify_evidence")


def test_the_evidence_pack_shows_the_form(send_request, tmp_path):
    from agreements.rights.pack import pack_pdf

    from .test_evidence_pack import poppler

    send_request()
    submission = Submission.objects.get()
    text = poppler("pdftotext", pack_pdf(submission), tmp_path, "-enc", "UTF-8")
    fingerprint = FormSnapshot.objects.get().fingerprint
    assert "The form as the visitor's browser received it" in text
    assert f"/evidence/forms/{fingerprint[:16]}" in text.replace("\n", "")
