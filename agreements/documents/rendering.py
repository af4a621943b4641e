"""Markdown to sanitised HTML: table of contents, heading ids and clause anchors.

Runs when a draft is saved or a version published, never per public request.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

import markdown
import nh3
from django.utils.html import escape
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

# "1.1. This User Agreement …" → clause-1-1; "## 7. Personal Data" → section-7.
CLAUSE_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)+)\.?\s")
SECTION_NUMBER = re.compile(r"^\s*(\d+)\.\s")
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "ins", "li", "ol", "p", "pre", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"id", "title"},
    "a": {"href"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def clause_anchor(number):
    return "clause-" + number.replace(".", "-")


def section_anchor(number):
    return f"section-{number}"


class ClauseAnchors(Treeprocessor):
    """Give every numbered clause paragraph and numbered heading a stable id."""

    def run(self, root):
        used = set()
        for element in root.iter():
            text = "".join(element.itertext()) if element.tag in HEADINGS else element.text
            if not text:
                continue
            if element.tag == "p":
                match = CLAUSE_NUMBER.match(text)
                anchor = match and clause_anchor(match.group(1))
            elif element.tag in HEADINGS:
                match = SECTION_NUMBER.match(text)
                anchor = match and section_anchor(match.group(1))
            else:
                anchor = None
            if anchor and anchor not in used:
                used.add(anchor)
                element.set("id", anchor)


class ClauseAnchorExtension(Extension):
    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's API)
        # Above the toc extension (priority 5), so the toc keeps these ids.
        md.treeprocessors.register(ClauseAnchors(md), "clause_anchors", 10)


@dataclass(frozen=True)
class Rendered:
    html: str
    toc_html: str


def normalise_source(source):
    """Line endings to LF: the fingerprint is of exactly these bytes."""
    return source.replace("\r\n", "\n").replace("\r", "\n")


def sanitise(html):
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def render_markdown(source):
    md = markdown.Markdown(
        extensions=["toc", "tables", "sane_lists", ClauseAnchorExtension()],
        extension_configs={"toc": {"toc_depth": "2-3"}},
        output_format="html",
    )
    html = md.convert(normalise_source(source))
    toc_html = md.toc if md.toc_tokens else ""
    return Rendered(html=sanitise(html), toc_html=sanitise(toc_html))


def render_preview(source):
    """django-markdownx's preview: the same rendering and sanitising as the public page."""
    return render_markdown(source).html


CLAUSE_PARAGRAPH = re.compile(r'<p id="clause-([0-9-]+)">')
SECTION_HEADING = re.compile(r'(?=<h2 id="section-)')


@lru_cache(maxsize=64)
def with_clause_links(html, label="Link to clause {number}", back="Back to contents"):
    """The frozen HTML with a "link to this clause" anchor at the start of each clause,
    and a way back to the contents at the end of each section (label and back: the
    words in the page's language).

    Presentation only, added when the page is shown: the published HTML (the
    evidence) stays as frozen. Cached: published HTML never changes.
    """

    def link(match):
        anchor, number = match.group(1), match.group(1).replace("-", ".")
        name = escape(label.format(number=number))
        return (
            f'<p id="clause-{anchor}"><a class="clause-link" href="#clause-{anchor}" '
            f'aria-label="{name}" title="{name}">§</a>'
        )

    to_contents = f'<p class="to-contents"><a href="#contents">{escape(back)}</a></p>'
    linked = CLAUSE_PARAGRAPH.sub(link, html)
    sections = SECTION_HEADING.split(linked)
    if len(sections) < 3:
        return linked
    # Before each section heading but the first, and at the end: the end of a section.
    rebuilt = sections[0] + "".join(
        (to_contents if index else "") + part for index, part in enumerate(sections[1:])
    )
    return rebuilt + to_contents


# Mentions of a clause, a section or another document in a text, in each language:
# (word for clause or section) (number) [(of) (document name)].
MENTION_WORDS = r"(?:clauses?|sections?|пункт[а-я]*|раздел[а-я]*|điều|mục)"
TAG = re.compile(r"(<[^>]+>)")
NOT_INSIDE = ("a", "h1", "h2", "h3", "h4", "code", "pre")


@lru_cache(maxsize=64)
def with_mention_links(html, own_slug, names):
    """Mentions that resolve become links: "clause 7.2" to that clause of this text,
    "clause 6 of the User Agreement" to that section of the other document, and a
    document's name to its page. names: ((name, slug, url), …) in the page's language.
    Presentation only, like the clause links: the frozen HTML is not touched."""
    by_name = {name.casefold(): (slug, url) for name, slug, url in names}
    mention = mention_pattern(tuple(name for name, _slug, _url in names))

    def link(match):
        return linked_mention(match, html, own_slug, by_name)

    return outside_links(html, lambda text: mention.sub(link, text))


def mention_pattern(names):
    """(clause or section word) (number) [(of) (document name)] | (document name)."""
    documents = "|".join(re.escape(name) for name in names)
    return re.compile(
        rf"\b({MENTION_WORDS}) (\d+(?:\.\d+)?)(?:(?: of the| của| trong)? ({documents}))?"
        rf"|\b({documents})\b",
        re.IGNORECASE,
    )


def linked_mention(match, html, own_slug, by_name):
    """The mention as a link where it resolves, else as it was."""
    word, number, named, alone = match.groups()
    if alone:
        slug, url = by_name[alone.casefold()]
        return match.group(0) if slug == own_slug else f'<a href="{url}">{alone}</a>'
    kind = "clause" if "." in number else "section"
    anchor = f"#{kind}-{number.replace('.', '-')}"
    rest = match.group(0)[len(word) + 1 + len(number) :]
    if named and by_name[named.casefold()][0] != own_slug:
        return f'<a href="{by_name[named.casefold()][1]}{anchor}">{word} {number}</a>{rest}'
    if f'id="{anchor[1:]}"' not in html:
        return match.group(0)
    return f'<a href="{anchor}">{word} {number}</a>{rest}'


def outside_links(html, substitute):
    """html with substitute(text) applied to its text outside links, headings and code."""
    parts, depth = TAG.split(html), 0
    for index, part in enumerate(parts):
        if index % 2:  # a tag
            name = re.match(r"</?([a-z0-9]+)", part)
            if name and name.group(1) in NOT_INSIDE:
                depth += -1 if part.startswith("</") else 1
        elif depth == 0:
            parts[index] = substitute(part)
    return "".join(parts)
