"""Sign a checkpoint of the evidence's Merkle tree, if events were added since the last
(agreements/evidence/checkpoints.py). deploy/ runs it every 10 minutes; make run at start."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agreements.evidence.checkpoints import make_checkpoint
from agreements.models import Checkpoint


class Command(BaseCommand):
    help = "Sign a checkpoint of the evidence if the chain grew since the last one."

    def handle(self, *args, **options):
        checkpoint = make_checkpoint()
        if checkpoint is None:
            latest = Checkpoint.objects.order_by("-tree_size").first()
            covered = f"checkpoint {latest.tree_size} covers them" if latest else "no events"
            self.stdout.write(f"No new events since the last checkpoint ({covered}).")
            return
        self.stdout.write(f"Checkpoint {checkpoint.tree_size}, root {checkpoint.root_hash}.")
        if settings.TSA_URL and checkpoint.timestamp is None:
            raise CommandError(f"Made without a timestamp: {settings.TSA_URL} did not give one.")
