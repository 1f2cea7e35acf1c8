"""Every invalid example reports exactly what its manifest states, and every shape has one.

The manifest in each file names focus node, path, source shape and severity of each result
(shapes/examples/invalid/*.ttl); the comparison is on those four, as a set.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alliancegraph.shapes.manifest import example_files, read_example
from alliancegraph.shapes.validate import bundled_shapes, validate_files
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import SH

INVALID = example_files("invalid")
VALID = example_files("valid")

# Parameters that make a node shape a constraint of its own (not only a group of property shapes).
_OWN_CONSTRAINTS = {SH.nodeKind, SH.node, SH.sparql, SH["or"], SH["and"], SH["not"], SH.xone,
                    SH["class"], SH.datatype, SH.closed, SH["in"], SH.hasValue, SH.pattern}


@pytest.fixture(scope="module")
def reports():
    return {path.name: validate_files([path]) for path in INVALID}


def test_there_are_examples():
    assert len(INVALID) >= 5 and len(VALID) >= 5


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_example_reports_exactly_the_stated_results(path: Path, reports):
    expected = read_example(path)
    report = reports[path.name]
    actual = {r.key() for r in report.results}
    missing, unexpected = expected.keys - actual, actual - expected.keys
    assert not missing and not unexpected, f"missing: {sorted(missing, key=str)}\n" \
                                           f"unexpected: {sorted(unexpected, key=str)}"
    assert report.conforms is expected.conforms


def _shapes_needing_an_example(shapes: Graph) -> set[URIRef]:
    """Every named shape that can be a result's source shape: property shapes, and node
    shapes with a constraint of their own. Helper shapes reached only through sh:node
    (ags:HasLabel) report under the shape that refers to them, so they are left out."""
    needed = set()
    for kind in (SH.NodeShape, SH.PropertyShape):
        for shape in shapes.subjects(RDF.type, kind):
            if not isinstance(shape, URIRef) or (None, SH.node, shape) in shapes:
                continue
            if kind == SH.PropertyShape or any(
                    (shape, p, None) in shapes for p in _OWN_CONSTRAINTS):
                needed.add(shape)
    return needed


def test_every_shape_has_an_invalid_example():
    shapes = bundled_shapes()
    needed = {s.n3() for s in _shapes_needing_an_example(shapes)}
    covered = {key[2] for path in INVALID for key in read_example(path).keys}
    assert len(needed) > 60
    assert needed - covered == set()


def test_every_grouping_shape_has_examples_through_its_property_shapes():
    shapes = bundled_shapes()
    covered = {key[2] for path in INVALID for key in read_example(path).keys}
    for shape in shapes.subjects(RDF.type, SH.NodeShape):
        properties = list(shapes.objects(shape, SH.property))
        if isinstance(shape, URIRef) and properties:
            assert all(p.n3() in covered for p in properties), shape
