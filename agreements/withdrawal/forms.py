"""The withdrawal form: the email or the request's reference, and which consent."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from ..contact.forms import ErrorsDescribeFields, plain_address
from .models import Withdrawal

REFERENCE = re.compile(r"KG-[A-Z0-9]{10}")


class WithdrawalForm(ErrorsDescribeFields, forms.Form):
    """Errors say what to do, field by field, as the contact form's do."""

    email = forms.EmailField(
        max_length=254, required=False, label=_("The email you gave us"),
        validators=[plain_address],
        error_messages={
            "invalid": _("Enter an email address in the correct format, like name@example.com")
        },
    )  # fmt: skip
    reference = forms.CharField(
        max_length=16, required=False, label=_("Or the reference of your request (KG-…)"),
        error_messages={"max_length": _("Enter the reference as it is on your receipt")},
    )  # fmt: skip
    scope = forms.ChoiceField(
        choices=Withdrawal.Scope.choices,
        widget=forms.RadioSelect,
        label=_("Which consent to withdraw"),
        error_messages={
            "required": _("Choose which consent to withdraw"),
            "invalid_choice": _("Choose which consent to withdraw"),
        },
    )

    def clean_reference(self):
        reference = self.cleaned_data["reference"].strip().upper()
        if reference and not REFERENCE.fullmatch(reference):
            raise forms.ValidationError(_("Enter the reference as it is on your receipt"))
        return reference

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("email") and not cleaned.get("reference"):
            raise forms.ValidationError(_("Give the email you used, or your request's reference."))
        return cleaned


class ScopeForm(forms.Form):
    """Which consent to withdraw, from a receipt's private page."""

    scope = forms.ChoiceField(choices=Withdrawal.Scope.choices, widget=forms.RadioSelect)
