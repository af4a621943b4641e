"""The home page with its contact form, and the contact form's own page: a request is
checked by its form and recorded by one call to the evidence."""

from django.db import transaction
from django.shortcuts import redirect, render

from ..documents.languages import reading_language
from ..documents.models import ENGLISH, Document
from ..evidence import recording
from ..evidence.statements import SUBMIT_LABEL, current_form_versions
from .clients import evidence_context, over_rate_limit, rate_limit_window
from .forms import ContactForm, safe_page
from .homepage import home_text, messengers


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
    """A form in another language whose texts are (some of them) the English originals."""
    return reading_language() != ENGLISH and any(v.language == ENGLISH for v in versions.values())


def render_contact(request, form, status=200, **extra):
    context = {"form": form, "versions": form.versions, "submit_label": SUBMIT_LABEL,
               "messengers": messengers(),
               "english_texts": shows_english_texts(form.versions)} | extra  # fmt: skip
    return render(request, "agreements/contact.html", context, status=status)


def contact_refused(request, form, current=None):
    """The form again with the visitor's values (409: new versions; 400: expired), or a
    page saying why nothing was recorded. Never a half-written record: nothing was."""
    refusal = form.refusal()
    if refusal in (form.EXPIRED, form.STALE):
        current = current or form.versions
        again = ContactForm.shown_again(request.POST, current, form.page(request.path))
        if refusal == form.EXPIRED:
            return render_contact(request, again, status=400, expired=True)
        return render_contact(request, again, status=409, changed=form.token.changed(current))
    if refusal:
        reason = "automated" if refusal == form.AUTOMATED else "form_token"
        return render(request, "400.html", {"reason": reason}, status=400)
    return render_contact(request, form, status=400)


def contact(request):
    versions = current_form_versions()
    if versions is None:
        return render(request, "agreements/contact_unavailable.html", status=503)
    if request.method != "POST":
        page = safe_page(request.GET.get("from"), request.path)
        return render_contact(request, ContactForm.blank(versions, page))
    form = ContactForm(request.POST, versions=versions)
    if not form.is_valid():
        # A visitor's mistake in a field costs nothing and counts for nothing; what looks
        # automated (a filled trap, a forged or hurried form) counts towards the limit.
        if form.refusal() and over_rate_limit(request, "contact"):
            return contact_too_many(request, form)
        return contact_refused(request, form)
    outcome = counted_and_recorded(request, form)
    if outcome is TOO_MANY:
        return contact_too_many(request, form)
    if isinstance(outcome, recording.StaleVersions):
        return contact_refused(request, form.mark_stale(), outcome.current)
    if isinstance(outcome, recording.FormAlreadySent):
        return render(request, "agreements/already_sent.html", status=409)
    return redirect(outcome)


TOO_MANY = object()


def contact_too_many(request, form):
    """429, with the form again as the visitor filled it in: people in one office or
    behind one mobile operator share an address, and their work is not lost."""
    again = ContactForm.shown_again(request.POST, form.versions, form.page(request.path))
    response = render_contact(request, again, status=429, too_many=True)
    response["Retry-After"] = str(rate_limit_window())
    return response


@transaction.atomic
def counted_and_recorded(request, form):
    """One commit per request: its count towards the rate limit and its record (or the
    count alone, when it is refused). The submission, or why it was not recorded."""
    if over_rate_limit(request, "contact"):
        return TOO_MANY
    shown = evidence_context(
        request, form.token.page, form.token.rendered_at, SUBMIT_LABEL, "contact"
    )
    try:
        return recording.record_submission(form, shown)
    except (recording.StaleVersions, recording.FormAlreadySent) as refusal:
        return refusal  # its own savepoint is rolled back; the count stays
