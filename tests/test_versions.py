"""The lifecycle of a version: draft, publish, numbers, scheduling, current version."""

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from agreements.documents.services import version_publish
from agreements.models import Document, PublishedVersionIsImmutable, Version
from tests.conftest import AGREEMENT_TEXT, later


def test_a_draft_has_no_number_and_is_not_current(make_draft):
    draft = make_draft()
    assert draft.number is None
    assert not draft.is_published
    assert Version.objects.current() is None


def test_publishing_numbers_versions_sequentially_per_document(publish):
    first = publish(AGREEMENT_TEXT)
    second = publish(AGREEMENT_TEXT + "\n9.1. Amended.\n")
    policy = publish("Privacy text.", slug=Document.Slug.PRIVACY)
    assert (first.number, second.number, policy.number) == (1, 2, 1)


def test_publish_freezes_the_fingerprint_of_the_lf_normalised_source(make_draft):
    version = version_publish(version=make_draft("## 1. Title\r\n\r\n1.1. Clause.\r\n"))
    assert version.source == "## 1. Title\n\n1.1. Clause.\n"
    assert version.fingerprint == hashlib.sha256(b"## 1. Title\n\n1.1. Clause.\n").hexdigest()
    assert 'id="clause-1-1"' in version.html
    assert version.published_at is not None


def test_a_version_cannot_be_published_twice(make_draft):
    draft = make_draft()
    same_draft_in_another_tab = Version.objects.get(pk=draft.pk)
    version_publish(version=draft)
    with pytest.raises(PublishedVersionIsImmutable):
        version_publish(version=same_draft_in_another_tab)
    assert Version.objects.published().count() == 1


def test_publishing_a_text_identical_to_the_latest_version_is_refused(publish, make_draft):
    publish(AGREEMENT_TEXT)
    with pytest.raises(ValidationError, match="identical"):
        version_publish(version=make_draft(AGREEMENT_TEXT.replace("\n", "\r\n")))


def test_the_current_version_is_the_latest_in_effect(publish):
    first = publish(AGREEMENT_TEXT)
    scheduled = publish(AGREEMENT_TEXT + "\nNew clause.\n", effective_at=later(days=7))
    assert Version.objects.current() == first
    assert list(Version.objects.scheduled()) == [scheduled]
    assert Version.objects.current(at=later(days=8)) == scheduled


def test_a_version_cannot_take_effect_in_the_past(make_draft):
    with pytest.raises(ValidationError, match="past"):
        version_publish(version=make_draft(), effective_at=timezone.now() - timedelta(hours=1))
    assert Version.objects.published().count() == 0


def test_a_version_cannot_take_effect_before_the_previous_one(publish, make_draft):
    publish(AGREEMENT_TEXT, effective_at=later(days=7))
    with pytest.raises(ValidationError, match="before it"):
        version_publish(
            version=make_draft(AGREEMENT_TEXT + "\nMore.\n"), effective_at=later(days=1)
        )


def test_numbers_are_never_reused_after_a_draft_is_deleted(publish, make_draft):
    publish(AGREEMENT_TEXT)
    make_draft("A draft that is thrown away.").delete()
    assert publish(AGREEMENT_TEXT + "\nSecond.\n").number == 2


def test_a_new_draft_starts_from_a_published_text(publish):
    version = publish(AGREEMENT_TEXT)
    draft = version.new_draft()
    assert draft.number is None and draft.source == version.source


def test_the_current_versions_are_asked_of_the_database_every_time_and_kept_only_when_published(
    publish, django_assert_num_queries
):
    from agreements.models import Version

    first = publish()
    slugs = ["agreement"]
    assert Version.objects.current_of_each(slugs)["agreement"] == first
    with django_assert_num_queries(1):  # which one is current: asked; the object: kept
        assert Version.objects.current_of_each(slugs)["agreement"].fingerprint == first.fingerprint
    second = publish(AGREEMENT_TEXT + "\n1.3. Added.\n")  # as another process would
    with django_assert_num_queries(2):  # the new one is read once
        assert Version.objects.current_of_each(slugs)["agreement"] == second


def test_any_two_versions_can_be_compared_from_the_history(client, publish):
    publish()
    publish(AGREEMENT_TEXT + "\n1.3. Added.\n")
    publish(AGREEMENT_TEXT + "\n1.3. Added.\n\n1.4. Again.\n")
    history = client.get("/agreement/versions/").content.decode()
    assert 'action="/agreement/compare/"' in history and 'id="compare-old"' in history
    response = client.get("/agreement/compare/", {"old": "3", "new": "1"})
    assert response.status_code == 302 and response["Location"] == "/agreement/compare/1...3/"
    assert client.get(response["Location"]).status_code == 200
    same = client.get("/agreement/compare/", {"old": "2", "new": "2"})
    assert same.status_code == 400 and "Choose two different versions" in same.content.decode()
    for bad in ({"old": "9", "new": "1"}, {"old": "²", "new": "1"}, {}):
        response = client.get("/agreement/compare/", bad)
        assert response.status_code == 400 and "Choose two versions" in response.content.decode()
