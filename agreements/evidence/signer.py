"""The signer: a new checkpoint only for history it saw grow. It trusts nothing it did
not sign: it extends the tree from its own state (signed_state.py, outside the
database) with the new events, checks their hashes and links, compares the stored tree
with the one it computed, proves the new checkpoint consistent with the last, and only
then signs. Any disagreement stops it with SignerRefused, and nothing is signed.

The log's identity (its origin, the key's name) is pinned at the first checkpoint: a
process configured with another origin (a shell without the server's KOMMOGEN_SITE_URL)
refuses to sign rather than start a second log.
"""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import merkle, notes, signed_state
from .chain import GENESIS_HASH, lock_chain
from .checkpoints import (
    TimestampRefused,
    checkpoint_problems,
    checkpoint_text,
    note_hash,
    timestamp,
)
from .models import AcceptanceEvent, Checkpoint
from .signed_state import SignedState
from .verification import verify_chain, verify_events

logger = logging.getLogger(__name__)


class SignerRefused(Exception):
    """The database disagrees with what the signer signed: nothing is signed."""


def pinned_origin():
    """The log's name as its first checkpoint gives it, or None before it."""
    first = Checkpoint.objects.order_by("tree_size").values_list("note", flat=True).first()
    return first.split("\n", 1)[0] if first else None


def check_identity(state):
    """This process must sign as the log was named at its first checkpoint, with its key."""
    pinned = state.origin if state.size else pinned_origin()
    if pinned and pinned != settings.LOG_ORIGIN:
        raise SignerRefused(
            f"This process names the log {settings.LOG_ORIGIN!r}, but the log was named "
            f"{pinned!r} at its first checkpoint: set KOMMOGEN_SITE_URL (or "
            "KOMMOGEN_LOG_ORIGIN) as the server has it. Nothing was signed."
        )
    if state.size and state.verifier_key != notes.verifier_key():
        raise SignerRefused(
            "This process's signing key is not the one that signed the log's checkpoints "
            f"({state.verifier_key}). Nothing was signed."
        )


def adopt():
    """The first signer state of an install that has checkpoints from before the signer
    kept one (make_checkpoint --adopt, once): everything the database holds is verified
    first, and the frontier is computed from the events themselves, not the stored tree."""
    result = verify_chain()
    problem = checkpoint_problems(result.count) or merkle.stored_tree_problem()
    if not result.ok or problem:
        raise SignerRefused(
            f"The evidence does not verify, so it cannot be adopted: {problem or result}"
        )
    newest = Checkpoint.objects.order_by("-tree_size").first()
    frontier = {}
    events = AcceptanceEvent.objects.filter(position__lte=newest.tree_size).order_by("position")
    for index, event_hash in enumerate(events.values_list("hash", flat=True).iterator(5000)):
        merkle.add_leaf(frontier, index, merkle.leaf_hash(event_hash))
    state = SignedState(
        origin=pinned_origin(), verifier_key=notes.verifier_key(),
        size=newest.tree_size, head_hash=events.last().hash, frontier=frontier,
        note=newest.note,
    )  # fmt: skip
    if state.root().hex() != newest.root_hash:
        raise SignerRefused("The newest checkpoint's root is not the events' root.")
    signed_state.write(state, signed_state.path())
    return state


def current_state(adopting=False):
    state = signed_state.load()
    if state is not None:
        return state
    if Checkpoint.objects.exists():
        if not adopting:
            raise SignerRefused(
                f"The database has checkpoints but the signer's state ({signed_state.path()}) "
                "is missing. If this install is new to it, run make_checkpoint --adopt once; "
                "if the file was lost, restore it from the backup. Nothing was signed."
            )
        return adopt()
    return SignedState(origin=settings.LOG_ORIGIN, verifier_key=notes.verifier_key())


CHUNK = 5000


