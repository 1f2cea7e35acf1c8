"""Federation (store/federation.py): SERVICE and LOAD of allow-listed endpoints evaluated
above the backend, on the memory and the embedded backend and over HTTP.

The remote is :class:`Remote`, a small SPARQL endpoint of this file on loopback (a
pyoxigraph store behind ``http.server``) that can be told what to answer next (an HTTP
status, a delay, a redirect, a body). Every federated answer is compared with the same
query run by pyoxigraph on one store that holds the remote's data in a named graph, the
SERVICE replaced by GRAPH: the semantics SERVICE must have (evaluated on its own, joined
with the rest).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest
from alliancegraph.config import load_settings
from alliancegraph.errors import (
    ConfigError,
    ParseError,
    RemoteServiceError,
    RemoteServiceTimeout,
)
from alliancegraph.service import create_app
from alliancegraph.store import Backend, QuadDelta, open_store
from alliancegraph.store.federation import (
    BNODE_PREFIX,
    Federation,
    inert_text,
    values_block,
)
from alliancegraph.store.policy import PolicyStore
from alliancegraph.store.sparql_guard import Refused, analyse

WD, WDT = "http://www.wikidata.org/entity/", "http://www.wikidata.org/prop/direct/"
EX = "http://example.org/federation/"
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
PREFIX = (f"PREFIX ex: <{EX}>\nPREFIX wd: <{WD}>\nPREFIX wdt: <{WDT}>\n"
          "PREFIX owl: <http://www.w3.org/2002/07/owl#>\n"
          "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n")
REMOTE_GRAPH = "urn:test:remote"


def n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


REMOTE_TRIPLES = [
    (n(WD + "Q17"), n(WDT + "P297"), ox.Literal("JP")),
    (n(WD + "Q17"), n(RDFS_LABEL), ox.Literal("Japan", language="en")),
    (n(WD + "Q17"), n(RDFS_LABEL), ox.Literal("日本", language="ja")),
    (n(WD + "Q884"), n(WDT + "P297"), ox.Literal("KR")),
    (n(WD + "Q884"), n(RDFS_LABEL), ox.Literal("South Korea", language="en")),
    (n(WD + "Q148"), n(RDFS_LABEL), ox.Literal("China", language="en")),
    (n(WD + "Q30"), n(WDT + "P297"), ox.Literal("US")),
]
LOCAL = [
    ox.Quad(n(EX + "japan"), n(OWL_SAME_AS), n(WD + "Q17")),
    ox.Quad(n(EX + "korea"), n(OWL_SAME_AS), n(WD + "Q884")),
    ox.Quad(n(EX + "china"), n(OWL_SAME_AS), n(WD + "Q148")),
    *(ox.Quad(n(EX + s), n("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), n(EX + "State"))
      for s in ("japan", "korea", "china", "atlantis")),
]
DOCUMENT = f"""@prefix ex: <{EX}> .
ex:treaty ex:party ex:japan, ex:korea ; ex:title "Treaty"@en ; ex:note [ ex:text "b" ] .
"""


# ---------------------------------------------------------------------- the remote


Step = Callable[[BaseHTTPRequestHandler], bool]  # True: it answered, else pass through


def status(code: int, body: bytes = b"", content_type: str = "text/plain",
           **headers: str) -> Step:
    def answer(handler: BaseHTTPRequestHandler) -> bool:
        handler.send_response(code)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.end_headers()
        handler.wfile.write(body)
        return True
    return answer


def delay(seconds: float) -> Step:
    def wait(_handler: BaseHTTPRequestHandler) -> bool:
        time.sleep(seconds)
        return False
    return wait


class Remote:
    """A loopback SPARQL endpoint at :attr:`url` over REMOTE_TRIPLES (``POST query=``, or
    GET ``?query=``; GET of ``…/sparql/data.ttl`` is DOCUMENT); :meth:`script` sets what the
    next requests get; :attr:`requests` records (method, path, SPARQL text, headers)."""

    def __init__(self) -> None:
        self.store = ox.Store()
        self.store.extend(ox.Quad(*t) for t in REMOTE_TRIPLES)
        self.steps: list[Step] = []
        self.requests: list[tuple[str, str, str | None, dict[str, str]]] = []
        remote = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                remote.answer(self, parse_qs(parts.query).get("query", [None])[0])

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                remote.answer(self, parse_qs(body.decode()).get("query", [None])[0])

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def script(self, *steps: Step) -> None:
        self.steps = list(steps)

    def answer(self, handler: BaseHTTPRequestHandler, query: str | None) -> None:
        self.requests.append((handler.command, handler.path, query, dict(handler.headers)))
        if self.steps and self.steps.pop(0)(handler):
            return
        if query is None:
            status(200, DOCUMENT.encode(), "text/turtle")(handler)
            return
        status(200, *self.evaluate(query))(handler)

    def evaluate(self, query: str) -> tuple[bytes, str]:
        """The answer's body and media type (pyoxigraph's results never leave this frame:
        they must be dropped by the thread that made them)."""
        result = self.store.query(query)
        if isinstance(result, ox.QueryTriples):
            return result.serialize(format=ox.RdfFormat.TURTLE), "text/turtle"
        return (result.serialize(format=ox.QueryResultsFormat.JSON),
                "application/sparql-results+json")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def remote() -> Iterator[Remote]:
    server = Remote()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def fresh(remote: Remote) -> None:
    remote.script()
    remote.requests.clear()


# ---------------------------------------------------------------------- stores


# the backends: tests/store/conftest.py (``backend``, memory and embedded)


def federated(backend: Backend, remote: Remote, **limits) -> PolicyStore:
    """A store over ``backend`` holding LOCAL only, allowed to call ``remote``."""
    old = tuple(backend.quads(limit=1_000_000))
    if set(old) != set(LOCAL) or backend.graph_names():
        backend.apply(QuadDelta(removed=old, dropped_graphs=tuple(backend.graph_names())))
        backend.apply(QuadDelta(added=tuple(LOCAL)))
    settings = {"endpoints": (remote.url,), "timeout": 5.0, "max_rows": 100} | limits
    return PolicyStore(backend, base_iri=EX, max_rows=1000, query_timeout=30.0,
                       validate_on_write=False, federation=Federation(**settings))


@pytest.fixture
def store(backend: Backend, remote: Remote) -> PolicyStore:
    return federated(backend, remote)


def oracle(query: str, remote: Remote):
    """What the query answers with the remote's data as a local named graph and SERVICE
    as GRAPH: pyoxigraph's own evaluation, which a federated answer must equal."""
    store = ox.Store()
    store.extend(LOCAL)
    store.extend(ox.Quad(*t, n(REMOTE_GRAPH)) for t in REMOTE_TRIPLES)
    text = query.replace(f"SERVICE SILENT <{remote.url}>", f"GRAPH <{REMOTE_GRAPH}>")
    return store.query(text.replace(f"SERVICE <{remote.url}>", f"GRAPH <{REMOTE_GRAPH}>"))


