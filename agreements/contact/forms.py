"""The contact form, and the signed single-use token naming the versions it showed.

The form owns every check of a request: its fields, the token (genuine, fresh, its
versions still current), the honeypot and the fill time.
"""

import hashlib
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core import signing
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from ..evidence.statements import Purpose, statements
from .models import Service
from .services import FormExpired, FormForged, LooksAutomated, StaleVersions

TOKEN_SALT = "agreements.contact-form"
TOKEN_MAX_AGE = 24 * 3600


class FormTokenError(Exception):
    """The hidden token is missing, forged, tampered with or malformed."""


class FormTokenExpired(FormTokenError):
    """The token is genuine but older than TOKEN_MAX_AGE."""


def sign_form_token(versions, page, rendered_at=None):
    rendered_at = rendered_at or timezone.now()
    payload = {
        "versions": seen_versions(versions),
        "rendered_at": rendered_at.isoformat(),
        "page": page,
    }
    return signing.dumps(payload, salt=TOKEN_SALT, compress=True)


def seen_versions(versions):
    return {slug: [v.number, v.fingerprint] for slug, v in versions.items()}


@dataclass(frozen=True)
class FormToken:
    value: str
    versions: dict
    rendered_at: object
    page: str

    def matches(self, versions):
        return self.versions == seen_versions(versions)

    def filled_too_fast(self):
        elapsed = (timezone.now() - self.rendered_at).total_seconds()
        return elapsed < settings.KOMMOGEN_MIN_FILL_SECONDS

    def changed(self, versions):
        """(version now current, number the visitor saw or None) for each document that moved."""
        return [
            (version, (self.versions.get(slug) or [None])[0])
            for slug, version in versions.items()
            if self.versions.get(slug) != [version.number, version.fingerprint]
        ]

    @property
    def digest(self):
        """Stored with the submission: a token is accepted once."""
        return hashlib.sha256(self.value.encode()).hexdigest()


def _well_formed_versions(versions):
    return isinstance(versions, dict) and all(
        isinstance(slug, str)
        and isinstance(seen, list)
        and len(seen) == 2
        and isinstance(seen[0], int)
        and isinstance(seen[1], str)
        for slug, seen in versions.items()
    )


