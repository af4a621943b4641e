"""The site in English, Russian and Vietnamese: pages, raw downloads and their
fingerprints, a request recording the language and the exact texts shown, the stale
guard in every language, translations that fall behind, the switcher and hreflang,
emails in the visitor's language, and catalogues with nothing left untranslated."""

import gettext
import hashlib
import json
import re
import shutil
import subprocess
import sys
import urllib.parse
from types import SimpleNamespace

import polib
import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command

from agreements.documents.services import version_publish
from agreements.models import AcceptanceEvent, Document, OutboxMessage, Submission, Version

from .conftest import VALID_REQUEST, form_token

TRANSLATED = {
    "ru": ("## 1. Общие положения\n\n1.1. Текст соглашения.\n\n7.2. Персональные данные.\n",
           "## 1. Согласие\n\n1.1. Я согласен.\n",
           "## 1. Конфиденциальность\n\n1.1. Мы бережём.\n"),
    "vi": ("## 1. Quy định chung\n\n1.1. Nội dung.\n\n7.2. Dữ liệu cá nhân.\n",
           "## 1. Sự đồng ý\n\n1.1. Tôi đồng ý.\n",
           "## 1. Quyền riêng tư\n\n1.1. Chúng tôi bảo vệ.\n"),
}  # fmt: skip
TITLES = {"ru": "Пользовательское соглашение", "vi": "Thỏa thuận người dùng"}


def translate(original, language, source, title="Translated"):
    draft = Version.objects.create(
        document=original.document, title=title, source=source, language=language,
        translates=original,
    )  # fmt: skip
    return version_publish(version=draft)


@pytest.fixture
def translations(documents):
    """A Russian and a Vietnamese translation of each of the three documents."""
    made = {}
    for language, sources in TRANSLATED.items():
        for slug, source in zip(
            (Document.Slug.AGREEMENT, Document.Slug.CONSENT, Document.Slug.PRIVACY),
            sources, strict=True,
        ):  # fmt: skip
            title = TITLES[language] if slug == Document.Slug.AGREEMENT else "T"
            made[(language, slug)] = translate(documents[slug], language, source, title)
    return made


@pytest.mark.parametrize("language", ["ru", "vi"])
def test_a_translated_page_its_raw_download_and_its_fingerprint(client, translations, language):
    version = translations[(language, "agreement")]
    assert version.number == 1 and version.language == language
    page = client.get(f"/{language}/agreement/")
    html = page.content.decode()
    assert page.status_code == 200 and f'<html lang="{language}">' in html
    assert f'<h1 lang="{language}">{TITLES[language]}</h1>' in html
    assert version.fingerprint in html and 'id="clause-7-2"' in html  # the same anchors
    raw = client.get(f"/{language}/agreement/v/1.md")
    assert hashlib.sha256(raw.content).hexdigest() == version.fingerprint
    assert f'href="/{language}/agreement/v/1.md"' in html
    # The English page is unchanged, at its own address.
    english = client.get("/agreement/").content.decode()
    assert '<html lang="en">' in english and version.fingerprint not in english


def test_every_page_lists_itself_in_each_language_and_the_switcher_keeps_the_document(
    client, translations
):
    html = client.get("/ru/agreement/v/1/").content.decode()
    for code, path in (("en", "/agreement/v/1/"), ("ru", "/ru/agreement/v/1/"),
                       ("vi", "/vi/agreement/v/1/")):  # fmt: skip
        assert f'<link rel="alternate" hreflang="{code}" href="{settings.SITE_URL}{path}">' in html
        assert f'<a href="{path}" hreflang="{code}" lang="{code}"' in html
    assert 'hreflang="x-default" href="http://127.0.0.1:8000/agreement/v/1/"' in html
    assert 'aria-current="true" data-language="ru">Русский</a>' in html
    sitemap = client.get("/sitemap.xml").content.decode()
    assert 'hreflang="vi" href="http://127.0.0.1:8000/vi/agreement/"' in sitemap


