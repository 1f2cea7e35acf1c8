"""Every paper-derived statement is traceable to paper, section and an exact quote."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from alliancegraph import CANONICAL_BASE

PREFIXES = f"""
PREFIX ag: <{CANONICAL_BASE}ontology#>
PREFIX agid: <{CANONICAL_BASE}id/>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""
PAPERS = {f"{CANONICAL_BASE}id/paper-a": "paper-a", f"{CANONICAL_BASE}id/paper-b": "paper-b"}


def _rows(store: ox.Store, query: str) -> list[ox.QuerySolution]:
    return list(store.query(PREFIXES + query, use_default_graph_as_union=True))


def test_the_graph_has_evidence(source_store):
    rows = _rows(source_store, "SELECT (COUNT(*) AS ?n) { ?e a ag:Evidence }")
    assert int(rows[0]["n"].value) > 0


def test_every_quote_is_an_exact_substring_of_its_paper(source_store, paper_texts):
    rows = _rows(source_store,
                 "SELECT ?e ?paper ?quote { ?e ag:quote ?quote ; prov:entity ?paper }")
    assert rows, "no quotes in the graph"
    missing = []
    for row in rows:
        paper = PAPERS.get(row["paper"].value)
        if paper is None or row["quote"].value not in paper_texts[paper]:
            missing.append((row["paper"].value, row["quote"].value))
    assert missing == []


def test_every_evidence_names_paper_section_and_quote(source_store):
    rows = _rows(source_store, """
        SELECT ?e {
          ?e a ag:Evidence .
          FILTER NOT EXISTS { ?e prov:entity ?paper ; ag:inSection ?section ; ag:quote ?quote .
                              ?section ag:ofPaper ?paper }
        }""")
    assert [r["e"] for r in rows] == []


@pytest.mark.parametrize("graph", ["paper-a", "paper-b"])
def test_every_statement_node_of_a_paper_has_evidence(source_store, graph):
    """Subjects in a paper's graph are bibliographic records (which are their own evidence),
    evidence nodes, or nodes that carry ag:evidence."""
    rows = _rows(source_store, f"""
        SELECT DISTINCT ?s {{
          GRAPH <{CANONICAL_BASE}graph/{graph}> {{ ?s ?p ?o }}
          FILTER NOT EXISTS {{ ?s ag:evidence ?e }}
          FILTER NOT EXISTS {{ ?s a ag:Evidence }}
          FILTER NOT EXISTS {{ ?s a ?bibliographic .
                              VALUES ?bibliographic {{ ag:Footnote ag:BibliographyEntry }} }}
          FILTER NOT EXISTS {{ ?s ag:describedIn ?record }}
          FILTER NOT EXISTS {{ ?paper ag:hasSection ?s }}
          FILTER (isIRI(?s) && ?s NOT IN (agid:paper-a, agid:paper-b))
        }}""")
    assert [r["s"].value for r in rows] == []
