"""Leads for the operator's Kommo CRM, through Kommo's API v4 as Kommo documents it for
website forms: an incoming lead of the type form (POST /api/v4/leads/unsorted/forms,
with the contact and, if given, the company), then a note on the lead with the message
and the receipt's reference and link (POST /api/v4/leads/{id}/notes). A long-lived
token authorises both (Authorization: Bearer).

Kommo has no idempotency key. So that a request never becomes two leads, every send
asks Kommo for a lead named with the request's reference before it creates one (GET
/api/v4/leads?query=…), however the send was started (a first attempt, a retry, a
recovery after the worker died, the operator's "Send again"); a lead created but not
noted gets only its note next time. Kommo allows 7 requests a second per account: calls are spaced
(KOMMO_REQUESTS_PER_SECOND, 6 by default).
"""

import json
import re
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from django.conf import settings

from ..core.models import RateCounter


class KommoUnavailable(Exception):
    """Kommo did not answer usefully; retry later (retry_after: seconds, if Kommo said;
    status: the HTTP status, 429 when Kommo only asked us to slow down)."""

    def __init__(self, message, retry_after=None, status=None):
        super().__init__(message)
        self.retry_after, self.status = retry_after, status


class KommoRefused(Exception):
    """Kommo refused the request for good (400 to 403: invalid, unauthorised, unpaid,
    forbidden); its explanation (the validation errors) is kept in the message."""


REFUSED_STATUSES = {400, 401, 402, 403}
# What Kommo calls the source of unsorted leads: one for the site's contact form.
SOURCE_UID = "kommogen-website-contact-form"


def configured():
    return bool(settings.KOMMO_BASE_URL and settings.KOMMO_TOKEN)


def take_a_turn():
    """Kommo allows 7 requests a second per account, whoever sends them: every worker
    process counts its calls in one counter per second in the database and waits for the
    next second when this one is full (KOMMO_REQUESTS_PER_SECOND; 0: no limit)."""
    rate = settings.KOMMO_REQUESTS_PER_SECOND
    while rate:
        now = time.time()
        if RateCounter.hit("kommo-pace:", int(now)) <= rate:
            return
        time.sleep(1 - now % 1 + 0.001)


def call(method, path, body=None):
    """One API call: the decoded JSON answer ({} for none)."""
    take_a_turn()
    request = urllib.request.Request(
        settings.KOMMO_BASE_URL.rstrip("/") + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Bearer {settings.KOMMO_TOKEN}",
                 "Content-Type": "application/json", "Accept": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=settings.KOMMO_TIMEOUT) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        if error.code in REFUSED_STATUSES:
            detail = error.read()[:2000].decode("utf-8", "replace")
            raise KommoRefused(f"HTTP {error.code} from {path}: {detail}") from None
        seconds = retry_after_seconds(error.headers.get("Retry-After"))
        raise KommoUnavailable(f"HTTP {error.code} from {path}", seconds, error.code) from None
    except (TimeoutError, urllib.error.URLError, OSError) as error:
        raise KommoUnavailable(f"{type(error).__name__}: {error}") from None
    return json.loads(raw) if raw.strip() else {}


def retry_after_seconds(value, now=None):
    """Retry-After (RFC 9110 10.2.3) in seconds: a number of seconds or an HTTP date,
    at most KOMMOGEN_RETRY_AFTER_MAX_SECONDS; None when absent or unreadable (the usual
    backoff then applies). Never raises: a receiver's header must not stop the worker."""
    value = (value or "").strip()
    if value.isdigit():
        seconds = int(value[:12])
    else:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if moment is None or moment.tzinfo is None:
            return None
        now = now or datetime.now(UTC)
        seconds = max(0, int((moment - now).total_seconds()))
    return min(seconds, settings.KOMMOGEN_RETRY_AFTER_MAX_SECONDS)


def existing_lead(reference):
    """The id of a lead Kommo already has for this reference, or None."""
    found = call("GET", f"/api/v4/leads?query={reference}")
    leads = found.get("_embedded", {}).get("leads", [])
    return next((lead["id"] for lead in leads if reference in lead.get("name", "")), None)


def create_lead(payload):
    created = call("POST", "/api/v4/leads/unsorted/forms", [payload["incoming_lead"]])
    unsorted = created["_embedded"]["unsorted"][0]
    return unsorted["_embedded"]["leads"][0]["id"]


def noted(lead_id, reference):
    """Whether the lead already has the request's note (a send that died after adding it)."""
    found = call("GET", f"/api/v4/leads/{lead_id}/notes")
    notes = found.get("_embedded", {}).get("notes", [])
    return any(reference in (note.get("params") or {}).get("text", "") for note in notes)


def send(message):
    """Deliver a Kommo message, adding only what Kommo does not have yet: the lead (found
    by its reference first) and its note. Its remote_id keeps the lead between attempts."""
    payload = json.loads(message.text)
    lead_id = message.remote_id or existing_lead(payload["reference"])
    if not lead_id:
        lead_id = create_lead(payload)
    elif noted(lead_id, payload["reference"]):
        type(message).objects.filter(pk=message.pk).update(remote_id=str(lead_id))
        return
    type(message).objects.filter(pk=message.pk).update(remote_id=str(lead_id))
    note = [{"note_type": "common", "params": {"text": payload["note"]}}]
    call("POST", f"/api/v4/leads/{lead_id}/notes", note)


PHONE_NUMBER = re.compile(r"\+?[0-9][0-9 ().-]{5,22}[0-9]")


def is_phone_number(value):
    """A phone number (7 to 15 digits, with + ( ) - . and spaces), not a messenger name."""
    digits = sum(ch.isdigit() for ch in value)
    return bool(PHONE_NUMBER.fullmatch(value.strip())) and 7 <= digits <= 15


def lead_message(submission, page, sheet_url):
    """What the outbox keeps for Kommo: the incoming lead and its note, as JSON text. The
    receipt's private address never goes to the CRM: the reference is enough, and the
    operator opens the request in admin (the evidence sheet)."""
    created = int(submission.created_at.timestamp())
    fields = [{"field_code": "EMAIL", "values": [{"value": submission.email}]}]
    if submission.contact and is_phone_number(submission.contact):
        fields.append({"field_code": "PHONE", "values": [{"value": submission.contact}]})
    embedded = {
        "leads": [{"name": f"{submission.reference}: {submission.get_service_display()}"}],
        "contacts": [{"name": submission.name, "custom_fields_values": fields}],
    }
    if submission.company:
        embedded["companies"] = [{"name": submission.company}]
    metadata = {"form_id": "contact", "form_name": "KommoGEN contact form",
                "form_page": settings.SITE_URL + page, "referer": settings.SITE_URL + page,
                "form_sent_at": created}  # fmt: skip
    if settings.KOMMO_SEND_CLIENT_IP and submission.client_ip:  # the Privacy Policy says so
        metadata["ip"] = submission.client_ip
    incoming_lead = {
        "source_name": "KommoGEN website",
        "source_uid": SOURCE_UID,  # the site's form, the same for every lead (Kommo's API)
        "created_at": created,
        "metadata": metadata,
        "_embedded": embedded,
    }
    note = (
        f"{submission.message}\n\nPhone or messenger: {submission.contact or '-'}\n"
        f"Company: {submission.company or '-'}\nReference: {submission.reference}\n"
        f"Evidence sheet: {sheet_url}"
    )
    body = {"reference": submission.reference, "incoming_lead": incoming_lead, "note": note}
    return json.dumps(body, ensure_ascii=False)
