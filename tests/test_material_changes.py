"""Material changes: marked at publication, shown in the history and the redline, taking
effect no sooner than the notice period after it; everyone who accepted before is told,
with the date, and answers on a page showing the redline (accepted or declined, recorded);
admin counts the answers. Fixed moments, never today's date."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command

from agreements.documents.services import version_publish
from agreements.evidence import verification
from agreements.models import AcceptanceEvent, OutboxMessage, Submission, Version

from .conftest import AGREEMENT_TEXT, VALID_REQUEST

PUBLISHED = datetime(2031, 3, 3, 9, tzinfo=UTC)


def changed_agreement(make_draft):
    return make_draft(AGREEMENT_TEXT + "\n9.4. The Operator gives 30 days' notice.\n")


@pytest.fixture
def at_publication():
    with time_machine.travel(PUBLISHED, tick=False) as traveller:
        yield traveller


def test_a_material_change_waits_for_its_notice_period(db, make_draft, publish, settings,
                                                        at_publication):  # fmt: skip
    publish()
    settings.KOMMOGEN_NOTICE_DAYS = 30
    with pytest.raises(ValidationError, match="no sooner than 30 days"):
        version_publish(version=changed_agreement(make_draft), material=True,
                        effective_at=PUBLISHED + timedelta(days=3))  # fmt: skip
    version = version_publish(version=changed_agreement(make_draft), material=True)
    assert version.material and version.effective_at == PUBLISHED + timedelta(days=30)


def test_everyone_who_accepted_before_is_told_and_answers_on_a_page_with_the_redline(
    client, send_request, make_draft, documents, at_publication, smtp_server
):
    send_request()  # accepted version 1; asked for no notifications
    submission = Submission.objects.get()
    version = version_publish(version=changed_agreement(make_draft), material=True)
    call_command("deliver", "--once")
    [notice] = [m for m in smtp_server.messages
                if m["To"] == VALID_REQUEST["email"] and "material" in m["Subject"]]  # fmt: skip
    body = notice.get_body(("plain",)).get_content()
    assert "It takes effect on 2 April 2031, 09:00 UTC, 30 days after its publication" in body
    assert "List-Unsubscribe" not in notice  # a legal notice, not a notification
    link = re.search(r"https?://\S+/reaccept/\S+/", body).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    page = client.get(path).content.decode()
    assert "9.4." in page and "<ins" in page  # the redline from what they accepted
    assert not AcceptanceEvent.objects.filter(version=version, kind="accepted").exists()
    client.post(path, {"answer": "accept"})
    answer = AcceptanceEvent.objects.get(version=version, kind="accepted")
    assert answer.submission == submission and answer.submit_label == "I accept it"
    assert answer.statement.startswith("I accept the User Agreement")
    again = client.post(path, {"answer": "decline"})
    assert again.status_code == 410 and not AcceptanceEvent.objects.filter(kind="declined")
    assert OutboxMessage.objects.filter(kind="material_notice", state="sent").count() == 1
    assert verification.verify_chain().ok


@pytest.mark.parametrize("prefix", ["/ru", "/vi"])
def test_declining_is_recorded_in_the_page_language(client, send_request, make_draft, documents,
                                                    at_publication, prefix):  # fmt: skip
    send_request()
    version = version_publish(version=changed_agreement(make_draft), material=True)
    call_command("deliver", "--once")
    link = re.search(r"/reaccept/\S+/", mail.outbox[-1].body).group(0)
    client.post(f"{prefix}{link}", {"answer": "decline"})
    declined = AcceptanceEvent.objects.get(version=version, kind="declined")
    assert declined.language == prefix[1:] and declined.statement != ""
    assert "I do not accept" not in declined.statement  # worded in the page's language


def test_a_forged_link_or_an_ordinary_version_records_nothing(client, send_request, publish,
                                                              documents):  # fmt: skip
    from agreements.core.links import REACCEPT, token

    send_request()
    reference = Submission.objects.get().reference
    ordinary = publish(AGREEMENT_TEXT + "\n9.5. Minor.\n")
    for path in (
        "/reaccept/forged/",
        f"/reaccept/{token(REACCEPT, f'{reference}:{ordinary.pk}')}/",
    ):
        response = client.post(path, {"answer": "accept"})
        assert response.status_code == 400 and "Nothing was recorded" in response.content.decode()
    assert not AcceptanceEvent.objects.filter(version=ordinary).exists()


def test_the_history_redline_and_admin_show_a_material_change_and_its_answers(
    admin_client, client, send_request, make_draft, documents
):
    send_request()
    with time_machine.travel(PUBLISHED, tick=False):  # (admin's session is today's)
        version = version_publish(version=changed_agreement(make_draft), material=True,
                                  summary="Notice period (9.4).")  # fmt: skip
        call_command("deliver", "--once")
    history = client.get("/agreement/versions/").content.decode()
    assert "material change" in history
    compare = client.get("/agreement/compare/1...2/").content.decode()
    assert "Version 2 is a material change" in compare
    page = admin_client.get(f"/admin/agreements/version/{version.pk}/change/").content.decode()
    assert "0 accepted, 0 declined, 1 not answered" in page


def test_the_publish_page_offers_a_material_change_and_says_what_it_does(admin_client, publish,
                                                                          make_draft):  # fmt: skip
    publish()
    draft = changed_agreement(make_draft)
    page = admin_client.get(f"/admin/agreements/version/{draft.pk}/publish/").content.decode()
    assert "This is a material change" in page and "no sooner than 30 days" in page
    assert Version.objects.get(pk=draft.pk).number is None
