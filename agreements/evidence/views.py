"""Receipts (a request's or a withdrawal's private page, and its JSON) and the public
page that says what the evidence proves and how to check it."""

from functools import lru_cache

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from ..contact.models import Submission
from ..withdrawal.models import Withdrawal
from . import chain


def render_receipt(request, template, name, owner):
    """A receipt's private page: never indexed, its address never sent on as a referrer."""
    context = {name: owner, "events": chain.events_of(owner)}
    response = render(request, template, context)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


def receipt(request, token):
    submission = get_object_or_404(Submission, receipt_token=token)
    return render_receipt(request, "agreements/receipt.html", "submission", submission)


def receipt_json(request, token):
    owner = Submission.objects.filter(receipt_token=token).first()
    owner = owner or get_object_or_404(Withdrawal, receipt_token=token)
    body = chain.canonical(chain.receipt_body(owner))
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'inline; filename="{owner.reference}.json"'
    response["X-Robots-Tag"] = "noindex"
    return response


def withdrawal_receipt(request, token):
    withdrawal = get_object_or_404(Withdrawal, receipt_token=token)
    return render_receipt(request, "agreements/withdrawal_receipt.html", "withdrawal", withdrawal)


@lru_cache(maxsize=1)
def receipt_checker():
    """The program /evidence/ shows and offers: one file, Python's standard library only."""
    return (settings.BASE_DIR / "static" / "evidence" / "check_receipt.py").read_text("utf-8")


def evidence_page(request):
    return render(request, "agreements/evidence.html", {"recipe": receipt_checker()})
