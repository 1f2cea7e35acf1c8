"""The Graph Store HTTP Protocol at /rdf-graph-store: status codes, syntaxes in and out,
multipart POST, graph creation, the write token, and writes that fail changing nothing."""

from __future__ import annotations

import io
import tempfile

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

GSP = "/rdf-graph-store"
NEW = "http://example.org/graphs/new"
PERSON = """@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<http://example.org/person/1> a foaf:Person ; foaf:name "Jane Doe" .
"""


def graph_of(response, media_type: str = "text/turtle") -> rdflib.Graph:
    """The body as an rdflib graph (read by pyoxigraph, re-read as N-Triples)."""
    triples = ox.parse(response.data, ox.RdfFormat.from_media_type(media_type))
    text = ox.serialize([q.triple for q in triples], format=ox.RdfFormat.N_TRIPLES)
    return rdflib.Graph().parse(data=text, format="nt")


def put(client, auth, graph: str, data, content_type: str = "text/turtle"):
    return client.put(GSP, query_string={"graph": graph}, data=data,
                      content_type=content_type, headers=auth)


def test_get_named_graph(client, fixture_data):
    response = client.get(GSP, query_string={"graph": fixture_data.graph_a},
                          headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"
    expected = rdflib.Graph().parse(data=fixture_data.turtle[fixture_data.graph_a],
                                    format="turtle")
    assert isomorphic(graph_of(response), expected)


def test_get_default_graph_is_empty_here(client):
    # the fixture puts everything in named graphs; the real default graph is empty
    response = client.get(GSP + "?default", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    assert response.data.strip() == b""


@pytest.mark.parametrize("media_type", ["text/turtle", "application/n-triples",
                                        "application/ld+json", "application/rdf+xml"])
def test_get_in_every_syntax(client, fixture_data, media_type):
    response = client.get(GSP, query_string={"graph": fixture_data.graph_b},
                          headers={"Accept": media_type})
    assert response.mimetype == media_type
    assert len(graph_of(response, media_type)) == fixture_data.counts[fixture_data.graph_b]


def test_head_has_headers_and_no_body(client, fixture_data):
    response = client.head(GSP, query_string={"graph": fixture_data.graph_a},
                           headers={"Accept": "text/turtle; charset=utf-8"})
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"
    assert response.data == b""


@pytest.mark.parametrize("method", ["get", "head", "delete"])
def test_missing_graph_is_404(client, auth, method):
    response = getattr(client, method)(GSP, query_string={"graph": "http://example.org/none"},
                                       headers=auth)
    assert response.status_code == 404


def test_unacceptable_is_406(client, fixture_data):
    response = client.get(GSP, query_string={"graph": fixture_data.graph_a},
                          headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 406


@pytest.mark.parametrize("query_string", ["", "default&graph=http%3A%2F%2Fx%2Fy",
                                          "graph=not%20an%20iri", "graph=http://a/&graph=http://b/"])
def test_bad_graph_identification_is_400(client, query_string):
    response = client.get(f"{GSP}?{query_string}")
    assert response.status_code == 400
    assert response.get_json()["message"]


def test_put_creates_then_replaces(client, auth):
    assert put(client, auth, NEW, PERSON).status_code == 201
    replacement = '<http://example.org/person/1> <http://xmlns.com/foaf/0.1/name> "Jane" .'
    assert put(client, auth, NEW, replacement, "application/n-triples").status_code == 204
    graph = graph_of(client.get(GSP, query_string={"graph": NEW}))
    assert len(graph) == 1  # replaced, not merged
    assert (None, None, rdflib.Literal("Jane")) in graph


def test_post_merges_and_reports_creation(client, auth):
    first = client.post(GSP, query_string={"graph": NEW}, data=PERSON,
                        content_type="text/turtle", headers=auth)
    assert first.status_code == 201
    more = '{"@id": "http://example.org/person/1", "http://xmlns.com/foaf/0.1/age": 40}'
    second = client.post(GSP, query_string={"graph": NEW}, data=more,
                         content_type="application/ld+json", headers=auth)
    assert second.status_code == 204
    assert len(graph_of(client.get(GSP, query_string={"graph": NEW}))) == 3


def test_multipart_post_merges_every_part(client, auth):
    boundary = "b0undary"
    parts = [("family.ttl", "text/turtle",
              '<http://example.org/p> <http://xmlns.com/foaf/0.1/familyName> "Doe" .'),
             ("given.nt", "application/n-triples",
              '<http://example.org/p> <http://xmlns.com/foaf/0.1/givenName> "Jane" .')]
    body = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}"\r\n'
        f"Content-Type: {media_type}\r\n\r\n{text}\r\n" for name, media_type, text in parts)
    body += f"--{boundary}--\r\n"
    response = client.post(GSP, query_string={"graph": NEW}, data=body.encode(), headers=auth,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 201
    graph = graph_of(client.get(GSP, query_string={"graph": NEW}))
    assert {str(o) for o in graph.objects()} == {"Doe", "Jane"}


def test_post_to_the_store_creates_a_graph(client, auth):
    response = client.post(GSP, data=PERSON, content_type="text/turtle", headers=auth)
    assert response.status_code == 201
    location = response.headers["Location"]
    assert location.startswith("https://w3id.org/alliancegraph/graph/")
    fetched = client.get(GSP, query_string={"graph": location})
    assert len(graph_of(fetched)) == 2


def test_delete(client, auth, fixture_data):
    response = client.delete(GSP, query_string={"graph": fixture_data.graph_b}, headers=auth)
    assert response.status_code == 204
    assert client.get(GSP, query_string={"graph": fixture_data.graph_b}).status_code == 404


@pytest.mark.parametrize("content_type", ["text/n3", "application/octet-stream", None])
def test_unknown_syntax_is_415(client, auth, content_type):
    response = client.put(GSP, query_string={"graph": NEW}, data=PERSON, headers=auth,
                          content_type=content_type)
    assert response.status_code == 415
    assert client.get(GSP, query_string={"graph": NEW}).status_code == 404


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
def test_writes_need_the_token(client, fixture_data, headers):
    for method in ("put", "post", "delete"):
        response = getattr(client, method)(GSP, query_string={"graph": fixture_data.graph_a},
                                           data=PERSON, content_type="text/turtle",
                                           headers=headers)
        assert response.status_code == 401
        assert "WWW-Authenticate" in response.headers
    assert client.get(GSP, query_string={"graph": fixture_data.graph_a}).status_code == 200


def unchanged(client, fixture_data) -> bool:
    response = client.get(GSP, query_string={"graph": fixture_data.graph_a})
    expected = rdflib.Graph().parse(data=fixture_data.turtle[fixture_data.graph_a],
                                    format="turtle")
    return isomorphic(graph_of(response), expected)


def test_bad_turtle_put_changes_nothing(client, auth, fixture_data):
    response = put(client, auth, fixture_data.graph_a,
                   "<http://example.org/a> <http://example.org/b> .")
    assert response.status_code == 400
    assert response.get_json()["error"] == "ParseError"
    assert unchanged(client, fixture_data)


def test_bad_part_in_multipart_changes_nothing(client, auth, fixture_data):
    boundary = "xyz"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="a"; filename="a.ttl"\r\n'
            "Content-Type: text/turtle\r\n\r\n<http://example.org/s> <http://example.org/p> 1 .\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="b"; filename="b.ttl"\r\n'
            f"Content-Type: text/turtle\r\n\r\nnot turtle at all\r\n--{boundary}--\r\n")
    response = client.post(GSP, query_string={"graph": fixture_data.graph_a}, headers=auth,
                           data=body.encode(),
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 400
    assert unchanged(client, fixture_data)


def test_jsonld_remote_context_is_not_fetched(client, auth, fixture_data):
    body = ('{"@context": "http://127.0.0.1:9/context.jsonld", '
            '"@id": "http://example.org/x", "name": "x"}')
    response = put(client, auth, fixture_data.graph_a, body, "application/ld+json")
    assert response.status_code == 400
    assert "context" in response.get_json()["message"]
    assert unchanged(client, fixture_data)


def test_rdf_xml_with_doctype_is_refused(client, auth, fixture_data):
    body = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY a "aaaaaaaaaa"> <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/s"><ex:p>&b;</ex:p></rdf:Description>
</rdf:RDF>"""
    response = put(client, auth, fixture_data.graph_a, body, "application/rdf+xml")
    assert response.status_code == 400
    assert "DOCTYPE" in response.get_json()["message"]
    assert unchanged(client, fixture_data)


def test_rdf_xml_without_doctype_is_read(client, auth):
    body = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/s"><ex:p>v</ex:p></rdf:Description>
</rdf:RDF>"""
    assert put(client, auth, NEW, body, "application/rdf+xml").status_code == 201
    response = client.get(GSP, query_string={"graph": NEW},
                          headers={"Accept": "application/n-triples"})
    [triple] = ox.parse(response.data, ox.RdfFormat.N_TRIPLES)
    assert triple.object.value == "v"


def test_named_graphs_in_a_put_body_are_refused(client, auth):
    trig = "<http://example.org/g> { <http://example.org/s> <http://example.org/p> 1 . }"
    response = put(client, auth, NEW, trig, "application/trig")
    assert response.status_code == 400
    assert client.get(GSP, query_string={"graph": NEW}).status_code == 404


def test_cors_on_reads_not_on_writes(client, auth, fixture_data):
    read = client.get(GSP, query_string={"graph": fixture_data.graph_a},
                      headers={"Origin": "https://example.net"})
    assert read.headers["Access-Control-Allow-Origin"] == "*"
    write = put(client, {**auth, "Origin": "https://example.net"}, NEW, PERSON)
    assert write.status_code == 201
    assert "Access-Control-Allow-Origin" not in write.headers


def test_cors_preflight_does_not_allow_writes(client):
    response = client.options(GSP, headers={"Origin": "https://example.net",
                                            "Access-Control-Request-Method": "PUT"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    allowed = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert allowed == {"GET", "HEAD", "POST", "OPTIONS"}
    assert "PUT" not in allowed and "DELETE" not in allowed


def test_rdf_xml_part_with_doctype_is_refused(client, auth, fixture_data):
    boundary = "qq"
    xml = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "x">]>'
           '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>')
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="x"; filename="x.rdf"\r\n'
            f"Content-Type: application/rdf+xml\r\n\r\n{xml}\r\n--{boundary}--\r\n")
    response = client.post(GSP, query_string={"graph": fixture_data.graph_a}, headers=auth,
                           data=body.encode(),
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 400
    assert "DOCTYPE" in response.get_json()["message"]
    assert unchanged(client, fixture_data)


# ---------------------------------------------------------------------- the bulk path

DATASET = """@prefix ex: <http://example.org/> .
ex:s ex:p "default" .
ex:bulk1 { ex:a ex:knows _:shared . }
ex:bulk2 { _:shared ex:name "shared" . }
"""
NQUADS = '<http://example.org/x> <http://example.org/p> "1" <http://example.org/bulk3> .\n'


@pytest.fixture
def staging(tmp_path, monkeypatch):
    """The temporary directory the memory store's staging files go to."""
    where = tmp_path / "staging"
    where.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    return where


def test_a_dataset_post_to_the_store_is_a_bulk_load(client, auth, staging):
    response = client.post(GSP, data=DATASET, content_type="application/trig", headers=auth)
    assert response.status_code == 201, response.data
    report = response.get_json()
    assert report["graphs"] == {"": 1, "http://example.org/bulk1": 1,
                                "http://example.org/bulk2": 1}
    assert report["quads"] == 3 and report["inferred"] >= 0 and not report["validated"]
    one = ox.parse(client.get(GSP, query_string={"graph": "http://example.org/bulk1"}).data,
                   ox.RdfFormat.TURTLE)
    two = ox.parse(client.get(GSP, query_string={"graph": "http://example.org/bulk2"}).data,
                   ox.RdfFormat.TURTLE)
    (knows,), (name,) = list(one), list(two)
    assert knows.object == name.subject  # one blank node across the body's graphs
    assert len(graph_of(client.get(GSP, query_string={"default": ""}))) == 1
    again = client.post(GSP, data=NQUADS, content_type="application/n-quads", headers=auth)
    assert again.status_code == 201 and again.get_json()["graphs"] == {
        "http://example.org/bulk3": 1}
    merged = client.post(GSP, data=NQUADS, content_type="application/n-quads", headers=auth)
    assert merged.status_code == 200  # no graph created: the quads were merged
    assert list(staging.iterdir()) == []  # staging files removed


@pytest.mark.parametrize("chunked", [False, True])
def test_a_bulk_load_over_max_load_bytes_is_413_and_writes_nothing(
        app_settings, auth, staging, chunked):
    from alliancegraph.service import create_app

    client = create_app({**app_settings, "max_load_bytes": 200}).test_client()
    body = NQUADS * 5  # 400 bytes
    options = ({"input_stream": io.BytesIO(body.encode()),
                "headers": {**auth, "Transfer-Encoding": "chunked"},
                # as gunicorn says of a chunked body it has de-chunked
                "environ_overrides": {"wsgi.input_terminated": True}}
               if chunked else {"data": body, "headers": auth})
    response = client.post(GSP, content_type="application/n-quads", **options)
    assert response.status_code == 413
    assert "max_load_bytes" in response.get_json()["message"]
    assert client.get(GSP, query_string={"graph": "http://example.org/bulk3"}).status_code == 404
    assert list(staging.iterdir()) == []


def test_a_bulk_load_that_does_not_parse_is_400_and_writes_nothing(client, auth, staging):
    body = NQUADS + "<http://example.org/x> <http://example.org/p> .\n"
    response = client.post(GSP, data=body, content_type="application/n-quads", headers=auth)
    assert response.status_code == 400
    message = response.get_json()["message"]
    assert "the request body" in message and ":2:" in message
    assert client.get(GSP, query_string={"graph": "http://example.org/bulk3"}).status_code == 404
    assert list(staging.iterdir()) == []


def test_a_bulk_load_needs_the_token(client, fixture_data):
    response = client.post(GSP, data=NQUADS, content_type="application/n-quads")
    assert response.status_code == 401
    assert client.get(GSP, query_string={"graph": "http://example.org/bulk3"}).status_code == 404


def test_a_bulk_load_is_validated_when_validation_on_write_is_on(app_settings, auth,
                                                                 make_store, staging):
    from alliancegraph.service import create_app

    store = make_store(validate_on_write=True)
    client = create_app({**app_settings, "STORE": store}).test_client()
    # an organisation (by inference: a terrorist group is a non-state actor) needs a label
    group = ("<http://example.org/group> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
             "<https://w3id.org/alliancegraph/ontology#TerroristGroup> "
             "<http://example.org/bulk4> .\n")
    response = client.post(GSP, data=group, content_type="application/n-quads", headers=auth)
    assert response.status_code == 422, response.data
    assert store.count() == 0
    label = ('<http://example.org/group> <http://www.w3.org/2000/01/rdf-schema#label> '
             '"A group"@en <http://example.org/bulk4> .\n')
    response = client.post(GSP, data=group + label, content_type="application/n-quads",
                           headers=auth)
    assert response.status_code == 201 and response.get_json()["validated"]
    assert store.count("http://example.org/bulk4") == 2


def test_a_bulk_load_may_be_larger_than_max_body_bytes(client, auth, staging):
    body = "".join(f'<http://example.org/s{i}> <http://example.org/p> "{i}" '
                   f'<http://example.org/bulk5> .\n' for i in range(2000))
    assert len(body) > 64 * 1024  # the app's max_body_bytes
    response = client.post(GSP, data=body, content_type="application/n-quads", headers=auth)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["graphs"] == {"http://example.org/bulk5": 2000}


def test_a_multipart_field_without_a_name_is_a_415_not_a_500(client, auth):
    """Found by bench/fuzz.py: a part with no name= made the error message a TypeError."""
    body = (b"--b0\r\nContent-Disposition: form-data\r\n\r\nplain\r\n--b0--\r\n")
    response = client.post(GSP, query_string={"graph": "urn:x:g"}, data=body, headers=auth,
                           content_type="multipart/form-data; boundary=b0")
    assert response.status_code == 415, response.data
    assert "plain fields: ''" in response.get_json()["message"]
