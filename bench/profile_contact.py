"""Where a contact request's time goes: N requests through the real view in this process
(Django's test client, the production settings and middleware, a SQLite database of its
own), under cProfile; prints the functions that cost the most, cumulative and own.

    .venv/bin/python -m bench.profile_contact [N]      (N = 300 by default)
"""

import cProfile
import os
import pstats
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    folder = Path(tempfile.mkdtemp(prefix="kommogen-profile-"))
    os.environ.update({
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}", "KOMMOGEN_RATE_LIMIT": "0",
        "KOMMOGEN_MIN_FILL_SECONDS": "0", "DJANGO_SETTINGS_MODULE": "bench.settings",
        "KOMMOGEN_SIGNER_STATE_FILE": str(folder / "signer-state.json"),
    })  # fmt: skip
    import django

    django.setup()
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }  # no collectstatic
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from agreements.contact.forms import sign_form_token
    from agreements.evidence.statements import current_form_versions

    call_command("migrate", verbosity=0)
    call_command("load_content", verbosity=0)
    versions, now = current_form_versions(), timezone.now()
    tokens = [
        sign_form_token(versions, "/contact/", now - timedelta(microseconds=i))
        for i in range(count + 20)
    ]  # a form is accepted once: a token each
    client = Client(HTTP_HOST="127.0.0.1")
    form = {"name": "Bench Visitor", "email": "bench@example.com", "service": "audit",
            "message": "A benchmark request.", "accept_agreement": "on",
            "consent_personal_data": "on"}  # fmt: skip

    def send(token):
        response = client.post("/contact/", {**form, "form_token": token})
        assert response.status_code == 302, response.status_code

    for token in tokens[count:]:  # warm up: imports, caches, connection
        send(token)
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for token in tokens[:count]:
        send(token)
    profile.disable()
    elapsed = time.perf_counter() - started
    print(f"{count} requests in {elapsed:.2f} s: {elapsed / count * 1000:.2f} ms each "
          "(under the profiler)\n")  # fmt: skip
    stats = pstats.Stats(profile).strip_dirs()
    stats.sort_stats("cumulative").print_stats(35)
    stats.sort_stats("tottime").print_stats(20)
    # The site's own steps, by cumulative time.
    stats.sort_stats("cumulative").print_stats(
        r"(contact|evidence|outbox|documents)/\w+\.py|csrf|signing"
    )


if __name__ == "__main__":
    main()
