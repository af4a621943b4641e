"""Verifying the evidence: the whole chain (verify_evidence), or one request's events
and their links (the evidence sheet), with every version they name re-hashed."""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..documents.models import Version
from . import signed_state
from .chain import GENESIS_HASH, hash_record, record, text_of
from .checkpoints import checkpoint_problems, misnamed_checkpoints
from .merkle import stored_tree_problem
from .models import AcceptanceEvent, ChainVerification, Checkpoint, FormSnapshot
from .witnesses import cosignature_problems, quorum_of


@dataclass(frozen=True)
class Verification:
    ok: bool
    count: int
    head_hash: str
    broken_position: int | None = None
    reason: str = ""

    def __str__(self):
        if self.ok:
            return f"OK: {self.count} events, head hash {self.head_hash}{self.reason}"
        if self.broken_position is None:
            return f"BROKEN: {self.reason}"
        return f"BROKEN at position {self.broken_position}: {self.reason}"


@dataclass(frozen=True)
class PublishedText:
    """A published version as verification needs it, its text re-hashed once."""

    version: Version
    source_ok: bool
    html_ok: bool

    def problem(self):
        if not self.source_ok:
            return f"edited: the text of {self.version} no longer matches its fingerprint"
        if not self.html_ok:
            return f"edited: the HTML of {self.version} no longer matches its fingerprint"
        return ""


def published_texts():
    """Every published version by primary key and by (document, language, number),
    re-hashed."""
    texts = {}
    for version in Version.objects.published().with_originals().iterator():
        html = hashlib.sha256(version.html.encode()).hexdigest()
        source_ok = hashlib.sha256(version.source.encode()).hexdigest() == version.fingerprint
        html_ok = version.html_fingerprint in (None, html)
        version.source = version.html = version.toc_html = ""  # keep memory small
        text = PublishedText(version, source_ok, html_ok)
        key = (version.document.slug, version.language, version.number)
        texts[version.pk] = texts[key] = text
    for fingerprint, html in FormSnapshot.objects.values_list("fingerprint", "html").iterator():
        texts[("form", fingerprint)] = hashlib.sha256(html.encode()).hexdigest() == fingerprint
    return texts


def versions_by_pk():
    """Every published version (without its text) with its document, by primary key."""
    return {v.pk: v for v in Version.objects.published().named()}


def events_with_owners(events):
    """Events with owner_reference: the reference of the request or withdrawal they point at."""
    owner = Coalesce(F("submission__reference"), F("withdrawal__reference"))
    return events.select_related(None).annotate(owner_reference=owner)


def verify_chain(chunk_size=2000):
    """Recompute every hash in order, streaming; stop at the first break."""
    texts = published_texts()
    events = events_with_owners(AcceptanceEvent.objects.order_by("position"))
    count, expected, previous = 0, 1, None
    previous_hash = GENESIS_HASH
    for event in events.iterator(chunk_size=chunk_size):
        broken = _break_in(event, expected, previous, previous_hash, texts)
        if broken:
            return Verification(False, count, previous_hash, event.position, broken)
        count, expected, previous, previous_hash = count + 1, event.position + 1, event, event.hash
    return Verification(True, count, previous_hash)


def verify_events(events):
    """Check a few events (one request's) without reading the whole chain: each one's
    content and hash, and its links to the events just before and after it in the chain.
    A list of (position, what is wrong); empty when all is well."""
    events = list(events_with_owners(events.order_by("position")))
    positions = {p for e in events for p in (e.position - 1, e.position + 1)}
    neighbours = AcceptanceEvent.objects.filter(position__in=positions)
    hashes = dict(neighbours.values_list("position", "hash"))
    following = dict(neighbours.values_list("position", "previous_hash"))
    texts, problems = published_texts(), []
    for event in events:
        before = GENESIS_HASH if event.position == 1 else hashes.get(event.position - 1)
        if event.previous_hash != before:
            problems.append((event.position, "its link to the event before it is broken"))
        after = following.get(event.position + 1)
        if after is not None and after != event.hash:
            problems.append((event.position, "the event after it does not link to it"))
        broken = _content_break(event, texts)
        if broken:
            problems.append((event.position, broken))
    return problems


