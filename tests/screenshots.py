"""Screenshots of every page of a running site, for a design review and for README.

    python -m tests.screenshots http://127.0.0.1:8000 var/screenshots/after

Crawls the site from / (same origin, pages only), and saves each page full length at
desktop (1280 px) and phone (390 px) width, in the light and the dark scheme. It also
shows the contact form's errors and sends one request to see its receipt: point it at a
development site, never at production. With --admin USER:PASSWORD it logs in and adds
the operator's pages (each list in admin, the first entry of each, and the publish page of
the first draft). With --readme DIR it also saves the first screen of the pages README
shows. Chromium is Debian's (KOMMOGEN_CHROMIUM names another).
"""

import argparse
import os
import re
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

from tests.crawling import crawl

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
# The first screen of these pages is what README shows: (file name, path, viewport, scheme).
# "{receipt}" and "{publish}" are the receipt of the request sent and a draft's publish page.
README_PAGES = [
    ("home", "/", "desktop", "light"),
    ("agreement-phone-dark", "/agreement/", "phone", "dark"),
    ("compare", "/agreement/compare/1...2/", "desktop", "light"),
    ("receipt-phone", "{receipt}", "phone", "light"),
    ("evidence", "/evidence/", "desktop", "dark"),
    ("publish", "{publish}", "desktop", "dark"),
]


def page_name(path):
    name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
    return name or "home"


def fill_contact_form(page):
    page.get_by_label("Your name").fill("Nguyễn Văn An")
    page.get_by_label("Email", exact=True).fill("an@example.com")
    page.get_by_label("What is your request about?").select_option(index=1)
    page.get_by_label("Message").fill("We need a CRM audit before the new season.")
    for box in page.locator(".consents input[type=checkbox][required]").all():
        box.check()


def shoot_flows(page, base, directory, name):
    """The contact form's errors and a receipt: pages no link leads to."""
    page.goto(base + "/contact/")
    page.locator("form.contact-form [type=submit]").first.click()
    page.wait_for_load_state()
    page.screenshot(path=directory / f"contact-errors-{name}.png", full_page=True)
    page.goto(base + "/contact/")
    fill_contact_form(page)
    time.sleep(float(os.environ.get("KOMMOGEN_MIN_FILL_SECONDS", "3")) + 0.5)
    page.locator("form.contact-form [type=submit]").first.click()
    page.wait_for_load_state()
    page.screenshot(path=directory / f"receipt-{name}.png", full_page=True)
    return urlsplit(page.url).path


ADMIN_LISTS = ["", "agreements/document/", "agreements/version/", "agreements/submission/",
               "agreements/withdrawal/", "agreements/outboxmessage/"]  # fmt: skip


def admin_pages(page, base, admin, credentials):
    """The operator's pages: each list, its first entry, and a draft's publish page."""
    username, password = credentials.split(":", 1)
    page.goto(f"{base}/{admin}login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    paths = []
    for listing in ADMIN_LISTS:
        paths.append(f"/{admin}{listing}")
        if not listing:
            continue
        page.goto(base + paths[-1])
        first = page.locator("#result_list tbody a[href]").first
        if first.count():
            paths.append(first.get_attribute("href"))
    page.goto(f"{base}/{admin}agreements/version/?number__isempty=1")
    for link in page.locator("#result_list tbody a[href]").all():
        address = link.get_attribute("href").split("?")[0]
        if address.endswith("/change/"):
            paths.append(address.replace("/change/", "/publish/"))
            break
    return paths


def shoot(page, base, paths, directory, suffix, prefix=""):
    for path in paths:
        page.goto(base + path)
        name = f"{prefix}{page_name(path)}-{suffix}.png"
        page.screenshot(path=directory / name, full_page=True)


def shoot_readme(browser, base, directory, session, **known):
    directory.mkdir(parents=True, exist_ok=True)
    for name, path, viewport, scheme in README_PAGES:
        context = browser.new_context(
            storage_state=session, viewport=VIEWPORTS[viewport], color_scheme=scheme
        )
        page = context.new_page()
        page.goto(base + path.format(**known))
        page.screenshot(path=directory / f"{name}.png")
        context.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="the site's address, like http://127.0.0.1:8000")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--readme", type=Path, help="where to save README's first screens")
    parser.add_argument("--admin", metavar="USER:PASSWORD", help="an operator's login")
    parser.add_argument("--admin-path", default="admin/", help="KOMMOGEN_ADMIN_PATH")
    args = parser.parse_args()
    base, out = args.base.rstrip("/"), args.directory
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = shutil.which(os.environ.get("KOMMOGEN_CHROMIUM", "chromium"))
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        pages = crawl(browser.new_page(), base) + ["/no-such-page/"]
        operator, session = [], None
        context = browser.new_context()
        receipt = shoot_flows(context.new_page(), base, out, "desktop-light")
        if args.admin:  # after one request is sent, so that its evidence sheet is shown
            operator = admin_pages(context.new_page(), base, args.admin_path, args.admin)
            session = context.storage_state()
        for scheme in ("light", "dark"):
            for viewport, size in VIEWPORTS.items():
                suffix = f"{viewport}-{scheme}"
                context = browser.new_context(
                    storage_state=session, viewport=size, color_scheme=scheme
                )
                shoot(context.new_page(), base, operator, out, suffix, prefix="operator-")
                context.close()
                page = browser.new_page(viewport=size, color_scheme=scheme)
                shoot(page, base, pages, out, suffix)
                shoot_flows(page, base, out, suffix)
                page.close()
        if args.readme:
            publish = next((path for path in operator if path.endswith("/publish/")), "/")
            shoot_readme(browser, base, args.readme, session, receipt=receipt, publish=publish)
        browser.close()
    print(f"{len(pages) + len(operator)} pages, each at 2 widths in 2 schemes, in {out}")


if __name__ == "__main__":
    main()
