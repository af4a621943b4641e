"""The outbox in admin: each message's state, attempts and last error; its text only
for staff who may view requests; a retry for the ones that failed or stayed "sending"."""

import re

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .delivery import retry
from .models import OutboxAttempt, OutboxMessage

# Headers carry working unsubscribe links; a mail server's error names the recipient.
PRIVATE = ("recipient", "subject", "text", "html", "attachments", "headers", "last_error")
ADDRESS = re.compile(r"[^\s<>\"'@]+@[^\s<>\"']+")


def masked(text):
    """An error as staff who may not view requests see it: without email addresses."""
    return ADDRESS.sub("…@…", text or "")


class AttemptInline(admin.TabularInline):
    """Every attempt and what came of it, not only the last error."""

    model = OutboxAttempt
    extra = 0
    can_delete = False
    verbose_name_plural = "attempts"

    def get_fields(self, request, obj=None):
        if request.user.has_perm("agreements.view_submission"):
            return ["at", "outcome", "detail"]
        return ["at", "outcome", "masked_detail"]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="detail")
    def masked_detail(self, attempt):
        return masked(attempt.detail)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["key", "state", "attempts", "next_attempt_at", "sent_at", "last_error"]
    list_filter = ["state"]
    search_fields = ["key"]
    actions = ["retry_messages"]
    inlines = [AttemptInline]

    def get_list_display(self, request):
        if request.user.has_perm("agreements.view_submission"):
            return self.list_display
        return [*self.list_display[:-1], "masked_error"]

    def get_fields(self, request, obj=None):
        fields = [f.name for f in OutboxMessage._meta.fields if f.name != "id"]
        if not request.user.has_perm("agreements.view_submission"):
            fields = [name for name in fields if name not in PRIVATE] + ["masked_error"]
        return fields

    @admin.display(description="last error")  # as the field's own name reads
    def masked_error(self, message):
        return masked(message.last_error)

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(
        description=_("Send again (failed, or stuck while sending: check it was not sent)"),
        # Waiting ones are sent now, too.
        permissions=["change"],
    )
    def retry_messages(self, request, queryset):
        count = retry(queryset)
        for message in queryset:
            self.log_change(request, message, "Queued to be sent again.")
        self.message_user(request, _("{count} message(s) will be sent again.").format(count=count))
