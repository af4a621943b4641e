"""What publishing tells the areas above (core/signals.py)."""

from ..core.signals import Announcement

# A version was published, in the publication's transaction: version=.
version_published = Announcement("documents.version_published")
