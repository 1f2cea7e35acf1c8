"""Safe by default, checked on the real server (gunicorn): body limits with and without
Content-Length, entity bombs, the query time limit really stopping the query, no request
leaving the service, no debugger, and no 500 for bad input. With the Flask test client:
federation refusing every SERVICE, LOAD and FROM the setting federation_endpoints does not
allow, with no connection at all; security headers (the CSP of the pages really allowing
their scripts) and the service description's endpoint never taken from the Host header.
The access matrix: every write path against every way of not holding the bearer token, an
update where the protocol does not put one, method overrides, other spellings of the write
paths and read-only mode, the store unchanged after each; path traversal on every route
that takes a path; and no outbound request through any input that names a URL."""

from __future__ import annotations

import gc
import io
import json
import os
import re
import socket
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest
import rdflib
import requests
from alliancegraph.errors import ConfigError
from alliancegraph.service import create_app
from alliancegraph.service.security import public_url

LIMIT = 64 * 1024  # the server fixture's max_body_bytes


def chunks(total: int, size: int = 8192):
    """A body sent with Transfer-Encoding: chunked (a generator has no length)."""
    sent = 0
    while sent < total:
        part = min(size, total - sent)
        sent += part
        yield b"#" * (part - 1) + b"\n"


def test_chunked_body_over_limit_is_413(base_url, fixture_data):
    response = requests.post(base_url + "/sparql", data=chunks(LIMIT + 10_000), timeout=30,
                             headers={"Content-Type": "application/sparql-query"})
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in response.request.headers
    assert response.status_code == 413
    assert "max_body_bytes" in response.json()["message"]


def test_chunked_body_under_limit_is_read(base_url):
    def body():
        yield b"ASK "
        yield b"{ ?s ?p ?o }"

    response = requests.post(base_url + "/sparql", data=body(), timeout=30,
                             headers={"Content-Type": "application/sparql-query",
                                      "Accept": "application/sparql-results+json"})
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == 200
    assert response.json()["boolean"] is True


def _raw_exchange(base_url: str, request: bytes) -> bytes:
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=20) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize("body", [b"zz\r\nabc\r\n0\r\n\r\n",       # a chunk size that is no number
                                  b"5\r\nabc\r\n0\r\n\r\n",        # a chunk shorter than it says
                                  b"3\r\nASKxx\r\n0\r\n\r\n"])     # no CRLF after the chunk
