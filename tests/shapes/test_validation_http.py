"""``POST /validate`` and ``GET /shapes``: bodies in any RDF syntax, multipart uploads,
dry runs of SPARQL updates, negotiated reports."""

from __future__ import annotations

import io
import json

import pyoxigraph as ox
import pytest
from alliancegraph.embedded import EmbeddedStore
from alliancegraph.service import create_app
from alliancegraph.shapes.manifest import example_files
from alliancegraph.shapes.validate import bundled_shapes
from alliancegraph.sources import load_sources
from rdflib import Graph
from rdflib.namespace import SH

TOKEN = "validation-test-token"
BASE = "https://w3id.org/alliancegraph/"
INVALID = {p.name: p for p in example_files("invalid")}
LINKS = INVALID["links.ttl"].read_bytes()


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("store")
    EmbeddedStore(path, query_timeout=60, max_rows=1000, base_iri=BASE).apply(load_sources)
    return path


@pytest.fixture(scope="module")
def client(store_dir):
    app = create_app({"data_dir": str(store_dir), "write_token": TOKEN, "TESTING": True})
    return app.test_client()


def test_turtle_body_gives_a_json_summary_by_default(client):
    response = client.post("/validate", data=LINKS, content_type="text/turtle")
    assert response.status_code == 200 and response.mimetype == "application/json"
    summary = response.get_json()
    assert summary["conforms"] is False and summary["counts"]["Violation"] == 7
    shapes = {row["shape"]: row["count"] for row in summary["shapes"]}
    assert shapes["<https://w3id.org/alliancegraph/shapes#WikidataItemShape>"] == 2


@pytest.mark.parametrize("fmt,media_type", [("nt", "application/n-triples"),
                                            ("xml", "application/rdf+xml"),
                                            ("trig", "application/trig")])
def test_other_syntaxes_by_content_type(client, fmt: str, media_type: str):
    body = Graph().parse(data=LINKS, format="turtle").serialize(format=fmt)
    response = client.post("/validate", data=body, content_type=media_type)
    assert response.get_json()["counts"]["Violation"] == 7


def test_valid_body_conforms(client):
    body = example_files("valid")[0].read_bytes()
    summary = client.post("/validate", data=body, content_type="text/turtle").get_json()
    assert summary["conforms"] is True and summary["results"] == []


def test_report_in_turtle_json_ld_and_html(client):
    turtle = client.post("/validate", data=LINKS, content_type="text/turtle",
                         headers={"Accept": "text/turtle"})
    assert turtle.mimetype == "text/turtle"
    graph = Graph().parse(data=turtle.get_data(as_text=True), format="turtle")
    assert len(list(graph.objects(None, SH.result))) == 8  # 7 violations, 1 info
    jsonld = client.post("/validate", data=LINKS, content_type="text/turtle",
                         headers={"Accept": "application/ld+json"})
    quads = list(ox.parse(jsonld.data, ox.RdfFormat.JSON_LD))
    results = sum(1 for q in quads if q.predicate.value == str(SH.result))
    assert results == 8  # 7 violations, 1 info
    html = client.post("/validate", data=LINKS, content_type="text/turtle",
                       headers={"Accept": "text/html,application/xhtml+xml"})
    assert html.mimetype == "text/html"
    assert "Does not conform" in html.get_data(as_text=True)
    assert "Wikidata links point at items" in html.get_data(as_text=True)


def test_multipart_upload_syntax_by_file_name(client):
    nt = Graph().parse(data=LINKS, format="turtle").serialize(format="nt").encode()
    response = client.post("/validate", content_type="multipart/form-data", data={
        "data": [(io.BytesIO(nt), "links.nt")]})
    assert response.get_json()["counts"]["Violation"] == 7


def test_multipart_with_own_shapes(client):
    shapes = (b"@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
              b"<urn:s> a sh:NodeShape ; sh:targetNode <urn:x> ;"
              b" sh:property [ sh:path <urn:p> ; sh:minCount 1 ] .\n")
    response = client.post("/validate", content_type="multipart/form-data", data={
        "data": (io.BytesIO(b"<urn:x> <urn:q> 1 ."), "data.ttl"),
        "shapes": (io.BytesIO(shapes), "shapes.ttl")})
    summary = response.get_json()
    assert summary["counts"]["Violation"] == 1
    assert summary["results"][0]["focus_node"] == "<urn:x>"


def test_bad_input_is_a_clear_4xx(client):
    bad = client.post("/validate", data=b"<urn:a> <urn:b> ", content_type="text/turtle")
    assert bad.status_code == 400 and "line 1" in bad.get_json()["message"]
    assert client.post("/validate", data=b"x", content_type="text/csv").status_code == 415
    doctype = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "a">]><rdf:RDF '
               b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>')
    assert client.post("/validate", data=doctype,
                       content_type="application/rdf+xml").status_code == 400
    empty_form = client.post("/validate", content_type="multipart/form-data", data={})
    assert empty_form.status_code == 400
    wrong = client.post("/validate?inference=magic", data=LINKS, content_type="text/turtle")
    assert wrong.status_code == 400


DRY_RUN = ("PREFIX ag: <https://w3id.org/alliancegraph/ontology#>\n"
           "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
           f"INSERT DATA {{ GRAPH <{BASE}graph/background> {{ <{BASE}id/state/dryland> "
           "a ag:State ; skos:prefLabel \"Dryland\"@en ; ag:iso3166Alpha2 \"JP\" } }")


