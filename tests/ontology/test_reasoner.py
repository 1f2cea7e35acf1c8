"""A real reasoner (HermiT, shipped with owlready2) finds the ontology consistent and every
class satisfiable."""

from __future__ import annotations

from pathlib import Path

import owlready2
import pytest
from rdflib import Graph

FIXTURES = Path(__file__).parent / "fixtures"


def unsatisfiable_classes(path: Path, java: str, tmp_path: Path) -> list[str]:
    """IRIs of the classes HermiT proves empty; raises if the ontology is inconsistent.

    owlready2 reads N-Triples or RDF/XML, so a Turtle file is converted first.
    """
    if path.suffix == ".ttl":
        converted = tmp_path / (path.stem + ".nt")
        Graph().parse(path, format="turtle").serialize(converted, format="nt", encoding="utf-8")
        path = converted
    owlready2.JAVA_EXE = java
    world = owlready2.World()
    world.get_ontology(path.resolve().as_uri()).load()
    owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    return sorted(cls.iri for cls in world.inconsistent_classes())


def test_the_ontology_is_consistent_and_every_class_satisfiable(
        merged_ontology_file, java, tmp_path):
    assert unsatisfiable_classes(merged_ontology_file, java, tmp_path) == []


def test_the_reasoner_finds_an_unsatisfiable_class(java, tmp_path):
    assert unsatisfiable_classes(FIXTURES / "unsatisfiable.ttl", java, tmp_path) == [
        "https://example.org/unsat#Both"]


def test_the_reasoner_finds_an_inconsistency(java, tmp_path):
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        unsatisfiable_classes(FIXTURES / "inconsistent.ttl", java, tmp_path)
