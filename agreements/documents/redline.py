"""Redlines: what changed between two versions' Markdown, clause by clause, word by word.

A text is cut into blocks (paragraphs, headings, lists: what blank lines separate), the
blocks are aligned, and a changed block is compared word by word. Which blocks changed is
decided on the Markdown source (the fingerprinted text), so no change is ever hidden; the
words are shown as a reader sees them, without heading marks or emphasis markers, and a
change of formatting alone is said in words. Output is escaped text with <ins>/<del>; a
hidden prefix says "inserted"/"deleted" to screen readers, and the stylesheet underlines
and strikes through, so colour is never the only signal.
"""

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import mark_safe

from .rendering import CLAUSE_NUMBER, SECTION_NUMBER, clause_anchor, section_anchor

TOKENS = re.compile(r"\s+|\w+|[^\w\s]")
# Two blocks with the same clause number, or this alike, are one clause changed, not one
# removed and another added.
SAME_CLAUSE_RATIO = 0.5

HEADING_MARK = re.compile(r"^#{1,6}\s+", re.M)
STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
EMPHASIS = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
FORMATTING_ONLY = '<span class="change-note">(Only the formatting changed, not the words.)</span>'


@dataclass(frozen=True)
class Change:
    kind: str  # "changed", "added" or "removed"
    label: str  # "Clause 3.2", "Section 4" or "Text"
    anchor: str  # the block's id on the page of the version it belongs to ("" if none)
    html: str


@dataclass(frozen=True)
class Redline:
    changes: tuple
    unchanged: int

    @property
    def counts(self):
        kinds = [change.kind for change in self.changes]
        return {kind: kinds.count(kind) for kind in ("changed", "added", "removed")}


def blocks(source):
    return [block.strip() for block in re.split(r"\n\s*\n", source) if block.strip()]


def describe(block):
    """The label and page anchor of a block: its clause or section number, if any."""
    heading = block.lstrip("#").strip() if block.startswith("#") else None
    if heading is not None:
        match = SECTION_NUMBER.match(heading)
        return (f"Section {match.group(1)}", section_anchor(match.group(1))) if match else ("", "")
    match = CLAUSE_NUMBER.match(block)
    if match:
        return f"Clause {match.group(1)}", clause_anchor(match.group(1))
    return "", ""


def readable(block):
    """A block as a reader sees it: no heading marks, no **bold** or *italic* markers."""
    return EMPHASIS.sub(r"\2", STRONG.sub(r"\2", HEADING_MARK.sub("", block)))


def marked(tag, text):
    word = "inserted" if tag == "ins" else "deleted"
    hidden = '<span class="visually-hidden">{}</span>'
    opening, closing = hidden.format(f"[{word}: "), hidden.format("]")
    return f"<{tag}>{opening}{escape(text)}{closing}</{tag}>"


def word_diff(old, new):
    old, new = readable(old), readable(new)
    if old == new:  # the source differs (the caller compared it), only in its markers
        return f"{escape(new)} {FORMATTING_ONLY}"
    old_tokens, new_tokens = TOKENS.findall(old), TOKENS.findall(new)
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    parts = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(escape("".join(old_tokens[i1:i2])))
            continue
        if op in ("delete", "replace"):
            parts.append(marked("del", "".join(old_tokens[i1:i2])))
        if op in ("insert", "replace"):
            parts.append(marked("ins", "".join(new_tokens[j1:j2])))
    return "".join(parts)


def change(kind, block, html):
    label, anchor = describe(block)
    return Change(kind=kind, label=label or "Text", anchor=anchor, html=mark_safe(html))


def replaced(old_blocks, new_blocks):
    """Pair up a run of replaced blocks: alike ones are changes, the rest removals/additions."""
    changes = []
    for index in range(max(len(old_blocks), len(new_blocks))):
        old = old_blocks[index] if index < len(old_blocks) else None
        new = new_blocks[index] if index < len(new_blocks) else None
        alike = (
            old
            and new
            and (
                describe(old)[0]
                and describe(old) == describe(new)
                or difflib.SequenceMatcher(None, old, new).ratio() >= SAME_CLAUSE_RATIO
            )
        )
        if alike:
            changes.append(change("changed", new, word_diff(old, new)))
            continue
        if old:
            changes.append(change("removed", old, marked("del", readable(old))))
        if new:
            changes.append(change("added", new, marked("ins", readable(new))))
    return changes


@lru_cache(maxsize=64)
def redline(old_source, new_source):
    """The changes from old_source to new_source. Published texts never change: cached."""
    old, new = blocks(old_source), blocks(new_source)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    changes, unchanged = [], 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            unchanged += i2 - i1
        elif op == "delete":
            changes += [change("removed", b, marked("del", readable(b))) for b in old[i1:i2]]
        elif op == "insert":
            changes += [change("added", b, marked("ins", readable(b))) for b in new[j1:j2]]
        else:
            changes += replaced(old[i1:i2], new[j1:j2])
    return Redline(changes=tuple(changes), unchanged=unchanged)
