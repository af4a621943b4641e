"""A published version cannot be changed or deleted: not by save, QuerySet, raw SQL or admin."""

import pytest
from django.db import IntegrityError, connection, transaction

from agreements.documents.services import version_publish
from agreements.models import PublishedVersionIsImmutable, Version


@pytest.fixture
def published(publish):
    return publish()


def test_published_version_rejects_save(published):
    published.source = "Rewritten."
    with pytest.raises(PublishedVersionIsImmutable):
        published.save()


def test_published_version_rejects_save_from_a_stale_draft_instance(make_draft):
    draft = make_draft()
    stale = Version.objects.get(pk=draft.pk)
    version_publish(version=draft)
    stale.source = "Rewritten."
    with pytest.raises(PublishedVersionIsImmutable):
        stale.save()


def test_published_version_rejects_delete(published):
    with pytest.raises(PublishedVersionIsImmutable):
        published.delete()


def test_published_version_rejects_queryset_update(published):
    with pytest.raises(PublishedVersionIsImmutable):
        Version.objects.filter(pk=published.pk).update(source="Rewritten.")


def test_published_version_rejects_queryset_delete(published):
    with pytest.raises(PublishedVersionIsImmutable):
        Version.objects.all().delete()


def test_published_version_rejects_raw_sql_update(published):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE agreements_version SET source = %s WHERE id = %s", ["Rewritten.", published.pk]
        )
    published.refresh_from_db()
    assert published.source != "Rewritten."


def test_published_version_rejects_raw_sql_delete(published):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM agreements_version WHERE id = %s", [published.pk])
    assert Version.objects.filter(pk=published.pk).exists()


def test_published_version_rejects_raw_sql_unpublish(published):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE agreements_version SET number = NULL WHERE id = %s", [published.pk])


def test_drafts_stay_editable_and_deletable_even_by_raw_sql(make_draft):
    draft = make_draft()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE agreements_version SET title = %s WHERE id = %s", ["T", draft.pk])
        cursor.execute("DELETE FROM agreements_version WHERE id = %s", [draft.pk])
    assert not Version.objects.filter(pk=draft.pk).exists()


def test_admin_shows_a_published_version_read_only(admin_client, published):
    url = f"/admin/agreements/version/{published.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200
    assert b'name="source"' not in page.content
    assert published.fingerprint.encode() in page.content
    admin_client.post(url, {"title": "Rewritten", "source": "Rewritten.", "summary": ""})
    published.refresh_from_db()
    assert published.title != "Rewritten"


def test_admin_refuses_to_delete_a_published_version(admin_client, published):
    url = f"/admin/agreements/version/{published.pk}/delete/"
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Version.objects.filter(pk=published.pk).exists()


def test_admin_edits_and_deletes_a_draft(admin_client, make_draft):
    draft = make_draft()
    url = f"/admin/agreements/version/{draft.pk}/change/"
    response = admin_client.post(
        url,
        {
            "document": draft.document_id,
            "language": "en",
            "title": "New title",
            "summary": "",
            "source": "1.1. New.",
        },  # fmt: skip
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "New title" and 'id="clause-1-1"' in draft.html
    admin_client.post(f"/admin/agreements/version/{draft.pk}/delete/", {"post": "yes"})
    assert not Version.objects.filter(pk=draft.pk).exists()
