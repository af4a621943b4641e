"""Public pages of the documents: current text, history, permanent versions, raw Markdown.

Views only read: every page shows HTML frozen at publication (or draft save).
"""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.decorators import method_decorator
from django.views import View

from .models import Document, Version


def home(request):
    return render(request, "agreements/home.html", {"documents": Document.SLUGS})


def document_title(slug):
    return dict(Document.SLUGS)[slug]


class DocumentPageMixin:
    """Looks up versions of the document named in the URL."""

    template_name = "agreements/version.html"

    def versions(self):
        return Version.objects.filter(document__slug=self.kwargs["document"]).select_related(
            "document"
        )

    def published_version(self, number):
        return get_object_or_404(self.versions().published(), number=number)

    def no_published_version(self):
        context = {"document_slug": self.kwargs["document"]}
        context["document_title"] = document_title(self.kwargs["document"])
        return render(self.request, "agreements/no_version.html", context, status=404)

    def render_version(self, version, current, **extra):
        context = {"version": version, "current": current, "document": version.document}
        return render(self.request, self.template_name, context | extra)


class CurrentVersionView(DocumentPageMixin, View):
    def get(self, request, document):
        current = self.versions().current()
        if current is None:
            return self.no_published_version()
        upcoming = self.versions().scheduled().order_by("number").first()
        return self.render_version(current, current, upcoming=upcoming, is_current_page=True)


class VersionView(DocumentPageMixin, View):
    def get(self, request, document, number):
        version = self.published_version(number)
        return self.render_version(version, self.versions().current())


class PrintVersionView(VersionView):
    template_name = "agreements/print.html"


class VersionHistoryView(DocumentPageMixin, View):
    def get(self, request, document):
        versions = list(self.versions().published().order_by("-number"))
        if not versions:
            return self.no_published_version()
        current = self.versions().current()
        context = {"versions": versions, "current": current, "document": versions[0].document}
        return render(request, "agreements/history.html", context)


def raw_version(request, document, number):
    version = get_object_or_404(Version.objects.published(), document__slug=document, number=number)
    response = HttpResponse(
        version.source.encode("utf-8"), content_type="text/markdown; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="{document}-v{number}.md"'
    return response


@method_decorator(staff_member_required, name="dispatch")
class DraftPreviewView(DocumentPageMixin, View):
    def get(self, request, document, pk):
        draft = self.versions().drafts().filter(pk=pk).first()
        if draft is None:
            raise Http404("No such draft.")
        response = self.render_version(draft, self.versions().current(), is_draft=True)
        response["X-Robots-Tag"] = "noindex"
        return response
