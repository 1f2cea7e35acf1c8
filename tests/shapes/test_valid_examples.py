"""The valid examples (shapes/examples/valid/*.ttl) are data a contributor can copy: each
conforms alone, all of them conform together, each conforms added to the bundled graph, and
the service's validation on write accepts them one after another."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph.config import load_settings
from alliancegraph.errors import ValidationFailed
from alliancegraph.graph.sources import load_sources
from alliancegraph.shapes.manifest import example_files
from alliancegraph.shapes.validate import validate, validate_files
from alliancegraph.store import QuadDelta, open_store

VALID = example_files("valid")
BASE = "https://w3id.org/alliancegraph/"
EXAMPLES_GRAPH = "https://example.org/graph/valid-examples"


def parse(path: Path, graph: str = EXAMPLES_GRAPH) -> list[ox.Quad]:
    return [ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(graph))
            for q in ox.parse(path.read_bytes(), ox.RdfFormat.TURTLE,
                              base_iri=path.resolve().as_uri())]


def result_keys(store: ox.Store) -> set[tuple]:
    return {r.key() for r in validate(store).results}


@pytest.fixture(scope="module")
def bundled_results(source_store: ox.Store) -> set[tuple]:
    """What the bundled graph reports on its own (warnings and infos may be there)."""
    report = validate(source_store)
    assert report.conforms, report.text()
    return {r.key() for r in report.results}


def test_there_are_valid_examples():
    assert len(VALID) >= 5


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_each_example_uses_only_its_own_example_org_iris(path: Path):
    """What makes the files combinable: every node a file describes is in its own
    namespace, https://example.org/<file name>/, never an IRI of the real graph."""
    namespace = f"https://example.org/{path.stem}/"
    subjects = {q.subject for q in parse(path)}
    named = {s.value for s in subjects if isinstance(s, ox.NamedNode)}
    assert named, path.name
    assert {iri for iri in named if not iri.startswith(namespace)} == set()


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_each_example_conforms_alone_with_no_result_at_all(path: Path):
    report = validate_files([path])
    assert report.results == (), report.text()


def test_all_examples_together_conform_with_no_result_at_all():
    report = validate_files(VALID)
    assert report.results == (), report.text()


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_each_example_added_to_the_bundled_graph_adds_no_result(
        path: Path, source_store: ox.Store, bundled_results: set[tuple]):
    store = ox.Store()
    store.extend(source_store)
    store.extend(parse(path))
    assert result_keys(store) == bundled_results


def test_validation_on_write_accepts_every_example_in_turn(tmp_path: Path, request,
                                                           bundled_results: set[tuple]):
    def opened(validate_on_write: bool):
        return open_store(load_settings(environ={}, overrides={
            "data_dir": str(tmp_path), "store": "embedded", "base_iri": BASE,
            "query_timeout": 60, "validate_on_write": validate_on_write}))

    sources = ox.Store()
    load_sources(sources)
    loader = opened(validate_on_write=False)  # the build path: no validation
    loader.apply(QuadDelta(added=tuple(sources)))
    loader.close()
    store = opened(validate_on_write=True)
    request.addfinalizer(store.close)
    before = store.count()
    for path in VALID:  # each POST goes through the guard; a violation would raise
        store.post_graph(EXAMPLES_GRAPH, path.read_bytes(), media_type="text/turtle",
                         base_iri=path.resolve().as_uri())
    assert store.count() == before + sum(len(parse(path)) for path in VALID)

    final = ox.Store()
    final.load(b"".join(store.dump(media_type="application/n-quads")), ox.RdfFormat.N_QUADS)
    assert result_keys(final) == bundled_results

    # the guard is live and knows the examples: a new state may not take an example's code
    clash = ('@prefix ag: <https://w3id.org/alliancegraph/ontology#> .\n'
             '<https://example.org/clash/state> a ag:State ;\n'
             '    <http://www.w3.org/2004/02/skos/core#prefLabel> "Clash"@en ;\n'
             '    ag:iso3166Alpha2 "XA" .')
    with pytest.raises(ValidationFailed) as caught:
        store.post_graph(EXAMPLES_GRAPH, clash.encode(), media_type="text/turtle")
    focus = {r["focus_node"] for r in caught.value.report["results"]}
    assert focus == {"<https://example.org/clash/state>",
                     "<https://example.org/actors-threats/state-a>"}
