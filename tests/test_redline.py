"""Public redlines: what changed between two versions, clause by clause."""

import html
import re

from django.conf import settings

from agreements.documents.redline import redline

OLD = """## 1. General Provisions

1.1. The Operator provides services to the User.

1.2. Use of the Website constitutes acceptance.

1.3. This clause will be removed entirely from the agreement.

## 2. Payment

2.1. Payment is made in advance.
"""

NEW = """## 1. General Provisions

1.1. The Operator provides paid services to the User.

1.2. Use of the Website constitutes acceptance.

## 2. Payment

2.1. Payment is made in advance.

2.2. Invoices are sent by email within three working days.
"""


def test_a_changed_clause_is_marked_word_by_word():
    changes = redline(OLD, NEW).changes
    changed = [c for c in changes if c.kind == "changed"]
    assert [c.label for c in changed] == ["Clause 1.1"]
    assert changed[0].anchor == "clause-1-1"
    text = changed[0].html
    assert re.search(r"<ins>.*paid.*</ins>", text) and "<del>" not in text
    assert text.startswith("1.1. The Operator provides ")


def test_added_and_removed_clauses_are_whole_blocks():
    changes = redline(OLD, NEW).changes
    removed = [c for c in changes if c.kind == "removed"]
    added = [c for c in changes if c.kind == "added"]
    assert [c.label for c in removed] == ["Clause 1.3"]
    assert removed[0].html.startswith("<del>") and "removed entirely" in removed[0].html
    assert [c.label for c in added] == ["Clause 2.2"]
    assert added[0].html.startswith("<ins>")


def test_unchanged_text_is_not_marked():
    result = redline(OLD, NEW)
    assert result.unchanged == 4  # two headings, 1.2 and 2.1
    assert not any("constitutes acceptance" in c.html for c in result.changes)
    assert redline(OLD, OLD).changes == ()


def test_markup_in_the_text_is_escaped():
    result = redline("1.1. Old.", "1.1. New <script>alert(1)</script>.")
    [change] = result.changes
    assert change.kind == "changed"  # same clause number, however different the words
    assert "<script>" not in change.html and "&lt;script&gt;" in change.html


def test_the_public_compare_page(client, publish):
    first = publish(OLD)
    second = publish(NEW)
    page = client.get("/agreement/compare/1...2/")
    text = page.content.decode()
    assert page.status_code == 200
    assert first.fingerprint in text and second.fingerprint in text
    assert 'href="/agreement/v/1/"' in text and 'href="/agreement/v/2/"' in text
    assert (
        'href="/agreement/v/2/#clause-1-1"' in text and 'href="/agreement/v/1/#clause-1-3"' in text
    )
    assert "[inserted: </span>paid" in text  # readable without colour, by screen readers too
    assert "1 changed, 1 added, 1 removed and 0 renumbered; 4 unchanged and not shown" in text
    history = client.get("/agreement/versions/").content.decode()
    assert 'href="/agreement/compare/1...2/"' in history
    assert 'href="/agreement/compare/1...2/"' in client.get("/agreement/").content.decode()


def test_bad_version_numbers_are_404(client, publish):
    publish(OLD)
    publish(NEW)
    for url in ["/agreement/compare/1...3/", "/agreement/compare/2...2/", "/privacy/compare/1...2/",
                "/agreement/compare/0...1/", "/agreement/compare/a...b/"]:  # fmt: skip
        assert client.get(url).status_code == 404, url


def test_a_changed_version_notice_on_the_form_links_to_the_redline(
    client, documents, no_fill_delay, publish
):
    from .conftest import VALID_REQUEST, form_token

    token = form_token(client.get("/contact/"))
    publish(documents["agreement"].source + "\n1.3. A new clause.\n")
    response = client.post("/contact/", {**VALID_REQUEST, "form_token": token})
    assert response.status_code == 409
    assert 'href="/agreement/compare/1...2/"' in response.content.decode()


def test_markdown_markers_are_not_shown_and_formatting_alone_is_said_in_words():
    old = "## 3. Payment\n\n3.1. Payment is **non-refundable**.\n\n3.2. Prices are *net*.\n"
    new = "## 3. Payment terms\n\n3.1. Payment is **final**.\n\n3.2. Prices are **net**.\n"
    heading, price, vat = redline(old, new).changes
    assert heading.label == "Section 3" and heading.html.startswith("3. Payment")
    assert "#" not in heading.html and re.search(r"<ins>.*terms.*</ins>", heading.html)
    assert "*" not in price.html and re.search(r"<del>.*non.*</del>", price.html)
    assert re.search(r"<ins>.*final.*</ins>", price.html)
    assert vat.kind == "changed" and "<ins>" not in vat.html and "<del>" not in vat.html
    assert "3.2. Prices are net." in vat.html and "Only the formatting changed" in vat.html
    (level,) = redline(old, old.replace("## 3.", "### 3.")).changes
    assert level.html.startswith("3. Payment") and "Only the formatting changed" in level.html
    added = redline(old, old + "\n3.3. A **new** clause.\n").changes[0]
    assert added.kind == "added" and "**" not in added.html and "A new clause" in added.html


AGREEMENT = """## 3. Use of Software Solutions

3.1. Software solutions may be used solely within their intended functional purpose.

3.2. The User is prohibited from:

- copying, modifying, decompiling, or distributing the software;
- using the software in violation of applicable laws.

3.3. All intellectual property rights belong to the Operator.

3.4. The Operator may update the software at any time.
"""


def visible(html):
    """What a sighted reader sees: the marked words without tags or screen-reader prefixes."""
    return re.sub(r"<[^>]+>", "", re.sub(r'<span class="visually-hidden">[^<]*</span>', "", html))


