"""The format table: media types and their aliases, suffixes, short names, pyoxigraph and
rdflib formats, datasets, input and output, and N3 refused everywhere."""

from __future__ import annotations

import warnings

import pyoxigraph as ox
import pytest
import rdflib
from alliancegraph.errors import UnsupportedMediaType
from alliancegraph.store import formats as f


def test_canonical_media_types_are_pyoxigraphs_own() -> None:
    """The store maps the canonical media type back to its format."""
    for fmt in f.FORMATS:
        if isinstance(fmt.oxigraph, ox.RdfFormat):
            assert ox.RdfFormat.from_media_type(fmt.media_type) == fmt.oxigraph, fmt.title
        elif isinstance(fmt.oxigraph, ox.QueryResultsFormat):
            assert ox.QueryResultsFormat.from_media_type(fmt.media_type) == fmt.oxigraph
        else:
            assert fmt.kind == "page"


@pytest.mark.parametrize("fmt", f.WRITABLE_RDF, ids=lambda fmt: fmt.name)
def test_rdflib_names_read_what_pyoxigraph_writes(fmt: f.Format) -> None:
    triple = ox.Triple(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"),
                       ox.Literal("o", language="en"))
    body = ox.serialize([triple], format=fmt.oxigraph)
    graph = rdflib.Dataset() if fmt.datasets else rdflib.Graph()
    with warnings.catch_warnings():  # rdflib's Dataset warns about its own internals
        warnings.simplefilter("ignore", DeprecationWarning)
        graph.parse(data=body, format=fmt.rdflib)
        assert len(list(graph.quads() if fmt.datasets else graph)) == 1


@pytest.mark.parametrize(("path", "kind", "expected"), [
    ("shapes.ttl", "rdf", f.TURTLE), ("DATA.TTL", "rdf", f.TURTLE),
    ("x.turtle", "rdf", f.TURTLE), ("a/b/c.nt", "rdf", f.N_TRIPLES),
    ("x.jsonld", "rdf", f.JSON_LD), ("x.json", "rdf", f.JSON_LD),
    ("ontology.owl", "rdf", f.RDF_XML), ("x.rdf", "rdf", f.RDF_XML), ("x.xml", "rdf", f.RDF_XML),
    ("x.trig", "rdf", f.TRIG), ("x.nq", "rdf", f.N_QUADS), ("x.n3", "rdf", f.N3),
    ("x.json", "results", f.JSON_RESULTS), ("x.srx", "results", f.XML_RESULTS),
    ("x.csv", "results", f.CSV_RESULTS), ("x.html", "page", f.HTML),
    ("x.json", None, f.JSON_LD),  # no kind: RDF first
    ("x.pdf", "rdf", None), ("no-suffix", "rdf", None), ("x.csv", "rdf", None),
])
def test_by_suffix(path: str, kind, expected) -> None:
    assert f.by_suffix(path, kind) is expected


@pytest.mark.parametrize(("media_type", "kind", "expected"), [
    ("text/turtle", "rdf", f.TURTLE), ("Text/Turtle; charset=UTF-8", "rdf", f.TURTLE),
    ("application/x-turtle", "rdf", f.TURTLE), ("text/plain", "rdf", f.N_TRIPLES),
    ("application/json", "rdf", f.JSON_LD), ("application/json", "results", f.JSON_RESULTS),
    ("application/json", "page", f.JSON), ("application/xml", "rdf", f.RDF_XML),
    ("application/xml", "results", f.XML_RESULTS), ("text/csv; charset=utf-8", "results",
                                                   f.CSV_RESULTS),
    ("text/n3", "rdf", f.N3), ("application/xhtml+xml", "page", f.HTML),
    ("application/pdf", "rdf", None), ("text/csv", "rdf", None),
])
def test_by_media_type(media_type: str, kind, expected) -> None:
    assert f.by_media_type(media_type, kind) is expected


@pytest.mark.parametrize(("name", "kind", "expected"), [
    ("ttl", "rdf", f.TURTLE), ("Turtle", "rdf", f.TURTLE), ("nt", "rdf", f.N_TRIPLES),
    ("n-triples", "rdf", f.N_TRIPLES), ("json-ld", "rdf", f.JSON_LD), ("jsonld", "rdf", f.JSON_LD),
    ("xml", "rdf", f.RDF_XML), ("rdfxml", "rdf", f.RDF_XML), ("rdf", "rdf", f.RDF_XML),
    ("trig", "rdf", f.TRIG), ("nquads", "rdf", f.N_QUADS), ("n3", "rdf", f.N3),
    ("xml", "results", f.XML_RESULTS), ("json", "results", f.JSON_RESULTS),
    ("srj", "results", f.JSON_RESULTS), ("tsv", "results", f.TSV_RESULTS),
    ("html", "page", f.HTML), ("json", "page", f.JSON), ("pdf", None, None),
])
def test_by_name(name: str, kind, expected) -> None:
    assert f.by_name(name, kind) is expected