def test_dry_run_of_an_update_reports_without_writing(client, store_dir):
    store = EmbeddedStore(store_dir, query_timeout=60, max_rows=1000, base_iri=BASE)
    before = store.count()
    response = client.post("/validate", data=DRY_RUN.encode(),
                           content_type="application/sparql-update",
                           headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    summary = response.get_json()
    assert summary["conforms"] is False
    assert {r["focus_node"] for r in summary["results"]} == {
        f"<{BASE}id/state/dryland>", f"<{BASE}id/state/japan>"}
    assert f"{BASE}id/state/dryland" in json.dumps(summary["checked"])
    assert store.count() == before


def test_dry_run_needs_the_write_token(client):
    response = client.post("/validate", data=DRY_RUN.encode(),
                           content_type="application/sparql-update")
    assert response.status_code == 401


@pytest.mark.parametrize("accept,fmt", [("text/turtle", ox.RdfFormat.TURTLE),
                                        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
                                        ("application/ld+json", ox.RdfFormat.JSON_LD),
                                        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
                                        ("application/trig", ox.RdfFormat.TRIG),
                                        ("application/n-quads", ox.RdfFormat.N_QUADS)])
def test_shapes_in_every_rdf_syntax(client, accept: str, fmt: ox.RdfFormat):
    response = client.get("/shapes", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == fmt.media_type
    triples = {(q.subject, q.predicate, q.object) for q in ox.parse(response.data, fmt)
               if not isinstance(q.subject, ox.BlankNode)
               and not isinstance(q.object, ox.BlankNode)}
    expected = {t for t in bundled_shapes() if not any(type(x).__name__ == "BNode" for x in t)}
    assert len(triples) == len(expected)


def test_shapes_by_suffix_and_406(client):
    assert client.get("/shapes.ttl").mimetype == "text/turtle"
    assert client.get("/shapes.jsonld").mimetype == "application/ld+json"
    assert client.get("/shapes.csv").status_code == 406
    assert client.get("/shapes", headers={"Accept": "image/png"}).status_code == 406


def test_the_app_validates_every_write_by_default(client, store_dir):
    """A SPARQL Update through /sparql that breaks a shape is refused with 422 and the
    report, and the store stays as it was (the app factory wires the shapes' guard)."""
    store = EmbeddedStore(store_dir, query_timeout=60, max_rows=1000, base_iri=BASE)
    before = sorted(b"".join(store.dump(media_type="application/n-quads")).splitlines())
    response = client.post("/sparql", data=DRY_RUN.encode(),
                           content_type="application/sparql-update",
                           headers={"Authorization": f"Bearer {TOKEN}",
                                    "Accept": "application/json"})
    assert response.status_code == 422, response.get_data(as_text=True)
    report = response.get_json()["report"]
    assert report["conforms"] is False
    assert {row["shape"] for row in report["shapes"] if row["severity"] == "Violation"} == {
        "<https://w3id.org/alliancegraph/shapes#UniqueIsoCodeShape>"}
    after = sorted(b"".join(store.dump(media_type="application/n-quads")).splitlines())
    assert after == before


@pytest.mark.parametrize("clause", ["SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o }",
                                    "GRAPH ?g { ?s ?p ?o }"])
def test_uploaded_shapes_cannot_fetch_or_read_files(client, clause: str):
    """SPARQL in uploaded shapes may not call out (SERVICE) or read documents (FROM)."""
    select = (f"SELECT $this WHERE {{ {clause} }}" if clause.startswith("SERVICE")
              else f"SELECT $this FROM <file:///etc/passwd> WHERE {{ {clause} }}")
    shapes = ("@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
              "<urn:s> a sh:NodeShape ; sh:targetNode <urn:x> ;\n"
              f"  sh:sparql [ sh:select \"\"\"{select}\"\"\" ] .\n").encode()
    response = client.post("/validate", content_type="multipart/form-data", data={
        "data": (io.BytesIO(b"<urn:x> <urn:q> 1 ."), "data.ttl"),
        "shapes": (io.BytesIO(shapes), "shapes.ttl")})
    assert response.status_code == 400
    assert "SERVICE or FROM" in response.get_json()["message"]


def _update(client, text: str):
    return client.post("/sparql", data=text.encode(), content_type="application/sparql-update",
                       headers={"Authorization": f"Bearer {TOKEN}",
                                "Accept": "application/json"})


def test_create_graph_with_validation_on_write(client):
    """Regression: rdflib (which computes the guard's delta) cannot evaluate CREATE and
    answered 500; CREATE adds no triple, so Oxigraph decides it."""
    assert _update(client, "CREATE GRAPH <http://example.org/created>").status_code == 204
    again = _update(client, "CREATE GRAPH <http://example.org/created>")
    assert again.status_code == 400
    assert "already exists" in again.get_json()["message"]
    assert _update(client, "DROP GRAPH <http://example.org/created>").status_code == 204


def test_update_syntax_error_names_oxigraph_line_and_column(client):
    """Regression: the guard's rdflib parser used to report line 1, column 1."""
    response = _update(client, 'INSERT DATA {\n<http://ex/a> <http://ex/b> "x" .\n'
                               '<http://ex/a> <http://ex/b> ?? }')
    assert response.status_code == 400
    message = response.get_json()["message"]
    assert message.startswith("3:"), message


def test_an_update_rdflib_cannot_apply_is_400_not_500(client):
    response = _update(client, "DROP GRAPH <http://example.org/never-created>")
    assert response.status_code == 400, response.get_data(as_text=True)
