"""Redlines: what changed between two versions' Markdown, clause by clause, word by word.

A text is cut into blocks (paragraphs, headings, lists: what blank lines separate). Each
block belongs to a place: its own clause or section number, or else the clause or section
before it (a list belongs to the clause that introduces it). Blocks are aligned on their
words without their numbers, so a clause inserted in the middle is one insertion and the
clauses after it are renumbered, not all changed. A changed block is compared word by word.

Which blocks changed is decided on the Markdown source (the fingerprinted text), so no
change is ever hidden; the words are shown as a reader sees them, without Markdown markers,
and a change of formatting alone is said in words. Output is escaped text with <ins>/<del>;
a hidden prefix says "inserted"/"deleted" to screen readers, and the stylesheet underlines
and strikes through, so colour is never the only signal.
"""

import difflib
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

from .rendering import CLAUSE_NUMBER, SECTION_NUMBER, clause_anchor, section_anchor

# Words are compared without the spaces after them; the spaces are kept for the output.
WORD = re.compile(r"(\w+|[^\w\s])(\s*)")
# How alike (difflib's ratio of their words) two blocks must be to be one block changed.
SAME_BLOCK_RATIO = 0.5

HEADING_MARK = re.compile(r"^#{1,6}\s+", re.M)
BULLET = re.compile(r"^(\s*)[-*+]\s+", re.M)
LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
CODE = re.compile(r"`([^`]*)`")
ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!])")
STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
EMPHASIS = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
FORMATTING_ONLY = '<span class="change-note">({})</span>'


@dataclass(frozen=True)
class Place:
    """Where a block sits: a clause ("3.2"), a section ("3"), or the text before any."""

    kind: str  # "clause", "section" or ""
    number: str = ""

    @property
    def label(self):
        if self.kind == "clause":
            return gettext("Clause %(number)s") % {"number": self.number}
        if self.kind == "section":
            return gettext("Section %(number)s") % {"number": self.number}
        return gettext("Text")

    @property
    def anchor(self):
        if self.kind == "clause":
            return clause_anchor(self.number)
        return section_anchor(self.number) if self.kind == "section" else ""


@dataclass(frozen=True)
class Block:
    source: str
    place: Place
    numbered: bool  # the block carries its place's number itself (not a list under it)

    @cached_property
    def words(self):
        """What aligns the block with the other text: its words without its own number."""
        text = readable(self.source)
        if self.numbered:
            text = text.split(None, 1)[1] if len(text.split(None, 1)) > 1 else ""
        return " ".join(text.split())


@dataclass(frozen=True)
class Change:
    kind: str  # "unchanged", "changed", "renumbered", "added" or "removed"
    place: Place  # in the newer text (in the older one for a removed block)
    was: Place  # in the older text (the same as place unless renumbered)
    html: str  # the block with its changes marked in place
    old_html: str  # the older block with deletions marked ("" if added)
    new_html: str  # the newer block with insertions marked ("" if removed)
    heading: bool = False

    @property
    def label(self):
        return self.place.label

    @property
    def anchor(self):
        return self.place.anchor

    @property
    def moved(self):
        return self.was != self.place


@dataclass(frozen=True)
class Redline:
    rows: tuple  # every block of the newer text and each removed one, in reading order

    @property
    def changes(self):
        return tuple(row for row in self.rows if row.kind != "unchanged")

    @property
    def unchanged(self):
        return len(self.rows) - len(self.changes)

    @property
    def counts(self):
        kinds = [change.kind for change in self.changes]
        return {kind: kinds.count(kind) for kind in ("changed", "added", "removed", "renumbered")}


def own_place(source):
    """The clause or section number a block starts with, if any."""
    if source.startswith("#"):
        match = SECTION_NUMBER.match(source.lstrip("#").strip())
        return Place("section", match.group(1)) if match else None
    match = CLAUSE_NUMBER.match(source)
    return Place("clause", match.group(1)) if match else None


def blocks(source):
    """The text's blocks, each with the place it belongs to."""
    result, current = [], Place("")
    for text in re.split(r"\n\s*\n", source):
        text = text.strip()
        if not text:
            continue
        own = own_place(text)
        current = own or current
        result.append(Block(source=text, place=current, numbered=own is not None))
    return result


def readable(source):
    """A block as a reader sees it: no heading marks, bullets as bullets, no markers."""
    text = BULLET.sub(r"\1• ", HEADING_MARK.sub("", source))
    text = CODE.sub(r"\1", LINK.sub(r"\1", text))
    return ESCAPED.sub(r"\1", EMPHASIS.sub(r"\2", STRONG.sub(r"\2", text)))


def marked(tag, text):
    word = "inserted" if tag == "ins" else "deleted"
    hidden = '<span class="visually-hidden">{}</span>'
    opening, closing = hidden.format(f"[{word}: "), hidden.format("]")
    return f"<{tag}>{opening}{escape(text)}{closing}</{tag}>"


def tokens(text):
    """A text's words and punctuation marks, each with the spaces that follow it."""
    return WORD.findall(text)


