"""``POST /validate`` and ``GET /shapes``: bodies in any RDF syntax, multipart uploads,
dry runs of SPARQL updates, negotiated reports."""

from __future__ import annotations

import io
import json
import logging
import re

import pyoxigraph as ox
import pytest
from alliancegraph.graph.sources import load_sources
from alliancegraph.service import create_app
from alliancegraph.service.validation import Upload, first_mentions
from alliancegraph.shapes.manifest import example_files
from alliancegraph.shapes.validate import bundled_shapes, parse_rdf_graph
from alliancegraph.store import Store, formats, open_store
from alliancegraph.store.base import QuadDelta
from markupsafe import escape as html_escape
from rdflib import Graph
from rdflib.namespace import SH

TOKEN = "validation-test-token"
BASE = "https://w3id.org/alliancegraph/"
INVALID = {p.name: p for p in example_files("invalid")}
LINKS = INVALID["links.ttl"].read_bytes()


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("store")


@pytest.fixture(scope="module")
def store(store_dir, fixture_data) -> Store:
    """The bundled sources in memory, every write to it validated (as the app's default)."""
    sources = ox.Store()
    load_sources(sources)
    store = open_store(fixture_data.settings(store_dir, store="memory", validate_on_write=True,
                                             query_timeout=60.0, max_rows=1000))
    # the bundled data is loaded as the build does, unvalidated: the suite checks it conforms
    store.backend.apply(QuadDelta(added=tuple(sources)))
    yield store
    store.close()


def app_for(store_dir, store: Store, **settings):
    return create_app({"data_dir": str(store_dir), "TESTING": True, "STORE": store,
                       **settings})


@pytest.fixture(scope="module")
def client(store_dir, store):
    return app_for(store_dir, store, write_token=TOKEN).test_client()


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


def test_get_is_a_form_in_the_site_layout(client):
    page = client.get("/validate")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert 'class="site"' in html and 'enctype="multipart/form-data"' in html
    for field in ('name="text"', 'name="data"', 'name="shapes"', 'name="format"',
                  'name="inference"'):
        assert field in html
    for fmt in formats.READABLE_RDF:  # every syntax that is read can be chosen
        assert f'<option value="{fmt.name}">' in html


HTML_ACCEPT = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.mark.parametrize("fmt", [ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES,
                                 ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML,
                                 ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG])
def test_pasted_text_is_read_in_the_syntax_it_is_written_in(client, fmt):
    triples = ox.parse(LINKS, ox.RdfFormat.TURTLE, base_iri=BASE)
    quads = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode("urn:x:g"))
             for t in triples] if fmt.supports_datasets else triples
    text = ox.serialize(quads, format=fmt).decode()
    form = {"text": text, "format": "detect", "data": (io.BytesIO(b""), "")}  # no file
    summary = client.post("/validate", content_type="multipart/form-data",
                          data=form).get_json()
    assert summary["counts"] == {"Violation": 7, "Warning": 0, "Info": 1}
    page = client.post("/validate", content_type="multipart/form-data", headers=HTML_ACCEPT,
                       data={"text": text, "format": "detect"}).get_data(as_text=True)
    assert "Does not conform" in page and "the pasted text as " in page and "(detected)" in page


def test_the_report_page_shows_each_result_and_where_it_is_written(client):
    page = client.post("/validate", content_type="multipart/form-data", headers=HTML_ACCEPT,
                       data={"data": (io.BytesIO(LINKS), "links.ttl")})
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert 'class="site"' in html  # a page of the site
    summary = client.post("/validate", data=LINKS, content_type="text/turtle").get_json()
    lines = LINKS.decode().splitlines()
    rows = html.split("<tbody>", 1)[1].split("</tr>")
    for result in summary["results"]:
        local = result["focus_node"][1:-1].rpartition("/")[2]
        first = next(n for n, line in enumerate(lines, 1)
                     if re.search(rf"ex:{re.escape(local)}(?![\w:-])", line))
        shown = [row for row in rows if f'title="{result["focus_node"][1:-1]}"' in row
                 and html_escape(result["messages"][0]) in row and result["severity"] in row
                 and f"links.ttl:{first}" in row]  # where the focus node is first written
        assert shown, result
    shape = summary["results"][0]["source_shape"][1:-1]
    assert f'href="/shapes#{shape.rpartition("#")[2]}"' in html  # to the shape's row


