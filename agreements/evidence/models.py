"""The evidence chain's records: acceptance events (append-only, hashed in chain order)
and the results of verifying the whole chain."""

from django.db import models
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from ..documents.models import Document


class AppendOnlyViolation(Exception):
    """Code tried to change or delete an acceptance event (the database refuses it too)."""


class AppendOnlyQuerySet(models.QuerySet):
    """Rows that are never changed or deleted in bulk either (the database refuses it
    too, by triggers): refusal names them."""

    refusal = "These rows are append-only."

    def update(self, **kwargs):
        raise AppendOnlyViolation(self.refusal)

    update.queryset_only = True

    def delete(self):
        raise AppendOnlyViolation(self.refusal)

    delete.queryset_only = True


class AcceptanceEventQuerySet(AppendOnlyQuerySet):
    refusal = "Acceptance events are append-only."


class AcceptanceEvent(models.Model):
    """One link of the evidence chain; see agreements/evidence/chain.py for its hash."""

    class Kind(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        CONSENT_GIVEN = "consent_given", _("consent given")
        CONSENT_REFUSED = "consent_refused", _("consent refused")
        WITHDRAWN = "withdrawn", _("consent withdrawn")
        ERASED = "erased", _("personal data erased")
        CONFIRMED = "confirmed", _("consent confirmed (by the link in an email)")
        NOTIFIED = "notified", _("notice of a new version sent")
        ACCESSED = "accessed", _("the person saw their data (the “my data” page)")
        EXPORTED = "exported", _("the person downloaded their data")
        CORRECTED = "corrected", _("a field corrected at the person's request")
        DECLINED = "declined", _("a new version declined")

    class Purpose(models.TextChoices):
        AGREEMENT = "agreement", _("User Agreement")
        PERSONAL_DATA = "personal_data", _("processing of personal data")
        NOTIFICATIONS = "notifications", _("informational notifications")

    position = models.PositiveBigIntegerField(unique=True, editable=False)
    previous_hash = models.CharField(max_length=64, unique=True, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)
    recorded_at = models.DateTimeField(editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    version = models.ForeignKey(
        "agreements.Version", on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    fingerprint = models.CharField(max_length=64, blank=True)
    statement = models.TextField(blank=True, help_text="The exact wording shown to the visitor.")
    submit_label = models.CharField(max_length=200, blank=True)
    form_rendered_at = models.DateTimeField(null=True, blank=True)
    form_name = models.CharField(max_length=50, blank=True)
    page = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=35, blank=True)
    submission = models.ForeignKey(
        "agreements.Submission",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
    )
    withdrawal = models.ForeignKey(
        "agreements.Withdrawal",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
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
    applies_to = models.JSONField(
        null=True,
        blank=True,
        help_text="A withdrawal's: the references of the requests it applies to.",
    )
    form_snapshot = models.CharField(  # noqa: DJ001 (null: added in place, as above)
        max_length=64, null=True, blank=True,
        help_text="The fingerprint of the form as shown (FormSnapshot); empty before them.",
    )  # fmt: skip
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
            raise AppendOnlyViolation("Acceptance events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyViolation("Acceptance events are append-only.")

    @property
    def shown_text(self):
        """The record's entry for the event's own version: its language and, for a
        translation, the English version it translates."""
        for text in self.texts or []:
            if self.version and text["document"] == self.version.document.slug:
                return text
        return None

    @property
    def texts_beside(self):
        """The other texts the statement linked to (the Privacy Policy beside the consent):
        (title, number, address, record entry) each, from the event's own record."""
        beside = []
        for text in self.texts or []:
            if self.version and text["document"] == self.version.document.slug:
                continue
            with translation.override(text["language"]):
                kwargs = {"document": text["document"], "number": text["version"]}
                url = reverse("document_version", kwargs=kwargs)
            beside.append((Document.Slug(text["document"]).label, text["version"], url, text))
        return beside


class Cosignature(models.Model):
    """A witness's cosignature of a checkpoint (C2SP tlog-cosignature): its note signature
    line, as the witness returned it (agreements/evidence/witnesses.py). Never changed."""

    checkpoint = models.ForeignKey("Checkpoint", on_delete=models.PROTECT,
                                   related_name="cosignatures")  # fmt: skip
    witness = models.CharField(max_length=200)
    line = models.TextField(help_text="— <witness name> base64(key ID || timestamp || sig)")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["checkpoint", "witness"],
                                               name="one_cosignature_per_witness")]  # fmt: skip

    def __str__(self):
        return f"{self.witness} on checkpoint {self.checkpoint_id}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise AppendOnlyViolation("Cosignatures are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyViolation("Cosignatures are append-only.")


class FormSnapshot(models.Model):
    """The contact form exactly as a visitor's browser received it (its tokens' values
    taken out), once for each set of texts, wordings and language: the events made from
    it name its fingerprint. Public at /evidence/forms/<fingerprint>.html; never changed."""

    fingerprint = models.CharField(max_length=64, unique=True, help_text="SHA-256 of html.")
    html = models.TextField()
    language = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    def __str__(self):
        return f"form {self.fingerprint[:12]} ({self.language})"

    def save(self, *args, **kwargs):
        if self.pk:
            raise AppendOnlyViolation("Form snapshots are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyViolation("Form snapshots are append-only.")


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
        if self.broken_position is None:
            return f"BROKEN: {self.reason}"
        return f"BROKEN at position {self.broken_position}: {self.reason}"


class MerkleNode(models.Model):
    """A complete subtree of the Merkle tree over the events (agreements/evidence/
    merkle.py): the hash of 2**level leaves from leaf index * 2**level. A function of
    the chain: stored so that roots and proofs read a few nodes, never the whole chain."""

    level = models.PositiveSmallIntegerField()
    index = models.PositiveBigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "index"], name="merkle_node_unique")
        ]

    def __str__(self):
        return f"node {self.level}/{self.index}"


class CheckpointQuerySet(AppendOnlyQuerySet):
    refusal = "Checkpoints are append-only."


class Checkpoint(models.Model):
    """A signed statement of the tree's size and root (agreements/evidence/checkpoints.py):
    the C2SP checkpoint as published, append-only, each naming the one before."""

    tree_size = models.PositiveBigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)  # hex; the note has it in base64
    note = models.TextField()  # the signed note, byte for byte as published
    previous_note_hash = models.CharField(max_length=64, blank=True)  # "" for the first
    made_at = models.DateTimeField()
    # RFC 3161 TimeStampResp (DER) over the note, when KOMMOGEN_TSA_URL is set.
    timestamp = models.BinaryField(null=True, blank=True)

    objects = CheckpointQuerySet.as_manager()

    class Meta:
        ordering = ["tree_size"]
        get_latest_by = "tree_size"

    def __str__(self):
        return f"checkpoint {self.tree_size}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise AppendOnlyViolation("Checkpoints are append-only.")
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("checkpoint", kwargs={"size": self.tree_size})

    def delete(self, *args, **kwargs):
        raise AppendOnlyViolation("Checkpoints are append-only.")
