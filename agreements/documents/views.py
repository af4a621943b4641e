"""Public pages of the documents: current, history, versions, print, raw Markdown, the
redline, and the draft preview for staff. Pages show HTML frozen at publication."""

import re

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.views import View

from .caching import (
    add_validators,
    cached_page,
    document_state,
    etag_for,
    last_modified_of,
    not_modified,
)
from .languages import is_outdated, reading_language
from .models import ENGLISH, Document, Version
from .redline import redline


def document_title(slug):
    return Document.Slug(slug).label


class DocumentPageMixin:
    """Looks up versions of the document named in the URL."""

    template_name = "agreements/version.html"

    def versions(self):
        """The document's versions in the page's language."""
        versions = Version.objects.filter(
            document__slug=self.kwargs["document"], language=reading_language()
        )
        return versions.select_related("document", "cancellation")

    def published_version(self, number):
        return get_object_or_404(self.versions().published(), number=number)

    def no_published_version(self):
        context = {"document_slug": self.kwargs["document"]}
        context["document_title"] = document_title(self.kwargs["document"])
        return render(self.request, "agreements/no_version.html", context, status=404)

    def render_version(self, version, current, **extra):
        context = {"version": version, "current": current, "document": version.document}
        context |= translation_context(version, self.kwargs["document"])
        if version.document.slug == Document.Slug.AGREEMENT:
            context["agreement_number"] = current.number if current else None
        return render(self.request, self.template_name, context | extra)

    def conditional(self, versions, render_page):
        """304 when the visitor's copy shows the same versions with the same templates;
        otherwise the page, rendered once per process for these versions."""
        switcher = tuple(sorted(getattr(self.request, "language_equivalents", {}).items()))
        etag, last_modified = etag_for(*versions, also=switcher), last_modified_of(*versions)
        response = not_modified(self.request, etag, last_modified)
        if response is None:
            key = (etag, self.request.path, self.template_name)
            response = cached_page(key, render_page)
        return add_validators(response, etag, last_modified)

    def current_and_upcoming(self):
        return current_and_upcoming(self.kwargs["document"], reading_language())


def current_and_upcoming(slug, language=ENGLISH):
    """(current, upcoming) versions of a document in a language, remembered by this
    process for a second at most (agreements/documents/caching.py)."""

    def load():  # only when stale: even building a queryset costs more than the rest
        versions = Version.objects.filter(document__slug=slug, language=language)
        versions = versions.select_related("document", "cancellation")
        return versions.current(), versions.scheduled().order_by("number").first()

    return document_state((slug, language), load)


def translation_context(version, slug):
    """For a page in another language than English: the current English version, and
    whether this text is not (or not yet) the translation of it."""
    if reading_language() == ENGLISH:
        return {}
    english, _upcoming = current_and_upcoming(slug)
    return {
        "english_current": english,
        "outdated": is_outdated(version, english),
        "untranslated": version.language == ENGLISH,
    }


def current_page_etag(slug):
    """The ETag /<slug>/ (English) has now (None while the document has no version in
    effect); asked before the language of a request is known, so always in English."""
    with translation.override(ENGLISH):
        current, upcoming = current_and_upcoming(slug)
        return etag_for(current, upcoming) if current else None


class CurrentVersionView(DocumentPageMixin, View):
    def get(self, request, document):
        current, upcoming = self.current_and_upcoming()
        english = current_and_upcoming(document)[0] if reading_language() != ENGLISH else None
        if current is None and english is not None:  # not translated yet: the English text
            current, upcoming = english, None
        if current is None:
            return self.no_published_version()
        return self.conditional(
            [current, upcoming, *([english] if english else [])],
            lambda: self.render_version(current, current, upcoming=upcoming, is_current_page=True),
        )


def equivalents(version):
    """{language: path} of the same text in each language, for the switcher and the
    hreflang alternates: the English original and its translations (numbered apart);
    where a language has none, that language's current page of the document."""
    english = version if version.language == ENGLISH else version.translates
    translated = Version.objects.published().filter(translates=english).order_by("number")
    found = {v.language: v.get_absolute_url() for v in translated} if english else {}
    if english:
        found[ENGLISH] = english.get_absolute_url()
    paths = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            fallback = reverse("document_current", kwargs={"document": version.document.slug})
        paths[code] = found.get(code, fallback)
    return paths


def superseded_by(version):
    """The version that took over from this one (its end of effect), or None."""
    later = Version.objects.in_effect().filter(
        document_id=version.document_id, language=version.language, number__gt=version.number
    )
    return later.order_by("number").first() if version.is_in_effect() else None


