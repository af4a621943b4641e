"""The hottest pages answered early: GET /agreement/ (and /privacy/, /consent/) from
what this process already sent, before the rest of the middleware stack runs.

The first request for such a page goes through the whole stack, and its final answer
(the body and every header the stack added: CSP, HSTS, Permissions-Policy, …) is
remembered with its ETag; so is the first 304. A later request whose page has the same
ETag now (the versions, as this process re-reads them at most once a second, and the
code) gets those bytes and headers again. Anything else (another method, a query
string, other preconditions, a cookie or Vary in the answer, plain HTTP where HTTPS is
required, a Host not allowed, a database that does not answer) goes through the whole
stack as before. Django's own tools cannot skip the middleware, and skipping it is what
brings the page to the speed of a bare view: bench/README.md has the figures.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import DatabaseError
from django.http import HttpResponse, HttpResponseNotModified

from .caching import early_answers
from .models import Document
from .views import current_page_etag

OTHER_PRECONDITIONS = ("HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE", "HTTP_IF_MODIFIED_SINCE")


@dataclass
class Answer:
    """What this process sent for a page with this ETag: the page, the 304, or both."""

    etag: str
    content: bytes | None = None
    headers: dict | None = None
    not_modified_headers: dict | None = None


def remembered(response, etag):
    """Whether this answer is the same for every visitor, so it may be sent again."""
    vary = response.get("Vary", "")
    return response.get("ETag") == etag and not response.cookies and "Cookie" not in vary


class CurrentDocumentPages:
    def __init__(self, get_response):
        self.get_response = get_response
        self.slugs = {f"/{slug}/": slug for slug in Document.Slug.values}

    def __call__(self, request):
        slug = self.slugs.get(request.path_info)
        if slug is None or request.method != "GET" or request.META.get("QUERY_STRING"):
            return self.get_response(request)
        try:
            request.get_host()
            etag = current_page_etag(slug)
        except (DisallowedHost, DatabaseError):
            return self.get_response(request)  # the stack answers as it always did
        secure = request.is_secure()
        if etag is None or (settings.SECURE_SSL_REDIRECT and not secure):
            return self.get_response(request)
        return self.answer(request, (slug, secure), etag)

    def answer(self, request, key, etag):
        meta, answer = request.META, early_answers.get(key)
        if answer is not None and answer.etag != etag:
            answer = early_answers[key] = None
        if any(header in meta for header in OTHER_PRECONDITIONS):
            return self.get_response(request)
        revalidating = meta.get("HTTP_IF_NONE_MATCH") == etag
        if answer and revalidating and answer.not_modified_headers:
            return HttpResponseNotModified(headers=answer.not_modified_headers)
        if answer and answer.content is not None and "HTTP_IF_NONE_MATCH" not in meta:
            return HttpResponse(answer.content, headers=answer.headers)
        response = self.get_response(request)
        if remembered(response, etag):
            self.remember(key, etag, response, answer or Answer(etag))
        return response

    @staticmethod
    def remember(key, etag, response, answer):
        if response.status_code == 200 and not response.streaming:
            answer.content, answer.headers = response.content, dict(response.items())
        elif response.status_code == 304:
            answer.not_modified_headers = dict(response.items())
        early_answers[key] = answer
