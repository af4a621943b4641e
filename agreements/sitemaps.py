"""sitemap.xml: the public pages and every published version's permanent page."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Document, Version


class PageSitemap(Sitemap):
    def items(self):
        pages = [("home", {}), ("contact", {}), ("evidence", {}), ("withdraw", {})]
        for slug, _title in Document.SLUGS:
            pages += [("document_current", {"document": slug})]
            pages += [("document_history", {"document": slug})]
        return pages

    def location(self, item):
        name, kwargs = item
        return reverse(name, kwargs=kwargs)


class VersionSitemap(Sitemap):
    def items(self):
        return Version.objects.published().select_related("document").order_by("document", "number")

    def lastmod(self, version):
        return version.published_at


SITEMAPS = {"pages": PageSitemap, "versions": VersionSitemap}
