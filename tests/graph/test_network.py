"""The network of security relations (graph/network.py) over the whole bundled graph."""

from __future__ import annotations

import pytest
from alliancegraph import CANONICAL_BASE
from alliancegraph.errors import BadRequest, NotFound
from alliancegraph.graph import entity
from alliancegraph.graph.network import (
    PAPERS,
    RELATIONS,
    Network,
    choose,
    kind_of,
    may_relate,
    network,
    network_query,
    read_network,
    relation_properties,
)
from alliancegraph.graph.vocabulary import graph_iri

BASE = CANONICAL_BASE
ID = f"{BASE}id/"
JAPAN, ROK, US = f"{ID}state/japan", f"{ID}state/south-korea", f"{ID}state/united-states"
NUCLEAR = f"{ID}threat/north-korea-nuclear-programme"


@pytest.fixture(scope="module")
def whole(bundled_store) -> Network:
    return read_network(bundled_store, BASE)


def _edges(net: Network, relation: str, source: str | None = None,
           target: str | None = None) -> list:
    return [e for e in net.edges if e.relation == relation
            and source in (None, e.source) and target in (None, e.target)]


def test_japan_and_the_rok_perceive_the_dprk_nuclear_programme(whole, bundled_store) -> None:
    for state in (JAPAN, ROK):
        found = _edges(whole, "perceives", state, NUCLEAR)
        assert found, state
        for edge in found:
            assert edge.via and edge.detail, edge  # through a perception, with an intensity
            assert edge.detail.startswith(f"{BASE}scheme/perception-intensity/")
            assert edge.detail_label and edge.intensity == edge.detail.rpartition("/")[2]
            # the perception the edge comes through says so, in the edge's paper graph
            assert bundled_store.ask(
                f"ASK {{ GRAPH <{graph_iri(edge.paper, BASE)}> {{ <{edge.via}> "
                f"<{BASE}ontology#perceiver> <{state}> ; <{BASE}ontology#intensity> "
                f"<{edge.detail}> }} }}")
        assert {e.paper for e in found} == {"paper-a", "paper-b"}  # both papers say it


def test_intensities_are_the_schemes_concepts(whole, bundled_store) -> None:
    found = whole.intensities()
    assert len(found) >= 3
    for key, label in found.items():
        assert bundled_store.ask(
            f"ASK {{ <{BASE}scheme/perception-intensity/{key}> "
            f"<http://www.w3.org/2004/02/skos/core#prefLabel> {label!r}@en }}"), key


def test_states_are_party_to_agreements(whole, bundled_store) -> None:
    parties = _edges(whole, "party-to")
    assert len(parties) >= 10
    edge = next(e for e in parties if e.source == JAPAN)
    assert whole.nodes[edge.target].kind == "agreement"
    assert bundled_store.ask(f"ASK {{ <{edge.via}> <{BASE}ontology#party> <{JAPAN}> ; "
                             f"<{BASE}ontology#partyOf> <{edge.target}> }}")


def test_alliances_memberships_threats_and_disputes(whole) -> None:
    allied = {frozenset((e.source, e.target)) for e in _edges(whole, "allied-with")}
    assert frozenset((JAPAN, US)) in allied and frozenset((ROK, US)) in allied
    assert _edges(whole, "member-of", JAPAN)
    assert all(whole.nodes[e.target].kind == "threat" for e in _edges(whole, "poses"))
    assert any(e.source == f"{ID}state/north-korea" for e in _edges(whole, "poses"))
    disputes = _edges(whole, "disputes")
    assert disputes and all({e.source, e.target} == {JAPAN, ROK} for e in disputes)


def test_every_node_is_a_local_entity_with_a_label(whole, bundled_store) -> None:
    assert len(whole.nodes) > 20
    for iri, node in whole.nodes.items():
        assert entity.path_for_iri(iri, base_iri=BASE).startswith("id/"), iri
        assert entity.exists(bundled_store, iri), iri
        assert node.label != iri, iri  # an English label found
    assert {e.relation for e in whole.edges} <= set(RELATIONS)
    assert {e.paper for e in whole.edges} == set(PAPERS)
    assert all(e.source in whole.nodes and e.target in whole.nodes for e in whole.edges)


