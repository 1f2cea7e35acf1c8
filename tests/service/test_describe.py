"""The descriptions of service/describe.py: the VoID description at /.well-known/void, over
the real graph (built on first start: every count in it is checked against an independent
SPARQL query of the same server) and over the fixture store, and the SPARQL 1.1 Service
Description that /sparql answers when asked for RDF without a query."""

from __future__ import annotations

import json
import re

import pyoxigraph as ox
import pytest
import rdflib
import requests
from alliancegraph.service import create_app

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
BASE = "https://w3id.org/alliancegraph/"


@pytest.fixture(scope="module")
def void(built_server) -> rdflib.Graph:
    response = requests.get(built_server.url + "/.well-known/void",
                            headers={"Accept": "text/turtle"}, timeout=60)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/turtle")
    return rdflib.Graph().parse(data=response.content, format="turtle")


@pytest.fixture(scope="module")
def dataset(void) -> rdflib.URIRef:
    [root] = [d for d in void.subjects(rdflib.RDF.type, VOID.Dataset)
              if (d, VOID.sparqlEndpoint, None) in void]
    return root


def count(server, query: str) -> int:
    response = requests.get(server.url + "/sparql", params={"query": query}, timeout=60,
                            headers={"Accept": "application/sparql-results+json"})
    [row] = response.json()["results"]["bindings"]
    return int(row["n"]["value"])


def test_dataset_metadata(void, dataset):
    assert (dataset, DCTERMS.license,
            rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")) in void
    assert void.value(dataset, VOID.sparqlEndpoint) == rdflib.URIRef(BASE + "sparql")
    assert str(void.value(dataset, VOID.uriSpace)) == BASE + "id/"


def test_counts_match_the_store(built_server, void, dataset):
    distinct = count(built_server, "SELECT (COUNT(*) AS ?n) { SELECT DISTINCT ?s ?p ?o "
                                   "{ GRAPH ?g { ?s ?p ?o } } }")
    assert int(void.value(dataset, VOID.triples)) == distinct
    assert int(void.value(dataset, VOID.entities)) == count(
        built_server, f'SELECT (COUNT(DISTINCT ?s) AS ?n) {{ ?s ?p ?o '
                      f'FILTER(STRSTARTS(STR(?s), "{BASE}id/")) }}')
    for name in void.objects(dataset, VOID.subset):
        if (name, rdflib.RDF.type, VOID.Linkset) in void:
            continue
        assert int(void.value(name, VOID.triples)) == count(
            built_server, f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{name}> {{ ?s ?p ?o }} }}")


def test_class_and_property_partitions(built_server, void, dataset):
    partitions = {void.value(p, VOID["class"]): int(void.value(p, VOID.entities))
                  for p in void.objects(dataset, VOID.classPartition)}
    state = rdflib.URIRef(BASE + "ontology#State")
    assert partitions[state] == count(
        built_server, f"SELECT (COUNT(DISTINCT ?s) AS ?n) {{ ?s a <{state}> }}")
    properties = {void.value(p, VOID.property) for p in void.objects(dataset,
                                                                    VOID.propertyPartition)}
    assert rdflib.URIRef("http://www.w3.org/ns/prov#wasDerivedFrom") in properties
    assert int(void.value(dataset, VOID.properties)) == len(properties)
    vocabularies = set(void.objects(dataset, VOID.vocabulary))
    assert rdflib.URIRef("http://www.w3.org/ns/prov#") in vocabularies
    assert rdflib.URIRef(BASE + "ontology#") in vocabularies


def test_linksets_count_the_links(built_server, void, dataset):
    linksets = list(void.subjects(rdflib.RDF.type, VOID.Linkset))
    assert linksets, "the graph links to Wikidata/DBpedia: VoID must say so"
    for linkset in linksets:
        target = void.value(linkset, VOID.objectsTarget)
        space = str(void.value(target, VOID.uriSpace))
        predicate = void.value(linkset, VOID.linkPredicate)
        assert void.value(linkset, VOID.subjectsTarget) == dataset
        assert int(void.value(linkset, VOID.triples)) == count(
            built_server, f'SELECT (COUNT(*) AS ?n) {{ ?s <{predicate}> ?o '
                          f'FILTER(isIRI(?o) && STRSTARTS(STR(?o), "{space}")) }}')


