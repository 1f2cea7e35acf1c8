"""The engine functions every Oxigraph backend shares (store/engine.py), on an in-memory
pyoxigraph store: queries on a dataset, bounded results, serialisation, pattern reads,
every change kind (blank nodes kept as given, all or nothing) and pyoxigraph's errors as
project errors with their place."""

from __future__ import annotations

import io
import json

import pyoxigraph as ox
import pytest
from alliancegraph.errors import BadRequest, NotAcceptable, NotFound, ParseError, ResultTooLarge
from alliancegraph.store import engine
from alliancegraph.store.base import (
    Dataset,
    DropGraph,
    MergeGraph,
    QuadDelta,
    ReplaceGraph,
    ReplaceGraphs,
    Update,
)

EX = "http://example.org/"
G1, G2 = EX + "g1", EX + "g2"
P = ox.NamedNode(EX + "p")
NONE = Dataset()


def n(name: str) -> ox.NamedNode:
    return ox.NamedNode(EX + name)


def quad(s: str, o: str, graph: str | None) -> ox.Quad:
    return ox.Quad(n(s), P, ox.Literal(o), engine.graph_term(graph))


@pytest.fixture
def store() -> ox.Store:
    """``a`` in the default graph, ``b1``/``b2`` in g1, ``c`` in g2."""
    store = ox.Store()
    store.extend([quad("a", "in-default", None), quad("b1", "in-g1", G1),
                  quad("b2", "in-g1", G1), quad("c", "in-g2", G2)])
    return store


def objects(store, sparql: str, dataset: Dataset = NONE) -> list[str]:
    found = engine.select(store, sparql, dataset=dataset, base_iri=None, max_rows=100)
    return sorted(t.value for t in found.column("o"))


ALL_O = "SELECT ?o WHERE { ?s ?p ?o }"


# ---------------------------------------------------------------------- queries


def test_the_dataset_decides_what_the_default_graph_is(store):
    assert objects(store, ALL_O) == ["in-default"]  # no dataset: the default graph alone
    assert objects(store, ALL_O, Dataset(union_default=True)) == [
        "in-default", "in-g1", "in-g1", "in-g2"]
    assert objects(store, ALL_O, Dataset(default_graphs=(G2,))) == ["in-g2"]
    # a protocol dataset overrides the union and the query's FROM
    assert objects(store, f"SELECT ?o FROM <{G1}> WHERE {{ ?s ?p ?o }}",
                   Dataset(default_graphs=(G2,), union_default=True)) == ["in-g2"]
    named = "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert objects(store, named, Dataset(named_graphs=(G2,))) == ["in-g2"]
    # named graphs only: the default graph is then empty
    assert objects(store, ALL_O, Dataset(named_graphs=(G2,))) == []


def test_select_gives_variables_and_rows_with_unbound_as_none(store):
    found = engine.select(store, f"SELECT ?s ?x WHERE {{ GRAPH <{G2}> {{ ?s ?p ?o }} }}",
                          dataset=NONE, base_iri=None, max_rows=10)
    assert found.variables == ("s", "x")
    assert found.rows == ((n("c"), None),)


def test_the_base_iri_resolves_relative_iris(store):
    found = engine.select(store, "SELECT ?o WHERE { <a> ?p ?o }", dataset=NONE,
                          base_iri=EX, max_rows=10)
    assert [t.value for t in found.column("o")] == ["in-default"]


def test_bounded_reads_raise_past_their_limit_and_never_truncate(store):
    union = Dataset(union_default=True)
    assert len(engine.select(store, ALL_O, dataset=union, base_iri=None, max_rows=4)) == 4
    with pytest.raises(ResultTooLarge, match="more than 3 solutions"):
        engine.select(store, ALL_O, dataset=union, base_iri=None, max_rows=3)
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert len(engine.construct(store, construct, dataset=NONE, base_iri=None,
                                max_rows=3)) == 3
    with pytest.raises(ResultTooLarge, match="more than 2 triples"):
        engine.construct(store, construct, dataset=NONE, base_iri=None, max_rows=2)
    assert len(engine.quads(store, None, P, None, "*", limit=4)) == 4
    with pytest.raises(ResultTooLarge):
        engine.quads(store, None, P, None, "*", limit=3)
    with pytest.raises(ResultTooLarge):
        engine.query(store, ALL_O, form="SELECT", media_type="text/csv", dataset=union,
                     base_iri=None, max_rows=3)