@pytest.mark.parametrize("path", ["/sparql", "/validate"])
def test_a_malformed_chunked_body_is_400_not_500(base_url, body: bytes, path: str):
    content_type = "application/sparql-query" if path == "/sparql" else "text/turtle"
    answer = _raw_exchange(base_url, (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode() + body)
    status = answer.split(b"\r\n", 1)[0]
    assert status.startswith(b"HTTP/1.1 400"), answer[:300]
    assert b"Traceback" not in answer and b"/work/" not in answer


def test_chunked_graph_upload_over_limit_changes_nothing(base_url, fixture_data):
    graph = "http://example.org/chunked"
    response = requests.put(base_url + "/rdf-graph-store", params={"graph": graph},
                            data=chunks(LIMIT * 2), timeout=30,
                            headers={"Content-Type": "text/turtle",
                                     "Authorization": f"Bearer {fixture_data.token}"})
    assert response.status_code == 413
    missing = requests.get(base_url + "/rdf-graph-store", params={"graph": graph}, timeout=30)
    assert missing.status_code == 404


def test_content_length_over_limit_is_413(base_url):
    response = requests.post(base_url + "/sparql", data=b"#" * (LIMIT + 1), timeout=30,
                             headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
 <!ENTITY a "laughlaughlaughlaughlaughlaughlaughlaughlaughlaugh">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"> <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"> <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"> <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;"> <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">
 <!ENTITY j "&i;&i;&i;&i;&i;&i;&i;&i;&i;&i;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/s"><ex:p>&j;</ex:p></rdf:Description>
</rdf:RDF>
"""


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_entity_bomb_is_refused_and_server_lives(base_url, fixture_data, encoding):
    response = requests.put(base_url + "/rdf-graph-store",
                            params={"graph": "http://example.org/bomb"},
                            data=BILLION_LAUGHS.encode(encoding), timeout=30,
                            headers={"Content-Type": "application/rdf+xml",
                                     "Authorization": f"Bearer {fixture_data.token}"})
    assert response.status_code == 400
    assert requests.get(base_url + "/healthz", timeout=5).status_code == 200
    assert requests.get(base_url + "/rdf-graph-store",
                        params={"graph": "http://example.org/bomb"}, timeout=5).status_code == 404


# --- the time limit ------------------------------------------------------------------------

#: A cross product far too large to finish: 6^10 rows of the fixture's triples.
SLOW = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . "
        "?m ?n1 ?o . ?p ?q ?r . ?s ?t ?u . ?v ?w ?x . ?y ?z ?a1 . ?b1 ?c1 ?d1 }")


def test_query_over_time_limit_is_stopped(server, server_tools):
    before = server_tools.server_processes(server.process.pid)
    started = time.monotonic()

    def slow_query() -> tuple[requests.Response, float]:
        answer = requests.get(server.url + "/sparql", params={"query": SLOW}, timeout=60)
        return answer, time.monotonic()

    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(slow_query)
        time.sleep(0.3)
        # meanwhile the other worker answers: one slow query blocks nobody else
        meanwhile = requests.get(server.url + "/sparql", params={"query": "ASK {}"}, timeout=10)
        answered = time.monotonic()
        assert meanwhile.status_code == 200
        response, stopped = slow.result()
    assert answered < stopped
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert "limit" in response.json()["message"]
    assert elapsed < 2 + 5  # query_timeout is 2 s on this server
    # the worker is free again, and the query's process is gone: the pool replaced it by
    # one new reader, so the server has as many processes as before
    quick = requests.get(server.url + "/sparql", params={"query": "ASK {}"}, timeout=10)
    assert quick.status_code == 200
    deadline = time.monotonic() + 5
    while len(server_tools.server_processes(server.process.pid)) != len(before) and \
            time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(server_tools.server_processes(server.process.pid)) == len(before)


# --- nothing leaves the service ---------------------------------------------------------------

@pytest.fixture
def listener():
    """A loopback port that records whether anything connects to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)
    sock.settimeout(0.5)
    yield sock
    sock.close()


def connected(sock: socket.socket) -> bool:
    try:
        connection, _ = sock.accept()
    except TimeoutError:
        return False
    connection.close()
    return True


def test_no_outbound_request_from_queries_updates_or_uploads(base_url, fixture_data, listener):
    target = f"http://127.0.0.1:{listener.getsockname()[1]}/x"
    token = {"Authorization": f"Bearer {fixture_data.token}"}
    attempts = [
        requests.get(base_url + "/sparql", timeout=30, params={
            "query": f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}"}),
        requests.get(base_url + "/sparql", timeout=30, params={
            "query": f"SELECT * FROM <{target}> WHERE {{ ?s ?p ?o }}"}),
        requests.get(base_url + "/sparql", timeout=30, params={
            "query": f"SELECT * FROM NAMED <{target}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"}),
        requests.post(base_url + "/sparql", data={"update": f"LOAD <{target}>"}, headers=token,
                      timeout=30),
        requests.put(base_url + "/rdf-graph-store", params={"graph": "http://example.org/c"},
                     data=f'{{"@context": "{target}", "@id": "http://e.org/a", "n": 1}}',
                     headers={**token, "Content-Type": "application/ld+json"}, timeout=30),
    ]
    assert [r.status_code for r in attempts] == [400] * len(attempts)
    assert not connected(listener)


def test_federation_refuses_what_is_not_allow_listed_with_no_connection(
        app_settings, make_store, fixture_data, external_sparql, canary, tmp_path):
    """The fixture servers are allowed; the canary is not, whatever the spelling."""
    store = fixture_data.load(make_store(**external_sparql.settings()))
    client = create_app({**app_settings, "STORE": store}).test_client()
    token = {"Authorization": f"Bearer {fixture_data.token}"}
    url, allowed = canary.url, external_sparql.wikidata
    secret = tmp_path / "secret.ttl"
    secret.write_text('<http://example.org/s> <http://example.org/p> "c0nfidential" .')
    queries = [
        f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{url}sparql> {{ ?s ?p ?o }} }}",
        f"PREFIX c: <{url}>\nASK {{ SERVICE c:sparql {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ BIND(<{allowed}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE <{allowed}> {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
        f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"SELECT * FROM <{secret.as_uri()}> WHERE {{ ?s ?p ?o }}",
    ]
    updates = [
        f"LOAD <{url}>",
        f"LOAD SILENT <{url}data.ttl> INTO GRAPH <http://example.org/g>",
        f"LOAD <{allowed}/../{url}>",
        f"LOAD <{secret.as_uri()}>",
        f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"INSERT {{ ?s ?p ?o }} USING <{url}> WHERE {{ ?s ?p ?o }}",
    ]
    answers = [client.get("/sparql", query_string={"query": q}) for q in queries]
    answers += [client.post("/sparql", data={"update": u}, headers=token) for u in updates]
    assert [a.status_code for a in answers] == [400] * len(answers)
    assert all("federation_endpoints" in a.get_json()["message"] for a in answers)
    assert not any(b"c0nfidential" in a.data for a in answers)
    time.sleep(0.3)  # the canary accepts in its own thread
    assert canary.connections == 0


