"""The operator's admin: drafts are edited with the Markdown editor.

Published versions are shown read-only and can never be deleted.
"""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseNotAllowed, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from markdownx.widgets import AdminMarkdownxWidget

from . import converters, evidence, export  # noqa: F401 (converters: URL types)
from .diff import redline
from .forms import CancelForm, PublishForm
from .models import (
    AcceptanceEvent,
    ChainVerification,
    Document,
    PublishedVersionIsImmutable,
    Submission,
    Version,
    Withdrawal,
    next_number,
    review_fingerprint,
)


class DocumentTextWidget(AdminMarkdownxWidget):
    """The Markdown editor, its preview styled by the public pages' document stylesheet."""

    class Media:
        css = {"all": ["css/document.css"]}


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "current_version", "scheduled_version", "draft_count"]

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Current version")
    def current_version(self, obj):
        version = obj.versions.current()
        return (
            f"v{version.number}, since {version.effective_at:%Y-%m-%d %H:%M} UTC"
            if version
            else "—"
        )

    @admin.display(description="Scheduled")
    def scheduled_version(self, obj):
        versions = obj.versions.scheduled().order_by("number")
        return (
            ", ".join(f"v{v.number} on {v.effective_at:%Y-%m-%d %H:%M} UTC" for v in versions)
            or "—"
        )

    @admin.display(description="Drafts")
    def draft_count(self, obj):
        return obj.versions.drafts().count()


