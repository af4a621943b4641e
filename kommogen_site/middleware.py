"""Site-wide response rules that belong to no single view."""

import logging

from django.conf import settings
from django.db import OperationalError
from django.shortcuts import render

logger = logging.getLogger(__name__)


def admin_pages(get_response):
    """Admin is never indexed, and its widgets may show data: images (icons)."""
    admin_prefixes = (f"/{settings.ADMIN_PATH}", "/markdownx/")

    def middleware(request):
        response = get_response(request)
        if request.path.startswith(admin_prefixes):
            response["X-Robots-Tag"] = "noindex, nofollow"
            response._csp_update = {"img-src": ["data:"]}
        return response

    return middleware


class DatabaseUnavailableMiddleware:
    """A database that stays busy (SQLite's lock past its timeout) or does not answer:
    a clear 503 with Retry-After instead of a 500. The view's transaction has rolled
    back by then, so nothing is half-written."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError):
            return None
        logger.warning("Database unavailable (%s %s): %s", request.method, request.path, exception)
        # agreement_number=None: the footer must not query a database that is down.
        response = render(request, "503.html", {"agreement_number": None}, status=503)
        response["Retry-After"] = str(settings.KOMMOGEN_RETRY_AFTER_SECONDS)
        return response
