"""A person's rights, served by the site: the register of their requests (with its
append-only log), the single-use link that opens their data, and what they do there
(see, download, correct, erase, withdraw), each one transaction with its chain events."""

import hashlib
import secrets

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..contact.models import Submission
from ..contact.services import person_erase
from ..core.clients import Context
from ..core.models import normalise_email
from ..evidence.chain import append, chain_time, events_of, new_event
from ..evidence.digests import subject_digests
from ..evidence.models import AcceptanceEvent
from ..withdrawal.models import Withdrawal
from ..withdrawal.services import withdrawal_record
from .models import MyDataLinkUse, RightsRequest, RightsRequestChange
from .signals import my_data_asked, my_data_link_made

LINK_SALT, GRANT_SALT = "agreements.my-data-link", "agreements.my-data-grant"
CORRECTABLE = ("name", "contact", "company")
Kind, State = RightsRequest.Kind, RightsRequest.State


class LinkInvalid(Exception):
    """The link was altered or made for something else (400)."""


class LinkExpired(Exception):
    """The link is older than KOMMOGEN_MY_DATA_LINK_MINUTES (410)."""


class LinkUsed(LinkExpired):
    """The link was followed already: it opens once (410)."""


class NotTheirRequest(Exception):
    """The reference names none of the person's requests that can still be changed (400)."""


def their_request(key: str, reference: str) -> Submission:
    """One of the person's requests not erased, locked for the change."""
    try:
        return Submission.objects.select_for_update().get(
            email_key=key, reference=reference, erased_at__isnull=True
        )
    except Submission.DoesNotExist:
        raise NotTheirRequest(reference) from None


@transaction.atomic
def register(
    *,
    kind: str,
    channel: str,
    email: str,
    by: str,
    language: str = "",
    details: str = "",
    state: str = State.RECEIVED,
) -> RightsRequest:
    """A rights request in the register, with the first line of its log."""
    entry = RightsRequest.objects.create(
        kind=kind, channel=channel, email=email, language=language, details=details,
        state=state, handled_by=by if state != State.RECEIVED else "",
        completed_at=timezone.now() if state == State.COMPLETED else None,
    )  # fmt: skip
    RightsRequestChange.objects.create(request=entry, state=state, by=by, note=details)
    return entry


@transaction.atomic
def register_change(*, entry: RightsRequest, state: str, by: str, note: str = "") -> None:
    """A register entry moves to `state`: who and when go to its append-only log."""
    entry = RightsRequest.objects.select_for_update().get(pk=entry.pk)
    done = state in (State.COMPLETED, State.REFUSED)
    RightsRequest.objects.filter(pk=entry.pk).update(
        state=state, handled_by=by, completed_at=timezone.now() if done else None
    )
    RightsRequestChange.objects.create(request=entry, state=state, by=by, note=note)


def my_data_hand_over(*, email: str, language: str) -> None:
    """An address typed on /my-data/: the worker looks it up, so the page and its timing
    say nothing about whether it is known."""
    my_data_asked.announce(typed={"email": email, "language": language})


def my_data_link_send(*, email: str, language: str) -> bool:
    """The worker's part: a single-use link to the address, if the site holds its data."""
    key = normalise_email(email)
    if not key or not holds_data_of(key):
        return False
    token = signing.TimestampSigner(salt=LINK_SALT).sign_object(
        {"k": key, "n": secrets.token_urlsafe(12)}
    )
    my_data_link_made.announce(email=email, language=language, token=token)
    return True


def holds_data_of(key):
    return (
        Submission.objects.filter(email_key=key, erased_at__isnull=True).exists()
        or Withdrawal.objects.filter(email_key=key).exists()
    )


