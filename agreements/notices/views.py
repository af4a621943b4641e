"""The pages the links in our emails open: confirming the notifications consent (double
opt-in) and stopping notifications in one click (RFC 8058). A GET only shows the page;
the change is a POST, so a mail scanner opening the link changes nothing."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from ..contact.models import Submission
from ..core.clients import evidence_context
from ..core.links import CONFIRM, UNSUBSCRIBE, LinkError, reference_in
from ..core.pages import private
from ..evidence.statements import CONFIRM_LABEL, UNSUBSCRIBE_LABEL
from ..withdrawal.models import Withdrawal
from ..withdrawal.services import withdrawal_record
from .services import notifications_confirm


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
