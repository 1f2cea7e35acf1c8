"""The index page (HTML and JSON, counts from the store), the ontology IRI (303, the
documentation the build wrote, RDF from the ontology graph) and the full dumps."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from alliancegraph.graph.queries import load_examples, prefixes
from alliancegraph.service import create_app
from alliancegraph.service.pages import remove_stale_dump_files
from alliancegraph.store import QuadDelta, Store, open_store
from markupsafe import escape

FIXTURE = Path(__file__).parent / "fixtures" / "linkeddata.trig"
BASE = "https://w3id.org/alliancegraph/"
ONTOLOGY_GRAPH = ox.NamedNode(BASE + "graph/ontology")


def fixture_quads() -> list[ox.Quad]:
    return list(ox.parse(FIXTURE.read_bytes(), ox.RdfFormat.TRIG))


def ground(quads) -> set[tuple]:
    """Quads without blank nodes, as tuples (blank node labels differ between documents)."""
    return {(q.subject, q.predicate, q.object, getattr(q, "graph_name", None)) for q in quads
            if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)}


def loaded(store: Store, quads: list[ox.Quad]) -> Store:
    store.apply(QuadDelta(added=tuple(quads)))
    return store


@pytest.fixture(scope="module")
def pages_store(tmp_path_factory: pytest.TempPathFactory, fixture_data):
    store = open_store(fixture_data.settings(tmp_path_factory.mktemp("pages") / "data",
                                             store="memory", max_rows=10_000))
    yield loaded(store, fixture_quads())
    store.close()


@pytest.fixture(scope="module")
def pages_client(pages_store: Store, tmp_path_factory: pytest.TempPathFactory):
    app = create_app({"data_dir": str(tmp_path_factory.mktemp("pages-app") / "data"),
                      "query_timeout": 10.0, "TESTING": True, "STORE": pages_store})
    return app.test_client()


# --- index ----------------------------------------------------------------------------

def test_index_json_counts_match_the_store(pages_client, pages_store) -> None:
    response = pages_client.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    data = response.get_json()
    assert data["quads"] == pages_store.count() == len(fixture_quads())
    assert set(data["graphs"]) == set(pages_store.graph_names())
    for graph, triples in data["graphs"].items():
        assert triples == pages_store.count(graph)
    assert data["counts"]["evidence nodes"] == 2


def test_index_json_lists_entry_points(pages_client) -> None:
    data = pages_client.get("/?format=json").get_json()
    entries = {kind: {e["iri"]: e["label"] for e in items}
               for kind, items in data["entry_points"].items()}
    assert entries["states"] == {BASE + "id/state/japan": "Japan",
                                 BASE + "id/state/north-korea": "North Korea"}
    assert entries["threats"] == {BASE + "id/threat/north-korea-missiles":
                                  "North Korean missiles"}
    # an ag:Alliance is an agreement through rdfs:subClassOf
    assert entries["agreements"] == {BASE + "id/agreement/us-japan-alliance":
                                     "US-Japan alliance"}
    assert list(entries["papers"]) == [BASE + "id/paper-b"]
    assert [e["title"] for e in data["examples"]] == [e.title for e in load_examples()]
    assert {d["name"] for d in data["dumps"]} == {
        "alliancegraph.ttl", "alliancegraph.trig", "alliancegraph.nq", "alliancegraph.nq.gz"}


def test_index_html_for_browsers(pages_client, pages_store) -> None:
    response = pages_client.get("/", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert f'<td class="n" id="count-quads">{pages_store.count()}</td>' in page
    assert '<a href="/id/state/japan">Japan</a>' in page
    assert '<a href="/id/paper-b">The Changing Security Environment' in page
    for target in ("/sparql", "/.well-known/void", "/ontology", "/shapes",
                   "/dumps/alliancegraph.nq.gz", "/openapi.json"):
        assert f'href="{target}"' in page
    examples = load_examples()
    assert examples, "the package ships example queries"
    for example in examples:
        assert str(escape(example.title)) in page
    assert 'rel="alternate"' in response.headers["Link"]


def test_index_refuses_what_it_cannot_write(pages_client) -> None:
    assert pages_client.get("/", headers={"Accept": "text/turtle"}).status_code == 406
    assert pages_client.get("/?format=nonsense").status_code == 406
    # one rule for every negotiation: a format the page does not offer is passed over for
    # the Accept header (SPARQLWrapper sends format=xml with every request)
    assert pages_client.get("/?format=csv", headers={"Accept": "text/csv"}).status_code == 406
    assert pages_client.get("/?format=csv").mimetype == "text/html"


# --- dumps ----------------------------------------------------------------------------

DUMP_TYPES = {"alliancegraph.ttl": "text/turtle", "alliancegraph.trig": "application/trig",
              "alliancegraph.nq": "application/n-quads", "alliancegraph.nq.gz": "application/gzip"}


def fetch(client, path: str, method: str = "GET", **options):
    """A response read to its end and closed: a dump is a file the response holds open."""
    return client.open(path, method=method, buffered=True, **options)


def test_dumps_hold_the_whole_store(pages_client) -> None:
    expected = fixture_quads()
    trig = fetch(pages_client, "/dumps/alliancegraph.trig")
    assert trig.status_code == 200 and trig.mimetype == "application/trig"
    nquads = fetch(pages_client, "/dumps/alliancegraph.nq")
    assert nquads.mimetype == "application/n-quads"
    for body, fmt in ((trig.get_data(), ox.RdfFormat.TRIG),
                      (nquads.get_data(), ox.RdfFormat.N_QUADS)):
        quads = list(ox.parse(body, fmt))
        assert len(quads) == len(expected)
        assert ground(quads) == ground(expected)
    turtle = fetch(pages_client, "/dumps/alliancegraph.ttl")
    assert turtle.mimetype == "text/turtle"
    triples = list(ox.parse(turtle.get_data(), ox.RdfFormat.TURTLE))
    union = {(q.subject, q.predicate, q.object) for q in expected
             if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)}
    assert {(t.subject, t.predicate, t.object) for t in triples
            if not isinstance(t.subject, ox.BlankNode)
            and not isinstance(t.object, ox.BlankNode)} == union


def test_gzip_dump_gunzips_to_the_nquads_dump(pages_client) -> None:
    response = fetch(pages_client, "/dumps/alliancegraph.nq.gz")
    assert response.status_code == 200
    assert response.mimetype == "application/gzip"
    assert "Content-Encoding" not in response.headers  # a .gz file, not a transfer coding
    assert response.headers["Content-Disposition"] == \
        "attachment; filename=alliancegraph.nq.gz"
    unzipped = gzip.decompress(response.get_data())
    quads = list(ox.parse(unzipped, ox.RdfFormat.N_QUADS))
    assert ground(quads) == ground(fixture_quads())


@pytest.mark.parametrize(("name", "media_type"), sorted(DUMP_TYPES.items()))
def test_head_and_get_of_a_dump_agree_on_its_length_and_validators(
        pages_client, name: str, media_type: str) -> None:
    head = fetch(pages_client, f"/dumps/{name}", "HEAD")
    get = fetch(pages_client, f"/dumps/{name}")
    assert head.status_code == get.status_code == 200
    assert head.mimetype == get.mimetype == media_type
    assert head.get_data() == b""
    body = get.get_data()
    assert int(head.headers["Content-Length"]) == int(get.headers["Content-Length"]) \
        == len(body) > 0
    for header in ("ETag", "Last-Modified", "Accept-Ranges"):
        assert head.headers[header] == get.headers[header]
    assert get.headers["Accept-Ranges"] == "bytes"


def test_a_dump_answers_conditional_and_range_requests(pages_client) -> None:
    path = "/dumps/alliancegraph.nq"
    first = fetch(pages_client, path)
    body, etag = first.get_data(), first.headers["ETag"]
    for validator in ({"If-None-Match": etag},
                      {"If-Modified-Since": first.headers["Last-Modified"]}):
        again = fetch(pages_client, path, headers=validator)
        assert again.status_code == 304 and again.get_data() == b""
    part = fetch(pages_client, path, headers={"Range": "bytes=10-99"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 10-99/{len(body)}"
    assert part.get_data() == body[10:100]
    # resuming: the rest, while the file is still the one the client began
    rest = fetch(pages_client, path, headers={"Range": "bytes=100-", "If-Range": etag})
    assert rest.status_code == 206 and part.get_data() + rest.get_data() == body[10:]
    changed = fetch(pages_client, path, headers={"Range": "bytes=100-", "If-Range": '"old"'})
    assert changed.status_code == 200 and changed.get_data() == body


def test_a_write_changes_the_dump_and_its_etag(client, auth, fixture_data, data_dir) -> None:
    path = "/dumps/alliancegraph.nq"
    before = fetch(client, path)
    etag = before.get_etag()[0]
    assert etag and fetch(client, path, headers={"If-None-Match": f'"{etag}"'}).status_code == 304
    # as many triples as the graph held: the state differs, the quad count does not
    written = client.put("/rdf-graph-store", query_string={"graph": fixture_data.graph_b},
                         data="<urn:ex:s> <urn:ex:p> 'one', 'two' .", headers=auth,
                         content_type="text/turtle")
    assert written.status_code == 204
    after = fetch(client, path, headers={"If-None-Match": f'"{etag}"'})
    assert after.status_code == 200
    assert after.get_etag()[0] != etag
    assert b"<urn:ex:s>" in after.get_data() and b"<urn:ex:s>" not in before.get_data()
    # the earlier state's file is gone: one file per dump
    assert [f.name for f in (data_dir / "dumps").iterdir()] == \
        [f"{after.get_etag()[0]}-alliancegraph.nq"]


def test_every_write_makes_a_new_dump_even_one_that_restores_the_data(client, auth) -> None:
    """The dump is keyed on the store generation, not on what a count or a clock says."""
    path = "/dumps/alliancegraph.nq"
    before = fetch(client, path)
    for update in ("INSERT DATA { <urn:ex:s> <urn:ex:p> 1 }",
                   "DELETE DATA { <urn:ex:s> <urn:ex:p> 1 }"):
        assert client.post("/sparql", data={"update": update}, headers=auth).status_code == 204
    after = fetch(client, path, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert after.get_data() == before.get_data()


def test_dumps_left_half_written_are_removed_at_start(tmp_path: Path) -> None:
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    finished = dumps / "0123abcd-alliancegraph.nq"
    finished.write_text("<urn:a> <urn:b> <urn:c> .\n")
    crashed = [dumps / ".alliancegraph.nq-k2j4x8", dumps / ".alliancegraph.nq.gz-p0q1"]
    for path in crashed:
        path.write_bytes(b"half")
    assert remove_stale_dump_files(tmp_path) == sorted(crashed)
    assert list(dumps.iterdir()) == [finished]
    assert remove_stale_dump_files(tmp_path / "never-served") == []


def test_unknown_dump_is_404(pages_client) -> None:
    assert pages_client.get("/dumps/alliancegraph.csv").status_code == 404


def test_void_lists_the_dump_urls_and_they_resolve(pages_client) -> None:
    void = pages_client.get("/.well-known/void", headers={"Accept": "application/n-triples"})
    assert void.status_code == 200
    dumps = [t.object.value for t in ox.parse(void.get_data(), ox.RdfFormat.N_TRIPLES)
             if t.predicate.value == "http://rdfs.org/ns/void#dataDump"]
    assert len(dumps) == 4
    for iri in dumps:
        assert iri.startswith(BASE)
        assert fetch(pages_client, "/" + iri[len(BASE):]).status_code == 200


# --- the JSON-LD context --------------------------------------------------------------

def test_the_json_ld_context_is_published_and_cacheable(pages_client) -> None:
    response = pages_client.get("/context.jsonld", headers={"Origin": "https://else.example"})
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.cache_control.public and response.cache_control.max_age >= 3600
    context = response.get_json()["@context"]
    assert {k: v for k, v in context.items() if isinstance(v, str)} == prefixes(BASE)
    assert context["label"] == {"@id": "http://www.w3.org/2004/02/skos/core#prefLabel",
                                "@container": "@language"}
    again = pages_client.get("/context.jsonld", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


# --- the ontology ---------------------------------------------------------------------

@pytest.mark.parametrize(("accept", "location"), [
    ("text/html", "/ontology.html"), ("text/turtle", "/ontology.ttl"),
    ("application/rdf+xml", "/ontology.rdf"), ("application/ld+json", "/ontology.jsonld"),
    ("application/n-triples", "/ontology.nt"),
])
def test_ontology_iri_answers_303(pages_client, accept: str, location: str) -> None:
    response = pages_client.get("/ontology", headers={"Accept": accept})
    assert response.status_code == 303
    assert response.headers["Location"] == location


@pytest.mark.parametrize(("suffix", "fmt"), [
    ("ttl", ox.RdfFormat.TURTLE), ("nt", ox.RdfFormat.N_TRIPLES),
    ("rdf", ox.RdfFormat.RDF_XML), ("jsonld", ox.RdfFormat.JSON_LD),
])
def test_ontology_in_every_rdf_syntax_is_the_ontology_graph(pages_client, suffix: str,
                                                            fmt: ox.RdfFormat) -> None:
    response = pages_client.get(f"/ontology.{suffix}")
    assert response.status_code == 200
    body = response.get_data()
    if fmt is ox.RdfFormat.JSON_LD:  # the context it names, given inline: nothing fetched
        document = json.loads(body)
        assert document["@context"] == BASE + "context.jsonld"
        document["@context"] = pages_client.get("/context.jsonld").get_json()["@context"]
        body = json.dumps(document).encode()
    triples = {(t.subject, t.predicate, t.object) for t in ox.parse(body, fmt)}
    expected = {(q.subject, q.predicate, q.object) for q in fixture_quads()
                if q.graph_name == ONTOLOGY_GRAPH}
    assert triples == expected
    assert 'rel="alternate"; type="text/html"' in response.headers["Link"]


def test_ontology_docs_are_served_from_the_data_dir(tmp_path: Path, pages_store) -> None:
    docs = tmp_path / "release" / "ontology"
    docs.mkdir(parents=True)
    (docs / "index.html").write_text('<html><head><style>p {}</style></head><body class="x">'
                                     "built docs 42</body></html>")
    # a store is needed for the app; the docs come from the folder beside it
    app = create_app({"data_dir": str(tmp_path), "TESTING": True, "STORE": pages_store})
    response = app.test_client().get("/ontology.html")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    # in the site's layout: its stylesheet, header (navigation) and footer around the docs
    assert re.search(r'<style>p \{\}</style><link rel="stylesheet" href="/static/style.css'
                     r'[^"]*">\s*</head>', html)
    assert re.search(r'<body class="x">\s*<header class="site">', html)
    assert re.search(r'<header class="site">.*href="/validate">Validate</a>.*</header>\s*'
                     r'<main id="main" class="docs">built docs 42</main>\s*<footer class="site">'
                     r'.*</footer>\s*</body>', html,
                     re.DOTALL)


def test_missing_ontology_docs_are_a_503_saying_to_build(tmp_path: Path, pages_store) -> None:
    """The service never runs pyLODE: without the build's documentation, a clear 503."""
    app = create_app({"data_dir": str(tmp_path), "TESTING": True, "STORE": pages_store})
    response = app.test_client().get("/ontology.html", headers={"Accept": "application/json"})
    assert response.status_code == 503
    message = response.get_json()["message"]
    assert "alliancegraph build" in message and str(tmp_path) not in message
    assert not (tmp_path / "release").exists()