def test_the_browser_language_is_never_a_redirect(client, translations):
    page = client.get("/agreement/", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9")
    assert page.status_code == 200 and '<html lang="en">' in page.content.decode()
    assert page["Content-Language"] == "en"
    suggestion = page.content.decode()
    assert 'class="language-suggestion" hidden' in suggestion  # shown by script, not forced


def send_in(client, language, **changes):
    page = client.get(f"/{language}/contact/")
    data = {**VALID_REQUEST, "form_token": form_token(page), **changes}
    return page, client.post(f"/{language}/contact/", data)


@pytest.mark.parametrize("language", ["ru", "vi"])
def test_a_request_records_the_language_and_the_exact_texts_shown(
    client, translations, no_fill_delay, language
):
    page, response = send_in(client, language)
    assert response.status_code == 302 and response["Location"].startswith(f"/{language}/receipt/")
    submission = Submission.objects.get()
    assert submission.language == language
    events = list(AcceptanceEvent.objects.order_by("position"))
    accepted = events[0]
    version = translations[(language, "agreement")]
    assert accepted.language == language and accepted.version == version
    assert accepted.fingerprint == version.fingerprint
    original = version.translates  # the English version it translates: it prevails
    assert {"document": "agreement", "language": language, "version": 1,
            "fingerprint": version.fingerprint, "html_fingerprint": version.html_fingerprint,
            "translates": {"language": "en", "version": original.number,
                           "fingerprint": original.fingerprint,
                           "html_fingerprint": original.html_fingerprint},
            "prevails": "en"} in accepted.texts  # fmt: skip
    expected = {"ru": ("Я принимаю", "Отправить заявку"), "vi": ("Tôi chấp nhận", "Gửi yêu cầu")}
    assert accepted.statement.startswith(expected[language][0])
    assert accepted.submit_label == expected[language][1]
    call_command("verify_evidence")


def test_the_stale_guard_covers_every_language(client, translations, no_fill_delay):
    page = client.get("/ru/contact/")
    translate(
        translations[("ru", "agreement")].translates, "ru", TRANSLATED["ru"][0] + "\n1.2. Новое.\n"
    )
    data = {**VALID_REQUEST, "form_token": form_token(page)}
    response = client.post("/ru/contact/", data)
    assert response.status_code == 409 and Submission.objects.count() == 0
    assert "/ru/agreement/v/2/" in response.content.decode()


def test_an_outdated_translation_says_so_and_the_form_accepts_the_english_text(
    client, translations, documents, publish, no_fill_delay
):
    english = publish(documents["agreement"].source + "\n1.3. Added.\n")
    assert english.number == 2
    page = client.get("/ru/agreement/").content.decode()
    assert "/agreement/v/2/" in page and 'hreflang="en">английская версия 2</a>' in page
    form, response = send_in(client, "ru")
    assert "не переведены на ваш язык" in form.content.decode()
    assert response.status_code == 302
    accepted = AcceptanceEvent.objects.get(purpose="agreement")
    assert accepted.version == english and accepted.language == "ru"  # the English text
    assert accepted.statement.startswith("Я принимаю")
    assert "prevails" not in accepted.shown_text  # the original names no other text
    receipt = client.get(response["Location"]).content.decode()
    assert "Этот текст — английский оригинал: он ещё не переведён." in receipt
    assert "перевод английской редакции 1" in receipt  # the consent: still translated


def test_a_record_made_before_translations_named_their_original_still_verifies(
    client, translations, no_fill_delay
):
    from agreements.core.clients import Context
    from agreements.evidence.chain import append, new_event

    version = translations[("ru", "agreement")]
    event = new_event(SimpleNamespace(reference="KG-OLDRECORD"), Context.without_request("t"),
                      "", {}, texts=[version], kind="accepted", purpose="agreement",
                      version=version, statement="Я принимаю.")  # fmt: skip
    for text in event.texts:
        del text["translates"], text["prevails"]  # as records named a translation before
    append([event])
    call_command("verify_evidence")


def test_a_document_not_yet_translated_shows_the_english_text_marked_english(client, documents):
    html = client.get("/vi/privacy/").content.decode()
    assert '<html lang="vi">' in html and '<div class="document-text" lang="en"' in html
    assert "chưa được dịch" in html


def test_the_prevailing_language_is_said_on_every_translated_page(client, translations):
    html = client.get("/vi/agreement/").content.decode()
    assert "tiếng Anh" in html and "ưu tiên áp dụng" in html


def test_the_receipt_and_its_email_are_in_the_visitors_language(
    client, translations, no_fill_delay, settings
):
    _page, response = send_in(client, "ru")
    receipt = client.get(response["Location"]).content.decode()
    month = re.search(r"\d+ (\w+) \d{4}, \d\d:\d\d UTC", receipt).group(1)
    assert "Ваша заявка получена" in receipt and month.endswith(("я", "а"))  # genitive
    assert "Этот текст — перевод английской редакции 1; при расхождении преимущество" in receipt
    call_command("deliver", "--once")
    copy = next(m for m in mail.outbox if m.to == [VALID_REQUEST["email"]])
    assert "ваша квитанция" in copy.subject and "Спасибо: мы получили" in copy.body
    assert f"{settings.SITE_URL}/ru/receipt/" in copy.body
    assert "перевод английской редакции 1" in copy.body
    operator = next(m for m in mail.outbox if m.to == [settings.KOMMOGEN_OPERATOR_EMAIL])
    assert "New submission" in operator.subject  # the operator's own language


def test_the_loader_publishes_translations_of_the_english_content(db, client):
    call_command("load_content")
    for language in ("ru", "vi"):
        for slug in ("agreement", "privacy", "consent"):
            version = Version.objects.filter(document__slug=slug, language=language).get()
            english = Version.objects.filter(document__slug=slug, language="en").current()
            assert version.translates == english, (language, slug)
            raw = client.get(f"/{language}/{slug}/v/1.md").content
            assert hashlib.sha256(raw).hexdigest() == version.fingerprint
            ours = re.findall(r"^(?:## )?(\d+(?:\.\d+)?)\.", version.source, re.M)
            theirs = re.findall(r"^(?:## )?(\d+(?:\.\d+)?)\.", english.source, re.M)
            assert ours == theirs, (language, slug)  # the same clauses, the same anchors
    call_command("load_content")  # again: nothing new
    assert Version.objects.filter(language="ru").count() == 3


# --- The catalogues -----------------------------------------------------------------

LOCALE = settings.BASE_DIR / "locale"


@pytest.mark.parametrize("language", ["ru", "vi"])
def test_every_string_is_translated_and_the_compiled_catalogue_is_current(language):
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    assert catalogue.percent_translated() == 100
    assert not catalogue.fuzzy_entries() and not catalogue.obsolete_entries()
    with open(LOCALE / language / "LC_MESSAGES" / "django.mo", "rb") as compiled:
        mo = gettext.GNUTranslations(compiled)
    for entry in catalogue:
        if entry.msgctxt and not entry.msgid_plural:
            assert mo.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr, entry.msgid
        elif not entry.msgid_plural:
            assert mo.gettext(entry.msgid) == entry.msgstr, entry.msgid


def test_no_string_of_the_interface_is_missing_from_the_catalogues(tmp_path):
    """makemessages on the code now: every string it finds is in the committed catalogue."""
    if not shutil.which("xgettext"):
        message = "xgettext (Debian's gettext) is not installed; .ci/run installs it"
        if settings.DEBUG is False and __import__("os").environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    copy = tmp_path / "site"
    shutil.copytree(settings.BASE_DIR, copy, ignore=shutil.ignore_patterns(
        ".venv", "node_modules", "var", ".git", "tests", "bench", "static", "*.mo"))  # fmt: skip
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ru", "--no-location",
         "--ignore=tests", "--ignore=bench", "--ignore=static"],
        cwd=copy, capture_output=True, text=True, env={**__import__("os").environ},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    found = {e.msgid for e in polib.pofile(str(copy / "locale/ru/LC_MESSAGES/django.po"))}
    committed = {e.msgid for e in polib.pofile(str(LOCALE / "ru/LC_MESSAGES/django.po"))}
    assert found - committed == set()


