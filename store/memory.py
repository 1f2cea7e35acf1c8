"""The in-memory backend: a pyoxigraph ``Store`` in this process, nothing kept after it ends.

For tests, ``validate`` of files and scratch builds. One lock serialises everything, so a
read never sees a write half-done and a write is applied whole (one pyoxigraph transaction,
:func:`alliancegraph.store.engine.apply_change`; a :class:`BulkFile` is one ``Store.load``
of its file, which is transactional too). Queries are not stopped at a time limit
(pyoxigraph cannot cancel a running query in-process): ``stops_runaway_queries`` is False
and ``timeout`` arguments are ignored.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Literal, TypeVar

import pyoxigraph as ox
from alliancegraph.errors import StoreUnavailable, WriteConflict
from alliancegraph.store import engine
from alliancegraph.store.base import (
    Applied,
    BulkFile,
    Change,
    Dataset,
    QueryOutcome,
    Solutions,
    Term,
)
from alliancegraph.store.sparql_guard import query_form

T = TypeVar("T")
_CHUNK = 64 * 1024


class MemoryBackend:
    """:class:`alliancegraph.store.base.Backend` over an in-memory pyoxigraph store."""

    name = "memory"
    stops_runaway_queries = False

    def __init__(self) -> None:
        self._store = ox.Store()
        self._lock = threading.RLock()
        self._generation = 0
        self._committed_at = time.time()
        self._closed = False

    def _locked(self, work: Callable[[ox.Store], T]) -> T:
        with self._lock:
            if self._closed:
                raise RuntimeError("the memory backend is closed")
            return work(self._store)

    def generation(self) -> int:
        return self._generation

    def committed_at(self) -> float:
        return self._committed_at

    def state(self) -> tuple[int, float]:
        with self._lock:  # a write sets both: never one of each
            return self._generation, self._committed_at

    # ------------------------------------------------------------------ queries

    def select(self, sparql: str, *, dataset: Dataset, base_iri: str | None, max_rows: int,
               timeout: float | None = None) -> Solutions:
        return self._locked(lambda s: engine.select(s, sparql, dataset=dataset,
                                                    base_iri=base_iri, max_rows=max_rows))

    def ask(self, sparql: str, *, dataset: Dataset, base_iri: str | None,
            timeout: float | None = None) -> bool:
        return self._locked(lambda s: engine.ask(s, sparql, dataset=dataset, base_iri=base_iri))

    def construct(self, sparql: str, *, dataset: Dataset, base_iri: str | None, max_rows: int,
                  timeout: float | None = None) -> list[ox.Triple]:
        return self._locked(lambda s: engine.construct(s, sparql, dataset=dataset,
                                                       base_iri=base_iri, max_rows=max_rows))

    def query(self, sparql: str, *, media_type: str, dataset: Dataset, base_iri: str | None,
              max_rows: int, timeout: float | None = None) -> QueryOutcome:
        form = query_form(sparql)
        return self._locked(lambda s: engine.query(
            s, sparql, form=form, media_type=media_type, dataset=dataset, base_iri=base_iri,
            max_rows=max_rows))

    # ------------------------------------------------------------------ reads

    def quads(self, subject: Term | None = None, predicate: ox.NamedNode | None = None,
              object: Term | None = None, graph: str | Literal["*"] | None = "*", *,
              limit: int) -> list[ox.Quad]:
        return self._locked(lambda s: engine.quads(s, subject, predicate, object, graph,
                                                   limit=limit))

    def graph_names(self) -> list[str]:
        return self._locked(engine.graph_names)

    def graph_exists(self, name: str | None) -> bool:
        return self._locked(lambda s: engine.graph_exists(s, name))

    def get_graph(self, name: str | None, *, media_type: str) -> bytes:
        return self._locked(lambda s: engine.get_graph(s, name, media_type=media_type))

    def count(self, graph: str | Literal["*"] | None = "*") -> int:
        return self._locked(lambda s: engine.count(s, graph))

    def dump(self, *, media_type: str) -> Iterator[bytes]:
        buffer = io.BytesIO()
        self._locked(lambda s: engine.dump(s, buffer, media_type=media_type))
        data = buffer.getvalue()
        return iter([data[i:i + _CHUNK] for i in range(0, len(data), _CHUNK)] or [b""])

    def status(self) -> dict[str, Any]:
        def work(store: ox.Store) -> dict[str, Any]:
            return {**engine.status(store), "backend": self.name,
                    "generation": self._generation}

        return self._locked(work)

    def read_view(self, work: Callable[..., T], *args: Any,
                  timeout: float | None = None) -> tuple[T, int]:
        # under the lock: no write can come between what ``work`` reads and the generation
        return self._locked(lambda s: (work(s, *args), self._generation))

    # ------------------------------------------------------------------ writes

    def apply(self, change: Change, *, if_generation: int | None = None,
              timeout: float | None = None) -> Applied:
        def work(store: ox.Store) -> Applied:
            if if_generation is not None and if_generation != self._generation:
                raise WriteConflict(f"the store changed (generation {self._generation}, "
                                    f"expected {if_generation}); nothing was written")
            effect = _apply(store, change)
            self._generation += 1
            self._committed_at = time.time()
            return Applied(self._generation, created=effect.created, counts=effect.counts)

        return self._locked(work)

    def apply_prepared(self, prepare: Callable[..., tuple[Change | None, Any]], *args: Any,
                       timeout: float | None = None) -> tuple[Applied | None, Any]:
        def work(store: ox.Store) -> tuple[Applied | None, Any]:
            change, payload = prepare(store, *args)
            if change is None:
                return None, payload
            effect = _apply(store, change)
            self._generation += 1
            self._committed_at = time.time()
            return Applied(self._generation, created=effect.created,
                           counts=effect.counts), payload

        return self._locked(work)  # one lock: nothing comes between prepare and apply

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._store = ox.Store()


def _apply(store: ox.Store, change: Change) -> engine.Effect:
    if not isinstance(change, BulkFile):
        return engine.apply_change(store, change)
    try:  # one transaction: all of the file or nothing
        store.load(path=str(change.path), format=ox.RdfFormat.N_QUADS)
    except SyntaxError as exc:
        raise engine.parse_error(exc, source=str(change.path)) from None
    except OSError as exc:
        raise StoreUnavailable(f"the bulk load of {change.path} failed, nothing was "
                               f"written: {exc}") from None
    return engine.Effect()
