"""Our corrections of pySHACL 0.40.1 (``alliancegraph.shapes.compat`` and the exact literals of
``alliancegraph.shapes.validate``), each on a tiny fixture of our own. Each test fails without
its correction (the W3C suite, through HTTP, is ``test_w3c_shacl.py``)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph.shapes.compat import prepare_shapes, rename_variable
from alliancegraph.shapes.validate import (
    ShapesError,
    parse_rdf_graph,
    report_from_graph,
    run_pyshacl,
    to_rdflib,
    validate,
    validate_files,
)
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SH, XSD

PREFIXES = """
@prefix ex: <http://example.org/compat#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
EX = "http://example.org/compat#"


def turtle(text: str) -> Graph:
    """Turtle read as the validator reads uploads: each literal as written (rdflib's own
    parser would already turn "1"^^xsd:boolean into "true")."""
    return parse_rdf_graph((PREFIXES + text).encode(), ox.RdfFormat.TURTLE)


def values(report) -> list[str]:
    return sorted(r.value for r in report.results)


# ------------------------------------------------------------------ sh:uniqueLang

UNIQUE_LANG = """
ex:Shape a sh:PropertyShape ; sh:targetNode ex:i ; sh:path ex:label ; sh:uniqueLang {flag} .
"""
TWO_ENGLISH_LABELS = turtle('ex:i ex:label "Seoul"@en, "SEOUL"@en .')


def test_unique_lang_1_does_not_switch_the_constraint_on():
    shapes = turtle(UNIQUE_LANG.format(flag='"1"^^xsd:boolean'))
    assert validate(TWO_ENGLISH_LABELS, shapes=shapes).shacl_conforms


def test_unique_lang_true_still_does():
    shapes = turtle(UNIQUE_LANG.format(flag="true"))
    report = validate(TWO_ENGLISH_LABELS, shapes=shapes)
    assert [r.component for r in report.results] == [SH.UniqueLangConstraintComponent.n3()]


def test_prepare_shapes_returns_a_copy_and_leaves_its_input_alone():
    shapes = turtle(UNIQUE_LANG.format(flag='"1"^^xsd:boolean'))
    flag = (URIRef(EX + "Shape"), SH.uniqueLang, Literal("1", datatype=XSD.boolean,
                                                          normalize=False))
    prepared = prepare_shapes(shapes)
    assert flag in shapes and flag not in prepared
    assert len(prepared) == len(shapes) - 1


# ------------------------------------------------------------------ sh:prefixes, owl:imports

PREFIXES_THROUGH_IMPORTS = """
ex:Declarations sh:declare [ sh:prefix "ex" ;
                              sh:namespace "http://example.org/compat#"^^xsd:anyURI ] .
ex:Middle owl:imports ex:Declarations .
ex:Prefixes owl:imports ex:Middle .
ex:Shape a sh:NodeShape ; sh:targetNode ex:i ;
  sh:sparql [ sh:prefixes ex:Prefixes ;
              sh:select "SELECT $this ?value WHERE { $this ex:bad ?value . }" ] .
"""


def test_prefixes_are_collected_through_owl_imports_inside_the_shapes_graph():
    report = validate(turtle("ex:i ex:bad ex:x ."), shapes=turtle(PREFIXES_THROUGH_IMPORTS))
    assert values(report) == [f"<{EX}x>"]


def test_an_import_of_a_graph_outside_the_shapes_is_not_fetched():
    shapes = turtle(PREFIXES_THROUGH_IMPORTS.replace(
        "ex:Middle owl:imports ex:Declarations", "ex:Middle owl:imports <http://127.0.0.1:9/x>"))
    with pytest.raises(ShapesError, match="undeclared prefix"):  # "ex" is still undeclared
        validate(turtle("ex:i ex:bad ex:x ."), shapes=shapes)


# ------------------------------------------------------------------ literals as written

def test_a_string_in_a_sparql_pattern_matches_the_data():
    # "Label" in the query is a simple literal; the data's, read by Oxigraph, is xsd:string
    shapes = turtle("""ex:Shape a sh:NodeShape ; sh:targetNode ex:i ;
      sh:sparql [ sh:prefixes ex:Decl ;
                  sh:select "SELECT $this WHERE { { FILTER bound($this) } $this ex:p 'Label' }" ] .
      ex:Decl sh:declare [ sh:prefix "ex" ;
                           sh:namespace "http://example.org/compat#"^^xsd:anyURI ] .""")
    report = validate(turtle('ex:i ex:p "Label" .'), shapes=shapes)
    assert values(report) == [f"<{EX}i>"]


