"""Site-wide answers that belong to no document: health, robots.txt and the favicon."""

import shutil
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from agreements.core.models import RateCounter
from agreements.documents.models import Document
from agreements.outbox.models import OutboxMessage


def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (admin): the site's icon."""
    return redirect(static("favicon.svg"), permanent=True)


class _ProbeRolledBack(Exception):
    pass


def outbox_problem(now=None):
    """ "stalled" when a message has waited past KOMMOGEN_OUTBOX_STALL_SECONDS: due and not
    sent, or sending and not finished (the worker is down or stuck), else ""."""
    now = now or timezone.now()
    since = now - timedelta(seconds=settings.KOMMOGEN_OUTBOX_STALL_SECONDS)
    waiting = OutboxMessage.objects.filter(
        Q(state=OutboxMessage.State.PENDING, next_attempt_at__lt=since)
        | Q(state=OutboxMessage.State.SENDING, claimed_at__lt=since)
    )
    return "outbox: stalled" if waiting.exists() else ""


def database_problem():
    """Why submissions would fail now, or "" when they would not: the database must
    answer, accept a write (rolled back), and the disk the site writes to have room."""
    try:
        with transaction.atomic():
            RateCounter.objects.create(key="healthz-probe", window=-1)
            raise _ProbeRolledBack
    except _ProbeRolledBack:
        pass
    except DatabaseError as error:
        # The next probe (or request) gets a fresh connection: one opened while the
        # database was read-only or away may stay so after it is back.
        if not connection.in_atomic_block:
            connection.close()
        return f"database: {type(error).__name__}"
    database = settings.DATABASES["default"]
    written = [settings.VAR_DIR]
    if database["ENGINE"].endswith("sqlite3"):
        written.append(Path(database["NAME"]).parent)
    for directory in written:
        if (
            directory.exists()
            and shutil.disk_usage(directory).free < settings.KOMMOGEN_MIN_FREE_DISK
        ):
            return "disk: almost full"
    return ""


@never_cache
def healthz(request):
    """For load balancers and monitoring: 200 when a request could be recorded now (the
    database answers and accepts writes, the disk has room) and the outbox is moving,
    else 503 and why."""
    problem = database_problem() or outbox_problem()
    if problem:
        what, _, detail = problem.partition(": ")
        body = {"status": "unavailable", what: detail}
        return JsonResponse(body, status=503, headers={"Retry-After": "5"})
    return JsonResponse({"status": "ok", "database": "ok", "disk": "ok"})


def robots_txt(request):
    lines = ["User-agent: *"]
    for prefix in ("", *(f"/{code}" for code, _name in settings.LANGUAGES[1:])):
        lines += [f"Disallow: {prefix}/receipt/", f"Disallow: {prefix}/consent/withdraw/"]
        lines += [f"Disallow: {prefix}/{slug}/draft/" for slug in Document.Slug.values]
    if settings.ADMIN_PATH == "admin/":
        # A custom admin path stays unlisted; admin pages also send X-Robots-Tag: noindex.
        lines.append("Disallow: /admin/")
    lines += ["", f"Sitemap: {settings.SITE_URL}{reverse('sitemap')}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
