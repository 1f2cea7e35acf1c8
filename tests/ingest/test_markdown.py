"""The paper reader: sections, footnotes, continued notes, duplicate numbers, pull-quotes."""

from __future__ import annotations

from alliancegraph.ingest.markdown import parse

SMALL = """# A Paper Title

Jane Roe\\*

---

\\* Jane Roe is a Fellow at the Institute of Things.

## Introduction

The first claim.<sup>1</sup> A second one.^2

### *A Sub Heading Of Some Length*

Body text that a pull quote repeats, word for word, here in the running text.[3] More
running text that ends unfinished

---

<sup>1</sup> Ann Author, "A title", *A Journal*, 3:2, Spring 2001, pp.4-6.

^2 Bob Writer, *A Book*, Place, A Press, 1999,

*Body text that a pull quote repeats, word for word, here in the running text.<sup>3</sup>*

---

pg. 12.

[3] See the first note.

(1) *Run-in Heading:* The run-in section's text.<sup>4</sup>

<sup>4</sup> A note.

<sup>4</sup> The same number again.
"""


def test_sections_footnotes_and_front_matter() -> None:
    doc = parse(SMALL)
    assert doc.title == "A Paper Title"
    assert doc.authors == ["Jane Roe"]
    assert doc.affiliations == ["Institute of Things"]
    assert [(s.number, s.title) for s in doc.sections] == [
        ("front", "Front matter"), ("1", "Introduction"), ("1-1", "A Sub Heading Of Some Length"),
        ("1-2", "(1) Run-in Heading")]
    notes = {n.label: n for n in doc.footnotes}
    assert [n.label for n in doc.footnotes] == ["1", "2", "3", "4a", "4b"]
    assert notes["1"].section == "1" and notes["2"].section == "1"
    assert notes["3"].section == "1-1"
    # continued after the page break: joined, and flagged
    assert notes["2"].text == "Bob Writer, A Book, Place, A Press, 1999, pg. 12."
    assert notes["2"].continued and not notes["1"].continued
    # a number printed twice: both kept, labelled in reading order, flagged
    assert notes["4a"].duplicate and notes["4b"].duplicate and notes["4a"].number == "4"
    assert notes["4b"].section is None  # one marker for two notes: listed as unread
    assert any("4b" in why for _, why in doc.unread)


def test_pull_quote_markers_do_not_count() -> None:
    doc = parse(SMALL)
    assert len(doc.pull_quotes) == 1
    assert doc.pull_quotes[0].section == "1-1"
    # the marker inside the pull-quote is not a second marker for note 3
    assert not any("marker 3" in why for _, why in doc.unread)


def test_numbered_headings_in_emphasis(seed_markdown) -> None:
    doc = parse(seed_markdown["paper-a"])
    numbers = [s.number for s in doc.sections]
    assert numbers[:4] == ["front", "1", "2", "3"]
    assert "4-5" in numbers and numbers[-1] == "bibliography"
    assert doc.authors == ["Leo Hinata-Yamaguchi"]
    assert "Australian National University" in doc.affiliations
    assert len(doc.bibliography) > 20


def test_paper_b_duplicate_footnote_four(seed_markdown) -> None:
    doc = parse(seed_markdown["paper-b"])
    labels = [(n.label, n.section) for n in doc.footnotes]
    assert ("4a", "5") in labels and ("4b", "5-1") in labels
    assert {p.section for p in doc.pull_quotes} >= {"2-1", "3-3", "6"}