def test_dumps_listed_and_served(built_server, void, dataset):
    dumps = sorted(str(d) for d in void.objects(dataset, VOID.dataDump))
    assert dumps == [BASE + f"dumps/alliancegraph.{ext}" for ext in ("nq", "nq.gz", "trig", "ttl")]
    for dump in dumps:
        response = requests.head(built_server.url + "/" + dump[len(BASE):], timeout=60)
        assert response.status_code == 200, dump


def test_iris_without_a_namespace_do_not_break_the_void(client, auth):
    """Regression: a class or predicate IRI with no '/' or '#' (``urn:x:p``) made the
    namespace split yield an empty IRI, and the VoID answered 500 to everyone."""
    put = client.put("/rdf-graph-store?graph=urn:x:g", headers=auth, content_type="text/turtle",
                     data=b"<urn:x:s> <urn:x:p> <urn:x:o> ; a <urn:x:C> .")
    assert put.status_code in (201, 204)
    response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert response.status_code == 200, response.get_data(as_text=True)
    void = rdflib.Graph().parse(data=response.data, format="turtle")
    assert (None, VOID.property, rdflib.URIRef("urn:x:p")) in void
    assert (None, VOID["class"], rdflib.URIRef("urn:x:C")) in void
    assert all(str(v) for v in void.objects(None, VOID.vocabulary))


# --- the VoID as a page, for browsers ------------------------------------------------------

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
RDF_TYPES = {"text/turtle", "application/n-triples", "application/ld+json",
             "application/rdf+xml", "application/trig", "application/n-quads"}


def alternates(html: str) -> dict[str, str]:
    """``<link rel="alternate" type=… href=…>`` of a page, by type (as the templates write
    them: rel, type, href in that order)."""
    return dict(re.findall(r'<link rel="alternate" type="([^"]+)" href="([^"]+)">', html))


