"""sitemap.xml: the public pages and every published version's permanent page."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Document, Version


class SiteUrlSitemap(Sitemap):
    """Absolute links from KOMMOGEN_SITE_URL, never from the request's Host header."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class PageSitemap(SiteUrlSitemap):
    # Only pages robots.txt lets crawlers in (not the withdrawal form, drafts or receipts),
    # in every language, each listing the others as alternates (hreflang).
    i18n = True
    alternates = True
    x_default = True

    def items(self):
        pages = [("home", {}), ("contact", {}), ("evidence", {})]
        for slug in Document.Slug.values:
            pages += [("document_current", {"document": slug})]
            pages += [("document_history", {"document": slug})]
        return pages

    def location(self, item):
        name, kwargs = item
        return reverse(name, kwargs=kwargs)


class VersionSitemap(SiteUrlSitemap):
    def items(self):
        return Version.objects.published().select_related("document").order_by("document", "number")

    def lastmod(self, version):
        return version.published_at


SITEMAPS = {"pages": PageSitemap, "versions": VersionSitemap}
