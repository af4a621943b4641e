"""How long an evidence pack takes to make (rights/pack.py, WeasyPrint): a request with 10
events (its three, and seven notices of new versions), on a SQLite database of its own,
the pack made 5 times in each language; prints the median seconds and the PDF's size.

    .venv/bin/python -m bench.pack
"""

import os
import statistics
import tempfile
import time
from pathlib import Path


def setup():
    folder = Path(tempfile.mkdtemp(prefix="kommogen-pack-"))
    os.environ.update({
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}", "KOMMOGEN_RATE_LIMIT": "0",
        "KOMMOGEN_MIN_FILL_SECONDS": "0", "DJANGO_SETTINGS_MODULE": "bench.settings",
        "KOMMOGEN_SIGNER_STATE_FILE": str(folder / "signer-state.json"),
    })  # fmt: skip
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_content", verbosity=0)


def request_with_ten_events():
    from django.db import transaction

    from agreements.contact.forms import read_form_token, sign_form_token
    from agreements.contact.services import submission_record
    from agreements.core.clients import Context
    from agreements.evidence.chain import append, new_event
    from agreements.evidence.statements import current_form_versions, statements
    from agreements.models import Version

    versions = current_form_versions()
    token = read_form_token(sign_form_token(versions, "/contact/"))
    fields = {"name": "Nguyễn Văn An", "email": "an@example.com", "contact": "", "company": "",
              "service": "audit", "message": "A CRM audit."}  # fmt: skip
    consents = {"agreement": True, "personal_data": True, "notifications": True}
    submission = submission_record(fields=fields, consents=consents, token=token,
                                   statements=statements(versions),
                                   context=Context.without_request("bench"))  # fmt: skip
    version = Version.objects.published().filter(language="en").first()
    with transaction.atomic():
        append([new_event(submission, Context.without_request("bench"), submission.salt, {},
                          kind="notified", purpose="notifications", version=version,
                          texts=[version], statement="Notice sent.", submission=submission)
                for _ in range(7)])  # fmt: skip
    return submission


def main():
    setup()
    from agreements.rights.pack import pack_pdf

    submission = request_with_ten_events()
    assert submission.events.count() == 10
    for language in ("en", "ru", "vi"):
        times, size = [], 0
        for _ in range(5):
            started = time.perf_counter()
            size = len(pack_pdf(submission, language))
            times.append(time.perf_counter() - started)
        print(f"{language}: {statistics.median(times):.2f} s (median of 5), {size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
