"""The operator's admin: drafts are edited with the Markdown editor.

Published versions are shown read-only and can never be deleted.
"""

from django.contrib import admin
from django.utils.html import format_html
from markdownx.widgets import AdminMarkdownxWidget

from .models import Document, Version


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "slug"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Version)
class VersionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "document", "number", "effective_at", "short_fingerprint"]
    list_filter = ["document"]
    search_fields = ["title", "summary"]
    fields = ["document", "title", "summary", "source"]
    published_fields = [
        "document", "number", "title", "summary", "effective_at", "published_at",
        "fingerprint", "public_links", "source",
    ]  # fmt: skip
    actions = None  # no bulk delete: published versions are never deleted

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "source":
            kwargs["widget"] = AdminMarkdownxWidget
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

    @admin.display(description="Fingerprint")
    def short_fingerprint(self, obj):
        return obj.fingerprint[:12] if obj.fingerprint else "—"

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