def test_no_local_file_is_read(base_url, fixture_data, tmp_path):
    secret = tmp_path / "data.ttl"
    secret.write_text('<http://example.org/s> <http://example.org/p> "c0nfidential" .')
    token = {"Authorization": f"Bearer {fixture_data.token}"}
    query = requests.get(base_url + "/sparql", timeout=30, params={
        "query": f"SELECT * FROM <{secret.as_uri()}> WHERE {{ ?s ?p ?o }}"})
    load = requests.post(base_url + "/sparql", data={"update": f"LOAD <{secret.as_uri()}>"},
                         headers=token, timeout=30)
    assert (query.status_code, load.status_code) == (400, 400)
    assert b"c0nfidential" not in query.content
    leaked = requests.get(base_url + "/sparql", timeout=30, params={
        "query": 'ASK { ?s ?p "c0nfidential" }'}).json()["boolean"]
    assert leaked is False


# --- no debugger, no 500 -------------------------------------------------------------------------

def test_debug_is_never_on(data_dir, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app({"data_dir": str(data_dir), "DEBUG": True})
    assert app.debug is False


def test_no_debugger_on_the_server(base_url):
    response = requests.get(base_url + "/nope", params={"__debugger__": "yes", "cmd": "resource",
                                                        "f": "debugger.js"}, timeout=10)
    assert response.status_code == 404
    assert b"Werkzeug" not in response.content


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("GET", "/sparql?query=%FF%FE", {}),
    ("GET", "/sparql?query=SELECT%20*%20%7B%7D", {"headers": {"Accept": ";;;q=abc, /"}}),
    ("GET", "/sparql?query=" + "(" * 5000, {}),
    ("GET", "/sparql?query=SELECT%20*%20%7B%7D&default-graph-uri=not%20an%20iri", {}),
    ("POST", "/sparql", {"data": b"\xff\xfe\x00", "headers": {
        "Content-Type": "application/sparql-query"}}),
    ("POST", "/sparql", {"data": b"query=%FF", "headers": {
        "Content-Type": "application/x-www-form-urlencoded"}}),
    ("POST", "/sparql", {"data": b"--x\r\n", "headers": {
        "Content-Type": "multipart/form-data; boundary=x"}}),
    ("GET", "/rdf-graph-store?graph=%00", {}),
    ("PUT", "/rdf-graph-store?graph=http://e.org/g", {"data": b"\xff\xfe<", "headers": {
        "Content-Type": "text/turtle"}}),
    ("POST", "/rdf-graph-store?graph=http://e.org/g", {"data": b"--x\r\n", "headers": {
        "Content-Type": "multipart/form-data; boundary=x"}}),
])
def test_bad_input_is_never_500(base_url, fixture_data, method, path, kwargs):
    headers = {"Authorization": f"Bearer {fixture_data.token}", **kwargs.pop("headers", {})}
    response = requests.request(method, base_url + path, headers=headers, timeout=30, **kwargs)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])


def test_process_group_helper_sees_the_server(server, server_tools):
    # guards the time-limit test: the helper must find the master and its workers
    assert {server.process.pid} < server_tools.server_processes(server.process.pid)
    assert os.getpgid(server.process.pid) == server.process.pid


# --- security headers (Flask test client) --------------------------------------------------

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
#: a <script> element: its attributes and its text
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
DATA_TYPES = ("application/json", "application/ld+json")


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in
            (part.split() for part in policy.split(";") if part.strip())}


