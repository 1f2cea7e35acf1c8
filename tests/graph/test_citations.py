"""What the papers cite (graph/citations.py) over the bundled graph: footnotes in numeric
order with their citations, the citations by work and the most-cited works and authors,
each checked against a direct SPARQL count."""

from __future__ import annotations

from collections import Counter

import pytest
from alliancegraph.graph.citations import (
    CitationView,
    CitationViews,
    citation_view,
    citation_views,
    number_key,
)
from alliancegraph.store import Store

BASE = "https://w3id.org/alliancegraph/"
ID = BASE + "id/"
PREFIXES = f"""PREFIX ag: <{BASE}ontology#> PREFIX cito: <http://purl.org/spar/cito/>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""
PAPERS = ["paper-a", "paper-b"]


@pytest.fixture(scope="module")
def views(bundled_store: Store) -> CitationViews:
    return citation_views(bundled_store, base_iri=BASE)


def view_of(views: CitationViews, paper: str) -> CitationView:
    found = views.paper(paper)
    assert found is not None
    return found


def test_footnote_numbers_sort_as_numbers():
    keys = sorted([("10", "10", "x"), ("2", "2", "y"), ("4", "4b", "z"), ("4", "4a", "w"),
                   (None, "*", "v")], key=lambda k: number_key(*k))
    assert [label for _, label, _ in keys] == ["2", "4a", "4b", "10", "*"]


@pytest.mark.parametrize("paper", PAPERS)
def test_a_papers_footnotes_are_all_there_in_numeric_order(bundled_store: Store, views,
                                                           paper: str):
    view = view_of(views, paper)
    rows = bundled_store.select(PREFIXES + f"""SELECT ?fn ?n WHERE {{
        ?fn a ag:Footnote ; ag:ofPaper <{ID}{paper}> ; ag:footnoteNumber ?n }}""")
    assert sorted(f.iri for f in view.footnotes) == sorted(r["fn"].value for r in rows)
    numbers = [f.number for f in view.footnotes]
    assert numbers == sorted(numbers)
    assert sorted(numbers) == sorted(int(r["n"].value) for r in rows)
    if len(numbers) >= 10:  # 2 before 10, as numbers and not as text
        assert numbers.index(2) < numbers.index(10)


@pytest.mark.parametrize("paper", PAPERS)
def test_each_footnote_holds_the_citations_pointing_at_it(bundled_store: Store, views,
                                                          paper: str):
    view = view_of(views, paper)
    rows = bundled_store.select(PREFIXES + f"""SELECT ?c ?fn ?work WHERE {{
        ?c cito:hasCitingEntity <{ID}{paper}> ; cito:hasCitedEntity ?work ;
           ag:hasInTextPointer ?fn }}""")
    expected = sorted((r["fn"].value, r["c"].value, r["work"].value) for r in rows)
    assert expected
    assert sorted((f.iri, c.iri, c.work) for f in view.footnotes
                  for c in f.citations) == expected
    assert all(c.footnote == f.iri and c.footnote_label == f.label
               for f in view.footnotes for c in f.citations)


@pytest.mark.parametrize("paper", PAPERS)
def test_grouping_by_work_counts_as_sparql_does(bundled_store: Store, views, paper: str):
    view = view_of(views, paper)
    rows = bundled_store.select(PREFIXES + f"""SELECT ?work (COUNT(DISTINCT ?c) AS ?n) WHERE {{
        ?c cito:hasCitingEntity <{ID}{paper}> ; cito:hasCitedEntity ?work }} GROUP BY ?work""")
    expected = {r["work"].value: int(r["n"].value) for r in rows}
    assert {w.iri: w.count for w in view.works} == expected
    assert view.citation_count == sum(expected.values())
    assert all(c.work == w.iri for w in view.works for c in w.citations)
    counts = [w.count for w in view.works]
    assert counts == sorted(counts, reverse=True)


@pytest.mark.parametrize("paper", PAPERS)
def test_the_most_cited_works_and_authors_are_ranked_by_count(bundled_store: Store, views,
                                                              paper: str):
    view = view_of(views, paper)
    for ranked in (view.top_works, view.top_authors):
        assert ranked
        assert [c.count for c in ranked] == sorted((c.count for c in ranked), reverse=True)
        assert all(c.label and c.label != c.iri for c in ranked)
    rows = bundled_store.select(PREFIXES + f"""SELECT ?author (COUNT(DISTINCT ?c) AS ?n) WHERE {{
        ?c cito:hasCitingEntity <{ID}{paper}> ; cito:hasCitedEntity ?work .
        ?work dcterms:creator ?author }} GROUP BY ?author""")
    expected = {r["author"].value: int(r["n"].value) for r in rows}
    assert all(expected[c.iri] == c.count for c in view.top_authors)
    assert view.top_authors[0].count == max(expected.values())


def test_the_counts_over_all_papers_add_up_the_papers(views):
    assert len(views.papers) == len(PAPERS)
    total: Counter[str] = Counter()
    for view in views.papers:
        total.update({w.iri: w.count for w in view.works})
    assert [(c.iri, c.count) for c in views.top_works] == [
        (iri, total[iri]) for iri in (c.iri for c in views.top_works)]
    assert views.top_works[0].count == max(total.values())


def test_the_characters_of_citations_are_cito_properties(views):
    characters = {c.character for v in views.papers for w in v.works for c in w.citations}
    assert characters and all(c.startswith("http://purl.org/spar/cito/") for c in characters)
    for citation in (c for v in views.papers for w in v.works for c in w.citations):
        local = citation.character.rsplit("/", 1)[-1]  # obtainsSupportFrom
        assert citation.character_label.replace(" ", "") == local.lower()


def test_a_paper_page_can_ask_for_its_view_and_a_non_paper_has_none(bundled_store: Store,
                                                                     views):
    view = citation_view(bundled_store, ID + "paper-b", base_iri=BASE)
    assert view == views.paper("paper-b")
    assert citation_view(bundled_store, ID + "state/japan", base_iri=BASE) is None
