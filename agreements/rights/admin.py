"""The register of rights requests in admin: each with its deadline in the operator's
zone, overdue ones marked; the operator types in a request that came by email or letter,
and moves each through its states by actions that ask first and are logged for good."""

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from ..contact.admin import SubmissionAdmin
from ..contact.models import Submission
from ..core.admin import confirmation_page, confirmed
from ..withdrawal.admin import in_operator_zone, in_zone
from . import services
from .models import RightsRequest, RightsRequestChange
from .pack import pack_pdf, sha256, signature


class ChangeInline(admin.TabularInline):
    model = RightsRequestChange
    fields = ["at", "state", "by", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RightsRequest)
class RightsRequestAdmin(admin.ModelAdmin):
    class Media:
        css = {"all": ["css/admin.css"]}

    list_display = ["id", "kind", "channel", "received_local", "law", "due_local", "state",
                    "deadline_status"]  # fmt: skip
    list_filter = ["state", "kind", "channel", "law"]
    search_fields = ["email", "details"]
    fields = ["kind", "channel", "email", "language", "law", "details", "received_at"]
    readonly_after = ["kind", "channel", "email", "language", "law", "received_at", "state",
                      "handled_by", "completed_at"]  # fmt: skip
    inlines = [ChangeInline]
    actions = ["mark_acknowledged", "mark_completed", "mark_refused"]

    def get_inlines(self, request, obj=None):
        return self.inlines if obj else []  # a new entry's log starts when it is saved

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_after if obj else []

    def get_fields(self, request, obj=None):
        return [*self.fields, "state", "handled_by", "completed_at"] if obj else self.fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """A new entry goes through the register's service, so its log starts with it."""
        if change:
            super().save_model(request, obj, form, change)
            return
        data = {name: form.cleaned_data[name] for name in ("kind", "channel", "email",
                                                          "language", "details")}  # fmt: skip
        entry = services.register(by=request.user.get_username(), **data)
        RightsRequest.objects.filter(pk=entry.pk).update(
            law=form.cleaned_data["law"] or entry.law, received_at=form.cleaned_data["received_at"]
        )
        obj.pk = entry.pk

    @admin.display(description=in_zone(_("Received")), ordering="received_at")
    def received_local(self, obj):
        return in_operator_zone(obj.received_at, named=False)

    @admin.display(description=in_zone(_("Due")))
    def due_local(self, obj):
        return in_operator_zone(obj.due, named=False)

    @admin.display(description=_("Deadline"))
    def deadline_status(self, obj):
        if obj.is_overdue():
            return format_html('<strong class="overdue">{}</strong>', _("OVERDUE"))
        return _("closed") if obj.completed_at else _("running")

    def move(self, request, queryset, state, title, what):
        """Each selected entry to `state`, after a page that says so; logged for good."""
        if not confirmed(request):
            items = [f"#{e.pk} {e.get_kind_display()}, {e.get_state_display()}; "
                     f"due {in_operator_zone(e.due)}" for e in queryset]  # fmt: skip
            return confirmation_page(self, request, queryset, action=f"mark_{state}",
                                     title=title, what=what, items=items, button=title)  # fmt: skip
        note = request.POST.get("note", "")
        for entry in queryset:
            services.register_change(entry=entry, state=state, by=request.user.get_username(),
                                     note=note)  # fmt: skip
            self.log_change(request, entry, f"Marked {state}.")
        return None

    @admin.action(description=_("Mark as acknowledged (the person was told)"),
                  permissions=["change"])  # fmt: skip
    def mark_acknowledged(self, request, queryset):
        return self.move(
            request,
            queryset,
            "acknowledged",
            _("Mark as acknowledged"),
            _("Each request below is recorded as acknowledged now, in your name."),
        )

    @admin.action(description=_("Mark as completed"), permissions=["change"])
    def mark_completed(self, request, queryset):
        return self.move(
            request,
            queryset,
            "completed",
            _("Mark as completed"),
            _("Each request below is recorded as completed now, in your name."),
        )

    @admin.action(description=_("Mark as refused (say why to the person)"),
                  permissions=["change"])  # fmt: skip
    def mark_refused(self, request, queryset):
        return self.move(
            request,
            queryset,
            "refused",
            _("Mark as refused"),
            _(
                "Each request below is recorded as refused now, in your name. Tell "
                "the person why, and how to complain."
            ),
        )


class SubmissionWithPackAdmin(SubmissionAdmin):
    """A request's admin page, with its evidence pack (rights/pack.py): the pack is made
    in the area above the request's, so this area adds it to the page."""

    readonly_fields = [*SubmissionAdmin.readonly_fields, "evidence_pack_links"]

    @admin.display(description=_("Evidence pack (signed PDF)"))
    def evidence_pack_links(self, obj):
        links = [(reverse("admin:agreements_submission_pack", args=[obj.pk, code]), name)
                 for code, name in settings.LANGUAGES]  # fmt: skip
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    def get_urls(self):
        pack = self.admin_site.admin_view(self.evidence_pack)
        return [
            path("<id:pk>/pack/<str:language>/", pack, name="agreements_submission_pack"),
            path(
                "<id:pk>/pack/<str:language>.sig",
                pack,
                {"sig": True},
                name="agreements_submission_pack_sig",
            ),  # fmt: skip
            *super().get_urls(),
        ]

    def evidence_pack(self, request, pk, language, sig=False):
        submission = get_object_or_404(Submission, pk=pk)
        if not self.has_view_permission(request, submission):
            raise PermissionDenied
        if language not in dict(settings.LANGUAGES):
            raise Http404("No such language.")
        pdf = pack_pdf(submission, language)
        name = f"{submission.reference}-evidence-{language}.pdf"
        if sig:
            response = HttpResponse(signature(pdf), content_type="text/plain; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{name}.sig"'
            return response
        self.log_change(
            request, submission, f"Evidence pack made ({language}), SHA-256 {sha256(pdf)}."
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


admin.site.unregister(Submission)
admin.site.register(Submission, SubmissionWithPackAdmin)
