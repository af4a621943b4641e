"""The public document pages, the raw download and their 404s, over HTTP."""

import hashlib
import re
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements.models import Document
from tests.conftest import AGREEMENT_TEXT, later

SECOND_TEXT = AGREEMENT_TEXT + "\n## 9. Amendment\n\n9.2. Effective upon publication.\n"


def test_the_agreement_page_shows_the_current_version(client, publish):
    version = publish()
    page = client.get("/agreement/")
    assert page.status_code == 200
    text = page.content.decode()
    assert '<h1 lang="en">User Agreement (public offer)</h1>' in text
    assert version.fingerprint in text
    assert 'id="clause-7-2"' in text and 'href="#section-7"' in text
    assert "UTC" in text and "Ho Chi Minh City:" in text
    for link in (
        "/agreement/versions/",
        "/agreement/v/1/",
        "/agreement/v/1.md",
        "/agreement/v/1/print/",
    ):
        assert f'href="{link}"' in text


def test_the_agreement_page_reads_no_markdown_and_makes_two_queries(client, publish, monkeypatch):
    publish()
    monkeypatch.setattr("agreements.documents.rendering.markdown.Markdown", None)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/agreement/").status_code == 200
    assert len(queries) <= 2


def test_a_repeated_request_is_answered_from_what_the_process_remembers(client, publish):
    publish()
    first = client.get("/agreement/")
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/agreement/")
    assert len(queries) == 0 and again.content == first.content
    assert again["ETag"] == first["ETag"]


def test_a_version_published_elsewhere_shows_within_the_state_lifetime(
    client, publish, monkeypatch, settings
):
    settings.KOMMOGEN_PAGE_STATE_SECONDS = 30
    publish()
    assert "Version</dt><dd>1<" in client.get("/agreement/").text.replace("\n", "")
    monkeypatch.setattr(
        "agreements.documents.caching.forget", lambda: None
    )  # as in another process
    publish(SECOND_TEXT)
    assert "Version</dt><dd>1<" in client.get("/agreement/").text.replace("\n", "")
    later_clock = time.monotonic() + 31
    monkeypatch.setattr("agreements.documents.caching.time.monotonic", lambda: later_clock)
    assert "Version</dt><dd>2<" in client.get("/agreement/").text.replace("\n", "")


def test_the_page_announces_a_scheduled_version(client, publish):
    publish()
    publish(SECOND_TEXT, effective_at=later(days=3))
    text = client.get("/agreement/").content.decode()
    assert "A new version (2) takes effect on" in text
    assert 'href="/agreement/v/2/"' in text
    scheduled = client.get("/agreement/v/2/").content.decode()
    assert "This version is scheduled" in scheduled


def test_an_old_version_says_it_is_not_current_and_links_to_the_current_one(client, publish):
    publish()
    publish(SECOND_TEXT)
    text = client.get("/agreement/v/1/").content.decode()
    assert "no longer in effect" in text
    assert 'href="/agreement/">Read the current version (2)' in text
    assert 'id="clause-7-2"' in text


def test_the_history_lists_every_version_newest_first(client, publish):
    publish()
    publish(SECOND_TEXT)
    text = client.get("/agreement/versions/").content.decode()
    assert text.index('href="/agreement/v/2/"') < text.index('href="/agreement/v/1/"')
    assert "Changes." in text


def test_the_history_says_from_when_to_when_a_superseded_version_was_in_effect(client, publish):
    first = publish()
    second = publish(SECOND_TEXT)
    publish(SECOND_TEXT + "\n9.9. Later.\n", effective_at=later(days=30))
    text = re.sub(r"\s+", " ", client.get("/agreement/versions/").content.decode())
    start, end = (f"{v.effective_at:%Y-%m-%d}" for v in (first, second))
    entries = re.findall(r"<li> <h2>.*?</li>", text)
    assert "Takes effect on" in entries[0] and "scheduled" in entries[0]
    assert "In effect since" in entries[1] and " to " not in entries[1]
    assert re.search(
        rf"In effect from <time datetime=\"{start}.*? to <time datetime=\"{end}", entries[2]
    )


def test_a_superseded_versions_facts_say_from_when_to_when_on_its_page_print_and_redline(
    client, publish
):
    first = publish()
    second = publish(SECOND_TEXT)
    start, end = (f"{v.effective_at:%Y-%m-%d}" for v in (first, second))
    for url in ("/agreement/v/1/", "/agreement/v/1/print/", "/agreement/compare/1...2/"):
        text = re.sub(r"\s+", " ", client.get(url).content.decode())
        facts = re.search(r'<dl class="version-meta">.*?</dl>', text).group(0)
        assert re.search(
            rf"<dt>In effect</dt><dd>from <time datetime=\"{start}.*? to <time datetime=\"{end}",
            facts,
        ), url
        assert "In effect since" not in facts, url
    current = re.sub(r"\s+", " ", client.get("/agreement/v/2/").content.decode())
    assert "<dt>In effect since</dt>" in current


