"""Withdrawing a consent, as easily as it was given, and never for someone else: typed
on the public form, it takes effect when the link emailed to the requests' address is
followed; from a receipt's private page (or an unsubscribe link), at once."""

from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render

from ..contact.clients import evidence_context, over_rate_limit, too_many_requests
from ..contact.models import Submission
from ..evidence import recording
from ..evidence.statements import WITHDRAW_LABEL, withdrawal_statement
from ..evidence.views import PRIVATE_REFERRER
from ..notices.links import WITHDRAW, LinkError, reference_in
from .forms import ScopeForm, WithdrawalForm
from .models import Withdrawal


def withdraw(request):
    form = WithdrawalForm(request.POST or None)
    if request.method == "POST":
        if over_rate_limit(request, "withdraw"):
            return too_many_requests(request)
        if form.is_valid():
            context = evidence_context(request, request.path, None, WITHDRAW_LABEL, "withdraw")
            recording.queue_withdrawal_request(
                form.cleaned_data["email"], form.cleaned_data["reference"],
                form.cleaned_data["scope"], context,
            )  # fmt: skip
            # The same page whether or not anything matched: it reveals no address.
            return render(request, "agreements/withdraw_sent.html")
    status = 400 if form.is_bound else 200
    context = {"form": form, "submit_label": WITHDRAW_LABEL}
    return render(request, "agreements/withdraw.html", context, status=status)


def confirm_withdrawal(request, token):
    try:
        reference = reference_in(WITHDRAW, token)
    except LinkError:
        return render(request, "404.html", status=404)
    withdrawal = get_object_or_404(Withdrawal, reference=reference)
    if request.method == "POST" or withdrawal.confirmed_at:
        statement = withdrawal_statement(withdrawal.scope)
        context = evidence_context(request, request.path, None, WITHDRAW_LABEL, "confirm")
        recording.confirm_withdrawal(withdrawal, statement, context)
        return redirect(withdrawal)
    context = {"withdrawal": withdrawal, "submit_label": WITHDRAW_LABEL}
    response = render(request, "agreements/confirm_withdrawal.html", context)
    response["X-Robots-Tag"], response["Referrer-Policy"] = "noindex", PRIVATE_REFERRER
    return response


def withdraw_from_receipt(request, token):
    """The receipt's private address proves whose request it is: the withdrawal takes
    effect at once."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    submission = get_object_or_404(Submission, receipt_token=token)
    form = ScopeForm(request.POST)
    if not form.is_valid():
        return redirect(submission)
    scope = form.cleaned_data["scope"]
    context = evidence_context(request, submission.get_absolute_url(), None, WITHDRAW_LABEL,
                               "receipt")  # fmt: skip
    withdrawal = recording.record_withdrawal(
        submission, scope, withdrawal_statement(scope), context
    )
    return redirect(withdrawal)
