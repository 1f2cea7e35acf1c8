"""shapes/validate.py itself: the shared shapes graph cannot be changed, input goes through
the one upload parser and the one format table, and shapes that cannot be used are a clear
error before pySHACL runs."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib
from alliancegraph.errors import BadRequest, ParseError, UnsupportedMediaType
from alliancegraph.shapes.validate import (
    ShapesError,
    bundled_shapes,
    bundled_shapes_graph,
    format_for,
    parse_rdf,
    parse_rdf_graph,
    refuse_undeclared_prefixes,
    shape_files,
    validate,
)
from rdflib.namespace import RDF, SH

SHAPES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <https://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:Shape a sh:NodeShape ; sh:targetNode ex:i ;
  sh:sparql [ {prefixes} sh:select "{select}" ] .
ex:Declared sh:declare [ sh:prefix "ex" ; sh:namespace "https://example.org/"^^xsd:anyURI ] .
"""


def shapes(select: str, prefixes: str = "") -> rdflib.Graph:
    return rdflib.Graph().parse(data=SHAPES.replace("{prefixes}", prefixes)
                                .replace("{select}", select), format="turtle")


def test_the_shared_shapes_graph_is_read_only_and_read_once():
    shared = bundled_shapes_graph()
    assert shared is bundled_shapes_graph()
    assert len(shared) > 100
    triple = (rdflib.URIRef("urn:x:s"), RDF.type, SH.NodeShape)
    for change in (lambda: shared.add(triple), lambda: shared.remove((None, None, None)),
                   lambda: shared.addN([(*triple, shared)]),
                   lambda: shared.parse(data="<urn:x:a> <urn:x:b> <urn:x:c> .", format="nt")):
        with pytest.raises(TypeError, match="read-only"):
            change()
    assert triple not in shared


def test_bundled_shapes_is_a_copy_to_change():
    copy = bundled_shapes()
    assert set(copy) == set(bundled_shapes_graph())
    copy.add((rdflib.URIRef("urn:x:s"), RDF.type, SH.NodeShape))
    copy.remove((None, SH.targetClass, None))
    assert len(bundled_shapes_graph()) == len(bundled_shapes()) != len(copy)
    assert len(shape_files()) > 1


@pytest.mark.parametrize(("given", "expected"), [
    ({"path": "data.ttl"}, ox.RdfFormat.TURTLE),
    ({"path": "DATA.JSONLD"}, ox.RdfFormat.JSON_LD),
    ({"path": "ontology.owl"}, ox.RdfFormat.RDF_XML),
    ({"name": "nq", "path": "data.ttl"}, ox.RdfFormat.N_QUADS),  # --format wins
    ({"media_type": "application/trig; charset=utf-8"}, ox.RdfFormat.TRIG),
])
def test_formats_come_from_the_format_table(given, expected):
    assert format_for(**given) == expected


@pytest.mark.parametrize("given", [{"path": "notes.txt"}, {"name": "n3"},
                                   {"path": "rules.n3"}, {"media_type": "text/n3"}])
def test_unknown_syntaxes_and_n3_are_refused_with_415(given):
    with pytest.raises(UnsupportedMediaType):
        format_for(**given)


def test_literals_are_kept_as_written_and_graphs_merged():
    data = b'<urn:x:a> <urn:x:p> "01"^^<http://www.w3.org/2001/XMLSchema#integer> <urn:x:g> .'
    graph = parse_rdf_graph(data, ox.RdfFormat.N_QUADS)
    (value,) = graph.objects()
    assert str(value) == "01"
    (quad,) = parse_rdf(data, ox.RdfFormat.N_QUADS)  # a store keeps the graph
    assert quad.graph_name == ox.NamedNode("urn:x:g")


def test_a_doctype_is_refused_before_any_parser_sees_it():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]>'
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>')
    with pytest.raises(BadRequest, match="DOCTYPE"):
        parse_rdf_graph(bomb, ox.RdfFormat.RDF_XML, source="bomb.rdf")


def test_a_syntax_error_names_the_source_and_line():
    with pytest.raises(ParseError) as error:
        parse_rdf_graph(b"<urn:x:a> <urn:x:p> .\n", ox.RdfFormat.N_TRIPLES, source="x.nt")
    assert error.value.source == "x.nt" and error.value.line == 1


def test_an_undeclared_prefix_is_a_shapes_error_naming_it():
    with pytest.raises(ShapesError, match=r"undeclared prefix \(ex:\)"):
        refuse_undeclared_prefixes(shapes("SELECT $this WHERE { $this ex:p ?v }"))
    with pytest.raises(ShapesError, match="undeclared prefix"):
        validate(rdflib.Graph(), shapes=shapes("SELECT $this WHERE { $this ex:p ?v }"))


@pytest.mark.parametrize(("select", "prefixes"), [
    ("SELECT $this WHERE { $this ex:p ?v }", "sh:prefixes ex:Declared ;"),
    ("PREFIX ex: <https://example.org/> SELECT $this WHERE { $this ex:p ?v }", ""),
    ("SELECT $this WHERE { $this rdf:type owl:Thing ; rdfs:label ?v }", ""),  # pySHACL's own
    ("SELECT $this WHERE { $this ?p 'ex:not-a-name' }", ""),
])
def test_declared_prefixes_pass(select, prefixes):
    refuse_undeclared_prefixes(shapes(select, prefixes))


def test_validate_refuses_an_unknown_inference():
    with pytest.raises(BadRequest, match="inference"):
        validate(rdflib.Graph(), inference="owl-full")  # type: ignore[arg-type]


def test_a_pattern_that_is_no_regular_expression_is_a_shapes_error():
    """Found by bench/fuzz.py: pySHACL's re.error was a 500."""
    broken = rdflib.Graph().parse(format="turtle", data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:x:shape> a sh:NodeShape ; sh:targetNode <urn:x:s> ;
          sh:property [ sh:path <urn:x:p> ; sh:pattern "^(a+" ] .""")
    data = rdflib.Graph().parse(format="turtle", data='<urn:x:s> <urn:x:p> "a" .')
    with pytest.raises(ShapesError, match=r"sh:pattern is not a regular expression.*'\^\(a\+'"):
        validate(data, shapes=broken)


def test_owl_rl_over_an_ill_typed_decimal_is_a_bad_request_naming_it():
    """Found by bench/fuzz.py: owlrl's Decimal() of "abc" was a 500."""
    data = rdflib.Graph().parse(format="turtle", data=(
        '<urn:x:s> <urn:x:p> "abc"^^<http://www.w3.org/2001/XMLSchema#decimal> .'))
    with pytest.raises(BadRequest, match=r'ill-typed literal: "abc"\^\^<http://www.w3.org/'):
        validate(data, inference="owlrl")
