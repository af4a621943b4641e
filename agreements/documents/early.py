"""The hottest pages answered early: GET /agreement/ (and /privacy/, /consent/) from
what this process already sent, before Django's request handling and middleware run.

The first request for such a page goes through the whole stack; the middleware here
remembers its final answer (the body and every header the stack added: CSP, HSTS,
Permissions-Policy, …) with its ETag, and so the first 304. A later request whose page
has the same ETag now (the versions, as this process re-reads them at most once a
second, and the code) gets those bytes and headers again: from the WSGI wrapper around
Django (kommogen_site/wsgi.py), checking the Host and the scheme as Django would, or
from the middleware when the wrapper is not in front (the test client). Anything else
(another method, a query string, other preconditions, a cookie or Vary in the answer,
plain HTTP where HTTPS is required, a Host not allowed, a database that does not
answer) goes through the whole stack as before. Django's own conditional-GET tools
cannot skip its middleware; answering here is what brings the page to the speed of a
bare Django view (bench/README.md has the figures), as whitenoise does for files.
"""

from dataclasses import dataclass, field
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import DatabaseError
from django.http import HttpResponse, HttpResponseNotModified
from django.http.request import split_domain_port, validate_host

from .caching import early_answers
from .models import Document
from .views import current_page_etag

PATHS = {f"/{slug}/": slug for slug in Document.Slug.values}
OTHER_PRECONDITIONS = ("HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE", "HTTP_IF_MODIFIED_SINCE")


@dataclass
class Answer:
    """What this process sent for a page with this ETag: the page, the 304, or both."""

    etag: str
    content: bytes | None = None
    headers: list = field(default_factory=list)
    not_modified_headers: list | None = None


def remembered_answer(slug, secure, meta):
    """(status, headers, body) to send again for GET /<slug>/ now, or None."""
    etag = current_page_etag(slug)
    answer = early_answers.get((slug, secure))
    if etag is None or answer is None or answer.etag != etag:
        return None
    if any(header in meta for header in OTHER_PRECONDITIONS):
        return None
    validator = meta.get("HTTP_IF_NONE_MATCH")
    if validator is None and answer.content is not None:
        return 200, answer.headers, answer.content
    if validator == etag and answer.not_modified_headers is not None:
        return 304, answer.not_modified_headers, b""
    return None


def remember(slug, secure, response):
    """Keep the stack's answer if it is the same for every visitor."""
    etag = response.get("ETag")
    if etag is None or etag != current_page_etag(slug) or response.cookies:
        return
    if "Cookie" in response.get("Vary", "") or response.streaming:
        return
    answer = early_answers.get((slug, secure))
    if answer is None or answer.etag != etag:
        answer = early_answers[(slug, secure)] = Answer(etag)
    if response.status_code == 200:
        answer.content, answer.headers = response.content, list(response.items())
    elif response.status_code == 304:
        answer.not_modified_headers = list(response.items())


class CurrentDocumentPages:
    """Django middleware, first of all: remembers the answers, and sends them again when
    the WSGI wrapper is not in front."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        slug = PATHS.get(request.path_info)
        if slug is None or request.method != "GET" or request.META.get("QUERY_STRING"):
            return self.get_response(request)
        try:
            request.get_host()
            secure = request.is_secure()
            found = None if settings.SECURE_SSL_REDIRECT and not secure else True
            found = found and remembered_answer(slug, secure, request.META)
        except (DisallowedHost, DatabaseError):
            return self.get_response(request)  # the stack answers as it always did
        if found:
            status, headers, body = found
            if status == 304:
                return HttpResponseNotModified(headers=dict(headers))
            return HttpResponse(body, headers=dict(headers))
        response = self.get_response(request)
        if not (settings.SECURE_SSL_REDIRECT and not secure):
            remember(slug, secure, response)
        return response


class EarlyAnswers:
    """WSGI middleware around Django: sends a remembered answer without building a
    Django request at all, after the checks Django would make (Host, scheme)."""

    def __init__(self, application):
        self.application = application
        self.hosts_seen = set()

    def __call__(self, environ, start_response):
        slug = PATHS.get(environ.get("PATH_INFO"))
        if slug and environ["REQUEST_METHOD"] == "GET" and not environ.get("QUERY_STRING"):
            found = self.found(slug, environ)
            if found:
                status, headers, body = found
                start_response(f"{status} {HTTPStatus(status).phrase}", headers)
                return [body]
        return self.application(environ, start_response)

    def found(self, slug, environ):
        secure = is_secure(environ)
        if (settings.SECURE_SSL_REDIRECT and not secure) or not self.allowed_host(environ):
            return None
        try:
            return remembered_answer(slug, secure, environ)
        except DatabaseError:
            return None

    def allowed_host(self, environ):
        """Django's HttpRequest.get_host() check, remembered for the hosts it allowed."""
        host = raw_host(environ)
        if host in self.hosts_seen:
            return True
        domain, _port = split_domain_port(host)
        if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
            return False
        if len(self.hosts_seen) < 64:
            self.hosts_seen.add(host)
        return True


def raw_host(environ):
    if settings.USE_X_FORWARDED_HOST and "HTTP_X_FORWARDED_HOST" in environ:
        return environ["HTTP_X_FORWARDED_HOST"]
    if "HTTP_HOST" in environ:
        return environ["HTTP_HOST"]
    port = environ["SERVER_PORT"]
    default = "443" if environ.get("wsgi.url_scheme") == "https" else "80"
    return environ["SERVER_NAME"] + ("" if port == default else f":{port}")


def is_secure(environ):
    """Django's HttpRequest.is_secure(), from the WSGI environment."""
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        value = environ.get(header)
        if value is not None:
            return value.split(",", 1)[0].strip() == secure_value
    return environ.get("wsgi.url_scheme") == "https"
