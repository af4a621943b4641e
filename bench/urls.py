"""The site's URLs plus the references the benchmark compares it with, served by the
same gunicorn, settings and middleware:

- /bench/reference/: the bytes of /agreement/, from memory (a trivial Django view);
- /static/bench/agreement.html: the same bytes, served by whitenoise;
- /bench/insert/: a POST that inserts one row in one transaction and redirects.
"""

import os
from pathlib import Path

from django.db import connection, transaction
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import include, path
from django.utils import timezone

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


urlpatterns = [
    path("bench/reference/", reference_page),
    path("bench/insert/", reference_insert),
    path("", include("kommogen_site.urls")),
]