def test_a_clause_inserted_in_the_middle_renumbers_the_following_ones():
    new = AGREEMENT.replace("3.2. The User", "3.2. Backups are the User's duty.\n\n3.3. The User")
    new = new.replace("3.3. All", "3.4. All").replace("3.4. The Operator", "3.5. The Operator")
    result = redline(AGREEMENT, new)
    kinds = [(c.kind, c.label, c.was.label) for c in result.changes]
    assert kinds == [
        ("added", "Clause 3.2", "Clause 3.2"),
        ("renumbered", "Clause 3.3", "Clause 3.2"),
        ("renumbered", "Clause 3.4", "Clause 3.3"),
        ("renumbered", "Clause 3.5", "Clause 3.4"),
    ]
    assert result.counts == {"changed": 0, "added": 1, "removed": 0, "renumbered": 3}
    assert result.unchanged == 3  # the heading, 3.1 and the list (still under "prohibited")
    renumbered = result.changes[1]
    assert visible(renumbered.html).startswith("3.2 3. The User is prohibited from:")
    assert renumbered.anchor == "clause-3-3"


def test_a_clause_inserted_before_an_edited_one_is_an_insertion_and_an_edit():
    new = AGREEMENT.replace(
        "3.3. All intellectual property rights belong to the Operator.",
        "3.3. Backups are the User's duty.\n\n"
        "3.4. All intellectual property rights belong to the Operator and its partners.",
    ).replace("3.4. The Operator may", "3.5. The Operator may")
    kinds = [(c.kind, c.label, c.was.label) for c in redline(AGREEMENT, new).changes]
    assert kinds == [
        ("added", "Clause 3.3", "Clause 3.3"),
        ("changed", "Clause 3.4", "Clause 3.3"),
        ("renumbered", "Clause 3.5", "Clause 3.4"),
    ]


def test_a_change_inside_a_list_names_its_clause():
    new = AGREEMENT.replace("applicable laws", "the laws of Vietnam")
    [change] = redline(AGREEMENT, new).changes
    assert change.kind == "changed" and change.label == "Clause 3.2"
    assert change.anchor == "clause-3-2"
    assert visible(change.html).endswith("violation of applicable the laws of Vietnam.")


def test_no_markdown_marker_reaches_the_reader():
    old = "4.1. See the [Privacy Policy](/privacy/) and `clause 5`\\.\n\n- one\n* two\n"
    new = "4.1. See the [Privacy Policy](/privacy/) and `clause 6`\\.\n\n- one\n* three\n"
    changed, listed = redline(old, new).changes
    for text in (visible(changed.html), visible(listed.html)):
        assert not re.search(r"[\[\]`\\*]|\(/privacy/\)|^- ", text, re.M), text
    assert visible(changed.html) == "4.1. See the Privacy Policy and clause 5 6."
    assert visible(listed.html) == "• one\n• two three"
    assert listed.label == "Clause 4.1"


def test_a_changed_word_keeps_its_spaces():
    [change] = redline("1.1. The quick fox jumps.", "1.1. The slow brown fox jumps.").changes
    assert visible(change.html) == "1.1. The quick slow brown fox jumps."
    assert "<del>" in change.html and re.search(r"</del> <ins>", change.html)
    assert visible(change.old_html) == "1.1. The quick fox jumps."
    assert visible(change.new_html) == "1.1. The slow brown fox jumps."
    [end] = redline("1.1. Pay now.", "1.1. Pay.").changes
    assert visible(end.html) == "1.1. Pay now." and visible(end.new_html) == "1.1. Pay."


def test_the_whole_text_with_changes_marked(client, publish):
    publish(AGREEMENT)
    publish(AGREEMENT.replace("at any time", "with notice"))
    changes_only = client.get("/agreement/compare/1...2/").content.decode()
    assert "intended functional purpose" not in changes_only
    assert 'aria-current="page">Changes only' in changes_only
    whole = client.get("/agreement/compare/1...2/?view=whole")
    text = whole.content.decode()
    assert whole.status_code == 200 and 'aria-current="page">Whole text' in text
    assert "intended functional purpose" in text and "decompiling" in text
    assert re.search(r"<del>.*at any time.*</del> <ins>.*with notice.*</ins>", text)
    assert text.index("intended functional") < text.index("with notice")
    assert 'class="redline-columns" aria-hidden="true"><span>Version 1</span>' in text


def test_every_block_of_both_texts_is_shown_once_whatever_the_edits():
    """Random insertions, removals, edits and renumberings of the real agreement: the
    redline accounts for every block of the older and of the newer text exactly once."""
    import random

    from agreements.documents.redline import blocks, readable

    agreement = settings.BASE_DIR / "content" / "user-agreement.md"
    source = agreement.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    for seed in range(40):
        chance = random.Random(seed)
        parts = [block.source for block in blocks(source)]
        for _ in range(chance.randint(1, 6)):
            at = chance.randrange(len(parts))
            action = chance.choice(["insert", "remove", "edit"])
            if action == "insert":
                parts.insert(at, f"{at}.{seed}. A new clause number {chance.random()}.")
            elif action == "remove" and len(parts) > 1:
                parts.pop(at)
            else:
                parts[at] = parts[at].replace(" the ", " a ", 1) + " Amended."
        changed = "\n\n".join(parts)
        rows = redline(source, changed).rows
        shown_new = [r for r in rows if r.kind != "removed"]
        assert len(shown_new) == len(parts), seed
        assert len([r for r in rows if r.kind != "added"]) == len(blocks(source)), seed
        for row, part in zip(shown_new, parts, strict=True):
            shown = html.unescape(visible(row.new_html or row.html))
            assert shown.startswith(readable(part)[:20]), (seed, shown[:40], part[:40])
