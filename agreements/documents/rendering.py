"""Markdown to sanitised HTML: table of contents, heading ids and clause anchors.

Runs when a draft is saved or a version published, never per public request.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

import markdown
import nh3
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


@lru_cache(maxsize=32)
def with_clause_links(html):
    """The frozen HTML with a "link to this clause" anchor at the start of each clause.

    Presentation only, added when the page is shown: the published HTML (the
    evidence) stays as frozen. Cached: published HTML never changes.
    """

    def link(match):
        anchor, number = match.group(1), match.group(1).replace("-", ".")
        return (
            f'<p id="clause-{anchor}"><a class="clause-link" href="#clause-{anchor}" '
            f'aria-label="Link to clause {number}" title="Link to clause {number}">§</a>'
        )

    return CLAUSE_PARAGRAPH.sub(link, html)