def test_an_offending_value_is_shown(client):
    data = (b"@prefix ag: <https://w3id.org/alliancegraph/ontology#> .\n"
            b"<https://example.org/s> a ag:State ; ag:iso3166Alpha2 \"jpn\" .\n")
    summary = client.post("/validate", data=data, content_type="text/turtle").get_json()
    valued = [r for r in summary["results"] if r["value"]]
    assert valued, summary
    page = client.post("/validate", data=data, content_type="text/turtle",
                       headers=HTML_ACCEPT).get_data(as_text=True)
    assert any(r["value"].startswith('"') for r in valued)  # the literal itself
    for result in valued:
        value = result["value"]
        shown = f'title="{value[1:-1]}"' if value.startswith("<") else html_escape(value)
        assert shown in page


def test_a_form_with_nothing_in_it_is_a_clear_400(client):
    response = client.post("/validate", content_type="multipart/form-data",
                           data={"text": "  ", "format": "detect",
                                 "data": (io.BytesIO(b""), "")})
    assert response.status_code == 400
    assert "nothing to validate" in response.get_json()["message"]


def test_first_mentions_find_full_iris_and_prefixed_names():
    text = (b"@prefix ex: <https://example.org/> .\n<https://example.org/a> ex:p ex:bc .\n"
            b"ex:b ex:p 1 .\n")
    upload = Upload(text, ox.RdfFormat.TURTLE, "d.ttl", BASE)
    found = first_mentions([upload], {"<https://example.org/a>", "<https://example.org/b>",
                                      "<https://example.org/p>", "<https://example.org/z>",
                                      "_:b0"})
    assert found == {"<https://example.org/a>": "d.ttl:2", "<https://example.org/p>": "d.ttl:2",
                     "<https://example.org/b>": "d.ttl:3"}  # ex:bc is not ex:b


def test_first_mentions_read_a_bounded_number_of_declarations():
    """A hostile upload declaring the same namespace under thousands of names must not make
    the serving thread build thousands of spellings per focus node."""
    from alliancegraph.service.validation import PREFIXES_READ

    many = "".join(f"@prefix p{i}: <https://example.org/> .\n" for i in range(PREFIXES_READ))
    text = (many + "@prefix late: <https://example.org/> .\n@prefix : <https://example.org/> ."
            "\nlate:a :p :b .\n").encode()
    found = first_mentions([Upload(text, ox.RdfFormat.TURTLE, "d.ttl", BASE)],
                           {"<https://example.org/a>", "<https://example.org/b>"})
    assert found == {}  # late: and : come after the first PREFIXES_READ declarations
    found = first_mentions([Upload(text[len(many):], ox.RdfFormat.TURTLE, "d.ttl", BASE)],
                           {"<https://example.org/a>", "<https://example.org/b>"})
    assert found == {"<https://example.org/a>": "d.ttl:3", "<https://example.org/b>": "d.ttl:3"}


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
    assert bad.status_code == 400 and "the request body:1:17:" in bad.get_json()["message"]
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


N3 = b"@prefix ex: <http://example.org/> .\n{ ?x ex:p ?y } => { ?y ex:q ?x } .\n"


@pytest.mark.parametrize("how", ["body", "file name", "part type", "form field"])
def test_n3_is_refused_with_415_listing_what_is_read(client, how: str):
    if how == "body":
        response = client.post("/validate", data=N3, content_type="text/n3")
    else:
        name, mimetype = ("rules.n3", None) if how == "file name" else ("rules", "text/n3")
        part = {"data": (io.BytesIO(N3), name, mimetype) if mimetype else (io.BytesIO(N3), name)}
        if how == "form field":
            part = {"data": (io.BytesIO(N3), "rules.ttl"), "format": "n3"}
        response = client.post("/validate", content_type="multipart/form-data", data=part)
    assert response.status_code == 415, response.get_data(as_text=True)
    message = response.get_json()["message"]
    assert "N3 is not read" in message
    assert "text/turtle" in message and "application/rdf+xml" in message


def test_a_doctype_in_an_uploaded_part_is_refused(client):
    doctype = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "a">]><rdf:RDF '
               b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>')
    response = client.post("/validate", content_type="multipart/form-data", data={
        "data": (io.BytesIO(doctype), "evil.rdf")})
    assert response.status_code == 400
    assert "DOCTYPE" in response.get_json()["message"]