def test_a_browser_gets_the_void_as_a_page(client, fixture_data):
    """Regression: a browser's Accept matches RDF/XML through application/xml, so the
    index's VoID link downloaded a file."""
    response = client.get("/.well-known/void", headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Accept" in response.vary
    html = response.get_data(as_text=True)
    turtle = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    void = rdflib.Graph().parse(data=turtle.data, format="turtle")
    [dataset] = [d for d in void.subjects(VOID.sparqlEndpoint, None)]
    assert f"<h1>{void.value(dataset, DCTERMS.title)}: VoID description</h1>" in html
    assert str(void.value(dataset, DCTERMS.description)) in html
    assert 'href="https://creativecommons.org/licenses/by/4.0/"' in html
    for what in ("triples", "entities", "classes", "properties"):
        count = int(void.value(dataset, VOID[what]))
        assert f'<td class="n" id="count-{what}">{count}</td>' in html, what
    for name, triples in fixture_data.counts.items():  # named graphs with their counts
        assert re.search(rf'href="/graph/{name.rpartition("/")[2]}"[^<]*>[^<]+</a></td>'
                         rf'<td class="n">{triples}</td>', html), name
    assert re.search(r'>ag:State</a></td><td class="n">2</td>', html)  # class partition
    assert re.search(r'>skos:prefLabel</a></td><td class="n">2</td>', html)  # properties
    assert re.search(r'>Wikidata</a>.*>owl:sameAs</a></td><td class="n">1</td>', html)


def test_the_void_page_links_its_rdf(client):
    response = client.get("/.well-known/void", headers={"Accept": BROWSER})
    html = response.get_data(as_text=True)
    links = alternates(html)
    assert set(links) == set(RDF_TYPES)
    for media_type, href in links.items():
        assert f'<a href="{href}" type="{media_type}">' in html  # visible too
        assert f'<{href}>; rel="alternate"; type="{media_type}"' in response.headers["Link"]
        # followed by the same browser, each gives the RDF, not the page again
        document = client.get(href.replace("&amp;", "&"), headers={"Accept": BROWSER})
        assert document.mimetype == media_type, href
        assert list(ox.parse(document.data, ox.RdfFormat.from_media_type(media_type)))


@pytest.mark.parametrize("accept,expected", [
    ("*/*", "text/turtle"),  # curl
    (None, "text/turtle"),
    ("application/rdf+xml", "application/rdf+xml"),
    ("application/xml", "application/rdf+xml"),
    ("text/turtle;q=0.9, text/html;q=0.5", "text/turtle"),
    ("application/ld+json, text/html;q=0.9", "application/ld+json"),
    ("text/html", "text/html"),
])
def test_html_only_when_preferred_to_rdf(client, accept, expected):
    headers = {"Accept": accept} if accept else {}
    assert client.get("/.well-known/void", headers=headers).mimetype == expected


def test_format_parameter_overrides_accept(client):
    assert client.get("/.well-known/void?format=ttl",
                      headers={"Accept": BROWSER}).mimetype == "text/turtle"
    assert client.get("/.well-known/void?format=html").mimetype == "text/html"


# --- service description ------------------------------------------------------------------

def service_description(client, url: str = "/sparql", accept: str = "text/turtle"):
    response = client.get(url, headers={"Accept": accept})
    assert response.status_code == 200
    return response, rdflib.Graph().parse(data=response.data, format="turtle")


def test_service_description(client, fixture_data):
    response, graph = service_description(client)
    assert response.mimetype == "text/turtle"
    # the default public URL (http://<host>:<port>/), not the Host header of the request
    [service] = graph.subjects(SD.endpoint, rdflib.URIRef("http://127.0.0.1:8000/sparql"))
    assert (service, rdflib.RDF.type, SD.Service) in graph
    languages = set(graph.objects(service, SD.supportedLanguage))
    assert languages == {SD.SPARQL11Query, SD.SPARQL11Update}
    formats = {str(f) for f in graph.objects(service, SD.resultFormat)}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_JSON" in formats
    assert "http://www.w3.org/ns/formats/Turtle" in formats
    # no federation: the service refuses SERVICE, so it must not claim it
    assert (service, SD.feature, SD.BasicFederatedQuery) not in graph
    names = {}
    for named in graph.subjects(rdflib.RDF.type, SD.NamedGraph):
        name = graph.value(named, SD.name)
        names[str(name)] = int(graph.value(graph.value(named, SD.graph), VOID.triples))
    assert names == fixture_data.counts


def test_service_description_of_read_only_service(app_settings):
    client = create_app({**app_settings, "write_token": None}).test_client()
    _, graph = service_description(client)
    assert set(graph.objects(None, SD.supportedLanguage)) == {SD.SPARQL11Query}


def test_service_description_406_for_unknown_rdf(client):
    response = client.get("/sparql", headers={"Accept": "image/png"})
    assert response.status_code == 406


def test_service_description_in_json_ld(client):
    response = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert response.status_code == 200
    assert json.loads(response.data)
    triples = list(ox.parse(response.data, ox.RdfFormat.JSON_LD))
    assert any(t.predicate.value == str(SD.endpoint) for t in triples)


def test_token_is_not_in_service_description(client, fixture_data):
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert fixture_data.token.encode() not in response.data


def test_service_description_counts_the_default_graph_as_a_set(client, auth, fixture_data):
    # the same triples in a second graph: the union default graph holds them once
    copy = "http://example.org/copy-of-b"
    put = client.put("/rdf-graph-store", query_string={"graph": copy}, headers=auth,
                     data=fixture_data.turtle[fixture_data.graph_b], content_type="text/turtle")
    assert put.status_code == 201
    _, graph = service_description(client)
    [dataset] = graph.subjects(rdflib.RDF.type, SD.Dataset)
    default = graph.value(dataset, SD.defaultGraph)
    assert int(graph.value(default, VOID.triples)) == sum(fixture_data.counts.values())
