"""Fixtures shared by the whole suite.

The seed papers are read from ``../shared/seeds/`` (CI always has it beside the clone);
the product itself never reads them.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import http.server
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pyoxigraph as ox
import pytest
import requests
from alliancegraph.graph.sources import load_sources
from requests.structures import CaseInsensitiveDict

# the one reading of a server's process group, shared with the stress runs (bench/ is on
# pytest's pythonpath)
from stress import session_members as server_processes

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
PAPER_FILES = {
    # Hinata-Yamaguchi, "New age in Japan-ROK relations"
    "paper-a": SEEDS / "000_d8a697b6a8185fb0.txt",
    # Yon, "The Changing Security Environment …"
    "paper-b": SEEDS / "002_5b83774101edd79f.txt",
}


def normalise(text: str) -> str:
    """The seed text without markup, as quotes in the graph are written.

    Footnote markers (``<sup>12</sup>``) go; other superscripts keep their text
    (``9<sup>th</sup>`` → ``9th``); emphasis ``*``, heading ``#``s, ``\\_`` escapes and
    the angle brackets around URLs go; every run of white space becomes one space.
    """
    text = re.sub(r"<sup>\s*\d+\s*</sup>", "", text)
    text = re.sub(r"</?sup>", "", text)
    text = re.sub(r"<(https?://[^>\s]+)>", r"\1", text)
    text = re.sub(r"(?m)^\s*#+\s*", "", text)
    text = text.replace("\\_", "_").replace("\\*", "*").replace("*", "")
    return re.sub(r"\s+", " ", text).strip()


#: Why tests that need ``../shared/`` do not run in a clone without it (CI always has it).
SHARED_MISSING = (f"not run: {SHARED} is absent (the seed papers and the W3C conformance "
                  "suites live there; CI has it beside the clone)")


def pytest_report_header(config: pytest.Config) -> str | None:
    """One line at the start of the run when ``../shared/`` is missing."""
    if SHARED.is_dir():
        return None
    return ("../shared/ not found: the W3C SPARQL 1.1 and SHACL conformance suites and the "
            "checks against the seed papers are skipped (each with its reason)")


def _seed_paths() -> dict[str, Path]:
    if not all(path.is_file() for path in PAPER_FILES.values()):
        pytest.skip(SHARED_MISSING)
    return PAPER_FILES


@pytest.fixture(scope="session")
def paper_texts() -> dict[str, str]:
    """Normalised text of each seed paper, keyed by ``paper-a`` / ``paper-b``."""
    return {name: normalise(path.read_text(encoding="utf-8"))
            for name, path in _seed_paths().items()}


@pytest.fixture(scope="session")
def seed_markdown() -> dict[str, str]:
    """Each seed paper as printed (markup kept), keyed like ``paper_texts``."""
    return {name: path.read_text(encoding="utf-8") for name, path in _seed_paths().items()}


@pytest.fixture(scope="session")
def normaliser():
    """:func:`normalise` itself, for tests that normalise parts of a seed (modules cannot import
    conftest under ``--import-mode=importlib``)."""
    return normalise


@pytest.fixture(scope="session")
def source_store() -> ox.Store:
    """An in-memory store with every bundled source loaded (no inference)."""
    store = ox.Store()
    load_sources(store)
    return store


@pytest.fixture(scope="session")
def bundled_store(source_store: ox.Store, tmp_path_factory: pytest.TempPathFactory):
    """The project's store (in memory, writes not validated) holding every bundled source:
    what code that reads through the store API is tested on. One for the session: tests
    only read it (a test that writes makes its own store)."""
    from alliancegraph.config import load_settings
    from alliancegraph.store import open_store
    from alliancegraph.store.base import QuadDelta

    folder = tmp_path_factory.mktemp("bundled")
    store = open_store(load_settings(environ={}, overrides={
        "data_dir": str(folder), "store": "memory", "validate_on_write": False}))
    store.backend.apply(QuadDelta(added=tuple(source_store)))
    yield store
    store.close()


class Canary:
    """A loopback HTTP listener that counts every connection made to it and answers each
    with a small Turtle document holding :attr:`marker` (so leaked content is visible)."""

    marker = "canary-content-7d3f"

    def __init__(self) -> None:
        self.connections = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.2)
        self.port = self._server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self._running = True
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        body = f'<urn:canary> <urn:says> "{self.marker}" .\n'.encode()
        while self._running:
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            with connection:
                connection.settimeout(1)
                with contextlib.suppress(OSError):
                    connection.recv(65536)
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/turtle\r\n"
                                       b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                                       % (len(body), body))

    def close(self) -> None:
        self._running = False
        self._thread.join(timeout=5)
        self._server.close()


@pytest.fixture
def canary():
    """A fresh :class:`Canary` on a free loopback port, closed after the test."""
    listener = Canary()
    try:
        yield listener
    finally:
        listener.close()


@pytest.fixture
def local_canary_file(tmp_path: Path) -> tuple[Path, str]:
    """A local N-Triples file whose content must never appear in an answer."""
    marker = "local-file-content-91ab"
    path = tmp_path / "secret.nt"
    path.write_text(f'<urn:secret> <urn:says> "{marker}" .\n', encoding="utf-8")
    return path, marker


@pytest.fixture(scope="session")
def sort_panic_query() -> str:
    """A query pyoxigraph 0.5.13 aborts on (a Rust sort panic, not an exception): ORDER BY
    over plain strings, language-tagged strings and xsd:decimal numbers, which its
    comparison cannot order totally."""
    values = " ".join(f'"{n}.{n % 10}"^^<http://www.w3.org/2001/XMLSchema#decimal> '
                      f'"{n + 7}" "{n + 3}"@en' for n in range(3, 90, 7))
    return f"SELECT ?x WHERE {{ VALUES ?x {{ {values} }} }} ORDER BY ?x"


# ---------------------------------------------------------------------- real servers

def wait_ready(url: str, process: subprocess.Popen, log: Path, *, timeout: float = 300.0,
               probe_timeout: float = 2.0) -> None:
    """Poll ``url/healthz`` until it answers 200. Any request error (refused, reset, a read
    time-out on a loaded machine) means "not yet"; RuntimeError when ``process`` exits or
    the deadline passes (a first start builds the graph: minutes on a busy machine)."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}):\n"
                               + log.read_text(errors="replace"))
        try:
            if requests.get(url + "/healthz", timeout=probe_timeout).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"server did not answer within {timeout:g} s:\n"
                               + log.read_text(errors="replace"))
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``alliancegraph serve`` in a subprocess (gunicorn), spoken to over HTTP."""

    def __init__(self, data_dir: Path, env: dict[str, str], workers: int = 2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.log = data_dir.parent / f"server-{self.port}.log"
        command = [sys.executable, "-c", "from alliancegraph.cli import main; main()",
                   "serve", "--host", "127.0.0.1", "--port", str(self.port),
                   "--workers", str(workers), "--data-dir", str(data_dir)]
        environment = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCEGRAPH_")}
        environment["ALLIANCEGRAPH_VALIDATE_ON_WRITE"] = "false"  # protocol data, not ours
        environment.update(env)
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(command, env=environment, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 300.0) -> None:
        try:
            wait_ready(self.url, self.process, self.log, timeout=timeout)
        except BaseException:
            self.stop()  # whatever went wrong, nothing we started outlives the fixture
            raise

    def stop(self) -> None:
        stop_process(self.process)


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM a server we started, then SIGKILL if it has not ended within 20 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def server_env(**settings: object) -> dict[str, str]:
    return {"ALLIANCEGRAPH_" + k.upper(): str(v) for k, v in settings.items()}


@pytest.fixture(scope="session")
def start_server() -> Iterator:
    """A factory for test modules with their own data: ``start_server(data_dir, **settings)``
    starts a real server over ``data_dir``; every server it started is stopped at the end."""
    started: list[Server] = []

    def start(data_dir: Path, **settings: object) -> Server:
        running = Server(data_dir, server_env(**settings))
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture(scope="session")
def server_tools() -> SimpleNamespace:
    """The helpers behind the server fixtures, for the tests of those fixtures (test modules
    cannot import conftest under ``--import-mode=importlib``)."""
    return SimpleNamespace(wait_ready=wait_ready, free_port=free_port, Server=Server,
                           server_processes=server_processes, stop_process=stop_process)


# ------------------------------------------------------------ external SPARQL endpoints
# Stand-ins for Wikidata and DBpedia (unreachable here): Oxigraph's own server from PyPI,
# read-only on loopback, over the hand-written data in tests/fixtures/external/ (its README
# lists what each of our entities should match there).

EXTERNAL_DATA = ROOT / "tests" / "fixtures" / "external"
SPARQL_JSON = "application/sparql-results+json"


def oxigraph_cli() -> str:
    """The ``oxigraph`` server CLI beside this interpreter (the venv), else on PATH."""
    beside = Path(sys.executable).with_name("oxigraph")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("oxigraph")
    if found:
        return found
    pytest.fail("the `oxigraph` server CLI (PyPI oxigraph==0.5.13) is not installed beside "
                f"{sys.executable} nor on PATH: install the test extras, "
                "`pip install -e '.[test]'`", pytrace=False)


#: Linux's prctl, looked up before any fork (a child of a threaded parent should do little)
_PRCTL = ctypes.CDLL(None).prctl if sys.platform.startswith("linux") else None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it when pytest dies without its teardown (a SIGKILL,
    a CI time-out), so no server outlives the run (Linux; elsewhere teardown alone)."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


class OxigraphServer:
    """``oxigraph serve-read-only`` over one Turtle file, loaded into its own directory; or,
    ``writable`` with no ``data``, ``oxigraph serve`` over an empty one (``update_url``)."""

    def __init__(self, data: Path | None, workdir: Path, *, timeout: float = 60.0,
                 writable: bool = False) -> None:
        self.cli = oxigraph_cli()
        self.location = workdir / "store"
        self.log = workdir / "server.log"
        self.command = "serve" if writable else "serve-read-only"
        if data is not None:
            self._load(data)
        self.process: subprocess.Popen | None = None
        # a free port can be taken between probe and bind: try a few before giving up
        for attempt in range(3):
            self.port = free_port()
            self.url = self.query_url = f"http://127.0.0.1:{self.port}/query"
            self.update_url = f"http://127.0.0.1:{self.port}/update"
            self.graph_store_url = f"http://127.0.0.1:{self.port}/store"
            self._start()
            try:
                self._wait_ready(timeout)
                return
            except RuntimeError:
                self.stop()
                if attempt == 2 or "in use" not in self.log.read_text(errors="replace"):
                    raise

    def _load(self, data: Path) -> None:
        done = subprocess.run([self.cli, "load", "--location", str(self.location),
                               "--file", str(data)], capture_output=True, text=True,
                              timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"oxigraph load {data} failed ({done.returncode}):\n"
                               f"{done.stdout}{done.stderr}")

    def _start(self) -> None:
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [self.cli, self.command, "--location", str(self.location),
                 "--bind", f"127.0.0.1:{self.port}"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_die_with_parent)

    def _wait_ready(self, timeout: float) -> None:
        """Poll with a real query until it answers; RuntimeError on exit or deadline."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"oxigraph server exited ({self.process.returncode}):\n"
                                   + self.log.read_text(errors="replace"))
            try:
                # ASK {} is true on any store, an empty writable one too
                answer = requests.get(self.url, params={"query": "ASK {}"},
                                      headers={"Accept": SPARQL_JSON}, timeout=2)
                if answer.status_code == 200 and answer.json().get("boolean") is True:
                    return
            except (requests.RequestException, ValueError):
                pass  # not listening yet, or not answering yet
            if time.monotonic() > deadline:
                raise RuntimeError(f"oxigraph server did not answer within {timeout:g} s:\n"
                                   + self.log.read_text(errors="replace"))
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass(frozen=True)
class ExternalEndpoints:
    """The SPARQL query URLs of the Wikidata- and DBpedia-shaped servers."""

    wikidata: str
    dbpedia: str

    def settings(self, **more: object) -> dict[str, object]:
        """Settings that point link discovery, enrichment and federation at these servers."""
        return {"wikidata_endpoint": self.wikidata, "dbpedia_endpoint": self.dbpedia,
                "federation_endpoints": f"{self.wikidata} {self.dbpedia}", **more}


