"""Withdrawing a consent, as easily as it was given."""

from django.shortcuts import redirect, render

from ..contact.clients import evidence_context, over_rate_limit, too_many_requests
from ..evidence import recording
from ..evidence.statements import WITHDRAW_LABEL, withdrawal_statement
from .forms import WithdrawalForm


def withdraw(request):
    form = WithdrawalForm(request.POST or None)
    if request.method == "POST":
        if over_rate_limit(request, "withdraw"):
            return too_many_requests(request)
        if form.is_valid():
            context = evidence_context(request, request.path, None, WITHDRAW_LABEL, "withdraw")
            withdrawal = recording.record_withdrawal(
                form.cleaned_data["email"],
                form.cleaned_data["reference"],
                form.cleaned_data["scope"],
                withdrawal_statement(form.cleaned_data["scope"]),
                context,
            )
            return redirect(withdrawal)
    status = 400 if form.is_bound else 200
    context = {"form": form, "submit_label": WITHDRAW_LABEL}
    return render(request, "agreements/withdraw.html", context, status=status)