@pytest.mark.parametrize("path", ["/sparql", "/", "/id/state/japan.html", "/no/such/page"])
def test_html_pages_carry_the_security_headers(client, path):
    response = client.get(path, headers={"Accept": BROWSER})
    assert response.mimetype == "text/html"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    csp = csp_directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["connect-src"] == ["'self'"]
    # scripts: same-origin files only, never inline code or eval
    assert csp["script-src"] == ["'self'"]
    page = response.get_data(as_text=True)
    inline = [attrs for attrs, text in SCRIPT.findall(page)
              if "src=" not in attrs and not any(t in attrs for t in DATA_TYPES)]
    assert inline == [], "a page has an inline script the CSP would block"


def test_the_query_ui_loads_only_same_origin_scripts(client):
    response = client.get("/sparql", headers={"Accept": BROWSER})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    external = [m.group(1) for attrs, _ in SCRIPT.findall(page)
                if (m := re.search(r'\bsrc="([^"]*)"', attrs))]
    assert external == ["/static/yasgui/yasgui.min.js", "/static/cytoscape/cytoscape.min.js",
                        "/static/result-views.js", "/static/query-ui.js"]
    for url in external:
        with client.get(url) as script:
            assert script.status_code == 200
    # the UI's own requests go to this origin: its endpoint is a path here
    assert 'id="endpoint">/sparql<' in page


@pytest.mark.parametrize(("path", "status"), [
    ("/healthz", 200), ("/sparql?query=SELECT", 400), ("/static/style.css", 200),
    ("/.well-known/void", 200)])
def test_every_response_is_nosniff_and_no_page(client, path, status):
    with client.get(path) as response:
        assert response.status_code == status
        assert response.mimetype != "text/html"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert csp_directives(response)["default-src"] == ["'none'"]


# --- the public URL (Flask test client) ----------------------------------------------------

SD_ENDPOINT = rdflib.URIRef("http://www.w3.org/ns/sparql-service-description#endpoint")


def sd_endpoints(app) -> set[str]:
    response = app.test_client().get("/sparql", headers={
        "Accept": "text/turtle", "Host": "evil.example",
        "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"})
    assert response.status_code == 200
    graph = rdflib.Graph().parse(data=response.get_data(as_text=True), format="turtle")
    return {str(o) for o in graph.objects(None, SD_ENDPOINT)}


def test_sd_endpoint_is_the_configured_public_url_not_the_host_header(app_settings):
    app = create_app({**app_settings, "public_url": "https://sparql.example.org/ag"})
    assert sd_endpoints(app) == {"https://sparql.example.org/ag/sparql"}


def test_sd_endpoint_defaults_to_the_listening_address(app_settings):
    app = create_app({**app_settings, "public_url": "", "host": "192.0.2.7", "port": 8123})
    assert sd_endpoints(app) == {"http://192.0.2.7:8123/sparql"}


@pytest.mark.parametrize(("settings", "url"), [
    ({"public_url": "https://example.org/ag/"}, "https://example.org/ag/"),
    ({"public_url": "https://example.org"}, "https://example.org/"),
    ({"public_url": "", "host": "::1", "port": 9000}, "http://[::1]:9000/"),
])
def test_public_url_ends_with_a_slash(data_dir, settings, url):
    app = create_app({"data_dir": str(data_dir), "TESTING": True, **settings})
    with app.app_context():
        assert public_url() == url


@pytest.mark.parametrize("value", ["sparql.example.org", "ftp://example.org/",
                                   "https://example.org/?x=1", "https://exa mple.org/"])
def test_a_malformed_public_url_stops_the_app_at_start(data_dir, value):
    with pytest.raises(ConfigError, match="public_url"):
        create_app({"data_dir": str(data_dir), "public_url": value})


# --- who may write: every write path against every way of not holding the token ----------

