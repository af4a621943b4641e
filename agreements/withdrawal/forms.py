"""The withdrawal form: the email or the request's reference, and which consent."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..contact.forms import ErrorsDescribeFields, plain_address
from .models import Withdrawal


class WithdrawalForm(ErrorsDescribeFields, forms.Form):
    email = forms.EmailField(
        max_length=254, required=False, label=_("The email you gave us"),
        validators=[plain_address],
    )  # fmt: skip
    reference = forms.CharField(
        max_length=16, required=False, label=_("Or the reference of your request (KG-…)")
    )
    scope = forms.ChoiceField(
        choices=Withdrawal.Scope.choices,
        widget=forms.RadioSelect,
        label=_("Which consent to withdraw"),
    )

    def clean_reference(self):
        return self.cleaned_data["reference"].strip().upper()

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("email") and not cleaned.get("reference"):
            raise forms.ValidationError(_("Give the email you used, or your request's reference."))
        return cleaned


class ScopeForm(forms.Form):
    """Which consent to withdraw, from a receipt's private page."""

    scope = forms.ChoiceField(choices=Withdrawal.Scope.choices, widget=forms.RadioSelect)
