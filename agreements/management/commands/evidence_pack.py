"""Write a request's evidence pack: FILE.pdf and its signature FILE.pdf.sig."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from agreements.models import Submission
from agreements.rights.pack import pack_pdf, sha256, signature, signature_holds


class Command(BaseCommand):
    help = "Write a request's evidence pack as a signed PDF (and check one with --verify)."

    def add_arguments(self, parser):
        parser.add_argument("reference", nargs="?", help="the request's reference, KG-…")
        parser.add_argument("-o", "--output", type=Path, help="the PDF to write")
        parser.add_argument("--language", default="en",
                            choices=[code for code, _ in settings.LANGUAGES])  # fmt: skip
        parser.add_argument("--verify", type=Path, help="a pack to check against its .sig")

    def handle(self, *args, **options):
        if options["verify"]:
            return self.verify(options["verify"])
        submission = Submission.objects.filter(reference=options["reference"]).first()
        if submission is None or options["output"] is None:
            raise CommandError("Give a request's reference and -o FILE.pdf.")
        pdf = pack_pdf(submission, options["language"])
        options["output"].write_bytes(pdf)
        Path(f"{options['output']}.sig").write_text(signature(pdf), encoding="utf-8")
        self.stdout.write(f"Wrote {options['output']} (SHA-256 {sha256(pdf)}) and its .sig.")
        return None

    def verify(self, path):
        sig = Path(f"{path}.sig")
        if not path.is_file() or not sig.is_file():
            raise CommandError(f"{path} and {sig} are both needed.")
        if not signature_holds(path.read_bytes(), sig.read_text(encoding="utf-8")):
            raise CommandError(f"{path} is not the pack the site signed: a byte differs.")
        self.stdout.write(f"OK: {path} is the pack the site signed (SHA-256 "
                          f"{sha256(path.read_bytes())}).")  # fmt: skip
        return None
