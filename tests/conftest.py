"""Fixtures shared by the whole suite.

The seed papers are read from ``../shared/seeds/`` (CI always has it beside the clone);
the product itself never reads them.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pyoxigraph as ox
import pytest
import requests
from alliancegraph.graph.sources import load_sources

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
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


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
                           server_processes=server_processes)


def server_processes(leader: int) -> set[int]:
    """Live pids in the process group or session of ``leader`` (a server started with
    ``start_new_session``: its master, workers, store workers and their children)."""
    members = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and leader in (int(fields[2]), int(fields[3])):
                members.add(int(entry.name))
    return members
