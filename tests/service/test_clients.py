"""The usual Python SPARQL clients against the real server, used as a new user would:
SPARQLWrapper 2.0 with its defaults and each return format that fits the query form, by
GET and by POST, and rdflib's ``SPARQLStore``. Each converted result is checked against
the fixture data (conftest ``FIXTURE_GRAPHS``), not only the status.

SPARQLWrapper sends ``format=…&output=…&results=…`` (its return format's short name, ``xml``
by default for every query form) beside its Accept header; the service reads those the way
that client means them (issue "first contact": a CONSTRUCT used to be 406).
"""

from __future__ import annotations

import csv
import io
from xml.dom.minidom import Document

import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import (
    CSV,
    JSON,
    JSONLD,
    N3,
    POST,
    RDF,
    RDFXML,
    TSV,
    TURTLE,
    XML,
    SPARQLWrapper,
)

SKOS = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
OWL = rdflib.OWL
AG = rdflib.Namespace("https://w3id.org/alliancegraph/ontology#")
JAPAN = rdflib.URIRef("https://w3id.org/alliancegraph/id/state/japan")
SOUTH_KOREA = rdflib.URIRef("https://w3id.org/alliancegraph/id/state/south-korea")

PREFIXES = "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
SELECT = PREFIXES + "SELECT ?label WHERE { ?s skos:prefLabel ?label } ORDER BY ?label"
ASK_TRUE = PREFIXES + 'ASK { ?s skos:altLabel "ROK"@en }'
ASK_FALSE = PREFIXES + 'ASK { ?s skos:altLabel "Nippon"@en }'
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
DESCRIBE = f"DESCRIBE <{JAPAN}>"

LABELS = ["Japan", "South Korea"]
#: The fixture's union default graph (both named graphs), as rdflib triples.
ALL_TRIPLES = {
    (JAPAN, rdflib.RDF.type, AG.State),
    (JAPAN, SKOS.prefLabel, rdflib.Literal("Japan", lang="en")),
    (JAPAN, OWL.sameAs, rdflib.URIRef("http://www.wikidata.org/entity/Q17")),
    (SOUTH_KOREA, rdflib.RDF.type, AG.State),
    (SOUTH_KOREA, SKOS.prefLabel, rdflib.Literal("South Korea", lang="en")),
    (SOUTH_KOREA, SKOS.altLabel, rdflib.Literal("ROK", lang="en")),
}
JAPAN_TRIPLES = {t for t in ALL_TRIPLES if t[0] == JAPAN}

# SPARQLWrapper turns RDF/XML and JSON-LD answers into an rdflib ConjunctiveGraph, which
# rdflib 7 deprecates: the library's warning about its own code, not about the service.
RDFLIB_CONJUNCTIVE = pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
# SPARQLWrapper has no Accept header for JSON or RDF of a graph: it warns that it sends
# */* and relies on its format parameters (json: JSON-LD, rdf: RDF/XML), as tested here.
SPARQLWRAPPER_STAR = pytest.mark.filterwarnings(
    "ignore:Sending Accept header '\\*/\\*' because unexpected returned format:RuntimeWarning")


@pytest.fixture(scope="module")
def endpoint(base_url: str) -> str:
    return base_url + "/sparql"


def run(endpoint: str, query: str, return_format: str | None, method: str):
    """A query as a new user writes it: the endpoint, the query, perhaps a return format
    and POST; nothing else."""
    sparql = SPARQLWrapper(endpoint)
    sparql.setQuery(query)
    if return_format is not None:
        sparql.setReturnFormat(return_format)
    if method == POST:
        sparql.setMethod(POST)
    return sparql.queryAndConvert()


# --- reading each converted result ------------------------------------------------------

def xml_labels(document: Document) -> list[str]:
    return [literal.firstChild.data for literal in document.getElementsByTagName("literal")]


def xml_boolean(document: Document) -> bool:
    [boolean] = document.getElementsByTagName("boolean")
    return boolean.firstChild.data == "true"


