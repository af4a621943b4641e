"""The operator's admin for documents: drafts are edited with the Markdown editor,
published with a confirmation redline, and scheduled ones can be cancelled.

Published versions are shown read-only and can never be deleted.
"""

from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from markdownx.widgets import AdminMarkdownxWidget

from .forms import CancelForm, PublishForm
from .languages import is_outdated, left_behind
from .models import (
    ENGLISH,
    Document,
    PublishedVersionIsImmutable,
    Version,
    fingerprint_of,
    next_number,
    review_fingerprint,
)
from .redline import redline
from .services import version_cancel, version_publish


class DocumentTextWidget(AdminMarkdownxWidget):
    """The Markdown editor, its preview styled by the public pages' document stylesheet."""

    class Media:
        css = {"all": ["css/document.css", "css/version-editor.css"]}
        js = ["js/version-editor.js"]


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = [
        "title", "slug", "prevailing_language", "current_version", "scheduled_version",
        "draft_count",
    ]  # fmt: skip

    readonly_fields = ["version_list"]

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Versions"))
    def version_list(self, obj):
        """Every version of the document, newest first, each with its state, and a way
        to start a new draft from the current text."""
        versions = obj.versions.select_related("cancellation").order_by("language", "-number")
        rows = format_html_join(
            "", '<li><a href="{}">{}</a> — {}</li>',
            ((reverse("admin:agreements_version_change", args=[v.pk]), v, version_state(v))
             for v in versions),
        )  # fmt: skip
        current = obj.versions.in_language("en").current()
        new_draft = ""
        if current:
            action = reverse("admin:agreements_version_new_draft", args=[current.pk])
            new_draft = format_html(
                '<p><button type="submit" form="new-draft-form" formaction="{}">{}</button></p>',
                action, _("New draft from the current version"),
            )  # fmt: skip
        return format_html('<ul class="version-list">{}</ul>{}', rows, new_draft)

    @admin.display(description=_("Current version"))
    def current_version(self, obj):
        version = obj.versions.in_language("en").current()
        return (
            _("v{number}, since {when} UTC").format(
                number=version.number, when=f"{version.effective_at:%Y-%m-%d %H:%M}"
            )
            if version
            else "—"
        )

    @admin.display(description=_("Scheduled"))
    def scheduled_version(self, obj):
        versions = obj.versions.in_language("en").scheduled().order_by("number")
        return (
            ", ".join(
                _("v{number} on {when} UTC").format(
                    number=v.number, when=f"{v.effective_at:%Y-%m-%d %H:%M}"
                )
                for v in versions
            )
            or "—"
        )

    @admin.display(description=_("Drafts"))
    def draft_count(self, obj):
        return obj.versions.drafts().count()


def version_state(version):
    """A version's state in plain words, for the operator."""
    if not version.is_published:
        return _("draft")
    if version.is_cancelled:
        return _("cancelled")
    if not version.is_in_effect():
        return _("scheduled")
    later = Version.objects.in_effect().filter(
        document_id=version.document_id, language=version.language, number__gt=version.number
    )
    if later.exists():
        return _("superseded")
    english = Version.objects.filter(document_id=version.document_id, language=ENGLISH)
    english = english.current()
    if is_outdated(version, english):
        return _("current, behind the English version {number}").format(number=english.number)
    return _("current")


def same_as_published(draft):
    """The published version of the draft's document and language whose text it repeats
    (nothing to publish), or None."""
    latest = draft.document.versions.in_language(draft.language).not_cancelled()
    latest = latest.order_by("-number").first()
    return latest if latest and latest.fingerprint == fingerprint_of(draft.source) else None


