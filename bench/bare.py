"""The stack's limit: a Django project with no apps and no middleware and one URL, which
returns the bytes of /agreement/ from memory. make bench serves it with the same
gunicorn.conf.py, so the site's figures divide into the page's cost and the stack's."""

import os
from pathlib import Path

from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-bare-reference",
    ALLOWED_HOSTS=["127.0.0.1"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[],
    MIDDLEWARE=[],
    DATABASES={},
)

from django.core.wsgi import get_wsgi_application  # noqa: E402 (after configure)
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402

REFERENCE = Path(os.environ.get("BENCH_REFERENCE_FILE", "/dev/null"))
BODY = REFERENCE.read_bytes() if REFERENCE.exists() else b""


def agreement(request):
    return HttpResponse(BODY, content_type="text/html; charset=utf-8")


urlpatterns = [path("agreement/", agreement)]
application = get_wsgi_application()
