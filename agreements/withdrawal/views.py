"""Withdrawing a consent, as easily as it was given, and never for someone else: typed
on the public form, it takes effect when the link emailed to the requests' address is
followed; from a receipt's private page (or an unsubscribe link), at once."""

from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render

from ..contact.models import Submission
from ..core.clients import client_ip, count_towards_limit, evidence_context, too_many_requests
from ..core.links import WITHDRAW, LinkError, reference_in
from ..core.pages import private
from ..evidence.statements import WITHDRAW_LABEL
from ..evidence.views import receipt_download, render_receipt
from . import services
from .forms import ScopeForm, WithdrawalForm
from .models import Withdrawal


def withdraw(request):
    form = WithdrawalForm(request.POST or None)
    if request.method == "POST":
        if count_towards_limit("withdraw", client_ip(request)):
            return too_many_requests(request)
        if form.is_valid():
            context = evidence_context(request, request.path, None, WITHDRAW_LABEL, "withdraw")
            services.withdrawal_hand_over(
                email=form.cleaned_data["email"], reference=form.cleaned_data["reference"],
                scope=form.cleaned_data["scope"], context=context,
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
        context = evidence_context(request, request.path, None, WITHDRAW_LABEL, "confirm")
        services.withdrawal_confirm(withdrawal=withdrawal, context=context)
        return redirect(withdrawal)
    context = {"withdrawal": withdrawal, "submit_label": WITHDRAW_LABEL}
    return private(render(request, "agreements/confirm_withdrawal.html", context))


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
    withdrawal = services.withdrawal_record(submission=submission, scope=scope, context=context)
    return redirect(withdrawal)


def withdrawal_receipt(request, token):
    withdrawal = get_object_or_404(Withdrawal, receipt_token=token)
    requests = withdrawal.submissions.order_by("created_at")
    return render_receipt(request, "agreements/withdrawal_receipt.html", "withdrawal", withdrawal,
                          requests=requests)  # fmt: skip


def receipt_json(request, token):
    """A request's or a withdrawal's receipt as signed JSON: one address for both."""
    owner = Submission.objects.filter(receipt_token=token).first()
    return receipt_download(owner or get_object_or_404(Withdrawal, receipt_token=token))