TOKEN = "test-write-token-5f1c"  # tests/service/conftest.py's write token
TRIPLE = "<urn:x:s> <urn:x:p> <urn:x:o>"
UPDATE = f"INSERT DATA {{ {TRIPLE} }}"
# (method, path, query string, body, content type): every request that stores something
WRITES = [
    ("POST", "/sparql", {}, {"update": UPDATE}, None),
    ("POST", "/sparql", {}, UPDATE, "application/sparql-update"),
    ("PUT", "/rdf-graph-store", {"graph": "urn:x:g"}, f"{TRIPLE} .", "text/turtle"),
    ("POST", "/rdf-graph-store", {"graph": "urn:x:g"}, f"{TRIPLE} .", "text/turtle"),
    ("POST", "/rdf-graph-store", {"default": ""}, f"{TRIPLE} .", "text/turtle"),
    ("DELETE", "/rdf-graph-store", {"default": ""}, None, None),
    ("PUT", "/rdf-graph-store/x/g", {}, f"{TRIPLE} .", "text/turtle"),
    ("POST", "/rdf-graph-store", {}, f"{TRIPLE} <urn:x:g> .", "application/n-quads"),  # bulk
    ("POST", "/rdf-graph-store", {}, f"<urn:x:g> {{ {TRIPLE} }}", "application/trig"),  # bulk
    ("POST", "/validate", {"dry-run": ""}, UPDATE, "application/sparql-update"),
]
NOT_THE_TOKEN = {
    "none": ({}, {}),
    "wrong token": ({"Authorization": "Bearer not-the-token"}, {}),
    "basic scheme": ({"Authorization": f"Basic {TOKEN}"}, {}),
    "token scheme": ({"Authorization": f"Token {TOKEN}"}, {}),
    "bare token": ({"Authorization": TOKEN}, {}),
    "token in the query string": ({}, {"access_token": TOKEN}),
    "token in another header": ({"X-Write-Token": TOKEN, "X-Api-Key": TOKEN}, {}),
}


def every_quad(client) -> list[bytes]:
    """The whole store, default graph and named graphs, one sorted line per quad."""
    query = "SELECT * { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
    response = client.get("/sparql", query_string={"query": query},
                          headers={"Accept": "text/csv"})
    assert response.status_code == 200, response.data
    return sorted(response.data.splitlines()[1:])


def send(client, write, headers=None, extra_args=None, address="192.0.2.1", path=None):
    method, write_path, args, body, content_type = write
    return client.open(path or write_path, method=method, headers=headers or {},
                       query_string={**args, **(extra_args or {})}, data=body,
                       content_type=content_type, environ_base={"REMOTE_ADDR": address})


@pytest.mark.parametrize("credentials", NOT_THE_TOKEN, ids=list(NOT_THE_TOKEN))
def test_no_write_path_takes_anything_but_the_bearer_token(client, credentials):
    headers, args = NOT_THE_TOKEN[credentials]
    before = every_quad(client)
    for n, write in enumerate(WRITES):  # one client address per write: no lock-out here
        response = send(client, write, headers, args, address=f"192.0.2.{n + 1}")
        assert response.status_code == 401, (write, response.status_code, response.data)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert every_quad(client) == before


def test_the_scheme_is_case_insensitive(client):
    """RFC 7235: ``bearer`` is ``Bearer``; the token itself is compared exactly."""
    write = WRITES[1]
    assert send(client, write, {"Authorization": f"bearer {TOKEN}"}).status_code == 204
    refused = send(client, write, {"Authorization": f"Bearer {TOKEN.upper()}"})
    assert refused.status_code == 401


@pytest.mark.parametrize(("method", "args", "body", "content_type"), [
    ("GET", {"query": UPDATE}, None, None),
    ("GET", {"update": UPDATE}, None, None),
    ("POST", {}, {"query": UPDATE}, None),
    ("POST", {}, UPDATE, "application/sparql-query"),
    ("POST", {"update": UPDATE}, None, None),  # an update in the URL of a POST
], ids=["GET query=", "GET update=", "POST query=", "sparql-query body", "POST ?update="])
def test_an_update_is_only_an_update_where_the_protocol_puts_it(client, auth, method, args,
                                                                 body, content_type):
    """Even with the token: the protocol sends an update only as a POST body."""
    before = every_quad(client)
    response = client.open("/sparql", method=method, query_string=args, data=body,
                           content_type=content_type,
                           headers=auth)
    assert 400 <= response.status_code < 500, (response.status_code, response.data)
    assert every_quad(client) == before


@pytest.mark.parametrize("override", ["X-HTTP-Method-Override", "X-HTTP-Method",
                                      "X-Method-Override"])
def test_method_override_headers_change_no_method(client, auth, fixture_data, override):
    before = every_quad(client)
    graph = {"graph": fixture_data.graph_a}
    # a read that asks to be a DELETE stays a read
    read = client.get("/rdf-graph-store", query_string=graph, headers={override: "DELETE"})
    assert read.status_code == 200
    form = client.post("/rdf-graph-store", query_string={**graph, "_method": "DELETE"},
                       headers={override: "DELETE"})
    assert form.status_code == 401
    assert every_quad(client) == before
    # with the token, a POST that asks to be a DELETE is the POST it is (a merge)
    merged = client.post("/rdf-graph-store", query_string=graph, data=f"{TRIPLE} .",
                         content_type="text/turtle",
                         headers={override: "DELETE", **auth})
    assert merged.status_code in (200, 204), merged.data
    assert set(before) < set(every_quad(client))