def rows(solutions) -> list[tuple[str, ...]]:
    return sorted(tuple(str(t) if t is not None else "UNDEF" for t in row) for row in solutions)


# ---------------------------------------------------------------------- joins, every form

SELECTS = {
    "join": "SELECT ?e ?code WHERE { ?e owl:sameAs ?item "
            "SERVICE <{R}> { ?item wdt:P297 ?code } }",
    "optional": "SELECT ?e ?code WHERE { ?e a ex:State OPTIONAL { ?e owl:sameAs ?item "
                "SERVICE <{R}> { ?item wdt:P297 ?code } } }",
    "union": "SELECT ?x WHERE { { ?x a ex:State } UNION { SERVICE <{R}> { ?x wdt:P297 ?c } } }",
    "minus": "SELECT ?e WHERE { ?e owl:sameAs ?item MINUS { SERVICE <{R}> "
             "{ ?item wdt:P297 ?c } } }",
    "sub-query": "SELECT ?e ?n WHERE { ?e owl:sameAs ?item { SELECT ?item "
                 "(COUNT(?l) AS ?n) WHERE { SERVICE <{R}> { ?item rdfs:label ?l } } "
                 "GROUP BY ?item } }",
    "exists": 'SELECT ?e WHERE { ?e owl:sameAs ?i FILTER EXISTS { SERVICE <{R}> '
              '{ ?i rdfs:label "日本"@ja } } }',
    "two services": "SELECT ?e ?code ?label WHERE { ?e owl:sameAs ?i "
                    "SERVICE <{R}> { ?i wdt:P297 ?code } "
                    "SERVICE SILENT <{R}> { ?i rdfs:label ?label FILTER(lang(?label) = 'en') } }",
    "optional inside": "SELECT * WHERE { ?e owl:sameAs ?i SERVICE <{R}> { ?i rdfs:label ?l "
                       "OPTIONAL { ?i wdt:P297 ?code } } }",
    "no variable": "SELECT ?e WHERE { ?e a ex:State SERVICE <{R}> { wd:Q17 wdt:P297 'JP' } }",
    "no match": "SELECT ?e ?x WHERE { ?e a ex:State SERVICE <{R}> { ?x wdt:P297 'XX' } }",
}


