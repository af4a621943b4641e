"""Every promise of the texts true, in every language: the recipients the Privacy Policy
names come from the deployment's settings, the deadlines it states are the ones the site
computes, the consent promises no news, and the translations use the glossary's legal
terms (docs/glossary.md)."""

import re

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation

from agreements.core.deadlines import CLOCKS, LAWS, STATED
from agreements.documents.placeholders import duration
from agreements.documents.services import version_publish
from agreements.models import Version

CONTENT = settings.BASE_DIR / "content"
NAMED = {
    "hosting": {"en": "Hetzner Online GmbH, Germany", "ru": "Hetzner Online GmbH, Германия",
                "vi": ""},
    "mail": {"en": "Example Mail Ltd, Ireland", "ru": "", "vi": ""},
    "crm": {"en": "data centres in the European Union", "ru": "", "vi": ""},
    "backups": {"en": "Example Storage, Finland", "ru": "", "vi": ""},
}  # fmt: skip


def current(slug, language="en"):
    return Version.objects.filter(document__slug=slug, language=language).current()


def test_the_privacy_policy_names_the_recipients_the_deployment_sets(db, settings):
    settings.KOMMOGEN_RECIPIENTS = NAMED
    call_command("load_content")
    english, russian = current("privacy").source, current("privacy", "ru").source
    assert "provided by the Operator's hosting provider (Hetzner Online GmbH, Germany)" in english
    assert "and in its backups (Example Storage, Finland)" in english
    assert "the Operator's email provider (Example Mail Ltd, Ireland)" in english
    assert "provided by QSOFT LLC (data centres in the European Union)" in english
    assert "хостинг-провайдером Оператора (Hetzner Online GmbH, Германия)" in russian
    assert "(Example Mail Ltd, Ireland)" in russian  # no Russian name set: the English one
    for version in Version.objects.published():
        assert "{{" not in version.source, version


def test_a_changed_recipient_publishes_the_policy_again_and_nothing_else(db, settings):
    call_command("load_content")
    before = {v.pk for v in Version.objects.published()}
    call_command("load_content")  # nothing changed: nothing published
    assert {v.pk for v in Version.objects.published()} == before
    settings.KOMMOGEN_RECIPIENTS = NAMED
    call_command("load_content")
    new = Version.objects.published().exclude(pk__in=before)
    assert sorted((v.document.slug, v.language) for v in new) == [
        ("privacy", "en"), ("privacy", "ru"), ("privacy", "vi")]  # fmt: skip
    assert "(Hetzner Online GmbH, Germany)" in current("privacy").source


def test_an_unknown_placeholder_is_refused_and_nothing_is_published(make_draft, publish):
    publish()
    draft = make_draft("## 1. Hosting\n\n1.1. Kept by {{ hostnig }}.\n")
    with pytest.raises(ValidationError, match="Unknown placeholder.*hostnig"):
        version_publish(version=draft)
    assert Version.objects.published().count() == 1


@pytest.mark.parametrize("language", ["en", "ru", "vi"])
def test_the_deadlines_the_policy_states_are_the_ones_the_site_computes(db, language):
    call_command("load_content")
    text = current("privacy", language).source
    with translation.override(language):
        for law, name in LAWS.items():
            if law not in STATED:
                assert str(name) not in text  # the policy claims no other law
                continue
            line = next(line for line in text.splitlines() if line.startswith(f"- {name}:"))
            stated = re.findall(r" — ([^;.]+)", line)
            assert stated == [duration(c) for c in CLOCKS if c.law == law], line


def body(path):
    return path.read_text(encoding="utf-8").split("\n---\n", 1)[1]


def test_the_consent_promises_no_news_in_any_language():
    for language, news in (("", "news"), ("ru", "новост"), ("vi", "tin tức")):
        notifications = body(CONTENT / language / "consent.md").split("## 7.", 1)[1]
        assert news not in notifications.split("## 8.", 1)[0], language


def test_the_translations_use_the_glossarys_legal_terms():
    glossary = (settings.BASE_DIR / "docs" / "glossary.md").read_text(encoding="utf-8")
    for term in ("đề nghị giao kết hợp đồng công khai", "Bên kiểm soát", "блокирование",
                 "quyền sử dụng không độc quyền", "как описано в"):  # fmt: skip
        assert term in glossary, term
    vietnamese = {name: body(CONTENT / "vi" / name) for name in
                  ("privacy-policy.md", "consent.md", "user-agreement.md")}  # fmt: skip
    for text in vietnamese.values():
        assert "chào hàng" not in text.lower() and "giấy phép đơn giản" not in text
    assert "Nhà điều hành" not in vietnamese["privacy-policy.md"]  # the controller's term
    consent = vietnamese["consent.md"].replace("“Nhà điều hành” theo Thỏa thuận người dùng", "")
    assert "Nhà điều hành" not in consent
    russian = body(CONTENT / "ru" / "privacy-policy.md")
    assert "ограничения их обработки" not in russian and "блокирования ваших данных" in russian


def test_the_russian_consent_statement_says_as_described_in(client, documents):
    html = client.get("/ru/contact/").content.decode()
    assert "как описано в" in html and "в соответствии с" not in html


def test_the_interfaces_wording_is_formal_and_consistent():
    import polib

    catalogue = settings.BASE_DIR / "locale" / "{}" / "LC_MESSAGES" / "django.po"
    vietnamese = [e.msgstr for e in polib.pofile(str(catalogue).format("vi")) if not e.obsolete]
    assert not [text for text in vietnamese if re.search(r"(^|\W)nó(\W|$)", text)]
    assert not [text for text in vietnamese if "Tin nhắn" in text or "tin nhắn" in text]
    russian = [e.msgstr for e in polib.pofile(str(catalogue).format("ru")) if not e.obsolete]
    assert not [text for text in russian if "ключевые дайджесты" in text]
    assert not [text for text in russian if "Заявка, отправленная сейчас" in text]


def test_the_vietnamese_form_says_toi_dong_y_and_noi_dung(client, documents):
    html = client.get("/vi/contact/").content.decode()
    assert "Tôi đồng ý với <a" in html and "việc xử lý dữ liệu cá nhân của tôi theo" in html
    assert ">Nội dung<" in html and "Tôi đưa ra" not in html
