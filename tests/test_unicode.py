"""Names in Cyrillic, Vietnamese, Arabic and emoji survive every path unchanged."""

import csv
import io
import json

from django.conf import settings
from django.core import mail
from django.core.management import call_command

from agreements.evidence import chain, digests
from agreements.models import Submission

PEOPLE = {
    "name": "Nguyễn Thị Ánh 🌸",
    "company": "ООО «Ромашка» — Москва",
    "contact": "واتساب +84 90 123 4567",
    "message": "Здравствуйте! Cần tư vấn CRM. مرحبا 👋🏽 O'Brien & <Co>",
}


def test_unicode_round_trips_through_form_database_admin_exports_and_email(
    send_request, admin_client
):
    assert send_request(**PEOPLE).status_code == 302
    call_command("deliver", "--once")
    submission = Submission.objects.get()
    for field, value in PEOPLE.items():
        assert getattr(submission, field) == value  # the database keeps every code point

    admin_page = admin_client.get(f"/admin/agreements/submission/{submission.pk}/change/").text
    for value in ("Nguyễn Thị Ánh 🌸", "ООО «Ромашка» — Москва", "واتساب +84 90 123 4567"):
        assert value in admin_page
    assert "O&#x27;Brien &amp; &lt;Co&gt;" in admin_page  # escaped as HTML, not mangled

    [email] = [m for m in mail.outbox if m.to == [settings.KOMMOGEN_OPERATOR_EMAIL]]
    for value in PEOPLE.values():
        assert value in email.body
    plain = email.message().get_payload()[0]  # multipart: plain text, then HTML
    assert plain.get_content_type() == "text/plain" and plain.get_content_charset() == "utf-8"

    event = submission.events.order_by("position").first()
    assert digests.digest_matches(event, "name", PEOPLE["name"])

    out = io.StringIO()
    call_command("export_evidence", format="json", stdout=out)
    exported = [json.loads(line) for line in out.getvalue().splitlines()]
    assert exported[0]["record"]["subject_digests"]["name"] == event.subject_digests["name"]
    statements = [e.statement for e in submission.events.order_by("position")]
    assert [line["record"]["statement"] for line in exported] == statements
    out = io.StringIO()
    call_command("export_evidence", format="csv", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [row["hash"] for row in rows] == [line["hash"] for line in exported]
    assert all(chain.hash_record(line["record"]) == line["hash"] for line in exported)