@pytest.mark.parametrize("name", list(SELECTS))
def test_a_select_with_service_answers_what_the_joined_data_answers(store: PolicyStore,
                                                                    remote: Remote, name: str):
    query = PREFIX + SELECTS[name].replace("{R}", remote.url)
    found = store.select(query)
    expected = oracle(query, remote)
    assert set(found.variables) == {v.value for v in expected.variables}
    order = [found.variables.index(v.value) for v in expected.variables]
    assert rows(tuple(row[i] for i in order) for row in found.rows) == rows(expected)
    assert len(remote.requests) == query.count("SERVICE")


def test_the_join_links_our_entities_to_the_remote_codes(store: PolicyStore, remote: Remote):
    found = store.select(PREFIX + SELECTS["join"].replace("{R}", remote.url))
    assert {(row["e"].value, row["code"].value) for row in found} == {
        (EX + "japan", "JP"), (EX + "korea", "KR")}


def test_ask_construct_and_describe_with_service(store: PolicyStore, remote: Remote):
    ask = PREFIX + f'ASK {{ ex:japan owl:sameAs ?i SERVICE <{remote.url}> {{ ?i wdt:P297 ?c }} }}'
    assert store.ask(ask) is True is bool(oracle(ask, remote))
    ask = PREFIX + f'ASK {{ ex:china owl:sameAs ?i SERVICE <{remote.url}> {{ ?i wdt:P297 ?c }} }}'
    assert store.ask(ask) is False is bool(oracle(ask, remote))
    construct = PREFIX + (f"CONSTRUCT {{ ?e ex:code ?code }} WHERE {{ ?e owl:sameAs ?i "
                          f"SERVICE <{remote.url}> {{ ?i wdt:P297 ?code }} }}")
    assert sorted(map(str, store.construct(construct))) == \
        sorted(map(str, oracle(construct, remote)))
    describe = PREFIX + (f"DESCRIBE ?e WHERE {{ ?e owl:sameAs ?i SERVICE <{remote.url}> "
                         "{ ?i wdt:P297 'KR' } }")
    described = store.construct(describe)
    assert described and {t.subject for t in described} == {n(EX + "korea")}
    assert sorted(map(str, described)) == sorted(map(str, oracle(describe, remote)))


def test_a_raw_query_with_service_is_served_in_the_media_type_asked(store: PolicyStore,
                                                                    remote: Remote):
    query = PREFIX + SELECTS["join"].replace("{R}", remote.url)
    outcome = store.query(query, media_type="text/csv")
    assert outcome.count == 2 and outcome.body.decode().splitlines()[0] == "e,code"


def test_the_remote_gets_the_block_with_the_prologue_and_a_row_limit(store: PolicyStore,
                                                                     remote: Remote):
    query = (f"BASE <{EX}>\nPREFIX wdt: <{WDT}>\nPREFIX owl: <http://www.w3.org/2002/07/owl#>\n"
             f"SELECT ?e ?code WHERE {{ ?e owl:sameAs ?item SERVICE <{remote.url}> "
             "{ ?item wdt:P297 ?code } }")
    store.select(query)
    [(method, _, sent, headers)] = remote.requests
    assert method == "POST"
    assert headers["Accept"] == "application/sparql-results+json"
    assert headers["User-Agent"].startswith("AllianceGraph/")
    assert f"BASE <{EX}>" in sent and f"PREFIX wdt: <{WDT}>" in sent
    assert sent.rstrip().endswith("LIMIT 101")  # federation_max_rows + 1
    assert "?item wdt:P297 ?code" in sent and "owl:sameAs" not in sent.split("SELECT")[1]


def test_a_prefixed_or_relative_endpoint_is_the_same_endpoint(store: PolicyStore,
                                                             remote: Remote):
    base, _, local = remote.url.rpartition("/")
    query = (f"BASE <{base}/x>\nPREFIX r: <{base}/>\nPREFIX wdt: <{WDT}>\n"
             f"SELECT ?c WHERE {{ SERVICE r:{local} {{ ?i wdt:P297 ?c }} "
             f"SERVICE <{local}> {{ ?i wdt:P297 ?c }} }}")
    assert sorted(r["c"].value for r in store.select(query)) == ["JP", "KR", "US"]
    assert len(remote.requests) == 2


