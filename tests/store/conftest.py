"""What the store tests share: each backend of the seam, opened once per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alliancegraph.store.base import Backend


def make_backend(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Backend:
    if kind == "memory":
        from alliancegraph.store.memory import MemoryBackend

        return MemoryBackend()
    from alliancegraph.store.embedded import EmbeddedBackend

    return EmbeddedBackend(tmp_path_factory.mktemp("embedded"), query_timeout=30.0)


@pytest.fixture(scope="module", params=["memory", "embedded"])
def backend(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """The memory and the embedded backend in turn (a module may define its own)."""
    made = make_backend(request.param, tmp_path_factory)
    yield made
    made.close()