def test_unknown_ontology_suffix_is_404(pages_client) -> None:
    assert pages_client.get("/ontology.pdf").status_code == 404


# --- a real server --------------------------------------------------------------------

def test_real_server_index_and_gzip_dump(start_server, pages_store, fixture_data,
                                         tmp_path: Path) -> None:
    store = open_store(fixture_data.settings(tmp_path / "data", store="embedded"))
    try:
        loaded(store, fixture_quads())
    finally:
        store.close()
    server = start_server(tmp_path / "data", query_timeout=10)
    index = requests.get(server.url + "/", headers={"Accept": "application/json"}, timeout=30)
    assert index.status_code == 200
    assert index.json()["quads"] == pages_store.count()
    dump = requests.get(server.url + "/dumps/alliancegraph.nq.gz", timeout=30)
    assert dump.status_code == 200
    assert dump.headers["Content-Type"] == "application/gzip"
    quads = list(ox.parse(gzip.decompress(dump.content), ox.RdfFormat.N_QUADS))
    assert len(quads) == len(fixture_quads())
    head = requests.head(server.url + "/dumps/alliancegraph.nq.gz", timeout=30)
    assert int(head.headers["Content-Length"]) == len(dump.content)
    assert head.headers["ETag"] == dump.headers["ETag"]
    page = requests.get(server.url + "/", headers={"Accept": "text/html"}, timeout=30)
    assert page.headers["Content-Type"].startswith("text/html")
    json.dumps(index.json())  # the JSON answer is plain JSON


def test_ontology_version_iri_resolves_while_it_is_the_stored_version(tmp_path: Path,
                                                                      make_store) -> None:
    data = (FIXTURE.read_text(encoding="utf-8") + f"""
<{BASE}graph/ontology> {{ <{BASE}ontology> owl:versionIRI <{BASE}ontology/0.1.0> . }}
""").encode()
    store = loaded(make_store(), list(ox.parse(data, ox.RdfFormat.TRIG)))
    client = create_app({"data_dir": str(tmp_path / "data"), "TESTING": True,
                         "STORE": store}).test_client()
    response = client.get("/ontology/0.1.0", headers={"Accept": "text/turtle"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/ontology.ttl"
    assert client.get("/ontology/0.0.9", headers={"Accept": "text/turtle"}).status_code == 404
