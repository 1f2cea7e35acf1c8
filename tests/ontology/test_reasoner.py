"""A real reasoner (HermiT, shipped with owlready2) finds the ontology consistent and every
class satisfiable, also together with the PROV-O axioms it builds on (ontology/imports)."""

from __future__ import annotations

from pathlib import Path

import owlready2
import pytest
from alliancegraph.ontology import SOURCE_DIR
from alliancegraph.ontology.quality import default_sources
from rdflib import Graph, Literal
from rdflib.namespace import XSD

FIXTURES = Path(__file__).parent / "fixtures"
PROV_SUBSET = SOURCE_DIR.parent / "imports" / "prov-o-subset.ttl"
# HermiT knows only the OWL 2 datatype map; the graph also uses these for dates as printed.
OUTSIDE_OWL2_DATATYPE_MAP = {XSD.date, XSD.gYear, XSD.gYearMonth}


def _as_ntriples(path: Path, tmp_path: Path, *, drop_dates: bool = False) -> Path:
    """owlready2 reads N-Triples or RDF/XML: convert a Turtle file (optionally without
    literals HermiT cannot handle)."""
    if path.suffix != ".ttl":
        return path
    graph = Graph().parse(path, format="turtle")
    if drop_dates:
        for triple in [t for t in graph
                       if isinstance(t[2], Literal) and t[2].datatype in OUTSIDE_OWL2_DATATYPE_MAP]:
            graph.remove(triple)
    converted = tmp_path / f"{path.parent.name}-{path.stem}.nt"
    graph.serialize(converted, format="nt", encoding="utf-8")
    return converted


def unsatisfiable_classes(paths: list[Path], java: str, tmp_path: Path, *,
                          drop_dates: bool = False) -> list[str]:
    """IRIs of the classes HermiT proves empty when the files are loaded together;
    raises OwlReadyInconsistentOntologyError if they are inconsistent."""
    owlready2.JAVA_EXE = java
    world = owlready2.World()
    for path in paths:
        world.get_ontology(_as_ntriples(path, tmp_path, drop_dates=drop_dates).as_uri()).load()
    owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    # owlready2 lists owl:Nothing itself beside the classes equivalent to it
    return sorted(cls.iri for cls in world.inconsistent_classes() if cls is not owlready2.Nothing)


def test_the_ontology_is_consistent_and_every_class_satisfiable(
        merged_ontology_file, java, tmp_path):
    assert unsatisfiable_classes([merged_ontology_file], java, tmp_path) == []


def test_the_ontology_stays_satisfiable_with_the_prov_o_axioms(
        merged_ontology_file, java, tmp_path):
    assert unsatisfiable_classes([merged_ontology_file, PROV_SUBSET], java, tmp_path) == []


def test_the_example_data_is_consistent_with_the_ontology_and_prov_o(
        merged_ontology_file, java, tmp_path):
    """The competency-question fixtures follow graph/MODELLING.md; a clash here means the
    modelling pattern itself contradicts the ontology or PROV-O."""
    data = sorted(FIXTURES.glob("*.ttl"))
    assert unsatisfiable_classes([merged_ontology_file, PROV_SUBSET, *data], java, tmp_path,
                                 drop_dates=True) == []


def test_the_graph_sources_are_consistent_with_the_ontology_and_prov_o(
        merged_ontology_file, java, tmp_path):
    sources = [path for _, path in default_sources()]
    assert sources, "no graph sources to reason over"
    assert unsatisfiable_classes([merged_ontology_file, PROV_SUBSET, *sources], java, tmp_path,
                                 drop_dates=True) == []


def test_the_reasoner_finds_an_unsatisfiable_class(java, tmp_path):
    unsatisfiable = FIXTURES / "reasoning" / "unsatisfiable.ttl"
    assert unsatisfiable_classes([unsatisfiable], java, tmp_path) == [
        "https://example.org/unsat#Both"]


def test_the_reasoner_finds_an_inconsistency(java, tmp_path):
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        unsatisfiable_classes([FIXTURES / "reasoning" / "inconsistent.ttl"], java, tmp_path)
