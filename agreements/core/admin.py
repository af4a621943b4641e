"""An admin action that cannot be undone asks first (GOV.UK's pattern for destructive
actions): a page saying exactly what will happen to what, with the action's own button
and a way back; nothing is done until that button is pressed."""

from django.contrib.admin import helpers
from django.template.response import TemplateResponse


def confirmed(request):
    """Whether the action's confirmation page was answered with its button."""
    return request.POST.get("confirmed") == "yes"


def confirmation_page(modeladmin, request, queryset, *, action, title, what, items, button):
    """The page an irreversible action shows first: `what` it does, to each of `items`
    (lines of text), and `button`, which posts the same selection again, confirmed."""
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "title": title,
        "what": what,
        "items": items,
        "button": button,
        "action": action,
        "selected": queryset.values_list("pk", flat=True),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/agreements/confirm_action.html", context)