def test_the_raw_download_hashes_to_the_fingerprint(client, publish):
    version = publish(AGREEMENT_TEXT.replace("Operator", "Оператор «KommoGEN»"))
    response = client.get("/agreement/v/1.md")
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert hashlib.sha256(response.content).hexdigest() == version.fingerprint
    assert response.content.decode("utf-8") == version.source


def test_the_published_html_is_downloadable_and_hashes_to_the_html_fingerprint(client, publish):
    version = publish(AGREEMENT_TEXT.replace("Operator", "Оператор «KommoGEN»"))
    response = client.get("/agreement/v/1.html")
    assert response["Content-Type"] == "text/plain; charset=utf-8"  # never rendered here
    assert hashlib.sha256(response.content).hexdigest() == version.html_fingerprint
    assert 'href="/agreement/v/1.html"' in client.get("/agreement/v/1/").content.decode()
    assert client.get("/agreement/v/2.html").status_code == 404


def test_the_print_view_has_the_text_without_navigation(client, publish):
    version = publish()
    text = client.get("/agreement/v/1/print/").content.decode()
    assert version.fingerprint in text and 'id="clause-1-1"' in text
    assert 'aria-label="Main"' not in text


def test_a_document_without_a_published_version_is_a_helpful_404(client, db, make_draft):
    make_draft(slug=Document.Slug.PRIVACY)
    for url in ("/privacy/", "/privacy/versions/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "has not been published yet" in response.content.decode()


@pytest.mark.parametrize(
    "url", ["/agreement/v/2/", "/agreement/v/2.md", "/agreement/v/0/", "/nowhere/", "/terms/"]
)
def test_unknown_versions_and_pages_are_404(client, publish, url):
    publish()
    response = client.get(url)
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_a_draft_has_no_public_number_page(client, publish, make_draft):
    publish()
    draft = make_draft(SECOND_TEXT)
    assert client.get(f"/agreement/draft/{draft.pk}/").status_code == 302  # to the login
    assert client.get("/agreement/v/2/").status_code == 404


def test_staff_preview_a_draft_at_its_own_url(admin_client, make_draft):
    draft = make_draft(SECOND_TEXT)
    response = admin_client.get(f"/agreement/draft/{draft.pk}/")
    assert response.status_code == 200
    assert "draft preview" in response.content.decode()
    assert 'id="clause-9-2"' in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex"


def test_the_privacy_policy_has_the_same_pages_once_published(client, publish):
    version = publish("## 1. Who we are\n\n1.1. KommoGEN.\n", slug=Document.Slug.PRIVACY)
    assert client.get("/privacy/").status_code == 200
    assert client.get("/privacy/versions/").status_code == 200
    assert client.get("/privacy/v/1/").status_code == 200
    raw = client.get("/privacy/v/1.md").content
    assert hashlib.sha256(raw).hexdigest() == version.fingerprint


@pytest.mark.parametrize("language", ["", "/ru", "/vi"])
def test_the_evidence_page_opens_with_plain_words_before_any_technical_term(
    client, documents, language
):
    page = client.get(f"{language}/evidence/").content.decode()
    summary = page.index('class="panel evidence-summary"')
    for term in ("HMAC", "Merkle", "Ed25519", "SHA-256", "RFC"):
        assert summary < page.index(term), term


def test_a_page_gives_one_effective_date_and_names_the_operators_zone_in_its_language(
    client, make_draft
):
    from datetime import UTC, datetime

    import time_machine

    from agreements.documents.services import version_publish

    # 20:05 UTC on 6 December is already 7 December in Ho Chi Minh City.
    with time_machine.travel(datetime(2031, 12, 6, 20, 5, tzinfo=UTC), tick=False):
        version = version_publish(version=make_draft())
        page = client.get("/agreement/").content.decode()
        russian = client.get("/ru/agreement/").content.decode()
        vietnamese = client.get("/vi/agreement/").content.decode()
    assert "(Хошимин: 7 декабря 2031, 03:05)" in russian
    assert "(TP Hồ Chí Minh: 7 tháng 12 năm 2031, 03:05)" in vietnamese
    status = re.search(r'<p class="version-status">(.*?)</p>', page, re.S).group(1)
    assert "in effect since 6 December 2031" in status
    assert (
        "6 December 2031, 20:05 UTC" in page and "Ho Chi Minh City: 7 December 2031, 03:05" in page
    )
    assert "since 7 December" not in page
    assert version.number == 1


def test_the_evidence_page_explains_the_pack_and_the_form_snapshots(client, documents):
    page = client.get("/evidence/").content.decode()
    assert "The form as you saw it" in page and "The evidence pack" in page
