"""What lets the public follow changes: the Atom feed, sitemap.xml and robots.txt."""

from urllib.parse import urlsplit
from xml.etree import ElementTree

from .conftest import AGREEMENT_TEXT, later

ATOM = "{http://www.w3.org/2005/Atom}"


def test_the_atom_feed_has_one_entry_per_published_version(client, publish, make_draft):
    publish(AGREEMENT_TEXT)
    publish(AGREEMENT_TEXT + "\n1.3. Added.\n", effective_at=later(days=5))
    make_draft(AGREEMENT_TEXT + "\n1.4. Draft only.\n")
    response = client.get("/agreement/feed/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}id") is not None and feed.find(f"{ATOM}updated") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    newest = entries[0]
    assert "version 2" in newest.find(f"{ATOM}title").text
    assert newest.find(f"{ATOM}link").get("href").endswith("/agreement/v/2/")
    assert newest.find(f"{ATOM}summary").text == "Changes."
    assert newest.find(f"{ATOM}updated").text and newest.find(f"{ATOM}id").text
    page = client.get("/agreement/").content.decode()
    assert 'rel="alternate" type="application/atom+xml"' in page


def test_feeds_of_unknown_or_empty_documents(client, publish):
    publish(AGREEMENT_TEXT)
    assert client.get("/privacy/feed/").status_code == 404
    assert client.get("/nothing/feed/").status_code == 404


def test_the_sitemap_lists_public_pages_and_every_version(client, publish, settings):
    publish(AGREEMENT_TEXT)
    publish(AGREEMENT_TEXT + "\n1.3. Added.\n")
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    urls = {
        loc.text
        for loc in ElementTree.fromstring(response.content).iter(
            "{http://www.sitemaps.org/schemas/sitemap/0.9}loc"
        )
    }
    for path in ["/", "/contact/", "/agreement/", "/agreement/versions/", "/privacy/",
                 "/agreement/v/1/", "/agreement/v/2/"]:  # fmt: skip
        assert f"{settings.SITE_URL}{path}" in urls
    assert not any("/admin/" in url or "/draft/" in url for url in urls)


def test_robots_txt_points_at_the_sitemap_and_keeps_crawlers_out_of_admin(client, settings):
    settings.SITE_URL = "https://www.kommogen.com"
    text = client.get("/robots.txt").content.decode()
    assert "Sitemap: https://www.kommogen.com/sitemap.xml" in text
    assert "Disallow: /admin/" in text and "Disallow: /receipt/" in text


def test_feed_and_sitemap_links_come_from_the_site_url_not_the_host_header(
    client, publish, settings
):
    settings.SITE_URL = "https://www.kommogen.com"
    settings.ALLOWED_HOSTS = ["*"]
    publish(AGREEMENT_TEXT)
    for path in ("/agreement/feed/", "/sitemap.xml"):
        body = client.get(path, HTTP_HOST="attacker.example").content.decode()
        assert "attacker.example" not in body
        assert "https://www.kommogen.com/agreement/" in body


def test_the_sitemap_lists_no_page_robots_txt_disallows(client, publish):
    publish(AGREEMENT_TEXT)
    robots = client.get("/robots.txt").content.decode()
    disallowed = [
        line.split(":", 1)[1].strip() for line in robots.splitlines() if "Disallow" in line
    ]
    sitemap = ElementTree.fromstring(client.get("/sitemap.xml").content)
    paths = [
        urlsplit(loc.text).path
        for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
    ]
    assert paths and not [p for p in paths if p.startswith(tuple(disallowed))]
