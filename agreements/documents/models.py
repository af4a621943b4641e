"""Documents and their versions: drafts, publication, cancellation, and what the content
loader published. A published version is frozen (text, HTML, fingerprints); database
triggers (migrations 0002 and 0006) refuse any change to it, whatever the path."""

import functools
import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from .placeholders import filled
from .rendering import normalise_source, render_markdown

# English is the original of every text; the documents' languages are the site's
# (settings.LANGUAGES, the one list).
ENGLISH = "en"
# A version's texts: the Markdown and its renderings (large; deferred where not shown).
TEXT_FIELDS = ("source", "html", "toc_html")


class PublishedVersionIsImmutable(Exception):
    """Raised when code tries to change or delete a published version."""


class Document(models.Model):
    class Slug(models.TextChoices):
        """The documents, their public addresses and their names: the one source of both."""

        AGREEMENT = "agreement", _("User Agreement (public offer)")
        PRIVACY = "privacy", _("Privacy Policy")
        CONSENT = "consent", _("Consent to the processing of personal data")

    slug = models.SlugField(
        unique=True,
        choices=Slug.choices,
        help_text="The document's public address: /agreement/, /privacy/ or /consent/.",
    )
    prevailing_language = models.CharField(
        max_length=5, choices=settings.LANGUAGES, default=ENGLISH,
        help_text="The language whose text prevails if a translation differs from it; "
        "every translated page says so.",
    )  # fmt: skip

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return str(self.title)

    def get_absolute_url(self):
        return reverse("document_current", kwargs={"document": self.slug})

    @property
    def title(self):
        """The document's name as visitors see it."""
        return self.Slug(self.slug).label


class VersionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(number__isnull=False)

    def drafts(self):
        return self.filter(number__isnull=True)

    def not_cancelled(self):
        return self.published().filter(cancellation__isnull=True)

    def named(self):
        """Without their texts, with their document and the English original a
        translation names (also without its text): what a record names of a version."""
        return self.with_originals().defer(*TEXT_FIELDS)

    def with_originals(self):
        """With their document and the English original a translation names (without its
        text)."""
        originals = [f"translates__{field}" for field in TEXT_FIELDS]
        return self.select_related("document", "translates").defer(*originals)

    def in_effect(self, at=None):
        return self.not_cancelled().filter(effective_at__lte=at or timezone.now())

    def scheduled(self, at=None):
        return self.not_cancelled().filter(effective_at__gt=at or timezone.now())

    def in_language(self, language):
        return self.filter(language=language)

    def current_of_each(self, slugs, at=None, language=ENGLISH):
        """{slug: current version in `language`} of each document, without their texts;
        None when one of them has no version in effect in that language.

        Always asked of the database (which versions are in effect now: another process
        may just have published), in one small query of ids and fingerprints; the
        version objects themselves come from this process's memory when it has them: a
        published version never changes (triggers refuse it), so what was read once
        stays true. Half the cost of a contact request was building these objects twice.
        """
        in_effect = self.in_effect(at).filter(document__slug__in=slugs, language=language)
        rows = in_effect.order_by("document", "-number").values_list(
            "document__slug", "pk", "fingerprint"
        )
        current = {}
        for slug, pk, fingerprint in rows:
            current.setdefault(slug, (pk, fingerprint))
        if len(current) != len(slugs):
            return None
        return {
            slug: published_version(pk, fingerprint) for slug, (pk, fingerprint) in current.items()
        }

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


