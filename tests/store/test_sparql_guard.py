"""The SPARQL policy's tokenizer (store/sparql_guard.py): the query form, refusals of
SERVICE, LOAD and ``file:`` FROM/USING in the spellings SPARQL allows, the graphs a
query's dataset clauses name, and the protocol's using-graph-uri added to an update."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from alliancegraph.errors import BadRequest, ParseError
from alliancegraph.store import Dataset, sparql_guard
from alliancegraph.store.sparql_guard import Refused, add_using, check_query, check_update

EX = "http://example.org/"


@pytest.mark.parametrize(("text", "form"), [
    ("SELECT * WHERE { ?s ?p ?o }", "SELECT"),
    ("prefix ex: <http://example.org/>\nask { ex:a ?p ?o }", "ASK"),
    ("# SELECT in a comment\nCONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
    ("BASE <http://example.org/> DESCRIBE <a>", "DESCRIBE"),
    ('ASK { ?s ?p "SELECT" }', "ASK"),
])
def test_the_query_form_is_the_first_form_keyword_outside_strings_and_comments(text, form):
    assert sparql_guard.query_form(text) == form


def test_text_without_a_query_form_is_a_parse_error():
    with pytest.raises(ParseError, match="not a SPARQL query"):
        sparql_guard.query_form("INSERT DATA { <a> <b> <c> }")
    with pytest.raises(ParseError):
        check_query('PREFIX ex: <http://example.org/> # SELECT\n"ASK"')


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "select * where { service silent <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SeRvIcE ?endpoint { ?s ?p ?o } }",
    "PREFIX ex: <http://example.org/>\nSELECT * WHERE { SERVICE ex:sparql { ?s ?p ?o } }",
    "SELECT * WHERE {SERVICE<http://example.org/sparql>{?s ?p ?o}}",
])
def test_service_is_refused_in_every_spelling(text):
    with pytest.raises(Refused, match="SERVICE is not allowed") as caught:
        check_query(text)
    assert caught.value.status == 400


@pytest.mark.parametrize("text", [
    'SELECT ("SERVICE" AS ?x) WHERE { <http://example.org/SERVICE> ?p ?o }',
    "# SERVICE <http://example.org/>\nSELECT * WHERE { ?service ?p ?o }",
    "SELECT * WHERE { ?s <http://example.org/LOAD> '''LOAD <file:///etc/passwd>''' }",
])
def test_keywords_inside_strings_iris_comments_or_variables_are_not_refused(text):
    assert check_query(text).form == "SELECT"


@pytest.mark.parametrize("text", [
    "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
    "SELECT * FROM<file:///etc/passwd>WHERE{?s ?p ?o}",
    "SELECT * FROM NAMED <FILE:///etc/passwd> WHERE { ?s ?p ?o }",
    "PREFIX f: <file:///etc/>\nSELECT * FROM f:passwd WHERE { ?s ?p ?o }",
    "PREFIX : <file:///etc/>\nSELECT * FROM :passwd WHERE { ?s ?p ?o }",
    "BASE <file:///etc/>\nSELECT * FROM <passwd> WHERE { ?s ?p ?o }",
    "SELECT * FROM # a comment between\n <file:///etc/passwd> WHERE { ?s ?p ?o }",
    # an IRI may spell any character as \\uXXXX; Oxigraph reads it as "file:"
    "SELECT * FROM <\\u0066ile:///etc/passwd> WHERE { ?s ?p ?o }",
])
def test_a_file_from_is_refused_in_every_spelling(text):
    with pytest.raises(Refused, match="reads no local files"):
        check_query(text)


def test_a_file_base_given_by_the_caller_counts_too():
    with pytest.raises(Refused):
        check_query("SELECT * FROM <passwd> WHERE { ?s ?p ?o }", "file:///etc/")


def test_the_dataset_graphs_are_found_resolved_against_prefixes_and_base():
    found = check_query(
        "BASE <http://example.org/base/>\nPREFIX ex: <http://example.org/>\n"
        "SELECT * FROM ex:g1 FROM <relative> FROM NAMED <http://example.org/g3> "
        "from named ex:g\\-4 WHERE { ?s ?p ?o }")
    assert found.default_graphs == [EX + "g1", EX + "base/relative"]
    assert found.named_graphs == [EX + "g3", EX + "g-4"]
    assert found.dataset_graphs == found.default_graphs + found.named_graphs
    assert check_query("SELECT * WHERE { ?s ?p ?o }", EX).dataset_graphs == []


def test_the_dataset_graphs_are_the_iris_the_engine_reads():
    """Whatever the spelling, the graph found is the one Oxigraph will select: otherwise
    the store's check that a FROM graph exists looks at another graph."""
    text = "SELECT ?o FROM <http://example.org/g\\u0031> WHERE { ?s ?p ?o }"
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.Literal("in g1"),
                      ox.NamedNode(EX + "g1")))
    assert [s["o"].value for s in store.query(text)] == ["in g1"]
    assert check_query(text).default_graphs == [EX + "g1"]