@pytest.mark.parametrize("path", ["/SPARQL", "/sparql/", "//sparql", "/sparql;x", "/%73parql",
                                  "/sparql%2f", "/rdf-graph-store/", "/Rdf-Graph-Store",
                                  "//rdf-graph-store", "/rdf-graph-store;x", "/%72df-graph-store",
                                  "/rdf-graph-store/%2e%2e/sparql", "/./sparql"])
def test_no_spelling_of_a_write_path_writes_without_the_token(client, path):
    before = every_quad(client)
    for n, write in enumerate(WRITES[:8]):
        kind = "sparql" if write[1] == "/sparql" else "rdf-graph-store"
        if kind not in path.lower().replace("%73", "s").replace("%72", "r"):
            continue
        response = send(client, write, address=f"192.0.2.{n + 1}", path=path)
        assert response.status_code in (301, 302, 307, 308, 400, 401, 404, 405), (
            path, write, response.status_code)
    assert every_quad(client) == before


def test_read_only_refuses_every_write_even_with_the_token(app_settings, auth):
    client = create_app({**app_settings, "read_only": True}).test_client()
    before = every_quad(client)
    for write in WRITES:
        response = send(client, write, auth)
        assert response.status_code == 403, (write, response.status_code)
    assert every_quad(client) == before


