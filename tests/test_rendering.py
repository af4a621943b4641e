"""Markdown rendering: anchors for clauses and sections, a table of contents, sanitising."""

from agreements.documents.rendering import render_markdown

HOSTILE = """## 1. Terms

1.1. Hello <script>alert("x")</script> world.

<img src="x" onerror="alert(1)">
<a href="javascript:alert(1)" onclick="alert(2)">click</a>
[markdown link](javascript:alert(3))
<iframe src="https://evil.example/"></iframe>
<style>body { display: none }</style>
<p style="color: red" class="x">styled</p>
"""


def test_a_hostile_draft_renders_inert(make_draft):
    html = make_draft(HOSTILE).html
    for needle in ("<script", "onerror", "onclick", "javascript:", "<iframe", "<style", "style="):
        assert needle not in html.lower()
    assert "click" in html and "styled" in html


def test_every_numbered_clause_and_section_gets_a_stable_anchor():
    html = render_markdown("## 7. Personal Data\n\n7.1. First.\n\n7.2. Second.\n").html
    assert '<h2 id="section-7">7. Personal Data</h2>' in html
    assert '<p id="clause-7-1">7.1. First.</p>' in html
    assert '<p id="clause-7-2">7.2. Second.</p>' in html


def test_anchors_do_not_depend_on_the_heading_wording():
    before = render_markdown("## 7. Personal Data\n").html
    after = render_markdown("## 7. Personal Data and Privacy\n").html
    assert 'id="section-7"' in before and 'id="section-7"' in after


def test_the_table_of_contents_links_to_the_sections():
    toc = render_markdown("## 1. One\n\n1.1. A.\n\n## 2. Two\n\n2.1. B.\n").toc_html
    assert 'href="#section-1"' in toc and 'href="#section-2"' in toc


def test_links_keep_safe_schemes_only():
    html = render_markdown("<https://www.kommo.com/terms/> and <gen@kommogen.com>").html
    assert 'href="https://www.kommo.com/terms/"' in html
    assert "mailto:" in html
