"""The descriptions of service/describe.py: the VoID description at /.well-known/void, over
the real graph (built on first start: every count in it is checked against an independent
SPARQL query of the same server) and over the fixture store, the SPARQL 1.1 Service
Description that /sparql answers when asked for RDF without a query, and the SSSOM mapping
set at /mappings.sssom.tsv."""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import requests
from alliancegraph.links.model import Link, Origin, add_links
from alliancegraph.links.sssom import sssom_text
from alliancegraph.service import create_app
from alliancegraph.store.base import QuadDelta

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
RDFS = rdflib.RDFS
BASE = "https://w3id.org/alliancegraph/"
LINKS = BASE + "graph/links"
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
SKOS = "http://www.w3.org/2004/02/skos/core#"
WIKIDATA = "http://www.wikidata.org/entity/"


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
            built_server, f'SELECT (COUNT(*) AS ?n) {{ GRAPH <{LINKS}> {{ ?s <{predicate}> ?o }}'
                          f' FILTER(isIRI(?o) && STRSTARTS(STR(?o), "{space}")) }}')
        assert (linkset, RDFS.seeAlso, rdflib.URIRef(BASE + "mappings.sssom.tsv")) in void
    targets = {str(void.value(void.value(s, VOID.objectsTarget), DCTERMS.title))
               for s in linksets}
    assert {"Wikidata", "DBpedia"} <= targets


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


def test_a_browser_gets_the_void_as_a_page(client, fixture_data, fixture_store):
    """Regression: a browser's Accept matches RDF/XML through application/xml, so the
    index's VoID link downloaded a file."""
    fixture_store.apply(QuadDelta(added=(link_quad(f"{BASE}id/state/japan", OWL_SAME_AS,
                                                   WIKIDATA + "Q17"),)))
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
    for name, triples in {**fixture_data.counts, LINKS: 1}.items():  # graphs, their counts
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
    # federation: the default allow-list names Wikidata and DBpedia
    assert (service, SD.feature, SD.BasicFederatedQuery) in graph
    remotes = {graph.value(d, VOID.sparqlEndpoint) for d in graph.objects(service, RDFS.seeAlso)}
    assert remotes == {rdflib.URIRef("https://query.wikidata.org/sparql"),
                       rdflib.URIRef("https://dbpedia.org/sparql")}
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


def test_federation_lists_each_allowed_endpoint(app_settings):
    endpoints = ["http://127.0.0.1:9/query", "https://example.org/sparql"]
    client = create_app({**app_settings,
                         "federation_endpoints": " ".join(endpoints)}).test_client()
    _, graph = service_description(client)
    [service] = graph.subjects(rdflib.RDF.type, SD.Service)
    assert (service, SD.feature, SD.BasicFederatedQuery) in graph
    remotes = list(graph.objects(service, RDFS.seeAlso))
    assert sorted(str(graph.value(d, VOID.sparqlEndpoint)) for d in remotes) == sorted(endpoints)
    assert all((d, rdflib.RDF.type, VOID.Dataset) in graph for d in remotes)


def test_no_federation_claimed_without_allowed_endpoints(app_settings):
    """With an empty allow-list every SERVICE is refused: the description must not claim
    federation, nor name any remote endpoint."""
    client = create_app({**app_settings, "federation_endpoints": ""}).test_client()
    _, graph = service_description(client)
    [service] = graph.subjects(rdflib.RDF.type, SD.Service)
    assert (service, SD.feature, SD.BasicFederatedQuery) not in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    assert list(graph.objects(service, RDFS.seeAlso)) == []
    assert list(graph.subjects(VOID.sparqlEndpoint, None)) == []


# --- linksets from the links graph ----------------------------------------------------------

def link_quad(subject: str, predicate: str, target: str, graph: str = LINKS) -> ox.Quad:
    return ox.Quad(ox.NamedNode(subject), ox.NamedNode(predicate), ox.NamedNode(target),
                   ox.NamedNode(graph))


def linksets(client) -> dict[tuple[str, str], int]:
    """(target dataset title, link predicate) -> void:triples of each linkset."""
    response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    void = rdflib.Graph().parse(data=response.data, format="turtle")
    found = {}
    for linkset in void.subjects(rdflib.RDF.type, VOID.Linkset):
        target = void.value(linkset, VOID.objectsTarget)
        key = (str(void.value(target, DCTERMS.title)), str(void.value(linkset,
                                                                     VOID.linkPredicate)))
        assert key not in found
        found[key] = int(void.value(linkset, VOID.triples))
    return found


def test_a_link_written_through_the_store_changes_the_linkset_count(client, fixture_store):
    japan, korea = f"{BASE}id/state/japan", f"{BASE}id/state/south-korea"
    fixture_store.apply(QuadDelta(added=(link_quad(japan, OWL_SAME_AS, WIKIDATA + "Q17"),)))
    assert linksets(client) == {("Wikidata", OWL_SAME_AS): 1}
    fixture_store.apply(QuadDelta(added=(
        link_quad(korea, OWL_SAME_AS, WIKIDATA + "Q884"),
        link_quad(korea, SKOS + "closeMatch", "http://dbpedia.org/resource/South_Korea"),
        link_quad(japan, SKOS + "relatedMatch", "https://sws.geonames.org/1861060/"),
        link_quad(japan, SKOS + "exactMatch", "http://example.org/not-a-link-dataset"))))
    assert linksets(client) == {("Wikidata", OWL_SAME_AS): 2,
                                ("DBpedia", SKOS + "closeMatch"): 1,
                                ("GeoNames", SKOS + "relatedMatch"): 1}
    fixture_store.apply(QuadDelta(removed=(link_quad(japan, OWL_SAME_AS, WIKIDATA + "Q17"),)))
    assert linksets(client)[("Wikidata", OWL_SAME_AS)] == 1