def test_remote_blank_nodes_become_skolem_iris(store: PolicyStore, remote: Remote):
    answer = {"head": {"vars": ["x", "y"]}, "results": {"bindings": [
        {"x": {"type": "bnode", "value": "b1"}, "y": {"type": "literal", "value": "1"}},
        {"x": {"type": "bnode", "value": "b1"}, "y": {"type": "literal", "value": "2"}},
        {"x": {"type": "bnode", "value": "b2"}}]}}
    remote.script(status(200, json.dumps(answer).encode(), "application/sparql-results+json"))
    found = store.select(f"SELECT ?x ?y WHERE {{ SERVICE <{remote.url}> {{ ?x ?p ?y }} }}")
    xs = [row["x"] for row in found]
    assert all(isinstance(x, ox.NamedNode) and x.value.startswith(BNODE_PREFIX) for x in xs)
    assert len(set(xs)) == 2
    assert sorted(str(row.get("y")) for row in found) == ['"1"', '"2"', "None"]


def test_a_remote_binds_only_the_variables_of_its_block(store: PolicyStore, remote: Remote):
    answer = {"head": {"vars": ["y", "e"]}, "results": {"bindings": [
        {"y": {"type": "literal", "value": "1"}, "e": {"type": "uri", "value": EX + "x"}}]}}
    remote.script(status(200, json.dumps(answer).encode(), "application/sparql-results+json"))
    found = store.select(PREFIX + f"SELECT ?e ?y WHERE {{ ?e a ex:State SERVICE <{remote.url}> "
                         "{ ?s ?p ?y } }")
    assert sorted((row["e"].value, row["y"].value) for row in found) == sorted(
        (q.subject.value, "1") for q in LOCAL if q.object == n(EX + "State"))


# ---------------------------------------------------------------------- failures


def service_query(remote: Remote, silent: bool = False) -> str:
    return PREFIX + (f"SELECT ?e ?code WHERE {{ ?e owl:sameAs ?i SERVICE "
                     f"{'SILENT ' if silent else ''}<{remote.url}> {{ ?i wdt:P297 ?code }} }}")


def test_more_rows_than_the_cap_is_502_never_truncated(backend: Backend, remote: Remote):
    capped = federated(backend, remote, max_rows=2)
    with pytest.raises(RemoteServiceError, match=r"more than federation_max_rows \(2\)") \
            as caught:
        capped.select(PREFIX + f"SELECT ?c WHERE {{ SERVICE <{remote.url}> "
                      "{ ?i wdt:P297 ?c } }")
    assert caught.value.status == 502 and remote.url in caught.value.message
    assert remote.requests[0][2].rstrip().endswith("LIMIT 3")
    assert len(capped.select(PREFIX + f"SELECT ?c WHERE {{ SERVICE <{remote.url}> "
                             "{ wd:Q17 wdt:P297 ?c } }")) == 1


@pytest.mark.parametrize(("step", "error", "said"), [
    (status(500, b"boom"), RemoteServiceError, "answered HTTP 500"),
    (status(400, b"Parser error: bad token"), RemoteServiceError, "HTTP 400.*bad token"),
    (status(200, b"<html>not results</html>", "text/html"), RemoteServiceError,
     "not SPARQL JSON results"),
    (status(200, b'{"head": {}, "boolean": true}', "application/sparql-results+json"),
     RemoteServiceError, "a boolean"),
    (status(302, Location="http://elsewhere.example/sparql"), RemoteServiceError,
     "redirect .*elsewhere.example.* never followed"),
    (delay(3), RemoteServiceTimeout, r"within federation_timeout \(1 s\)"),
])
def test_a_failing_remote_is_an_error_naming_it_and_silent_is_one_empty_solution(
        backend: Backend, remote: Remote, step: Step, error: type, said: str):
    store = federated(backend, remote, timeout=1.0)
    remote.script(step)
    with pytest.raises(error, match=said) as caught:
        store.select(service_query(remote))
    assert caught.value.status == (504 if error is RemoteServiceTimeout else 502)
    assert f"SERVICE <{remote.url}>" in caught.value.message
    assert "Traceback" not in caught.value.message
    remote.script(step)
    found = store.select(service_query(remote, silent=True))
    # one empty solution joined with the links: every linked entity, no code
    assert sorted((r["e"].value, r.get("code")) for r in found) == \
        sorted((q.subject.value, None) for q in LOCAL if q.predicate.value == OWL_SAME_AS)


def test_an_unreachable_endpoint_is_502(backend: Backend, remote: Remote, canary):
    canary.close()  # nothing listens there any more
    store = federated(backend, remote, endpoints=(canary.url,))
    with pytest.raises(RemoteServiceError, match="could not be reached"):
        store.select(f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}")


