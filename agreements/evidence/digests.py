"""Digests of personal data in place of the data: HMAC-SHA-256 keyed with the evidence
key (kept outside the database), over "salt:value"; and the older salted SHA-256 that
events of record format 1 carry."""

import hashlib
import hmac

from django.conf import settings

from ..core.models import normalise_email

PERSONAL_FIELDS = ("name", "email", "contact", "company", "message", "client_ip", "user_agent")


def normalised(field, value):
    """A personal value as it is digested: trimmed, and emails by normalise_email()."""
    value = str(value).strip()
    return normalise_email(value) if field == "email" else value


def key_id():
    """Names the evidence key without revealing it: which key made an event's digests."""
    return hashlib.sha256(settings.EVIDENCE_KEY.encode()).hexdigest()[:16]


def keyed_digest(salt, field, value):
    """HMAC-SHA-256, keyed with the evidence key, of "salt:value"; None for no value.

    Without the key (kept outside the database) a digest cannot be tested against
    guesses, so a phone number or an IP address cannot be read back by brute force.
    """
    if value in (None, ""):
        return None
    message = f"{salt}:{normalised(field, value)}".encode()
    return hmac.new(settings.EVIDENCE_KEY.encode(), message, hashlib.sha256).hexdigest()


def legacy_digest(salt, value):
    """Format 1 events (before 2026-11-27): SHA-256 of "salt:value", emails in lower case."""
    if value in (None, ""):
        return None
    value = str(value).strip()
    if "@" in value:
        value = value.casefold()
    return hashlib.sha256(f"{salt}:{value}".encode()).hexdigest()


def subject_digests(salt, **personal):
    return {field: keyed_digest(salt, field, personal.get(field)) for field in PERSONAL_FIELDS}


def digest_matches(event, field, value):
    """Whether the event's digest of field is of value (the operator's check, with the key)."""
    expected = event.subject_digests.get(field)
    if not expected:
        return False
    if event.subject_key_id:
        return keyed_digest(event.subject_salt, field, value) == expected
    return legacy_digest(event.subject_salt, value) == expected