def test_no_links_no_linkset(client):
    """The fixture's owl:sameAs to Wikidata lies in graph test-a, not in the links graph:
    it is no link of ours, so there is no linkset at all (and no target dataset)."""
    assert linksets(client) == {}
    response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    void = rdflib.Graph().parse(data=response.data, format="turtle")
    assert (None, DCTERMS.title, rdflib.Literal("Wikidata")) not in void


def test_linksets_of_a_rebased_service(app_settings, fixture_store):
    base = "http://example.org/ag/"
    fixture_store.apply(QuadDelta(added=(link_quad(
        base + "id/state/japan", OWL_SAME_AS, WIKIDATA + "Q17", base + "graph/links"),)))
    client = create_app({**app_settings, "base_iri": base}).test_client()
    assert linksets(client) == {("Wikidata", OWL_SAME_AS): 1}


# --- SSSOM ------------------------------------------------------------------------------------

def sample_link(subject: str = "state/japan", target: str = "Q17") -> Link:
    return Link(f"{BASE}id/{subject}", OWL_SAME_AS, WIKIDATA + target, Origin.CURATED,
                "https://w3id.org/semapv/vocab/ManualMappingCuration",
                datetime.date(2026, 12, 1), author=f"{BASE}id/agent/curator")


def test_the_sssom_table_is_served(client, fixture_store):
    add_links(fixture_store, [sample_link()], BASE)
    response = client.get("/mappings.sssom.tsv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/tab-separated-values; charset=utf-8"
    assert response.get_data(as_text=True) == sssom_text(fixture_store, BASE)
    rows = [line for line in response.get_data(as_text=True).splitlines()
            if not line.startswith("#")]
    assert len(rows) == 2 and rows[1].startswith("agid:state/japan\tJapan\towl:sameAs\twd:Q17")
    head = client.head("/mappings.sssom.tsv")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == response.headers["ETag"]
    assert int(head.headers["Content-Length"]) == len(response.data)


def test_the_sssom_table_answers_304_until_a_write(client, fixture_store):
    first = client.get("/mappings.sssom.tsv")
    etag = first.headers["ETag"]
    again = client.get("/mappings.sssom.tsv", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    add_links(fixture_store, [sample_link("state/south-korea", "Q884")], BASE)
    changed = client.get("/mappings.sssom.tsv", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert b"agid:state/south-korea" in changed.data and b"agid:state/south-korea" not in first.data


def test_the_void_and_the_index_link_the_sssom_table(client):
    response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    void = rdflib.Graph().parse(data=response.data, format="turtle")
    [dataset] = void.subjects(VOID.sparqlEndpoint, None)
    table = rdflib.URIRef(BASE + "mappings.sssom.tsv")
    assert (dataset, RDFS.seeAlso, table) in void
    assert (table, DCTERMS.conformsTo, rdflib.URIRef("https://w3id.org/sssom/")) in void
    assert table not in set(void.objects(dataset, VOID.dataDump))  # no RDF dump
    # the IRI resolves on the service: its path after the base
    assert client.get("/" + str(table)[len(BASE):]).status_code == 200
    index = client.get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'href="/mappings.sssom.tsv"' in index


@pytest.mark.slow
def test_the_bundled_links_as_sssom_from_the_real_server(built_server, tmp_path):
    """End to end: the built graph's table has one row per link axiom (counted here by an
    independent query), labels from the store, and passes the real `sssom validate`."""
    response = requests.get(built_server.url + "/mappings.sssom.tsv", timeout=60)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/tab-separated-values; charset=utf-8"
    text = response.content.decode("utf-8")
    rows = [line.split("\t") for line in text.splitlines() if not line.startswith("#")][1:]
    axioms = count(built_server, f"""PREFIX owl: <http://www.w3.org/2002/07/owl#>
        SELECT (COUNT(DISTINCT ?a) AS ?n) {{ GRAPH <{LINKS}> {{
        ?a a owl:Axiom ; <{BASE}ontology#linkOrigin> ?origin ; owl:annotatedSource ?s ;
           owl:annotatedProperty ?p ; owl:annotatedTarget ?o . ?s ?p ?o }} }}""")
    assert len(rows) == axioms > 0
    japan = [row for row in rows if row[0] == "agid:state/japan" and row[3] == "wd:Q17"]
    assert japan and japan[0][1] == "Japan"
    path = tmp_path / "served.sssom.tsv"
    path.write_bytes(response.content)
    cli = Path(sys.executable).with_name("sssom")
    validated = subprocess.run([str(cli), "validate", str(path)], capture_output=True,
                               text=True, timeout=300, check=False)
    assert validated.returncode == 0, validated.stderr


def test_linksets_count_past_the_row_limit(client, fixture_store, app_settings):
    """The counts are aggregated by the store: more links than `max_rows` (1000 here) are
    counted, not refused with 413."""
    many = app_settings["max_rows"] + 1
    fixture_store.apply(QuadDelta(added=tuple(
        link_quad(f"{BASE}id/state/s{i}", OWL_SAME_AS, f"{WIKIDATA}Q{i}") for i in range(many))))
    assert linksets(client) == {("Wikidata", OWL_SAME_AS): many}