def link_contents(token):
    """The address a link opens, or LinkInvalid / LinkExpired."""
    minutes = settings.KOMMOGEN_MY_DATA_LINK_MINUTES
    try:
        data = signing.TimestampSigner(salt=LINK_SALT).unsign_object(token, max_age=minutes * 60)
    except signing.SignatureExpired:
        raise LinkExpired from None
    except (signing.BadSignature, ValueError, TypeError):
        raise LinkInvalid from None
    if not isinstance(data, dict) or not {"k", "n"} <= data.keys():
        raise LinkInvalid
    if MyDataLinkUse.objects.filter(nonce_digest=nonce_digest(data["n"])).exists():
        raise LinkUsed
    return data


def nonce_digest(nonce):
    return hashlib.sha256(nonce.encode()).hexdigest()


@transaction.atomic
def my_data_open(*, token: str, context: Context) -> str:
    """The link followed (its button pressed): spent for good, an 'accessed' event on each
    of the person's requests and an access in the register. The grant the page's forms
    carry for the next half hour."""
    data = link_contents(token)
    try:
        with transaction.atomic():
            MyDataLinkUse.objects.create(nonce_digest=nonce_digest(data["n"]))
    except IntegrityError:  # pressed twice at once: the second finds the first
        raise LinkUsed from None
    person = requests_of(data["k"])
    record_on_each(person, context, AcceptanceEvent.Kind.ACCESSED,
                   "The person opened the data of request {reference} on the “my data” page, "
                   "by a single-use link emailed to its address.")  # fmt: skip
    register(kind=Kind.ACCESS, channel=RightsRequest.Channel.PAGE, email=person_email(data["k"]),
             by="the person, on the my-data page", language=context.language,
             state=State.COMPLETED)  # fmt: skip
    return signing.TimestampSigner(salt=GRANT_SALT).sign_object({"k": data["k"]})


def grant_holder(grant):
    """The address a page's grant speaks for, or LinkExpired (a half hour after opening)."""
    minutes = settings.KOMMOGEN_MY_DATA_LINK_MINUTES
    try:
        data = signing.TimestampSigner(salt=GRANT_SALT).unsign_object(grant, max_age=minutes * 60)
    except signing.SignatureExpired:
        raise LinkExpired from None
    except (signing.BadSignature, ValueError, TypeError):
        raise LinkInvalid from None
    return data["k"]


def requests_of(key):
    return list(Submission.objects.filter(email_key=key).order_by("created_at"))


def person_email(key):
    found = Submission.objects.filter(email_key=key).exclude(email="").first()
    return found.email if found else key


def record_on_each(submissions, context, kind, statement):
    now = chain_time()
    events = [
        new_event(
            submission,
            context,
            submission.salt,
            {},
            kind=kind,
            purpose=AcceptanceEvent.Purpose.PERSONAL_DATA,
            submission=submission,
            statement=statement.format(reference=submission.reference),
        )  # fmt: skip
        for submission in submissions
        if not submission.erased_at
    ]
    append(events, now)


@transaction.atomic
def my_data_export(*, key: str, context: Context) -> dict:
    """Everything the site holds of the person, as data: their requests with their fields,
    their events' records and hashes, their withdrawals. An 'exported' event on each."""
    submissions = requests_of(key)
    record_on_each(submissions, context, AcceptanceEvent.Kind.EXPORTED,
                   "The person downloaded the data of request {reference} from the “my "
                   "data” page.")  # fmt: skip
    register(kind=Kind.ACCESS, channel=RightsRequest.Channel.PAGE, email=person_email(key),
             by="the person, on the my-data page", language=context.language,
             details="a copy, downloaded as JSON", state=State.COMPLETED)  # fmt: skip
    return {
        "requests": [export_of(s, events_of(s)) for s in submissions],
        "withdrawals": [
            {"reference": w.reference, "scope": w.scope, "created_at": w.created_at.isoformat(),
             "confirmed_at": w.confirmed_at.isoformat() if w.confirmed_at else None}
            for w in Withdrawal.objects.filter(submissions__email_key=key).distinct()
        ],
    }  # fmt: skip


