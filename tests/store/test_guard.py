"""Validation on write: the guard refuses violations, keeps the store as it was, lets
warnings through, and checks only the nodes a write affects."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph.errors import ValidationFailed
from alliancegraph.graph.sources import load_sources
from alliancegraph.shapes.manifest import example_files
from alliancegraph.shapes.validate import validate
from alliancegraph.store import QuadDelta
from alliancegraph.store.guard import (
    ANY,
    ShapesWriteGuard,
    dependencies,
    graph_delta,
    update_delta,
)
from alliancegraph.store.memory import MemoryBackend
from alliancegraph.store.policy import PolicyStore
from rdflib import RDF, SKOS, Graph, URIRef

BASE = "https://w3id.org/alliancegraph/"
AG = "https://w3id.org/alliancegraph/ontology#"
BACKGROUND = f"{BASE}graph/background"
JAPAN = f"<{BASE}id/state/japan>"
PREFIXES = ("PREFIX ag: <https://w3id.org/alliancegraph/ontology#>\n"
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
            "PREFIX foaf: <http://xmlns.com/foaf/0.1/>\n"
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n")


def new_state(code: str) -> str:
    return (f"INSERT DATA {{ GRAPH <{BACKGROUND}> {{ <{BASE}id/state/testland> a ag:State ; "
            f"skos:prefLabel \"Testland\"@en ; ag:iso3166Alpha2 \"{code}\" }} }}")


@pytest.fixture(scope="module")
def guard() -> ShapesWriteGuard:
    return ShapesWriteGuard()


@pytest.fixture(scope="module")
def sources() -> tuple[ox.Quad, ...]:
    raw = ox.Store()
    load_sources(raw)
    return tuple(raw)


@pytest.fixture
def store(sources: tuple[ox.Quad, ...]) -> PolicyStore:
    """The bundled graph, validated on write with the bundled shapes."""
    backend = MemoryBackend()
    backend.apply(QuadDelta(added=sources))  # the backend itself: no validation
    return PolicyStore(backend, base_iri=BASE, max_rows=100_000, query_timeout=60,
                       validate_on_write=True)


def canonical_dump(store: PolicyStore) -> list[str]:
    body = b"".join(store.dump(media_type="application/n-quads")).decode()
    return sorted(line for line in body.splitlines() if line)


def test_a_valid_update_is_applied(store: PolicyStore):
    before = store.count()
    store.update(PREFIXES + new_state("XT"))
    assert store.count() == before + 3


def test_a_rejected_update_leaves_the_store_exactly_as_before(store: PolicyStore):
    before = canonical_dump(store)
    with pytest.raises(ValidationFailed) as caught:
        store.update(PREFIXES + new_state("JP"))  # Japan's code
    assert caught.value.status == 422
    report = caught.value.report
    assert report["conforms"] is False
    shapes = {row["shape"] for row in report["shapes"] if row["severity"] == "Violation"}
    assert shapes == {"<https://w3id.org/alliancegraph/shapes#UniqueIsoCodeShape>"}
    focus = {r["focus_node"] for r in report["results"] if r["severity"] == "Violation"}
    assert focus == {f"<{BASE}id/state/testland>", JAPAN}
    assert canonical_dump(store) == before


def test_a_multi_operation_update_is_judged_as_a_whole(store: PolicyStore):
    before = canonical_dump(store)
    # the first operation alone is fine; the second breaks Japan's English name
    update = (PREFIXES + new_state("XU") + " ;\n"
              f"DELETE {{ GRAPH ?g {{ {JAPAN} skos:prefLabel ?l }} }} "
              f"WHERE {{ GRAPH ?g {{ {JAPAN} skos:prefLabel ?l }} }}")
    with pytest.raises(ValidationFailed):
        store.update(update)
    assert canonical_dump(store) == before


def test_warnings_do_not_block(store: PolicyStore):
    person = (PREFIXES + f"INSERT DATA {{ GRAPH <{BACKGROUND}> {{ <{BASE}id/person/test-person> "
              "a foaf:Person ; rdfs:label \"Test Person\"@en ; foaf:name \"T. Person\" , "
              "\"Test Person\" } }")
    report = store.dry_run(person)
    assert report.conforms and [r.severity for r in report.results] == ["Warning"]
    before = store.count(BACKGROUND)
    applied = store.update(person)
    assert [r.severity for r in applied.report.results] == ["Warning"]
    assert store.count(BACKGROUND) == before + 4


def test_graph_store_put_post_delete_are_guarded(store: PolicyStore):
    testland, names = ox.NamedNode(f"{BASE}id/state/testland"), ox.NamedNode(f"{BASE}graph/names")
    store.backend.apply(QuadDelta(added=(  # the backend itself, unguarded: a name in its own graph
        ox.Quad(testland, ox.NamedNode(str(RDF.type)), ox.NamedNode(f"{AG}State"),
                ox.NamedNode(BACKGROUND)),
        ox.Quad(testland, ox.NamedNode(str(SKOS.prefLabel)), ox.Literal("Testland", language="en"),
                names))))
    before = canonical_dump(store)
    bad = f"<{BASE}id/state/nameless> a <{AG}State> ."
    for call in (lambda: store.post_graph(BACKGROUND, bad.encode(), media_type="text/turtle"),
                 lambda: store.put_graph(f"{BASE}graph/extra", bad.encode(),
                                         media_type="text/turtle"),
                 lambda: store.put_graph(names.value, b"", media_type="text/turtle"),
                 lambda: store.delete_graph(names.value)):  # Testland loses its name
        with pytest.raises(ValidationFailed):
            call()
        assert canonical_dump(store) == before


def test_incremental_check_touches_only_the_affected_nodes(guard: ShapesWriteGuard):
    raw = ox.Store()
    load_sources(raw)
    update = PREFIXES + new_state("XV")
    report = guard.report_for(raw, update_delta(raw, update))
    checked = {node for nodes in report.checked.values() for node in nodes}
    assert checked == {f"{BASE}id/state/testland"}
    assert set(report.checked) == {
        "https://w3id.org/alliancegraph/shapes#StateShape",
        "https://w3id.org/alliancegraph/shapes#UniqueIsoCodeShape",
        "https://w3id.org/alliancegraph/shapes#PreferredLabelShape",
        "https://w3id.org/alliancegraph/shapes#UnlinkedStateShape",
    }


def test_changing_a_party_rechecks_its_agreement(guard: ShapesWriteGuard):
    # ags:TwoPartiesShape looks from the agreement to its ag:Party nodes (one link back)
    raw = ox.Store()
    load_sources(raw)
    party = next(iter(raw.query(
        "SELECT ?p ?a WHERE { ?p <https://w3id.org/alliancegraph/ontology#partyOf> ?a }",
        use_default_graph_as_union=True)))
    update = (PREFIXES + f"DELETE WHERE {{ GRAPH ?g {{ <{party['p'].value}> ag:party ?x }} }}")
    report = guard.report_for(raw, update_delta(raw, update))
    checked = {node for nodes in report.checked.values() for node in nodes}
    assert party["a"].value in checked


@pytest.mark.parametrize("path", example_files("invalid"), ids=lambda p: p.name)
def test_guard_finds_what_full_validation_finds(path: Path, guard: ShapesWriteGuard):
    """Posting an invalid example into the bundled store: the guard reports every violation
    the example adds (full validation after minus before), and nothing full validation of
    the after-state would not report."""
    raw = ox.Store()
    load_sources(raw)
    quads = list(ox.parse(path.read_bytes(), ox.RdfFormat.TURTLE,
                          base_iri=path.resolve().as_uri()))
    delta = graph_delta(raw, f"{BASE}graph/examples", quads, replace=False)
    incremental = {r.key() for r in guard.report_for(raw, delta).results}
    full_before = {r.key() for r in validate(raw).results}
    after = ox.Store()
    after.extend(raw)
    after.extend(delta.added)
    full_after = {r.key() for r in validate(after).results}
    assert full_after - full_before <= incremental <= full_after


PAPER_A = f"<{BASE}id/paper-a>"
#: Writes whose effect reaches nodes the write does not touch; each goes through the guard's
#: differential check below. ags:EventAfterPaperShape looks three links from its event.
REACHING_WRITES = {
    "paper-date": f"INSERT DATA {{ GRAPH <{BASE}graph/paper-a> {{ {PAPER_A} "
                  "<http://purl.org/dc/terms/issued> "
                  "\"2000\"^^<http://www.w3.org/2001/XMLSchema#gYear> } }",
    "date-bound": f"INSERT DATA {{ GRAPH <{BASE}graph/paper-a> {{ <{BASE}id/bound/test> "
                  f"ag:datedDocument {PAPER_A} ; ag:notAfter \"2000\" }} }}",
    "pattern-update-iso-code": "DELETE { GRAPH ?g { ?s ag:iso3166Alpha2 \"JP\" } } "
                               "INSERT { GRAPH ?g { ?s ag:iso3166Alpha2 \"KR\" } } "
                               "WHERE { GRAPH ?g { ?s ag:iso3166Alpha2 \"JP\" } }",
    # a new footnote of paper A numbered "1" with the irregularity noted: it passes, but
    # footnote 1 of paper A, two links away (through the paper), now fails
    # (ags:recheckVia of ags:UniqueFootnoteNumberShape)
    "footnote-number-noted-clash": f"INSERT DATA {{ GRAPH <{BASE}graph/paper-a> {{ "
                                   f"<{BASE}id/paper-a/footnote/bench> a ag:Footnote ; "
                                   f"ag:ofPaper {PAPER_A} ; ag:footnoteNumber \"1\" ; "
                                   "ag:footnoteLabel \"bench\" ; "
                                   "skos:editorialNote \"printed twice\" } }",
    # footnote 1 of paper B moved into paper A: it clashes with paper A's footnote 1 (the
    # moved node's old paper is read in the state before the write)
    "footnote-moved-into-a-clash": f"DELETE {{ GRAPH ?g {{ ?f ag:ofPaper ?old }} }} "
                                   f"INSERT {{ GRAPH ?g {{ ?f ag:ofPaper {PAPER_A} }} }} "
                                   f"WHERE {{ BIND (<{BASE}id/paper-b/footnote/1> AS ?f) "
                                   "GRAPH ?g { ?f ag:ofPaper ?old } }",
    # a link out with no axiom, and an axiom that loses its origin (ags:LinkProvenanceShape
    # finds the axiom from the link's subject, through its owl:sameAs clique)
    "link-without-axiom": f"INSERT DATA {{ GRAPH <{BASE}graph/links> {{ {JAPAN} "
                          "<http://www.w3.org/2002/07/owl#sameAs> "
                          "<http://www.wikidata.org/entity/Q999999999> } }",
    "axiom-loses-its-origin": "DELETE WHERE { GRAPH ?g { ?axiom "
                              "<http://www.w3.org/2002/07/owl#annotatedSource> "
                              f"<{BASE}id/event/cold-war> ; ag:linkOrigin ?origin }} }}",
}


@pytest.mark.parametrize("name", REACHING_WRITES)
def test_guard_rechecks_what_a_write_reaches(name: str, guard: ShapesWriteGuard):
    """What full validation reports after the write and not before, the guard reports."""
    raw = ox.Store()
    load_sources(raw)
    delta = update_delta(raw, PREFIXES + REACHING_WRITES[name])
    assert len(delta)
    incremental = {r.key() for r in guard.report_for(raw, delta).results}
    full_before = {r.key() for r in validate(raw).results}
    after = ox.Store()
    after.extend(raw)
    after.extend(delta.added)
    for quad in delta.removed:
        after.remove(quad)
    full_after = {r.key() for r in validate(after).results}
    new = full_after - full_before
    assert new, "the write must change the report, or the test proves nothing"
    assert new <= incremental <= full_after


def test_a_paper_date_rechecks_the_events_it_reports(guard: ShapesWriteGuard):
    raw = ox.Store()
    load_sources(raw)
    report = guard.report_for(raw, update_delta(raw, PREFIXES + REACHING_WRITES["paper-date"]))
    warned = {r.focus_node for r in report.results
              if "#EventAfterPaperShape" in r.source_shape}
    assert f"<{BASE}id/event/japan-maritime-survey-2006>" in warned
    assert f"<{BASE}id/event/korean-air-bombing-1987>" not in warned


def test_a_shape_on_value_nodes_rechecks_their_holders():
    """A property shape that checks its value nodes' own data (sh:node with a path) depends on
    any triple of those values: removing a member's name re-checks (and fails) its group."""
    shapes = Graph().parse(format="turtle", data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/v/> .
        ex:GroupShape a sh:NodeShape ; sh:targetClass ex:Group ;
            sh:property [ sh:path ex:member ;
                          sh:node [ sh:property [ sh:path ex:name ; sh:minCount 1 ] ] ] .
        ex:PlainShape a sh:NodeShape ; sh:targetClass ex:Group ;
            sh:property [ sh:path ex:code ; sh:nodeKind sh:Literal ] .
        """)
    deps = dependencies(shapes)
    assert deps.by_shape[URIRef("http://example.org/v/GroupShape")] is ANY
    assert deps.by_shape[URIRef("http://example.org/v/PlainShape")] == frozenset()
    raw = ox.Store()
    raw.load(b"@prefix ex: <http://example.org/v/> . ex:g a ex:Group ; ex:member ex:m . "
             b"ex:m ex:name \"M\" .", ox.RdfFormat.TURTLE)
    guard = ShapesWriteGuard(shapes)
    delta = update_delta(raw, "DELETE DATA { <http://example.org/v/m> "
                              "<http://example.org/v/name> \"M\" }")
    report = guard.report_for(raw, delta)
    assert {r.focus_node for r in report.violations} == {"<http://example.org/v/g>"}


def test_patterns_ordered_by_the_guard_give_rdflibs_own_solutions(sources):
    """The guard orders each basic graph pattern over its overlay step by step; a join's
    order changes its cost, never its solutions: the same query, same bindings, over the
    overlay and over a plain rdflib graph of the same triples."""
    from alliancegraph.shapes.validate import to_rdflib
    from alliancegraph.store.delta import UNION_ID, Delta, OverlayStore

    raw = ox.Store()
    raw.extend(sources)
    overlay = Graph(store=OverlayStore(raw, Delta()), identifier=UNION_ID)
    plain = Graph()
    for quad in sources:
        plain.add(tuple(to_rdflib(t) for t in (quad.subject, quad.predicate, quad.object)))
    query = (PREFIXES + "SELECT ?other ?value WHERE { ?other ag:footnoteNumber ?value ; "
             "ag:ofPaper ?paper . $this ?path ?value ; ag:ofPaper ?paper . "
             "FILTER (?path = ag:footnoteNumber && ?other != $this) "
             "FILTER NOT EXISTS { ?paper ^ag:ofPaper/ag:footnoteLabel ?value . "
             "?x ag:footnoteLabel ?value ; ag:ofPaper ?paper } }")
    this = URIRef(f"{BASE}id/paper-a/footnote/1")
    for focus in (this, URIRef(f"{BASE}id/paper-b/footnote/2")):
        expected = {tuple(r) for r in plain.query(query, initBindings={"this": focus})}
        got = {tuple(r) for r in overlay.query(query, initBindings={"this": focus})}
        assert got == expected
    # and a query whose answer is not empty, so the comparison means something
    query = PREFIXES + ("SELECT ?f ?n WHERE { ?f ag:footnoteNumber ?n ; ag:ofPaper ?p . "
                        "$this ag:hasSection ?s . ?f ag:inSection ?s . ?s ag:ofPaper $this }")
    focus = URIRef(f"{BASE}id/paper-a")
    expected = {tuple(r) for r in plain.query(query, initBindings={"this": focus})}
    assert len(expected) > 3
    assert {tuple(r) for r in overlay.query(query, initBindings={"this": focus})} == expected
