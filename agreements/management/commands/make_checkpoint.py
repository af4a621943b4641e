"""Sign a checkpoint of the evidence's Merkle tree, if events were added since the last
(agreements/evidence/signer.py). deploy/ runs it every 10 minutes; make run at start.
When the database disagrees with what the signer signed, nothing is signed: the command
says why, exits 1, and emails the operator."""

from django.conf import settings
from django.core.mail import send_mail
from django.core.management.base import BaseCommand, CommandError

from agreements.evidence.anchor import publish
from agreements.evidence.signer import SignerRefused, make_checkpoint
from agreements.evidence.witnesses import cosign, quorum_of
from agreements.models import Checkpoint
from agreements.outbox.messages import queue_receipts_now_in_the_log


class Command(BaseCommand):
    help = "Sign a checkpoint of the evidence if the chain grew since the last one."

    def add_arguments(self, parser):
        parser.add_argument(
            "--adopt",
            action="store_true",
            help="Once, on an install whose checkpoints predate the signer's state file: "
            "verify everything, then keep the newest checkpoint as the signer's state.",
        )

    def handle(self, *args, adopt, **options):
        try:
            checkpoint = make_checkpoint(adopting=adopt)
        except SignerRefused as refused:
            alert(str(refused))
            raise CommandError(f"REFUSED: {refused}") from None
        if checkpoint is None:
            latest = Checkpoint.objects.order_by("-tree_size").first()
            covered = f"checkpoint {latest.tree_size} covers them" if latest else "no events"
            self.stdout.write(f"No new events since the last checkpoint ({covered}).")
            if latest:
                self.witness(latest)  # a witness that was down last time: asked again
            return
        self.stdout.write(f"Checkpoint {checkpoint.tree_size}, root {checkpoint.root_hash}.")
        before = Checkpoint.objects.filter(tree_size__lt=checkpoint.tree_size)
        before = before.order_by("-tree_size").values_list("tree_size", flat=True).first()
        queue_receipts_now_in_the_log(checkpoint, before or 0)
        self.witness(checkpoint)
        if settings.TSA_URL and checkpoint.timestamp is None:
            raise CommandError(f"Made without a timestamp: {settings.TSA_URL} did not give one.")

    def witness(self, checkpoint):
        """The witnesses' cosignatures (KOMMOGEN_WITNESSES); a witness that refuses or does
        not answer is said, never blocks the checkpoint (it is asked again next time)."""
        for problem in cosign(checkpoint):
            self.stdout.write(f"WITNESS: {problem}")
        problem = publish(checkpoint)  # with the cosignatures it has now
        if problem:
            self.stdout.write(f"ANCHOR: {problem}")
        if settings.WITNESSES:
            self.stdout.write(f"Cosigned by {quorum_of(checkpoint)} of "
                              f"{len(settings.WITNESSES)} witness(es).")  # fmt: skip


def alert(reason):
    """The operator hears of it at once (this is the timer, not a request): the evidence
    may have been tampered with."""
    send_mail(
        "[KommoGEN] The signer refused to sign a checkpoint",
        f"{reason}\n\nRun manage.py verify_evidence on the server, and compare the database "
        "with the last backup before anything else is changed.\n",
        settings.DEFAULT_FROM_EMAIL, [settings.KOMMOGEN_OPERATOR_EMAIL], fail_silently=True,
    )  # fmt: skip
