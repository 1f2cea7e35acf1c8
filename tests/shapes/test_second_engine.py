"""A second SHACL engine, pyrudof (rudof, in Rust), agrees with pySHACL on the bundled graph
and on every invalid example. Results are compared by (focus node, path, source shape,
severity); blank nodes are compared as "some blank node", since each engine names them
its own way. Differences, if any, are listed in KNOWN_DIFFERENCES and shapes/README.md."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pyrudof
import pytest
from alliancegraph.graph.sources import load_sources
from alliancegraph.shapes.manifest import example_files
from alliancegraph.shapes.validate import (
    SKOLEM_PREFIX,
    bundled_shapes,
    parse_rdf,
    skolemised_store,
    validate,
    with_bundled_ontology,
)

#: (example, key) pairs where the engines differ on purpose-understood grounds.
KNOWN_DIFFERENCES: dict[str, set] = {}


def _blank(term: str) -> str:
    return "_:" if term.startswith("_:") else term


def _pyrudof_keys(store: ox.Store) -> set[tuple]:
    # rudof pre-binds $this with a VALUES clause, which cannot hold a blank node (a SPARQL
    # syntax error on our ag:Evidence nodes): it gets the data with blank nodes skolemised.
    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    data = ox.serialize((q.triple for q in skolemised_store(store)),
                        format=ox.RdfFormat.N_TRIPLES).decode()
    rudof.read_data(data, format=pyrudof.RDFFormat.NTriples)
    rudof.read_shacl(bundled_shapes().serialize(format="turtle"),
                     format=pyrudof.ShaclFormat.Turtle)
    report = rudof.validate_shacl(mode=pyrudof.ShaclValidationMode.Native)

    def n3(value) -> str | None:
        if value is None:
            return None
        text = str(value)
        if text.startswith(("_:", SKOLEM_PREFIX)) or ":" not in text:
            return "_:"
        return f"<{text}>"

    return {(n3(v.focus_node), n3(v.path), n3(v.source_shape), str(v.severity))
            for v in report.violations}


def _pyshacl_keys(store: ox.Store) -> set[tuple]:
    return {(_blank(r.focus_node), r.path, _blank(r.source_shape), r.severity)
            for r in validate(store).results}


def _compare(name: str, store: ox.Store) -> None:
    store = with_bundled_ontology(store)
    first, second = _pyshacl_keys(store), _pyrudof_keys(store)
    known = KNOWN_DIFFERENCES.get(name, set())
    assert (first ^ second) == known, (f"only pySHACL: {sorted(first - second, key=str)}\n"
                                       f"only pyrudof: {sorted(second - first, key=str)}")


@pytest.mark.parametrize("path", example_files("invalid"), ids=lambda p: p.name)
def test_engines_agree_on_invalid_example(path: Path):
    store = parse_rdf(path.read_bytes(), ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri())
    _compare(path.name, store)


def test_engines_agree_on_the_bundled_graph():
    store = ox.Store()
    load_sources(store)
    _compare("bundled", store)
