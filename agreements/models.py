"""Documents, their versions, submissions and acceptance events: the invariants live here.

A published version is frozen (source, HTML, fingerprint); see migrations for the
database triggers that refuse any change to it, whatever the path.
"""

import hashlib
import secrets
import unicodedata
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from . import caching
from .rendering import normalise_source, render_markdown


class PublishedVersionIsImmutable(Exception):
    """Raised when code tries to change or delete a published version."""


class Document(models.Model):
    AGREEMENT = "agreement"
    PRIVACY = "privacy"
    CONSENT = "consent"
    SLUGS = [
        (AGREEMENT, "User Agreement (public offer)"),
        (PRIVACY, "Privacy Policy"),
        (CONSENT, "Consent to the processing of personal data"),
    ]

    slug = models.SlugField(
        unique=True,
        choices=SLUGS,
        help_text="The document's public address: /agreement/, /privacy/ or /consent/.",
    )
    title = models.CharField(max_length=200, help_text="The document's name as visitors see it.")

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("document_current", kwargs={"document": self.slug})


class VersionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(number__isnull=False)

    def drafts(self):
        return self.filter(number__isnull=True)

    def not_cancelled(self):
        return self.published().filter(cancellation__isnull=True)

    def in_effect(self, at=None):
        return self.not_cancelled().filter(effective_at__lte=at or timezone.now())

    def scheduled(self, at=None):
        return self.not_cancelled().filter(effective_at__gt=at or timezone.now())

    def current(self, at=None):
        """The latest published version whose effective time has come, or None."""
        return self.in_effect(at).order_by("-number").first()

    def update(self, **kwargs):
        if self.published().exists():
            raise PublishedVersionIsImmutable("Published versions cannot be updated.")
        return super().update(**kwargs)

    update.queryset_only = True

    def delete(self):
        if self.published().exists():
            raise PublishedVersionIsImmutable("Published versions cannot be deleted.")
        return super().delete()

    delete.queryset_only = True


def fingerprint_of(source):
    """SHA-256 (hex) of the exact UTF-8 bytes served as the raw Markdown download."""
    return hashlib.sha256(normalise_source(source).encode("utf-8")).hexdigest()


def review_fingerprint(version):
    """What the publisher reviewed: the title and the text. Publishing checks it again."""
    reviewed = f"{version.title}\n{normalise_source(version.source)}"
    return hashlib.sha256(reviewed.encode()).hexdigest()


