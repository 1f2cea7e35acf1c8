"""Validation under entailment: owl:sameAs smushing after the OWL 2 RL closure
(``alliancegraph.shapes.entailment``), and the bundled graph validated with OWL-RL."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from alliancegraph.shapes import entailment
from alliancegraph.shapes import validate as validate_module
from alliancegraph.shapes.entailment import representative, same_as_cliques, smush_same_as
from alliancegraph.shapes.validate import parse_rdf_graph, validate
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDFS, XSD

AG = "https://w3id.org/alliancegraph/ontology#"
JAPAN = URIRef("https://w3id.org/alliancegraph/id/state/japan")
Q17 = URIRef("http://www.wikidata.org/entity/Q17")
DBR_JAPAN = URIRef("http://dbpedia.org/resource/Japan")
PARTY = URIRef("https://example.org/entailment/party")

# Japan under three IRIs (the links of graph/sources/links/entities.ttl), each saying
# something, one reached only through another (sameAs is transitive), one named as an object.
CLIQUE = f"""
@prefix ag: <{AG}> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix sssom: <https://w3id.org/sssom/> .
@prefix semapv: <https://w3id.org/semapv/vocab/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<{JAPAN}> a ag:State ; rdfs:label "Japan"@en ; skos:prefLabel "Japan"@en , "日本"@ja ;
    ag:iso3166Alpha2 "JP" ; ag:iso3166Alpha3 "JPN" ; owl:sameAs <{Q17}> .
<{Q17}> owl:sameAs <{DBR_JAPAN}> ; rdfs:comment "said of the Wikidata IRI"@en .
<{DBR_JAPAN}> rdfs:seeAlso "{DBR_JAPAN}" .
<{PARTY}> ag:party <{DBR_JAPAN}> .
# every link out carries its provenance (shapes/src/links.ttl, LinkProvenanceShape)
<urn:axiom:japan-q17> a owl:Axiom ; owl:annotatedSource <{JAPAN}> ;
    owl:annotatedProperty owl:sameAs ; owl:annotatedTarget <{Q17}> ;
    ag:linkOrigin ag:CuratedLink ; sssom:mapping_justification semapv:ManualMappingCuration ;
    sssom:mapping_date "2026-11-22"^^xsd:date .
<urn:axiom:q17-dbr> a owl:Axiom ; owl:annotatedSource <{Q17}> ;
    owl:annotatedProperty owl:sameAs ; owl:annotatedTarget <{DBR_JAPAN}> ;
    ag:linkOrigin ag:CuratedLink ; sssom:mapping_justification semapv:ManualMappingCuration ;
    sssom:mapping_date "2026-11-22"^^xsd:date .
"""


def clique_graph() -> Graph:
    return parse_rdf_graph(CLIQUE.encode(), ox.RdfFormat.TURTLE)


def test_a_clique_of_three_iris_is_one_clique():
    assert same_as_cliques(clique_graph()) == [{JAPAN, Q17, DBR_JAPAN}]


def test_the_representative_is_the_projects_iri_else_the_smallest_iri():
    assert representative([Q17, DBR_JAPAN, JAPAN]) == JAPAN
    assert representative([Q17, DBR_JAPAN]) == DBR_JAPAN
    assert representative([BNode("a"), Q17]) == Q17
    other = URIRef("https://w3id.org/alliancegraph/id/state/nippon")
    assert representative([other, JAPAN, Q17]) == JAPAN


def test_smushing_merges_the_triples_onto_the_representative_and_keeps_the_links():
    smushed = smush_same_as(clique_graph())
    subjects = set(smushed.subjects())
    assert Q17 not in subjects and DBR_JAPAN not in subjects
    assert (JAPAN, RDFS.comment, Literal("said of the Wikidata IRI", lang="en")) in smushed
    assert (PARTY, URIRef(AG + "party"), JAPAN) in smushed  # objects are rewritten too
    assert set(smushed.triples((None, OWL.sameAs, None))) == {
        (JAPAN, OWL.sameAs, Q17), (JAPAN, OWL.sameAs, DBR_JAPAN)}
    # nothing lost, nothing added: the input's two links became the representative's two
    assert len(smushed) == len(clique_graph())


def test_literal_values_are_not_smushed():
    graph = clique_graph()
    one, one_again = (Literal("1", datatype=XSD.integer),
                      Literal("01", datatype=XSD.integer, normalize=False))
    graph.add((one, OWL.sameAs, one_again))  # OWL-RL writes such links between equal values
    graph.add((JAPAN, OWL.sameAs, Literal("Japan")))
    smushed = smush_same_as(graph)
    assert same_as_cliques(graph) == [{JAPAN, Q17, DBR_JAPAN}]
    assert (one, OWL.sameAs, one_again) in smushed
    assert (JAPAN, OWL.sameAs, Literal("Japan")) in smushed
    # a literal spelling an alias IRI stays a literal, unchanged
    assert (JAPAN, RDFS.seeAlso, Literal(str(DBR_JAPAN))) in smushed


def test_owlrl_validation_speaks_of_each_state_once(monkeypatch: pytest.MonkeyPatch):
    """Without smushing, OWL-RL copies the state and its ISO codes onto its two aliases, and
    the uniqueness shape sees three states with one code."""
    data = clique_graph()
    data.remove((PARTY, None, None))  # a bare party node: rdfs:domain types it, unlabelled
    assert not validate(data, inference="owlrl").results
    for module in (entailment, validate_module):  # wherever owl_rl_closure finds it
        monkeypatch.setattr(module, "smush_same_as", lambda graph: graph, raising=False)
    clashes = {r.focus_node for r in validate(data, inference="owlrl").violations
               if r.source_shape.endswith("#UniqueIsoCodeShape>")}
    assert clashes == {JAPAN.n3(), Q17.n3(), DBR_JAPAN.n3()}


@pytest.mark.long
def test_the_bundled_graph_conforms_under_owlrl(source_store: ox.Store):
    """No violation, and the same warnings as without inference: entailment neither hides a
    result nor repeats one under an alias. (Before smushing: 266 violations, all about one
    individual under two or three IRIs, and the one warning lost — a party counted twice.)
    RDFS is not run here for time (about 60 s on the rdflib path; it conforms too)."""
    report = validate(source_store, inference="owlrl")
    assert not report.violations, report.text()
    assert {r.key() for r in report.results} == {r.key() for r in validate(source_store).results}
