"""The "my data" page's forms: the address a link is sent to, and a correction."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..contact.forms import ErrorsDescribeFields, plain_address, single_line
from .services import CORRECTABLE


class MyDataForm(ErrorsDescribeFields, forms.Form):
    email = forms.EmailField(
        max_length=254, label=_("The email you gave us"), validators=[plain_address],
        error_messages={
            "required": _("Enter the email address you gave us"),
            "invalid": _("Enter an email address in the correct format, like name@example.com"),
        },
    )  # fmt: skip


FIELD_LABELS = {"name": _("Your name"), "contact": _("Phone or messenger handle"),
                "company": _("Company")}  # fmt: skip


class CorrectionForm(ErrorsDescribeFields, forms.Form):
    reference = forms.CharField(max_length=16, widget=forms.HiddenInput)
    field = forms.ChoiceField(
        choices=[(name, FIELD_LABELS[name]) for name in CORRECTABLE],
        label=_("What to correct"),
        error_messages={"required": _("Choose what to correct"),
                        "invalid_choice": _("Choose what to correct")},
    )  # fmt: skip
    value = forms.CharField(
        max_length=100, required=False, label=_("The right value"), validators=[single_line],
        error_messages={"max_length": _("Write 100 characters or fewer")},
    )  # fmt: skip