def test_a_redirect_to_another_host_is_never_followed(store: PolicyStore, remote: Remote,
                                                      canary):
    remote.script(status(307, Location=canary.url + "sparql"))
    with pytest.raises(RemoteServiceError, match="redirect"):
        store.select(service_query(remote))
    time.sleep(0.3)  # the canary accepts in its own thread
    assert canary.connections == 0


# ---------------------------------------------------------------------- refusals


@pytest.mark.parametrize("make", [
    lambda url: ("query", f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"),
    lambda url: ("query", f"SELECT * WHERE {{ SERVICE SILENT <{url}sparql> {{ ?s ?p ?o }} }}"),
    lambda url: ("query", f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}"),
    lambda url: ("query", f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"),
    lambda url: ("update", f"LOAD <{url}>"),
    lambda url: ("update", f"LOAD SILENT <{url}data.ttl> INTO GRAPH <{EX}g>"),
    lambda url: ("update", f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"),
    lambda url: ("update", f"INSERT {{ ?s ?p ?o }} USING <{url}> WHERE {{ ?s ?p ?o }}"),
])
def test_a_refused_service_load_or_from_makes_no_connection(store: PolicyStore, canary, make):
    kind, text = make(canary.url)
    before = store.generation()
    with pytest.raises(Refused, match="federation_endpoints") as caught:
        (store.select if kind == "query" else store.update)(text)
    assert caught.value.status == 400
    time.sleep(0.3)  # the canary accepts in its own thread
    assert canary.connections == 0 and store.generation() == before


def test_service_with_a_variable_is_refused_even_with_the_remote_allowed(store: PolicyStore,
                                                                         remote: Remote):
    with pytest.raises(Refused, match="not a variable"):
        store.select(f"SELECT * WHERE {{ BIND(<{remote.url}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}")
    assert remote.requests == []


def test_nothing_is_requested_when_the_query_is_wrong(store: PolicyStore, remote: Remote):
    with pytest.raises(ParseError):
        store.select(f"SELECT * WHERE {{ SERVICE <{remote.url}> {{ ?s ?p }} }}")
    with pytest.raises(Refused, match="names no graph"):
        store.select(f"SELECT * FROM <{EX}missing> WHERE {{ SERVICE <{remote.url}> "
                     "{ ?s ?p ?o } }")
    assert remote.requests == []


def test_a_store_without_federation_calls_nobody(backend: Backend, remote: Remote):
    plain = PolicyStore(backend, base_iri=EX, max_rows=10, query_timeout=30.0)
    with pytest.raises(Refused, match=r"setting federation_endpoints .it is empty"):
        plain.select(f"SELECT * WHERE {{ SERVICE <{remote.url}> {{ ?s ?p ?o }} }}")
    assert remote.requests == []


# ---------------------------------------------------------------------- LOAD


def test_load_from_an_allowed_endpoint_into_a_graph_is_one_write(store: PolicyStore,
                                                                 remote: Remote):
    before = store.generation()
    applied = store.update(f"LOAD <{remote.url}/data.ttl> INTO GRAPH <{EX}loaded>")
    assert store.generation() != before and applied.counts.get(EX + "loaded") != 0
    expected = list(ox.parse(DOCUMENT.encode(), ox.RdfFormat.TURTLE))
    stored = store.quads(graph=EX + "loaded")
    assert len(stored) == len(expected) == 5
    assert {(q.subject, q.predicate, q.object) for q in stored if
            not isinstance(q.object, ox.BlankNode) and not isinstance(q.subject, ox.BlankNode)} \
        == {(q.subject, q.predicate, q.object) for q in expected
            if not isinstance(q.object, ox.BlankNode) and not isinstance(q.subject, ox.BlankNode)}
    [(method, path, _, headers)] = remote.requests
    assert method == "GET" and path == "/sparql/data.ttl"
    assert headers["Accept"].startswith("text/turtle")


def test_load_of_a_construct_query_into_the_default_graph(store: PolicyStore, remote: Remote):
    from urllib.parse import quote

    construct = f"CONSTRUCT {{ ?i <{EX}code> ?c }} WHERE {{ ?i <{WDT}P297> ?c }}"
    store.update(f"LOAD <{remote.url}?query={quote(construct)}> ;\n"
                 f"INSERT DATA {{ <{EX}after> <{EX}p> 1 }}")
    codes = {(q.subject.value, q.object.value) for q in store.quads(predicate=n(EX + "code"),
                                                                     graph=None)}
    assert codes == {(WD + "Q17", "JP"), (WD + "Q884", "KR"), (WD + "Q30", "US")}
    assert store.quads(subject=n(EX + "after"))


@pytest.mark.parametrize("step", [
    status(500), status(200, b"not turtle at all {", "text/turtle"),
    status(200, b"{}", "application/octet-stream"), status(301, Location="http://x.example/"),
])
def test_a_failed_load_writes_nothing_and_silent_skips_it(store: PolicyStore, remote: Remote,
                                                          step: Step):
    update = (f"INSERT DATA {{ <{EX}first> <{EX}p> 1 }} ;\n"
              f"LOAD {{silent}}<{remote.url}/data.ttl> INTO GRAPH <{EX}loaded>")
    before = store.generation()
    remote.script(step)
    with pytest.raises(RemoteServiceError, match=f"LOAD <{remote.url}/data.ttl> failed"):
        store.update(update.replace("{silent}", ""))
    assert store.generation() == before and not store.quads(subject=n(EX + "first"))
    remote.script(step)
    store.update(update.replace("{silent}", "SILENT "))
    assert store.quads(subject=n(EX + "first")) and not store.graph_exists(EX + "loaded")


def test_service_in_an_update_writes_the_joined_rows(store: PolicyStore, remote: Remote):
    store.update(PREFIX + f"INSERT {{ GRAPH ex:codes {{ ?e ex:code ?c }} }} WHERE {{ "
                 f"?e owl:sameAs ?i SERVICE <{remote.url}> {{ ?i wdt:P297 ?c }} }}")
    assert {(q.subject.value, q.object.value) for q in store.quads(graph=EX + "codes")} == {
        (EX + "japan", "JP"), (EX + "korea", "KR")}


# ---------------------------------------------------------------------- over HTTP


@pytest.fixture
def client(tmp_path, remote: Remote):
    app = create_app({"store": "memory", "data_dir": str(tmp_path / "data"),
                      "federation_endpoints": remote.url, "federation_timeout": 1.0,
                      "federation_max_rows": 2, "validate_on_write": False,
                      "write_token": "t0ken", "TESTING": True})
    client = app.test_client()
    turtle = "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in LOCAL)
    assert client.put("/rdf-graph-store?graph=" + EX + "local", data=turtle.encode(),
                      headers={"Authorization": "Bearer t0ken",
                               "Content-Type": "text/turtle"}).status_code in (200, 201, 204)
    return client


def test_service_over_http(client, remote: Remote, canary):
    accept = {"Accept": "application/sparql-results+json"}
    ok = client.get("/sparql", headers=accept, query_string={
        "query": PREFIX + f"SELECT ?e ?code WHERE {{ ?e owl:sameAs ?i SERVICE <{remote.url}> "
                          "{ ?i wdt:P297 ?code FILTER(?code != 'US') } }"})
    assert ok.status_code == 200
    assert {(b["e"]["value"], b["code"]["value"]) for b in ok.json["results"]["bindings"]} \
        == {(EX + "japan", "JP"), (EX + "korea", "KR")}
    capped = client.get("/sparql", headers=accept, query_string={
        "query": PREFIX + f"SELECT * WHERE {{ SERVICE <{remote.url}> {{ ?i wdt:P297 ?c }} }}"})
    assert capped.status_code == 502 and "federation_max_rows" in capped.json["message"]
    remote.script(delay(3))
    slow = client.get("/sparql", headers=accept, query_string={"query": service_query(remote)})
    assert slow.status_code == 504 and "federation_timeout" in slow.json["message"]
    refused = client.get("/sparql", headers=accept, query_string={
        "query": f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}"})
    assert refused.status_code == 400 and "federation_endpoints" in refused.json["message"]
    time.sleep(0.3)
    assert canary.connections == 0


# ---------------------------------------------------------------------- the pieces


def test_the_settings_become_one_federation(tmp_path):
    settings = load_settings(environ={}, overrides={
        "data_dir": str(tmp_path), "federation_endpoints": " http://a.example/sparql\n"
        "https://b.example/q http://a.example/sparql ", "federation_timeout": 2.5,
        "federation_max_rows": 7, "max_body_bytes": 1000})
    assert Federation.from_settings(settings) == Federation(
        ("http://a.example/sparql", "https://b.example/q"), 2.5, 7, 1000)
    store = open_store(settings.replace(store="memory"))
    assert store.federation == Federation.from_settings(settings)
    store.close()
    defaults = Federation.from_settings(load_settings(environ={}, overrides={
        "data_dir": str(tmp_path)}))
    assert defaults.endpoints == ("https://query.wikidata.org/sparql",
                                  "https://dbpedia.org/sparql")


@pytest.mark.parametrize("value", ["ftp://a.example/", "file:///etc/", "a.example/sparql",
                                   "http://a.example/sparql#x"])
def test_an_endpoint_that_is_no_http_iri_is_a_config_error(tmp_path, value):
    settings = load_settings(environ={}, overrides={"data_dir": str(tmp_path),
                                                    "federation_endpoints": value})
    with pytest.raises(ConfigError, match="federation_endpoints"):
        Federation.from_settings(settings)


def test_values_blocks_are_valid_sparql_with_the_solutions():
    rows = [(n(EX + "a"), ox.Literal('say "hi"\n', language="en")),
            (None, ox.Literal("5", datatype=n("http://www.w3.org/2001/XMLSchema#integer")))]
    store = ox.Store()
    found = store.query(f"SELECT ?x ?y WHERE {values_block(['x', 'y'], rows)}")
    assert [tuple(s) for s in found] == [tuple(r) for r in rows]
    assert len(list(store.query(f"SELECT * WHERE {values_block(['x'], [])}"))) == 0
    empty = list(store.query(f"SELECT * WHERE {values_block(['x', 'y'], [()])}"))
    assert len(empty) == 1 and empty[0]["x"] is None
    assert len(list(store.query(f"SELECT * WHERE {values_block([], [()])}"))) == 1


def test_the_inert_text_keeps_offsets_and_calls_nobody():
    text = ("PREFIX e: <http://example.org/>\nINSERT { ?s ?p ?o } WHERE {\n"
            "  SERVICE SILENT e:sparql { ?s ?p ?o } } ;\n"
            "LOAD <http://example.org/sparql/x.ttl>\n  INTO GRAPH e:g")
    found = analyse(text)
    inert = inert_text(text, found)
    assert len(inert) == len(text) and inert.count("\n") == text.count("\n")
    again = analyse(inert)
    assert not again.has_service and not again.has_load
    ox.Store().update(inert)  # still an update: a syntax check of it says what the text's says


# ---------------------------------------------------------------------- the fixture servers
# The Wikidata- and DBpedia-shaped Oxigraph servers of tests/conftest.py (external_sparql)
# and the scripted proxy in front of the first (flaky_endpoint).

CODES = PREFIX + ("SELECT ?e ?code WHERE {{ ?e owl:sameAs ?item "
                  "SERVICE {silent}<{url}> {{ ?item wdt:P297 ?code }} }}")


def codes(store: PolicyStore, url: str, silent: bool = False) -> set[tuple[str, str | None]]:
    found = store.select(CODES.format(url=url, silent="SILENT " if silent else ""))
    return {(row["e"].value, row["code"].value if "code" in row else None) for row in found}


def test_local_links_join_the_wikidata_shaped_server(backend: Backend, remote: Remote,
                                                    external_sparql):
    store = federated(backend, remote, endpoints=(external_sparql.wikidata,))
    assert codes(store, external_sparql.wikidata) == {(EX + "japan", "JP"),
                                                      (EX + "korea", "KR"),
                                                      (EX + "china", "CN")}
    labels = store.select(PREFIX + f"SELECT ?label WHERE {{ ex:japan owl:sameAs ?i "
                          f"SERVICE <{external_sparql.wikidata}> {{ ?i rdfs:label ?label "
                          "FILTER(lang(?label) = 'ja') } }")
    assert [row["label"] for row in labels] == [ox.Literal("日本", language="ja")]


def test_both_fixture_servers_in_one_query(backend: Backend, remote: Remote, external_sparql):
    store = federated(backend, remote, endpoints=(external_sparql.wikidata,
                                                  external_sparql.dbpedia))
    found = store.select(
        PREFIX + "PREFIX dbo: <http://dbpedia.org/ontology/>\n"
        f"SELECT ?code ?country WHERE {{ ex:japan owl:sameAs ?i "
        f"SERVICE <{external_sparql.wikidata}> {{ ?i wdt:P297 ?code }} "
        f"SERVICE <{external_sparql.dbpedia}> {{ ?country a dbo:Country ; owl:sameAs ?i }} }}")
    assert [(r["code"].value, r["country"].value) for r in found] == [
        ("JP", "http://dbpedia.org/resource/Japan")]


def test_the_proxy_sees_one_post_with_the_project_user_agent(backend: Backend, remote: Remote,
                                                             flaky_endpoint):
    store = federated(backend, remote, endpoints=(flaky_endpoint.url,))
    assert (EX + "japan", "JP") in codes(store, flaky_endpoint.url)
    [sent] = flaky_endpoint.requests
    assert sent.method == "POST" and sent.user_agent.startswith("AllianceGraph/")
    assert sent.headers["Accept"] == "application/sparql-results+json"
    assert "?item wdt:P297 ?code" in sent.query and "LIMIT 101" in sent.query


def test_errors_of_the_proxied_server(backend: Backend, remote: Remote, flaky_endpoint,
                                      canary):
    Step = flaky_endpoint.Step
    store = federated(backend, remote, endpoints=(flaky_endpoint.url,), timeout=1.0,
                      max_rows=2)
    with pytest.raises(RemoteServiceError, match="more than federation_max_rows"):
        codes(store, flaky_endpoint.url)
    store = federated(backend, remote, endpoints=(flaky_endpoint.url,), timeout=1.0)
    cases = [(Step.status(500), RemoteServiceError, "HTTP 500"),
             (Step.delay(3), RemoteServiceTimeout, "federation_timeout"),
             (Step.redirect(canary.url), RemoteServiceError, "redirect"),
             (Step.body(200, "application/json", "{not json"), RemoteServiceError, "JSON")]
    for step, error, said in cases:
        flaky_endpoint.script(step)
        with pytest.raises(error, match=said):
            codes(store, flaky_endpoint.url)
        flaky_endpoint.script(step)
        assert codes(store, flaky_endpoint.url, silent=True) == {
            (EX + "japan", None), (EX + "korea", None), (EX + "china", None)}
    time.sleep(0.3)  # the canary accepts in its own thread
    assert canary.connections == 0
    assert [r.step.kind for r in flaky_endpoint.requests] == [
        "passthrough", "status", "status", "delay", "delay", "redirect", "redirect",
        "body", "body"]


def test_load_from_the_wikidata_shaped_server_into_a_graph(backend: Backend, remote: Remote,
                                                          external_sparql):
    from urllib.parse import quote

    store = federated(backend, remote, endpoints=(external_sparql.wikidata,))
    construct = f"CONSTRUCT {{ ?i <{WDT}P297> ?c }} WHERE {{ ?i <{WDT}P297> ?c }}"
    store.update(f"LOAD <{external_sparql.wikidata}?query={quote(construct)}> "
                 f"INTO GRAPH <{EX}external>")
    loaded = {(q.subject.value, q.object.value) for q in store.quads(graph=EX + "external")}
    assert {(WD + "Q17", "JP"), (WD + "Q884", "KR")} <= loaded
    assert all(p == n(WDT + "P297") for p in (q.predicate for q in
                                              store.quads(graph=EX + "external")))
    joined = store.select(PREFIX + "SELECT ?code WHERE { ex:japan owl:sameAs ?i . "
                          "?i wdt:P297 ?code }")
    assert [r["code"].value for r in joined] == ["JP"]  # no network at query time


def test_federation_over_http_with_the_fixture_settings(tmp_path, external_sparql,
                                                        flaky_endpoint, canary):
    settings = external_sparql.settings(
        federation_endpoints=f"{external_sparql.wikidata} {flaky_endpoint.url}",
        federation_timeout=1.0, store="memory", data_dir=str(tmp_path / "data"),
        validate_on_write=False, write_token="t0ken", TESTING=True)
    client = create_app(settings).test_client()
    turtle = "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in LOCAL)
    client.put(f"/rdf-graph-store?graph={EX}local", data=turtle.encode(),
               headers={"Authorization": "Bearer t0ken", "Content-Type": "text/turtle"})
    accept = {"Accept": "application/sparql-results+json"}

    def get(url: str):
        return client.get("/sparql", headers=accept,
                          query_string={"query": CODES.format(url=url, silent="")})

    ok = get(external_sparql.wikidata)
    assert ok.status_code == 200
    assert {b["code"]["value"] for b in ok.json["results"]["bindings"]} == {"JP", "KR", "CN"}
    flaky_endpoint.script(flaky_endpoint.Step.status(500))
    assert get(flaky_endpoint.url).status_code == 502
    flaky_endpoint.script(flaky_endpoint.Step.delay(3))
    assert get(flaky_endpoint.url).status_code == 504
    refused = get(canary.url)
    assert refused.status_code == 400 and "federation_endpoints" in refused.json["message"]
    update = client.post("/sparql", data={"update": f"LOAD <{canary.url}>"},
                         headers={"Authorization": "Bearer t0ken"})
    assert update.status_code == 400 and "federation_endpoints" in update.json["message"]
    time.sleep(0.3)
    assert canary.connections == 0