def test_construct_removes_duplicate_triples(store):
    # the same triple from two solutions (b1 and b2 give one triple each, both alike)
    found = engine.construct(store, f"CONSTRUCT {{ <{EX}x> <{EX}has> ?o }} WHERE "
                             f"{{ GRAPH <{G1}> {{ ?s ?p ?o }} }}", dataset=NONE,
                             base_iri=None, max_rows=1)
    assert found == [ox.Triple(n("x"), n("has"), ox.Literal("in-g1"))]


def test_ask_and_the_wrong_form_for_a_call(store):
    assert engine.ask(store, f"ASK {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}", dataset=NONE,
                      base_iri=None) is True
    assert engine.ask(store, "ASK { ?s ?p 'in-g1' }", dataset=NONE, base_iri=None) is False
    with pytest.raises(BadRequest, match="not a SELECT"):
        engine.select(store, "ASK {}", dataset=NONE, base_iri=None, max_rows=1)
    with pytest.raises(BadRequest, match="not an ASK"):
        engine.ask(store, ALL_O, dataset=NONE, base_iri=None)
    with pytest.raises(BadRequest, match="not a CONSTRUCT"):
        engine.construct(store, "ASK {}", dataset=NONE, base_iri=None, max_rows=1)


def test_query_serialises_in_the_media_type_and_counts(store):
    union = Dataset(union_default=True)
    csv = engine.query(store, ALL_O + " ORDER BY ?o", form="SELECT", media_type="text/csv",
                       dataset=union, base_iri=None, max_rows=10)
    assert (csv.form, csv.count) == ("SELECT", 4) and csv.media_type.startswith("text/csv")
    assert csv.body.decode().split() == ["o", "in-default", "in-g1", "in-g1", "in-g2"]
    ask = engine.query(store, "ASK {}", form="ASK",
                       media_type="application/sparql-results+json", dataset=NONE,
                       base_iri=None, max_rows=10)
    assert ask.count == 1 and b'"boolean":true' in ask.body.replace(b" ", b"")
    turtle = engine.query(store, "CONSTRUCT WHERE { ?s ?p ?o }", form="CONSTRUCT",
                          media_type="text/turtle", dataset=NONE, base_iri=None,
                          max_rows=10)
    assert turtle.count == 1
    assert [q.triple for q in ox.parse(turtle.body, ox.RdfFormat.TURTLE)] == [
        ox.Triple(n("a"), P, ox.Literal("in-default"))]


def test_a_select_keeps_every_kind_of_term_through_serialisation():
    store = ox.Store()
    terms = [ox.NamedNode(EX + "x"), ox.BlankNode("b7"), ox.Literal("chat", language="fr"),
             ox.Literal("7", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))]
    store.extend(ox.Quad(n("s"), P, t, ox.DefaultGraph()) for t in terms)
    body = engine.query(store, "SELECT ?o WHERE { ?s ?p ?o }", form="SELECT",
                        media_type="application/sparql-results+xml", dataset=NONE,
                        base_iri=None, max_rows=10).body
    back = [s["o"] for s in ox.parse_query_results(body, ox.QueryResultsFormat.XML)]
    assert sorted(map(str, back)) == sorted(map(str, terms))


@pytest.mark.parametrize(("form", "media_type"), [
    ("ASK", "text/csv"), ("SELECT", "text/turtle"), ("CONSTRUCT", "text/csv"),
    ("SELECT", "image/png"),
])
def test_a_result_that_cannot_be_written_so_is_not_acceptable(form, media_type):
    with pytest.raises(NotAcceptable):
        engine.result_format(form, media_type)


# ---------------------------------------------------------------------- pattern reads


def test_pattern_reads_graphs_and_counts(store):
    assert [q.subject for q in engine.quads(store, None, P, None, None, limit=10)] == [n("a")]
    assert {q.subject for q in engine.quads(store, None, None, None, G1, limit=10)} == {
        n("b1"), n("b2")}
    store.add_graph(n("empty"))
    assert engine.graph_names(store) == sorted([G1, G2, EX + "empty"])
    assert engine.graph_exists(store, None) and engine.graph_exists(store, EX + "empty")
    assert not engine.graph_exists(store, EX + "missing")
    assert (engine.count(store), engine.count(store, None), engine.count(store, G1)) == (4, 1, 2)
    assert engine.status(store) == {"ok": True, "quads": 4, "graphs": {
        "": 1, G1: 2, G2: 1, EX + "empty": 0}}