@pytest.mark.parametrize("text", [
    "LOAD <http://example.org/data.ttl>",
    "load silent <file:///etc/passwd> into graph <http://example.org/g>",
    "INSERT DATA { <a> <b> <c> } ;\nLoAd <http://example.org/x>",
])
def test_load_is_refused(text):
    with pytest.raises(Refused, match="LOAD is not allowed"):
        check_update(text)


def test_service_and_file_using_are_refused_in_updates():
    with pytest.raises(Refused, match="SERVICE"):
        check_update("INSERT { ?s ?p ?o } WHERE { SERVICE <http://example.org/> "
                     "{ ?s ?p ?o } }")
    with pytest.raises(Refused, match="USING <file:///etc/passwd>"):
        check_update("INSERT { ?s ?p ?o } USING <file:///etc/passwd> WHERE { ?s ?p ?o }")
    found = check_update("DELETE { ?s ?p ?o } USING NAMED <http://example.org/g> "
                         "WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert found.named_graphs == [EX + "g"] and not found.has_with


MODIFY = "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }"


def test_add_using_puts_the_protocol_graphs_before_each_modify_where():
    text = (f"{MODIFY} ;\nINSERT DATA {{ <{EX}a> <{EX}b> <{EX}c> }} ;\n"
            f"DELETE WHERE {{ ?s ?p ?o }} ;\n{MODIFY}")
    dataset = Dataset(default_graphs=(EX + "g1",), named_graphs=(EX + "g2",))
    added = add_using(text, check_update(text), dataset)
    using = f"USING <{EX}g1> USING NAMED <{EX}g2> WHERE"
    assert added.count(using) == 2  # the two modify operations; DELETE WHERE has no USING
    assert added.replace(using, "WHERE") == text
    assert "DELETE WHERE { ?s ?p ?o }" in added
    ox.Store().update(added)  # still a valid update


def test_add_using_leaves_the_text_alone_without_a_protocol_dataset():
    assert add_using(MODIFY, check_update(MODIFY), None) == MODIFY
    assert add_using(MODIFY, check_update(MODIFY), Dataset(union_default=True)) == MODIFY


@pytest.mark.parametrize("text", [
    f"WITH <{EX}g> {MODIFY}",
    f"DELETE {{ ?s ?p ?o }} USING <{EX}g> WHERE {{ ?s ?p ?o }}",
])
def test_add_using_refuses_an_update_with_its_own_with_or_using(text):
    with pytest.raises(BadRequest, match="cannot also be given"):
        add_using(text, check_update(text), Dataset(default_graphs=(EX + "g1",)))


def test_tokens_keep_their_place_and_drop_comments():
    tokens = sparql_guard.tokenize('ASK # note\n{ ?s <http://x> "a}b"@en }')
    assert [(t.kind, t.text, t.start) for t in tokens] == [
        ("name", "ASK", 0), ("punct", "{", 11), ("var", "?s", 13),
        ("iri", "<http://x>", 16), ("string", '"a}b"', 27), ("lang", "@en", 32),
        ("punct", "}", 36)]
    assert tokens[0].keyword == "ASK" and tokens[2].keyword == ""
