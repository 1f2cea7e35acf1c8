"""Content negotiation on its own: Accept with q-values, wildcards, parameters, the
``format`` override, and the query form deciding what can be offered."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from alliancegraph.errors import NotAcceptable, UnsupportedMediaType
from alliancegraph.service import negotiation as n


@pytest.mark.parametrize(
    ("accept", "form", "expected"),
    [
        (None, "SELECT", "application/sparql-results+json"),
        ("", "CONSTRUCT", "text/turtle"),
        ("*/*", "ASK", "application/sparql-results+json"),
        ("*/*", "DESCRIBE", "text/turtle"),
        ("application/sparql-results+xml", "SELECT", "application/sparql-results+xml"),
        ("text/csv", "SELECT", "text/csv"),
        ("text/tab-separated-values", "SELECT", "text/tab-separated-values"),
        ("application/json", "SELECT", "application/sparql-results+json"),
        ("application/json", "CONSTRUCT", "application/ld+json"),
        ("application/rdf+xml", "DESCRIBE", "application/rdf+xml"),
        ("application/n-triples", "CONSTRUCT", "application/n-triples"),
        ("application/n-quads", "CONSTRUCT", "application/n-quads"),
        ("application/trig", "CONSTRUCT", "application/trig"),
        # q-values decide, whatever the order in the header
        ("text/turtle;q=0.5, application/rdf+xml;q=0.9", "CONSTRUCT", "application/rdf+xml"),
        ("application/sparql-results+xml;q=0.8, text/csv", "SELECT", "text/csv"),
        # media-type parameters other than q do not stop a match
        ("text/turtle; charset=utf-8", "CONSTRUCT", "text/turtle"),
        ("text/*;q=0.5, application/n-triples", "CONSTRUCT", "application/n-triples"),
        # the most specific entry wins: Turtle is refused even though */* matches it
        ("text/turtle;q=0, */*;q=0.1", "CONSTRUCT", "application/n-triples"),
        # a browser asking a SELECT gets SPARQL XML (application/xml;q=0.9 beats */*;q=0.8)
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "SELECT",
         "application/sparql-results+xml"),
    ],
)
def test_accept_picks_format(accept, form, expected):
    assert n.negotiate(accept, n.OFFERS[form]).media_type == expected


@pytest.mark.parametrize(
    ("accept", "form"),
    [
        ("text/turtle", "SELECT"),  # a result set is not a graph
        ("application/sparql-results+json", "CONSTRUCT"),  # a graph is not a result set
        ("text/csv", "DESCRIBE"),  # rdflib-endpoint's mistake: CSV is not Turtle
        ("text/html", "ASK"),
        ("text/csv", "ASK"),  # SPARQL CSV/TSV define no boolean result
        ("application/sparql-results+json;q=0", "SELECT"),
    ],
)
def test_nothing_acceptable_is_406(accept, form):
    with pytest.raises(NotAcceptable) as caught:
        n.negotiate(accept, n.OFFERS[form], what=f"a {form} query")
    assert caught.value.status == 406
    assert form in caught.value.message


@pytest.mark.parametrize(
    ("value", "form", "expected"),
    [
        ("json", "SELECT", "application/sparql-results+json"),
        ("csv", "SELECT", "text/csv"),
        ("ttl", "CONSTRUCT", "text/turtle"),
        ("jsonld", "DESCRIBE", "application/ld+json"),
        ("application/rdf+xml", "CONSTRUCT", "application/rdf+xml"),
    ],
)
def test_format_parameter_overrides_accept(value, form, expected):
    chosen = n.negotiate("text/html", n.OFFERS[form], format_param=value)
    assert chosen.media_type == expected


def test_format_parameter_must_fit_the_form():
    with pytest.raises(NotAcceptable):
        n.negotiate(None, n.OFFERS["SELECT"], format_param="ttl")
    with pytest.raises(NotAcceptable):
        n.negotiate(None, n.OFFERS["SELECT"], format_param="no-such-format")


def test_table_matches_pyoxigraph():
    """The canonical media types are pyoxigraph's own, so the store can map them back."""
    for offers in n.OFFERS.values():
        for fmt in offers:
            if isinstance(fmt.oxigraph, ox.RdfFormat):
                assert ox.RdfFormat.from_media_type(fmt.media_type) == fmt.oxigraph
            else:
                assert ox.QueryResultsFormat.from_media_type(fmt.media_type) == fmt.oxigraph


def test_dataset_answers_offer_only_dataset_formats():
    assert all(f.is_dataset_format for f in n.OFFERS["dataset"])
    assert not any(f.is_dataset_format for f in n.OFFERS["SELECT"])


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("text/turtle; charset=utf-8", n.TURTLE),
        ("application/ld+json", n.JSON_LD),
        ("application/rdf+xml", n.RDF_XML),
        ("application/n-quads", n.N_QUADS),
        ("text/plain", n.N_TRIPLES),
    ],
)
def test_rdf_input_format(content_type, expected):
    assert n.rdf_input_format(content_type) is expected


@pytest.mark.parametrize("content_type", [None, "", "text/n3", "application/octet-stream"])
def test_unknown_rdf_input_is_415(content_type):
    with pytest.raises(UnsupportedMediaType) as caught:
        n.rdf_input_format(content_type)
    assert caught.value.status == 415


def test_content_type_header_names_charset_for_text():
    assert n.TURTLE.content_type == "text/turtle; charset=utf-8"
    assert n.JSON_RESULTS.content_type == "application/sparql-results+json; charset=utf-8"
    assert n.RDF_XML.content_type == "application/rdf+xml"


def test_format_iris_are_the_w3c_ones():
    assert n.JSON_LD.iri == "http://www.w3.org/ns/formats/JSON-LD"
    assert n.TURTLE.iri == "http://www.w3.org/ns/formats/Turtle"
    assert n.CSV_RESULTS.iri == "http://www.w3.org/ns/formats/SPARQL_Results_CSV"
