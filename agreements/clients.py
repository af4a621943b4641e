"""Who sent a request: the client IP behind trusted proxies, and the rate limit per IP."""

from django.conf import settings
from django.utils import timezone

from .models import RateCounter


def client_ip(request):
    """REMOTE_ADDR, or the address the nearest trusted proxy saw.

    Each trusted proxy appends the address it received from to X-Forwarded-For, so
    the client is the Nth entry from the right; entries further left are whatever
    the client chose to send and are never trusted.
    """
    proxies = settings.KOMMOGEN_TRUSTED_PROXIES
    if proxies <= 0:
        return request.META.get("REMOTE_ADDR") or None
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if len(forwarded) < proxies:
        return request.META.get("REMOTE_ADDR") or None
    return forwarded[-proxies]


def rate_limit_window():
    """Seconds of the rate limit's window (KOMMOGEN_RATE_LIMIT = "COUNT/SECONDS")."""
    return int(settings.KOMMOGEN_RATE_LIMIT.split("/")[-1] or 0)


def over_rate_limit(request, scope):
    """Count this request; True when the client sent more than the limit allows."""
    limit = settings.KOMMOGEN_RATE_LIMIT
    if limit in ("", "0"):
        return False
    count, seconds = (int(part) for part in limit.split("/"))
    window = int(timezone.now().timestamp()) // seconds
    return RateCounter.hit(f"{scope}:{client_ip(request)}"[:120], window) > count
