"""ingest/pipeline.py: one paper's text, parsed, its citations grouped by work and, given a
store, matched and its mentions found."""

from __future__ import annotations

from alliancegraph.ingest.pipeline import ingest

TEXT = """***“A small paper”***

**A. Author**

***1. Introduction***

Japan and the ROK cooperate.<sup>1</sup> They also disagree.<sup>2</sup>

<sup>1</sup> Stephen M. Walt, “Why alliances endure or collapse”, *Survival*, 39:1, \
Spring 1997, pg157.

<sup>2</sup> Ibid., pg.160.
"""


def test_without_a_store_the_text_is_parsed_and_grouped_only() -> None:
    result = ingest(TEXT, "paper-x")
    assert [f.label for f in result.document.footnotes] == ["1", "2"]
    assert len(result.citations) == 2
    # the ibid. is the same work: one group, which holds both citations
    assert len(result.groups) == 1
    assert all(result.group_of(c) == 0 for c in result.citations)
    assert result.matches == {} and result.mentions == []


def test_with_a_store_works_are_matched_and_mentions_found(bundled_store) -> None:
    result = ingest(TEXT, "paper-x", select=lambda q: bundled_store.select(q))
    assert set(result.matches) == {0}
    found = result.matches[0]
    assert found.status == "matched"
    assert found.iri == "https://w3id.org/alliancegraph/id/work/walt-1997-why-alliances-endure-or-collapse"
    assert result.mentions, "Japan and the ROK are known entities"
