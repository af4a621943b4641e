"""The content loader and the agreement's text, converted faithfully from the source."""

import html
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from agreements.models import Version

# A verbatim copy of the user's source text (shared/seeds/user-agreement-source.txt).
SEED = Path(__file__).parent / "data" / "user-agreement-source.txt"
AGREEMENT = settings.BASE_DIR / "content" / "user-agreement.md"


def words(text):
    return re.findall(r"\w+", text.casefold())


def visible_text(fragment):
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


@pytest.fixture
def content_file(tmp_path):
    path = tmp_path / "user-agreement.md"
    shutil.copy(AGREEMENT, path)
    return path


def test_the_agreement_has_every_word_of_the_source_in_order(db):
    call_command("load_content", str(AGREEMENT))
    version = Version.objects.current()
    shown = words(version.title) + words(visible_text(version.html))
    assert shown == words(SEED.read_text(encoding="utf-8"))


def test_the_agreement_has_an_anchor_for_every_clause(db):
    call_command("load_content", str(AGREEMENT))
    version = Version.objects.current()
    clauses = re.findall(r"^(\d+\.\d+)\.", SEED.read_text(encoding="utf-8"), re.MULTILINE)
    assert len(clauses) == 17
    for clause in clauses:
        assert f'id="clause-{clause.replace(".", "-")}"' in version.html
    for section in range(1, 13):
        assert f'id="section-{section}"' in version.html


def test_loading_twice_publishes_once(content_file, db):
    call_command("load_content", str(content_file))
    call_command("load_content", str(content_file))
    assert Version.objects.published().count() == 1
    assert Version.objects.drafts().count() == 0


def test_a_changed_file_becomes_the_next_version_and_leaves_the_first_untouched(content_file, db):
    call_command("load_content", str(content_file))
    first = Version.objects.get(number=1)
    content_file.write_text(content_file.read_text() + "\n12.1. A new clause.\n")
    call_command("load_content", str(content_file))
    second = Version.objects.current()
    assert second.number == 2 and "clause-12-1" in second.html
    assert Version.objects.get(number=1).fingerprint == first.fingerprint
    assert Version.objects.get(number=1).source == first.source


def test_a_file_without_header_is_refused_with_a_clear_message(tmp_path, db):
    path = Path(tmp_path / "broken.md")
    path.write_text("## 1. No header\n")
    with pytest.raises(CommandError, match="header"):
        call_command("load_content", str(path))
    assert not Version.objects.exists()


def publish_in_admin(client, text):
    """The operator's way: a new draft from the current version, edited, then published."""
    from django.contrib.auth.models import User

    from agreements.models import review_fingerprint

    client.force_login(User.objects.create_superuser("operator", password="pw"))
    current = Version.objects.current()
    draft = current.new_draft()
    Version.objects.filter(pk=draft.pk).update(source=text)
    draft.refresh_from_db()
    data = {"when": "now", "summary": "Admin's change.", "reviewed_fingerprint": ""}
    data["reviewed_fingerprint"] = review_fingerprint(draft)
    response = client.post(f"/admin/agreements/version/{draft.pk}/publish/", data)
    assert response.status_code == 302
    return Version.objects.get(pk=draft.pk)


def test_make_run_loads_every_content_file_with_no_argument():
    run = re.search(r"^run:.*?(?=^\S)", (settings.BASE_DIR / "Makefile").read_text(), re.S | re.M)
    assert re.search(r"\$\(MANAGE\) load_content\s*$", run.group(0), re.M)


def test_a_restart_never_undoes_a_version_published_in_admin(client, db):
    call_command("load_content")
    second = publish_in_admin(client, Version.objects.current().source + "\n12.9. Admin.\n")
    call_command("load_content")  # what make run does at every start
    assert Version.objects.current() == second and second.number == 2
    assert not Version.objects.filter(document__slug="agreement", number=3).exists()


