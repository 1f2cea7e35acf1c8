"""Which queries are proven cheap enough to answer in the serving thread."""

from __future__ import annotations

import pytest
from alliancegraph.store.lookup import is_bounded_lookup

PROVEN = (
    "SELECT ?label WHERE { <http://example.org/japan> rdfs:label ?label }",
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "SELECT ?label WHERE { <http://example.org/japan> rdfs:label ?label } # a comment",
    "BASE <http://example.org/> SELECT * { <japan> ?p ?o . }",
    "select ?s ?o where { ?s a ?o } limit 10",
    "ASK { ?s <http://example.org/p> 'x'@en }",
    'ASK WHERE { ?s <http://example.org/p> "1"^^xsd:integer }',
    "SELECT ?o WHERE { agid:paper-a\\/section\\/4-1 ?p ?o }",  # escaped local names
    "DESCRIBE <http://example.org/japan>",
    "PREFIX agid: <http://example.org/id/> DESCRIBE agid:japan",
    "SELECT ?s { ?s ?p ?o }",  # a scan, but cut after a few rows more than it may return
)
NOT_PROVEN = (
    "SELECT DISTINCT ?o WHERE { ?s ?p ?o }",
    "SELECT ?s WHERE { ?s ?p ?s }",  # scans everything for a few rows
    "SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?o",
    "SELECT ?o WHERE { ?s ?p ?o } OFFSET 100000",
    "SELECT ?o WHERE { ?s ?p ?o . ?o ?q ?r }",
    "SELECT ?o WHERE { ?s ?p ?o FILTER(?o > 1) }",
    "SELECT ?o WHERE { ?s <http://example.org/p>* ?o }",
    "SELECT ?o WHERE { ?s <http://example.org/p>/<http://example.org/q> ?o }",
    "SELECT ?o WHERE { ?s ?p 1 }",
    "SELECT ?o FROM <http://example.org/g> WHERE { ?s ?p ?o }",
    "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "SELECT ?o WHERE { ?s ?p ?o } GROUP BY ?o",
    "SELECT ?o WHERE { ?s ?p ?o } VALUES ?o { 1 }",
    "SELECT ?o WHERE { { SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?o } }",
    "SELECT ?o WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "DESCRIBE ?x WHERE { ?x ?p ?o }",
    "DESCRIBE <http://example.org/japan> <http://example.org/korea>",
    "DESCRIBE <http://example.org/japan> FROM <http://example.org/g>",
    "ASK { }",
    "SELECT WHERE { ?s ?p ?o }",
    "SELECT ?o WHERE { ?s ?p ?o ",
    "",
)


@pytest.mark.parametrize("text", PROVEN)
def test_one_triple_pattern_without_modifiers_is_proven(text):
    assert is_bounded_lookup(text)


@pytest.mark.parametrize("text", NOT_PROVEN)
def test_anything_else_is_not(text):
    assert not is_bounded_lookup(text)