def trailing_space(tokens):
    """A run's text without its last spaces, and those spaces (they stay outside a mark)."""
    text = "".join(word + space for word, space in tokens)
    stripped = text.rstrip()
    return stripped, text[len(stripped) :]


def equal_run(old_tokens, new_tokens):
    """Words both texts share: (in place, older side, newer side), each with its spaces."""
    inline, older, newer = [], [], []
    for (word, old_space), (_, new_space) in zip(old_tokens, new_tokens, strict=True):
        inline.append(escape(word + (new_space or old_space)))
        older.append(escape(word + old_space))
        newer.append(escape(word + new_space))
    return "".join(inline), "".join(older), "".join(newer)


def changed_run(old_tokens, new_tokens):
    """Words removed, added or replaced: (in place, older side, newer side), marked."""
    removed, after_removed = trailing_space(old_tokens)
    added, after_added = trailing_space(new_tokens)
    deleted = marked("del", removed) if removed else ""
    inserted = marked("ins", added) if added else ""
    between = " " if removed and added else ""  # "old new", never "oldnew"
    inline = deleted + between + inserted + escape(after_added if added else after_removed)
    older = deleted + escape(after_removed) if removed else ""
    newer = inserted + escape(after_added) if added else ""
    return inline, older, newer


def word_diff(old, new):
    """(in place, older side, newer side): the words of old and new with changes marked."""
    old, new = readable(old), readable(new)
    if old == new:  # the source differs (the caller compared it), only in its markers
        note = FORMATTING_ONLY.format(
            escape(gettext("Only the formatting changed, not the words."))
        )
        both = f"{escape(new)} {note}"
        return both, both, both
    old_tokens, new_tokens = tokens(old), tokens(new)
    matcher = difflib.SequenceMatcher(
        None, [w for w, _ in old_tokens], [w for w, _ in new_tokens], autojunk=False
    )
    sides = ([], [], [])
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        run = equal_run if op == "equal" else changed_run
        for side, part in zip(sides, run(old_tokens[i1:i2], new_tokens[j1:j2]), strict=True):
            side.append(part)
    return tuple("".join(side) for side in sides)


def row(kind, old, new):
    """One row of the redline from an older block, a newer one, or both."""
    if old and new:
        html, old_html, new_html = word_diff(old.source, new.source)
        if kind == "unchanged":
            html = old_html = new_html = escape(readable(new.source))
    elif new:
        html = new_html = marked("ins", readable(new.source))
        old_html = ""
    else:
        html = old_html = marked("del", readable(old.source))
        new_html = ""
    place = (new or old).place
    was = old.place if old else place
    heading = (new or old).source.startswith("#")
    safe = [mark_safe(part) for part in (html, old_html, new_html)]
    return Change(kind, place, was, *safe, heading=heading)


def similar(old, new):
    """Two blocks this alike are one block changed, not one removed and another added."""
    if old.words == new.words:
        return True
    return difflib.SequenceMatcher(None, old.words, new.words).ratio() >= SAME_BLOCK_RATIO


def same_clause(old, new):
    return old.numbered and new.numbered and old.place == new.place


def paired(old, new):
    """Rows for a run of differing blocks: alike ones are changes, the rest removals/additions.

    Walks both runs once. An unlike pair looks one block ahead on either side, so a block
    inserted or removed inside the run does not shift every pairing after it; only then is
    a clause with the same number taken as rewritten rather than replaced.
    """
    rows, i, j = [], 0, 0
    while i < len(old) and j < len(new):
        if similar(old[i], new[j]):
            rows.append(row("changed", old[i], new[j]))
            i, j = i + 1, j + 1
        elif j + 1 < len(new) and similar(old[i], new[j + 1]):
            rows.append(row("added", None, new[j]))
            j += 1
        elif i + 1 < len(old) and similar(old[i + 1], new[j]):
            rows.append(row("removed", old[i], None))
            i += 1
        elif same_clause(old[i], new[j]):
            rows.append(row("changed", old[i], new[j]))
            i, j = i + 1, j + 1
        else:
            rows.append(row("removed", old[i], None))
            i += 1
    rows += [row("removed", block, None) for block in old[i:]]
    rows += [row("added", None, block) for block in new[j:]]
    return rows


def same_words(old, new):
    """Rows for blocks whose words are equal: unchanged, or only renumbered or reformatted."""
    if old.source == new.source:
        return row("unchanged", old, new)
    return row("renumbered" if old.place != new.place else "changed", old, new)


def redline(old_source, new_source):
    """The changes from old_source to new_source, worded in the active language."""
    return redline_in(old_source, new_source, get_language())


@lru_cache(maxsize=64)
def redline_in(old_source, new_source, language):
    """Published texts never change: a redline is cached for each language it is worded in."""
    old, new = blocks(old_source), blocks(new_source)
    matcher = difflib.SequenceMatcher(
        None, [b.words for b in old], [b.words for b in new], autojunk=False
    )
    rows = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows += [same_words(a, b) for a, b in zip(old[i1:i2], new[j1:j2], strict=True)]
        else:
            rows += paired(old[i1:i2], new[j1:j2])
    return Redline(rows=tuple(rows))
