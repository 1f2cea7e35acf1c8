"""What the store tests share: each backend of the seam, opened once per module.

``backend`` gives the in-process backends (memory, embedded); ``contract_backend`` gives
every backend, the remote ones on real servers started on loopback for the module: an
empty writable Oxigraph server, and Virtuoso (``bench/virtuoso.py`` installs and starts it;
the Virtuoso cases are skipped with its reason where it cannot be installed).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from alliancegraph.store.base import Backend

IN_PROCESS = ["memory", "embedded"]
ALL_BACKENDS = [*IN_PROCESS, "remote", "virtuoso"]


def make_backend(kind: str, tmp_path_factory: pytest.TempPathFactory,
                 servers: contextlib.ExitStack | None = None,
                 tools: SimpleNamespace | None = None) -> Backend:
    """A fresh, empty backend of ``kind``; a server it needs is stopped by ``servers``."""
    if kind == "memory":
        from alliancegraph.store.memory import MemoryBackend

        return MemoryBackend()
    if kind == "embedded":
        from alliancegraph.store.embedded import EmbeddedBackend

        return EmbeddedBackend(tmp_path_factory.mktemp("embedded"), query_timeout=30.0)
    assert servers is not None and tools is not None, f"{kind} needs a server"
    if kind == "remote":
        from alliancegraph.store.remote import RemoteBackend

        server = tools.OxigraphServer(None, tmp_path_factory.mktemp("oxigraph"),
                                      writable=True)
        servers.callback(server.stop)
        return RemoteBackend(server.query_url, server.update_url,
                             getattr(server, "graph_store_url", None), timeout=30.0)
    if kind == "virtuoso":
        import virtuoso  # bench/virtuoso.py (pytest's pythonpath)
        from alliancegraph.store.virtuoso import VirtuosoBackend

        reason = virtuoso.unavailable()
        if reason:
            pytest.skip(reason)
        server = virtuoso.Virtuoso(tmp_path_factory.mktemp("virtuoso"))
        servers.callback(server.stop)
        return VirtuosoBackend(server.query_url, server.update_url, server.graph_store_url,
                               user=server.user, password=server.password, timeout=30.0)
    raise ValueError(f"no backend kind {kind!r}")


@pytest.fixture(scope="module", params=IN_PROCESS)
def backend(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """The memory and the embedded backend in turn (a module may define its own)."""
    made = make_backend(request.param, tmp_path_factory)
    yield made
    made.close()


@pytest.fixture(scope="module", params=ALL_BACKENDS)
def contract_backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                     external_tools: SimpleNamespace) -> Iterator[Backend]:
    """Every backend in turn, the remote ones on servers of their own for the module."""
    with contextlib.ExitStack() as servers:
        made = make_backend(request.param, tmp_path_factory, servers, external_tools)
        servers.callback(made.close)
        yield made