def test_get_graph_and_dump(store):
    nt = engine.get_graph(store, G1, media_type="application/n-triples")
    assert {t.subject for t in ox.parse(nt, ox.RdfFormat.N_TRIPLES)} == {n("b1"), n("b2")}
    with pytest.raises(NotFound):
        engine.get_graph(store, EX + "missing", media_type="text/turtle")
    with pytest.raises(NotAcceptable):
        engine.get_graph(store, G1, media_type="text/csv")
    quads = io.BytesIO()
    engine.dump(store, quads, media_type="application/n-quads")
    assert set(ox.parse(quads.getvalue(), ox.RdfFormat.N_QUADS)) == set(store)
    union = io.BytesIO()
    engine.dump(store, union, media_type="application/n-triples")
    triples = {q.triple for q in ox.parse(union.getvalue(), ox.RdfFormat.N_TRIPLES)}
    assert triples == {q.triple for q in store}


# ---------------------------------------------------------------------- writes


def test_an_update_is_applied_or_nothing_is(store):
    engine.apply_change(store, Update(f'INSERT DATA {{ <{EX}new> <{EX}p> "x" }}'))
    assert engine.count(store, None) == 2
    before = set(store)
    with pytest.raises(BadRequest, match="already exists"):
        engine.apply_change(store, Update(f'INSERT DATA {{ <{EX}more> <{EX}p> "y" }} ;'
                                          f" CREATE GRAPH <{G1}>"))
    assert set(store) == before
    engine.apply_change(store, Update('INSERT DATA { <rel> <p> "z" }', base_iri=EX))
    assert n("rel") in {q.subject for q in store}


def test_a_delta_keeps_blank_nodes_and_every_term_as_given(store):
    blank = ox.BlankNode("kept")
    added = (ox.Quad(blank, P, ox.Literal("été", language="fr"), n("g3")),
             ox.Quad(n("s"), P, blank, ox.DefaultGraph()),
             ox.Quad(n("s"), P, ox.Literal("1.50", datatype=n("amount")), ox.DefaultGraph()))
    removed = (quad("b1", "in-g1", G1),)
    assert engine.apply_change(store, QuadDelta(removed=removed, added=added)) == (
        engine.Effect())
    assert set(store) == {quad("a", "in-default", None), quad("b2", "in-g1", G1),
                          quad("c", "in-g2", G2), *added}
    # the blank node can be removed again by its label: it is the same node
    engine.apply_change(store, QuadDelta(removed=added[:2]))
    assert blank not in {t for q in store for t in (q.subject, q.object)}


def test_a_delta_creates_and_drops_graphs(store):
    engine.apply_change(store, QuadDelta(created_graphs=(EX + "empty",),
                                         dropped_graphs=(G2,)))
    assert engine.graph_names(store) == [EX + "empty", G1]
    assert engine.count(store) == 3


def test_replace_and_merge_a_graph(store):
    new = (ox.Quad(ox.BlankNode("r1"), P, ox.Literal("new"), ox.DefaultGraph()),)
    # the quads' own graph is ignored: they go to the graph named by the change
    assert engine.apply_change(store, ReplaceGraph(G1, new)).created is False
    assert list(store.quads_for_pattern(None, None, None, n("g1"))) == [
        ox.Quad(ox.BlankNode("r1"), P, ox.Literal("new"), n("g1"))]
    assert engine.apply_change(store, MergeGraph(G1, (quad("m", "merged", None),))
                               ).created is False
    assert engine.count(store, G1) == 2
    assert engine.apply_change(store, MergeGraph(EX + "fresh", ())).created is True
    assert engine.graph_exists(store, EX + "fresh")  # created, though nothing was added
    assert engine.apply_change(store, ReplaceGraph(None, ())).created is False
    assert engine.count(store, None) == 0 and engine.count(store, G2) == 1


def test_drop_a_graph(store):
    engine.apply_change(store, DropGraph(G1))
    assert engine.graph_names(store) == [G2]
    engine.apply_change(store, DropGraph(None))  # the default graph is emptied
    assert engine.count(store) == 1
    with pytest.raises(NotFound):
        engine.apply_change(store, DropGraph(G1))