@pytest.fixture(scope="session")
def external_sparql(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExternalEndpoints]:
    """Two read-only Oxigraph servers on loopback, loaded with ``wikidata.ttl`` and
    ``dbpedia.ttl``; both stopped at the end of the session, whatever happened."""
    with contextlib.ExitStack() as running:
        servers = {}
        for name in ("wikidata", "dbpedia"):
            server = OxigraphServer(EXTERNAL_DATA / f"{name}.ttl",
                                    tmp_path_factory.mktemp(f"oxigraph-{name}"))
            running.callback(server.stop)
            servers[name] = server.url
        yield ExternalEndpoints(**servers)


@dataclass(frozen=True)
class Step:
    """What the proxy does with one request (build one with the class methods)."""

    kind: str                     # "status", "delay", "redirect", "body" or "passthrough"
    code: int = 200               # the HTTP status answered (status, redirect, body)
    retry_after: str | None = None
    seconds: float = 0.0
    location: str | None = None
    content_type: str = "text/plain; charset=utf-8"
    text: str = ""

    @classmethod
    def status(cls, code: int, retry_after: str | None = None) -> Step:
        """Answer ``code`` (with ``Retry-After`` when given) instead of forwarding."""
        return cls("status", code=code, retry_after=retry_after,
                   text=f"scripted answer {code}\n")

    @classmethod
    def delay(cls, seconds: float) -> Step:
        """Sleep ``seconds``, then forward (a client with a shorter timeout gives up)."""
        return cls("delay", seconds=seconds)

    @classmethod
    def redirect(cls, url: str, code: int = 302) -> Step:
        """Answer a redirect to ``url``."""
        return cls("redirect", code=code, location=url)

    @classmethod
    def body(cls, code: int, content_type: str, text: str) -> Step:
        """Answer exactly this (e.g. a 200 that is no SPARQL JSON)."""
        return cls("body", code=code, content_type=content_type, text=text)

    @classmethod
    def passthrough(cls) -> Step:
        """Forward to the upstream server."""
        return cls("passthrough")


