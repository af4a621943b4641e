"""The app's models, one room each; Django finds them here.

core/        RateCounter, and PersonalRecord: what a request and a withdrawal share
documents/   Document, Version (+ Cancellation, ContentLoad): texts and their versions
contact/     Submission: a contact request
evidence/    AcceptanceEvent, ChainVerification: the evidence chain; MerkleNode,
             Checkpoint: the tree over it and its signed checkpoints
withdrawal/  Withdrawal: consent withdrawn, with its statutory clocks
outbox/      OutboxMessage: what the site must tell someone, delivered by manage.py deliver
"""

from .contact.models import Service, Submission
from .core.models import (
    PersonalRecord,
    RateCounter,
    new_receipt_token,
    new_reference,
    new_salt,
    normalise_email,
)
from .documents.models import (
    Cancellation,
    ContentLoad,
    Document,
    PublishedVersionIsImmutable,
    Version,
    VersionQuerySet,
    fingerprint_of,
    next_number,
    review_fingerprint,
)
from .evidence.models import (
    AcceptanceEvent,
    AppendOnlyViolation,
    ChainVerification,
    Checkpoint,
    Cosignature,
    FormSnapshot,
    MerkleNode,
)
from .outbox.models import OutboxAttempt, OutboxMessage
from .rights.models import MyDataLinkUse, RightsRequest, RightsRequestChange
from .withdrawal.models import Withdrawal

__all__ = [
    "AcceptanceEvent", "AppendOnlyViolation", "Cancellation", "ChainVerification", "Checkpoint",
    "Cosignature", "FormSnapshot", "MerkleNode", "MyDataLinkUse", "OutboxAttempt", "RightsRequest",
    "RightsRequestChange",
    "ContentLoad", "Document", "OutboxMessage", "PersonalRecord", "PublishedVersionIsImmutable",
    "RateCounter", "Service", "Submission", "Version", "VersionQuerySet", "Withdrawal",
    "fingerprint_of", "new_receipt_token", "new_reference", "new_salt", "next_number",
    "normalise_email", "review_fingerprint",
]  # fmt: skip