def grow(state):
    """The state after the events newer than the signed size, or None when there are
    none. Streaming, in chunks: each event must follow the one before (no gap, linked to
    the signed head and to each other) and match its hash; the tree is extended from the
    signed frontier with them, and every node that completes must be stored as computed
    (the stored tree is extended first, so forged nodes are met, not skipped)."""
    try:
        merkle.extend_tree()
    except ValueError as error:
        raise SignerRefused(f"The stored Merkle tree cannot be extended: {error}") from None
    frontier, size, head = dict(state.frontier), state.size, state.head_hash or GENESIS_HASH
    while True:
        chunk = AcceptanceEvent.objects.filter(position__gt=size, position__lte=size + CHUNK)
        rows = list(chunk.order_by("position").values_list("position", "hash", "previous_hash"))
        if not rows:
            break
        completed = []
        for position, event_hash, previous_hash in rows:
            if position != size + 1:
                raise SignerRefused(f"The chain has a gap before event {position}.")
            if previous_hash != head:
                raise SignerRefused(f"Event {position} does not link to the event before it.")
            completed += merkle.add_leaf(frontier, size, merkle.leaf_hash(event_hash))
            size, head = position, event_hash
        check_chunk(chunk, completed)
    if size == state.size:
        return None
    if merkle.stored_size() != size:
        raise SignerRefused("The stored Merkle tree has leaves past the chain's last event.")
    origin = state.origin if state.size else settings.LOG_ORIGIN
    return SignedState(origin, notes.verifier_key(), size, head, frontier)


def check_chunk(events, completed):
    problems = verify_events(events)
    if problems:
        position, problem = problems[0]
        raise SignerRefused(f"Event {position}: {problem}.")
    problem, stored = merkle.nodes_problem(completed)
    if problem or stored != len(completed):
        raise SignerRefused(
            f"{problem or 'the stored Merkle tree lacks nodes the events give'}: a node was "
            "edited or forged."
        )


def check_consistency(state, grown):
    if not state.size:
        return
    proof = merkle.consistency_proof(state.size, grown.size)
    if not merkle.verify_consistency(state.size, grown.size, state.root(), grown.root(), proof):
        raise SignerRefused("The new tree is not consistent with the last checkpoint.")


@transaction.atomic
def record(grown, stamp, previous_note):
    lock_chain()
    newest = Checkpoint.objects.order_by("-tree_size").values_list("note", flat=True).first()
    if (newest or "") != previous_note:
        raise IntegrityError("Another signer made a checkpoint meanwhile.")
    return Checkpoint.objects.create(
        tree_size=grown.size, root_hash=grown.root().hex(), note=grown.note,
        previous_note_hash=note_hash(previous_note) if previous_note else "",
        made_at=timezone.now(), timestamp=stamp,
    )  # fmt: skip


def make_checkpoint(adopting=False):
    """A new checkpoint when the chain has grown since the last one (else None); raises
    SignerRefused, having signed nothing, when the database disagrees with the signer.

    Its timestamp, if any, is asked for before the chain's lock is taken, so no request
    waits on the authority. The signer's new state is written (pending) before the
    checkpoint is committed and promoted after, so a crash between them loses nothing.
    """
    state = current_state(adopting)
    check_identity(state)
    problem = signed_state.disagreement(state) or merkle.stored_tree_problem()
    if problem:
        raise SignerRefused(f"{problem[0].upper()}{problem[1:]}. Nothing was signed.")
    grown = grow(state)
    if grown is None:
        return None
    check_consistency(state, grown)
    grown.note = notes.sign_note(checkpoint_text(grown.size, grown.root()))
    stamp = stamped(grown)
    signed_state.save_pending(grown)
    try:
        checkpoint = record(grown, stamp, state.note)
    except IntegrityError:
        signed_state.pending_path().unlink()
        return None  # another process made one meanwhile; the next run goes on
    signed_state.promote_pending()
    return checkpoint


def stamped(grown):
    if not settings.TSA_URL:
        return None
    try:
        return timestamp(grown.note)
    except TimestampRefused as refused:  # the checkpoint matters more: made without
        logger.error("No timestamp for checkpoint %s: %s", grown.size, refused)
        return None
