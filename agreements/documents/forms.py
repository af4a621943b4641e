"""The operator's forms in admin: publishing a draft and cancelling a scheduled version."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

FAR_AHEAD = timedelta(days=365)


class PublishForm(forms.Form):
    """The operator's confirmation: when the version takes effect and what changed."""

    NOW, SCHEDULED = "now", "scheduled"
    when = forms.ChoiceField(
        label=_("Takes effect"),
        choices=[(NOW, _("Now, on publication")), (SCHEDULED, _("At a later date and time"))],
        initial=NOW,
        widget=forms.RadioSelect,
    )
    effective_at = forms.DateTimeField(
        label=_("Date and time"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=format_lazy(
            _("In the operator's time zone ({zone})."), zone=settings.OPERATOR_TIME_ZONE
        ),
    )
    summary = forms.CharField(
        label=_("Summary of changes"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown on the version history, in the feed and on the redline page."),
    )
    material = forms.BooleanField(
        required=False,
        label=_("This is a material change"),
        help_text=format_lazy(
            _("It takes effect no sooner than {days} days after publication (then, if you "
              "choose “now”); everyone who accepted an earlier version is told, and asked to "
              "accept this one."), days=settings.KOMMOGEN_NOTICE_DAYS,
        ),
    )  # fmt: skip
    reviewed_fingerprint = forms.CharField(widget=forms.HiddenInput)
    far_ahead_confirmed = forms.BooleanField(
        required=False,
        label=_("Yes, this version takes effect more than a year from now"),
        help_text=_(
            "Asked for dates more than a year ahead: a version scheduled by mistake "
            "holds back every later one until it is cancelled."
        ),
    )

    def clean_effective_at(self):
        value = self.cleaned_data.get("effective_at")
        if value is None:
            return None
        # The browser sends a wall-clock time; it is the operator's, not UTC.
        zone = ZoneInfo(settings.OPERATOR_TIME_ZONE)
        return timezone.make_aware(timezone.make_naive(value), zone)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("when") == self.SCHEDULED:
            effective_at = cleaned.get("effective_at")
            if effective_at is None and "effective_at" not in self.errors:
                self.add_error(
                    "effective_at", _("Pick the date and time the version takes effect.")
                )
            elif effective_at is not None and effective_at <= timezone.now():
                self.add_error("effective_at", _("This moment has passed; pick a later one."))
            elif (
                effective_at is not None
                and effective_at > timezone.now() + FAR_AHEAD
                and not cleaned.get("far_ahead_confirmed")
            ):
                self.add_error(
                    "effective_at",
                    _(
                        "{date} is more than a year from now. Check the year, and tick the "
                        "confirmation below if it is right."
                    ).format(date=f"{effective_at:%Y-%m-%d}"),
                )
        return cleaned

    def effective_moment(self):
        """None means now."""
        if self.cleaned_data["when"] == self.SCHEDULED:
            return self.cleaned_data["effective_at"]
        return None


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it cancelled?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept with the cancellation and in the admin log."),
    )
