"""An Atom feed per document: one entry per published version, newest first."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from .languages import reading_language
from .models import Document, Version


def absolute(path):
    """Links from KOMMOGEN_SITE_URL, never from the request's Host header."""
    return settings.SITE_URL + path


class VersionFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, document):
        return get_object_or_404(Document, slug=document)

    def title(self, document):
        return _("KommoGEN — {title}: new versions").format(title=document.title)

    def subtitle(self, document):
        return _("Every published version of KommoGEN's {title}, with what changed.").format(
            title=document.title
        )

    def link(self, document):
        return absolute(reverse("document_history", kwargs={"document": document.slug}))

    def feed_url(self, document):
        return absolute(reverse("document_feed", kwargs={"document": document.slug}))

    def items(self, document):
        versions = Version.objects.published().filter(document=document)
        return versions.filter(language=reading_language()).order_by("-number")

    def item_title(self, version):
        return _("{title}, version {number}: takes effect {when} UTC").format(
            title=version.title, number=version.number,
            when=f"{version.effective_at:%Y-%m-%d %H:%M}",
        )  # fmt: skip

    def item_description(self, version):
        return version.summary or _("No summary of changes was given.")

    def item_link(self, version):
        return absolute(version.get_absolute_url())

    def item_pubdate(self, version):
        return version.published_at

    def item_updateddate(self, version):
        return version.published_at
