"""The site's URLs plus the references the benchmark compares it with, served by the
same gunicorn, settings and middleware:

- /bench/reference/: the bytes of /agreement/, from memory (a trivial Django view);
- /static/bench/agreement.html: the same bytes, served by whitenoise;
- /bench/insert/: a POST that inserts one row in one transaction and redirects;
- /bench/same-rows/: a POST that writes the rows a contact request writes (the rate
  counter, the submission, its three events with their hashes, its two outbox rows) in
  one transaction under the chain's lock, with plain executemany and no form: what
  the contact view could at best cost.
"""

import functools
import os
from pathlib import Path

from django.db import connection, transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path
from django.utils import timezone

from agreements.models import AcceptanceEvent, OutboxMessage, RateCounter, Submission
from kommogen_site import urls as site_urls

REFERENCE_FILE = Path(os.environ.get("BENCH_REFERENCE_FILE", "/dev/null"))
REFERENCE_HTML = REFERENCE_FILE.read_bytes() if REFERENCE_FILE.exists() else b""


def reference_page(request):
    return HttpResponse(REFERENCE_HTML, content_type="text/html; charset=utf-8")


def reference_insert(request):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_reference_row (body, created_at) VALUES (%s, %s)",
            [request.POST.get("message", ""), timezone.now()],
        )
    return HttpResponseRedirect("/bench/reference/")


def insert(model, objects, returning=False):
    """Plain INSERTs of model instances (executemany; RETURNING id for one row)."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {model._meta.db_table} ({columns}) VALUES ({marks})"
    rows = [[f.get_db_prep_save(getattr(o, f.attname), connection) for f in fields]
            for o in objects]  # fmt: skip
    with connection.cursor() as cursor:
        if returning:
            cursor.execute(sql + " RETURNING id", rows[0])
            return cursor.fetchone()[0]
        cursor.executemany(sql, rows)
    return None


@functools.cache
def shown_versions():
    from agreements.evidence.statements import current_form_versions

    versions = current_form_versions()
    for version in versions.values():
        version.document  # noqa: B018 (loaded once, as the cache keeps it)
    return versions


def same_rows(request):
    """The rows of a contact request, written as plainly as possible."""
    from agreements.core.clients import client_ip, rate_key
    from agreements.evidence.chain import chain_time, hash_record, record, text_of

    form, versions = request.POST, shown_versions()
    ip = client_ip(request)
    with transaction.atomic():
        RateCounter.hit(f"contact:{rate_key(ip)}", int(timezone.now().timestamp()) // 600)
        now = chain_time()  # the chain's lock, and the head's time
        head = AcceptanceEvent.objects.order_by("-position").values_list("position", "hash")
        position, previous = head.first() or (0, "0" * 64)
        submission = Submission(
            name=form["name"], email=form["email"], service=form["service"],
            message=form["message"], client_ip=ip, user_agent=request.headers.get("User-Agent", ""),
            language="en", form_token_digest=os.urandom(32).hex(),
        )  # fmt: skip
        submission.email_key = submission.email.casefold()
        submission.id = insert(Submission, [submission], returning=True)
        events = []
        for purpose, slug in (("agreement", "agreement"), ("personal_data", "consent"),
                              ("notifications", "consent")):  # fmt: skip
            position += 1
            version = versions.get(slug) or next(iter(versions.values()))
            event = AcceptanceEvent(
                position=position, previous_hash=previous, recorded_at=now, kind="accepted",
                purpose=purpose, version=version, fingerprint=version.fingerprint,
                statement=f"I accept the {version.title}.", submit_label="Send request",
                form_name="contact", page="/contact/", language="en", submission=submission,
                reference=submission.reference, subject_salt=submission.salt,
                subject_digests={}, record_format=2, texts=[text_of(version)],
                subject_key_id="bench",
            )  # fmt: skip
            event.hash = previous = hash_record(record(event, version))
            events.append(event)
        insert(AcceptanceEvent, events)
        insert(OutboxMessage, [
            OutboxMessage(key=f"{kind}:{submission.reference}", kind=kind,
                          recipient=submission.email, submission=submission)
            for kind in ("operator_request", "receipt_copy")
        ])  # fmt: skip
    return HttpResponseRedirect("/bench/reference/")


urlpatterns = [
    path("bench/reference/", reference_page),
    path("bench/insert/", reference_insert),
    path("bench/same-rows/", same_rows),
    # The site's own patterns, as they are (i18n_patterns cannot be include()d).
    *site_urls.urlpatterns,
]
