"""Every ontology source parses; the header says what the ontology is; declarations are sound."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
from alliancegraph import __version__
from alliancegraph.graph.sources import parse_source
from alliancegraph.ontology import ONTOLOGY_IRI, SOURCE_DIR, source_files
from alliancegraph.ontology.docs import merged_ontology
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, XSD

ONTOLOGY = URIRef(ONTOLOGY_IRI)
VANN = "http://purl.org/vocab/vann/"
AG = "https://w3id.org/alliancegraph/ontology#"
KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
         RDFS.Datatype)


def test_the_expected_modules_exist():
    names = {path.name for path in source_files()}
    assert {"header.ttl", "core.ttl", "external.ttl"} <= names


@pytest.mark.parametrize("path", source_files(), ids=lambda p: p.name)
def test_source_parses_with_oxigraph_and_rdflib(path: Path):
    assert parse_source(path, "ontology"), f"{path.name} holds no triples"
    assert len(Graph().parse(path, format="turtle")) > 0


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return merged_ontology()


def test_header_identifies_and_licenses_the_ontology(ontology: Graph):
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(ONTOLOGY, OWL.versionIRI) == URIRef(f"{ONTOLOGY_IRI}/{__version__}")
    assert ontology.value(ONTOLOGY, OWL.versionInfo) == Literal(__version__)
    assert ontology.value(ONTOLOGY, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/")
    assert ontology.value(ONTOLOGY, DCTERMS.creator) == Literal("Alliance Graph developers")
    for prop in (DCTERMS.title, DCTERMS.description):
        assert ontology.value(ONTOLOGY, prop).language == "en"
    for prop in (DCTERMS.created, DCTERMS.modified):
        assert ontology.value(ONTOLOGY, prop).datatype == XSD.date
    assert ontology.value(ONTOLOGY, URIRef(VANN + "preferredNamespacePrefix")) == Literal("ag")
    assert ontology.value(ONTOLOGY, URIRef(VANN + "preferredNamespaceUri")) == Literal(
        "https://w3id.org/alliancegraph/ontology#")


def test_only_one_owl_ontology_and_no_network_imports(ontology: Graph):
    assert list(ontology.subjects(RDF.type, OWL.Ontology)) == [ONTOLOGY]
    assert list(ontology.objects(None, OWL.imports)) == []


def test_no_term_is_declared_with_two_kinds(ontology: Graph):
    kinds = defaultdict(set)
    for kind in KINDS:
        for term in ontology.subjects(RDF.type, kind):
            kinds[term].add(kind)
    assert {t: k for t, k in kinds.items() if len(k) > 1} == {}


def test_each_external_term_is_declared_in_one_module_only():
    """external.ttl is the one place for external declarations; a second declaration of
    the same term elsewhere is how two modules drift apart."""
    where = defaultdict(set)
    for path in SOURCE_DIR.glob("*.ttl"):
        graph = Graph().parse(path, format="turtle")
        for kind in KINDS:
            for term in graph.subjects(RDF.type, kind):
                if isinstance(term, URIRef) and not str(term).startswith(
                        "https://w3id.org/alliancegraph/"):
                    where[term].add(path.name)
    assert {str(t): sorted(f) for t, f in where.items() if len(f) > 1} == {}


def test_readme_examples_parse_and_use_declared_terms(ontology: Graph):
    readme = (SOURCE_DIR.parent / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```turtle\n(.*?)```", readme, flags=re.DOTALL)
    assert len(blocks) == 3  # a threat perception, an agreement, a citation
    prefixes = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in ontology.namespaces())
    declared = {s for kind in KINDS for s in ontology.subjects(RDF.type, kind)}
    for block in blocks:
        example = Graph().parse(data=prefixes + block, format="turtle")
        used = {t for triple in example for t in triple
                if isinstance(t, URIRef) and str(t).startswith(AG)}
        assert used and used <= declared, sorted(used - declared)