def test_each_format_answers_to_its_names_and_media_types() -> None:
    for fmt in f.FORMATS:
        for value in (*fmt.all_names, *fmt.media_types):
            assert fmt.answers_to(value.upper()), (fmt.title, value)
            assert fmt in f.named(value)
    assert f.named("json") == (f.JSON_LD, f.JSON_RESULTS, f.JSON)
    assert f.named("no-such-format") == ()


def test_n3_is_never_read_nor_written() -> None:
    assert not f.N3.readable and not f.N3.writable
    assert f.N3 not in f.READABLE_RDF
    assert all(f.N3 not in offers for offers in f.OFFERS.values())


@pytest.mark.parametrize("given", [{"media_type": "text/n3"}, {"media_type": "text/rdf+n3"},
                                   {"name": "n3"}, {"path": "rules.n3"}])
def test_n3_input_is_a_415_that_says_why_and_lists_what_is_read(given: dict) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        f.rdf_input(**given)
    assert caught.value.status == 415
    message = caught.value.message
    assert "N3 is not read" in message and "RDF 1.1" in message
    for fmt in f.READABLE_RDF:
        assert fmt.media_type in message


@pytest.mark.parametrize(("given", "expected"), [
    ({"media_type": "text/turtle; charset=utf-8"}, f.TURTLE),
    ({"media_type": "application/ld+json"}, f.JSON_LD),
    ({"media_type": "application/json"}, f.JSON_LD),
    ({"media_type": "application/rdf+xml"}, f.RDF_XML),
    ({"media_type": "application/n-quads"}, f.N_QUADS),
    ({"media_type": "text/plain"}, f.N_TRIPLES),
    ({"name": "nt", "media_type": "text/turtle"}, f.N_TRIPLES),  # a name wins
    ({"media_type": "application/trig", "path": "x.ttl"}, f.TRIG),  # a media type wins
    ({"path": "x.owl"}, f.RDF_XML),
])
def test_rdf_input(given: dict, expected: f.Format) -> None:
    assert f.rdf_input(**given) is expected


@pytest.mark.parametrize("given", [{}, {"media_type": ""}, {"media_type": "application/pdf"},
                                   {"media_type": "text/csv"}, {"media_type": "text/html"},
                                   {"name": "csv"}, {"path": "x.pdf"}])
def test_what_is_not_read_is_a_415_listing_what_is(given: dict) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        f.rdf_input(**given)
    assert caught.value.status == 415
    assert "text/turtle" in caught.value.message and "application/ld+json" in caught.value.message


def test_dataset_answers_offer_only_dataset_formats() -> None:
    assert f.OFFERS["dataset"] == (f.JSON_LD, f.TRIG, f.N_QUADS)
    assert all(fmt.datasets for fmt in f.OFFERS["dataset"])
    assert not any(fmt.datasets for fmt in (f.TURTLE, f.N_TRIPLES, f.RDF_XML))
    # ASK has no CSV/TSV: those formats define no boolean result
    assert f.OFFERS["ASK"] == (f.JSON_RESULTS, f.XML_RESULTS)


def test_content_type_names_the_charset_of_text() -> None:
    assert f.TURTLE.content_type == "text/turtle; charset=utf-8"
    assert f.JSON_RESULTS.content_type == "application/sparql-results+json; charset=utf-8"
    assert f.JSON.content_type == "application/json; charset=utf-8"
    assert f.HTML.content_type == "text/html; charset=utf-8"
    assert f.RDF_XML.content_type == "application/rdf+xml"


def test_format_iris_are_the_w3c_ones() -> None:
    assert f.JSON_LD.iri == "http://www.w3.org/ns/formats/JSON-LD"
    assert f.TURTLE.iri == "http://www.w3.org/ns/formats/Turtle"
    assert f.CSV_RESULTS.iri == "http://www.w3.org/ns/formats/SPARQL_Results_CSV"
    with pytest.raises(ValueError):
        _ = f.HTML.iri


@pytest.mark.parametrize(("text", "expected"), [
    (b"@prefix ex: <https://example.org/> .\nex:a ex:p 1 .", f.TRIG),
    (b"PREFIX ex: <https://example.org/>\nex:a ex:p 1 .", f.TRIG),
    (b"<https://example.org/a> <https://example.org/p> <https://example.org/b> .", f.TRIG),
    (b"\xef\xbb\xbf  {\"@id\": \"https://example.org/a\"}", f.JSON_LD),
    (b"[]", f.JSON_LD),
    (b"<?xml version=\"1.0\"?>\n<rdf:RDF/>", f.RDF_XML),
    (b"<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"/>", f.RDF_XML),
    (b"# a comment\n<urn:a> <urn:p> \"x y\"@en <urn:g> .", f.N_QUADS),
    (b"_:a <urn:p> _:b _:g .", f.N_QUADS),
])
def test_detect_tells_the_syntax_from_how_the_text_starts(text: bytes, expected) -> None:
    assert f.detect(text) is expected