def test_the_operator_writes_and_publishes_a_translation_in_admin(admin_client, documents):
    english = documents["agreement"]
    text = "## 1. Общие положения\n\n1.1. Текст.\n"
    form = {"document": english.document.pk, "language": "ru", "title": "Соглашение",
            "summary": "", "source": text}  # fmt: skip
    refused = admin_client.post("/admin/agreements/version/add/", {**form, "translates": ""})
    assert "Choose the published English version this translates." in refused.content.decode()
    added = admin_client.post("/admin/agreements/version/add/", {**form, "translates": english.pk})
    assert added.status_code == 302
    draft = Version.objects.get(language="ru")
    assert admin_client.get(draft.get_absolute_url()).status_code == 200  # /ru/…/draft/N/
    page = admin_client.get(f"/admin/agreements/version/{draft.pk}/publish/").content.decode()
    reviewed = re.search(r'name="reviewed_fingerprint" value="([0-9a-f]+)"', page).group(1)
    published = admin_client.post(f"/admin/agreements/version/{draft.pk}/publish/",
                                  {"when": "now", "summary": "Перевод.",
                                   "reviewed_fingerprint": reviewed})  # fmt: skip
    assert published.status_code == 302
    version = Version.objects.get(pk=draft.pk)
    assert (version.language, version.number, version.translates) == ("ru", 1, english)
    assert english.number == 1  # numbered apart: the English text keeps its own numbers


