"""The pages the links in our emails open: confirming the notifications consent (double
opt-in), stopping notifications in one click (RFC 8058), and answering a material change
(accept or decline the new version). A GET only shows the page; the change is a POST, so
a mail scanner opening the link changes nothing."""

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt

from ..contact.models import Submission
from ..core.clients import evidence_context
from ..core.links import CONFIRM, REACCEPT, UNSUBSCRIBE, LinkError, reference_in
from ..core.pages import private
from ..documents.models import ENGLISH, Version
from ..documents.redline import redline
from ..evidence.statements import CONFIRM_LABEL, UNSUBSCRIBE_LABEL
from ..withdrawal.models import Withdrawal
from ..withdrawal.services import withdrawal_record
from .services import (
    AlreadyAnswered,
    earlier_acceptance,
    notifications_confirm,
    reacceptance_record,
)


def submission_for(purpose, token):
    try:
        reference = reference_in(purpose, token)
    except LinkError:
        raise Http404("This link is not one of ours.") from None
    submission = Submission.objects.filter(reference=reference).first()
    if submission is None:
        raise Http404("No such request.")
    return submission


def confirm_notifications(request, token):
    submission = submission_for(CONFIRM, token)
    context = {"submission": submission, "submit_label": CONFIRM_LABEL}
    if (
        not submission.notifications_consent
        or submission.erased_at
        or (submission.withdrawals.filter(confirmed_at__isnull=False).exists())
    ):
        return private(render(request, "agreements/confirm_notifications.html",
                              context | {"withdrawn": True}))  # fmt: skip
    if request.method == "POST":
        shown = evidence_context(request, request.path, None, CONFIRM_LABEL, "confirm")
        notifications_confirm(submission=submission, context=shown)
        submission.refresh_from_db()
    context["confirmed"] = submission.notifications_confirmed_at is not None
    return private(render(request, "agreements/confirm_notifications.html", context))


@csrf_exempt  # mail clients post "List-Unsubscribe=One-Click" with no token: the link is one
def unsubscribe(request, token):
    submission = submission_for(UNSUBSCRIBE, token)
    context = {"submission": submission, "submit_label": UNSUBSCRIBE_LABEL}
    if request.method == "POST":
        shown = evidence_context(request, request.path, None, UNSUBSCRIBE_LABEL, "unsubscribe")
        # The link was mailed to this request's address: it speaks for that mailbox.
        context["withdrawal"] = withdrawal_record(
            submission=submission, scope=Withdrawal.Scope.NOTIFICATIONS, context=shown,
            mailbox=True,
        )  # fmt: skip
        context["done"] = True
    return private(render(request, "agreements/unsubscribe.html", context))


# The buttons: an event records the words on the one pressed, in the page's language.
ACCEPT_LABEL, DECLINE_LABEL = gettext_lazy("I accept it"), gettext_lazy("I do not accept it")


def answered_of(token):
    """(request, version) a material change's link names, or None (400)."""
    try:
        reference, _sep, pk = reference_in(REACCEPT, token).partition(":")
    except LinkError:
        return None
    version = Version.objects.published().filter(pk=pk if pk.isdigit() else 0).first()
    submission = Submission.objects.filter(reference=reference, erased_at=None).first()
    return (submission, version) if submission and version and version.material else None


def reaccept(request, token):
    found = answered_of(token)
    if found is None:
        return private(render(request, "agreements/reaccept_error.html", status=400))
    submission, version = found
    accepted = request.POST.get("answer") == "accept"
    label = ACCEPT_LABEL if accepted else DECLINE_LABEL
    statement = (_("I accept the {title}, version {number}.") if accepted else
                 _("I do not accept the {title}, version {number}.")).format(
        title=version.document.title, number=version.number)  # fmt: skip
    context = {"submission": submission, "version": version, **changes_for(submission, version)}
    if request.method == "POST" and request.POST.get("answer") in ("accept", "decline"):
        shown = evidence_context(request, request.path.replace(token, ""), None, label,
                                 "reaccept")  # fmt: skip
        try:
            reacceptance_record(submission=submission, version=version, accepted=accepted,
                                statement=statement, context=shown)  # fmt: skip
        except AlreadyAnswered as answered:
            return private(render(request, "agreements/reaccept.html",
                                  context | {"answered": answered.event}, status=410))  # fmt: skip
        context["done"] = "accepted" if accepted else "declined"
    return private(render(request, "agreements/reaccept.html", context | {
        "accept_label": ACCEPT_LABEL, "decline_label": DECLINE_LABEL}))  # fmt: skip


def changes_for(submission, version):
    """The redline from the English version the request accepted to the new one."""
    earlier = earlier_acceptance(submission, version)
    if earlier is None:
        return {}
    old = earlier.version if earlier.version.language == ENGLISH else earlier.version.translates
    return {"old": old, "redline": redline(old.source, version.source)} if old else {}
