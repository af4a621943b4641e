"""Withdrawals in admin: the statutory clocks, overdue ones marked, and the actions that
record acknowledging and completing them (change permission, in the admin log)."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ..core.admin import confirmation_page, confirmed
from ..evidence.admin import EventInline
from .models import Withdrawal


def in_zone(label):
    """A column's label naming the operator's zone, in which its times are shown."""
    return format_lazy("{} ({})", label, settings.OPERATOR_TIME_ZONE)


@admin.register(Withdrawal)
class WithdrawalAdmin(admin.ModelAdmin):
    class Media:
        css = {"all": ["css/admin.css"]}

    list_display = [
        "reference", "created_local", "scope", "email", "acknowledgement", "completion",
        "deadline_status",
    ]  # fmt: skip
    list_filter = ["scope", ("completed_at", admin.EmptyFieldListFilter)]
    search_fields = ["reference", "email", "submission_reference"]
    readonly_fields = [
        "reference", "created_at", "scope", "email", "submission_reference", "submissions",
        "acknowledge_by", "complete_by", "complete_by_russia", "acknowledged_at", "completed_at",
    ]  # fmt: skip
    exclude = ["receipt_token", "salt", "client_ip", "user_agent"]
    inlines = [EventInline]
    actions = ["mark_acknowledged", "mark_completed"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=in_zone(_("Received")), ordering="created_at")
    def created_local(self, obj):
        return in_operator_zone(obj.created_at, named=False)

    @admin.display(description=in_zone(_("Acknowledged")))
    def acknowledgement(self, obj):
        return clock_state(obj, obj.acknowledged_at, obj.acknowledge_by)

    @admin.display(description=in_zone(_("Completed")))
    def completion(self, obj):
        return clock_state(obj, obj.completed_at, obj.complete_by)

    @admin.display(description=_("Deadlines"))
    def deadline_status(self, obj):
        if obj.confirmed_at is None:
            return "waiting for the person to confirm by the emailed link"
        if obj.completed_at:
            return "completed"
        if obj.is_overdue():
            return format_html('<strong class="overdue">{}</strong>', "OVERDUE")
        return "running"

    @admin.action(
        description=_("Mark as acknowledged (the person was told)"), permissions=["change"]
    )
    def mark_acknowledged(self, request, queryset):
        if not confirmed(request):
            return self.confirm(request, queryset, "mark_acknowledged", _("Mark as acknowledged"),
                                _("Each withdrawal below is recorded as acknowledged now, in "
                                  "your name: the person was told it was received."))  # fmt: skip
        marked = self.mark(request, queryset, "acknowledged_at", "Marked as acknowledged.")
        self.message_user(
            request, _("Marked {count} withdrawal(s) as acknowledged.").format(count=marked)
        )

    @admin.action(description=_("Mark as completed"), permissions=["change"])
    def mark_completed(self, request, queryset):
        """Only what a person completes by hand: a withdrawal of the personal-data consent
        is completed by the erasure it causes (nightly), never marked."""
        by_hand = queryset.exclude(scope=Withdrawal.Scope.PERSONAL_DATA)
        if not confirmed(request):
            return self.confirm(request, by_hand, "mark_completed", _("Mark as completed"),
                                _("Each withdrawal below is recorded as acknowledged and completed "
                                  "now, in your name. Withdrawals of the personal-data consent "
                                  "are left out: their erasure completes them."))  # fmt: skip
        with transaction.atomic():
            self.mark(request, by_hand, "acknowledged_at", "Marked as acknowledged.")
            marked = self.mark(request, by_hand, "completed_at", "Marked as completed.")
        self.message_user(
            request, _("Marked {count} withdrawal(s) as completed.").format(count=marked)
        )

    def confirm(self, request, queryset, action, title, what):
        items = [
            _("{reference}: {scope}; acknowledge by {acknowledge}, complete by {complete}").format(
                reference=w.reference, scope=w.get_scope_display(),
                acknowledge=in_operator_zone(w.acknowledge_by),
                complete=in_operator_zone(w.complete_by),
            )
            for w in queryset.order_by("created_at")
        ]  # fmt: skip
        return confirmation_page(self, request, queryset, action=action, title=title, what=what,
                                 items=items, button=title)  # fmt: skip

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


def in_operator_zone(moment, named=True):
    """A moment as the operator reads it, its zone named (or named by the column)."""
    zone = ZoneInfo(settings.OPERATOR_TIME_ZONE)
    local = f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"
    return f"{local} ({settings.OPERATOR_TIME_ZONE})" if named else local


def clock_state(withdrawal, done_at, due):
    """One clock in a column: when it was done, or by when it must be."""
    if done_at:
        return _("done {moment}").format(moment=in_operator_zone(done_at, named=False))
    if withdrawal.confirmed_at is None:
        return "—"
    return _("by {moment}").format(moment=in_operator_zone(due, named=False))