def test_history_redline_print_and_feed_work_in_each_language(client, translations):
    first = translations[("ru", "agreement")]
    second = translate(first.translates, "ru", TRANSLATED["ru"][0] + "\n1.2. Новое.\n")
    assert second.number == 2
    history = client.get("/ru/agreement/versions/").content.decode()
    assert "Версия 2" in history and "/ru/agreement/v/1/" in history
    assert "английской версии 1" in history
    redline = client.get("/ru/agreement/compare/1...2/").content.decode()
    assert "<ins>" in redline and "Новое" in redline and "добавлено" in redline
    assert "Пункт 1.2</a> — добавлено" in redline and "Clause" not in redline
    assert "Весь текст с отмеченными изменениями" in redline
    printed = client.get("/ru/agreement/v/2/print/").content.decode()
    assert '<div class="document-text" lang="ru">' in printed and second.fingerprint in printed
    feed = client.get("/ru/agreement/feed/").content.decode()
    assert "/ru/agreement/v/2/" in feed and ":8000/agreement/v/" not in feed
    assert client.get("/vi/agreement/compare/1...2/").status_code == 404  # one Vietnamese version


@pytest.mark.parametrize(
    "crafted", ["/%2F%2Fevil.com/", "//evil.com/", "/%5Cevil.com/", "/%09/evil.com/"]
)
def test_a_404_never_links_to_another_origin(client, documents, crafted):
    # As a server hands the path to Django: decoded (the test client would read //evil.com
    # as a host).
    response = client.get("/", PATH_INFO=urllib.parse.unquote(crafted))
    assert response.status_code == 404
    page = response.content.decode()
    links = re.findall(r'<a href="([^"]*)"[^>]*hreflang=', page)
    alternates = re.findall(r'rel="alternate" hreflang="[^"]+" href="([^"]+)"', page)
    # The switcher (three) and the offer of the page in another language (two): homes.
    assert sorted(links) == sorted(["/", "/ru/", "/vi/", "/ru/", "/vi/"])
    assert set(alternates) == {settings.SITE_URL + path for path in ("/", "/ru/", "/vi/")}
    assert "evil.com" not in page


def test_the_language_links_of_a_404_inside_a_document_keep_the_page(client, documents):
    page = client.get("/agreement/v/99/").content.decode()
    assert 'href="/ru/agreement/v/99/"' in page


@pytest.mark.parametrize("language", ["ru", "vi"])
def test_the_emailed_receipt_is_utf8_json_in_every_language(
    client, translations, no_fill_delay, settings, language
):
    from aiosmtpd.controller import Controller

    from .test_outbox import Inbox, free_port

    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    try:
        page = client.get(f"/{language}/contact/")
        data = {**VALID_REQUEST, "form_token": form_token(page)}
        assert client.post(f"/{language}/contact/", data).status_code == 302
        call_command("deliver", "--once")
    finally:
        controller.stop()
    submission = Submission.objects.get()
    [copy] = [m for m in inbox.messages if m["To"] == submission.email and
              list(m.iter_attachments())]  # fmt: skip
    [attachment] = list(copy.iter_attachments())
    raw = attachment.get_payload(decode=True)
    receipt = json.loads(raw.decode("utf-8"))  # strict UTF-8, then JSON
    statements = [event["record"]["statement"] for event in receipt["events"]]
    assert any(not statement.isascii() for statement in statements)
    assert receipt["reference"] == submission.reference


