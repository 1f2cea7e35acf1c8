"""The remote backend against a real, writable Oxigraph server on loopback (the store
contract itself runs on it in test_contract.py); server failures against small stand-ins."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from typing import ClassVar

import pyoxigraph as ox
import pytest
import requests
from alliancegraph.errors import (
    BadRequest,
    NotFound,
    ParseError,
    QueryTimeout,
    ResultTooLarge,
    StoreUnavailable,
    WriteConflict,
    WriteTimeout,
)
from alliancegraph.store.base import BulkFile, Dataset, QuadDelta, ReplaceGraph
from alliancegraph.store.policy import PolicyStore
from alliancegraph.store.remote import NO_TIME, VERSION_GRAPH, RemoteBackend, hide_reserved

EX = "http://example.org/"
G = EX + "g"


def quad(s: str, o: str, graph: str | None = G) -> ox.Quad:
    name = ox.NamedNode(graph) if graph else ox.DefaultGraph()
    return ox.Quad(ox.NamedNode(EX + s), ox.NamedNode(EX + "p"), ox.Literal(o), name)


@pytest.fixture()
def remote(writable_oxigraph) -> Iterator[RemoteBackend]:
    backend = RemoteBackend(writable_oxigraph.query_url, writable_oxigraph.update_url,
                            writable_oxigraph.graph_store_url, timeout=10.0)
    yield backend
    backend.close()


def policy(backend: RemoteBackend) -> PolicyStore:
    return PolicyStore(backend, base_iri=EX, max_rows=1000, query_timeout=10.0,
                       validate_on_write=False)


def test_write_then_read_with_generations(remote: RemoteBackend) -> None:
    assert remote.generation() == 0
    applied = remote.apply(QuadDelta(added=(quad("a", "1"), quad("b", "2", None))))
    assert applied.generation == remote.generation() == 1
    assert remote.graph_names() == [G]
    assert remote.count("*") == 2 and remote.count(None) == 1
    assert set(remote.quads(graph=G, limit=10)) == {quad("a", "1")}
    solutions = remote.select(f"SELECT ?o WHERE {{ ?s <{EX}p> ?o }}",
                              dataset=Dataset(union_default=True), base_iri=None, max_rows=10)
    assert sorted(t.value for t in solutions.column("o")) == ["1", "2"]
    remote.apply(ReplaceGraph(G, (quad("c", "3"),)))
    assert set(remote.quads(graph=G, limit=10)) == {quad("c", "3")}


def test_stale_generation_is_a_conflict_and_writes_nothing(remote: RemoteBackend) -> None:
    remote.apply(QuadDelta(added=(quad("a", "1"),)))
    with pytest.raises(WriteConflict):
        remote.apply(QuadDelta(added=(quad("b", "2"),)), if_generation=0)
    assert remote.count("*") == 1 and remote.generation() == 1


def test_two_instances_share_one_store(writable_oxigraph) -> None:
    one, two = (policy(RemoteBackend(writable_oxigraph.query_url,
                                     writable_oxigraph.update_url)) for _ in range(2))
    one.update(f"INSERT DATA {{ GRAPH <{G}> {{ <{EX}a> <{EX}p> 'shared' }} }}")
    assert two.ask(f"ASK {{ GRAPH <{G}> {{ <{EX}a> <{EX}p> 'shared' }} }}")
    assert two.generation() == one.generation() == 1


def test_two_instances_read_one_state_the_servers_commit_time(writable_oxigraph) -> None:
    one, two = (RemoteBackend(writable_oxigraph.query_url, writable_oxigraph.update_url)
                for _ in range(2))
    assert one.state() == two.state() == (0, NO_TIME)  # never written: no guessed time
    before = time.time()
    one.apply(QuadDelta(added=(quad("a", "1"),)))
    generation, committed = one.state()
    assert two.state() == (generation, committed) and generation == 1
    assert two.committed_at() == committed
    assert before - 5 <= committed <= time.time() + 5  # the server's clock, this machine
    time.sleep(0.01)
    two.apply(QuadDelta(added=(quad("b", "2"),)))
    assert one.state() == two.state() and one.state()[0] == 2
    assert one.state()[1] > committed  # the instance that did not write sees the new time


def test_a_version_written_without_a_time_is_the_fixed_no_time(writable_oxigraph) -> None:
    # as an older version of this backend left it: a number, no commit time
    requests.post(writable_oxigraph.update_url, timeout=10, data={"update": (
        f"INSERT DATA {{ GRAPH <{VERSION_GRAPH}> {{ <urn:alliancegraph:store> "
        "<urn:alliancegraph:generation> 7 } }")}).raise_for_status()
    one, two = (RemoteBackend(writable_oxigraph.query_url, writable_oxigraph.update_url)
                for _ in range(2))
    assert one.state() == two.state() == (7, NO_TIME)
    one.apply(QuadDelta(added=(quad("a", "1"),)))
    assert two.state()[0] == 8 and two.state()[1] > NO_TIME


def test_server_down_is_store_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = RemoteBackend(f"http://127.0.0.1:{port}/query", f"http://127.0.0.1:{port}/u")
    with pytest.raises(StoreUnavailable) as caught:
        backend.ask("ASK {}", dataset=Dataset(), base_iri=None)
    assert caught.value.status == 503 and "cannot be reached" in caught.value.message


def test_silent_server_is_a_query_timeout() -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/query"
        backend = RemoteBackend(url, url, timeout=0.5)
        with pytest.raises(QueryTimeout):
            backend.ask("ASK {}", dataset=Dataset(), base_iri=None)


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[str | None]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _Recorder.seen.append(self.headers.get("Authorization"))
        body = b'{"head": {}, "boolean": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet


@pytest.mark.parametrize(("options", "expected"), [
    ({"token": "t0k"}, "Bearer t0k"),
    ({"user": "ann", "password": "pw"}, "Basic YW5uOnB3"),
])
def test_credentials_are_sent(options: dict[str, str], expected: str) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/query"
        _Recorder.seen = []
        assert RemoteBackend(url, url, **options).ask("ASK {}", dataset=Dataset(),
                                                       base_iri=None)
        assert _Recorder.seen == [expected]
    finally:
        server.shutdown()
        server.server_close()


def test_open_store_builds_the_remote_backend(writable_oxigraph) -> None:
    from alliancegraph.config import load_settings
    from alliancegraph.errors import ConfigError
    from alliancegraph.store import open_store

    settings = load_settings(environ={}, overrides={
        "store": "remote", "remote_query_url": writable_oxigraph.query_url,
        "remote_update_url": writable_oxigraph.update_url, "validate_on_write": False})
    store = open_store(settings)
    try:
        assert isinstance(store.backend, RemoteBackend)
        store.update(f"INSERT DATA {{ <{EX}a> <{EX}p> 'x' }}")
        assert store.count("*") == 1
    finally:
        store.close()
    with pytest.raises(ConfigError, match="remote_query_url"):
        open_store(settings.replace(remote_query_url=None))


# ---------------------------------------------------------------------- the reserved graph


def test_graph_variables_never_range_over_the_reserved_graph(remote: RemoteBackend) -> None:
    remote.apply(QuadDelta(added=(quad("a", "1"),)))
    text = ("SELECT DISTINCT ?g ?h WHERE { GRAPH ?g { ?s ?p ?o } "
            "OPTIONAL { GRAPH ?h { ?s ?p '}' } } }")
    assert hide_reserved(text).count(f"!= <{VERSION_GRAPH}>") == 2
    found = remote.select(text, dataset=Dataset(union_default=True), base_iri=None,
                          max_rows=10)
    assert found.rows == ((ox.NamedNode(G), None),)
    assert remote.ask(f"ASK {{ GRAPH <{VERSION_GRAPH}> {{ ?s ?p ?o }} }}", dataset=Dataset(),
                      base_iri=None)  # named explicitly, it is there


# ---------------------------------------------------------------------- blank nodes


def test_stored_blank_nodes_are_named_by_their_server_label(remote: RemoteBackend) -> None:
    store = policy(remote)
    store.update(f"INSERT DATA {{ GRAPH <{G}> {{ <{EX}a> <{EX}note> [ <{EX}v> 1 ; "
                 f"<{EX}w> [ <{EX}v> 2 ] ] }} }}")
    (link,) = remote.quads(predicate=ox.NamedNode(EX + "note"), limit=10)
    node = link.object
    assert isinstance(node, ox.BlankNode)
    # the label is the server's, the same in raw SPARQL and in pattern reads
    assert store.select(f"SELECT ?n WHERE {{ ?a <{EX}note> ?n }}").rows == ((node,),)
    (inner,) = [q.object for q in remote.quads(subject=node, limit=10)
                if q.predicate == ox.NamedNode(EX + "w")]
    remote.apply(QuadDelta(removed=(ox.Quad(node, ox.NamedNode(EX + "w"), inner,
                                            ox.NamedNode(G)),)))
    assert {q.predicate.value for q in remote.quads(subject=node, limit=10)} == {EX + "v"}
    store.update(f"DELETE WHERE {{ GRAPH ?g {{ ?n <{EX}v> ?x }} }}")  # applied as a delta
    assert remote.quads(subject=node, limit=10) == []
    assert len(remote.quads(limit=10)) == 1  # the link alone is left


def test_new_blank_nodes_shared_by_quads_are_one_node(remote: RemoteBackend) -> None:
    node = ox.BlankNode("mine")
    remote.apply(QuadDelta(added=(ox.Quad(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "p"),
                                          node, ox.NamedNode(G)),
                                  ox.Quad(node, ox.NamedNode(EX + "p"), ox.Literal("x")))))
    (link,) = remote.quads(graph=G, limit=10)
    stored = link.object
    assert isinstance(stored, ox.BlankNode) and stored != node
    assert remote.quads(subject=stored, limit=10) == [
        ox.Quad(stored, ox.NamedNode(EX + "p"), ox.Literal("x"))]
    assert remote.quads(subject=node, limit=10) == []  # the write's own label is not kept


# ---------------------------------------------------------------------- bulk loads


BULK = (f"<{EX}a> <{EX}p> _:shared <{G}> .\n"
        f"_:shared <{EX}p> \"in the default graph\" .\n"
        f"<{EX}b> <{EX}p> \"two\"@en <{EX}h> .\n")


@pytest.mark.parametrize("graph_store", [True, False], ids=["graph-store", "sparql"])
def test_a_bulk_file_is_one_write(writable_oxigraph, tmp_path, graph_store: bool) -> None:
    backend = RemoteBackend(writable_oxigraph.query_url, writable_oxigraph.update_url,
                            writable_oxigraph.graph_store_url if graph_store else None)
    backend.apply(QuadDelta(added=(quad("old", "0"),)))
    path = tmp_path / "load.nq"
    path.write_text(BULK)
    applied = backend.apply(BulkFile(path, 3))
    assert applied.generation == backend.generation() == 2
    assert path.read_text() == BULK  # the caller's file is left alone
    assert backend.graph_names() == [G, EX + "h"] and backend.count() == 4
    link = next(q for q in backend.quads(graph=G, limit=10) if q.subject.value == EX + "a")
    shared = link.object
    assert backend.quads(subject=shared, limit=10) == [
        ox.Quad(shared, ox.NamedNode(EX + "p"), ox.Literal("in the default graph"))]
    backend.apply(QuadDelta(removed=(link,)))  # its blank node can be named: it has its key
    assert backend.count(G) == 1


@pytest.mark.parametrize("graph_store", [True, False], ids=["graph-store", "sparql"])
def test_a_bulk_file_that_does_not_parse_writes_nothing(writable_oxigraph, tmp_path,
                                                        graph_store: bool) -> None:
    backend = RemoteBackend(writable_oxigraph.query_url, writable_oxigraph.update_url,
                            writable_oxigraph.graph_store_url if graph_store else None)
    path = tmp_path / "bad.nq"
    path.write_text(BULK + f"<{EX}c> <{EX}p> .\n")
    with pytest.raises(ParseError):
        backend.apply(BulkFile(path, 4))
    assert backend.count() == 0 and backend.generation() == 0


# ---------------------------------------------------------------------- reads


def test_reads_through_sparql_match_the_graph_store(writable_oxigraph) -> None:
    urls = (writable_oxigraph.query_url, writable_oxigraph.update_url)
    through_store = RemoteBackend(*urls, writable_oxigraph.graph_store_url)
    through_sparql = RemoteBackend(*urls)
    node = ox.BlankNode("n")
    through_store.apply(QuadDelta(added=(
        quad("a", "1"), quad("b", "2", None), quad("c", "3", EX + "h"),
        ox.Quad(node, ox.NamedNode(EX + "p"), ox.Literal("é\n", language="fr"),
                ox.NamedNode(G)))))
    for media_type in ("application/n-quads", "application/trig", "application/n-triples",
                       "text/turtle"):
        fmt = ox.RdfFormat.from_media_type(media_type)
        one, two = (list(ox.parse(b"".join(b.dump(media_type=media_type)), fmt))
                    for b in (through_store, through_sparql))
        assert len(one) == 4 and set(one) == set(two), media_type
    for name in (G, None):
        assert (through_store.get_graph(name, media_type="application/n-quads")
                == through_sparql.get_graph(name, media_type="application/n-quads"))
    assert through_store.get_graph(None, media_type="application/n-triples") == \
        f'<{EX}b> <{EX}p> "2" .\n'.encode()
    for backend in (through_store, through_sparql):
        with pytest.raises(NotFound):
            backend.get_graph(EX + "missing", media_type="text/turtle")
        assert backend.status()["graphs"] == {"": 1, G: 2, EX + "h": 1}


# ---------------------------------------------------------------------- server errors


class _Canned(http.server.BaseHTTPRequestHandler):
    """Answers every request with ``answer`` (status, body); a GET of ``/store`` breaks off
    in the middle of a chunked body."""

    answer: ClassVar[tuple[int, bytes]] = (200, b"")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status, body = self.answer
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/n-quads")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.write(b"1000\r\n<http://a/> <http://b/> ")  # promised 4096 bytes
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet


@pytest.fixture()
def canned() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("status", "body", "error"), [
    (400, b"error at 2:5: expected a variable", ParseError),
    (400, b"Parser error: no such thing", ParseError),
    (400, b"the query cannot be set both in the URL and the body", BadRequest),
    (401, b"who are you?", StoreUnavailable),
    (404, b"no such endpoint", NotFound),
    (500, b"panicked", StoreUnavailable),
    (503, b"overloaded", StoreUnavailable),
])
def test_server_answers_map_to_the_error_family(canned: str, status: int, body: bytes,
                                                error: type) -> None:
    _Canned.answer = (status, body)
    backend = RemoteBackend(canned + "/query", canned + "/update")
    with pytest.raises(error) as caught:
        backend.select("SELECT * WHERE { ?s ?p ?o }", dataset=Dataset(), base_iri=None,
                       max_rows=10)
    assert type(caught.value) is error and caught.value.status == error.status
    assert body.decode().split(": ")[-1] in caught.value.message  # the server's own words
    if body.startswith(b"error at"):
        assert (caught.value.line, caught.value.column) == (2, 5)


def test_a_stream_cut_short_is_store_unavailable(canned: str) -> None:
    backend = RemoteBackend(canned + "/query", canned + "/update", canned + "/store")
    with pytest.raises(StoreUnavailable, match="incomplete"):
        b"".join(backend.dump(media_type="application/n-quads"))


def test_an_unconfirmed_write_is_a_write_timeout() -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/update"
        backend = RemoteBackend(url, url, timeout=0.5, write_timeout=0.5)
        with pytest.raises(WriteTimeout, match="may still apply it") as caught:
            backend._update("INSERT DATA { <http://a/> <http://b/> 1 }")
        assert caught.value.status == WriteTimeout.status


def test_data_only_updates_are_worked_out_without_reading_the_store(remote: RemoteBackend
                                                                    ) -> None:
    store = policy(remote)
    store.update(f"PREFIX e: <{EX}>\nINSERT DATA {{ e:keep e:p 'k' . e:gone e:p 'g' }}")
    requests_sent = []
    send = remote._session.request
    remote._session.request = lambda *a, **k: requests_sent.append(k) or send(*a, **k)
    store.update(f"PREFIX e: <{EX}>\nDELETE DATA {{ e:gone e:p 'g' }} ;\n"
                 "INSERT DATA { e:x e:p 'in then out' . e:y e:p 'out then in' } ;\n"
                 "DELETE DATA { e:x e:p 'in then out' . e:y e:p 'out then in' } ;\n"
                 "INSERT DATA { e:y e:p 'out then in' . e:b e:p [] } ;"
                 "INSERT DATA { e:c e:p _:n . _:n e:p [] }")
    assert all("SELECT * WHERE" not in str(k.get("data")) for k in requests_sent)
    found = {(q.subject.value, str(q.object)) for q in remote.quads(limit=10)}
    assert {(s, o) for s, o in found if not o.startswith("_:")} == {
        (EX + "keep", '"k"'), (EX + "y", '"out then in"')}
    nodes = [q.object for q in remote.quads(predicate=ox.NamedNode(EX + "p"), limit=10)
             if isinstance(q.object, ox.BlankNode)]
    assert len(set(nodes)) == 3  # fresh nodes, one per label per operation
    with pytest.raises(ParseError) as caught:
        store.update("INSERT DATA { <a> <b> <c> } ;\nDELETE DATA { _:x <b> <c> }")
    assert caught.value.line == 2


def test_blank_nodes_written_by_other_tools_can_be_keyed(remote: RemoteBackend,
                                                         writable_oxigraph) -> None:
    requests.post(writable_oxigraph.graph_store_url, data=BULK.encode(),
                  headers={"Content-Type": "application/n-quads"}, timeout=10).raise_for_status()
    link = next(q for q in remote.quads(graph=G, limit=10) if q.subject.value == EX + "a")
    remote.apply(QuadDelta(removed=(link,)))
    assert link in remote.quads(graph=G, limit=10)  # no key: the write cannot name it
    remote.key_blank_nodes()
    remote.apply(QuadDelta(removed=(link,)))
    assert link not in remote.quads(graph=G, limit=10)
    assert len(remote.quads(subject=link.object, limit=10)) == 1


def test_marks_of_old_writes_are_pruned(remote: RemoteBackend,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("alliancegraph.store.remote.MARKS_KEPT", 3)
    for i in range(6):
        remote.apply(QuadDelta(added=(quad(f"s{i}", str(i)),)))
    marks = list(remote._solutions(f"SELECT ?m WHERE {{ GRAPH <{VERSION_GRAPH}> {{ ?m "
                                   f"<urn:alliancegraph:generation> ?k }} FILTER(?m != "
                                   f"<urn:alliancegraph:store>) }}"))
    assert len(marks) == 3 and remote.generation() == 6
    times = remote._solutions(f"SELECT ?m WHERE {{ GRAPH <{VERSION_GRAPH}> {{ ?m "
                              "<urn:alliancegraph:committed-at> ?t } }")
    assert sorted(r["m"] for r in times) == sorted(r["m"] for r in marks)  # theirs only


def test_csv_rows_are_counted_as_rows(remote: RemoteBackend) -> None:
    remote.apply(QuadDelta(added=(quad("a", "two\nlines, and a comma"), quad("b", "plain"))))
    outcome = remote.query(f"SELECT ?o WHERE {{ GRAPH <{G}> {{ ?s ?p ?o }} }}",
                           media_type="text/csv", dataset=Dataset(), base_iri=None,
                           max_rows=10)
    assert outcome.count == 2 and outcome.body.count(b"\n") > 3


def test_alliancegraph_load_onto_the_remote_store(remote: RemoteBackend, tmp_path) -> None:
    """The bulk-load path end to end (store/bulk.py: stage, then one BulkFile)."""
    from alliancegraph.store.bulk import load, stage

    source = tmp_path / "data.trig"
    source.write_text(f"<{EX}g1> {{ <{EX}s> <{EX}knows> _:x }} "
                      f"<{EX}g2> {{ _:x <{EX}name> 'X' }} <{EX}s> <{EX}p> 'default' .")
    store = policy(remote)
    report = load(store, stage([str(source)], tmp_path), base_iri=EX, infer=False,
                  validate=False)
    assert report.generation == remote.generation() == 1
    (knows,) = remote.quads(graph=EX + "g1", limit=10)
    (name,) = remote.quads(graph=EX + "g2", limit=10)
    assert isinstance(knows.object, ox.BlankNode) and knows.object == name.subject
    assert remote.quads(graph=None, limit=10) == [quad("s", "default", None)]


@pytest.mark.parametrize(("update", "refused"), [
    (f"INSERT DATA {{ GRAPH <{VERSION_GRAPH}> {{ <urn:alliancegraph:store> "
     "<urn:alliancegraph:generation> 99 } }", True),
    (f"CREATE GRAPH <{VERSION_GRAPH}>", True),
    (f"DROP GRAPH <{VERSION_GRAPH}>", True),  # not there, as far as a write can see
    ("DELETE WHERE { GRAPH ?g { ?s ?p ?o } }", False),  # every graph but the reserved one
])
def test_the_reserved_graph_cannot_be_written(remote: RemoteBackend, update: str,
                                              refused: bool) -> None:
    store = policy(remote)
    store.update(f"INSERT DATA {{ GRAPH <{G}> {{ <{EX}a> <{EX}p> 'x' }} }}")
    if refused:
        with pytest.raises(BadRequest):
            store.update(update)
    else:
        store.update(update)
    assert remote.generation() == (1 if refused else 2)
    assert remote.count() == (1 if refused else 0)
    assert remote.ask(f"ASK {{ GRAPH <{VERSION_GRAPH}> {{ <urn:alliancegraph:store> "
                      f"<urn:alliancegraph:generation> {remote.generation()} }} }}",
                      dataset=Dataset(), base_iri=None)


@pytest.mark.parametrize(("body", "error"), [
    (b'{"head":{"vars":["n"]},"results":{"bindings":[The SPARQL operation has been cancelled',
     QueryTimeout),  # how Oxigraph server --timeout-s ends an answer it cut (status 200)
    (b'{"head":{"vars":["n"]},"results":{"bindings":[{"n":', StoreUnavailable),
])
@pytest.mark.parametrize("call", ["select", "query", "ask"])
def test_an_answer_cut_off_is_the_servers_failure(canned: str, body: bytes, error: type,
                                                  call: str) -> None:
    if call == "ask":
        body = body.replace(b'"vars":["n"]},"results":{"bindings":[', b'},"boolean":')
    _Canned.answer = (200, body)
    backend = RemoteBackend(canned + "/query", canned + "/update")
    options = {"dataset": Dataset(), "base_iri": None}
    with pytest.raises(error) as caught:
        if call == "select":
            backend.select("SELECT * WHERE { ?s ?p ?o }", max_rows=10, **options)
        elif call == "query":
            backend.query("SELECT * WHERE { ?s ?p ?o }", max_rows=10, **options,
                          media_type="application/sparql-results+json")
        else:
            backend.ask("ASK { ?s ?p ?o }", **options)
    assert caught.value.status == 503


def test_reads_stop_at_the_row_limit(remote: RemoteBackend) -> None:
    remote.apply(QuadDelta(added=tuple(quad(f"s{i}", str(i)) for i in range(50))))
    options = {"dataset": Dataset(union_default=True), "base_iri": None, "max_rows": 49}
    for media_type in ("application/sparql-results+json", "text/csv",
                       "text/tab-separated-values", "application/sparql-results+xml"):
        with pytest.raises(ResultTooLarge):
            remote.query("SELECT * WHERE { ?s ?p ?o }", media_type=media_type, **options)
        outcome = remote.query("SELECT * WHERE { ?s ?p ?o } LIMIT 49", media_type=media_type,
                               **options)
        assert outcome.count == 49
        if media_type == "text/csv":  # read whole: a header and 49 rows
            assert len(outcome.body.decode().splitlines()) == 50
        else:
            fmt = ox.QueryResultsFormat.from_media_type(media_type)
            assert len(list(ox.parse_query_results(outcome.body, fmt))) == 49
    with pytest.raises(ResultTooLarge):
        remote.select("SELECT * WHERE { ?s ?p ?o }", **options)
    with pytest.raises(ResultTooLarge):
        remote.construct("CONSTRUCT WHERE { ?s ?p ?o }", **options)
    assert len(remote.construct("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 49", **options)) == 49


def test_the_settings_give_the_lease_and_ignore_proxy_environment(tmp_path, monkeypatch):
    from alliancegraph.config import load_settings
    from alliancegraph.store import open_store

    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9/")  # would swallow every request
    settings = load_settings(environ={}, overrides={
        "data_dir": str(tmp_path), "store": "remote", "remote_write_lease": 7.5,
        "remote_query_url": "http://127.0.0.1:9/query",
        "remote_update_url": "http://127.0.0.1:9/update"})
    store = open_store(settings)
    try:
        assert store.backend.write_lease == 7.5
        assert store.backend._session.trust_env is False
    finally:
        store.close()