@dataclass(frozen=True)
class Recorded:
    """One request the proxy received."""

    method: str
    path: str                     # with its query string
    query: str | None             # the decoded SPARQL text, wherever it was sent
    headers: CaseInsensitiveDict  # as received (urllib sends "User-agent")
    body: bytes
    at: float                     # time.monotonic() on arrival
    step: Step = field(default_factory=Step.passthrough)  # what it got

    @property
    def user_agent(self) -> str | None:
        return self.headers.get("User-Agent")


def sparql_query_of(method: str, target: str, headers: Mapping[str, str],
                    body: bytes) -> str | None:
    """The query of a SPARQL protocol request: URL ``query``, form body or a direct body."""
    found = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query).get("query")
    if found:
        return found[0]
    content_type = headers.get("Content-Type", "").split(";")[0].strip().lower()
    if method == "POST" and content_type == "application/x-www-form-urlencoded":
        found = urllib.parse.parse_qs(body.decode("utf-8")).get("query")
        return found[0] if found else None
    if method == "POST" and content_type == "application/sparql-query":
        return body.decode("utf-8")
    return None


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    server: _ProxyServer

    def do_GET(self) -> None:
        self.server.proxy.handle(self)

    def do_POST(self) -> None:
        self.server.proxy.handle(self)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the record is in FlakyProxy.requests


