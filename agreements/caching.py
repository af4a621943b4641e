"""Conditional GETs for document pages: ETag and Last-Modified, 304 when unchanged.

A document page is a function of the versions it shows, the templates and static
assets it is drawn with, and two settings; the ETag is a digest of exactly those.
"""

import hashlib
from functools import lru_cache

from django.conf import settings
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

# Every visitor revalidates (a scheduled version takes effect on time), and a 304 is cheap.
CACHE_CONTROL = "public, max-age=0, must-revalidate"


@lru_cache(maxsize=1)
def page_version():
    """A digest of the templates and the static manifest: changes with each deploy."""
    digest = hashlib.sha256()
    for template in sorted((settings.BASE_DIR / "templates").rglob("*.html")):
        digest.update(template.read_bytes())
    manifest = settings.STATIC_ROOT / "staticfiles.json"
    if manifest.exists():
        digest.update(manifest.read_bytes())
    digest.update(f"{settings.SITE_URL}|{settings.OPERATOR_TIME_ZONE}".encode())
    return digest.hexdigest()


def etag_for(*versions):
    """A weak ETag: the page is the same text, though a proxy may recompress it."""
    parts = [page_version()] + [f"{v.pk}:{v.fingerprint}" if v else "-" for v in versions]
    return 'W/"' + hashlib.sha256("|".join(parts).encode()).hexdigest()[:32] + '"'


def last_modified_of(*versions):
    """When the page last changed: a publication, or a version taking effect (never later
    than now: a scheduled version's future effective time is not a modification yet)."""
    now = timezone.now()
    moments = [m for v in versions if v for m in (v.published_at, v.effective_at) if m and m <= now]
    return int(max(moments).timestamp()) if moments else None  # HTTP dates have seconds


def not_modified(request, etag, last_modified):
    """A 304 response if the client's copy is current, else None."""
    return get_conditional_response(request, etag=etag, last_modified=last_modified)


def add_validators(response, etag, last_modified):
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = CACHE_CONTROL
    return response
