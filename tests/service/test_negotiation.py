"""Content negotiation on its own: Accept with q-values, wildcards, parameters, the
format parameters (``format``/``output``/``results``), the query form deciding what
can be offered, the one tie rule, N3 refused, and the page-or-RDF choice."""

from __future__ import annotations

import pytest
from alliancegraph.errors import NotAcceptable
from alliancegraph.service import negotiation as n
from alliancegraph.store import formats as f
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
    assert n.negotiate(accept, f.OFFERS[form]).media_type == expected


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
        n.negotiate(accept, f.OFFERS[form], what=f"a {form} query")
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
    chosen = n.negotiate("text/html", f.OFFERS[form], format_param=value)
    assert chosen.media_type == expected


@pytest.mark.parametrize("name", n.FORMAT_PARAMETERS)
def test_format_output_and_results_are_all_read(name):
    params = MultiDict([(name, "csv")])
    assert n.negotiate(None, f.OFFERS["SELECT"], params=params) is f.CSV_RESULTS


def test_the_first_value_that_fits_wins():
    # SPARQLWrapper's RDFXML: format=rdf+xml&format=application/rdf+xml, output=…, results=…
    params = MultiDict([("format", "tsv"), ("format", "text/tab-separated-values"),
                        ("output", "csv")])
    assert n.negotiate(None, f.OFFERS["SELECT"], params=params) is f.TSV_RESULTS
    # a value that cannot serve the form is passed over for the next one
    params = MultiDict([("format", "csv"), ("output", "ttl")])
    assert n.negotiate(None, f.OFFERS["CONSTRUCT"], params=params) is f.TURTLE
    # an unknown value beside a known one is passed over too
    params = MultiDict([("format", "no-such-format"), ("results", "json")])
    assert n.negotiate(None, f.OFFERS["ASK"], params=params) is f.JSON_RESULTS


@pytest.mark.parametrize(
    ("value", "accept", "form", "expected"),
    [
        ("csv", "text/turtle", "CONSTRUCT", "text/turtle"),  # no CSV of a graph: Accept
        ("csv", None, "DESCRIBE", "text/turtle"),  # no CSV, no Accept: the server's first
        ("ttl", None, "SELECT", "application/sparql-results+json"),
        ("csv", "application/sparql-results+xml", "ASK", "application/sparql-results+xml"),
        ("n3", "*/*", "SELECT", "application/sparql-results+json"),
        ("n3", "text/n3, text/turtle", "CONSTRUCT", "text/turtle"),  # SPARQLWrapper's N3
        ("html", None, "SELECT", "application/sparql-results+json"),  # a page is no result
    ],
)
def test_a_format_that_cannot_serve_the_form_falls_back_to_accept(value, accept, form,
                                                                  expected):
    chosen = n.negotiate(accept, f.OFFERS[form], format_param=value)
    assert chosen.media_type == expected


def test_fallback_to_accept_can_still_be_406():
    with pytest.raises(NotAcceptable) as caught:
        n.negotiate("text/csv", f.OFFERS["CONSTRUCT"], format_param="csv",
                    what="the CONSTRUCT query")
    assert "format='csv'" in caught.value.message
    assert "text/turtle" in caught.value.message


@pytest.mark.parametrize("value", ["no-such-format", "application/pdf", "pdf"])
def test_a_value_that_names_no_format_is_406(value):
    with pytest.raises(NotAcceptable) as caught:
        n.negotiate(None, f.OFFERS["SELECT"], params=MultiDict([("output", value)]),
                    what="the SELECT query")
    assert repr(value) in caught.value.message
    assert "application/sparql-results+json" in caught.value.message


def test_empty_format_values_are_no_format():
    assert n.negotiate("text/csv", f.OFFERS["SELECT"], params=MultiDict([("format", "")])) \
        is f.CSV_RESULTS
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
    offers = (*f.OFFERS["SELECT"], *f.OFFERS["CONSTRUCT"])
    assert n.wants_page(None, accept, offers) is expected


@pytest.mark.parametrize(("accept", "params"), [
    ("text/n3", []), ("text/rdf+n3", [("format", "n3")]), ("text/n3", [("output", "n3")])])
def test_n3_is_refused_with_a_406_that_points_to_turtle(accept, params):
    with pytest.raises(NotAcceptable) as caught:
        n.negotiate(accept, f.OFFERS["CONSTRUCT"], params=MultiDict(params),
                    what="the CONSTRUCT query")
    assert "N3 is not written here" in caught.value.message
    assert "text/turtle" in caught.value.message


# --- the tie rule: q, then how specifically the client named it, then the server's order

DOCUMENTS = (f.HTML, f.TURTLE, f.JSON_LD, f.N_TRIPLES, f.RDF_XML)  # an entity's documents


@pytest.mark.parametrize(("accept", "offers", "expected"), [
    # equal q: the format the client named beats one it only matched by */*
    ("application/n-triples, */*", DOCUMENTS, f.N_TRIPLES),
    ("*/*, text/turtle", DOCUMENTS, f.TURTLE),
    # … and by type/*
    ("text/*, application/ld+json", DOCUMENTS, f.JSON_LD),
    ("application/*, text/turtle", (f.JSON_LD, f.TURTLE), f.TURTLE),
    # an alias is a name too: equal q and specificity, so the server's order decides
    ("application/json, application/sparql-results+xml", f.OFFERS["SELECT"], f.JSON_RESULTS),
    ("application/sparql-results+xml, application/json", f.OFFERS["SELECT"], f.JSON_RESULTS),
    # equal q, equal specificity: the server's order
    ("*/*", DOCUMENTS, f.HTML),
    ("text/*", DOCUMENTS, f.HTML),
    ("text/turtle, application/ld+json", DOCUMENTS, f.TURTLE),
    ("application/ld+json, text/turtle", DOCUMENTS, f.TURTLE),
    (None, DOCUMENTS, f.HTML),
    # q first, whatever the specificity
    ("text/html;q=0.5, */*", DOCUMENTS, f.TURTLE),
    ("application/n-triples;q=0.4, text/*;q=0.5", DOCUMENTS, f.HTML),
    # a report: JSON summary first, the page last
    ("application/json", (f.JSON, f.TURTLE, f.JSON_LD, f.HTML), f.JSON),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
     (f.JSON, f.TURTLE, f.JSON_LD, f.HTML), f.HTML),
])
def test_the_tie_rule(accept, offers, expected):
    assert n.negotiate(accept, offers) is expected


@pytest.mark.parametrize(("params", "accept", "expected"), [
    ([("format", "html")], "text/turtle", True),
    ([("format", "ttl")], "text/html", False),
    ([("output", "text/html")], None, True),
    ([], "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
    ([], "text/html, */*", True),  # named HTML, matched RDF only by */*
    ([], "*/*", False),
    ([], None, False),
    ([], "text/turtle", False),
    ([], "text/html, text/turtle", False),  # a tie: the RDF offers come first
])
def test_the_page_or_rdf_choice(params, accept, expected):
    assert n.wants_page(MultiDict(params), accept, f.OFFERS["graph"]) is expected


def test_the_negotiator_keeps_no_format_table_of_its_own():
    assert not [name for name in vars(n) if name.isupper() and name != "FORMAT_PARAMETERS"
                and isinstance(getattr(n, name), f.Format)]