class Version(models.Model):
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="Given at publication: 1, 2, 3… per document, never reused. Empty for a draft.",
    )
    title = models.CharField(max_length=200, help_text="The title shown above the text.")
    source = models.TextField(
        help_text="The text in Markdown. Number clauses as “1.1.” at the start of a "
        "paragraph and sections as “## 1. Title” so that each gets a permanent link."
    )
    summary = models.TextField(
        blank=True, help_text="What changed compared with the previous version, in plain words."
    )
    html = models.TextField(blank=True, editable=False)
    toc_html = models.TextField(blank=True, editable=False)
    fingerprint = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="SHA-256 of the Markdown text, frozen at publication.",
    )
    # Nullable and without a default, so that adding it altered the table in place (a
    # rebuilt SQLite table would lose its triggers); empty for versions published before.
    html_fingerprint = models.CharField(  # noqa: DJ001 (null: see above)
        max_length=64,
        null=True,
        blank=True,
        editable=False,
        help_text="SHA-256 of the rendered HTML readers see, frozen at publication.",
    )
    effective_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When this version takes effect; the current version is the latest "
        "published version whose effective time has come.",
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VersionQuerySet.as_manager()

    class Meta:
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="version_number_unique_per_document"
            ),
            models.CheckConstraint(
                condition=models.Q(number__isnull=True)
                | (
                    models.Q(effective_at__isnull=False, published_at__isnull=False)
                    & ~models.Q(fingerprint="")
                ),
                name="published_version_is_complete",
            ),
        ]
        permissions = [("publish_version", "Can publish a version")]

    def __str__(self):
        if self.is_published:
            return f"{self.document} v{self.number}"
        return f"{self.document} draft #{self.pk}"

    def save(self, *args, **kwargs):
        if self.is_published:
            raise PublishedVersionIsImmutable(f"{self} is published and cannot be changed.")
        if self.pk and Version.objects.filter(pk=self.pk, number__isnull=False).exists():
            raise PublishedVersionIsImmutable(f"Version #{self.pk} is published.")
        # Drafts keep a rendering too, so previews only read, like public pages.
        self.source = normalise_source(self.source)
        rendered = render_markdown(self.source)
        self.html, self.toc_html = rendered.html, rendered.toc_html
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        if not self.is_published:
            return reverse("document_draft", kwargs={"document": self.document.slug, "pk": self.pk})
        return reverse(
            "document_version", kwargs={"document": self.document.slug, "number": self.number}
        )

    def delete(self, *args, **kwargs):
        if self.is_published or Version.objects.filter(pk=self.pk, number__isnull=False).exists():
            raise PublishedVersionIsImmutable(f"{self} is published and cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_published(self):
        return self.number is not None

    def is_in_effect(self, at=None):
        if not self.is_published or self.is_cancelled:
            return False
        return self.effective_at <= (at or timezone.now())

    @property
    def is_cancelled(self):
        return self.is_published and hasattr(self, "cancellation")

    def get_raw_url(self):
        return reverse(
            "document_version_raw",
            kwargs={"document": self.document.slug, "number": self.number},
        )

    def clean(self):
        if "\x00" in self.source:
            raise ValidationError({"source": "The text contains a NUL character."})

    def publish(self, *, effective_at=None, summary=None):
        """Freeze this draft as the document's next numbered version.

        effective_at: now (default) or a later moment; never in the past, and never
        before the previous version's, so that numbers and effect keep one order.
        """
        now = timezone.now()
        effective_at = effective_at or now
        if effective_at < now - timedelta(seconds=1):
            raise ValidationError("A version cannot take effect in the past.")
        with transaction.atomic():
            Document.objects.select_for_update().get(pk=self.document_id)
            draft = Version.objects.select_for_update().get(pk=self.pk)
            if draft.is_published:
                raise PublishedVersionIsImmutable(f"{draft} is already published.")
            summary = draft.summary if summary is None else summary
            versions = Version.objects.filter(document_id=draft.document_id)
            number = next_number(versions)
            previous = versions.not_cancelled().order_by("-number").first()
            source = normalise_source(draft.source)
            fingerprint = fingerprint_of(source)
            if previous and previous.fingerprint == fingerprint:
                raise ValidationError(
                    f"The text is identical to {previous}; there is nothing to publish."
                )
            if previous and effective_at < previous.effective_at:
                raise ValidationError(
                    f"{previous} takes effect at {previous.effective_at:%Y-%m-%d %H:%M} UTC; "
                    "a later version cannot take effect before it."
                )
            rendered = render_markdown(source)
            Version.objects.filter(pk=draft.pk, number__isnull=True).update(
                number=number,
                source=source,
                summary=summary,
                fingerprint=fingerprint,
                html_fingerprint=hashlib.sha256(rendered.html.encode()).hexdigest(),
                html=rendered.html,
                toc_html=rendered.toc_html,
                effective_at=effective_at,
                published_at=now,
            )
        self.refresh_from_db()
        caching.forget()  # this process shows it at once; others within a second
        return self

    def cancel(self, *, by, reason=""):
        """Withdraw a scheduled version before it takes effect. Its number stays used,
        its page says it was cancelled, and the Cancellation row records who and when."""
        with transaction.atomic():
            Document.objects.select_for_update().get(pk=self.document_id)
            version = Version.objects.select_related("cancellation").get(pk=self.pk)
            if not version.is_published:
                raise ValidationError("A draft is not scheduled; delete it instead.")
            if version.is_cancelled:
                raise ValidationError(f"{version} is already cancelled.")
            if version.effective_at <= timezone.now():
                raise ValidationError(f"{version} has taken effect; it can no longer be cancelled.")
            cancellation = Cancellation.objects.create(
                version=version, cancelled_at=timezone.now(), cancelled_by=by, reason=reason
            )
        caching.forget()
        return cancellation

    def new_draft(self):
        """A draft of the same document starting from this version's text."""
        return Version.objects.create(
            document=self.document, title=self.title, source=self.source, summary=""
        )


def next_number(versions):
    """The number the next publication of a document gets: numbers are never reused,
    not even a cancelled version's."""
    latest = versions.published().aggregate(models.Max("number"))["number__max"]
    return (latest or 0) + 1


class Cancellation(models.Model):
    """A scheduled version withdrawn before it took effect (append-only, like events)."""

    version = models.OneToOneField(Version, on_delete=models.PROTECT, related_name="cancellation")
    cancelled_at = models.DateTimeField()
    cancelled_by = models.CharField(max_length=150, help_text="Who cancelled it.")
    reason = models.TextField(blank=True, help_text="Why, in plain words.")

    def __str__(self):
        return f"{self.version} cancelled by {self.cancelled_by}"


class ContentLoad(models.Model):
    """A version published by the content loader from a file of content/.

    The loader publishes a changed file only over a version it published itself, so a
    deploy never undoes a version the operator published in admin.
    """

    version = models.OneToOneField(Version, on_delete=models.PROTECT, related_name="content_load")
    file_name = models.CharField(max_length=200)
    loaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.version} from {self.file_name}"


