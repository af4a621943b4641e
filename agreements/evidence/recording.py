"""Recording what a person did, each in one transaction with its events and the
messages it causes (the outbox): a request (record_submission) and a withdrawal
(record_withdrawal)."""

from django.db import transaction

from ..contact.models import Submission, normalise_email
from ..outbox.messages import queue_for_submission, queue_for_withdrawal
from ..withdrawal.models import Withdrawal
from .chain import append, chain_time, new_event
from .digests import subject_digests
from .models import AcceptanceEvent


class StaleVersions(Exception):
    """A document the form showed is no longer current when the request is recorded."""

    def __init__(self, current):
        super().__init__("The documents changed while the form was open.")
        self.current = current


class FormAlreadySent(Exception):
    """The form's token was already used by a recorded request."""


def kind_of(purpose, given):
    if purpose == AcceptanceEvent.Purpose.AGREEMENT:
        return AcceptanceEvent.Kind.ACCEPTED
    return AcceptanceEvent.Kind.CONSENT_GIVEN if given else AcceptanceEvent.Kind.CONSENT_REFUSED


@transaction.atomic
def record_submission(form, context):
    """Write the submission and one event per document and consent: all or nothing.

    Under the chain's lock, the moment of the events is taken and the versions the form
    showed must still be current at that moment (StaleVersions otherwise), and the form's
    token must not have been used (FormAlreadySent): no request accepts a superseded text,
    and none is recorded twice.
    """
    now = chain_time()
    current = form.current_versions(at=now)
    if current is None or not form.token.matches(current):
        raise StaleVersions(current)
    if Submission.objects.filter(form_token_digest=form.token.digest).exists():
        raise FormAlreadySent
    fields, consents = form.fields_typed(), form.consents()
    submission = Submission.objects.create(
        **fields,
        client_ip=context.client_ip,
        user_agent=context.user_agent,
        language=context.language,
        notifications_consent=consents[AcceptanceEvent.Purpose.NOTIFICATIONS],
        form_token_digest=form.token.digest,
    )
    append(submission_events(submission, form, fields, consents, context), now)
    queue_for_submission(submission)  # in this transaction: one commit, nothing sent here
    return submission


def submission_events(submission, form, fields, consents, context):
    """One event per statement the form showed: what was accepted, given or refused."""
    digests = subject_digests(
        submission.salt, **fields, client_ip=context.client_ip, user_agent=context.user_agent
    )
    return [
        new_event(
            submission,
            context,
            submission.salt,
            digests,
            kind=kind_of(purpose, consents[purpose]),
            purpose=purpose,
            texts=statement.texts,
            version=statement.version,
            statement=statement.text,
            submission=submission,
        )  # fmt: skip
        for purpose, statement in form.statements.items()
    ]


@transaction.atomic
def record_withdrawal(email, reference, scope, statement, context):
    withdrawal = Withdrawal.objects.create(
        email=email,
        submission_reference=reference,
        scope=scope,
        client_ip=context.client_ip,
        user_agent=context.user_agent,
    )
    matching = Submission.objects.none()
    if email:
        matching = Submission.objects.filter(email_key=normalise_email(email))
    if reference:
        matching = matching | Submission.objects.filter(reference=reference)
    withdrawal.submissions.set(matching)
    digests = subject_digests(
        withdrawal.salt, email=email, client_ip=context.client_ip, user_agent=context.user_agent
    )
    event = new_event(
        withdrawal, context, withdrawal.salt, digests,
        kind=AcceptanceEvent.Kind.WITHDRAWN, purpose=scope, statement=statement,
        withdrawal=withdrawal,
    )  # fmt: skip
    append([event])
    queue_for_withdrawal(withdrawal)
    return withdrawal