def csv_labels(body: bytes) -> list[str]:
    header, *rows = csv.reader(io.StringIO(body.decode("utf-8")))
    assert header == ["label"]
    return [row[0] for row in rows]


def tsv_labels(body: bytes) -> list[str]:
    # TSV writes RDF terms in Turtle syntax ("Japan"@en), unquoted by CSV rules
    header, *rows = body.decode("utf-8").splitlines()
    assert header == "?label"
    return [rdflib.util.from_n3(row).value for row in rows]


def triples(result: object) -> set:
    """The triples of a converted graph result: an rdflib graph (RDF/XML, JSON-LD) or the
    Turtle text SPARQLWrapper hands back for Turtle and N3."""
    if isinstance(result, bytes):
        result = rdflib.Graph().parse(data=result.decode("utf-8"), format="turtle")
    assert isinstance(result, rdflib.Graph), type(result)
    return set(result.triples((None, None, None)))


# --- SPARQLWrapper ------------------------------------------------------------------------

METHODS = pytest.mark.parametrize("method", ["GET", POST])


@METHODS
@pytest.mark.parametrize("return_format", [None, XML, JSON, CSV, TSV])
def test_sparqlwrapper_select(endpoint, method, return_format):
    result = run(endpoint, SELECT, return_format, method)
    if return_format in (None, XML):
        assert xml_labels(result) == LABELS
    elif return_format == JSON:
        assert [b["label"]["value"] for b in result["results"]["bindings"]] == LABELS
    else:
        assert (csv_labels if return_format == CSV else tsv_labels)(result) == LABELS


@METHODS
@pytest.mark.parametrize("return_format", [None, XML, JSON])
def test_sparqlwrapper_ask(endpoint, method, return_format):
    for query, expected in ((ASK_TRUE, True), (ASK_FALSE, False)):
        result = run(endpoint, query, return_format, method)
        if return_format == JSON:
            assert result["boolean"] is expected
        else:
            assert xml_boolean(result) is expected


GRAPH_FORMATS = pytest.mark.parametrize("return_format", [
    pytest.param(None, marks=RDFLIB_CONJUNCTIVE, id="default"),  # xml: RDF/XML
    pytest.param(XML, marks=RDFLIB_CONJUNCTIVE, id="xml"),
    pytest.param(RDFXML, marks=RDFLIB_CONJUNCTIVE, id="rdf+xml"),
    pytest.param(RDF, marks=[RDFLIB_CONJUNCTIVE, SPARQLWRAPPER_STAR], id="rdf"),
    pytest.param(JSONLD, marks=RDFLIB_CONJUNCTIVE, id="json-ld"),
    pytest.param(JSON, marks=[RDFLIB_CONJUNCTIVE, SPARQLWRAPPER_STAR], id="json"),
    pytest.param(TURTLE, id="turtle"),
    pytest.param(N3, id="n3"),
])


@METHODS
@GRAPH_FORMATS
def test_sparqlwrapper_construct(endpoint, method, return_format):
    assert triples(run(endpoint, CONSTRUCT, return_format, method)) == ALL_TRIPLES


@METHODS
@GRAPH_FORMATS
def test_sparqlwrapper_describe(endpoint, method, return_format):
    assert triples(run(endpoint, DESCRIBE, return_format, method)) == JAPAN_TRIPLES


# --- rdflib's SPARQLStore -----------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore(endpoint, method):
    graph = rdflib.Graph(store=SPARQLStore(query_endpoint=endpoint, method=method))
    assert [str(row.label) for row in graph.query(SELECT)] == LABELS
    assert graph.query(ASK_TRUE).askAnswer is True
    assert graph.query(ASK_FALSE).askAnswer is False
    constructed = graph.query(CONSTRUCT).graph
    assert constructed is not None
    assert set(constructed.triples((None, None, None))) == ALL_TRIPLES
    # the Graph API on the store: SPARQLStore turns it into SELECTs
    assert set(graph.objects(SOUTH_KOREA, SKOS.altLabel)) == {rdflib.Literal("ROK", lang="en")}