def test_to_rdflib_keeps_the_lexical_form():
    written = ox.Literal("01", datatype=ox.NamedNode(str(XSD.integer)))
    assert str(to_rdflib(written)) == "01"
    assert to_rdflib(ox.Literal("a")) == Literal("a")


@pytest.fixture
def byte_files(tmp_path: Path) -> tuple[Path, Path]:
    data, shapes = tmp_path / "data.ttl", tmp_path / "shapes.ttl"
    data.write_text(PREFIXES + 'ex:i ex:p "55"^^xsd:byte, "300"^^xsd:byte .')
    shapes.write_text(PREFIXES + "ex:S a sh:NodeShape ; sh:targetNode ex:i ;"
                      " sh:property [ sh:path ex:p ; sh:datatype xsd:byte ] .")
    return data, shapes


def test_a_valid_byte_is_not_read_as_an_integer(byte_files):
    # an Oxigraph store keeps "55"^^xsd:byte as "55"^^xsd:integer (Oxigraph issue 1413)
    data, shapes = byte_files
    report = validate_files([data], shapes=shapes)
    assert values(report) == [f'"300"^^<{XSD.byte}>']  # ill-formed: out of range


def test_the_turtle_report_writes_each_value_as_in_the_data():
    data = turtle('ex:i ex:p "none"^^xsd:boolean, "1"^^xsd:boolean .')
    shapes = turtle("ex:S a sh:NodeShape ; sh:targetNode ex:i ;"
                    " sh:property [ sh:path ex:p ; sh:datatype xsd:string ] .")
    text = validate(data, shapes=shapes).serialize("turtle")
    again = report_from_graph(Graph().parse(data=text, format="turtle"))
    # rdflib's reader turns "1" into "true", so read the values back with Oxigraph as well
    written = {q.object for q in ox.parse(text.encode(), ox.RdfFormat.TURTLE)
               if q.predicate == ox.NamedNode(str(SH.value))}
    assert written == {ox.Literal("none", datatype=ox.NamedNode(str(XSD.boolean))),
                       ox.Literal("1", datatype=ox.NamedNode(str(XSD.boolean)))}
    assert len(again.results) == 2


# ------------------------------------------------------------------ $shapesGraph

SHAPES_GRAPH_QUERY = """
ex:Decl sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/compat#"^^xsd:anyURI ] .
ex:Shape a sh:NodeShape ; sh:targetClass ex:Thing ; ex:strict true ;
  sh:sparql [ sh:prefixes ex:Decl ; sh:select '''
    SELECT $this WHERE {
      FILTER bound($shapesGraph)
      GRAPH $shapesGraph { $currentShape ex:strict true }
      FILTER NOT EXISTS { $this ex:checked true }
    }''' ] .
"""


@pytest.mark.parametrize("inference", ["none", "rdfs"])  # rdfs: pySHACL clones the data
def test_shapes_graph_is_the_shapes_graph(inference):
    data = turtle("ex:i a ex:Thing . ex:j a ex:Thing ; ex:checked true .")
    before = set(data)
    report = validate(data, shapes=turtle(SHAPES_GRAPH_QUERY), inference=inference)
    assert values(report) == [f"<{EX}i>"]
    assert set(data) == before  # the shapes went into a copy, not into the data


def test_shapes_graph_sees_only_the_shapes():
    # the data holds the triple the query looks for, the shapes do not: no result
    shapes = turtle(SHAPES_GRAPH_QUERY.replace("ex:strict true ;", ""))
    data = turtle(f"ex:i a ex:Thing . <{EX}Shape> ex:strict true .")
    assert validate(data, shapes=shapes).shacl_conforms


def test_rename_variable_renames_variables_only():
    query = ('SELECT $shapesGraph ?shapesGraphs WHERE { GRAPH ?shapesGraph { ?s ?p "$shapesGraph" }'
             ' FILTER(?s != <urn:x:?shapesGraph>) } # $shapesGraph')
    assert rename_variable(query, "shapesGraph", "sg") == (
        'SELECT ?sg ?shapesGraphs WHERE { GRAPH ?sg { ?s ?p "$shapesGraph" }'
        ' FILTER(?s != <urn:x:?shapesGraph>) } # $shapesGraph')


def test_without_rdflib_data_shapes_graph_is_still_a_failure():
    # the Oxigraph path (the bundled SPARQL shapes) has no $shapesGraph: SHACL 5.3.1 requires
    # a processor without it to report a failure, not to leave the variable unbound
    store = ox.Store()
    store.extend(ox.parse(f"<{EX}i> a <{EX}Thing> .".encode(), ox.RdfFormat.TURTLE))
    with pytest.raises(ShapesError, match="shapesGraph"):
        run_pyshacl(store, turtle(SHAPES_GRAPH_QUERY))