def test_replace_graphs_refills_the_named_graphs_and_counts_them(store):
    build = ReplaceGraphs({G1: [quad("x", "built", G1), quad("x", "built", G1)],
                           EX + "g3": [quad("y", "built", EX + "g3")]})
    assert engine.apply_change(store, build).counts == {G1: 1, EX + "g3": 1}
    assert {q.subject for q in store.quads_for_pattern(None, None, None, n("g1"))} == {n("x")}
    assert engine.count(store, G2) == 1 and engine.count(store, None) == 1  # left alone


def test_a_change_that_is_none_of_the_kinds_is_a_type_error(store):
    with pytest.raises(TypeError):
        engine.apply_change(store, "DROP ALL")  # type: ignore[arg-type]


# ---------------------------------------------------------------------- errors


def test_a_syntax_error_is_a_parse_error_with_its_line_and_column():
    text = "SELECT ?s\nWHERE { ?s ?p ?o FILTER(?o = }"
    with pytest.raises(ParseError) as caught:
        engine.check_query_syntax(text, None)
    error = caught.value
    assert (error.line, error.column, error.text) == (2, 24, text)
    assert error.message == ("2:24: '(' is never closed\n"
                             "  WHERE { ?s ?p ?o FILTER(?o = }\n"
                             "  " + " " * 23 + "^")
    assert error.detail.startswith("expected one of ")  # Oxigraph's own words, kept
    with pytest.raises(ParseError) as update:
        engine.check_update_syntax("INSERT DATA { <a> <b> }", None)
    assert (update.value.line, update.value.column) == (1, 20)


def test_an_update_that_fails_only_on_a_real_store_passes_the_syntax_check():
    engine.check_update_syntax(f"DROP GRAPH <{G1}>", None)  # missing here, not a syntax error
    with pytest.raises(BadRequest) as caught:
        engine.apply_change(ox.Store(), Update(f"DROP GRAPH <{G1}>"))
    assert not isinstance(caught.value, ParseError)


def test_parse_error_reads_the_place_from_the_message_or_the_exception():
    at = SyntaxError("error at 3:7: expected a variable")
    error = engine.parse_error(at, "a\nb\nSELECT x")
    assert (error.line, error.column, error.reason) == (3, 7, "expected a variable")
    rdf = SyntaxError("Parser error at line 2 column 4: A dot is expected")
    rdf.lineno, rdf.offset = 2, 4
    error = engine.parse_error(rdf, source="data.ttl")
    assert error.message == "data.ttl:2:4: A dot is expected"
    with pytest.raises(ParseError) as caught:  # what pyoxigraph's Turtle parser raises
        engine.call(lambda: list(ox.parse(b"<a> <b> <c>\n<d>", ox.RdfFormat.TURTLE,
                                          base_iri=EX)))
    assert caught.value.line is not None and caught.value.column is not None


def test_json_terms_are_written_as_sparql_json():
    xsd = "http://www.w3.org/2001/XMLSchema#"
    iri, blank = ox.NamedNode("http://x"), ox.BlankNode("b0")
    assert engine.json_term(iri) == {"type": "uri", "value": "http://x"}
    assert engine.json_term(blank) == {"type": "bnode", "value": "b0"}
    assert engine.json_term(ox.Literal("a")) == {"type": "literal", "value": "a"}
    assert engine.json_term(ox.Literal("a", language="en")) == {
        "type": "literal", "value": "a", "xml:lang": "en"}
    assert engine.json_term(ox.Literal("01", datatype=ox.NamedNode(xsd + "integer"))) == {
        "type": "literal", "value": "01", "datatype": xsd + "integer"}
    quoted = engine.json_term(ox.Triple(iri, iri, ox.Literal("a")))
    assert quoted["type"] == "triple" and quoted["value"]["object"]["value"] == "a"
    # what pyoxigraph reads back is the same term
    body = json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": [
        {"x": engine.json_term(ox.Literal("01", datatype=ox.NamedNode(xsd + "integer")))}]}})
    (solution,) = ox.parse_query_results(body.encode(), ox.QueryResultsFormat.JSON)
    assert solution["x"] == ox.Literal("01", datatype=ox.NamedNode(xsd + "integer"))
