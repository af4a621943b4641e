"""Append N synthetic acceptance events to the chain of a benchmark database, fast.

    DATABASE_URL=sqlite:///tmp/bench.sqlite3 python -m bench.seed 100000

Each event is hashed exactly as the site hashes it (agreements.evidence.chain.record and
hash_record), so verify_evidence checks a real chain; rows go in with executemany.
Never point this at a real database: it refuses one that has real submissions.
"""

import os
import secrets
import sys
from datetime import timedelta

import django

BATCH = 5000


def main(count):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kommogen_site.settings")
    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from agreements.evidence.chain import GENESIS_HASH, hash_record, record
    from agreements.models import AcceptanceEvent, Submission, Version

    if Submission.objects.exclude(reference__startswith="KG-BENCH").exists():
        sys.exit("This database has real submissions: seed only a benchmark database.")
    version = Version.objects.published().filter(document__slug="agreement").latest("number")
    head = AcceptanceEvent.objects.order_by("-position").values("position", "hash", "recorded_at")
    head = head.first()
    position, previous_hash = (head["position"], head["hash"]) if head else (0, GENESIS_HASH)
    fields = [f for f in AcceptanceEvent._meta.concrete_fields if f.column != "id"]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(AcceptanceEvent._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
    moment = head["recorded_at"] if head else timezone.now() - timedelta(days=30)
    salt = secrets.token_hex(16)
    digests = {"name": "0" * 64, "email": "1" * 64, "client_ip": "2" * 64}
    remaining = count
    while remaining:
        rows = []
        for _ in range(min(BATCH, remaining)):
            position += 1
            moment += timedelta(microseconds=1000)
            event = AcceptanceEvent(
                position=position, previous_hash=previous_hash, recorded_at=moment,
                kind=AcceptanceEvent.Kind.ACCEPTED, purpose=AcceptanceEvent.Purpose.AGREEMENT,
                version=version, fingerprint=version.fingerprint,
                statement=f"I accept the User Agreement (public offer), version {version.number}.",
                submit_label="Send request", form_name="contact", page="/contact/",
                form_rendered_at=moment, language="en", reference=f"KG-BENCH{position % 100:02d}",
                subject_salt=salt, subject_digests=digests,
            )  # fmt: skip
            event.hash = previous_hash = hash_record(record(event, version))
            rows.append([f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields])
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        remaining -= len(rows)
    print(position)


if __name__ == "__main__":
    main(int(sys.argv[1]))