def export_of(submission, events):
    fields = ("reference", "name", "email", "contact", "company", "service", "message",
              "language", "client_ip", "user_agent")  # fmt: skip
    data = {field: getattr(submission, field) for field in fields}
    data["created_at"] = submission.created_at.isoformat()
    data["erased_at"] = submission.erased_at.isoformat() if submission.erased_at else None
    data["events"] = [{"record": record, "hash": event.hash} for event, record in events]
    return data


@transaction.atomic
def my_data_correct(
    *, key: str, reference: str, field: str, value: str, context: Context
) -> Submission:
    """A field of one of the person's requests corrected: the request holds the new value,
    and a 'corrected' event names the field (with the new value's keyed digest); the
    events before keep what was sent, untouched."""
    if field not in CORRECTABLE:
        raise ValueError(f"{field} cannot be corrected here")
    submission = their_request(key, reference)
    Submission.objects.filter(pk=submission.pk).update(**{field: value})
    now = chain_time()
    event = new_event(
        submission, context, submission.salt,
        subject_digests(submission.salt, **{field: value}),
        kind=AcceptanceEvent.Kind.CORRECTED, purpose=AcceptanceEvent.Purpose.PERSONAL_DATA,
        submission=submission,
        statement=f"The {field} of request {reference} was corrected at the person's request.",
    )  # fmt: skip
    append([event], now)
    register(kind=Kind.CORRECTION, channel=RightsRequest.Channel.PAGE, email=submission.email,
             by="the person, on the my-data page", language=context.language,
             details=f"{reference}: {field}", state=State.COMPLETED)  # fmt: skip
    return submission


@transaction.atomic
def my_data_erase(*, key: str, context: Context) -> list[str]:
    """Everything erased: the same erasure as the command, in the register."""
    email = person_email(key)
    erased = person_erase(email=email, context=context)
    register(kind=Kind.ERASURE, channel=RightsRequest.Channel.PAGE, email="",
             by="the person, on the my-data page", language=context.language,
             details=", ".join(erased), state=State.COMPLETED)  # fmt: skip
    return erased


@transaction.atomic
def my_data_withdraw(*, key: str, reference: str, scope: str, context: Context) -> Withdrawal:
    """One consent of one request withdrawn, at once (the page was opened from the
    request's address), in the register."""
    submission = their_request(key, reference)
    withdrawal = withdrawal_record(submission=submission, scope=scope, context=context)
    register(kind=Kind.WITHDRAWAL, channel=RightsRequest.Channel.PAGE, email=submission.email,
             by="the person, on the my-data page", language=context.language,
             details=f"{reference}: {scope}", state=State.COMPLETED)  # fmt: skip
    return withdrawal


def person_data(key: str) -> list[dict]:
    """What the "my data" page shows, request by request: the request, each consent as it
    stands now with the version and fingerprint it rests on, and the notices sent."""
    shown = []
    for submission in requests_of(key):
        events = list(submission.events.select_related("version__document").order_by("position"))
        withdrawn = {w.scope: w for w in submission.withdrawals.exclude(confirmed_at=None)}
        shown.append({
            "submission": submission,
            "consents": [consent_state(submission, event, withdrawn) for event in events
                         if event.kind in GIVEN_OR_REFUSED],
            "notices": [event for event in events if event.kind == AcceptanceEvent.Kind.NOTIFIED],
        })  # fmt: skip
    return shown


GIVEN_OR_REFUSED = ("accepted", "consent_given", "consent_refused")


def consent_state(submission, event, withdrawn):
    """(purpose, state, version, fingerprint) of one consent as it stands now."""
    state = {"accepted": "accepted", "consent_given": "given", "consent_refused": "refused"}[
        event.kind
    ]
    if event.purpose == "notifications" and submission.notifications_confirmed_at:
        state = "confirmed"
    if event.purpose in withdrawn:
        state = "withdrawn"
    if submission.erased_at and event.purpose != "agreement":
        state = "erased"
    return {"purpose": event.get_purpose_display(), "state": state, "version": event.version,
            "fingerprint": event.fingerprint, "scope": event.purpose}  # fmt: skip
