"""Content negotiation on its own: Accept with q-values, wildcards, parameters, the
format parameters (``format``/``output``/``results``), and the query form deciding what
can be offered."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from alliancegraph.errors import NotAcceptable, UnsupportedMediaType
from alliancegraph.service import negotiation as n
from werkzeug.datastructures import MultiDict


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


#: The format parameter values accepted, by query form: what the usual clients send
#: (SPARQLWrapper: json xml turtle n3 rdf rdf+xml csv tsv json-ld and media types).
PARAMETER_TABLE = [
    ("json", "SELECT", "application/sparql-results+json"),
    ("json", "ASK", "application/sparql-results+json"),
    ("json", "CONSTRUCT", "application/ld+json"),  # SPARQLWrapper's JSON for a graph
    ("xml", "SELECT", "application/sparql-results+xml"),
    ("xml", "ASK", "application/sparql-results+xml"),
    ("xml", "CONSTRUCT", "application/rdf+xml"),  # SPARQLWrapper's default, every query
    ("xml", "DESCRIBE", "application/rdf+xml"),
    ("XML", "DESCRIBE", "application/rdf+xml"),
    ("srj", "SELECT", "application/sparql-results+json"),
    ("srx", "ASK", "application/sparql-results+xml"),
    ("csv", "SELECT", "text/csv"),
    ("tsv", "SELECT", "text/tab-separated-values"),
    ("ttl", "CONSTRUCT", "text/turtle"),
    ("turtle", "DESCRIBE", "text/turtle"),
    ("n3", "CONSTRUCT", "text/turtle"),  # Turtle is N3
    ("nt", "CONSTRUCT", "application/n-triples"),
    ("ntriples", "CONSTRUCT", "application/n-triples"),
    ("n-triples", "CONSTRUCT", "application/n-triples"),
    ("jsonld", "DESCRIBE", "application/ld+json"),
    ("json-ld", "CONSTRUCT", "application/ld+json"),
    ("rdf", "CONSTRUCT", "application/rdf+xml"),
    ("rdfxml", "CONSTRUCT", "application/rdf+xml"),
    ("rdf+xml", "CONSTRUCT", "application/rdf+xml"),
    ("trig", "CONSTRUCT", "application/trig"),
    ("nq", "CONSTRUCT", "application/n-quads"),
    ("nquads", "CONSTRUCT", "application/n-quads"),
    ("application/rdf+xml", "CONSTRUCT", "application/rdf+xml"),
    ("application/sparql-results+json", "SELECT", "application/sparql-results+json"),
    ("text/tab-separated-values", "SELECT", "text/tab-separated-values"),
    ("application/json", "SELECT", "application/sparql-results+json"),
    ("application/json", "CONSTRUCT", "application/ld+json"),
    ("application/xml", "CONSTRUCT", "application/rdf+xml"),
    ("text/turtle; charset=utf-8", "CONSTRUCT", "text/turtle"),
    ("text/plain", "CONSTRUCT", "application/n-triples"),
]


@pytest.mark.parametrize(("value", "form", "expected"), PARAMETER_TABLE)
def test_format_parameter_overrides_accept(value, form, expected):
    chosen = n.negotiate("text/html", n.OFFERS[form], format_param=value)
    assert chosen.media_type == expected


@pytest.mark.parametrize("name", n.FORMAT_PARAMETERS)
def test_format_output_and_results_are_all_read(name):
    params = MultiDict([(name, "csv")])
    assert n.negotiate(None, n.OFFERS["SELECT"], params=params) is n.CSV_RESULTS


def test_the_first_value_that_fits_wins():
    # SPARQLWrapper's RDFXML: format=rdf+xml&format=application/rdf+xml, output=…, results=…
    params = MultiDict([("format", "tsv"), ("format", "text/tab-separated-values"),
                        ("output", "csv")])
    assert n.negotiate(None, n.OFFERS["SELECT"], params=params) is n.TSV_RESULTS
    # a value that cannot serve the form is passed over for the next one
    params = MultiDict([("format", "csv"), ("output", "ttl")])
    assert n.negotiate(None, n.OFFERS["CONSTRUCT"], params=params) is n.TURTLE
    # an unknown value beside a known one is passed over too
    params = MultiDict([("format", "no-such-format"), ("results", "json")])
    assert n.negotiate(None, n.OFFERS["ASK"], params=params) is n.JSON_RESULTS


@pytest.mark.parametrize(
    ("value", "accept", "form", "expected"),
    [
        ("csv", "text/turtle", "CONSTRUCT", "text/turtle"),  # no CSV of a graph: Accept
        ("csv", None, "DESCRIBE", "text/turtle"),  # no CSV, no Accept: the server's first
        ("ttl", None, "SELECT", "application/sparql-results+json"),
        ("csv", "application/sparql-results+xml", "ASK", "application/sparql-results+xml"),
        ("n3", "*/*", "SELECT", "application/sparql-results+json"),
    ],
)
def test_a_format_that_cannot_serve_the_form_falls_back_to_accept(value, accept, form,
                                                                  expected):
    chosen = n.negotiate(accept, n.OFFERS[form], format_param=value)
    assert chosen.media_type == expected


def test_fallback_to_accept_can_still_be_406():
    with pytest.raises(NotAcceptable) as caught:
        n.negotiate("text/csv", n.OFFERS["CONSTRUCT"], format_param="csv",
                    what="the CONSTRUCT query")
    assert "format='csv'" in caught.value.message
    assert "text/turtle" in caught.value.message


@pytest.mark.parametrize("value", ["no-such-format", "text/html", "pdf"])
def test_a_value_that_names_no_format_is_406(value):
    with pytest.raises(NotAcceptable) as caught:
        n.negotiate(None, n.OFFERS["SELECT"], params=MultiDict([("output", value)]),
                    what="the SELECT query")
    assert repr(value) in caught.value.message
    assert "application/sparql-results+json" in caught.value.message


def test_empty_format_values_are_no_format():
    assert n.negotiate("text/csv", n.OFFERS["SELECT"], params=MultiDict([("format", "")])) \
        is n.CSV_RESULTS
    assert n.format_values(None) == []


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),  # browser
        ("text/html", True),
        (None, False),
        ("", False),
        ("*/*", False),  # curl, requests, urllib
        ("text/html, application/sparql-results+json", False),  # a tie is not a preference
        ("application/sparql-results+xml,application/rdf+xml,*/*", False),
        ("text/*", False),  # text/csv is as good
        ("text/html;q=0, */*", False),
    ],
)
def test_prefers_html(accept, expected):
    offers = (*n.OFFERS["SELECT"], *n.OFFERS["CONSTRUCT"])
    assert n.prefers(accept, "text/html", offers) is expected


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
