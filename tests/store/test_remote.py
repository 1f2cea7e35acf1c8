"""The remote backend against a real, writable Oxigraph server on loopback."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from typing import ClassVar

import pyoxigraph as ox
import pytest
from alliancegraph.errors import QueryTimeout, StoreUnavailable, WriteConflict
from alliancegraph.store.base import Dataset, QuadDelta, ReplaceGraph
from alliancegraph.store.policy import PolicyStore
from alliancegraph.store.remote import RemoteBackend

EX = "http://example.org/"
G = EX + "g"


def quad(s: str, o: str, graph: str | None = G) -> ox.Quad:
    name = ox.NamedNode(graph) if graph else ox.DefaultGraph()
    return ox.Quad(ox.NamedNode(EX + s), ox.NamedNode(EX + "p"), ox.Literal(o), name)


@pytest.fixture()
def remote(writable_oxigraph) -> Iterator[RemoteBackend]:
    backend = RemoteBackend(writable_oxigraph.query_url, writable_oxigraph.update_url,
                            timeout=10.0)
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
