"""Evidence in admin: read-only events (exportable as CSV or JSON Lines), and the inline
that shows a request's or a withdrawal's events. Nothing here adds, changes or deletes."""

from django.contrib import admin
from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy as _

from . import export
from .models import AcceptanceEvent


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


@admin.register(AcceptanceEvent)
class AcceptanceEventAdmin(ReadOnlyAdmin):
    list_display = ["position", "recorded_at", "kind", "purpose", "version", "reference"]
    list_filter = ["kind", "purpose", ("recorded_at", admin.DateFieldListFilter)]
    search_fields = ["reference", "hash"]
    date_hierarchy = "recorded_at"
    actions = ["export_csv", "export_json"]

    @admin.action(description=_("Export the selected events as CSV"))
    def export_csv(self, request, queryset):
        return self._stream(queryset, export.csv_lines, "text/csv; charset=utf-8", "csv")

    @admin.action(description=_("Export the selected events as JSON Lines"))
    def export_json(self, request, queryset):
        return self._stream(queryset, export.json_lines, "application/x-ndjson", "jsonl")

    def _stream(self, queryset, lines, content_type, extension):
        events = lines(queryset.order_by("position"))
        response = StreamingHttpResponse(events, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="evidence.{extension}"'
        return response
