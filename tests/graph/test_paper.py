"""A paper's contents over the bundled graph: sections in reading order with their claims,
checked against the graph itself, not against fixed lists."""

from __future__ import annotations

import pytest
from alliancegraph.graph.paper import contents

BASE = "https://w3id.org/alliancegraph/"
AG = BASE + "ontology#"
PAPERS = [BASE + "id/paper-a", BASE + "id/paper-b"]


@pytest.mark.parametrize("paper", PAPERS)
def test_sections_are_in_reading_order(bundled_store, paper: str) -> None:
    found = contents(bundled_store, paper, ontology_namespace=AG)
    assert found is not None
    rows = bundled_store.select(f"""SELECT ?s WHERE {{ <{paper}> <{AG}hasSection> ?s .
        ?s <{AG}sectionOrder> ?o }} ORDER BY ?o""")
    assert [s.iri for s in found.sections] == [r["s"].value for r in rows]
    assert len(found.sections) > 3


def test_each_claim_is_under_a_section_its_evidence_names(bundled_store) -> None:
    paper = PAPERS[0]
    found = contents(bundled_store, paper, ontology_namespace=AG)
    placed = {(c.iri, s.iri) for s in found.sections for c in s.claims}
    rows = bundled_store.select(f"""SELECT DISTINCT ?c ?s WHERE {{ ?c <{AG}claimedBy> <{paper}> ;
        <{AG}evidence>/<{AG}inSection> ?s }}""")
    assert placed == {(r["c"].value, r["s"].value) for r in rows}
    assert found.claim_count > 20
    assert all(c.paraphrase for s in found.sections for c in s.claims)
    for section in found.sections:  # arguments before recommendations
        kinds = [c.recommendation for c in section.claims]
        assert kinds == sorted(kinds)


def test_what_has_no_sections_is_no_paper(bundled_store) -> None:
    assert contents(bundled_store, BASE + "id/state/japan", ontology_namespace=AG) is None
