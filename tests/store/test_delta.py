"""The delta of a SPARQL Update, worked out before it is applied (alliancegraph.store.delta).

The reference is Oxigraph itself: the same update applied to a copy of the store, and the
quads compared before and after. Pattern operations must be evaluated by Oxigraph (not by
rdflib, whose cost follows the store); operations that depend on an earlier one fall back to
rdflib over the overlay, and still agree with Oxigraph.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from alliancegraph.errors import BadRequest, ParseError
from alliancegraph.store.delta import split_operations, update_delta

EX = "http://example.org/delta/"
PROLOGUE = f"PREFIX ex: <{EX}>\n"


def ex(local: str) -> ox.NamedNode:
    return ox.NamedNode(EX + local)


@pytest.fixture(scope="module")
def base() -> ox.Store:
    store = ox.Store()
    g1, g2 = ex("g1"), ex("g2")
    store.extend([
        ox.Quad(ex("a"), ex("p"), ex("b"), g1),
        ox.Quad(ex("b"), ex("p"), ex("a"), g1),
        ox.Quad(ex("a"), ex("label"), ox.Literal("A", language="en"), g1),
        ox.Quad(ex("b"), ex("label"), ox.Literal("B", language="en"), g2),
        ox.Quad(ex("c"), ex("label"), ox.Literal("C", language="en"), g2),
        ox.Quad(ex("a"), ex("q"), ox.Literal("1"), ox.DefaultGraph()),
        ox.Quad(ex("c"), ex("q"), ox.Literal("2"), ox.DefaultGraph()),
        ox.Quad(ex("c"), ex("r"), ex("d"), ox.DefaultGraph()),
    ])
    return store


def applied(store: ox.Store, update: str) -> tuple[set[ox.Quad], set[ox.Quad]]:
    """(added, removed) when Oxigraph applies ``update`` to a copy of ``store``."""
    copy = ox.Store()
    copy.extend(store)
    before = set(copy)
    copy.update(update)
    after = set(copy)
    return after - before, before - after


# (update, which engine evaluates each operation)
CASES = {
    "insert-where": ("INSERT { GRAPH ex:g3 { ?s ex:copied ?o } } "
                     "WHERE { GRAPH ex:g1 { ?s ex:p ?o } }", ["oxigraph"]),
    "delete-insert-with": ("WITH ex:g1 DELETE { ?s ex:label ?l } INSERT { ?s ex:name ?l } "
                           "WHERE { ?s ex:label ?l }", ["oxigraph"]),
    "using": ("INSERT { ?s ex:seen true } USING ex:g2 WHERE { ?s ex:label ?l }", ["oxigraph"]),
    "using-named": ("INSERT { ?s ex:in ?g } USING NAMED ex:g2 WHERE { GRAPH ?g { ?s ?p ?o } }",
                    ["oxigraph"]),
    "with-and-using": ("WITH ex:g1 INSERT { ?s ex:seen true } USING ex:g2 "
                       "WHERE { ?s ex:label ?l }", ["oxigraph"]),
    "delete-where-graph-var": ("DELETE WHERE { GRAPH ?g { ?s ex:label ?l } }", ["oxigraph"]),
    "delete-where-default": ("DELETE WHERE { ?s ex:q ?v }", ["oxigraph"]),
    "optional-unbound-left-out": ("INSERT { ?s ex:hasR ?r } WHERE { ?s ex:q ?v "
                                  "OPTIONAL { ?s ex:r ?r } }", ["oxigraph"]),
    "literal-subject-left-out": ("INSERT { ?v ex:of ?s . ?s ex:ok true } WHERE { ?s ex:q ?v }",
                                 ["oxigraph"]),
    "path-exists-subquery": ("INSERT { ?s ex:reach ?o } WHERE { GRAPH ?g { ?s ex:p+ ?o } "
                             "FILTER EXISTS { ?s ex:q ?v } "
                             "{ SELECT ?s WHERE { ?s ex:q ?any } } }", ["oxigraph"]),
    # SPARQL: every solution first, then all deletes, then all inserts; a swap is a no-op
    "swap-is-a-no-op": ("DELETE { GRAPH ex:g1 { ?s ex:p ?o } } "
                        "INSERT { GRAPH ex:g1 { ?o ex:p ?s } } "
                        "WHERE { GRAPH ex:g1 { ?s ex:p ?o } }", ["oxigraph"]),
    "independent-sequence": ("INSERT DATA { ex:x ex:unrelated ex:y } ; "
                             "DELETE { ?s ex:q ?v } WHERE { ?s ex:q ?v FILTER(?v = '1') }",
                             ["rdflib", "oxigraph"]),
    "dependent-sequence": ("INSERT DATA { ex:x ex:q '3' } ; "
                           "DELETE { ?s ex:q ?v } INSERT { ?s ex:was ?v } WHERE { ?s ex:q ?v }",
                           ["rdflib", "rdflib"]),
    "variable-predicate-depends": ("INSERT DATA { ex:x ex:new ex:y } ; "
                                   "INSERT { ?s ex:any ?p } WHERE { ?s ?p ex:y }",
                                   ["rdflib", "rdflib"]),
    "created-graph-depends": ("CREATE GRAPH ex:g9 ; "
                              "INSERT DATA { GRAPH ex:g9 { ex:x ex:p ex:y } } ; "
                              "INSERT { ?s ex:inG9 true } WHERE { GRAPH ex:g9 { ?s ex:p ?o } }",
                              ["recorded", "rdflib", "rdflib"]),
    "created-graph-is-seen": ("CREATE GRAPH ex:g8 ; INSERT { ex:x ex:graph ?g } "
                              "WHERE { GRAPH ?g { } }", ["recorded", "rdflib"]),
    "exists-is-judged-dependent": ("INSERT DATA { ex:x ex:unrelated ex:y } ; "
                                   "INSERT { ?s ex:flag true } WHERE { ?s ex:q ?v "
                                   "FILTER NOT EXISTS { ?s ex:p ?o "
                                   "FILTER EXISTS { ?o ex:unrelated ?z } } }",
                                   ["rdflib", "rdflib"]),
    "clear-then-pattern": ("CLEAR GRAPH ex:g2 ; INSERT { ?s ex:left true } "
                           "WHERE { GRAPH ?g { ?s ex:label ?l } }", ["rdflib", "rdflib"]),
    "trailing-semicolon-and-comments": ("# a comment ; with a semicolon\n"
                                        "INSERT { ?s ex:t 'a;b' } WHERE { ?s ex:q ?v } ;",
                                        ["oxigraph"]),
    # graph management works on the real default graph, as Oxigraph's does
    "drop-default-and-named": ("DROP DEFAULT ; DROP GRAPH ex:g1", ["rdflib", "rdflib"]),
    "clear-named": ("CLEAR NAMED", ["rdflib"]),
    "drop-all": ("DROP ALL", ["rdflib"]),
    "add-default-to-graph": ("ADD DEFAULT TO ex:g1", ["rdflib"]),
    "copy-graph-to-default": ("COPY ex:g2 TO DEFAULT", ["rdflib"]),
    "move-graph": ("MOVE ex:g1 TO ex:g2", ["rdflib"]),
    "insert-data-default": ("INSERT DATA { ex:x ex:q '9' } ; DELETE DATA { ex:a ex:q '1' }",
                            ["rdflib", "rdflib"]),
}


@pytest.mark.parametrize("name", CASES)
def test_the_delta_is_what_oxigraph_applies(name: str, base: ox.Store):
    update, engines = CASES[name]
    update = PROLOGUE + update
    delta = update_delta(base, update)
    added, removed = applied(base, update)
    assert (delta.added, delta.removed) == (added, removed)
    assert delta.evaluated_by == engines


def test_template_blank_nodes_are_fresh_for_each_solution(base: ox.Store):
    update = PROLOGUE + "INSERT { ?s ex:note [ ex:value ?v ] } WHERE { ?s ex:q ?v }"
    delta = update_delta(base, update)
    added, _ = applied(base, update)
    notes = {q.object for q in delta.added if q.predicate == ex("note")}
    assert len(notes) == 2 and all(isinstance(n, ox.BlankNode) for n in notes)
    assert len(delta.added) == len(added) == 4
    assert delta.evaluated_by == ["oxigraph"]


def test_the_store_is_never_written(base: ox.Store):
    before = set(base)
    update_delta(base, PROLOGUE + "DELETE WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert set(base) == before


def test_a_syntax_error_is_oxigraphs_parse_error(base: ox.Store):
    with pytest.raises(ParseError) as caught:
        update_delta(base, "INSERT { ?s ?p }\nWHERE { ?s ?p ?o }")
    assert (caught.value.line, caught.value.column) == (1, 16)


@pytest.mark.parametrize("update", [
    "CREATE GRAPH ex:g1", "CREATE GRAPH ex:new ; CREATE GRAPH ex:new", "DROP GRAPH ex:none",
    "CLEAR GRAPH ex:none", "MOVE ex:none TO ex:g1", "DROP GRAPH ex:g1 ; DROP GRAPH ex:g1"])
def test_what_oxigraph_refuses_is_refused(base: ox.Store, update: str):
    copy = ox.Store()
    copy.extend(base)
    with pytest.raises(RuntimeError) as oxigraph:
        copy.update(PROLOGUE + update)
    with pytest.raises(BadRequest) as ours:
        update_delta(base, PROLOGUE + update)
    assert ours.value.message == str(oxigraph.value)


def test_silent_is_not_refused(base: ox.Store):
    delta = update_delta(base, PROLOGUE + "CREATE SILENT GRAPH ex:g1 ; DROP SILENT GRAPH ex:none")
    assert not len(delta) and not delta.dropped_graphs


def test_created_and_dropped_graphs_are_in_the_change(base: ox.Store):
    change = update_delta(base, PROLOGUE + "CREATE GRAPH ex:empty ; DROP GRAPH ex:g2").as_change()
    assert change.created_graphs == (EX + "empty",)
    assert change.dropped_graphs == (EX + "g2",)
    assert set(change.removed) == set(base.quads_for_pattern(None, None, None, ex("g2")))


def test_split_operations_keeps_the_prologue_and_the_where_text():
    text = (f"BASE <{EX}>\nPREFIX ex: <{EX}>\n"
            "INSERT DATA { ex:a ex:p 'x;y' } ;\n"
            "# WHERE in a comment ; and a semicolon\n"
            "DELETE { ?s ex:p ?o } INSERT { ?s ex:p 'WHERE' } USING <g> WHERE { ?s ex:p ?o ;"
            " ex:q ?v }")
    first, second = split_operations(text)
    assert first.prologue == second.prologue == f"BASE <{EX}>\nPREFIX ex: <{EX}>"
    assert first.where is None
    assert second.where == "{ ?s ex:p ?o ; ex:q ?v }"


def test_delete_where_reads_its_quad_pattern():
    (only,) = split_operations("DELETE WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert only.where == "{ GRAPH ?g { ?s ?p ?o } }"


def test_overlay_lookups_by_two_terms_see_exactly_the_matching_added_quads(base: ox.Store):
    # the added quads are indexed by (subject, predicate) and (predicate, object) too: a
    # lookup of one predicate into a node many added quads point at finds only its own
    from alliancegraph.store.delta import UNION_ID, Delta, OverlayStore
    from rdflib import Graph, Literal, URIRef

    g1 = ex("g1")
    added = {ox.Quad(ex(f"n{i}"), ex("p" if i % 2 else "q"), ex("hub"), g1) for i in range(20)}
    added.add(ox.Quad(ex("hub"), ex("p"), ox.Literal("x"), g1))
    graph = Graph(store=OverlayStore(base, Delta(added=added)), identifier=UNION_ID)
    p, hub = URIRef(EX + "p"), URIRef(EX + "hub")
    assert set(graph.subjects(p, hub)) == {URIRef(f"{EX}n{i}") for i in range(1, 20, 2)}
    assert set(graph.objects(hub, p)) == {Literal("x")}
    assert set(graph.objects(URIRef(EX + "a"), p)) == {URIRef(EX + "b")}  # from the base
    assert len(set(graph.subject_predicates(hub))) == 20