def verify_with_checkpoints():
    """verify_chain(), then every checkpoint against the chain (checkpoints.py)."""
    result = verify_chain()
    if not result.ok:
        return result
    problem = (checkpoint_problems(result.count) or stored_tree_problem() or signer_problem()
               or next(iter(cosignature_problems()), ""))  # fmt: skip
    if problem:
        return Verification(False, result.count, result.head_hash, None, problem)
    latest = Checkpoint.objects.order_by("-tree_size").first()
    covered = f"; checkpoints OK, the latest covers {latest.tree_size}" if latest else ""
    if latest and settings.WITNESSES:
        covered += (f", cosigned by {quorum_of(latest)} of {len(settings.WITNESSES)} witness(es)"
                    f" (quorum {settings.WITNESS_QUORUM})")  # fmt: skip
    misnamed = misnamed_checkpoints()
    if misnamed:
        covered += (
            f"; note: checkpoint(s) {', '.join(map(str, misnamed))} were signed under another "
            "log name than the first's (kept; later ones are signed under the first)"
        )
    return Verification(True, result.count, result.head_hash, reason=covered)


def signer_problem():
    """The database against the signer's state outside it, where this machine has it."""
    state = signed_state.load()
    if state is None:
        if Checkpoint.objects.exists():
            return f"the signer's state ({signed_state.path()}) is missing"
        return ""
    problem = signed_state.disagreement(state)
    return f"against the signer's state: {problem}" if problem else ""


def verify_and_remember():
    """The whole verification, its result kept for admin's evidence sheets
    (ChainVerification)."""
    started = timezone.now()
    result = verify_with_checkpoints()
    ChainVerification.objects.create(
        started_at=started, finished_at=timezone.now(), ok=result.ok, count=result.count,
        head_hash=result.head_hash, broken_position=result.broken_position,
        reason=result.reason,
    )  # fmt: skip
    return result


def _break_in(event, expected, previous, previous_hash, texts):
    if event.position != expected:
        return f"deleted: positions {expected} to {event.position - 1} are missing"
    if event.previous_hash != previous_hash:
        return _link_break(event, previous_hash)
    if previous and event.recorded_at < previous.recorded_at:
        return "reordered: recorded before the event preceding it"
    return _content_break(event, texts)


def _link_break(event, previous_hash):
    linked = AcceptanceEvent.objects.filter(hash=event.previous_hash).first()
    if linked and linked.position > event.position:
        return f"reordered: it follows event {linked.position}, which comes after it"
    if linked:
        return f"inserted: event(s) between {linked.position} and {event.position}"
    follower = AcceptanceEvent.objects.filter(previous_hash=previous_hash).first()
    if follower and follower.position > event.position:
        return f"inserted: event {follower.position} follows the event before this one"
    return "deleted or replaced: the event it follows is not in the log"


def _content_break(event, texts):
    """What is wrong with the event's own content, or ""."""
    text = texts.get(event.version_id) if event.version_id else None
    broken = (
        _owner_break(event)
        or _fingerprint_break(event, text)
        or _shown_texts_break(event, texts)
        or _form_break(event, texts)
        or (text.problem() if text else "")
    )
    if broken:
        return broken
    if hash_record(record(event, text.version if text else None)) != event.hash:
        return "edited: its content no longer matches its hash"
    return ""


def _form_break(event, texts):
    """Whether the form the event names is kept, unchanged, or ""."""
    if not event.form_snapshot:
        return ""
    kept = texts.get(("form", event.form_snapshot))
    if kept is None:
        return "edited: the form it names is not kept"
    return "" if kept else "edited: the form it names no longer matches its fingerprint"


def _owner_break(event):
    """Whether the request or withdrawal the event points at is the one its record names."""
    owner = getattr(event, "owner_reference", None)
    if owner is not None and owner != event.reference:
        return f"edited: it points at {owner}, but its record names {event.reference}"
    return ""


def _fingerprint_break(event, text):
    if event.version_id and (text is None or text.version.fingerprint != event.fingerprint):
        return "edited: its fingerprint does not match the published version"
    return ""


def _shown_texts_break(event, texts):
    """Whether every text the event names is the published one, unedited, or ""."""
    for shown in event.texts or []:
        language = shown.get("language", "en")  # events before languages name no language
        linked = texts.get((shown.get("document"), language, shown.get("version")))
        expected = text_of(linked.version) if linked else None
        for later in ("language", "translates", "prevails"):  # named by later records only
            if expected and later in expected and later not in shown:
                del expected[later]
        if linked is None or expected != shown:
            return f"edited: the {shown.get('document')} text it names is not as published"
        if linked.problem():
            return linked.problem()
    return ""