def test_with_the_token_every_write_path_is_served(client, auth, tmp_path, monkeypatch):
    """The control of the matrix above: each of those requests is a write that works."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the bulk loads' staging
    for write in WRITES:
        response = send(client, write, auth)
        assert response.status_code in (200, 201, 204), (write, response.data)


# --- no file outside the served folders: traversal on every route that takes a path -----

TRAVERSALS = ["../../pyproject.toml", "..%2f..%2fpyproject.toml", "%2e%2e/%2e%2e/pyproject.toml",
              "%2e%2e%2f%2e%2e%2fpyproject.toml", "%252e%252e%252fpyproject.toml",
              "..\\..\\pyproject.toml", "..%5c..%5cpyproject.toml", "/etc/passwd",
              "%2fetc%2fpasswd", "....//....//etc/passwd", "..%00/pyproject.toml",
              "query-ui.js%00.html", "../config.py", "..%2fconfig.py"]
PATH_ROUTES = ["/static/", "/dumps/", "/ontology/", "/id/", "/graph/", "/scheme/",
               "/rdf-graph-store/", "/shapes."]


@pytest.mark.parametrize("route", PATH_ROUTES)
def test_no_path_reads_a_file_outside_its_folder(base_url, route):
    """Sent raw (a client would normalise ``..``), as an attacker sends them."""
    for attempt in TRAVERSALS:
        raw = (f"GET {route}{attempt} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = _raw_exchange(base_url, raw.encode())
        status = int(answer.split(b" ", 2)[1])
        if status == 308:  # "//" merged into "/" (werkzeug): still inside the route
            location = re.search(rb"\r\nLocation: (\S+)", answer)[1].decode()
            assert urllib.parse.urlsplit(location).path.startswith(route), location
            continue
        assert status in (400, 404, 406), (route, attempt, answer[:300])
        for secret in (b"root:x:0:", b"[project]", b"def setting(", b"[build-system]"):
            assert secret not in answer, (route, attempt)


def test_the_traversal_requests_reach_a_folder_that_serves(base_url):
    """The control: the same raw request for a file that is there is served."""
    raw = b"GET /static/query-ui.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    assert _raw_exchange(base_url, raw).startswith(b"HTTP/1.1 200 ")


# --- no request leaves the service through any input that names a URL --------------------

def outbound_vectors(url: str) -> tuple[list[str], list[dict], list[tuple[str, str]]]:
    """Queries, protocol dataset parameters, and RDF documents (syntax, text) that each
    name ``url`` as something to fetch."""
    queries = [
        f"PREFIX c: <{url}>\nSELECT * FROM c:x WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM<{url}>WHERE{{?s ?p ?o}}",
        f"select * from named <{url}> where {{ graph ?g {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ VALUES ?e {{ <{url}> }} SERVICE ?e {{ ?s ?p ?o }} }}",
        f"ASK {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
    ]
    params = [{"default-graph-uri": url}, {"named-graph-uri": url}]
    context = json.dumps({"@context": {"@import": url, "n": "http://e.org/n"},
                          "@id": "http://e.org/a", "n": 1})
    documents = [
        ("application/ld+json", json.dumps({"@context": url, "@id": "http://e.org/a", "n": 1})),
        ("application/ld+json", context),
        ("text/turtle", f"<http://e.org/o> <http://www.w3.org/2002/07/owl#imports> <{url}> ."),
        ("application/rdf+xml", f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "{url}">'
                                ']>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-'
                                'ns#"><rdf:Description rdf:about="http://e.org/a">&x;'
                                '</rdf:Description></rdf:RDF>'),
    ]
    return queries, params, documents


def shapes_that_fetch(url: str) -> list[str]:
    sh = "@prefix sh: <http://www.w3.org/ns/shacl#> ."
    return [
        f"{sh} <http://e.org/s> a sh:NodeShape ; sh:targetNode <http://e.org/a> ; "
        f"<http://www.w3.org/2002/07/owl#imports> <{url}> .",
        f"{sh} <http://e.org/g> sh:shapesGraph <{url}> . <http://e.org/s> a sh:NodeShape .",
        f"{sh} <http://e.org/s> a sh:NodeShape ; sh:targetNode <http://e.org/a> ; sh:sparql "
        f'[ sh:select "SELECT $this WHERE {{ SERVICE <{url}> {{ $this ?p ?o }} }}" ] .',
    ]


def test_no_outbound_request_through_any_vector(client, auth, canary, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the bulk loads' staging
    queries, params, documents = outbound_vectors(canary.url)
    answers = [client.get("/sparql", query_string={"query": q}) for q in queries]
    answers += [client.get("/sparql", query_string={"query": "ASK {}", **p}) for p in params]
    answers += [client.post("/sparql", headers=auth, query_string=p,
                            data={"update": "INSERT DATA { <urn:x:s> <urn:x:p> 1 }"})
                for p in ({"using-graph-uri": canary.url}, {"using-named-graph-uri": canary.url})]
    for media_type, text in documents:
        answers.append(client.put("/rdf-graph-store", query_string={"graph": "urn:x:c"},
                                  data=text, content_type=media_type, headers=auth))
        answers.append(client.post("/validate", data=text, content_type=media_type))
    answers.append(client.post("/rdf-graph-store", data=f"<urn:x:g> {{ {documents[2][1]} }}",
                               content_type="application/trig", headers=auth))  # bulk
    for shapes in shapes_that_fetch(canary.url):
        answers.append(client.post("/validate", content_type="multipart/form-data", data={
            "data": (io.BytesIO(b"<http://e.org/a> <http://e.org/n> 1 ."), "d.ttl"),
            "shapes": (io.BytesIO(shapes.encode()), "s.ttl")}))
    statuses = [a.status_code for a in answers]
    assert all(s < 500 for s in statuses), statuses
    assert statuses[:len(queries)] == [400] * len(queries)  # refused: it names a fetch
    # the protocol's dataset parameters name graphs of the store: never fetched either
    time.sleep(0.3)  # the canary accepts in its own thread
    assert canary.connections == 0


def test_a_multipart_part_cut_off_by_the_end_of_the_body_leaves_no_file_open(
        client, auth, monkeypatch):
    """Found by bench/fuzz.py: werkzeug left the cut part's temporary file open."""
    unclosed: list = []
    monkeypatch.setattr(sys, "unraisablehook", unclosed.append)
    body = (b'--b0\r\nContent-Disposition: form-data; name="data"; filename="d.ttl"\r\n'
            b"Content-Type: text/turtle\r\n\r\n<urn:x:s> <urn:x:p> 1 .\r\n--b0\r\n"
            b'Content-Disposition: form-data; name="x"; filename="e.ttl"\r\n\r\n<urn:x')
    for path in ("/validate", "/rdf-graph-store"):
        response = client.post(path, query_string={"graph": "urn:x:g"}, data=body,
                               content_type="multipart/form-data; boundary=b0", headers=auth)
        assert 400 <= response.status_code < 500, response.data
        gc.collect()
    assert not unclosed, [str(u.exc_value) for u in unclosed]
