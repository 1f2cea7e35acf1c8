"""The VoID description at /.well-known/void, over the real graph (built on first start):
every count in it is checked against an independent SPARQL query of the same server."""

from __future__ import annotations

import pytest
import rdflib
import requests

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
