"""The draft graph passes the shapes, in the paper's named graph, with IRIs like the curated
ones; the review file round-trips its decisions."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from alliancegraph import CANONICAL_BASE
from alliancegraph.ingest.draft import build, read_review, review_tsv, reviewed
from alliancegraph.ingest.pipeline import ingest
from alliancegraph.shapes.validate import validate

ID = CANONICAL_BASE + "id/"


@pytest.fixture(scope="module")
def draft_a(bundled_store, seed_markdown):
    result = ingest(seed_markdown["paper-a"], "paper-c", lambda q: list(bundled_store.select(q)))
    return build(result, CANONICAL_BASE)


def test_draft_of_paper_a_passes_the_shapes(draft_a) -> None:
    store = ox.Store()
    store.extend(draft_a.quads)
    report = validate(store)
    assert report.conforms, report.text()
    assert {q.graph_name.value for q in draft_a.quads} == {CANONICAL_BASE + "graph/paper-c"}


def test_iris_are_minted_like_the_curated_ones(draft_a) -> None:
    subjects = {q.subject.value for q in draft_a.quads if isinstance(q.subject, ox.NamedNode)}
    assert ID + "paper-c/section/4-5" in subjects
    assert ID + "paper-c/footnote/41" in subjects
    assert ID + "paper-c/citation/2" in subjects
    # a work the graph knows keeps its IRI; the paper's own nodes are new
    assert ID + "work/auslin-2005-japan-and-south-korea" in subjects
    fn4 = ox.NamedNode(ID + "paper-c/footnote/4")
    split = [q for q in draft_a.quads if q.subject == fn4 and
             q.predicate.value.endswith("splitAcrossPages")]
    assert split and split[0].object.value == "true"


def test_draft_of_paper_b_flags_footnote_four(bundled_store, seed_markdown) -> None:
    result = ingest(seed_markdown["paper-b"], "paper-d", lambda q: list(bundled_store.select(q)))
    draft = build(result, CANONICAL_BASE)
    store = ox.Store()
    store.extend(draft.quads)
    assert validate(store).conforms
    notes = {q.subject.value for q in draft.quads
             if q.predicate.value == "http://www.w3.org/2004/02/skos/core#editorialNote"}
    assert notes == {ID + "paper-d/footnote/4a", ID + "paper-d/footnote/4b"}
    assert ID + "paper-d/citation/3-2" in {q.subject.value for q in draft.quads}


def test_review_rows_and_decisions(draft_a) -> None:
    rows = read_review(review_tsv(draft_a.rows))
    kinds = {r["kind"] for r in rows}
    assert {"section", "footnote", "citation", "work", "field", "mention"} <= kinds
    assert all(r["decision"] in ("accept", "review", "reject") for r in rows)
    assert all(0 <= float(r["confidence"]) <= 1 for r in rows)
    # reject one work's title, edit one section title, accept one mention
    title = next(r for r in rows if r["predicate"] == "dcterms:title" and r["kind"] == "field")
    title["decision"] = "reject"
    section = next(r for r in rows if r["kind"] == "section" and r["value"] == "Introduction")
    section["value"] = "Introduction (edited)"
    mention = next(r for r in rows if r["kind"] == "mention")
    mention["decision"] = "accept"
    final, where = reviewed(draft_a.quads, rows, "paper-c", CANONICAL_BASE)
    values = {(q.subject.value, q.predicate.value, q.object.value) for q in final}
    dct = "http://purl.org/dc/terms/title"
    assert not any(s == title["subject"] and p == dct for s, p, _ in values)
    assert (section["subject"], dct, "Introduction (edited)") in values
    quotes = [q for q in final if q.predicate.value.endswith("#quote")]
    assert [q.object.value for q in quotes] == [mention["value"]]
    assert int(section["row"]) in where[section["subject"]]
    store = ox.Store()
    store.extend(final)
    assert validate(store).conforms