def test_a_changed_file_is_not_published_over_an_admin_version_and_says_so(
    client, content_file, db
):
    call_command("load_content", str(content_file))
    second = publish_in_admin(client, content_file.read_text().split("---\n", 2)[2] + "\nAdmin.\n")
    content_file.write_text(content_file.read_text() + "\n12.1. A new clause in the file.\n")
    out = io.StringIO()
    call_command("load_content", str(content_file), stdout=out)  # exits normally
    assert "NOT published" in out.getvalue() and "published in admin" in out.getvalue()
    assert Version.objects.current() == second
    assert Version.objects.published().count() == 2


def test_the_header_example_in_the_operators_guide_is_accepted_as_written(tmp_path, db):
    guide = (settings.BASE_DIR / "docs" / "operator.md").read_text(encoding="utf-8")
    example = re.search(r"```\n(---\ndocument:.*?\n---\n)```", guide, re.S).group(1)
    path = tmp_path / "example.md"
    path.write_text(example + "## 1. General Provisions\n\n1.1. A clause.\n", encoding="utf-8")
    call_command("load_content", str(path))
    assert Version.objects.current().title == "User Agreement (Public Offer)"


def manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=base | env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_documented_commands_work_with_the_key_file_make_run_wrote(tmp_path):
    key_file = tmp_path / "secret-key"
    key_file.write_text("a-key-make-run-generated-" + "x" * 40 + "\n")
    env = {
        "KOMMOGEN_SECRET_KEY_FILE": str(key_file),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "KOMMOGEN_SIGNER_STATE_FILE": str(tmp_path / "signer-state.json"),
    }
    assert manage("migrate", "-v0", **env).returncode == 0
    documented = (settings.BASE_DIR / "docs" / "evidence.md").read_text(encoding="utf-8")
    assert ".venv/bin/python manage.py verify_evidence" in documented
    verified = manage("verify_evidence", **env)
    assert verified.returncode == 0 and "OK: 0 events" in verified.stdout


def test_without_a_key_or_a_key_file_production_settings_fail_fast(tmp_path):
    result = manage("check", KOMMOGEN_SECRET_KEY_FILE=str(tmp_path / "none"))
    assert result.returncode != 0 and "DJANGO_SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize("limit", ["5", "five/600", "5/0", "5/600/1", "-1/60"])
def test_a_malformed_rate_limit_stops_the_site_at_start_with_a_clear_message(limit):
    result = manage("check", DJANGO_SECRET_KEY="k" * 50, KOMMOGEN_RATE_LIMIT=limit)
    assert result.returncode != 0
    assert "KOMMOGEN_RATE_LIMIT must be COUNT/SECONDS, like 5/600" in result.stderr


PRIVACY = settings.BASE_DIR / "content" / "privacy-policy.md"
CONSENT = settings.BASE_DIR / "content" / "consent.md"


def operator_address():
    """The Operator's address exactly as the User Agreement gives it (section 11)."""
    text = AGREEMENT.read_text(encoding="utf-8")
    lines = text.split("Beneficiary Address:", 1)[1].split("## 12.")[0]
    lines = [line.strip().rstrip(",").replace("**", "") for line in lines.splitlines()]
    return ", ".join(line for line in lines if line)


@pytest.mark.parametrize("path", [PRIVACY, CONSENT])
def test_the_privacy_texts_name_the_operators_full_address(path):
    assert operator_address() in path.read_text(encoding="utf-8")


def published_privacy_policy(language="en"):
    """The Privacy Policy as load_content publishes it: its placeholders filled in."""
    call_command("load_content")
    versions = Version.objects.filter(document__slug="privacy", language=language)
    return versions.current().source


