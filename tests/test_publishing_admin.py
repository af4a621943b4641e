"""The operator publishes through admin: drafts, preview, confirmation, permissions, log."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from agreements.documents.services import version_cancel, version_publish
from agreements.models import AcceptanceEvent, Version, review_fingerprint

from .conftest import AGREEMENT_TEXT

CHANGED_TEXT = AGREEMENT_TEXT.replace("the Operator and the User", "the Operator and any User")


@pytest.fixture
def editor(client, db):
    """Staff who may write drafts but not publish them."""
    user = User.objects.create_user("editor", password="pw", is_staff=True)
    codenames = ["add_version", "change_version", "delete_version", "view_version", "view_document"]
    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(user)
    return user


@pytest.fixture
def operator(editor):
    editor.user_permissions.add(Permission.objects.get(codename="publish_version"))
    return editor


def publish_page(client, draft):
    return client.get(f"/admin/agreements/version/{draft.pk}/publish/")


def confirm(client, draft, **changes):
    page = publish_page(client, draft)
    reviewed = re.search(r'name="reviewed_fingerprint" value="([0-9a-f]+)"', page.content.decode())
    data = {"when": "now", "summary": "Clause 1.1 now covers any User."}
    data["reviewed_fingerprint"] = reviewed.group(1)
    return client.post(f"/admin/agreements/version/{draft.pk}/publish/", data | changes)


def test_operator_writes_a_draft_with_the_markdown_editor_and_previews_it(
    client, operator, make_document
):
    document = make_document()
    add = client.get("/admin/agreements/version/add/").content.decode()
    assert "markdownx" in add and "css/document.css" in add
    response = client.post(
        "/admin/agreements/version/add/",
        {
            "document": document.pk,
            "language": "en",
            "title": "User Agreement",
            "summary": "",
            "source": AGREEMENT_TEXT,
        },
    )
    assert response.status_code == 302
    draft = Version.objects.drafts().get()
    preview = client.get(f"/agreement/draft/{draft.pk}/").content.decode()
    assert "This is a draft preview" in preview and 'id="clause-1-1"' in preview
    editor_preview = client.post("/markdownx/markdownify/", {"content": "1.1. A *clause*."})
    assert editor_preview.content.decode() == '<p id="clause-1-1">1.1. A <em>clause</em>.</p>'
    client.post(
        f"/admin/agreements/version/{draft.pk}/change/",
        {
            "document": document.pk,
            "language": "en",
            "title": "User Agreement",
            "summary": "",
            "source": CHANGED_TEXT,
        },  # fmt: skip
    )
    draft.refresh_from_db()
    assert "any User" in draft.source
    client.post(f"/admin/agreements/version/{draft.pk}/delete/", {"post": "yes"})
    assert not Version.objects.filter(pk=draft.pk).exists()


def test_publish_now_shows_number_redline_and_logs_who_published(
    client, operator, publish, make_draft
):
    publish(AGREEMENT_TEXT)
    draft = make_draft(CHANGED_TEXT)
    change_page = client.get(f"/admin/agreements/version/{draft.pk}/change/").content.decode()
    assert f"/admin/agreements/version/{draft.pk}/publish/" in change_page
    page = publish_page(client, draft).content.decode()
    assert "Publish version 2" in page
    assert "Clause 1.1" in page and "<ins>" in page and "any" in page
    response = confirm(client, draft)
    assert response.status_code == 302
    version = Version.objects.get(pk=draft.pk)
    assert version.number == 2 and version.summary == "Clause 1.1 now covers any User."
    assert version.effective_at <= timezone.now()
    assert client.get("/agreement/").context["version"] == version
    entry = LogEntry.objects.get(object_id=str(version.pk), change_message__startswith="Published")
    assert entry.user == operator and "version 2" in entry.change_message


def test_publish_scheduled_takes_effect_later_in_the_operators_time_zone(
    client, operator, publish, make_draft, settings
):
    first = publish(AGREEMENT_TEXT)
    draft = make_draft(CHANGED_TEXT)
    settings.OPERATOR_TIME_ZONE = "Asia/Ho_Chi_Minh"  # UTC+7, as the operator types it
    in_three_days = timezone.now() + timedelta(days=3)
    wall_clock = in_three_days.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).replace(
        second=0, microsecond=0
    )
    typed = wall_clock.strftime("%Y-%m-%dT%H:%M")
    response = confirm(client, draft, when="scheduled", effective_at=typed)
    assert response.status_code == 302
    said = client.get(response["Location"]).content.decode()  # as typed, its zone named
    assert f"{wall_clock:%Y-%m-%d %H:%M} (Asia/Ho_Chi_Minh)" in said
    version = Version.objects.get(pk=draft.pk)
    assert version.number == 2 and version.effective_at == wall_clock
    assert client.get("/agreement/").context["version"] == first
    documents = client.get("/admin/agreements/document/").content.decode()
    assert "v1, since" in documents and "v2 on" in documents


def test_scheduling_needs_a_future_moment_and_a_summary(client, operator, publish, make_draft):
    publish(AGREEMENT_TEXT)
    draft = make_draft(CHANGED_TEXT)
    past = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    for changes, message in [
        ({"when": "scheduled", "effective_at": past}, "This moment has passed"),
        ({"when": "scheduled", "effective_at": ""}, "Pick the date and time"),
        ({"summary": ""}, "This field is required"),
    ]:
        response = confirm(client, draft, **changes)
        assert response.status_code == 200 and message in response.content.decode()
    assert Version.objects.get(pk=draft.pk).number is None


def test_cancelling_changes_nothing(client, operator, publish, make_draft):
    """Opening the confirmation and leaving by its Cancel link publishes nothing, logs
    nothing and uses no number: the next publication still becomes version 2."""
    publish(AGREEMENT_TEXT)
    draft = make_draft(CHANGED_TEXT)
    page = publish_page(client, draft).content.decode()
    cancel = re.search(r'href="([^"]+)" class="closelink">Cancel', page).group(1)
    assert cancel == f"/admin/agreements/version/{draft.pk}/change/"
    assert client.get(cancel).status_code == 200
    assert Version.objects.get(pk=draft.pk).number is None
    assert not LogEntry.objects.filter(object_id=str(draft.pk)).exists()
    other = make_draft(CHANGED_TEXT + "\n9.9. Another draft.\n")
    assert confirm(client, other).status_code == 302
    assert Version.objects.get(pk=other.pk).number == 2


def test_publishing_the_same_draft_twice_publishes_it_once(client, operator, publish, make_draft):
    publish(AGREEMENT_TEXT)
    draft = make_draft(CHANGED_TEXT)
    reviewed = review_fingerprint(draft)
    data = {"when": "now", "summary": "Once.", "reviewed_fingerprint": reviewed}
    first = client.post(f"/admin/agreements/version/{draft.pk}/publish/", data)
    second = client.post(f"/admin/agreements/version/{draft.pk}/publish/", data)
    assert first.status_code == second.status_code == 302
    assert Version.objects.published().count() == 2
    assert client.get(second.url).status_code == 200
    published_logs = LogEntry.objects.filter(change_message__startswith="Published")
    assert published_logs.count() == 1


def test_a_draft_edited_after_review_is_not_published(client, operator, publish, make_draft):
    publish(AGREEMENT_TEXT)
    draft = make_draft(CHANGED_TEXT)
    data = {
        "when": "now",
        "summary": "Stale.",
        "reviewed_fingerprint": review_fingerprint(Version(title=draft.title, source="Old.")),
    }
    response = client.post(f"/admin/agreements/version/{draft.pk}/publish/", data)
    assert "edited after this page was opened" in response.content.decode()
    assert Version.objects.get(pk=draft.pk).number is None


def test_identical_text_is_refused_with_a_clear_message(client, operator, publish, make_draft):
    publish(AGREEMENT_TEXT)
    draft = make_draft(AGREEMENT_TEXT)
    response = confirm(client, draft)
    assert response.status_code == 200
    assert "identical to" in response.content.decode()
    assert Version.objects.get(pk=draft.pk).number is None


def test_editing_drafts_does_not_grant_publishing(client, editor, publish, make_draft):
    publish(AGREEMENT_TEXT)
    draft = make_draft(CHANGED_TEXT)
    change_page = client.get(f"/admin/agreements/version/{draft.pk}/change/").content.decode()
    assert "/publish/" not in change_page
    assert publish_page(client, draft).status_code == 403
    data = {"when": "now", "summary": "x", "reviewed_fingerprint": review_fingerprint(draft)}
    assert client.post(f"/admin/agreements/version/{draft.pk}/publish/", data).status_code == 403
    assert Version.objects.get(pk=draft.pk).number is None


def test_a_published_version_is_read_only_with_its_evidence_and_starts_new_drafts(
    client, operator, send_request
):
    send_request()
    version = Version.objects.get(document__slug="agreement")
    page = client.get(f"/admin/agreements/version/{version.pk}/change/").content.decode()
    assert version.fingerprint in page
    assert (
        f'href="{version.get_absolute_url()}"' in page and f'href="{version.get_raw_url()}"' in page
    )
    referring = AcceptanceEvent.objects.filter(version=version).count()
    assert referring > 0
    assert re.search(rf'referring to it:</label>\s*<div class="readonly">{referring}</div>', page)
    assert 'name="source"' not in page and "/delete/" not in page
    assert client.get(f"/admin/agreements/version/{version.pk}/delete/").status_code == 403
    response = client.post(f"/admin/agreements/version/{version.pk}/new-draft/")
    draft = Version.objects.drafts().get()
    assert response.url == f"/admin/agreements/version/{draft.pk}/change/"
    assert draft.source == version.source and draft.document == version.document
    assert client.get(f"/admin/agreements/version/{version.pk}/new-draft/").status_code == 405
    documents = client.get("/admin/agreements/document/").content.decode()
    assert re.search(r'field-draft_count">1<', documents)


def test_a_scheduled_version_is_cancelled_keeping_its_number_with_who_and_when(
    client, operator, publish, make_draft
):
    publish(AGREEMENT_TEXT)
    typo = publish(CHANGED_TEXT, effective_at=timezone.now() + timedelta(days=365 * 73))
    page = client.get(f"/admin/agreements/version/{typo.pk}/change/").content.decode()
    assert f"/admin/agreements/version/{typo.pk}/cancel/" in page
    response = client.post(
        f"/admin/agreements/version/{typo.pk}/cancel/", {"reason": "Typo: 2099 for 2026."}
    )
    assert response.status_code == 302
    typo = Version.objects.select_related("cancellation").get(pk=typo.pk)
    assert typo.is_cancelled and typo.cancellation.cancelled_by == "editor"
    assert LogEntry.objects.filter(object_id=str(typo.pk), change_message__contains="Typo").exists()
    # Later publications are no longer held back, and the number 2 is never reused.
    third = version_publish(version=make_draft(CHANGED_TEXT + "\n9.9. Fixed.\n"))
    assert third.number == 3 and Version.objects.current() == third
    history = client.get("/agreement/versions/").content.decode()
    assert re.search(r"Version 2</a>\s*<span class=\"badge\">cancelled</span>", history)
    assert "never in effect" in client.get("/agreement/v/2/").content.decode()


def test_cancelling_needs_the_publish_permission(client, editor, publish):
    publish(AGREEMENT_TEXT)
    scheduled = publish(CHANGED_TEXT, effective_at=timezone.now() + timedelta(days=3))
    page = client.get(f"/admin/agreements/version/{scheduled.pk}/change/").content.decode()
    assert "/cancel/" not in page
    response = client.post(f"/admin/agreements/version/{scheduled.pk}/cancel/", {"reason": "x"})
    assert response.status_code == 403
    assert not Version.objects.get(pk=scheduled.pk).is_cancelled


def test_a_version_in_effect_cannot_be_cancelled(client, operator, publish):
    version = publish(AGREEMENT_TEXT)
    response = client.post(f"/admin/agreements/version/{version.pk}/cancel/", {"reason": "x"})
    assert response.status_code == 200 and "can no longer be cancelled" in response.content.decode()
    assert not Version.objects.get(pk=version.pk).is_cancelled
    assert Version.objects.current() == version


def test_a_cancellation_cannot_be_changed_or_deleted_even_in_sql(operator, publish):
    from django.db import IntegrityError, connection, transaction

    publish(AGREEMENT_TEXT)
    scheduled = publish(CHANGED_TEXT, effective_at=timezone.now() + timedelta(days=3))
    version_cancel(version=scheduled, by="operator", reason="Wrong date.")
    for sql in (
        "UPDATE agreements_cancellation SET cancelled_by = 'someone else'",
        "DELETE FROM agreements_cancellation",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)


def test_scheduling_more_than_a_year_ahead_asks_for_a_second_confirmation(
    client, operator, publish, make_draft
):
    publish(AGREEMENT_TEXT)
    draft = make_draft(CHANGED_TEXT)
    moment = (timezone.now() + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M")
    response = confirm(client, draft, when="scheduled", effective_at=moment)
    assert response.status_code == 200 and "more than a year from now" in response.content.decode()
    assert Version.objects.get(pk=draft.pk).number is None
    confirmed = confirm(
        client, draft, when="scheduled", effective_at=moment, far_ahead_confirmed="on"
    )
    assert confirmed.status_code == 302 and Version.objects.get(pk=draft.pk).number == 2


def test_a_title_changed_after_review_is_not_published(client, operator, publish, make_draft):
    publish(AGREEMENT_TEXT)
    draft = make_draft(CHANGED_TEXT)
    page = publish_page(client, draft).content.decode()
    reviewed = re.search(r'name="reviewed_fingerprint" value="([0-9a-f]+)"', page).group(1)
    Version.objects.filter(pk=draft.pk).update(title="User Agreement (a title nobody reviewed)")
    data = {"when": "now", "summary": "x", "reviewed_fingerprint": reviewed}
    response = client.post(f"/admin/agreements/version/{draft.pk}/publish/", data)
    assert "edited after this page was opened" in response.content.decode()
    assert Version.objects.get(pk=draft.pk).number is None


@pytest.fixture
def staff_without_versions(client, db):
    user = User.objects.create_user("clerk", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_submission"))
    client.force_login(user)
    return user


def test_drafts_are_403_to_staff_who_may_not_view_versions(
    client, staff_without_versions, make_draft
):
    draft = make_draft(CHANGED_TEXT)
    assert client.get(f"/agreement/draft/{draft.pk}/").status_code == 403
    response = client.post("/markdownx/markdownify/", {"content": "1.1. A secret draft."})
    assert response.status_code == 403 and b"secret" not in response.content


def test_a_200_kb_draft_with_cyrillic_saves_and_previews_in_admin(
    client, operator, make_document, send_request
):
    document = make_document()
    clause = "1.1. Пользователь принимает условия настоящего Соглашения полностью. "
    source = "## 1. Общие положения\n\n" + (clause * (200_000 // len(clause.encode())))
    assert len(source.encode()) > 190_000
    response = client.post(
        "/admin/agreements/version/add/",
        {
            "document": document.pk,
            "language": "en",
            "title": "Соглашение",
            "summary": "",
            "source": source,
        },  # fmt: skip
    )
    assert response.status_code == 302
    assert Version.objects.drafts().get().source == source.strip()
    preview = client.post("/markdownx/markdownify/", {"content": source})
    assert preview.status_code == 200 and "Общие положения" in preview.content.decode()
    # The public forms keep their small limit.
    too_big = send_request(message="x" * 70_000)
    assert too_big.status_code == 400 and not Version.objects.filter(events__isnull=False)