@admin.register(Version)
class VersionAdmin(admin.ModelAdmin):
    list_display = [
        "document", "language", "version_number", "list_state", "effective_local",
        "short_fingerprint",
    ]  # fmt: skip
    list_display_links = ["document"]  # the document's name opens the version: one column

    class Media:
        css = {"all": ["css/admin.css"]}

    list_filter = ["document", "language", ("number", admin.EmptyFieldListFilter)]
    search_fields = ["title", "summary"]
    fields = ["document", "language", "translates", "title", "summary", "source"]
    published_fields = [
        "document", "language", "translates", "number", "title", "summary", "effective_at",
        "published_at", "fingerprint", "material", "answers", "state", "event_count",
        "public_links", "source",
    ]  # fmt: skip
    actions = None  # no bulk delete: published versions are never deleted

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "source":
            kwargs["widget"] = DocumentTextWidget
        if db_field.name == "summary":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 3})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        if obj and obj.is_published:
            return self.published_fields
        return self.fields  # a draft's "Preview as a page" is a button at the top

    def get_readonly_fields(self, request, obj=None):
        if obj and obj.is_published:
            return self.published_fields
        return []

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

    @admin.display(description=_("Answers to this material change"))
    def answers(self, obj):
        """How many of those told accepted it, declined it, or have not answered."""
        if not obj.material:
            return "—"
        events = obj.events.exclude(form_name="contact")
        accepted = events.filter(kind="accepted").count()
        declined = events.filter(kind="declined").count()
        told = obj.events.filter(kind="notified").count()
        return _("{accepted} accepted, {declined} declined, {silent} not answered").format(
            accepted=accepted, declined=declined, silent=max(told - accepted - declined, 0)
        )

    @admin.display(description=_("State"))
    def state(self, obj):
        if obj.is_cancelled:
            c = obj.cancellation
            return _("cancelled on {when} UTC by {who}").format(
                when=f"{c.cancelled_at:%Y-%m-%d %H:%M}", who=c.cancelled_by
            )
        return _("in effect or superseded") if obj.is_in_effect() else _("scheduled")

    @admin.display(description=_("State"))
    def list_state(self, obj):
        """draft, scheduled, current, superseded or cancelled."""
        return version_state(obj)

    @admin.display(
        description=format_lazy(_("Takes effect ({zone})"), zone=settings.OPERATOR_TIME_ZONE),
        ordering="effective_at",
    )
    def effective_local(self, obj):
        if not obj.effective_at:
            return "—"
        return (
            f"{obj.effective_at.astimezone(ZoneInfo(settings.OPERATOR_TIME_ZONE)):%Y-%m-%d %H:%M}"
        )

    @admin.display(description=_("Number"))
    def version_number(self, obj):
        """Not sortable: the list is ordered by document and number already, and a sortable
        column's controls would widen it past what fits beside the sidebar."""
        return obj.number or "—"

    @admin.display(description="SHA-256")
    def short_fingerprint(self, obj):
        return obj.fingerprint[:8] if obj.fingerprint else "—"

    @admin.display(description=_("Acceptance events referring to it"))
    def event_count(self, obj):
        return obj.events.count()

    @admin.display(description=_("Public pages"))
    def public_links(self, obj):
        return format_html(
            '<a href="{}">Permanent page</a> · <a href="{}">Markdown download</a>',
            obj.get_absolute_url(),
            obj.get_raw_url(),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        draft = Version.objects.filter(pk=object_id, number__isnull=True).first()
        extra_context = {
            **(extra_context or {}),
            "same_as": draft and same_as_published(draft),
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
        self.message_user(
            request, _("A new draft starts from the text of {version}.").format(version=version)
        )
        return redirect("admin:agreements_version_change", draft.pk)

    def publish_view(self, request, pk):
        if not self.has_publish_permission(request):
            raise PermissionDenied
        draft = get_object_or_404(Version.objects.select_related("document"), pk=pk)
        if draft.is_published:
            self.message_user(
                request, _("{draft} is already published.").format(draft=draft), messages.WARNING
            )
            return redirect("admin:agreements_version_change", draft.pk)
        initial = {"summary": draft.summary, "reviewed_fingerprint": review_fingerprint(draft)}
        form = PublishForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            published = self.publish(request, draft, form)
            if published:
                return redirect("admin:agreements_version_change", published.pk)
        in_language = draft.document.versions.in_language(draft.language)
        latest = in_language.not_cancelled().order_by("-number").first()
        number = next_number(in_language)
        behind = left_behind(draft) if draft.language == ENGLISH else {}
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "left_behind": [
                (dict(settings.LANGUAGES)[code], version) for code, version in behind.items()
            ],  # fmt: skip
            "title": _("Publish {title}, version {number}").format(
                title=draft.document.title, number=number
            ),
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
            version_publish(
                version=draft, effective_at=form.effective_moment(),
                summary=form.cleaned_data["summary"], material=form.cleaned_data["material"],
            )  # fmt: skip
        except PublishedVersionIsImmutable:
            draft.refresh_from_db()
            self.message_user(
                request, _("{draft} was already published.").format(draft=draft), messages.WARNING
            )
            return draft
        except ValidationError as error:
            form.add_error(None, error)
            return None
        zone = ZoneInfo(settings.OPERATOR_TIME_ZONE)
        local = draft.effective_at.astimezone(zone)
        effective = (
            f"{local:%Y-%m-%d %H:%M} ({settings.OPERATOR_TIME_ZONE}), "
            f"{draft.effective_at:%Y-%m-%d %H:%M} UTC"
        )
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
                version_cancel(
                    version=version, by=request.user.get_username(),
                    reason=form.cleaned_data["reason"],
                )  # fmt: skip
            except ValidationError as error:
                form.add_error(None, error)
            else:
                message = f"Cancelled before it took effect: {form.cleaned_data['reason']}"
                self.log_change(request, version, message)
                self.message_user(
                    request, _("{version} is cancelled.").format(version=version), messages.SUCCESS
                )
                return redirect("admin:agreements_version_change", version.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Cancel {version}").format(version=version),
            "version": version,
            "form": form,
        }
        return TemplateResponse(request, "admin/agreements/version/cancel.html", context)
