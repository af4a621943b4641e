"""Contact requests in admin: read-only, filterable, with a printable evidence sheet per
request and the erasure action."""

from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from ..core.admin import confirmation_page, confirmed
from ..core.clients import Context
from ..evidence import chain, verification
from ..evidence.admin import EventInline, ReadOnlyAdmin
from ..evidence.models import ChainVerification
from . import services
from .models import Submission


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
    class Media:
        css = {"all": ["css/admin.css"]}

    list_display = [
        "reference", "created_at", "name", "email", "service", "notifications_consent",
        "messages_state", "erased_at",
    ]  # fmt: skip
    list_filter = [
        ("created_at", admin.DateFieldListFilter), "service", "notifications_consent",
        WithdrawnFilter,
    ]  # fmt: skip
    search_fields = ["reference", "email", "name", "company"]
    date_hierarchy = "created_at"
    inlines = [EventInline]
    actions = ["erase_personal_data"]
    readonly_fields = [
        "consent_state", "withdrawals_made", "evidence_sheet_link", "person_history_link",
        "deliveries",
    ]  # fmt: skip

    @admin.display(description=_("Consents now"))
    def consent_state(self, obj):
        """Each consent as it stands today, from the events and the withdrawals."""
        withdrawn = {w.scope: w for w in obj.withdrawals.exclude(confirmed_at=None)}
        rows = []
        for event in obj.events.filter(purpose__in=["personal_data", "notifications"]):
            if event.kind not in ("consent_given", "consent_refused"):
                continue
            state = _("given") if event.kind == "consent_given" else _("refused")
            if event.purpose == "notifications" and obj.notifications_confirmed_at:
                state = _("given and confirmed")
            if event.purpose in withdrawn:
                state = _("withdrawn ({reference})").format(
                    reference=withdrawn[event.purpose].reference)  # fmt: skip
            if obj.erased_at and event.purpose == "personal_data":
                state = _("erased")
            rows.append((event.get_purpose_display(), state))
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}</li>", rows))

    @admin.display(description=_("Withdrawals"))
    def withdrawals_made(self, obj):
        rows = [
            (reverse("admin:agreements_withdrawal_change", args=[w.pk]), w.reference,
             w.get_scope_display(), _("confirmed") if w.confirmed_at else _("pending"))
            for w in obj.withdrawals.order_by("created_at")
        ]  # fmt: skip
        if not rows:
            return "—"
        return format_html(
            "<ul>{}</ul>", format_html_join("", '<li><a href="{}">{}</a>: {} ({})</li>', rows)
        )

    @admin.display(description=_("Emails"))
    def messages_state(self, obj):
        states = [m.get_state_display() for m in obj.messages.all()]
        return "; ".join(states) or "—"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("messages")

    @admin.display(description=_("Emails and lead, as delivered"))
    def deliveries(self, obj):
        """Each message the request caused and what became of it: a bounced receipt
        shows here in the receiver's words."""
        rows = [
            (message.kind, message.get_state_display(),
             f" ({message.last_error})" if message.last_error else "")
            for message in obj.messages.all()
        ]  # fmt: skip
        if not rows:
            return "—"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}{}</li>", rows))

    @admin.display(description=_("Evidence sheet"))
    def evidence_sheet_link(self, obj):
        url = reverse("admin:agreements_submission_evidence", args=[obj.pk])
        return format_html('<a href="{}">Printable evidence sheet</a>', url)

    @admin.display(description=_("This person's history"))
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
        context = {
            **self.admin_site.each_context(request),
            "submission": submission,
            "events": chain.events_of(submission),
            # This request's events and their links now; the whole chain as last verified
            # by verify_evidence (nightly): re-reading it here would outlast the request.
            "problems": verification.verify_events(submission.events.all()),
            "last_verification": ChainVerification.objects.first(),
            "title": _("Evidence sheet {reference}").format(reference=submission.reference),
            # What happened later to the same person: withdrawals that apply to this
            # request, and the person's other requests (by the one email normalisation).
            "withdrawals": submission.withdrawals.order_by("created_at"),
            "same_person": Submission.objects.filter(email_key=submission.email_key)
            .exclude(pk=submission.pk)
            .order_by("created_at")
            if submission.email_key
            else [],
        }
        return TemplateResponse(request, "admin/agreements/evidence_sheet.html", context)

    @admin.action(description=_("Erase the personal data of the selected requests"))
    def erase_personal_data(self, request, queryset):
        if not request.user.has_perm("agreements.change_submission"):
            raise PermissionDenied
        if not confirmed(request):
            return confirmation_page(
                self, request, queryset, action="erase_personal_data",
                title=_("Erase personal data"), items=erasure_items(queryset),
                what=_("For each request below, everything the site keeps of the person who "
                       "sent it is erased: the request's fields, the same person's other "
                       "requests and withdrawals, and the emails about them. The chain keeps "
                       "its events, with an 'erased' event added; a lead sent to Kommo is "
                       "yours to delete there (you are emailed)."),
                button=_("Erase the personal data"),
            )  # fmt: skip
        context = Context.without_request(f"admin:{request.user}"[:50])
        erased = set()
        for submission in queryset:  # every copy: the person's other requests, withdrawals
            if submission.email:
                erased.update(services.person_erase(email=submission.email, context=context))
            elif services.submission_erase(submission=submission, context=context):
                erased.add(submission.reference)
        self.message_user(
            request, _("Erased the personal data of {count} request(s).").format(count=len(erased))
        )


def erasure_items(queryset):
    """What erasing the selected requests erases, request by request, in words."""
    items = []
    for submission in queryset.order_by("created_at"):
        if submission.erased_at:
            items.append(_("{reference}: already erased; nothing more").format(
                reference=submission.reference))  # fmt: skip
            continue
        others = Submission.objects.filter(email_key=submission.email_key, erased_at=None)
        others = others.exclude(pk=submission.pk) if submission.email_key else others.none()
        withdrawals = sum(s.withdrawals.count() for s in [submission, *others])
        items.append(_(
            "{reference} ({email}): its name, email, phone, company, message, IP address and "
            "browser; {others} other request(s) from this address{listed}; {withdrawals} "
            "withdrawal(s); the emails about them"
        ).format(
            reference=submission.reference, email=submission.email or "—",
            others=len(others), withdrawals=withdrawals,
            listed=f" ({', '.join(o.reference for o in others)})" if others else "",
        ))  # fmt: skip
    return items
