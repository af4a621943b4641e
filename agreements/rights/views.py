"""The "my data" page: a person types their email; a single-use link is emailed; the
link opens (by a button: a mail scanner opening it changes nothing) what the site holds
of them, with what they can do about it. Each step is a service (rights/services.py)."""

import json

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from ..core.clients import client_ip, count_towards_limit, evidence_context, too_many_requests
from ..core.pages import private
from . import services
from .forms import CorrectionForm, MyDataForm

# The buttons: what an event records is the words on the one pressed, in the page's language.
SHOW_LABEL = _("Show my data")
ACTION_LABELS = {"export": _("Download everything (JSON)"), "correct": _("Correct it"),
                 "erase": _("Erase everything"), "withdraw": _("Withdraw")}  # fmt: skip


def my_data(request):
    form = MyDataForm(request.POST or None)
    if request.method == "POST":
        if count_towards_limit("my-data", client_ip(request)):
            return too_many_requests(request)
        if form.is_valid():
            services.my_data_hand_over(
                email=form.cleaned_data["email"], language=translation.get_language()
            )
            return render(request, "agreements/my_data_sent.html", page_facts())
    status = 400 if form.is_bound else 200
    return render(request, "agreements/my_data.html", {"form": form} | page_facts(), status=status)


def page_facts():
    return {"minutes": settings.KOMMOGEN_MY_DATA_LINK_MINUTES,
            "privacy_url": reverse("document_current", args=["privacy"])}  # fmt: skip


def link_refused(request, error):
    """A link altered (400), too old or used already (410): said in words, nothing done."""
    reason = "used" if isinstance(error, services.LinkUsed) else (
        "expired" if isinstance(error, services.LinkExpired) else "invalid")  # fmt: skip
    status = 400 if reason == "invalid" else 410
    return private(render(request, "agreements/my_data_link_error.html", {"reason": reason},
                          status=status))  # fmt: skip


def my_data_open(request, token):
    try:
        services.link_contents(token)
        if request.method == "POST":
            # The page, without the link's token: it is a credential, and names the address.
            page = request.path.replace(token, "").replace("//", "/")
            context = evidence_context(request, page, None, SHOW_LABEL, "my-data")
            grant = services.my_data_open(token=token, context=context)
            return data_page(request, grant)
    except (services.LinkInvalid, services.LinkExpired) as error:
        return link_refused(request, error)
    return private(render(request, "agreements/my_data_open.html"))


def data_page(request, grant, status=200, **extra):
    key = services.grant_holder(grant)
    context = {"grant": grant, "requests": services.person_data(key),
               "correction": CorrectionForm()} | extra  # fmt: skip
    return private(render(request, "agreements/my_data_page.html", context, status=status))


def my_data_act(request):
    """One of the page's buttons: download, correct, erase (asked first), withdraw."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    grant = request.POST.get("grant", "")
    try:
        key = services.grant_holder(grant)
        name = request.POST.get("action")
        if name not in ACTIONS:
            return data_page(request, grant, status=400)
        context = evidence_context(request, request.path, None, ACTION_LABELS[name], "my-data")
        return ACTIONS[name](request, grant, key, context)
    except (services.LinkInvalid, services.LinkExpired) as error:
        return link_refused(request, error)
    except services.NotTheirRequest:
        return data_page(request, grant, status=400, refused=True)


def export(request, grant, key, context):
    data = services.my_data_export(key=key, context=context)
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="my-data-kommogen.json"'
    return private(response)


def correct(request, grant, key, context):
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        return data_page(request, grant, status=400, correction=form,
                         correcting=request.POST.get("reference"))  # fmt: skip
    services.my_data_correct(key=key, context=context, **form.cleaned_data)
    return data_page(request, grant, done="corrected")


def erase(request, grant, key, context):
    if request.POST.get("confirmed") != "yes":
        return private(render(request, "agreements/my_data_erase.html", {"grant": grant}))
    services.my_data_erase(key=key, context=context)
    return private(render(request, "agreements/my_data_erased.html"))


def withdraw(request, grant, key, context):
    scope = request.POST.get("scope")
    if scope not in ("personal_data", "notifications"):
        return data_page(request, grant, status=400)
    services.my_data_withdraw(key=key, reference=request.POST.get("reference", ""),
                              scope=scope, context=context)  # fmt: skip
    return data_page(request, grant, done="withdrawn")


ACTIONS = {"export": export, "correct": correct, "erase": erase, "withdraw": withdraw}
