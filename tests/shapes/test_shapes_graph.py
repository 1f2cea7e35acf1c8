"""The shapes graph itself: valid SHACL, documented shapes, and the bundled graph conforms."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph.shapes.validate import SHAPES_NS, bundled_shapes, validate
from pyshacl import validate as pyshacl_validate
from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import SH

SHARED = Path(__file__).resolve().parents[2].parent / "shared"  # as tests/conftest.py
# shacl-shacl.ttl is only the manifest; the SHACL-for-SHACL shapes are in this file
SHACL_SHACL = SHARED / "conformance" / "shacl" / "core" / "complex" / "shacl-shacl-data-shapes.ttl"
DATA_GRAPHS = ("background", "paper-a", "paper-b", "links")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return bundled_shapes()


def _named_shapes(shapes: Graph) -> set[URIRef]:
    return {s for kind in (SH.NodeShape, SH.PropertyShape)
            for s in shapes.subjects(RDF.type, kind) if isinstance(s, URIRef)}


@pytest.fixture(scope="module")
def shacl_shacl() -> Graph:
    if not SHACL_SHACL.is_file():
        pytest.skip(f"not run: {SHACL_SHACL} is absent (../shared/ is not beside the clone)")
    return Graph().parse(SHACL_SHACL, format="turtle")


def test_shapes_are_valid_shacl(shapes: Graph, shacl_shacl: Graph):
    conforms, _, text = pyshacl_validate(shapes, shacl_graph=shacl_shacl, do_owl_imports=False)
    assert conforms, text


def test_shacl_for_shacl_catches_a_broken_shape(shapes: Graph, shacl_shacl: Graph):
    broken = Graph()
    broken += shapes
    # a property shape with two paths is not a shape SHACL allows
    broken.add((URIRef(SHAPES_NS + "StateShape-alpha2"), SH.path, URIRef(SHAPES_NS + "other")))
    conforms, _, _ = pyshacl_validate(broken, shacl_graph=shacl_shacl, do_owl_imports=False)
    assert not conforms


def test_every_shape_has_label_message_and_deliberate_severity(shapes: Graph):
    named = _named_shapes(shapes)
    assert len(named) > 80
    for shape in named:
        assert shapes.value(shape, RDFS.label) is not None, shape
        assert shapes.value(shape, SH.message) is not None, shape
        assert shapes.value(shape, SH.severity) in (SH.Violation, SH.Warning, SH.Info), shape
        assert str(shape).startswith(SHAPES_NS), shape


def test_every_sparql_constraint_has_a_message(shapes: Graph):
    constraints = list(shapes.objects(None, SH.sparql))
    assert len(constraints) >= 8
    for constraint in constraints:
        assert shapes.value(constraint, SH.message) is not None
        assert "$this" in str(shapes.value(constraint, SH.select))


def test_sparql_shapes_carry_no_core_constraint(shapes: Graph):
    # validate.py runs them on a store whose blank nodes are skolem IRIs (fast SPARQL):
    # sh:nodeKind or sh:property there would see IRIs where the data has blank nodes.
    allowed = {RDF.type, RDFS.label, SH.message, SH.severity, SH.sparql, SH.targetClass,
               SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode, SH.deactivated,
               URIRef(SHAPES_NS + "uniqueKey"), URIRef(SHAPES_NS + "recheckVia")}
    for shape in set(shapes.subjects(SH.sparql, None)):
        assert set(shapes.predicates(shape, None)) <= allowed, shape


def test_all_three_severities_are_used(shapes: Graph):
    used = set(shapes.objects(None, SH.severity))
    assert {SH.Violation, SH.Warning, SH.Info} <= used


def _classes_in_use(store: ox.Store) -> set[str]:
    graphs = " ".join(f"<https://w3id.org/alliancegraph/graph/{g}>" for g in DATA_GRAPHS)
    rows = store.query(f"SELECT DISTINCT ?c WHERE {{ VALUES ?g {{ {graphs} }} "
                       "GRAPH ?g { ?s a ?c } }")
    return {row["c"].value for row in rows}


def _superclasses(store: ox.Store, cls: str) -> set[str]:
    rows = store.query(f"SELECT ?sup WHERE {{ <{cls}> <{RDFS.subClassOf}>* ?sup }}",
                       use_default_graph_as_union=True)
    return {row["sup"].value for row in rows if isinstance(row["sup"], ox.NamedNode)} | {cls}


def test_every_class_the_graph_uses_has_a_node_shape(shapes: Graph, source_store: ox.Store):
    targeted = {str(c) for c in shapes.objects(None, SH.targetClass)}
    classes = _classes_in_use(source_store)
    assert classes, "the bundled graph has no typed nodes"
    uncovered = {c for c in classes if not (_superclasses(source_store, c) & targeted)}
    assert uncovered == set()


def test_bundled_graph_has_no_violation(source_store: ox.Store):
    report = validate(source_store)
    assert report.violations == (), report.text()