@admin.register(Version)
class VersionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "document", "number", "effective_at", "short_fingerprint"]
    list_filter = ["document", ("number", admin.EmptyFieldListFilter)]
    search_fields = ["title", "summary"]
    fields = ["document", "title", "summary", "source"]
    published_fields = [
        "document", "number", "title", "summary", "effective_at", "published_at",
        "fingerprint", "state", "event_count", "public_links", "source",
    ]  # fmt: skip
    actions = None  # no bulk delete: published versions are never deleted

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "source":
            kwargs["widget"] = DocumentTextWidget
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        if obj and obj.is_published:
            return self.published_fields
        return [*self.fields, "draft_preview"] if obj else self.fields

    def get_readonly_fields(self, request, obj=None):
        if obj and obj.is_published:
            return self.published_fields
        return ["draft_preview"]

    def has_change_permission(self, request, obj=None):
        if obj and obj.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)

    def has_publish_permission(self, request):
        return request.user.has_perm("agreements.publish_version")

    @admin.display(description="State")
    def state(self, obj):
        if obj.is_cancelled:
            c = obj.cancellation
            return f"cancelled on {c.cancelled_at:%Y-%m-%d %H:%M} UTC by {c.cancelled_by}"
        return "in effect or superseded" if obj.is_in_effect() else "scheduled"

    @admin.display(description="Fingerprint")
    def short_fingerprint(self, obj):
        return obj.fingerprint[:12] if obj.fingerprint else "—"

    @admin.display(description="Acceptance events referring to it")
    def event_count(self, obj):
        return obj.events.count()

    @admin.display(description="Public pages")
    def public_links(self, obj):
        return format_html(
            '<a href="{}">Permanent page</a> · <a href="{}">Markdown download</a>',
            obj.get_absolute_url(),
            obj.get_raw_url(),
        )

    @admin.display(description="Preview")
    def draft_preview(self, obj):
        return format_html('<a href="{}">Preview this draft as a page</a>', obj.get_absolute_url())

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_publish": self.has_publish_permission(request),
            "can_cancel": self.has_publish_permission(request) and self.is_cancellable(object_id),
            "can_start_draft": self.has_add_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        publish = self.admin_site.admin_view(self.publish_view)
        new_draft = self.admin_site.admin_view(self.new_draft_view)
        cancel = self.admin_site.admin_view(self.cancel_view)
        return [
            path("<id:pk>/publish/", publish, name="agreements_version_publish"),
            path("<id:pk>/new-draft/", new_draft, name="agreements_version_new_draft"),
            path("<id:pk>/cancel/", cancel, name="agreements_version_cancel"),
            *super().get_urls(),
        ]

    def new_draft_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_add_permission(request):
            raise PermissionDenied
        version = get_object_or_404(Version.objects.published(), pk=pk)
        draft = version.new_draft()
        self.log_addition(request, draft, f"New draft from {version}.")
        self.message_user(request, f"A new draft starts from the text of {version}.")
        return redirect("admin:agreements_version_change", draft.pk)

    def publish_view(self, request, pk):
        if not self.has_publish_permission(request):
            raise PermissionDenied
        draft = get_object_or_404(Version.objects.select_related("document"), pk=pk)
        if draft.is_published:
            self.message_user(request, f"{draft} is already published.", messages.WARNING)
            return redirect("admin:agreements_version_change", draft.pk)
        initial = {"summary": draft.summary, "reviewed_fingerprint": review_fingerprint(draft)}
        form = PublishForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            published = self.publish(request, draft, form)
            if published:
                return redirect("admin:agreements_version_change", published.pk)
        latest = draft.document.versions.not_cancelled().order_by("-number").first()
        number = next_number(draft.document.versions)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Publish {draft.document.title}, version {number}",
            "draft": draft,
            "latest": latest,
            "number": number,
            "form": form,
            "redline": redline(latest.source, draft.source) if latest else None,
        }
        return TemplateResponse(request, "admin/agreements/version/publish.html", context)

    def publish(self, request, draft, form):
        """Publish the draft the operator reviewed, once; say why not otherwise."""
        if form.cleaned_data["reviewed_fingerprint"] != review_fingerprint(draft):
            form.add_error(
                None,
                "The draft (its title or its text) was edited after this page was opened. "
                "Review it again.",
            )
            return None
        try:
            draft.publish(
                effective_at=form.effective_moment(), summary=form.cleaned_data["summary"]
            )
        except PublishedVersionIsImmutable:
            draft.refresh_from_db()
            self.message_user(request, f"{draft} was already published.", messages.WARNING)
            return draft
        except ValidationError as error:
            form.add_error(None, error)
            return None
        effective = f"{draft.effective_at:%Y-%m-%d %H:%M} UTC"
        message = f"Published as version {draft.number}, in effect from {effective}."
        self.log_change(request, draft, message)
        self.message_user(request, f"{draft}: {message}", messages.SUCCESS)
        return draft

    def is_cancellable(self, object_id):
        version = Version.objects.filter(pk=object_id).select_related("cancellation").first()
        return bool(version and version.is_published and not version.is_cancelled) and (
            not version.is_in_effect()
        )

    def cancel_view(self, request, pk):
        """Cancel a scheduled version before it takes effect (a typo in its date, say)."""
        if not self.has_publish_permission(request):
            raise PermissionDenied
        version = get_object_or_404(Version.objects.published().select_related("document"), pk=pk)
        form = CancelForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                version.cancel(by=request.user.get_username(), reason=form.cleaned_data["reason"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                message = f"Cancelled before it took effect: {form.cleaned_data['reason']}"
                self.log_change(request, version, message)
                self.message_user(request, f"{version} is cancelled.", messages.SUCCESS)
                return redirect("admin:agreements_version_change", version.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Cancel {version}",
            "version": version,
            "form": form,
        }
        return TemplateResponse(request, "admin/agreements/version/cancel.html", context)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Evidence is never added, changed or deleted through admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = AcceptanceEvent
    fields = ["position", "recorded_at", "kind", "purpose", "version", "statement", "hash"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["position"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class WithdrawnFilter(admin.SimpleListFilter):
    title = "withdrawn"
    parameter_name = "withdrawn"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(withdrawals__isnull=False).distinct()
        if self.value() == "no":
            return queryset.filter(withdrawals__isnull=True)
        return queryset


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = [
        "reference", "created_at", "name", "email", "service", "notifications_consent",
        "notification_status", "erased_at",
    ]  # fmt: skip
    list_filter = [
        ("created_at", admin.DateFieldListFilter), "service", "notifications_consent",
        WithdrawnFilter, ("notification_sent_at", admin.EmptyFieldListFilter),
    ]  # fmt: skip
    search_fields = ["reference", "email", "name", "company"]
    date_hierarchy = "created_at"
    inlines = [EventInline]
    actions = ["erase_personal_data"]
    readonly_fields = ["evidence_sheet_link", "person_history_link"]

    @admin.display(description="Notification")
    def notification_status(self, obj):
        if obj.notification_sent_at:
            return "sent"
        return "not sent" + (f": {obj.notification_error}" if obj.notification_error else "")

    @admin.display(description="Evidence sheet")
    def evidence_sheet_link(self, obj):
        url = reverse("admin:agreements_submission_evidence", args=[obj.pk])
        return format_html('<a href="{}">Printable evidence sheet</a>', url)

    @admin.display(description="This person's history")
    def person_history_link(self, obj):
        if not obj.email:
            return "—"
        url = reverse("admin:agreements_submission_changelist") + "?" + urlencode({"q": obj.email})
        return format_html('<a href="{}">All requests from {}</a>', url, obj.email)

    def get_urls(self):
        sheet = self.admin_site.admin_view(self.evidence_sheet)
        return [
            path("<id:pk>/evidence/", sheet, name="agreements_submission_evidence"),
            *super().get_urls(),
        ]

    def evidence_sheet(self, request, pk):
        submission = get_object_or_404(Submission, pk=pk)
        if not self.has_view_permission(request, submission):
            raise PermissionDenied
        events = submission.events.select_related("version__document").order_by("position")
        context = {
            **self.admin_site.each_context(request),
            "submission": submission,
            "events": [(event, evidence.record(event)) for event in events],
            # This request's events and their links now; the whole chain as last verified
            # by verify_evidence (nightly): re-reading it here would outlast the request.
            "problems": evidence.verify_events(submission.events.all()),
            "last_verification": ChainVerification.objects.first(),
            "title": f"Evidence sheet {submission.reference}",
        }
        return TemplateResponse(request, "admin/agreements/evidence_sheet.html", context)

    @admin.action(description="Erase the personal data of the selected requests")
    def erase_personal_data(self, request, queryset):
        if not request.user.has_perm("agreements.change_submission"):
            raise PermissionDenied
        context = evidence.Context("", f"admin:{request.user}"[:50], None, "", "", None, "")
        erased = set()
        for submission in queryset:  # every copy: the person's other requests, withdrawals
            if submission.email:
                erased.update(evidence.erase_person(submission.email, context))
            elif evidence.erase_submission(submission, context):
                erased.add(submission.reference)
        self.message_user(request, f"Erased the personal data of {len(erased)} request(s).")


@admin.register(AcceptanceEvent)
class AcceptanceEventAdmin(ReadOnlyAdmin):
    list_display = ["position", "recorded_at", "kind", "purpose", "version", "reference"]
    list_filter = ["kind", "purpose", ("recorded_at", admin.DateFieldListFilter)]
    search_fields = ["reference", "hash"]
    date_hierarchy = "recorded_at"
    actions = ["export_csv", "export_json"]

    @admin.action(description="Export the selected events as CSV")
    def export_csv(self, request, queryset):
        return self._stream(queryset, export.csv_lines, "text/csv; charset=utf-8", "csv")

    @admin.action(description="Export the selected events as JSON Lines")
    def export_json(self, request, queryset):
        return self._stream(queryset, export.json_lines, "application/x-ndjson", "jsonl")

    def _stream(self, queryset, lines, content_type, extension):
        events = lines(queryset.order_by("position"))
        response = StreamingHttpResponse(events, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="evidence.{extension}"'
        return response


@admin.register(Withdrawal)
class WithdrawalAdmin(admin.ModelAdmin):
    list_display = [
        "reference", "created_at", "scope", "email", "acknowledge_by", "acknowledged_at",
        "complete_by", "completed_at", "deadline_status",
    ]  # fmt: skip
    list_filter = ["scope", ("completed_at", admin.EmptyFieldListFilter)]
    search_fields = ["reference", "email", "submission_reference"]
    readonly_fields = [
        "reference", "created_at", "scope", "email", "submission_reference", "submissions",
        "acknowledge_by", "complete_by", "complete_by_russia", "acknowledged_at", "completed_at",
        "notification_sent_at", "notification_error",
    ]  # fmt: skip
    exclude = ["receipt_token", "salt", "client_ip", "user_agent"]
    inlines = [EventInline]
    actions = ["mark_acknowledged", "mark_completed"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Deadlines")
    def deadline_status(self, obj):
        if obj.completed_at:
            return "completed"
        if obj.is_overdue():
            return format_html('<strong class="overdue">{}</strong>', "OVERDUE")
        return "running"

    @admin.action(description="Mark as acknowledged (the person was told)", permissions=["change"])
    def mark_acknowledged(self, request, queryset):
        marked = self.mark(request, queryset, "acknowledged_at", "Marked as acknowledged.")
        self.message_user(request, f"Marked {marked} withdrawal(s) as acknowledged.")

    @admin.action(description="Mark as completed", permissions=["change"])
    def mark_completed(self, request, queryset):
        with transaction.atomic():
            self.mark(request, queryset, "acknowledged_at", "Marked as acknowledged.")
            marked = self.mark(request, queryset, "completed_at", "Marked as completed.")
        self.message_user(request, f"Marked {marked} withdrawal(s) as completed.")

    def mark(self, request, queryset, field, message):
        """Set field to now where it is empty, each in the admin log with who and when."""
        with transaction.atomic():
            pending = list(queryset.filter(**{f"{field}__isnull": True}).select_for_update())
            Withdrawal.objects.filter(pk__in=[w.pk for w in pending]).update(
                **{field: timezone.now()}
            )
            for withdrawal in pending:
                self.log_change(request, withdrawal, message)
        return len(pending)