def test_a_withdrawal_typed_in_vietnamese_is_confirmed_in_vietnamese(
    client, translations, no_fill_delay
):
    page = client.get("/contact/")  # the request was sent in English
    assert (
        client.post("/contact/", {**VALID_REQUEST, "form_token": form_token(page)}).status_code
        == 302
    )
    mail.outbox.clear()
    client.post("/vi/consent/withdraw/", {"email": "an@example.com", "scope": "personal_data"})
    call_command("deliver", "--once")
    [confirm] = [m for m in mail.outbox if "/consent/withdraw/confirm/" in m.body]
    with translation_of("vi"):
        from django.utils.translation import gettext

        assert confirm.subject == gettext("Confirm that you withdraw your consent to KommoGEN")
    assert confirm.subject != "Confirm that you withdraw your consent to KommoGEN"


@pytest.mark.parametrize("language", ["ru", "vi"])
def test_a_notice_links_the_subscribers_own_language(
    client, translations, documents, publish, no_fill_delay, language
):
    page = client.get(f"/{language}/contact/")
    data = {**VALID_REQUEST, "form_token": form_token(page), "consent_notifications": "on"}
    assert client.post(f"/{language}/contact/", data).status_code == 302
    Submission.objects.update(notifications_confirmed_at=Submission.objects.get().created_at)
    english = publish(documents["agreement"].source + "\n1.3. Added.\n")
    mail.outbox.clear()
    call_command("deliver", "--once")
    [notice] = [m for m in mail.outbox if m.extra_headers.get("List-Unsubscribe")]
    assert f"/{language}/agreement/versions/" in notice.body  # their language's pages
    assert f"{settings.SITE_URL}/agreement/v/{english.number}/" in notice.body  # marked:
    with translation_of(language):
        from django.utils.translation import gettext

        assert f"({gettext('in English')})" in notice.body
    # Once the translation of that version is published, notices link it instead.
    translated = translate(english, language, TRANSLATED[language][0] + "\n1.3. Новое.\n")
    notice_text = notice_for(english, Submission.objects.get(), language)
    assert notice_text == settings.SITE_URL + translated.get_absolute_url()


def notice_for(version, submission, language):
    from django.utils import translation

    from agreements.outbox.messages import COMPOSERS

    message = OutboxMessage(kind="notice", submission=submission, notice_of=version)
    with translation.override(language):
        parts = COMPOSERS["notice"](message)
    return parts["context"]["version_url"]


def translation_of(language):
    from django.utils import translation

    return translation.override(language)


def test_translations_falling_behind_are_named_before_publishing_and_marked_after(
    admin_client, client, translations, documents
):
    english = documents["agreement"]
    draft = english.new_draft()
    draft.source += "\n1.3. Added.\n"
    draft.save()
    page = admin_client.get(f"/admin/agreements/version/{draft.pk}/publish/").content.decode()
    assert "The translations fall behind:" in page
    assert "Русский: " in page and "Tiếng Việt: " in page and "translates Agreement" not in page
    version_publish(version=draft)
    listing = admin_client.get("/admin/agreements/version/?language__exact=ru").content.decode()
    assert "current, behind the English version 2" in listing
    history = client.get("/ru/agreement/versions/").content.decode()
    assert "отстаёт от английского оригинала" in history and ">действующая<" not in history


@pytest.mark.parametrize("language", ["ru", "vi"])
def test_the_emailed_receipt_names_each_text_once_in_the_visitors_words(
    client, translations, no_fill_delay, language
):
    send_in(client, language)
    call_command("deliver", "--once")
    copy = next(m for m in mail.outbox if m.to == [VALID_REQUEST["email"]])
    accepted = {"ru": "Вы приняли: Пользовательское соглашение (публичная оферта), версия 1",
                "vi": "Bạn đã chấp nhận: Thỏa thuận người dùng (đề nghị giao kết hợp đồng công "
                      "khai), phiên bản 1"}[language]  # fmt: skip
    assert accepted in copy.body
    if language == "vi":
        assert " nó " not in copy.body and "Tin nhắn" not in copy.body
