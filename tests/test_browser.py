"""The site in a real browser, as visitors and the operator use it.

Playwright drives Debian's Chromium (no browser download) against the real site
(gunicorn, production settings, the content/ documents). Every page visited must
log no console error and request nothing from another origin. Every page found by
crawling from / must pass axe-core (WCAG 2.1 AA) in both colour schemes and the Nu
Html Checker, and must not scroll sideways at 320 px. Screenshots go to
var/screenshots/ for review.
"""

import json
import os
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from .crawling import crawl
from .live import fetch, needs, own_database, start_site

NODE_MODULES = settings.BASE_DIR / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
SCREENSHOTS = settings.BASE_DIR / "var" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
SECOND_VERSION = """
from agreements.documents.services import version_publish
from agreements.models import Version
latest = Version.objects.published().filter(document__slug="agreement", language="en").latest(
    "number")
draft = latest.new_draft()
draft.source = latest.source.replace("2.2. All widgets", "2.2. All widgets, scripts").replace(
    "3.2. The User is prohibited from:",
    "3.2. The User keeps their own backups.\\n\\n3.3. The User is prohibited from:",
).replace("3.3. All intellectual", "3.4. All intellectual")
draft.source += "\\n12.1. Requests are answered within one working day.\\n"
draft.save()
version_publish(version=draft, summary="Scripts count as software (2.2); answer time (12.1).")
print(draft.number)
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory, django_db_blocker):
    directory = tmp_path_factory.mktemp("browser-site")
    with django_db_blocker.unblock(), own_database(directory) as database_url:
        site = start_site(database_url, workers=2)
        try:
            assert site.shell(SECOND_VERSION) == "2"
            yield site
        finally:
            site.stop()


@pytest.fixture(scope="module")
def browser():
    chromium = needs(os.environ.get("KOMMOGEN_CHROMIUM", "chromium"))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visitor:
    """A browser context that records console errors and requests to other origins."""

    def __init__(self, browser, site, **options):
        self.site = site
        self.problems = []
        self.context = browser.new_context(**options)
        self.context.on("request", self.check_origin)
        self.page = self.context.new_page()
        self.page.on("console", self.check_console)
        self.page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))

    def check_origin(self, request):
        if not request.url.startswith((self.site.url + "/", "data:", "about:", "blob:")):
            self.problems.append(f"request to another origin: {request.url}")

    def check_console(self, message):
        # An error page (404, or a form answered 400) is logged as a failed load of the
        # document itself: expected. Any other error, a failed asset included, is not.
        own_status = message.text.startswith("Failed to load resource") and (
            message.location.get("url") == self.page.url
        )
        if message.type == "error" and not own_status:
            location = message.location.get("url")
            self.problems.append(f"console error on {self.page.url}: {message.text} ({location})")

    def goto(self, path):
        response = self.page.goto(self.site.url + path)
        return response

    def screenshot(self, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)

    def close(self):
        self.context.close()
        assert self.problems == []


@pytest.fixture
def visitor(browser, site):
    visitors = []

    def open_visitor(**options):
        visitors.append(Visitor(browser, site, **options))
        return visitors[-1]

    yield open_visitor
    for each in visitors:
        each.close()


def send_with_the_required_consents(page, notifications=False):
    """Tick the two required boxes (and the optional one), send, wait for the receipt."""
    page.get_by_label(re.compile("I accept the User Agreement")).check()
    page.get_by_label(re.compile("I give my consent to the processing")).check()
    if notifications:
        page.get_by_label(re.compile("send me notifications by email")).check()
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url(re.compile(r"/receipt/"))


def fill_contact_form(page, name="Nguyễn Văn An", email="an@example.com"):
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("What is your request about?").select_option("audit")
    page.get_by_label("Message").fill("We need a CRM audit before the new season. Спасибо!")


def test_read_the_agreement_and_follow_a_clause_link(visitor):
    reader = visitor(viewport=DESKTOP)
    reader.context.grant_permissions(["clipboard-write"])
    reader.goto("/")
    reader.page.get_by_role("link", name="User Agreement", exact=True).first.click()
    assert reader.page.locator("h1").inner_text() == "User Agreement (Public Offer)"
    reader.page.get_by_role("navigation", name="Contents").get_by_role(
        "link", name=re.compile("Personal Data")
    ).click()
    assert reader.page.url.endswith("#section-7")
    reader.page.get_by_role("link", name="Link to clause 7.2", exact=True).click()
    assert reader.page.url.endswith("/agreement/#clause-7-2")
    assert reader.page.locator("#clause-7-2").evaluate("e => e.matches(':target')")
    status = reader.page.get_by_role("status").filter(has_text="Copied")
    assert "/agreement/v/2/#clause-7-2" in status.inner_text()
    reader.screenshot("agreement-desktop")


def test_clause_links_work_without_javascript(visitor):
    reader = visitor(viewport=PHONE, java_script_enabled=False)
    reader.goto("/agreement/")
    reader.page.get_by_role("link", name="Link to clause 4.1", exact=True).click()
    assert reader.page.url.endswith("#clause-4-1")
    toc = reader.page.get_by_role("navigation", name="Contents").bounding_box()
    text = reader.page.locator(".document-text").bounding_box()
    assert toc["y"] < text["y"]  # on a phone the contents come before the text
    reader.screenshot("agreement-phone")


def test_compare_two_versions(visitor):
    reader = visitor(viewport=DESKTOP)
    reader.goto("/agreement/versions/")
    reader.page.get_by_role("link", name="Changes from version 1").click()
    assert reader.page.url.endswith("/agreement/compare/1...2/")
    changed = reader.page.locator("li.change-changed")
    assert "Clause 2.2" in changed.inner_text()
    assert "scripts" in changed.locator("ins:visible").inner_text()
    assert "Clause 12.1" in reader.page.locator("li.change-added").last.inner_text()
    reader.page.get_by_role("link", name="Clause 2.2").click()
    assert reader.page.url.endswith("/agreement/v/2/#clause-2-2")
    reader.goto("/agreement/compare/1...2/")
    reader.screenshot("compare-desktop")


def test_the_redline_is_side_by_side_on_a_wide_screen_and_in_place_on_a_phone(visitor):
    wide, phone = visitor(viewport=DESKTOP), visitor(viewport=PHONE)
    for reader in (wide, phone):
        reader.goto("/agreement/compare/1...2/")
    changed = wide.page.locator("li.change-changed")
    old_side, new_side = changed.locator(".change-sides > .change-text").all()
    assert old_side.is_visible() and new_side.is_visible()
    assert not changed.locator(".change-inline").is_visible()
    assert old_side.bounding_box()["x"] < new_side.bounding_box()["x"]
    assert old_side.bounding_box()["y"] == new_side.bounding_box()["y"]
    assert "scripts" not in old_side.inner_text() and "scripts" in new_side.inner_text()
    assert wide.page.locator(".redline-columns").inner_text().split() == [
        "Version", "1", "Version", "2",
    ]  # fmt: skip
    renumbered = wide.page.locator("li.change-renumbered").all_inner_texts()
    assert [" ".join(text.split()) for text in renumbered] == [
        "Clause 3.3 — renumbered (was Clause 3.2) Only the number changed; the words are the same.",
        "Clause 3.4 — renumbered (was Clause 3.3) Only the number changed; the words are the same.",
    ]
    added = wide.page.locator("li.change-added").all_inner_texts()
    assert [text.split(" — ")[0] for text in added] == ["Clause 3.2", "Clause 12.1"]
    in_place = phone.page.locator("li.change-changed .change-inline")
    assert in_place.is_visible() and "scripts" in in_place.locator("ins").inner_text()
    assert not phone.page.locator("li.change-changed .change-sides").is_visible()
    phone.page.get_by_role("link", name="Whole text with changes marked").click()
    phone.page.wait_for_url(re.compile(r"/agreement/compare/1\.\.\.2/\?view=whole$"))
    whole = phone.page.locator("ol.redline").inner_text()
    assert "1.1. This User Agreement" in whole and "scripts" in whole
    assert whole.index("1.1. This User Agreement") < whole.index("scripts")
    assert "**" not in whole and "## " not in whole
    phone.screenshot("compare-whole-phone")
    wide.goto("/agreement/compare/1...2/?view=whole")
    wide.screenshot("compare-whole-desktop")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_send_the_contact_form_and_see_the_receipt(visitor, viewport):
    person = visitor(viewport=viewport)
    person.goto("/contact/")
    fill_contact_form(person.page)
    person.page.get_by_label(re.compile("I accept the User Agreement")).check()
    person.page.get_by_label(re.compile("I give my consent to the processing")).check()
    name = "desktop" if viewport == DESKTOP else "phone"
    person.screenshot(f"contact-{name}")
    person.page.get_by_role("button", name="Send request").click()
    person.page.wait_for_url(re.compile(r"/receipt/"))
    panel = person.page.locator(".panel")
    assert "Your request has been received" in panel.locator("h1").inner_text()
    assert re.search(r"Your reference: KG-[A-Z0-9]{10}", panel.inner_text())
    assert person.page.get_by_role("heading", name="What happens next").is_visible()
    accepted = person.page.locator("ul.accepted").inner_text()
    assert "You accepted the User Agreement (public offer), version 2." in accepted
    assert "You gave your consent to the processing of your personal data" in accepted
    assert "You did not ask for notifications" in accepted
    events = person.page.locator("table.events")
    assert not events.is_visible()  # the technical record waits under its disclosure
    person.page.get_by_text("Technical details").click()
    assert events.is_visible() and events.locator("tbody tr").count() == 3
    assert person.page.get_by_role("button", name="Print this receipt").is_visible()
    overflow = person.page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    person.screenshot(f"receipt-{name}")
    person.page.set_viewport_size({"width": 320, "height": 640})
    lines = person.page.evaluate(
        "document.querySelector('.panel-reference strong').getClientRects().length"
    )
    assert lines == 1, "the reference is cut over two lines"
    overflow = person.page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


def test_form_errors_without_ticking_are_summarised_and_linked(visitor):
    person = visitor(viewport=PHONE)
    person.goto("/contact/")
    fill_contact_form(person.page)
    person.page.get_by_role("button", name="Send request").click()
    summary = person.page.get_by_role("alert").filter(has_text="There is a problem")
    assert summary.is_visible() and person.page.title().startswith("Error:")
    assert person.page.evaluate("document.activeElement.id") == "error-summary"
    summary.get_by_role("link", name="Tick the box to accept the User Agreement").click()
    focused = person.page.evaluate("document.activeElement.id")
    assert focused == "id_accept_agreement"
    described = person.page.locator("#id_accept_agreement").get_attribute("aria-describedby")
    assert described == "id_accept_agreement-error"
    assert person.page.get_by_label("Your name").input_value() == "Nguyễn Văn An"  # kept
    person.screenshot("contact-errors-phone")


def test_withdraw_consent(visitor):
    person = visitor(viewport=DESKTOP)
    person.goto("/contact/")
    fill_contact_form(person.page, email="leaving@example.com")
    send_with_the_required_consents(person.page)
    person.page.get_by_role("contentinfo").get_by_role("link", name="Withdraw consent").click()
    person.page.get_by_label("The email you gave us").fill("leaving@example.com")
    person.page.get_by_label(re.compile("processing of personal data", re.I)).first.check()
    person.page.get_by_role("button", name="Withdraw consent").click()
    assert "check your email" in person.page.locator("h1").inner_text().lower()
    person.screenshot("withdrawal-desktop")


def test_a_withdrawal_from_a_receipt_never_reaches_another_persons_request(visitor):
    victim = visitor(viewport=DESKTOP)
    victim.goto("/contact/")
    fill_contact_form(victim.page, email="victim@example.com")
    send_with_the_required_consents(victim.page)
    victims = victim.page.locator(".panel-reference strong").inner_text().strip()
    attacker = visitor(viewport=PHONE)
    attacker.goto("/contact/")
    fill_contact_form(attacker.page, email="Victim@Example.com")  # the victim's address
    send_with_the_required_consents(attacker.page)
    receipt = attacker.page.url
    second_tab = attacker.context.new_page()  # the receipt open twice: Withdraw in each
    second_tab.goto(receipt)
    for page in (attacker.page, second_tab):
        page.get_by_role("button", name="Withdraw", exact=True).click()
        page.wait_for_url(re.compile(r"/consent/withdraw/"), timeout=10000)
        assert victims not in page.content()
    reached = attacker.site.shell(
        "from agreements.models import Withdrawal; "
        "print([sorted(w.submissions.values_list('reference', flat=True)) "
        "for w in Withdrawal.objects.filter(email_key='victim@example.com')])"
    )
    attackers = attacker.site.shell(
        "from agreements.models import Submission; print(Submission.objects.filter("
        f"email='Victim@Example.com').exclude(reference='{victims}').get().reference)"
    )
    assert reached == str([[attackers]])  # one withdrawal, the attacker's own request


def test_the_markdown_editor_previews_with_the_public_rendering_under_the_csp(visitor):
    operator = visitor(viewport=DESKTOP)
    log_in_as_operator(operator, "/admin/agreements/version/add/")
    operator.page.wait_for_url(re.compile(r"/admin/agreements/version/add/"))
    operator.page.locator("textarea[name=source]").fill("## 1. Terms\n\n1.1. A *new* clause.")
    preview = operator.page.locator(".markdownx-preview")
    preview.locator("#clause-1-1").wait_for()
    assert preview.locator("#clause-1-1 em").inner_text() == "new"
    assert preview.locator("#section-1").inner_text() == "1. Terms"
    editor = operator.page.locator("textarea[name=source]").bounding_box()
    shown = preview.bounding_box()
    assert shown["x"] >= editor["x"] + editor["width"] - 1  # side by side on a wide screen
    operator.screenshot("admin-editor")


WCAG_21_AA = {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
# The dark scheme changes colours only (a prefers-color-scheme block of custom properties):
# the same page in it is checked for the rules that read colours.
COLOUR_RULES = {"type": "rule", "values": ["color-contrast", "link-in-text-block"]}


def axe_violations(page, rules=WCAG_21_AA):
    page.add_script_tag(path=str(AXE))
    return [
        f"{v['id']}: {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in page.evaluate(
            "options => axe.run(document, options).then(result => result.violations)",
            {"runOnly": rules, "resultTypes": ["violations"]},
        )
    ]


def head_problems(page, path):
    """What every page needs: a title, a description, one h1, and (unless an error
    page) a canonical URL."""
    found = page.evaluate("""() => ({
        title: document.title,
        description: document.querySelector('meta[name=description]')?.content || '',
        canonical: document.querySelector('link[rel=canonical]')?.href || '',
        h1: document.querySelectorAll('h1').length,
        icon: !!document.querySelector('link[rel=icon]'),
    })""")
    problems = []
    if len(found["title"]) < 10 or "KommoGEN" not in found["title"]:
        problems.append(f"title {found['title']!r}")
    if len(found["description"]) < 30:
        problems.append("no meta description")
    if found["h1"] != 1:
        problems.append(f"{found['h1']} h1 elements")
    if not found["icon"]:
        problems.append("no favicon")
    if path != "/no-such-page/" and not found["canonical"]:
        problems.append("no canonical URL")
    return problems


def test_every_page_passes_axe_and_the_html_checker_and_fits_320_px(browser, site, tmp_path):
    if not AXE.exists() or not VNU.exists():
        message = "node_modules is missing: run `npm ci` (make does it when npm is present)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    java = needs("java")
    reader = Visitor(browser, site, viewport=DESKTOP)
    pages = crawl(reader.page, site.url) + ["/no-such-page/"]
    assert {"/", "/agreement/", "/privacy/", "/consent/", "/contact/", "/evidence/",
            "/agreement/versions/", "/agreement/compare/1...2/", "/agreement/v/1/",
            "/agreement/compare/1...2/?view=whole",
            "/consent/withdraw/", "/ru/agreement/", "/vi/agreement/", "/ru/contact/",
            "/vi/evidence/", "/ru/agreement/v/1/"} <= set(pages)  # fmt: skip
    reader.close()

    problems, html_files = [], []
    light = Visitor(browser, site, viewport=DESKTOP, color_scheme="light", bypass_csp=True)
    for number, path in enumerate(pages):
        light.goto(path)
        problems += [f"{path}: {v}" for v in axe_violations(light.page)]
        problems += [f"{path}: {p}" for p in head_problems(light.page, path)]
        html_files.append(tmp_path / f"page-{number}.html")  # the bytes sent, not the DOM
        html_files[-1].write_bytes(fetch(site.url + path).body)
    light.close()

    dark = Visitor(browser, site, viewport=DESKTOP, color_scheme="dark", bypass_csp=True)
    for path in pages:
        dark.goto(path)
        problems += [f"{path} (dark): {v}" for v in axe_violations(dark.page, COLOUR_RULES)]
    dark.close()

    narrow = Visitor(browser, site, viewport={"width": 320, "height": 640}, bypass_csp=True)
    for path in pages:
        narrow.goto(path)
        problems += [f"{path} (320 px): {v}" for v in axe_violations(narrow.page)]
        overflow = narrow.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            problems.append(f"{path}: scrolls sideways by {overflow}px at 320 px")
    narrow.close()

    vnu = subprocess.run(
        [java, "-jar", VNU, "--errors-only", "--format", "json", "--stdout", *html_files],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    for message in json.loads(vnu.stdout)["messages"]:
        page = pages[int(re.search(r"page-(\d+)\.html", message["url"]).group(1))]
        problems.append(f"{page}: HTML: {message['message']} (line {message.get('lastLine')})")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_of_the_main_pages(browser, site, scheme):
    for viewport, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        reader = Visitor(browser, site, viewport=viewport, color_scheme=scheme)
        for path, page_name in (("/", "home"), ("/agreement/", "agreement"),
                                ("/agreement/versions/", "history"), ("/privacy/", "privacy"),
                                ("/no-such-page/", "not-found")):  # fmt: skip
            reader.goto(path)
            reader.screenshot(f"{page_name}-{name}-{scheme}")
        reader.close()
    assert len(list(SCREENSHOTS.glob(f"*-{scheme}.png"))) >= 10


def test_a_version_says_in_plain_words_when_it_is_in_effect_and_what_its_fingerprint_is(
    visitor,
):
    person = visitor(viewport=PHONE)
    person.goto("/agreement/")
    status = person.page.locator(".version-status").inner_text()
    assert re.match(r"Version 2, in effect since \d{1,2} \w+ \d{4}\.", status), status
    assert "Scripts count as software" in status
    person.page.get_by_role("link", name="See what changed").click()
    person.page.wait_for_url(re.compile(r"/agreement/compare/1\.\.\.2/$"))
    person.goto("/agreement/v/1/")
    status = person.page.locator(".version-status").inner_text()
    assert re.match(r"Version 1, in effect from \d{1,2} \w+ \d{4} to \d{1,2} \w+ \d{4}\.", status)
    person.page.locator(".version-meta summary").click()  # folded on a phone
    explained = person.page.get_by_role("link", name="How it proves what you accepted").first
    assert explained.get_attribute("href") == "/evidence/"
    term = person.page.locator(".version-meta dt").last.bounding_box()
    fingerprint = person.page.locator(".version-meta dd").last.bounding_box()
    assert fingerprint["x"] == term["x"] and fingerprint["y"] > term["y"]  # stacked on a phone
    assert fingerprint["width"] > 0.8 * PHONE["width"]
    person.goto("/ru/agreement/")
    assert person.page.locator(".version-status").inner_text().startswith("Версия 1, действует с")


def test_the_evidence_page_opens_with_an_accessible_picture_before_any_code(visitor):
    reader = visitor(viewport=PHONE)
    reader.goto("/evidence/")
    picture = reader.page.get_by_role("img", name="How a request becomes evidence")
    assert picture.is_visible()
    order = reader.page.evaluate("""() => {
        const svg = document.querySelector('figure.evidence-diagram svg');
        const code = document.querySelector('main code, main pre');
        return svg.compareDocumentPosition(code) & Node.DOCUMENT_POSITION_FOLLOWING;
    }""")
    assert order  # the picture comes before the first code
    described = reader.page.evaluate(
        "document.getElementById('diagram-desc').textContent.includes('signed checkpoint')"
    )
    assert described
    box = picture.bounding_box()
    assert box["width"] <= PHONE["width"]


OVERFLOWING_LABELS = """() => {
    const svg = [...document.querySelectorAll('figure.evidence-diagram svg')]
        .find(each => each.getBoundingClientRect().width > 0);
    const boxes = [...svg.querySelectorAll('rect')].map(r => r.getBoundingClientRect());
    const small = [...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect())
        .filter(b => b.height < 13);
    const problems = [...svg.querySelectorAll('text')].filter(text => {
        const b = text.getBoundingClientRect();
        return !boxes.some(r => b.left >= r.left && b.right <= r.right
                                && b.top >= r.top && b.bottom <= r.bottom);
    }).map(text => text.textContent);
    return {problems, small: small.length};
}"""


@pytest.mark.parametrize("language", ["", "/ru", "/vi"])
def test_the_evidence_pictures_labels_fit_their_boxes_and_can_be_read_on_a_phone(visitor, language):
    for viewport in (DESKTOP, PHONE):
        reader = visitor(viewport=viewport)
        reader.goto(f"{language}/evidence/")
        found = reader.page.evaluate(OVERFLOWING_LABELS)
        assert found == {"problems": [], "small": 0}, (viewport, found)
        pictures = reader.page.get_by_role("img", name=re.compile("."))
        assert pictures.locator("visible=true").count() >= 1


def test_a_long_document_on_a_phone_folds_its_contents_and_every_section_leads_back(visitor):
    reader = visitor(viewport=PHONE)
    reader.goto("/agreement/")
    contents = reader.page.locator("nav.toc details")
    assert contents.get_attribute("open") is None  # folded on a phone
    reader.page.get_by_role("navigation", name="Contents").locator("summary").click()
    assert contents.get_attribute("open") is not None
    links = reader.page.locator("nav.toc a")
    assert links.count() >= 10
    boxes = [links.nth(i).bounding_box() for i in range(3)]
    assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"]  # a vertical list
    sections = reader.page.locator(".document-text h2[id^=section-]").count()
    back = reader.page.get_by_role("link", name="Back to contents")
    assert back.count() == sections
    back.nth(3).click()
    assert reader.page.url.endswith("#contents")


def test_the_contents_mark_the_section_being_read_on_a_wide_screen(visitor):
    reader = visitor(viewport=DESKTOP)
    reader.goto("/agreement/")
    assert reader.page.locator("nav.toc details").get_attribute("open") is not None
    reader.page.evaluate("document.getElementById('section-7').scrollIntoView()")
    reader.page.wait_for_selector('nav.toc a[aria-current="location"][href="#section-7"]')
    assert reader.page.locator('nav.toc a[aria-current="location"]').count() == 1


def test_mentions_of_clauses_sections_and_documents_become_links(visitor):
    reader = visitor(viewport=DESKTOP)
    reader.goto("/privacy/")
    text = reader.page.locator(".document-text")
    assert text.get_by_role("link", name="clause 7.2").first.get_attribute("href") == (
        "/agreement/#clause-7-2"
    )
    assert text.get_by_role("link", name="section 3").first.get_attribute("href") == "#section-3"
    reader.goto("/agreement/")
    policy = reader.page.locator(".document-text").get_by_role("link", name="Privacy Policy")
    assert policy.first.get_attribute("href") == "/privacy/"
    policy.first.click()
    reader.page.wait_for_url(re.compile(r"/privacy/$"))
    reader.goto("/ru/consent/")
    russian = reader.page.locator(".document-text")
    policy = russian.get_by_role("link", name="разделе 6", exact=True)
    assert policy.get_attribute("href") == "/ru/privacy/#section-6"
    agreement = russian.get_by_role("link", name="раздел 6", exact=True)
    assert agreement.get_attribute("href") == "/ru/agreement/#section-6"


def test_the_evidence_sheet_fits_a_phone_prints_as_a_document_and_shows_what_came_later(
    visitor,
):
    person = visitor(viewport=DESKTOP)
    person.goto("/contact/")
    fill_contact_form(person.page, email="later@example.com")
    send_with_the_required_consents(person.page)
    person.page.get_by_role("button", name="Withdraw", exact=True).click()
    # A real browser's POST from this private page (once refused by the CSRF check).
    person.page.wait_for_url(re.compile(r"/consent/withdraw/"), timeout=10000)
    assert "withdrawn" in person.page.locator("h1").inner_text()
    pk = person.site.shell(
        "from agreements.models import Submission; "
        "print(Submission.objects.get(email='later@example.com').pk)"
    )
    operator = visitor(viewport=PHONE)
    log_in_as_operator(operator, f"/admin/agreements/submission/{pk}/evidence/")
    operator.page.wait_for_url(re.compile(r"/evidence/$"))
    later = operator.page.locator("ul.later").inner_text()
    assert "Withdrawal" in later and "in effect since" in later
    version = operator.page.locator(".evidence-sheet td a[href='/agreement/v/2/']")
    assert version.count() >= 1
    overflow = operator.page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    operator.page.emulate_media(media="print")
    assert not operator.page.locator("#header").is_visible()
    assert operator.page.locator(".evidence-sheet h1").is_visible()
    operator.screenshot("evidence-sheet-print")
    wide = visitor(viewport=DESKTOP, storage_state=operator.context.storage_state())
    wide.goto(f"/admin/agreements/submission/{pk}/change/")
    hash_cell = wide.page.locator("td.field-hash").first
    assert len(hash_cell.inner_text().strip()) == 64
    overflow = wide.page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the request's admin page scrolls sideways by {overflow}px"


def test_the_confirmation_buttons_of_the_emailed_links_work_in_a_real_browser(visitor):
    person = visitor(viewport=PHONE)
    person.goto("/contact/")
    fill_contact_form(person.page, email="confirm@example.com")
    send_with_the_required_consents(person.page, notifications=True)
    link = person.site.shell(
        "from agreements.models import Submission; from agreements.core import links; "
        "print(links.confirm_url(Submission.objects.get(email='confirm@example.com')))"
    )
    person.goto(urlsplit(link).path)
    person.page.get_by_role("button", name="Yes, send me notifications").click()
    person.page.get_by_role("heading", name="Thank you: notifications are on").wait_for()


def log_in_as_operator(operator, next_path):
    operator.site.shell(
        "from django.contrib.auth.models import User; "
        "User.objects.filter(username='operator').exists() or "
        "User.objects.create_superuser('operator', 'op@example.com', 'a long passphrase'); print(1)"
    )
    operator.goto(f"/admin/login/?next={next_path}")
    operator.page.get_by_label("Username").fill("operator")
    operator.page.get_by_label("Password").fill("a long passphrase")
    operator.page.get_by_role("button", name="Log in").click()
    operator.page.get_by_role("link", name="Log out").or_(
        operator.page.get_by_role("button", name="Log out")
    ).wait_for()


def test_the_operator_sees_each_versions_state_and_is_kept_from_losing_or_repeating_work(
    visitor,
):
    operator = visitor(viewport=DESKTOP)
    log_in_as_operator(operator, "/admin/agreements/version/")
    operator.goto("/admin/agreements/version/?language__exact=en")
    rows = operator.page.locator("#result_list tbody tr")
    states = {row.locator("td.field-list_state").inner_text() for row in rows.all()}
    assert {"current", "superseded"} <= states
    header = operator.page.locator("#result_list thead").inner_text()
    assert "takes effect (asia/ho_chi_minh)" in header.lower()  # CSS upper-cases it
    operator.goto("/admin/agreements/version/")  # every language: the longest names
    hidden = operator.page.evaluate(
        "(() => { const r = document.querySelector('.results'); "
        "return r.scrollWidth - r.clientWidth; })()"
    )
    assert hidden <= 0, f"the versions list hides {hidden}px of its columns at 1280 px"
    draft = operator.site.shell(
        "from agreements.models import Version; "
        "v = Version.objects.get(document__slug='agreement', language='en', number=2); "
        "print(v.new_draft().pk)"
    )
    operator.goto(f"/admin/agreements/version/{draft}/change/")
    assert "Nothing to publish: the text is the same as" in operator.page.content()
    assert operator.page.locator("a.publish-link").count() == 0
    operator.page.locator("textarea[name=source]").fill("## 1. Terms\n\n1.1. Changed.\n")
    operator.page.get_by_role("button", name="Save and continue editing").click()
    operator.page.wait_for_load_state()
    operator.page.locator("textarea[name=source]").fill("## 1. Terms\n\n1.1. Changed again.\n")
    asked = []
    operator.page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    operator.page.locator("a.publish-link").click()
    assert asked and "not saved" in asked[0]
    assert operator.page.url.endswith("/change/")  # stayed, the edits kept


def test_a_documents_admin_page_lists_its_versions_and_starts_a_new_draft(visitor):
    operator = visitor(viewport=DESKTOP)
    log_in_as_operator(operator, "/admin/agreements/document/")
    pk = operator.site.shell(
        "from agreements.models import Document; print(Document.objects.get(slug='agreement').pk)"
    )
    operator.goto(f"/admin/agreements/document/{pk}/change/")
    listed = operator.page.locator("ul.version-list").inner_text()
    assert "v2 — current" in listed and "v1 — superseded" in listed and "(ru)" in listed
    operator.page.get_by_role("button", name="New draft from the current version").click()
    operator.page.wait_for_url(re.compile(r"/admin/agreements/version/\d+/change/$"))
    assert "A new draft starts from the text of" in operator.page.content()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_publish_page_is_legible_in_both_schemes_and_says_errors_under_their_field(
    browser, site, scheme
):
    if not AXE.exists():
        pytest.skip("node_modules is missing") if os.environ.get("CI") != "true" else pytest.fail(
            "node_modules is missing"
        )
    operator = Visitor(browser, site, viewport=DESKTOP, color_scheme=scheme, bypass_csp=True)
    log_in_as_operator(operator, "/admin/")
    draft = operator.site.shell(
        "from agreements.models import Version; "
        "v = Version.objects.get(document__slug='agreement', language='en', number=2); "
        "d = v.new_draft(); d.source = d.source.replace('2.2.', '2.2. Changed:')"
        ".replace('3.2. The User keeps their own backups.\\n\\n', '')"
        ".replace('3.3. The User is prohibited', '3.2. The User is prohibited')"
        ".replace('3.4. All intellectual', '3.3. All intellectual'); d.save(); print(d.pk)"
    )
    operator.goto(f"/admin/agreements/version/{draft}/publish/")
    assert operator.page.locator(".redline ins, .redline del").count() >= 1
    assert operator.page.get_by_text("Only the number changed").count() >= 1  # its contrast too
    assert axe_violations(operator.page) == []
    operator.page.get_by_label("Summary of changes").fill("")
    operator.page.get_by_role("button", name=re.compile("Publish version")).click()
    error = operator.page.locator(".form-row.errors .field-error-under")
    error.wait_for()
    row = error.locator("xpath=ancestor::div[contains(@class,'form-row')]")
    assert "Summary of changes" in row.inner_text()
    assert error.bounding_box()["y"] > row.locator("label").bounding_box()["y"]
    operator.close()


def test_the_withdrawals_list_shows_its_deadlines_and_status_at_1280_px(visitor):
    operator = visitor(viewport=DESKTOP)
    operator.site.shell(
        "from datetime import timedelta; from django.utils import timezone; "
        "from agreements.models import Withdrawal; "
        "ago = timezone.now() - timedelta(days=20); "
        "Withdrawal.objects.create(email='a.rather.long.address@example.com', "
        "scope='personal_data', created_at=ago, confirmed_at=ago); print(1)"
    )
    log_in_as_operator(operator, "/admin/agreements/withdrawal/")
    operator.goto("/admin/agreements/withdrawal/")
    assert operator.page.locator("#nav-sidebar").is_visible()  # admin's sidebar is open
    for column in ("completion", "deadline_status"):
        header = operator.page.locator(f"#result_list th.column-{column}")
        box = header.bounding_box()
        assert box and box["x"] + box["width"] <= DESKTOP["width"], column
    assert "OVERDUE" in operator.page.locator("#result_list").inner_text()
    operator.close()


@pytest.mark.parametrize("language", ["", "/ru", "/vi"])
def test_on_a_phone_the_text_starts_on_the_first_screen_and_the_fingerprint_unfolds(
    visitor, language
):
    reader = visitor(viewport=PHONE)
    reader.goto(f"{language}/agreement/")
    first_clause = reader.page.locator(".document-text h2").first.bounding_box()
    if not language:  # (a translation behind the English says so first: two lines more)
        assert first_clause["y"] < PHONE["height"], first_clause  # the text begins on screen
    fingerprint = reader.page.locator(".version-meta code.fingerprint")
    assert not fingerprint.is_visible()  # folded: its summary names it
    reader.page.locator(".version-meta summary").click()
    assert fingerprint.is_visible() and len(fingerprint.inner_text().strip()) == 64
    reader.close()


def test_the_editor_at_1280_px_keeps_its_preview_in_view_following_the_clause_edited(visitor):
    operator = visitor(viewport=DESKTOP)
    log_in_as_operator(operator, "/admin/")
    draft = operator.site.shell(
        "from agreements.models import Version; "
        "v = Version.objects.get(document__slug='agreement', language='en', number=2); "
        "print(v.new_draft().pk)"
    )
    operator.goto(f"/admin/agreements/version/{draft}/change/")
    assert operator.page.locator("#nav-sidebar").is_visible()
    for name in ("Preview as a page",):
        tool = operator.page.get_by_role("link", name=name)
        box = tool.bounding_box()
        assert box["y"] + box["height"] < DESKTOP["height"], name  # on the first screen
    preview = operator.page.locator(".markdownx-preview")
    preview.locator("#clause-7-2").wait_for()
    edge = preview.bounding_box()
    assert edge["x"] + edge["width"] <= DESKTOP["width"]  # not cut off beside the sidebar
    source = operator.page.locator(".markdownx textarea")
    text = source.input_value()
    source.focus()
    source.evaluate("(area, at) => { area.setSelectionRange(at, at); }", text.index("7.2.") + 5)
    source.press("ArrowRight")  # the caret moves inside clause 7.2
    operator.page.mouse.wheel(0, 700)  # the text scrolls: the preview stays beside it
    operator.page.wait_for_timeout(200)
    clause = preview.locator("#clause-7-2").bounding_box()
    edge = preview.bounding_box()
    assert edge["y"] <= clause["y"] < edge["y"] + edge["height"]  # the preview shows it
    assert 0 <= clause["y"] < DESKTOP["height"]  # and the preview is on screen
    published = operator.site.shell(
        "from agreements.models import Version; print(Version.objects.get("
        "document__slug='agreement', language='en', number=2).pk)"
    )
    operator.goto(f"/admin/agreements/version/{published}/change/")
    button = operator.page.get_by_role("button", name="New draft from this version")
    box = button.bounding_box()
    assert box["y"] + box["height"] < DESKTOP["height"]
    background = button.evaluate("b => getComputedStyle(b).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")  # a styled button
    operator.close()


def test_a_person_opens_downloads_corrects_and_erases_their_data_in_the_browser(visitor):
    person = visitor(viewport=PHONE)
    person.goto("/contact/")
    fill_contact_form(person.page, email="my.data@example.com")
    send_with_the_required_consents(person.page)
    person.goto("/vi/my-data/")
    person.page.locator("input[name=email]").fill("my.data@example.com")
    person.page.locator("form button[type=submit]").click()
    person.page.wait_for_load_state()
    assert person.page.locator("h1").inner_text() == "Hãy kiểm tra email của bạn"
    link = person.site.shell(  # the worker's part, then the link it would email
        "import re; from agreements.models import OutboxMessage as M; "
        "from agreements.outbox.delivery import resolve_typed; "
        "[resolve_typed(m) for m in M.objects.filter(kind='my_data_request', state='pending')]; "
        "print(re.search(r'/vi/my-data/open/\\S+/', M.objects.get(kind='my_data_link').text)[0])"
    )
    person.goto(link)
    person.page.get_by_role("button", name="Xem dữ liệu của tôi").click()
    person.page.wait_for_load_state()
    assert "my.data@example.com" in person.page.content()
    with person.page.expect_download() as download:
        person.page.get_by_role("button", name="Tải toàn bộ (JSON)").click()
    assert "my.data@example.com" in Path(download.value.path()).read_text(encoding="utf-8")
    person.page.locator("select[name=field]").first.select_option("company")
    person.page.locator("input[name=value]").first.fill("Công ty Mới")
    person.page.get_by_role("button", name="Sửa").first.click()
    person.page.wait_for_load_state()
    assert "Công ty Mới" in person.page.content()
    person.page.get_by_role("button", name="Xóa toàn bộ").click()
    person.page.get_by_role("button", name="Có, xóa toàn bộ").click()
    person.page.wait_for_load_state()
    assert person.page.locator("h1").inner_text() == "Dữ liệu của bạn đã bị xóa"
    assert not person.problems, person.problems
    person.close()