SERVICES = [
    ("implementation", "Kommo CRM implementation and configuration"),
    ("audit", "CRM audit"),
    ("support", "Technical support and system maintenance"),
    ("licenses", "Sale and renewal of Kommo licences"),
    ("development", "Widgets, modules, integrations and custom software"),
    ("consulting", "Analytical and consulting services"),
    ("other", "Something else"),
]


def normalise_email(value):
    """The one normalisation of an email address, used in digests, withdrawals and erasure
    (and in the recipe on /evidence/): trimmed, Unicode NFC, case-folded, and the domain
    in its ASCII (IDNA) form, so zoe@Ärzte.de and ZOE@xn--rzte-koa.de are one address."""
    value = unicodedata.normalize("NFC", (value or "").strip()).casefold()
    local, at, domain = value.rpartition("@")
    if not at:
        return value
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        pass  # not a valid international domain: keep it as typed, folded
    return f"{local}@{domain}"


def new_reference():
    # Short, readable, without look-alike characters: quoted on the phone or in an email.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "KG-" + "".join(secrets.choice(alphabet) for _ in range(10))


def new_receipt_token():
    return secrets.token_urlsafe(32)


def new_salt():
    return secrets.token_hex(16)


class Submission(models.Model):
    """One contact-form request with what the visitor typed (erasable on request)."""

    reference = models.CharField(max_length=16, unique=True, default=new_reference)
    receipt_token = models.CharField(max_length=64, unique=True, default=new_receipt_token)
    salt = models.CharField(
        max_length=32,
        default=new_salt,
        help_text="Random salt of the personal-data digests in the evidence chain. Kept after "
        "erasure, so that an email presented later can still be matched.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=254, blank=True, db_index=True)
    email_key = models.CharField(
        max_length=254,
        blank=True,
        db_index=True,
        editable=False,
        help_text="The email as normalise_email() gives it: how withdrawals and erasure match.",
    )
    contact = models.CharField("phone or messenger", max_length=100, blank=True)
    company = models.CharField(max_length=200, blank=True)
    service = models.CharField(max_length=20, choices=SERVICES)
    message = models.TextField(max_length=5000, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    language = models.CharField(max_length=35, blank=True)
    notifications_consent = models.BooleanField(default=False)
    notification_sent_at = models.DateTimeField(null=True, blank=True)
    notification_error = models.TextField(blank=True)
    form_token_digest = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="SHA-256 of the form's token: a form is sent once.",
    )
    erased_at = models.DateTimeField(
        null=True, blank=True, help_text="When the personal data was erased on request."
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.reference

    def save(self, *args, **kwargs):
        self.email_key = normalise_email(self.email)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("receipt", kwargs={"token": self.receipt_token})


class Withdrawal(models.Model):
    """A visitor withdrew a consent; the operator must act within the statutory deadlines."""

    PERSONAL_DATA = "personal_data"
    NOTIFICATIONS = "notifications"
    SCOPES = [
        (PERSONAL_DATA, "Consent to the processing of personal data"),
        (NOTIFICATIONS, "Consent to informational notifications only"),
    ]

    reference = models.CharField(max_length=16, unique=True, default=new_reference)
    receipt_token = models.CharField(max_length=64, unique=True, default=new_receipt_token)
    salt = models.CharField(max_length=32, default=new_salt)
    created_at = models.DateTimeField(default=timezone.now)
    email = models.EmailField(max_length=254, blank=True)
    email_key = models.CharField(max_length=254, blank=True, db_index=True, editable=False)
    submission_reference = models.CharField(max_length=16, blank=True)
    scope = models.CharField(max_length=20, choices=SCOPES)
    submissions = models.ManyToManyField(Submission, blank=True, related_name="withdrawals")
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    notification_sent_at = models.DateTimeField(null=True, blank=True)
    notification_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.reference} ({self.get_scope_display()})"

    def save(self, *args, **kwargs):
        self.email_key = normalise_email(self.email)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("withdrawal_receipt", kwargs={"token": self.receipt_token})

    @property
    def acknowledge_by(self):
        """Vietnam (Decree 356/2025): acknowledge within 2 working days."""
        return add_working_days(self.created_at, 2)

    @property
    def complete_by(self):
        """Vietnam: complete within 15 days; Russia (152-FZ): within 30. The stricter wins."""
        return self.created_at + timedelta(days=15)

    @property
    def complete_by_russia(self):
        return self.created_at + timedelta(days=30)

    def is_overdue(self, at=None):
        at = at or timezone.now()
        late_ack = self.acknowledged_at is None and at > self.acknowledge_by
        return late_ack or (self.completed_at is None and at > self.complete_by)


def add_working_days(moment, days):
    while days:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment


class AcceptanceEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Acceptance events are append-only.")

    update.queryset_only = True

    def delete(self):
        raise PermissionError("Acceptance events are append-only.")

    delete.queryset_only = True


class AcceptanceEvent(models.Model):
    """One link of the evidence chain; see agreements/evidence.py for its hash."""

    ACCEPTED = "accepted"
    CONSENT_GIVEN = "consent_given"
    CONSENT_REFUSED = "consent_refused"
    WITHDRAWN = "withdrawn"
    ERASED = "erased"
    KINDS = [
        (ACCEPTED, "accepted"),
        (CONSENT_GIVEN, "consent given"),
        (CONSENT_REFUSED, "consent refused"),
        (WITHDRAWN, "consent withdrawn"),
        (ERASED, "personal data erased"),
    ]
    PURPOSE_AGREEMENT = "agreement"
    PURPOSE_PERSONAL_DATA = "personal_data"
    PURPOSE_NOTIFICATIONS = "notifications"
    PURPOSES = [
        (PURPOSE_AGREEMENT, "User Agreement"),
        (PURPOSE_PERSONAL_DATA, "processing of personal data"),
        (PURPOSE_NOTIFICATIONS, "informational notifications"),
    ]

    position = models.PositiveBigIntegerField(unique=True, editable=False)
    previous_hash = models.CharField(max_length=64, unique=True, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)
    recorded_at = models.DateTimeField(editable=False)
    kind = models.CharField(max_length=20, choices=KINDS)
    purpose = models.CharField(max_length=20, choices=PURPOSES)
    version = models.ForeignKey(
        Version, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    fingerprint = models.CharField(max_length=64, blank=True)
    statement = models.TextField(blank=True, help_text="The exact wording shown to the visitor.")
    submit_label = models.CharField(max_length=200, blank=True)
    form_rendered_at = models.DateTimeField(null=True, blank=True)
    form_name = models.CharField(max_length=50, blank=True)
    page = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=35, blank=True)
    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    withdrawal = models.ForeignKey(
        Withdrawal, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    reference = models.CharField(max_length=16, help_text="The submission's or withdrawal's.")
    subject_salt = models.CharField(max_length=32)
    subject_digests = models.JSONField(
        default=dict, help_text="A keyed digest of each personal field, in place of the data."
    )
    # Added later: nullable without defaults, so the table was altered in place and kept
    # its triggers. Empty on events recorded before (record format 1).
    record_format = models.PositiveSmallIntegerField(
        null=True, blank=True, editable=False, help_text="2 for events with the fields below."
    )
    texts = models.JSONField(
        null=True,
        blank=True,
        help_text="Every text the statement linked to: document, version, fingerprints.",
    )
    subject_key_id = models.CharField(  # noqa: DJ001 (null: see above)
        max_length=16,
        null=True,
        blank=True,
        help_text="Which evidence key made the digests (HMAC-SHA-256); empty: salted SHA-256.",
    )

    objects = AcceptanceEventQuerySet.as_manager()

    class Meta:
        ordering = ["position"]

    def __str__(self):
        return f"#{self.position} {self.get_kind_display()} ({self.get_purpose_display()})"

    def save(self, *args, **kwargs):
        if self.pk:
            raise PermissionError("Acceptance events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Acceptance events are append-only.")


class ChainVerification(models.Model):
    """One run of verify_evidence over the whole chain, kept so that admin pages show
    when the chain was last verified and the result without re-verifying it."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    ok = models.BooleanField()
    count = models.PositiveBigIntegerField()
    head_hash = models.CharField(max_length=64)
    broken_position = models.PositiveBigIntegerField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-finished_at"]
        get_latest_by = "finished_at"

    def __str__(self):
        if self.ok:
            return f"OK: {self.count} events, head hash {self.head_hash}"
        return f"BROKEN at position {self.broken_position}: {self.reason}"


class RateCounter(models.Model):
    """Form submissions from one client IP in one time window: incremented in the
    database, atomically, so every worker and server sharing it sees one count."""

    key = models.CharField(max_length=120)  # "contact:203.0.113.9"
    window = models.BigIntegerField()  # the window's number since the epoch
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window"], name="rate_counter_unique")
        ]

    def __str__(self):
        return f"{self.key} in window {self.window}: {self.count}"

    @classmethod
    def hit(cls, key, window):
        """Count one more request; the count including it."""
        with transaction.atomic():
            counter, created = cls.objects.get_or_create(key=key, window=window)
            if created:
                cls.objects.filter(window__lt=window - 1).delete()  # old windows
            cls.objects.filter(pk=counter.pk).update(count=models.F("count") + 1)
            counter.refresh_from_db(fields=["count"])
        return counter.count
