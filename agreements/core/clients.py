"""Who sent a request: the client IP behind trusted proxies, the rate limit per client,
and the context the evidence records with a request (page, form, IP, browser)."""

import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone, translation

from .models import RateCounter


@dataclass(frozen=True)
class Context:
    """Where and how a statement was shown: the same for every event of a request."""

    page: str
    form_name: str
    form_rendered_at: object
    submit_label: str
    language: str
    client_ip: str | None
    user_agent: str

    @classmethod
    def without_request(cls, by, language=""):
        """What the operator, a command or the worker does: no page, no visitor."""
        return cls("", by[:50], None, "", language, None, "")


def client_ip(request):
    """REMOTE_ADDR, or the address the nearest trusted proxy saw.

    Each trusted proxy appends the address it received from to X-Forwarded-For, so
    the client is the Nth entry from the right; entries further left are whatever
    the client chose to send and are never trusted.
    """
    proxies = settings.KOMMOGEN_TRUSTED_PROXIES
    if proxies <= 0:
        return ip_or_none(request.META.get("REMOTE_ADDR"))
    forwarded = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if len(forwarded) < proxies:
        return ip_or_none(request.META.get("REMOTE_ADDR"))
    return ip_or_none(forwarded[-proxies])


def ip_or_none(value):
    """The address in its normal form, or None for anything that is not an IP address
    (never stored, never rate-limited apart from other unknown clients)."""
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def rate_key(address):
    """Whom a rate limit counts: an IPv4 address, or an IPv6 client's /64 network (one
    subscriber usually has a whole /64, and could otherwise rotate addresses)."""
    if address is None:
        return "unknown"
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def login_client(request):
    """Whom admin's login lockout (django-axes) counts: as the forms' rate limit does, an
    IPv6 client by its /64, given as the network's first address (axes stores an IP)."""
    address = client_ip(request)
    key = rate_key(address)
    return key.split("/")[0] if address else None


def rate_limit_window():
    """Seconds of the rate limit's window (KOMMOGEN_RATE_LIMIT = "COUNT/SECONDS")."""
    return int(settings.KOMMOGEN_RATE_LIMIT.split("/")[-1] or 0)


def count_towards_limit(scope, address):
    """Count one request of the client at `address` (client_ip()); True when it sent more
    than the limit allows in this window."""
    limit = settings.KOMMOGEN_RATE_LIMIT
    if limit in ("", "0"):
        return False
    count, seconds = (int(part) for part in limit.split("/"))
    window = int(timezone.now().timestamp()) // seconds
    return RateCounter.hit(f"{scope}:{rate_key(address)}"[:120], window) > count


def evidence_context(request, page, form_rendered_at, submit_label, form_name):
    """Where and how a statement was shown to the person sending this request."""
    return Context(
        page=page,
        form_name=form_name,
        form_rendered_at=form_rendered_at,
        submit_label=str(submit_label),  # the words on the button, in the page's language
        language=translation.get_language() or settings.LANGUAGE_CODE,  # the page's language
        client_ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:500],
    )


def too_many_requests(request):
    response = render(request, "429.html", status=429)
    response["Retry-After"] = str(rate_limit_window())
    return response