def test_the_privacy_policy_keeps_every_category_for_a_stated_time_and_lists_the_rights(db):
    text = published_privacy_policy()
    retention = text.split("## 5.", 1)[1].split("## 6.", 1)[0]
    for category, period in [
        ("Requests sent through the contact form", "three years"),
        ("Withdrawals of consent", "three years"),
        ("Acceptance records", "as long as the hash chain"),
        ("request counter", "twenty minutes"),
        ("Server logs", "fourteen days"),
        ("Backups", "thirty days"),
        ("emails about requests", "no longer than the requests"),
        ("Attempts to sign in", "thirty days"),
        ("register of your requests", "three years"),
    ]:
        paragraph = next(p for p in retention.split("\n\n") if category in p)
        assert period in paragraph, category
    rights = text.split("## 7.", 1)[1]
    for right in ("to be informed", "to access", "corrected", "deleted", "restricted",
                  "to object", "to withdraw", "to complain"):  # fmt: skip
        assert right in rights, right
    for deadline in ("2 working days", "10 working days", "7 working days", "15 days",
                     "30 days", "3 working days"):  # fmt: skip
        assert deadline in text
    assert "Roskomnadzor" in text and "outside Vietnam" in text and "Kommo CRM" in text
    assert "hosting provider" in text and "email provider" in text


@pytest.mark.parametrize("language", ["", "ru", "vi"])
def test_the_privacy_policy_names_every_email_the_site_sends_and_its_kommo_lead(language):
    """What the outbox sends (outbox/messages.py, outbox/kommo.py), said in each language."""
    text = (PRIVACY.parent / language / PRIVACY.name).read_text(encoding="utf-8")
    said = {
        "": ["copy of your receipt", "a link to confirm them", "the link the Website emails",
             "the notifications you asked for", "as a new lead", "the reference of your request",
             "address of your receipt is never sent there",
             "asks the Operator by email to delete the lead"],
        "ru": ["копию квитанции", "ссылку для их подтверждения", "по ссылке, которую Сайт",
               "как новую сделку", "номер вашей заявки", "квитанции туда никогда не передаётся",
               "просит Оператора удалить сделку"],
        "vi": ["bản sao biên nhận", "đường liên kết để xác nhận", "đường liên kết Trang web gửi",
               "lead) mới", "mã yêu cầu của bạn", "không bao giờ được gửi vào đó",
               "đề nghị Bên kiểm soát xóa lead"],
    }[language]  # fmt: skip
    for words in said:
        assert words in text, words
    assert "may enter your request there" not in text  # it is sent, not perhaps entered


def test_the_consent_is_specific_and_leaves_evidence_to_the_privacy_policy():
    text = CONSENT.read_text(encoding="utf-8").split("\n---\n", 1)[1]  # the text, not the header
    purpose = text.split("## 2.", 1)[1].split("## 3.", 1)[0]
    assert "one purpose" in purpose and "answer the request" in purpose
    assert "dispute" not in text and "evidence" not in text.lower()
    assert "three years" in text and "/consent/withdraw/" in text
    notifications = text.split("## 7.", 1)[1]
    for specific in ("by email only", "new versions", "never advertising",
                     "at most twice a month", "at any time"):  # fmt: skip
        assert specific in notifications
    assert "news" not in notifications  # the Website sends none: it promises none


def test_the_new_privacy_texts_are_published_by_the_loader_with_their_summaries(tmp_path, db):
    for name, slug in (("privacy-policy.md", "privacy"), ("consent.md", "consent")):
        first = tmp_path / name
        first.write_text(
            f"---\ndocument: {slug}\ntitle: First\neffective: 2026-11-26\nsummary: First.\n"
            "---\n## 1. First\n\n1.1. The first text.\n",
            encoding="utf-8",
        )
        call_command("load_content", str(first))
    call_command("load_content")
    summaries = (("privacy", "The providers who receive your data are named"),
                 ("consent", "The notifications are notices of new versions"))  # fmt: skip
    for slug, summary in summaries:
        current = Version.objects.filter(document__slug=slug, language="en").current()
        assert current.number == 2 and current.html_fingerprint
        assert current.summary.startswith(summary)
