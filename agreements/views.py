"""Public pages: the documents (current, history, versions, raw), the contact form,
receipts, withdrawal and the evidence page. Documents show HTML frozen at publication.
"""

import shutil
from functools import lru_cache
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from . import evidence
from .caching import (
    add_validators,
    cached_page,
    document_state,
    etag_for,
    last_modified_of,
    not_modified,
)
from .clients import client_ip, over_rate_limit, rate_limit_window
from .diff import redline
from .forms import (
    SUBMIT_LABEL,
    WITHDRAW_LABEL,
    ContactForm,
    WithdrawalForm,
    current_versions,
    safe_page,
)
from .models import Document, RateCounter, Submission, Version, Withdrawal
from .notifications import notify_operator


def home(request):
    versions = current_versions()
    context = {"submit_label": SUBMIT_LABEL}
    if versions:
        context["form"] = ContactForm.blank(versions, request.path)
        context["versions"] = versions
        context["agreement_number"] = versions[Document.AGREEMENT].number
    return render(request, "agreements/home.html", context)


def document_title(slug):
    return dict(Document.SLUGS)[slug]


class DocumentPageMixin:
    """Looks up versions of the document named in the URL."""

    template_name = "agreements/version.html"

    def versions(self):
        return Version.objects.filter(document__slug=self.kwargs["document"]).select_related(
            "document", "cancellation"
        )

    def published_version(self, number):
        return get_object_or_404(self.versions().published(), number=number)

    def no_published_version(self):
        context = {"document_slug": self.kwargs["document"]}
        context["document_title"] = document_title(self.kwargs["document"])
        return render(self.request, "agreements/no_version.html", context, status=404)

    def render_version(self, version, current, **extra):
        context = {"version": version, "current": current, "document": version.document}
        if version.document.slug == Document.AGREEMENT:
            context["agreement_number"] = current.number if current else None
        return render(self.request, self.template_name, context | extra)

    def conditional(self, versions, render_page):
        """304 when the visitor's copy shows the same versions with the same templates;
        otherwise the page, rendered once per process for these versions."""
        etag, last_modified = etag_for(*versions), last_modified_of(*versions)
        response = not_modified(self.request, etag, last_modified)
        if response is None:
            key = (etag, self.request.path, self.template_name)
            response = cached_page(key, render_page)
        return add_validators(response, etag, last_modified)

    def current_and_upcoming(self):
        """Remembered by this process for a second at most (agreements/caching.py)."""

        def load():  # only when stale: even building a queryset costs more than the rest
            versions = self.versions()
            return versions.current(), versions.scheduled().order_by("number").first()

        return document_state(self.kwargs["document"], load)


class CurrentVersionView(DocumentPageMixin, View):
    def get(self, request, document):
        current, upcoming = self.current_and_upcoming()
        if current is None:
            return self.no_published_version()
        return self.conditional(
            [current, upcoming],
            lambda: self.render_version(current, current, upcoming=upcoming, is_current_page=True),
        )


class VersionView(DocumentPageMixin, View):
    def get(self, request, document, number):
        version = self.published_version(number)
        current, _upcoming = self.current_and_upcoming()
        return self.conditional([version, current], lambda: self.render_version(version, current))


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


class CompareView(DocumentPageMixin, View):
    """The public redline from version `old` to version `new` of one document."""

    def get(self, request, document, old, new):
        if old == new:
            raise Http404("A version compared with itself has no changes.")
        versions = {v.number: v for v in self.versions().published().filter(number__in=[old, new])}
        if len(versions) != 2:
            raise Http404("No such version.")
        old_version, new_version = versions[old], versions[new]
        context = {
            "old": old_version,
            "new": new_version,
            "pair": [old_version, new_version],
            "document": new_version.document,
            "redline": redline(old_version.source, new_version.source),
        }
        return render(request, "agreements/compare.html", context)


def raw_version(request, document, number):
    version = get_object_or_404(Version.objects.published(), document__slug=document, number=number)
    response = HttpResponse(
        version.source.encode("utf-8"), content_type="text/markdown; charset=utf-8"
    )
    response["Content-Disposition"] = f'inline; filename="{document}-v{number}.md"'
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


def request_context(request, page, form_rendered_at, submit_label, form_name):
    return evidence.Context(
        page=page,
        form_name=form_name,
        form_rendered_at=form_rendered_at,
        submit_label=submit_label,
        language=request.headers.get("Accept-Language", "")[:35],
        client_ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:500],
    )


def too_many_requests(request):
    response = render(request, "429.html", status=429)
    response["Retry-After"] = str(rate_limit_window())
    return response


def render_contact(request, form, status=200, **extra):
    context = {"form": form, "versions": form.versions, "submit_label": SUBMIT_LABEL} | extra
    return render(request, "agreements/contact.html", context, status=status)


def contact_refused(request, form, current=None):
    """The form again with the visitor's values (409: new versions; 400: expired), or a
    page saying why nothing was recorded. Never a half-written record: nothing was."""
    refusal = form.refusal()
    if refusal in (form.EXPIRED, form.STALE):
        current = current or form.versions
        again = ContactForm.shown_again(request.POST, current, form.page(request.path))
        if refusal == form.EXPIRED:
            return render_contact(request, again, status=400, expired=True)
        return render_contact(request, again, status=409, changed=form.token.changed(current))
    if refusal:
        reason = "automated" if refusal == form.AUTOMATED else "form_token"
        return render(request, "400.html", {"reason": reason}, status=400)
    return render_contact(request, form, status=400)


