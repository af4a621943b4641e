"""Site-wide response rules that belong to no single view."""

import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InternalError, OperationalError, connections
from django.http import HttpResponseBadRequest, HttpResponseNotFound
from django.shortcuts import render
from django.utils import timezone, translation

logger = logging.getLogger(__name__)


def public_request_size(get_response):
    """Public forms are small: a body over KOMMOGEN_PUBLIC_MAX_BODY is refused (400) before
    anything reads it. Admin (long documents) has Django's larger DATA_UPLOAD_MAX_MEMORY_SIZE."""
    admin_prefixes = (f"/{settings.ADMIN_PATH}", "/markdownx/")
    limit = settings.KOMMOGEN_PUBLIC_MAX_BODY

    def middleware(request):
        length = request.headers.get("content-length")
        if length and not request.path.startswith(admin_prefixes):
            try:
                too_big = int(length) > limit
            except ValueError:
                too_big = False  # Django reads no body for a malformed length
            if too_big:
                raise RequestDataTooBig("The request body is larger than a public form allows.")
        return get_response(request)

    return middleware


READABLE_CHARSETS = {"utf-8", "utf8", "us-ascii", "ascii"}


def unreadable_input(get_response):
    """What no page of the site can read is refused in words, never a 500: a form posted
    in another charset than UTF-8 (400), a NUL in the path (404, PostgreSQL cannot hold
    it) or in admin's query string (400: its filters reach the database as they are;
    public pages read their few parameters through sanitisers)."""
    admin_prefixes = (f"/{settings.ADMIN_PATH}", "/markdownx/")

    def middleware(request):
        if "\x00" in request.path:
            return HttpResponseNotFound("No page has this address.", content_type="text/plain")
        if request.path.startswith(admin_prefixes) and any(
            "\x00" in key + value for key, value in request.GET.items()
        ):
            return HttpResponseBadRequest("The address holds a NUL character.",
                                          content_type="text/plain")  # fmt: skip
        charset = request.content_params.get("charset") if request.content_params else None
        if request.method == "POST" and charset and charset.lower() not in READABLE_CHARSETS:
            return HttpResponseBadRequest(
                "Forms are sent in UTF-8; this one said charset=" + charset[:40] + ".",
                content_type="text/plain",
            )
        return get_response(request)

    return middleware


def admin_pages(get_response):
    """Admin is never indexed, its widgets may show data: images (icons), and it shows
    and reads times in the operator's zone, named (kommogen_site/formats/)."""
    admin_prefixes = (f"/{settings.ADMIN_PATH}", "/markdownx/")
    operator_zone = ZoneInfo(settings.OPERATOR_TIME_ZONE)

    def middleware(request):
        if request.path.startswith(admin_prefixes):
            timezone.activate(operator_zone)
        else:
            timezone.deactivate()
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
        read_only = isinstance(exception, InternalError) and "read-only" in str(exception)
        if not (isinstance(exception, OperationalError) or read_only):
            return None
        logger.warning("Database unavailable (%s %s): %s", request.method, request.path, exception)
        # A connection that saw the database read-only or gone may stay so after the
        # database is back (until conn_max_age): the next request opens a fresh one.
        for connection in connections.all(initialized_only=True):
            connection.close_if_unusable_or_obsolete()
            if not connection.in_atomic_block:
                connection.close()
        # agreement_number=None: the footer must not query a database that is down.
        response = render(request, "503.html", {"agreement_number": None}, status=503)
        response["Retry-After"] = str(settings.KOMMOGEN_RETRY_AFTER_SECONDS)
        return response


class PathLanguage:
    """The language of a public page is in its address (/ru/…, /vi/…, English without a
    prefix), never guessed from the browser: a visitor is offered their language (the
    switcher, and a suggestion in the page), never sent to it. Admin, for signed-in staff
    only, follows the browser's language."""

    admin_prefixes = (f"/{settings.ADMIN_PATH}", "/markdownx/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(self.admin_prefixes):
            language = translation.get_language_from_request(request)
        else:
            language = translation.get_language_from_path(request.path_info)
        language = language or settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        try:
            response = self.get_response(request)
        finally:
            translation.deactivate()  # the next request starts in English, as it should
        response.headers.setdefault("Content-Language", language)
        return response