def read_form_token(value):
    """The token's content; FormTokenExpired or FormTokenError when it cannot be used.

    A payload is signed by us, but is still checked field by field: a token signed by
    an older release (or a leaked key) must be a 400, never a 500.
    """
    try:
        payload = signing.loads(value or "", salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        raise FormTokenExpired from None
    except signing.BadSignature:
        raise FormTokenError from None
    if not isinstance(payload, dict):
        raise FormTokenError
    rendered = payload.get("rendered_at")
    try:
        rendered_at = parse_datetime(rendered) if isinstance(rendered, str) else None
    except ValueError:
        rendered_at = None
    page = payload.get("page")
    if rendered_at is None or timezone.is_naive(rendered_at) or not isinstance(page, str):
        raise FormTokenError
    if not _well_formed_versions(payload.get("versions")):
        raise FormTokenError
    return FormToken(value, payload["versions"], rendered_at, safe_page(page, "/contact/"))


def safe_page(value, fallback):
    """value if it is a path of this site (what a `from` parameter may name), else fallback.

    No scheme or host, no control or invisible characters (they would reach the
    evidence), at most 200 characters, and a path the site answers to.
    """
    if not isinstance(value, str) or not value.isprintable() or len(value) > 200:
        return fallback
    if not url_has_allowed_host_and_scheme(value, allowed_hosts=None) or not value.startswith("/"):
        return fallback
    try:
        resolve(urlsplit(value).path)
    except Resolver404:
        return fallback
    return value


def single_line(value):
    """One-line fields: no line breaks or other control characters (they would forge
    headers in an email or lines in an export)."""
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise forms.ValidationError(
            _("Use a single line, without line breaks or control characters."),
            code="single_line",
        )


def plain_address(value):
    """An email address without invisible or direction-changing characters (U+202E,
    U+2028 …), which Django's validator lets through in the domain."""
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        raise forms.ValidationError(
            _("Enter an email address in the correct format, like name@example.com"),
            code="invalid",
        )


class ErrorsDescribeFields:
    """A field with an error names it in aria-describedby, so screen readers read it."""

    def _post_clean(self):
        super()._post_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-describedby"] = f"{self[name].auto_id}-error"


CONTACT_FIELDS = ("name", "email", "contact", "company", "service", "message")
CONSENT_FIELDS = {
    "accept_agreement": Purpose.AGREEMENT,
    "consent_personal_data": Purpose.PERSONAL_DATA,
    "consent_notifications": Purpose.NOTIFICATIONS,
}


class ContactForm(ErrorsDescribeFields, forms.Form):
    """The request and its consents. Besides the fields, clean() checks the hidden token:
    genuine and fresh, not sent by a bot, and naming the versions still current."""

    # Errors say what to do, field by field (GOV.UK's design system).
    name = forms.CharField(
        max_length=100, label=_("Your name"), validators=[single_line],
        error_messages={"required": _("Enter your name"),
                        "max_length": _("Name must be 100 characters or fewer")},
    )  # fmt: skip
    email = forms.EmailField(
        max_length=254, label=_("Email"), validators=[plain_address],
        error_messages={
            "required": _("Enter your email address"),
            "invalid": _("Enter an email address in the correct format, like name@example.com"),
        },
    )  # fmt: skip
    contact = forms.CharField(
        max_length=100,
        required=False,
        label=_("Phone or messenger handle (optional)"),
        validators=[single_line],
    )
    company = forms.CharField(
        max_length=200, required=False, label=_("Company (optional)"), validators=[single_line]
    )
    service = forms.ChoiceField(
        choices=[("", _("Choose a service")), *Service.choices],
        label=_("What is your request about?"),
        error_messages={
            "required": _("Choose what your request is about"),
            "invalid_choice": _("Choose what your request is about from the list"),
        },
    )
    message = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        label=_("Message"),
        error_messages={
            "required": _("Enter your message"),
            "max_length": _("Message must be 5,000 characters or fewer"),
        },
    )
    accept_agreement = forms.BooleanField(
        error_messages={"required": _("Tick the box to accept the User Agreement")}
    )
    consent_personal_data = forms.BooleanField(
        error_messages={
            "required": _(
                "Tick the box to give your consent to the processing of your personal data: "
                "we need it to answer you"
            )
        }
    )
    consent_notifications = forms.BooleanField(required=False)
    # A field people never see: bots fill it in.
    website = forms.CharField(required=False, label=_("Leave this field empty"))
    form_token = forms.CharField(widget=forms.HiddenInput, required=False)

    # How the form refuses a request that is not the visitor's own mistake in a field.
    EXPIRED, FORGED, AUTOMATED, STALE = "expired", "forged", "automated", "stale"

    def __init__(self, *args, versions, **kwargs):
        super().__init__(*args, **kwargs)
        self.versions = versions
        self.token = None
        self.statements = statements(versions)
        for field, purpose in CONSENT_FIELDS.items():
            self.fields[field].label = self.statements[purpose].label_html
        for field in ("name", "email", "contact", "company", "message"):
            self.fields[field].widget.attrs.setdefault(
                "autocomplete", AUTOCOMPLETE.get(field, "on")
            )

    @classmethod
    def blank(cls, versions, page):
        return cls(initial={"form_token": sign_form_token(versions, page)}, versions=versions)

    @classmethod
    def shown_again(cls, data, versions, page):
        """The visitor's own values, the consent boxes unticked, a fresh token, no errors."""
        initial = {field: data.get(field, "") for field in CONTACT_FIELDS}
        initial["form_token"] = sign_form_token(versions, page)
        return cls(initial=initial, versions=versions)

    def clean_form_token(self):
        try:
            self.token = read_form_token(self.cleaned_data["form_token"])
        except FormTokenExpired:
            raise forms.ValidationError("The form expired.", code=self.EXPIRED) from None
        except FormTokenError:
            raise forms.ValidationError("The form was changed.", code=self.FORGED) from None
        return self.token

    def clean_website(self):
        if self.cleaned_data["website"]:
            raise forms.ValidationError("Looks automated.", code=self.AUTOMATED)
        return ""

    def clean(self):
        cleaned = super().clean()
        if self.token and self.token.filled_too_fast():
            raise forms.ValidationError("Sent too fast.", code=self.AUTOMATED)
        if self.token and not self.token.matches(self.versions):
            raise forms.ValidationError("The documents changed.", code=self.STALE)
        return cleaned

    def validated(self):
        """True when the form is valid; False for the visitor's mistakes in fields (shown
        under them); otherwise raises the refusal of the request as a whole."""
        if self.is_valid():
            return True
        for code, refusal in ((self.FORGED, FormForged), (self.EXPIRED, FormExpired),
                              (self.AUTOMATED, LooksAutomated), (self.STALE, None)):  # fmt: skip
            if any(self.has_error(field, code) for field in REFUSING_FIELDS):
                raise refusal() if refusal else StaleVersions(self.versions)
        return False

    def page(self, fallback):
        return self.token.page if self.token else fallback

    def fields_typed(self):
        return {key: self.cleaned_data[key] for key in CONTACT_FIELDS}

    def consents(self):
        return {purpose: bool(self.cleaned_data[f]) for f, purpose in CONSENT_FIELDS.items()}


# Where the form puts the errors that refuse a request as a whole.
REFUSING_FIELDS = ("form_token", "website", forms.forms.NON_FIELD_ERRORS)
AUTOCOMPLETE = {"name": "name", "email": "email", "contact": "tel", "company": "organization"}
