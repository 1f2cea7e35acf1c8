"""The read-ahead gunicorn worker (service/worker.py): `alliancegraph serve` survives slow
and idle clients (a security probe's finding: two silent connections once blocked both
sync workers, and /healthz, for 630 s).

One real server with small timeouts; the attackers are raw sockets on 127.0.0.1, closed at
the end of each test. conftest's servers run ``--workers 2``, so with ``threads=2`` four
requests run at once: each attack opens twice as many connections.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests

THREADS = 2
CLIENT_TIMEOUT = 1
REQUEST_READ_TIMEOUT = 3
ATTACKERS = 8
ASK = "ASK{?s ?p ?o}"
SPARQL_JSON = {"Accept": "application/sparql-results+json"}
POST_HEAD = (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             b"Content-Type: application/sparql-query\r\n"
             b"Accept: application/sparql-results+json\r\n")
#: the longest a test waits for the server to close a connection (the machine may be loaded)
CLOSE_BOUND = REQUEST_READ_TIMEOUT + CLIENT_TIMEOUT + 10
TOKEN = "worker-test-token"
COUNT_ALL = ("SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }")


@pytest.fixture(scope="module")
def slow_server(start_server, make_fixture_store):
    return start_server(make_fixture_store(), threads=THREADS, client_timeout=CLIENT_TIMEOUT,
                        request_read_timeout=REQUEST_READ_TIMEOUT, write_token=TOKEN)


def connect(server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # a byte is a packet
    return sock


@contextlib.contextmanager
def attack(server, first: bytes = b"") -> Iterator[list[socket.socket]]:
    """ATTACKERS connections that sent ``first`` (maybe nothing) and then nothing more."""
    socks: list[socket.socket] = []
    try:
        for _ in range(ATTACKERS):
            socks.append(connect(server))
            if first:
                socks[-1].sendall(first)
        time.sleep(0.2)  # the server has them before the probes come
        yield socks
    finally:
        for sock in socks:
            sock.close()


def assert_answered_within_a_second(server) -> None:
    """/healthz and a SPARQL query are each answered within 1 s (on new connections)."""
    probes = [("/healthz", None, {}), ("/sparql", {"query": ASK}, SPARQL_JSON)]
    for path, params, headers in probes:
        start = time.monotonic()
        try:
            response = requests.get(server.url + path, params=params, headers=headers,
                                    timeout=(3, 3))
        except requests.Timeout:
            pytest.fail(f"{path} was not answered while the attack went on")
        elapsed = time.monotonic() - start
        assert response.status_code == 200, response.text
        assert elapsed < 1.0, f"{path} took {elapsed:.2f} s"
    assert response.json()["boolean"] is True


def read_until(sock: socket.socket, marker: bytes, count: int = 1) -> bytes:
    """What the server sends until ``marker`` has come ``count`` times (10 s at most)."""
    data = b""
    deadline = time.monotonic() + 10
    for _ in range(1000):
        if data.count(marker) >= count:
            return data
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        if not chunk:
            break
        data += chunk
    pytest.fail(f"the server did not send {marker!r} x{count}; it sent {data[:300]!r}")


def test_idle_connections(slow_server):
    with attack(slow_server):
        assert_answered_within_a_second(slow_server)


def test_chunked_headers_and_no_body(slow_server):
    with attack(slow_server, POST_HEAD + b"Transfer-Encoding: chunked\r\n\r\n"):
        assert_answered_within_a_second(slow_server)


def test_slowloris(slow_server):
    """Headers a byte at a time, faster than client_timeout (so only request_read_timeout
    ends them), while the probes run."""
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 100
    with attack(slow_server, request[:1]) as socks:
        stop = threading.Event()

        def trickle() -> None:
            for byte in request[1:]:  # bounded by the request's length
                if stop.wait(0.25):
                    return
                for sock in socks:
                    with contextlib.suppress(OSError):  # closed by the server: fine
                        sock.send(bytes([byte]))

        thread = threading.Thread(target=trickle, daemon=True)
        thread.start()
        try:
            assert_answered_within_a_second(slow_server)
        finally:
            stop.set()
            thread.join(10)


def test_clients_that_never_close(slow_server):
    """Clients answered with `Connection: close` that never close their end: gunicorn's
    lingering close must not stall the worker."""
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    with attack(slow_server, request):
        assert_answered_within_a_second(slow_server)


@pytest.mark.parametrize("pace", ["stalls", "trickles"])
@pytest.mark.parametrize("size", [1000, 1024 * 1024], ids=["small-body", "large-body"])
def test_a_stalled_body_is_closed(slow_server, size, pace):
    """A client that stops mid-body, or then sends a byte now and then, is cut off (or
    answered 408) within about request_read_timeout + client_timeout. A large body is read
    by the app itself, a small one before the app sees the request."""
    sock = connect(slow_server)
    try:
        sock.sendall(POST_HEAD + b"Content-Length: %d\r\n\r\n" % size + b"#" * (size * 3 // 10))
        answer, closed = b"", False
        deadline = time.monotonic() + CLOSE_BOUND
        for _ in range(int(CLOSE_BOUND / 0.25) + 10):
            if time.monotonic() > deadline:
                break
            if select.select([sock], [], [], 0.25)[0]:
                try:
                    data = sock.recv(65536)
                except ConnectionResetError:
                    data = b""
                if not data:
                    closed = True
                    break
                answer += data
            elif pace == "trickles":
                try:
                    sock.send(b"#")
                except OSError:  # the server has closed it
                    closed = True
                    break
    finally:
        sock.close()
    assert closed, f"the connection was still open after {CLOSE_BOUND} s"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer[:200]


def test_keep_alive_client(slow_server):
    """A normal client keeps one connection for several requests, idle in between for
    longer than client_timeout."""
    local_ends = set()

    def note_connection(response, **_):
        assert response.headers.get("Connection", "").lower() != "close", response.url
        local_ends.add(response.raw.connection.sock.getsockname())

    with requests.Session() as session:
        session.hooks["response"].append(note_connection)
        first = session.get(slow_server.url + "/healthz", timeout=10)
        time.sleep(CLIENT_TIMEOUT + 0.5)
        second = session.get(slow_server.url + "/sparql", params={"query": ASK},
                             headers=SPARQL_JSON, timeout=10)
        chunked = session.post(slow_server.url + "/sparql", data=iter([b"ASK", b"{?s ?p ?o}"]),
                               headers={"Content-Type": "application/sparql-query",
                                        **SPARQL_JSON}, timeout=10)
    assert first.json() == {"status": "ok"}
    assert second.json()["boolean"] is True
    assert chunked.json()["boolean"] is True
    assert len(local_ends) == 1, "the client had to reconnect"


def test_expect_continue_trailers_and_pipelining(slow_server):
    """Framings a careful client uses, on one connection: `Expect: 100-continue` (one 100
    answer, then the body), a chunked body with a trailer sent in pieces, then two
    pipelined requests in one packet."""
    sock = connect(slow_server)
    try:
        sock.sendall(POST_HEAD + b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(ASK))
        assert read_until(sock, b"\r\n\r\n").startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(ASK.encode())
        answer = read_until(sock, b'"boolean":true')
        assert b"100 Continue" not in answer and answer.startswith(b"HTTP/1.1 200")

        pieces = [POST_HEAD + b"Transfer-Encoding: chunked\r\n\r\n3\r\nAS", b"K\r\n",
                  b"A;x=1\r\n{?s ?p ?o}\r\n0\r", b"\nX-Trailer: yes\r\n", b"\r\n"]
        for piece in pieces:
            sock.sendall(piece)
            time.sleep(0.1)
        assert read_until(sock, b'"boolean":true').startswith(b"HTTP/1.1 200")

        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 2)
        assert read_until(sock, b'{"status":"ok"}', count=2).count(b"HTTP/1.1 200") == 2
    finally:
        sock.close()


def count_quads(server) -> int:
    response = requests.get(server.url + "/sparql", params={"query": COUNT_ALL},
                            headers=SPARQL_JSON, timeout=10)
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def lines_of_triples(size: int, subject: str) -> bytes:
    """About ``size`` bytes of N-Triples, one triple a line: any prefix cut at a line end
    parses, so only the declared length tells a whole body from a cut one."""
    line = f"<urn:x:{subject}> <urn:x:p> \"%08d\" .\n"
    return "".join(line % i for i in range(size // len(line % 0) + 1)).encode()


WRITES = {
    "graph-store-put": ("PUT /rdf-graph-store?graph=urn:x:cut HTTP/1.1", "application/n-triples"),
    "bulk-load": ("POST /rdf-graph-store HTTP/1.1", "application/n-quads"),
    "update": ("POST /sparql HTTP/1.1", "application/sparql-update"),
}


@pytest.mark.parametrize("size", [1000, 1024 * 1024], ids=["small-body", "large-body"])
@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_client_that_disconnects_mid_write_changes_nothing(slow_server, write, size):
    """Atomicity: a write whose client goes away before the whole body is sent (cut at a
    line end, so the part sent is itself valid) writes nothing, and the server serves on."""
    before = count_quads(slow_server)
    request_line, media_type = WRITES[write]
    body = lines_of_triples(size, "cut")
    if write == "update":
        body = b"INSERT DATA { " + body + b" }"
    cut = body.rindex(b"\n", 0, len(body) * 6 // 10) + 1
    sock = connect(slow_server)
    try:
        sock.sendall(f"{request_line}\r\nHost: 127.0.0.1\r\n"
                     f"Authorization: Bearer {TOKEN}\r\nContent-Type: {media_type}\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:cut])
        time.sleep(0.3)
    finally:
        sock.close()
    time.sleep(1.0)  # what the server would do with the cut body, it has done by now
    assert_answered_within_a_second(slow_server)
    assert count_quads(slow_server) == before


def test_a_chunked_bulk_load_cut_before_its_last_chunk_changes_nothing(slow_server):
    """The same for a chunked body: whole chunks sent (each a valid run of lines), then
    the client goes away before the last, empty, chunk."""
    before = count_quads(slow_server)
    body = lines_of_triples(1024 * 1024, "chunked-cut")
    sock = connect(slow_server)
    try:
        sock.sendall(b"POST /rdf-graph-store HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Authorization: Bearer " + TOKEN.encode() + b"\r\n"
                     b"Content-Type: application/n-quads\r\nTransfer-Encoding: chunked\r\n\r\n")
        cut = body.rindex(b"\n", 0, len(body) * 6 // 10) + 1
        for start in range(0, cut, 65536):
            piece = body[start:min(start + 65536, cut)]
            sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
        time.sleep(0.3)
    finally:
        sock.close()
    time.sleep(1.0)
    assert_answered_within_a_second(slow_server)
    assert count_quads(slow_server) == before
