"""The home page with its contact form, and the contact form's own page: a request is
checked by its form and recorded by one service (contact/services.py), whose named
refusals are the view's one way of learning why nothing was recorded."""

from django.shortcuts import get_object_or_404, redirect, render

from ..core.clients import client_ip, evidence_context, rate_limit_window
from ..documents.languages import reading_language
from ..documents.models import Document
from ..evidence.statements import SUBMIT_LABEL, current_form_versions
from ..evidence.views import render_receipt
from . import services, snapshots
from .forms import ContactForm, safe_page
from .homepage import home_text, messengers
from .models import Submission


def home(request):
    versions = current_form_versions()
    context = {"submit_label": SUBMIT_LABEL, "home_text": home_text(reading_language()),
               "messengers": messengers()}  # fmt: skip
    if versions:
        context["form"] = ContactForm.blank(versions, request.path)
        context["versions"] = versions
        context["agreement_number"] = versions[Document.Slug.AGREEMENT].number
        context["english_texts"] = shows_english_texts(versions)
    return render(request, "agreements/home.html", context)


def shows_english_texts(versions):
    return snapshots.shows_english_texts(versions, reading_language())


def render_contact(request, form, status=200, **extra):
    context = {"form": form, "versions": form.versions, "submit_label": SUBMIT_LABEL,
               "messengers": messengers(),
               "english_texts": shows_english_texts(form.versions)} | extra  # fmt: skip
    return render(request, "agreements/contact.html", context, status=status)


def contact(request):
    versions = current_form_versions()
    if versions is None:
        return render(request, "agreements/contact_unavailable.html", status=503)
    if request.method != "POST":
        page = safe_page(request.GET.get("from"), request.path)
        return render_contact(request, ContactForm.blank(versions, page))
    form = ContactForm(request.POST, versions=versions)
    try:
        submission = recorded(request, form)
    except services.RateLimited:
        return contact_too_many(request, form)
    except services.FormExpired:
        return render_contact(request, shown_again(request, form), status=400, expired=True)
    except services.StaleVersions as stale:
        again = shown_again(request, form, stale.current)
        return render_contact(request, again, status=409, changed=form.token.changed(stale.current))
    except services.FormAlreadySent:
        return render(request, "agreements/already_sent.html", status=409)
    except services.LooksAutomated:
        return render(request, "400.html", {"reason": "automated"}, status=400)
    except services.FormForged:
        return render(request, "400.html", {"reason": "form_token"}, status=400)
    if submission is None:  # the visitor's mistakes in fields: counted for nothing
        return render_contact(request, form, status=400)
    return redirect(submission)


def recorded(request, form):
    """The request recorded; None when the visitor must correct a field; or the refusal
    (contact/services.py), counted towards the rate limit."""
    try:
        if not form.validated():
            return None
    except services.Refused as refusal:
        services.refusal_count(refusal=refusal, client_ip=client_ip(request))
    shown = evidence_context(
        request, form.token.page, form.token.rendered_at, SUBMIT_LABEL, "contact"
    )
    shown_form = snapshots.form_html(ContactForm.blank(form.versions, ""), reading_language())
    return services.submission_record(
        fields=form.fields_typed(), consents=form.consents(), token=form.token,
        statements=form.statements, context=shown, form_html=shown_form,
    )  # fmt: skip


def shown_again(request, form, versions=None):
    """The form again with the visitor's values, a fresh token, the consents unticked."""
    versions = versions or form.versions
    return ContactForm.shown_again(request.POST, versions, form.page(request.path))


def contact_too_many(request, form):
    """429, with the form again as the visitor filled it in: people in one office or
    behind one mobile operator share an address, and their work is not lost."""
    response = render_contact(request, shown_again(request, form), status=429, too_many=True)
    response["Retry-After"] = str(rate_limit_window())
    return response


def receipt(request, token):
    """A request's receipt, true today: after a withdrawal or an erasure it says so first,
    and offers to withdraw only what is still given."""
    submission = get_object_or_404(Submission, receipt_token=token)
    withdrawn = {}
    for withdrawal in submission.withdrawals.exclude(confirmed_at=None).order_by("-confirmed_at"):
        withdrawn[withdrawal.scope] = withdrawal  # the first of each consent wins
    return render_receipt(
        request, "agreements/receipt.html", "submission", submission,
        withdrawn_personal_data=withdrawn.get("personal_data"),
        withdrawn_notifications=withdrawn.get("notifications"),
    )  # fmt: skip