class _ProxyServer(http.server.ThreadingHTTPServer):
    daemon_threads = False        # closing joins the handlers (a delay is cut short first)
    block_on_close = True
    proxy: FlakyProxy


class FlakyProxy:
    """A loopback HTTP proxy in front of a SPARQL endpoint that answers the next requests
    as scripted (:meth:`script`), then forwards; every request is recorded."""

    Step = Step  # so tests reach it as ``flaky_endpoint.Step``

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self._lock = threading.Lock()
        self._steps: collections.deque[Step] = collections.deque()
        self._requests: list[Recorded] = []
        self._closing = threading.Event()
        self._server = _ProxyServer(("127.0.0.1", 0), _ProxyHandler)
        self._server.proxy = self
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/query"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def script(self, *steps: Step) -> None:
        """What the next requests get, in order (replacing steps not used yet); then
        every request is forwarded."""
        with self._lock:
            self._steps = collections.deque(steps)

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    @property
    def pending(self) -> int:
        """Scripted steps not used yet."""
        with self._lock:
            return len(self._steps)

    def handle(self, request: _ProxyHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        headers = CaseInsensitiveDict(request.headers.items())
        with self._lock:
            step = self._steps.popleft() if self._steps else Step.passthrough()
            self._requests.append(Recorded(
                request.command, request.path,
                sparql_query_of(request.command, request.path, headers, body),
                headers, body, time.monotonic(), step))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._answer(request, step, headers, body)

    def _answer(self, request: _ProxyHandler, step: Step, headers: Mapping[str, str],
                body: bytes) -> None:
        if step.kind == "delay" and self._closing.wait(step.seconds):
            return  # the proxy is closing: answer nothing
        if step.kind in ("status", "body"):
            extra = {"Retry-After": step.retry_after} if step.retry_after else {}
            self._send(request, step.code, step.content_type, step.text.encode(), extra)
        elif step.kind == "redirect":
            self._send(request, step.code, "text/plain; charset=utf-8",
                       f"see {step.location}\n".encode(), {"Location": step.location})
        else:
            self._forward(request, headers, body)

    def _forward(self, request: _ProxyHandler, headers: Mapping[str, str],
                 body: bytes) -> None:
        query_string = urllib.parse.urlsplit(request.path).query
        target = self.upstream + (f"?{query_string}" if query_string else "")
        sent = {name: headers[name] for name in ("Accept", "Content-Type") if name in headers}
        try:
            answer = requests.request(request.command, target, data=body or None,
                                      headers=sent, timeout=30, allow_redirects=False)
        except requests.RequestException as error:  # what a real gateway answers then
            self._send(request, 502, "text/plain; charset=utf-8",
                       f"upstream {self.upstream} failed: {error}\n".encode(), {})
            return
        self._send(request, answer.status_code,
                   answer.headers.get("Content-Type", "application/octet-stream"),
                   answer.content, {})

    @staticmethod
    def _send(request: _ProxyHandler, status: int, content_type: str, payload: bytes,
              extra: Mapping[str, str]) -> None:
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(payload)))
        for name, value in extra.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(payload)

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def flaky_endpoint(external_sparql: ExternalEndpoints) -> Iterator[FlakyProxy]:
    """A fresh :class:`FlakyProxy` in front of the Wikidata-shaped server, closed after."""
    proxy = FlakyProxy(external_sparql.wikidata)
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture
def flaky_proxy() -> Iterator:
    """A factory, ``flaky_proxy(upstream_url)``, for a :class:`FlakyProxy` in front of any
    endpoint (e.g. the DBpedia-shaped one); every proxy it made is closed after the test."""
    made: list[FlakyProxy] = []

    def make(upstream: str) -> FlakyProxy:
        made.append(FlakyProxy(upstream))
        return made[-1]

    yield make
    for proxy in made:
        proxy.close()


@pytest.fixture(scope="session")
def step() -> type[Step]:
    """:class:`Step` itself (test modules cannot import conftest under importlib mode)."""
    return Step


@pytest.fixture(scope="session")
def external_tools() -> SimpleNamespace:
    """The helpers behind ``external_sparql`` and ``flaky_endpoint``, for the tests of those
    fixtures (test modules cannot import conftest under ``--import-mode=importlib``)."""
    return SimpleNamespace(OxigraphServer=OxigraphServer, oxigraph_cli=oxigraph_cli,
                           FlakyProxy=FlakyProxy, Step=Step, sparql_query_of=sparql_query_of,
                           data=EXTERNAL_DATA)


# ------------------------------------------------------------ a writable Oxigraph server
# The remote backend's tests: ``oxigraph serve`` (read-write) on loopback, one per request.


@pytest.fixture()
def writable_oxigraph(tmp_path: Path) -> Iterator[OxigraphServer]:
    """An empty, writable Oxigraph server on loopback, stopped afterwards."""
    server = OxigraphServer(None, tmp_path, writable=True)
    yield server
    server.stop()
