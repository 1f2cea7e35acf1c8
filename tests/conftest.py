"""Fixtures shared by the whole suite.

The seed papers are read from ``../shared/seeds/`` (CI always has it beside the clone);
the product itself never reads them.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph.sources import load_sources

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


@pytest.fixture(scope="session")
def paper_texts() -> dict[str, str]:
    """Normalised text of each seed paper, keyed by ``paper-a`` / ``paper-b``."""
    return {name: normalise(path.read_text(encoding="utf-8")) for name, path in PAPER_FILES.items()}


@pytest.fixture(scope="session")
def seed_markdown() -> dict[str, str]:
    """Each seed paper as printed (markup kept), keyed like ``paper_texts``."""
    return {name: path.read_text(encoding="utf-8") for name, path in PAPER_FILES.items()}


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
