"""The checkpoints as an Atom feed: whoever follows it keeps every signed checkpoint."""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from ..documents.feeds import absolute
from .models import Checkpoint


class CheckpointFeed(Feed):
    feed_type = Atom1Feed
    title = "KommoGEN — evidence checkpoints"
    subtitle = (
        "Each signed checkpoint of the log of acceptance events: the number of events and "
        "the root of their Merkle tree. Keep them: every later one must be consistent."
    )

    def link(self):
        return absolute(reverse("checkpoints"))

    def feed_url(self):
        return absolute(reverse("checkpoint_feed"))

    def items(self):
        return Checkpoint.objects.order_by("-tree_size")[:50]

    def item_title(self, checkpoint):
        return f"Checkpoint {checkpoint.tree_size}: {checkpoint.tree_size} events"

    def item_description(self, checkpoint):
        return checkpoint.note

    def item_link(self, checkpoint):
        return absolute(checkpoint.get_absolute_url())

    def item_pubdate(self, checkpoint):
        return checkpoint.made_at

    def item_updateddate(self, checkpoint):
        return checkpoint.made_at
