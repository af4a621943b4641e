"""The evidence pack: a PDF a lawyer can file, in each language, with the statements as
recorded, the texts in full, the receipt and the log's proof, signed by the site's key:
a changed byte is caught. Made from admin (its SHA-256 in the admin log) and by command."""

import os
import shutil
import subprocess

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError

from agreements.models import Submission
from agreements.rights.pack import pack_pdf, sha256, signature, signature_holds


def poppler(tool, pdf, tmp_path, *args):
    """What a poppler tool (pdftotext, pdffonts) says of the PDF; .ci/run installs them."""
    if shutil.which(tool) is None:
        message = f"{tool} (poppler-utils) is not installed"
        pytest.fail(message) if os.environ.get("CI") == "true" else pytest.skip(message)
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf)
    result = subprocess.run([tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    return result.stdout


@pytest.mark.parametrize("language", ["en", "ru", "vi"])
def test_a_pack_holds_the_request_its_events_as_recorded_and_the_texts_in_full(
    send_request, tmp_path, language
):
    send_request()
    call_command("make_checkpoint")
    submission = Submission.objects.get()
    pdf = pack_pdf(submission, language)
    assert pdf.startswith(b"%PDF-")
    fonts = poppler("pdffonts", pdf, tmp_path).splitlines()[2:]
    assert fonts and all(" yes " in font for font in fonts)  # every font embedded
    text = poppler("pdftotext", pdf, tmp_path, "-enc", "UTF-8")
    assert submission.reference in text and submission.email in text
    for event in submission.events.all():
        assert event.hash[:32] in text.replace("\n", "")
    assert {"en": "Annex 1", "ru": "Приложение 1", "vi": "Phụ lục 1"}[language] in text
    assert "1.1." in text  # the accepted text itself, in full


def test_the_signature_catches_a_changed_byte(send_request):
    send_request()
    pdf = pack_pdf(Submission.objects.get())
    sig = signature(pdf)
    assert signature_holds(pdf, sig)
    middle = len(pdf) // 2
    tampered = pdf[:middle] + bytes([pdf[middle] ^ 1]) + pdf[middle + 1 :]  # one bit
    assert not signature_holds(tampered, sig)
    assert not signature_holds(pdf, sig.replace(sig.splitlines()[1][:8], "AAAAAAAA"))


def test_the_command_writes_the_pack_and_its_signature_and_checks_them(send_request, tmp_path):
    send_request()
    reference = Submission.objects.get().reference
    output = tmp_path / "pack.pdf"
    call_command("evidence_pack", reference, "-o", str(output), "--language", "vi")
    assert output.read_bytes().startswith(b"%PDF-") and (tmp_path / "pack.pdf.sig").exists()
    call_command("evidence_pack", "--verify", str(output))
    output.write_bytes(output.read_bytes() + b"\n%")
    with pytest.raises(CommandError, match="a byte differs"):
        call_command("evidence_pack", "--verify", str(output))


def test_admin_makes_the_pack_and_logs_its_sha256(admin_client, send_request):
    send_request()
    submission = Submission.objects.get()
    page = admin_client.get(f"/admin/agreements/submission/{submission.pk}/change/")
    assert f"/admin/agreements/submission/{submission.pk}/pack/ru/" in page.content.decode()
    response = admin_client.get(f"/admin/agreements/submission/{submission.pk}/pack/ru/")
    assert response["Content-Type"] == "application/pdf"
    logged = LogEntry.objects.get(object_id=str(submission.pk))
    assert sha256(response.content) in logged.change_message
    sig = admin_client.get(f"/admin/agreements/submission/{submission.pk}/pack/ru.sig")
    assert sig.status_code == 200 and sig.content.decode().count("\n") == 2
    assert (
        admin_client.get(f"/admin/agreements/submission/{submission.pk}/pack/xx/").status_code
        == 404
    )