@pytest.mark.parametrize(("query", "accept", "media_type"), [
    ("", "application/json", "application/json"),
    ("", "*/*", "application/json"),
    ("?format=ttl", "text/html", "text/turtle"),
    ("?format=nt", None, "application/n-triples"),
    ("?format=application/rdf%2Bxml", None, "application/rdf+xml"),
    ("", "application/trig", "application/trig"),
    ("?format=html", "application/json", "text/html"),
    # a browser gets the page; a client naming JSON-LD specifically beats */* for JSON
    ("", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
    ("", "application/ld+json, */*", "application/ld+json"),
])
def test_the_report_is_negotiated_by_the_one_negotiator(client, query, accept, media_type):
    headers = {"Accept": accept} if accept else {}
    response = client.post("/validate" + query, data=LINKS, content_type="text/turtle",
                           headers=headers)
    assert response.status_code == 200 and response.mimetype == media_type
    if media_type not in ("application/json", "text/html"):
        fmt = formats.by_media_type(media_type)
        results = [q for q in ox.parse(response.data, fmt.oxigraph)
                   if q.predicate.value == str(SH.result)]
        assert len(results) == 8  # 7 violations, 1 info


@pytest.mark.parametrize(("query", "accept"), [("?format=pdf", None), ("", "image/png"),
                                               ("", "text/n3")])
def test_a_report_nobody_can_read_is_406(client, query, accept):
    headers = {"Accept": accept} if accept else {}
    response = client.post("/validate" + query, data=LINKS, content_type="text/turtle",
                           headers=headers)
    assert response.status_code == 406
    assert "application/json" in response.get_json()["message"]


def test_the_shapes_carry_an_etag_and_answer_304(client):
    first = client.get("/shapes.ttl")
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get("/shapes.ttl", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/shapes.nt").headers["ETag"] != first.headers["ETag"]


def test_dry_run_of_an_update_reports_without_writing(client, store):
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


def test_the_app_validates_every_write_by_default(client, store):
    """A SPARQL Update through /sparql that breaks a shape is refused with 422 and the
    report, and the store stays as it was."""
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
    assert ("SERVICE" if clause.startswith("SERVICE") else "FROM") in \
        response.get_json()["message"]


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


# ---------------------------------------------------------------------- no outbound access

_SHAPE = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix ex: <http://example.org/> .
"""


def _sparql_shape(select: str) -> str:
    return _SHAPE + ("ex:S a sh:NodeShape ; sh:targetNode ex:x ;\n"
                     f'  sh:sparql [ sh:select """{select}""" ] .\n')


def _outbound_shapes(canary_url: str, local_file: str) -> dict[str, str]:
    """One shapes graph per way of naming a document in the SPARQL of a shape."""
    body = "{ $this ?p ?o }"
    return {
        "FROM <iri>": _sparql_shape(f"SELECT $this FROM <{canary_url}> WHERE {body}"),
        "FROM prefixed name": _sparql_shape(
            f"PREFIX c: <{canary_url}> SELECT $this FROM c:x WHERE {body}"),
        "FROM without whitespace": _sparql_shape(f"SELECT $this FROM<{canary_url}>WHERE{body}"),
        "FROM NAMED": _sparql_shape(
            f"SELECT $this FROM NAMED <{canary_url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"),
        "FROM file": _sparql_shape(f"SELECT $this FROM <{local_file}> WHERE {body}"),
        "SERVICE": _sparql_shape(f"SELECT $this WHERE {{ SERVICE <{canary_url}> {body} }}"),
        "SERVICE SILENT in EXISTS": _sparql_shape(
            f"SELECT $this WHERE {{ FILTER EXISTS {{ SERVICE SILENT <{canary_url}> {body} }} }}"),
        "$shapesGraph with FROM": _sparql_shape(
            f"SELECT $this FROM <{canary_url}> WHERE {{ GRAPH $shapesGraph {{ ?s ?p ?o }} }}"),
        "SPARQL-based target": _SHAPE + (
            "ex:S a sh:NodeShape ; sh:target [ a sh:SPARQLTarget ; sh:select "
            f'"""SELECT ?this FROM <{canary_url}> WHERE {{ ?this ?p ?o }}""" ] ;\n'
            "  sh:property [ sh:path ex:p ; sh:minCount 1 ] .\n"),
        "constraint component": _SHAPE + (
            "ex:C a sh:ConstraintComponent ; sh:parameter [ sh:path ex:flag ] ;\n"
            "  sh:validator [ a sh:SPARQLAskValidator ; sh:ask "
            f'"""ASK FROM <{canary_url}> {{ ?s ?p ?o }}""" ] .\n'
            "ex:S a sh:NodeShape ; sh:targetNode ex:x ; ex:flag true .\n"),
        "LOAD in a rule": _SHAPE + (
            "ex:S a sh:NodeShape ; sh:targetNode ex:x ;\n"
            f'  sh:rule [ a sh:SPARQLRule ; sh:update """LOAD <{canary_url}>""" ] .\n'),
    }


@pytest.mark.parametrize("form", list(_outbound_shapes("http://h/", "file:///f")))
def test_uploaded_shapes_make_no_connection_and_read_no_file(client, canary, local_canary_file,
                                                           form: str):
    """Every spelling of a document in uploaded shapes is refused with 400 before anything
    runs: no connection to a loopback canary, no local file's content in the answer."""
    path, marker = local_canary_file
    shapes = _outbound_shapes(canary.url, path.as_uri())[form]
    response = client.post("/validate", content_type="multipart/form-data", data={
        "data": (io.BytesIO(b"<http://example.org/x> <http://example.org/p> 1 ."), "d.ttl"),
        "shapes": (io.BytesIO(shapes.encode()), "shapes.ttl")})
    text = response.get_data(as_text=True)
    assert response.status_code == 400, text
    assert "refuses" in response.get_json()["message"]
    assert canary.connections == 0
    assert marker not in text and canary.marker not in text


def test_imports_and_shapes_graph_links_are_never_followed(client, canary):
    """owl:imports in the shapes or the data, and sh:shapesGraph in the data, name documents
    that are never fetched: validation runs on what was uploaded."""
    shapes = _SHAPE + (f"<urn:shapes> owl:imports <{canary.url}shapes> .\n"
                       "ex:S a sh:NodeShape ; sh:targetNode ex:x ;\n"
                       "  sh:property [ sh:path ex:p ; sh:minCount 1 ] .\n")
    data = (f"<urn:data> <http://www.w3.org/2002/07/owl#imports> <{canary.url}data> ;\n"
            f"  <http://www.w3.org/ns/shacl#shapesGraph> <{canary.url}sg> .\n"
            "<http://example.org/x> <http://example.org/q> 1 .\n")
    response = client.post("/validate", content_type="multipart/form-data", data={
        "data": (io.BytesIO(data.encode()), "d.ttl"),
        "shapes": (io.BytesIO(shapes.encode()), "shapes.ttl")})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["counts"]["Violation"] == 1  # ex:p is missing: shapes ran
    bundled = client.post("/validate", data=data.encode(), content_type="text/turtle")
    assert bundled.status_code == 200
    assert canary.connections == 0


# ---------------------------------------------------------------------- limits and bad input

@pytest.fixture(scope="module")
def limited_client(store_dir, store):
    return app_for(store_dir, store, query_timeout=2, max_memory_mb=512).test_client()


def _upload(client, data: bytes, shapes: bytes, **extra):
    return client.post("/validate", content_type="multipart/form-data", data={
        "data": (io.BytesIO(data), "d.ttl"), "shapes": (io.BytesIO(shapes), "s.ttl"), **extra})


def test_a_catastrophic_pattern_is_stopped_at_the_time_limit(limited_client):
    shapes = (_SHAPE + 'ex:S a sh:NodeShape ; sh:targetNode ex:x ;\n'
              '  sh:property [ sh:path ex:p ; sh:pattern "^(a+)+$" ] .\n').encode()
    data = b'<http://example.org/x> <http://example.org/p> "' + b"a" * 40 + b'!" .'
    response = _upload(limited_client, data, shapes)
    assert response.status_code == 503, response.get_data(as_text=True)
    assert "limit of 2 s (setting query_timeout)" in response.get_json()["message"]
    ok = limited_client.post("/validate", data=LINKS, content_type="text/turtle")
    assert ok.status_code == 200  # the next request is served at once


def test_inference_over_a_large_upload_is_stopped_at_the_time_limit(limited_client):
    data = "".join(f"<http://example.org/s{i}> <http://www.w3.org/2002/07/owl#sameAs> "
                   f"<http://example.org/s{i + 1}> .\n" for i in range(3000)).encode()
    response = limited_client.post("/validate?inference=owlrl", data=data,
                                   content_type="text/turtle")
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert "setting query_timeout" in response.get_json()["message"]


def test_a_validation_over_the_memory_cap_is_a_503(store_dir, store):
    client = app_for(store_dir, store, max_memory_mb=64).test_client()
    data = "".join(f'<http://example.org/s{i}> <http://example.org/p> "{i}" .\n'
                   for i in range(60_000)).encode()
    response = client.post("/validate", data=data, content_type="text/turtle")
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert "setting max_memory_mb" in response.get_json()["message"]


@pytest.mark.parametrize("body", [
    b"<< <http://a/s> <http://a/p> <http://a/o> >> <http://a/q> <http://a/r> .",
    b"<http://a/s> <http://a/p> << <http://a/s> <http://a/p> <http://a/o> >> ."])
def test_rdf_star_is_a_clear_400(client, body):
    response = client.post("/validate", data=body, content_type="text/turtle")
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "RDF-star" in response.get_json()["message"]


def test_rdf_xml_cut_short_is_a_parse_error_not_an_empty_graph(client):
    body = (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
            b'<rdf:Description rdf:about="http://a/s">')
    response = client.post("/validate", data=body, content_type="application/rdf+xml")
    assert response.status_code == 400
    assert "not well-formed XML" in response.get_json()["message"]


def test_ill_typed_literals_do_not_flood_the_log(caplog):
    """rdflib logs a traceback per ill-typed literal it reads; reading a client's data must
    not (the shapes report such literals; they are not the service's problem)."""
    body = "".join(f'<http://a/s{i}> <http://a/p> "x{i}"^^<http://www.w3.org/2001/XMLSchema#'
                   'integer> .\n' for i in range(200)).encode()
    with caplog.at_level(logging.DEBUG):
        graph = parse_rdf_graph(body, ox.RdfFormat.TURTLE)
    assert len(graph) == 200
    assert not [r for r in caplog.records if r.name.startswith("rdflib")]


# ---------------------------------------------------------------------- writes: never a 500

def test_an_empty_update_is_a_valid_no_op(client):
    for text in ("", "   ", "# only a comment\n", "PREFIX ex: <http://example.org/>"):
        response = _update(client, text)
        assert response.status_code == 204, (text, response.get_data(as_text=True))


def test_a_relative_base_resolves_against_the_endpoint_as_oxigraph_does(client):
    response = _update(client, "BASE <rel/> DELETE DATA { <a> <b> <c> }")
    assert response.status_code == 204, response.get_data(as_text=True)


def test_rdf_star_writes_are_refused_with_400_under_validation(client):
    quoted = "<< <http://a/s> <http://a/p> <http://a/o> >>"
    update = _update(client, f"INSERT DATA {{ {quoted} <http://a/q> <http://a/r> }}")
    assert update.status_code == 400, update.get_data(as_text=True)
    assert "RDF-star" in update.get_json()["message"]
    put = client.put("/rdf-graph-store?graph=http://example.org/star",
                     data=f"{quoted} <http://a/q> <http://a/r> .".encode(),
                     content_type="text/turtle",
                     headers={"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"})
    assert put.status_code == 400, put.get_data(as_text=True)
    assert "RDF-star" in put.get_json()["message"]


def test_the_shapes_are_not_read_at_request_time(store_dir, store, monkeypatch):
    """The app reads the bundled shapes when it is made; a request reads no file."""
    from alliancegraph.shapes import validate as shapes_module

    client = app_for(store_dir, store).test_client()

    def no_files(*args, **kwargs):
        raise AssertionError("a shapes file was read at request time")

    monkeypatch.setattr(shapes_module, "shape_files", no_files)
    page = client.get("/shapes.html")
    assert page.status_code == 200 and "StateShape" in page.get_data(as_text=True)
    assert client.get("/shapes.nt").status_code == 200
    assert client.post("/validate", data=LINKS, content_type="text/turtle").status_code == 200
