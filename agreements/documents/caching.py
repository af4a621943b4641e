"""Conditional GETs for document pages: ETag and Last-Modified, 304 when unchanged.

A document page is a function of the versions it shows, the code and templates that
draw it, the static assets, the installed packages and two settings; the ETag is a
digest of exactly those, so a deploy that changes any of them changes it.
"""

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

# Every visitor revalidates (a scheduled version takes effect on time), and a 304 is cheap.
CACHE_CONTROL = "public, max-age=0, must-revalidate"


@lru_cache(maxsize=1)
def page_version():
    """A digest of the code, templates, static manifest and packages: changes with each
    deploy that could change a page (read once per process)."""
    digest = hashlib.sha256()
    base = settings.BASE_DIR
    drawn_by = [*(base / "templates").rglob("*.html"), *(base / "agreements").rglob("*.py"),
                *(base / "kommogen_site").rglob("*.py"), base / "requirements.lock"]  # fmt: skip
    for path in sorted(drawn_by):
        digest.update(path.read_bytes())
    manifest = settings.STATIC_ROOT / "staticfiles.json"
    if manifest.exists():
        digest.update(manifest.read_bytes())
    digest.update(f"{settings.SITE_URL}|{settings.OPERATOR_TIME_ZONE}".encode())
    return digest.hexdigest()


def etag_for(*versions, also=()):
    """A weak ETag: the page is the same text, though a proxy may recompress it. It names
    the page's language too (the same versions are drawn in each language's words), and
    `also`: anything else the page shows (its links to the other languages)."""
    parts = tuple(f"{v.pk}:{v.fingerprint}:{v.is_cancelled:d}" if v else "-" for v in versions)
    return _etag((translation.get_language() or "en", *parts, *map(str, also)))


@lru_cache(maxsize=256)
def _etag(parts):
    digest = hashlib.sha256("|".join((page_version(), *parts)).encode()).hexdigest()
    return f'W/"{digest[:32]}"'


def last_modified_of(*versions):
    """When the page last changed: a publication, or a version taking effect (never later
    than now: a scheduled version's future effective time is not a modification yet)."""
    now = timezone.now()
    moments = [m for v in versions if v for m in (v.published_at, v.effective_at) if m and m <= now]
    return int(max(moments).timestamp()) if moments else None  # HTTP dates have seconds


def not_modified(request, etag, last_modified):
    """A 304 response if the client's copy is current, else None: Django's own rules.

    The hand-written shortcuts this used to take (about 5 % on the hot path) are gone:
    the current pages are answered before the view now (early.py), so only a process's
    first request for a page comes here.
    """
    return get_conditional_response(request, etag=etag, last_modified=last_modified)


def add_validators(response, etag, last_modified):
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = CACHE_CONTROL
    return response


# --- The hot path of document pages ------------------------------------------------
#
# Which versions a document page shows changes only when a version is published or a
# scheduled one takes effect. Each process remembers it for KOMMOGEN_PAGE_STATE_SECONDS
# (never past a scheduled version's effective time), and remembers rendered pages by
# ETag, so a repeated GET costs neither a query nor a render. A version published by
# another process or server shows within that many seconds; one published in this
# process, at once. Evidence never relies on this: the contact form re-reads the
# current versions from the database when it is submitted.


@dataclass
class DocumentState:
    current: object
    upcoming: object
    expires: float

    def is_fresh(self):
        upcoming_pending = self.upcoming is None or self.upcoming.effective_at > timezone.now()
        return time.monotonic() < self.expires and upcoming_pending


_states = {}
_pages = OrderedDict()
PAGE_CACHE_SIZE = 64


def document_state(slug, load):
    """(current, upcoming) of a document (slug: its slug and language): load() → that
    pair, called when stale."""
    state = _states.get(slug)
    if state is None or not state.is_fresh():
        current, upcoming = load()
        lifetime = settings.KOMMOGEN_PAGE_STATE_SECONDS
        state = _states[slug] = DocumentState(current, upcoming, time.monotonic() + lifetime)
    return state.current, state.upcoming


def cached_page(key, render_page):
    """The response for key: rendered once, then rebuilt from the remembered bytes."""
    remembered = _pages.get(key)
    if remembered is None:
        response = render_page()
        if response.status_code != 200:
            return response
        remembered = _pages[key] = (response.content, response["Content-Type"])
        while len(_pages) > PAGE_CACHE_SIZE:
            _pages.popitem(last=False)
    else:
        _pages.move_to_end(key)
    return HttpResponse(remembered[0], content_type=remembered[1])


# Whole answers of the current document pages (agreements/documents/early.py).
early_answers = {}


def forget():
    """Drop what this process remembers (after a publication; between tests, whose
    databases reuse primary keys)."""
    from .models import published_version  # models use this module: it comes in here

    _states.clear()
    _pages.clear()
    early_answers.clear()
    published_version.cache_clear()


# Digested when this module is imported: with gunicorn's preload_app, in the master, so
# every worker (and every worker restarted later) names the code it actually runs,
# whatever has been written to the disk since.
page_version()