def test_the_paper_filter_keeps_only_that_papers_edges(whole) -> None:
    only_a = whole.filtered(papers=["paper-a"])
    assert 0 < len(only_a.edges) < len(whole.edges)
    assert {e.paper for e in only_a.edges} == {"paper-a"}
    assert set(only_a.nodes) == {end for e in only_a.edges for end in (e.source, e.target)}
    both = whole.filtered(papers=["paper-a", "paper-b"])
    assert len(both.edges) == len(whole.edges) - len(whole.filtered(papers=["background"]).edges)


def test_the_relation_and_intensity_filters(whole) -> None:
    perceives = whole.filtered(relations=["perceives"])
    assert perceives.edges and {e.relation for e in perceives.edges} == {"perceives"}
    one = sorted(whole.intensities())[0]
    some = whole.filtered(relations=["perceives"], intensities=[one])
    assert 0 < len(some.edges) < len(perceives.edges)
    assert {e.intensity for e in some.edges} == {one}
    # an intensity filter leaves the other relations alone
    assert len(whole.filtered(intensities=[one]).edges) == (
        len(whole.edges) - len(perceives.edges) + len(some.edges))


def test_the_neighbourhood_query_keeps_the_focus_edges(whole, bundled_store) -> None:
    near = read_network(bundled_store, BASE, focus=ROK)
    expected = [e for e in whole.edges if ROK in (e.source, e.target)]
    assert near.edges == expected and ROK in near.nodes
    assert read_network(bundled_store, BASE, focus=f"{ID}state/atlantis").edges == []
    with pytest.raises(NotFound):
        network_query(BASE, focus="x> } DELETE { ?s ?p ?o")


def test_the_query_follows_the_base_iri() -> None:
    other = "https://example.org/ag/"
    text = network_query(other)
    assert f"<{other}graph/paper-a>" in text and f'"{other}id/"' in text
    assert BASE not in text


def test_rows_become_nodes_and_edges_once() -> None:
    row = {"s": JAPAN, "relation": "poses", "o": NUCLEAR, "g": graph_iri("background", BASE),
           "sLabel": "Japan"}
    built = network([row, row, {**row, "oLabel": "nukes"}, {**row, "g": "urn:elsewhere"},
                     {**row, "relation": "likes"}], BASE)
    assert len(built.edges) == 1 and built.edges[0].paper == "background"
    assert built.nodes[NUCLEAR].label == "nukes" and built.nodes[JAPAN].kind == "state"


def test_kind_of() -> None:
    assert kind_of(JAPAN, BASE) == "state"
    assert kind_of(f"{ID}paper-b/cooperation/x", BASE) == "cooperation"
    assert kind_of(f"{ID}paper-a", BASE) == "entity"
    assert kind_of("https://elsewhere.org/id/state/x", BASE) == "entity"


def test_choose_refuses_unknown_values() -> None:
    assert choose([], PAPERS, "paper") is None
    assert choose(["paper-b", "paper-b"], PAPERS, "paper") == ["paper-b"]
    with pytest.raises(BadRequest, match="paper-c"):
        choose(["paper-a", "paper-c"], PAPERS, "paper")


def test_relation_properties_are_the_querys_properties() -> None:
    found = relation_properties(BASE)
    ag = f"{BASE}ontology#"
    assert {f"{ag}perceiver", f"{ag}partyOf", f"{ag}posedBy", f"{ag}participant",
            "http://www.w3.org/ns/org#member"} <= found
    assert not any(iri.rpartition("#")[2][:1].isupper() for iri in found)  # no class


def test_may_relate_reads_the_description(whole, bundled_store) -> None:
    # every entity in the network is one the entity page would draw a picture for
    for iri in whole.nodes:
        assert may_relate(entity.describe(bundled_store, iri, base_iri=BASE)), iri
    section = f"{ID}paper-a/section/1"
    assert section not in whole.nodes
    assert not may_relate(entity.describe(bundled_store, section, base_iri=BASE))
