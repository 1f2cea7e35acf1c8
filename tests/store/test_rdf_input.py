"""``alliancegraph.store.rdf_input.parse_rdf``: the one upload parser."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from alliancegraph.errors import BadRequest, ParseError, UnsupportedMediaType
from alliancegraph.store.rdf_input import parse_rdf

EX = "http://example.org/in/"
TTL = f"@prefix ex: <{EX}> . ex:a ex:p ex:b , _:x . _:x ex:p 'c' .".encode()


def test_turtle_goes_to_the_graph_named():
    quads = parse_rdf(TTL, "text/turtle; charset=utf-8", graph=EX + "g")
    assert len(quads) == 3
    assert {q.graph_name for q in quads} == {ox.NamedNode(EX + "g")}
    assert {q.graph_name for q in parse_rdf(TTL, ox.RdfFormat.TURTLE)} == {ox.DefaultGraph()}


def test_relative_iris_resolve_against_the_base():
    (quad,) = parse_rdf(b"<a> <p> <b> .", "text/turtle", base_iri=EX)
    assert quad.subject == ox.NamedNode(EX + "a")


def test_blank_nodes_get_fresh_labels_unless_asked():
    first, second = (parse_rdf(TTL, "text/turtle") for _ in range(2))
    assert {q.object for q in first if isinstance(q.object, ox.BlankNode)} != \
        {q.object for q in second if isinstance(q.object, ox.BlankNode)}
    kept = parse_rdf(TTL, "text/turtle", rename_blank_nodes=False)
    assert ox.BlankNode("x") in {q.subject for q in kept}


def test_json_ld_under_its_plain_json_alias():
    (quad,) = parse_rdf(f'{{"@id": "{EX}a", "{EX}p": "v"}}'.encode(), "application/json")
    assert quad.object == ox.Literal("v")


@pytest.mark.parametrize("media_type", ["text/html", "text/n3", "application/octet-stream"])
def test_unknown_syntaxes_are_415(media_type: str):
    with pytest.raises(UnsupportedMediaType) as caught:
        parse_rdf(TTL, media_type)
    assert caught.value.status == 415


def test_a_syntax_error_names_source_line_and_column():
    with pytest.raises(ParseError) as caught:
        parse_rdf(b"<http://a/> <http://b/> <http://c/> .\n<http://a/> <http://b/> .",
                  "application/n-triples", source="upload.nt")
    error = caught.value
    assert (error.source, error.line) == ("upload.nt", 2) and error.column is not None
    assert "upload.nt:2:" in error.message and "<http://a/> <http://b/> ." in error.message
    assert "Parser error at line" not in error.reason  # the place is said once


def test_bytes_that_are_not_utf8_are_a_parse_error():
    with pytest.raises(ParseError):
        parse_rdf("<http://a/> <http://b/> 'caf\u00e9' .".encode("latin-1"), "text/turtle")


@pytest.mark.parametrize("document", [
    b'<!DOCTYPE r [<!ENTITY a "aaaa">]><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>',
    "<rdf:RDF/>".encode("utf-16")])
def test_rdf_xml_is_checked_before_any_parser(document: bytes):
    with pytest.raises(BadRequest, match=r"DOCTYPE|UTF-8"):
        parse_rdf(document, "application/rdf+xml", source="up.rdf")


def test_named_graphs_are_refused_unless_allowed():
    nquads = f"<{EX}a> <{EX}p> <{EX}b> <{EX}g> .\n<{EX}a> <{EX}p> <{EX}c> .".encode()
    with pytest.raises(BadRequest, match="named graphs"):
        parse_rdf(nquads, "application/n-quads")
    quads = parse_rdf(nquads, "application/n-quads", graph=EX + "d", allow_named_graphs=True)
    assert {q.graph_name.value for q in quads} == {EX + "g", EX + "d"}