def after_commit(notify, record):
    """The request is recorded: whatever fails now is logged, and the visitor still gets
    the receipt (robust: an exception never reaches the view)."""

    def notify_record():
        notify(record)

    transaction.on_commit(notify_record, robust=True)


def contact(request):
    versions = current_versions()
    if versions is None:
        return render(request, "agreements/contact_unavailable.html", status=503)
    if request.method != "POST":
        page = safe_page(request.GET.get("from"), request.path)
        return render_contact(request, ContactForm.blank(versions, page))
    if over_rate_limit(request, "contact"):
        return too_many_requests(request)
    form = ContactForm(request.POST, versions=versions)
    if not form.is_valid():
        return contact_refused(request, form)
    context = request_context(
        request, form.token.page, form.token.rendered_at, SUBMIT_LABEL, "contact"
    )
    try:
        submission = evidence.record_submission(form, context)
    except evidence.StaleVersions as stale:
        form.add_error(None, forms.ValidationError("Changed.", code=form.STALE))
        return contact_refused(request, form, stale.current)
    except evidence.FormAlreadySent:
        return render(request, "agreements/already_sent.html", status=409)
    after_commit(notify_operator, submission)
    return redirect(submission)


def receipt_events(owner):
    events = owner.events.select_related("version__document").order_by("position")
    return [(event, evidence.record(event)) for event in events]


def render_receipt(request, template, name, owner):
    """A receipt's private page: never indexed, its address never sent on as a referrer."""
    context = {name: owner, "events": receipt_events(owner)}
    response = render(request, template, context)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


def receipt(request, token):
    submission = get_object_or_404(Submission, receipt_token=token)
    return render_receipt(request, "agreements/receipt.html", "submission", submission)


def receipt_json(request, token):
    owner = Submission.objects.filter(receipt_token=token).first()
    owner = owner or get_object_or_404(Withdrawal, receipt_token=token)
    body = {
        "reference": owner.reference,
        "hash_algorithm": "sha256 over RFC 8785 canonical JSON of each record",
        "events": [{"record": rec, "hash": event.hash} for event, rec in receipt_events(owner)],
    }
    response = HttpResponse(evidence.canonical(body), content_type="application/json")
    response["Content-Disposition"] = f'inline; filename="{owner.reference}.json"'
    response["X-Robots-Tag"] = "noindex"
    return response


def withdraw(request):
    form = WithdrawalForm(request.POST or None)
    if request.method == "POST":
        if over_rate_limit(request, "withdraw"):
            return too_many_requests(request)
        if form.is_valid():
            scope = form.cleaned_data["scope"]
            statement = f"I withdraw my {dict(Withdrawal.SCOPES)[scope].lower()}."
            context = request_context(request, request.path, None, WITHDRAW_LABEL, "withdraw")
            withdrawal = evidence.record_withdrawal(
                form.cleaned_data["email"],
                form.cleaned_data["reference"],
                scope,
                statement,
                context,
            )
            after_commit(notify_operator, withdrawal)
            return redirect(withdrawal)
    status = 400 if form.is_bound else 200
    context = {"form": form, "submit_label": WITHDRAW_LABEL}
    return render(request, "agreements/withdraw.html", context, status=status)


def withdrawal_receipt(request, token):
    withdrawal = get_object_or_404(Withdrawal, receipt_token=token)
    return render_receipt(request, "agreements/withdrawal_receipt.html", "withdrawal", withdrawal)


def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (admin): the site's icon."""
    return redirect(static("favicon.svg"), permanent=True)


class _ProbeRolledBack(Exception):
    pass


def database_problem():
    """Why submissions would fail now, or "" when they would not: the database must
    answer, accept a write (rolled back), and the disk the site writes to have room."""
    try:
        with transaction.atomic():
            RateCounter.objects.create(key="healthz-probe", window=-1)
            raise _ProbeRolledBack
    except _ProbeRolledBack:
        pass
    except DatabaseError as error:
        return f"database: {type(error).__name__}"
    database = settings.DATABASES["default"]
    written = [settings.VAR_DIR]
    if database["ENGINE"].endswith("sqlite3"):
        written.append(Path(database["NAME"]).parent)
    for directory in written:
        if (
            directory.exists()
            and shutil.disk_usage(directory).free < settings.KOMMOGEN_MIN_FREE_DISK
        ):
            return "disk: almost full"
    return ""


@never_cache
def healthz(request):
    """For load balancers and monitoring: 200 when a request could be recorded now (the
    database answers and accepts writes, the disk has room), else 503 and why."""
    problem = database_problem()
    if problem:
        what, _, detail = problem.partition(": ")
        body = {"status": "unavailable", what: detail}
        return JsonResponse(body, status=503, headers={"Retry-After": "5"})
    return JsonResponse({"status": "ok", "database": "ok", "disk": "ok"})


def robots_txt(request):
    lines = ["User-agent: *", "Disallow: /receipt/", "Disallow: /consent/withdraw/"]
    lines += [f"Disallow: /{slug}/draft/" for slug, _title in Document.SLUGS]
    if settings.ADMIN_PATH == "admin/":
        # A custom admin path stays unlisted; admin pages also send X-Robots-Tag: noindex.
        lines.append("Disallow: /admin/")
    lines += ["", f"Sitemap: {settings.SITE_URL}{reverse('sitemap')}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@lru_cache(maxsize=1)
def receipt_checker():
    """The program /evidence/ shows and offers: one file, Python's standard library only."""
    return (settings.BASE_DIR / "static" / "evidence" / "check_receipt.py").read_text("utf-8")


def evidence_page(request):
    return render(request, "agreements/evidence.html", {"recipe": receipt_checker()})