@functools.lru_cache(maxsize=256)
def published_version(pk, fingerprint):
    """A published version without its texts, with its document. Keyed by fingerprint
    too, so that a primary key reused after a rolled-back publication (SQLite can) never
    answers with another text."""
    return Version.objects.published().named().get(pk=pk, fingerprint=fingerprint)


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
    language = models.CharField(
        max_length=5, choices=settings.LANGUAGES, default=ENGLISH,
        help_text="The language of this text. A translation is numbered 1, 2, 3… in its "
        "own language.",
    )  # fmt: skip
    translates = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="translations",
        limit_choices_to={"language": ENGLISH, "number__isnull": False},
        help_text="For a translation: the published English version it translates.",
    )  # fmt: skip
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
    # Nullable and without a default, as html_fingerprint: added in place (see below).
    material = models.BooleanField(
        null=True, blank=True, editable=False,
        help_text="Marked at publication: a material change, which takes effect no sooner "
        "than KOMMOGEN_NOTICE_DAYS after it and asks those who accepted before to accept it.",
    )  # fmt: skip
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
                fields=["document", "language", "number"],
                name="version_number_unique_per_document_language",
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
        language = "" if self.language == ENGLISH else f" ({self.language})"
        if self.is_published:
            return f"{self.document} v{self.number}{language}"
        return f"{self.document} draft #{self.pk}{language}"

    def save(self, *args, **kwargs):
        if self.is_published:
            raise PublishedVersionIsImmutable(f"{self} is published and cannot be changed.")
        if self.pk and Version.objects.filter(pk=self.pk, number__isnull=False).exists():
            raise PublishedVersionIsImmutable(f"Version #{self.pk} is published.")
        # Drafts keep a rendering too, so previews only read, like public pages.
        self.source = normalise_source(self.source)
        rendered = render_markdown(preview_of(self.source, self.language))
        self.html, self.toc_html = rendered.html, rendered.toc_html
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        with translation.override(self.language):  # /ru/agreement/v/1/ for a Russian one
            if not self.is_published:
                kwargs = {"document": self.document.slug, "pk": self.pk}
                return reverse("document_draft", kwargs=kwargs)
            kwargs = {"document": self.document.slug, "number": self.number}
            return reverse("document_version", kwargs=kwargs)

    def get_raw_url(self):
        with translation.override(self.language):
            kwargs = {"document": self.document.slug, "number": self.number}
            return reverse("document_version_raw", kwargs=kwargs)

    def get_html_url(self):
        """The HTML rendered at publication, as served: what html_fingerprint hashes."""
        with translation.override(self.language):
            kwargs = {"document": self.document.slug, "number": self.number}
            return reverse("document_version_html", kwargs=kwargs)

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

    def clean(self):
        if "\x00" in self.source:
            raise ValidationError({"source": "The text contains a NUL character."})
        refuse_unless_it_names_its_original(self)

    def new_draft(self):
        """A draft of the same document, in the same language, starting from this
        version's text; a translation's draft translates the current English version."""
        original = None
        if self.language != ENGLISH:
            english = Version.objects.filter(document=self.document, language=ENGLISH)
            original = english.current() or self.translates
        return Version.objects.create(
            document=self.document, title=self.title, source=self.source, summary="",
            language=self.language, translates=original,
        )  # fmt: skip


def preview_of(source, language):
    """A draft's text as it will be published: its placeholders filled in (an unknown one
    stays as written here; publishing refuses it)."""
    try:
        return filled(source, language)
    except ValidationError:
        return source


def refuse_unless_it_names_its_original(version):
    """A translation names the published English version of its document it translates;
    an English version names none."""
    original = version.translates
    if version.language == ENGLISH:
        if original is not None:
            raise ValidationError({"translates": "An English version translates nothing."})
        return
    if original is None or not original.is_published or original.language != ENGLISH:
        raise ValidationError({"translates": "Choose the published English version this "
                                             "translates."})  # fmt: skip
    if original.document_id != version.document_id:
        raise ValidationError({"translates": "It must be a version of the same document."})


def refuse_unless_it_follows(previous, fingerprint, effective_at):
    """A new version must differ from the one before and not take effect before it."""
    if previous and previous.fingerprint == fingerprint:
        raise ValidationError(f"The text is identical to {previous}; there is nothing to publish.")
    if previous and effective_at < previous.effective_at:
        raise ValidationError(
            f"{previous} takes effect at {previous.effective_at:%Y-%m-%d %H:%M} UTC; "
            "a later version cannot take effect before it."
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