def mark_end_of_effect(versions):
    """Set `in_effect_until` on each version another took over from (the history's
    "in effect from … to …"), reading the list it is given: no query."""
    later = None
    for version in sorted(versions, key=lambda v: v.number, reverse=True):
        in_effect = version.is_in_effect()
        version.in_effect_until = later.effective_at if in_effect and later else None
        later = version if in_effect else later
    return versions


class VersionView(DocumentPageMixin, View):
    def get(self, request, document, number):
        version = self.published_version(number)
        request.language_equivalents = equivalents(version)
        current, _upcoming = self.current_and_upcoming()
        successor = superseded_by(version)
        version.in_effect_until = successor.effective_at if successor else None
        return self.conditional(
            [version, current, successor],
            lambda: self.render_version(version, current, successor=successor),
        )


class PrintVersionView(VersionView):
    template_name = "agreements/print.html"


class VersionHistoryView(DocumentPageMixin, View):
    def get(self, request, document, status=200, **extra):
        versions = mark_end_of_effect(list(self.versions().published().order_by("-number")))
        if not versions:
            return self.no_published_version()
        current = self.versions().current()
        english = current_and_upcoming(document)[0] if reading_language() != ENGLISH else None
        context = {"versions": versions, "current": current, "document": versions[0].document,
                   "current_is_behind": is_outdated(current, english)} | extra  # fmt: skip
        return render(request, "agreements/history.html", context, status=status)


class ComparePickView(VersionHistoryView):
    """The history's picker: any two versions, as the redline's permanent address; the
    history again with a message when the choice cannot be compared."""

    def get(self, request, document):
        numbers = self.versions().published().values_list("number", flat=True)
        old, new = (request.GET.get(name, "") for name in ("old", "new"))
        numeric = all(re.fullmatch(r"[0-9]{1,9}", value) for value in (old, new))
        if not numeric or not {int(old), int(new)} <= set(numbers):
            return super().get(request, document, 400, pick_error="choose")
        if old == new:
            return super().get(request, document, 400, pick_error="same")
        old, new = sorted((int(old), int(new)))
        return redirect("document_compare", document=document, old=old, new=new)


def history_in_each_language(slug):
    """Version numbers differ between languages: a redline's equivalent is the history."""
    paths = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            paths[code] = reverse("document_history", kwargs={"document": slug})
    return paths


class CompareView(DocumentPageMixin, View):
    """The public redline from version `old` to version `new` of one document."""

    def get(self, request, document, old, new):
        if old == new:
            raise Http404("A version compared with itself has no changes.")
        versions = {v.number: v for v in self.versions().published().filter(number__in=[old, new])}
        if len(versions) != 2:
            raise Http404("No such version.")
        old_version, new_version = versions[old], versions[new]
        for version in (old_version, new_version):
            successor = superseded_by(version)
            version.in_effect_until = successor.effective_at if successor else None
        request.language_equivalents = history_in_each_language(document)
        changes = redline(old_version.source, new_version.source)
        whole = request.GET.get("view") == "whole"
        context = {
            "old": old_version,
            "new": new_version,
            "pair": [old_version, new_version],
            "document": new_version.document,
            "redline": changes,
            "whole": whole,
            "rows": changes.rows if whole else changes.changes,
            "views_url": request.path,
        }
        return render(request, "agreements/compare.html", context)


def raw_version(request, document, number):
    version = get_object_or_404(
        Version.objects.published(), document__slug=document, number=number,
        language=reading_language(),
    )  # fmt: skip
    response = HttpResponse(
        version.source.encode("utf-8"), content_type="text/markdown; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="{document}-v{number}.md"'
    return response


def raw_version_html(request, document, number):
    """The HTML rendered from a version when it was published, byte for byte: what its
    html_fingerprint is the SHA-256 of, so that anyone can check it (served as text)."""
    version = get_object_or_404(
        Version.objects.published(), document__slug=document, number=number,
        language=reading_language(),
    )  # fmt: skip
    response = HttpResponse(version.html.encode("utf-8"), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{document}-v{number}.html.txt"'
    return response


def may_read_drafts(user):
    """Staff who may view (or edit) versions in admin; others get 403."""
    return user.has_perm("agreements.view_version") or user.has_perm("agreements.change_version")


def drafts_staff_only(view):
    """Staff login first (a redirect to it), then the permission to read versions (403)."""

    @staff_member_required
    def checked(request, *args, **kwargs):
        if not may_read_drafts(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return checked


@method_decorator(drafts_staff_only, name="dispatch")
class DraftPreviewView(DocumentPageMixin, View):
    def get(self, request, document, pk):
        draft = self.versions().drafts().filter(pk=pk).first()
        if draft is None:
            raise Http404("No such draft.")
        response = self.render_version(draft, self.versions().current(), is_draft=True)
        response["X-Robots-Tag"] = "noindex"
        return response
