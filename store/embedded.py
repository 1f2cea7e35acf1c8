"""The embedded backend: Oxigraph (pyoxigraph) on disk, served by a pool of processes.

Files in ``data_dir``::

    oxigraph/              the store (RocksDB), written only by a writer process
    oxigraph.lock          held EXCLUSIVE by the one writer applying a change (all processes)
    oxigraph.generation    the number of the last committed write (replaced atomically)
    oxigraph.journal       a write in progress (its redo record), while it is applied
    oxigraph.snapshots/N/  the committed state N: a RocksDB checkpoint (hard links)
    oxigraph.snapshots/N.lock  held SHARED by every reader that has snapshot N open

**Readers** (``readers`` processes) keep a snapshot open read-only and answer one operation
at a time. Before each one a reader looks at the generation file and, when it changed,
opens the new snapshot. A snapshot never changes, so a reader never blocks on a write,
never sees half of one, and never opens RocksDB files another process is writing (a
read-only open of a store being written is undefined behaviour: "Corruption … .sst: No
such file"). A reader over its time limit is killed (pyoxigraph has no cancellation) and
replaced; the other readers go on serving.

**The writer** (one process per backend) applies a change under the exclusive lock:
journal it (atomic rename; fsync for a redo record), open the store read-write, apply,
checkpoint it as snapshot N+1 (which flushes it), close it (no handle survives: a leaked
one kept RocksDB's LOCK), publish generation N+1 (fsync), delete the journal, remove the
snapshots no reader holds. Idle readers move to a new snapshot within half a second. A redo journal
(a delta, a build: pyoxigraph has no transaction spanning removals and additions) is
replayed by whoever takes the lock next; a SPARQL update or a graph replace/merge/drop
is one pyoxigraph transaction, and its journal only asks for a new snapshot.

**A bulk load** (:class:`BulkFile`) runs ``Store.bulk_load`` over the loader's N-Quads file:
the fastest way in, but not atomic (it writes batches as it goes, and leaves what it wrote
when it fails). Its journal is an undo record: a load that fails, or a writer killed during
it, is rolled back by restoring the store from the last published snapshot (the committed
state, which readers were reading all along), and the generation is not advanced. So a
bulk load is all-or-nothing like every other write, and a failed one can simply be run
again. It is not under the writer's memory cap (``bulk_load`` streams the file).

Reads and writes are those of :mod:`alliancegraph.store.engine`, as in every Oxigraph
backend, run in these processes on their open store; only the build is loaded in bulk.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import os
import pickle
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import pyoxigraph as ox
from alliancegraph.errors import (
    AllianceGraphError,
    QueryTimeout,
    ResultTooLarge,
    StoreUnavailable,
    WriteConflict,
    WriteTimeout,
)
from alliancegraph.store import engine, limits, sparql_guard
from alliancegraph.store.base import (
    Applied,
    BulkFile,
    Change,
    Dataset,
    DropGraph,
    MergeGraph,
    QuadDelta,
    QueryOutcome,
    ReplaceGraph,
    ReplaceGraphs,
    Solutions,
    Term,
    Update,
)
from alliancegraph.store.lookup import is_bounded_lookup
from alliancegraph.store.pool import Pool, Worker

T = TypeVar("T")

_CHUNK = 64 * 1024
#: the parent waits this much longer than the writer waits for its lock, so that a write
#: that only waited gets the writer's own answer rather than being killed
_WRITE_GRACE = 2.0
#: record kinds whose journal must be replayed (not one pyoxigraph transaction)
_REDO = ("delta", "graphs")
#: record kinds written outside a transaction whose journal means "roll back"
_UNDO = ("bulk",)
#: record kinds not held in memory by the writer: not under its memory cap
_UNCAPPED = (*_REDO, *_UNDO)
#: the most rows a query answered in the serving thread may return; past that it is asked
#: of a reader (whose time and memory limits apply) after all
LOCAL_ROWS = 1000
log = logging.getLogger(__name__)


def store_directory(data_dir: str | os.PathLike[str]) -> Path:
    """Where the Oxigraph files of the store in ``data_dir`` live."""
    return Path(data_dir) / "oxigraph"


def store_exists(data_dir: str | os.PathLike[str]) -> bool:
    """Whether a store has been created in ``data_dir``."""
    return (store_directory(data_dir) / "CURRENT").exists()


@dataclass(frozen=True)
class _Paths:
    data_dir: Path
    store: Path
    lock: Path
    generation: Path
    journal: Path
    snapshots: Path

    @classmethod
    def of(cls, data_dir: str | os.PathLike[str]) -> _Paths:
        store = store_directory(data_dir)
        beside = store.with_name
        return cls(Path(data_dir), store, beside("oxigraph.lock"),
                   beside("oxigraph.generation"), beside("oxigraph.journal"),
                   beside("oxigraph.snapshots"))

    def snapshot(self, generation: int) -> Path:
        return self.snapshots / str(generation)

    def snapshot_lock(self, generation: int) -> Path:
        return self.snapshots / f"{generation}.lock"


def read_generation(data_dir: str | os.PathLike[str]) -> int:
    """The generation of the store in ``data_dir`` (0: not created yet)."""
    return _generation(_Paths.of(data_dir))


def _generation(paths: _Paths) -> int:
    try:
        return int(paths.generation.read_bytes())
    except FileNotFoundError:
        return 0


def _write_atomically(path: Path, data: bytes, *, durable: bool) -> None:
    """``data`` in ``path`` or the old content, whatever happens to the process (rename);
    ``durable``: whatever happens to the machine too (fsync, rename, fsync)."""
    temp = path.with_name(path.name + ".tmp")
    with open(temp, "wb") as handle:
        handle.write(data)
        if durable:
            handle.flush()
            os.fsync(handle.fileno())
    os.replace(temp, path)
    if not durable:
        return
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


# ---------------------------------------------------------------------- the backend


class EmbeddedBackend:
    """:class:`alliancegraph.store.base.Backend` over the Oxigraph store in ``data_dir``
    (created empty on first use), served by ``readers`` reader processes and one writer.

    ``query_timeout``: seconds a read may take (waiting for a free reader included) unless
    the call gives its own; ``write_timeout``: seconds a write may wait for the writer and
    run; ``max_memory_mb``: memory one operation may add to its process (None: no cap; a
    build, :class:`ReplaceGraphs`, and a :class:`QuadDelta`, whose size the caller already
    holds in memory, are not capped). ``local_reads``: answer the queries proven cheap
    (:mod:`~alliancegraph.store.lookup`) in the calling thread, on a snapshot this process
    keeps open (:class:`_Local`), rather than in a reader.
    """

    name = "embedded"
    stops_runaway_queries = True

    def __init__(self, data_dir: str | os.PathLike[str], *, readers: int = 2,
                 query_timeout: float = 30.0, write_timeout: float = 600.0,
                 max_memory_mb: int | None = 2048, local_reads: bool = True):
        if readers < 1:
            raise ValueError("an embedded store needs at least one reader")
        self.data_dir = Path(data_dir)
        self.path = store_directory(data_dir)
        self.paths = _Paths.of(data_dir)
        self.readers = readers
        self.query_timeout = query_timeout
        self.write_timeout = write_timeout
        self.max_memory_mb = max_memory_mb
        self._lock = threading.Lock()
        self._processes = _Processes()
        self._local = _Local(self.paths) if local_reads else None
        self._closed = False
        # ends the processes when the backend is collected or the interpreter exits
        self._finalizer = weakref.finalize(self, self._processes.close)

    # ------------------------------------------------------------------ processes

    def _pools(self) -> _Processes:
        with self._lock:
            if self._closed:
                raise StoreUnavailable("this store has been closed")
            processes = self._processes
            if processes.pid != os.getpid():  # first use, or a process forked from the owner
                processes.abandon()
                processes.start(self)
            if not processes.ready:
                # the writer first: it creates the store, or finishes a write left half-way
                if _generation(self.paths) == 0 or self.paths.journal.exists():
                    processes.write(_initialise, (time.time() + self.write_timeout,
                                                  self.write_timeout),
                                    timeout=self.write_timeout + _WRITE_GRACE)
                processes.warm()
                processes.ready = True
            return processes

    def _read(self, function: Callable[..., T], *args: Any, timeout: float | None = None,
              label: str | None = None, **options: Any) -> T:
        """``function(view, *args, **options)`` in a reader."""
        pools = self._pools()
        return pools.read(_on_view, (function, args, options),
                          timeout=timeout or self.query_timeout, label=label)

    def reader_pids(self) -> list[int]:
        """The pids of the running reader processes (for tests and status)."""
        pools = self._processes
        return pools.readers.pids() if pools.readers is not None else []

    def writer_pids(self) -> list[int]:
        pools = self._processes
        return pools.writer.pids() if pools.writer is not None else []

    def _in_writer(self, function: Callable[..., T], *args: Any) -> T:
        """``function(writer, *args)`` in the writer process (tests of recovery)."""
        return self._pools().write(function, args, timeout=self.write_timeout)

    # ------------------------------------------------------------------ reads

    def generation(self) -> int:
        generation = _generation(self.paths)
        if generation == 0 and not self._closed:  # not created yet: create it now
            self._pools()
            generation = _generation(self.paths)
        return generation

    def committed_at(self) -> float:
        """The generation file's time: the writer replaces it as it commits (atomically,
        so every process reads the same time)."""
        self.generation()  # creates the store if need be
        return os.stat(self.paths.generation).st_mtime

    def state(self) -> tuple[int, float]:
        """The generation and its commit time from one open of the generation file: it is
        replaced whole at each commit, so its bytes and its time belong together."""
        try:
            file = open(self.paths.generation, "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            self.generation()  # creates the store
            file = open(self.paths.generation, "rb")  # noqa: SIM115 - closed below
        with file:
            return int(file.read()), os.fstat(file.fileno()).st_mtime

    def _lookup(self, function: Callable[..., T], sparql: str, *, max_rows: int | None,
                **options: Any) -> T | None:
        """``function`` on this process's snapshot when the query is proven cheap and its
        answer has at most LOCAL_ROWS rows; None: ask a reader."""
        if self._local is None or not is_bounded_lookup(sparql):
            return None
        self._pools()  # creates the store if need be
        if max_rows is None:
            return self._local.read(function, sparql, **options)
        try:
            return self._local.read(function, sparql, max_rows=min(max_rows, LOCAL_ROWS),
                                    **options)
        except ResultTooLarge:
            if max_rows <= LOCAL_ROWS:
                raise
            return None

    def select(self, sparql: str, *, dataset: Dataset, base_iri: str | None,
               max_rows: int, timeout: float | None = None) -> Solutions:
        found = self._lookup(engine.select, sparql, dataset=dataset, base_iri=base_iri,
                             max_rows=max_rows)
        if found is not None:
            return found
        return self._read(engine.select, sparql, dataset=dataset, base_iri=base_iri,
                          max_rows=max_rows, timeout=timeout, label=limits.fingerprint(sparql))

    def ask(self, sparql: str, *, dataset: Dataset, base_iri: str | None,
            timeout: float | None = None) -> bool:
        found = self._lookup(engine.ask, sparql, dataset=dataset, base_iri=base_iri,
                             max_rows=None)
        if found is not None:
            return found
        return self._read(engine.ask, sparql, dataset=dataset, base_iri=base_iri,
                          timeout=timeout, label=limits.fingerprint(sparql))

    def construct(self, sparql: str, *, dataset: Dataset, base_iri: str | None,
                  max_rows: int, timeout: float | None = None) -> list[ox.Triple]:
        found = self._lookup(engine.construct, sparql, dataset=dataset, base_iri=base_iri,
                             max_rows=max_rows)
        if found is not None:
            return found
        return self._read(engine.construct, sparql, dataset=dataset, base_iri=base_iri,
                          max_rows=max_rows, timeout=timeout, label=limits.fingerprint(sparql))

    def query(self, sparql: str, *, media_type: str, dataset: Dataset,
              base_iri: str | None, max_rows: int,
              timeout: float | None = None) -> QueryOutcome:
        found = self._lookup(_query, sparql, media_type=media_type, dataset=dataset,
                             base_iri=base_iri, max_rows=max_rows)
        if found is not None:
            return found
        return self._read(_query, sparql, media_type=media_type, dataset=dataset,
                          base_iri=base_iri, max_rows=max_rows, timeout=timeout,
                          label=limits.fingerprint(sparql))

    def quads(self, subject: Term | None = None, predicate: ox.NamedNode | None = None,
              object: Term | None = None, graph: str | Literal["*"] | None = "*", *,
              limit: int) -> list[ox.Quad]:
        return self._read(engine.quads, subject, predicate, object, graph, limit=limit)

    def graph_names(self) -> list[str]:
        return self._read(engine.graph_names)

    def graph_exists(self, name: str | None) -> bool:
        return True if name is None else self._read(engine.graph_exists, name)

    def get_graph(self, name: str | None, *, media_type: str) -> bytes:
        engine.rdf_format(media_type)  # 406 before any process is asked
        return self._read(engine.get_graph, name, media_type=media_type)

    def count(self, graph: str | Literal["*"] | None = "*") -> int:
        return self._read(engine.count, graph)

    def dump(self, *, media_type: str) -> Iterator[bytes]:
        """Every graph (a dataset syntax) or the union of all graphs (a graph syntax),
        streamed from a temp file a reader writes."""
        engine.rdf_format(media_type)
        handle, temp = tempfile.mkstemp(prefix="alliancegraph-dump-")
        os.close(handle)
        try:
            self._read(_dump, temp, media_type=media_type,
                       timeout=max(self.query_timeout, self.write_timeout))
            stream = open(temp, "rb")  # noqa: SIM115 - closed by the generator
        finally:
            os.unlink(temp)  # the open handle keeps the data readable
        return _stream_file(stream)

    def status(self) -> dict[str, Any]:
        try:
            found = self._pools().read(_status, (), timeout=self.query_timeout)
        except AllianceGraphError as exc:
            return {"ok": False, "backend": self.name, "error": exc.message}
        return {**found, "ok": True, "backend": self.name, "readers": self.readers}

    def read_view(self, work: Callable[..., T], *args: Any,
                  timeout: float | None = None) -> tuple[T, int]:
        return self._pools().read(_read_view, (work, args),
                                  timeout=timeout or self.query_timeout)

    # ------------------------------------------------------------------ writes

    def apply(self, change: Change, *, if_generation: int | None = None,
              timeout: float | None = None) -> Applied:
        limit = timeout or self.write_timeout
        record = record_of(change)
        deadline = time.time() + limit
        created, counts, generation = self._pools().write(
            _apply, (record, if_generation, deadline, limit),
            timeout=limit + _WRITE_GRACE, capped=record[0] not in _UNCAPPED)
        return Applied(generation=generation, created=created, counts=counts)

    def apply_prepared(self, prepare: Callable[..., tuple[Change | None, Any]], *args: Any,
                       timeout: float | None = None) -> tuple[Applied | None, Any]:
        """``prepare(view, *args)`` -> ``(change or None, payload)`` in the writer, on the
        committed state and under the write lock, then that change applied: a write
        computed from what it read (validation on write) that no other write can come
        between, so it never conflicts. Reads go on meanwhile; other writes wait (their
        ``write_timeout`` counts). ``prepare`` and its arguments must pickle; so must the
        payload. Over ``timeout`` (default ``write_timeout``) before the change is
        committed: WriteTimeout, nothing written."""
        limit = timeout or self.write_timeout
        done, payload = self._pools().write(
            _prepared, (prepare, args, time.time() + limit, limit),
            timeout=limit + _WRITE_GRACE)
        if done is None:
            return None, payload
        created, counts, generation = done
        return Applied(generation=generation, created=created, counts=counts), payload

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._finalizer()

    def __enter__(self) -> EmbeddedBackend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _Processes:
    """The pools of one backend in one process (kept apart from the backend so that its
    finalizer holds no reference to it)."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.readers: Pool | None = None
        self.writer: Pool | None = None
        self.ready = False

    def start(self, backend: EmbeddedBackend) -> None:
        paths, memory_mb = backend.paths, backend.max_memory_mb
        paths.snapshots.mkdir(parents=True, exist_ok=True)
        self.pid = os.getpid()
        # the pools must not refer to the backend: its finalizer ends them
        self.writer = Pool(1, functools.partial(
            Worker, _Writer, (paths,), what="write", memory_mb=memory_mb,
            on_timeout=_write_timeout), on_timeout=_write_timeout)
        self.readers = Pool(backend.readers, functools.partial(
            Worker, _Reader, (paths,), what="query", memory_mb=memory_mb,
            on_timeout=_query_timeout), on_timeout=_query_timeout)
        self.ready = False

    def warm(self) -> None:
        assert self.readers is not None and self.writer is not None
        self.writer.warm()
        self.readers.warm()

    def read(self, function: Callable[..., Any], args: tuple[Any, ...], *,
             timeout: float, label: str | None = None) -> Any:
        assert self.readers is not None
        return self.readers.call(function, args, timeout=timeout, label=label)

    def write(self, function: Callable[..., Any], args: tuple[Any, ...], *,
              timeout: float, capped: bool = True) -> Any:
        assert self.writer is not None
        return self.writer.call(function, args, timeout=timeout, capped=capped)

    def close(self) -> None:
        if self.pid != os.getpid():  # forked: the workers are the owner's to end
            self.abandon()
            return
        for pool in (self.readers, self.writer):
            if pool is not None:
                pool.close()
        self.readers = self.writer = None
        self.pid = None

    def abandon(self) -> None:
        for pool in (self.readers, self.writer):
            if pool is not None:
                pool.abandon()
        self.readers = self.writer = None
        self.pid = None


def _query_timeout(limit: float, waited: bool) -> AllianceGraphError:
    if waited:
        return QueryTimeout(
            f"the query waited longer than the limit of {limit:g} s (setting query_timeout) "
            "for a free reader process")
    return limits.timeout_error("query", limit, "query_timeout")


def _write_timeout(limit: float, waited: bool) -> WriteTimeout:
    limit = max(0.0, limit - _WRITE_GRACE)
    how = "waited for the writer" if waited else "ran"
    return WriteTimeout(f"the write {how} longer than the limit of {limit:g} s (setting "
                        "write_timeout) and was stopped; nothing was written")


# ---------------------------------------------------------------------- reader process


class _Snapshot:
    """One committed state open read-only, with the shared lock that keeps the writer from
    removing it. Whoever uses the store holds this object: the store is closed, and then
    the lock let go, only once nobody does."""

    def __init__(self, store: ox.Store, lock_fd: int, generation: int):
        self.store: ox.Store | None = store
        self.lock_fd = lock_fd
        self.generation = generation

    def __del__(self) -> None:
        self.store = None  # closed before the lock goes: the writer may remove it then
        os.close(self.lock_fd)


def _open_snapshot(paths: _Paths) -> _Snapshot:
    """The snapshot of the last committed write, opened and locked."""
    for _ in range(100):  # a writer may remove a snapshot we are about to open
        generation = _generation(paths)
        try:
            fd = os.open(paths.snapshot_lock(generation), os.O_RDWR)
        except FileNotFoundError:
            continue
        fcntl.flock(fd, fcntl.LOCK_SH)
        if not (paths.snapshot(generation) / "CURRENT").exists():
            os.close(fd)  # removed meanwhile: a newer one is published
            continue
        try:
            store = _open(paths.snapshot(generation), read_only=True)
        except BaseException:
            os.close(fd)
            raise
        return _Snapshot(store, fd, generation)
    raise StoreUnavailable("the store changed too often to be read; try again")


@contextlib.contextmanager
def pin_snapshot(data_dir: str | os.PathLike[str]) -> Iterator[tuple[ox.Store, int]]:
    """The last committed snapshot of the store in ``data_dir``, open read-only, and its
    generation, held (the readers' shared lock) until the block ends: a consistent view
    for a backup that blocks no writer (the writer keeps a held snapshot for later)."""
    snapshot = _open_snapshot(_Paths.of(data_dir))
    try:
        assert snapshot.store is not None
        yield snapshot.store, snapshot.generation
    finally:
        del snapshot  # closes the store, then lets go of the lock


class _Current:
    """The snapshot of the last committed write, opened anew only when the generation file
    was replaced (a stat per look: no read of the file)."""

    def __init__(self, paths: _Paths):
        self.paths = paths
        self.snapshot: _Snapshot | None = None
        self._seen: tuple[int, int] | None = None

    def get(self) -> _Snapshot:
        try:
            stat = os.stat(self.paths.generation)
        except FileNotFoundError:
            raise StoreUnavailable("the store has not been created yet") from None
        seen = (stat.st_ino, stat.st_mtime_ns)
        if seen != self._seen or self.snapshot is None:
            if self.snapshot is None or _generation(self.paths) != self.snapshot.generation:
                # the old snapshot closes, then lets go of its lock, once replaced
                self.snapshot = _open_snapshot(self.paths)
            self._seen = seen
        return self.snapshot


class _Reader:
    """A reader process's state: the current snapshot, open read-only, and its lock.

    Between calls a thread moves an idle reader to a new snapshot soon after a write, so
    that the next call does not pay for opening it and the old one can be removed."""

    #: seconds between two looks at the generation while idle
    REFRESH = 0.5

    def __init__(self, paths: _Paths, *, progress: Callable[[], None]):
        self.current = _Current(paths)
        #: held while a call uses the store
        self.busy = threading.Lock()
        self.view()
        threading.Thread(target=self._refresh, daemon=True, name="refresh").start()

    def _refresh(self) -> None:
        while True:
            time.sleep(self.REFRESH)
            if self.busy.acquire(blocking=False):
                try:
                    self.view()
                except AllianceGraphError:
                    pass  # the next call meets it and reports it
                finally:
                    self.busy.release()

    def view(self) -> ox.Store:
        """The store as of the last committed write."""
        store = self.current.get().store
        assert store is not None
        return store

    @property
    def generation(self) -> int:
        snapshot = self.current.snapshot
        return snapshot.generation if snapshot is not None else 0


class _Local:
    """The current snapshot open in this (serving) process, for the queries
    :func:`~alliancegraph.store.lookup.is_bounded_lookup` proves cheap: they need no reader
    process (no pipe, no pickling), and cannot run long enough to need killing. Threads
    share it; each call holds the snapshot it started on. A snapshot inherited over a fork
    is left alone (its store belongs to the parent) and the child opens its own. Between
    two such queries the process keeps the snapshot of the first open: the writer removes
    it after a later write."""

    def __init__(self, paths: _Paths):
        self.paths = paths
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._current = _Current(paths)
        self._inherited: list[_Current] = []

    def snapshot(self) -> _Snapshot:
        with self._lock:
            if self._pid != os.getpid():
                self._inherited.append(self._current)
                self._pid, self._current = os.getpid(), _Current(self.paths)
            return self._current.get()

    def read(self, function: Callable[..., T], *args: Any, **options: Any) -> T:
        snapshot = self.snapshot()
        return function(snapshot.store, *args, **options)


def _on_view(reader: _Reader, function: Callable[..., T], args: tuple[Any, ...],
             options: dict[str, Any]) -> T:
    with reader.busy:
        return function(reader.view(), *args, **options)


def _read_view(reader: _Reader, work: Callable[..., T], args: tuple[Any, ...]) -> tuple[T, int]:
    with reader.busy:
        return work(reader.view(), *args), reader.generation


def _status(reader: _Reader) -> dict[str, Any]:
    with reader.busy:
        return {**engine.status(reader.view()), "generation": reader.generation}


# ---------------------------------------------------------------------- writer process


class _Writer:
    """The writer process's state. It holds no store between writes."""

    def __init__(self, paths: _Paths, *, progress: Callable[[], None]):
        self.paths = paths
        self.progress = progress
        paths.snapshots.mkdir(parents=True, exist_ok=True)
        # finish a write a dead writer left, unless another writer is at work (it will)
        with contextlib.suppress(WriteTimeout), self.exclusive(time.time(), 0.0):
            self.recover()

    @contextlib.contextmanager
    def exclusive(self, deadline: float, limit: float) -> Iterator[None]:
        """The exclusive write lock, waited for until ``deadline`` (wall clock)."""
        with open(self.paths.lock, "a+b") as handle:
            if not _lock_until(handle, deadline):
                raise WriteTimeout(
                    f"the write waited longer than the limit of {limit:g} s (setting "
                    "write_timeout) for another write to finish; nothing was written")
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def recover(self) -> None:
        """Under the lock: replay a journal a dead writer left, or create the store."""
        journal = self.paths.journal
        if journal.exists():
            record = pickle.loads(journal.read_bytes())
            if record[0] in _UNDO:
                log.warning("rolling back a bulk load a stopped writer left")
                self.roll_back()
                return
            log.warning("finishing a write a stopped writer left (%s)", record[0])
            self.commit(record if record[0] in _REDO else None)
        elif _generation(self.paths) == 0:
            self.commit(None)

    def apply(self, record: tuple[Any, ...], if_generation: int | None, deadline: float,
              limit: float) -> tuple[bool, dict[str, int], int]:
        with self.exclusive(deadline, limit):
            self.recover()
            generation = _generation(self.paths)
            if if_generation is not None and if_generation != generation:
                raise WriteConflict(f"the store changed (generation {generation}, the write "
                                    f"was prepared at {if_generation}); nothing was written")
            return self.write(record)

    def prepared(self, prepare: Callable[..., tuple[Change | None, Any]],
                 args: tuple[Any, ...], deadline: float, limit: float
                 ) -> tuple[tuple[bool, dict[str, int], int] | None, Any]:
        """``prepare(view, *args)`` on the committed state, under the lock, then the change
        it returns (if any): no write can come in between."""
        with self.exclusive(deadline, limit):
            self.recover()
            view = _open(self.paths.snapshot(_generation(self.paths)), read_only=True)
            try:
                change, payload = prepare(view, *args)
            finally:
                del view  # closed before the store is opened for writing
            return (None if change is None else self.write(record_of(change))), payload

    def write(self, record: tuple[Any, ...]) -> tuple[bool, dict[str, int], int]:
        """Under the lock: journal, apply and publish ``record``."""
        # a redo record must survive anything; the marker of a one-transaction write only
        # says "publish what the store holds" after a crash of this process
        # so must an undo record (a bulk load): a store it half-wrote is never published
        redo = record[0] in _REDO
        kept = redo or record[0] in _UNDO
        _write_atomically(self.paths.journal, pickle.dumps(record if kept else ("snapshot",)),
                          durable=kept)
        if redo:
            self.progress()  # from here on it is applied, now or by the next writer
        try:
            created, counts = self.commit(record)
        except Exception as exc:
            if record[0] in _UNDO:  # whatever failed: back to the committed state
                self.roll_back()
            elif not redo and isinstance(exc, AllianceGraphError):  # one transaction
                self.paths.journal.unlink()
            raise
        return created, counts, _generation(self.paths)

    def roll_back(self) -> None:
        """Under the lock: the store becomes the last published snapshot again (what a
        bulk load may have half-written goes), then the journal goes."""
        shutil.rmtree(self.paths.store, ignore_errors=True)
        snapshot = _open(self.paths.snapshot(_generation(self.paths)), read_only=True)
        try:
            snapshot.backup(str(self.paths.store))
        finally:
            del snapshot
        self.paths.journal.unlink(missing_ok=True)

    def commit(self, record: tuple[Any, ...] | None) -> tuple[bool, dict[str, int]]:
        """Apply ``record`` (None: nothing), then publish the result as the next
        generation. The store is closed when this returns, whatever happens."""
        store = _open(self.paths.store, read_only=False)
        error: BaseException | None = None
        try:
            outcome = (False, {}) if record is None else apply_record(store, record)
            generation = _generation(self.paths) + 1
            target = self.paths.snapshot(generation)
            if target.exists():  # left by a writer that died before publishing it
                shutil.rmtree(target)
            store.backup(str(target))  # flushes the store first: durable on disk
        except BaseException as exc:
            # drop the traceback: its frames would keep the store open
            error = exc.with_traceback(None)
            error.__context__ = error.__cause__ = None
        del store  # closes it (refcount): nothing else may hold a reference
        if error is not None:
            raise error
        self.paths.snapshot_lock(generation).touch()
        # durable before older snapshots go: the number must never name a removed one
        _write_atomically(self.paths.generation, f"{generation}\n".encode(), durable=True)
        self.paths.journal.unlink(missing_ok=True)
        self.remove_old_snapshots(generation)
        return outcome

    def remove_old_snapshots(self, current: int) -> None:
        """Remove the snapshots before ``current`` that no reader holds."""
        for entry in self.paths.snapshots.iterdir():
            if not entry.name.isdigit() or int(entry.name) >= current:
                continue
            lock = self.paths.snapshot_lock(int(entry.name))
            with open(lock, "a+b") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a reader still has it open; removed after a later write
                shutil.rmtree(entry)
                lock.unlink()


def _lock_until(handle: Any, deadline: float) -> bool:
    """Take the exclusive lock on ``handle`` by ``deadline`` (wall clock); whether it did.

    The wait is in the kernel (a blocking flock in a thread of its own, which the caller
    waits for until the deadline), so the lock's release wakes it at once. Polling (every
    50 ms at most), it lost the lock to the writer of the other gunicorn worker, which
    takes it back within milliseconds, again and again: write p99 2.6 s, stalls of 1-3 s,
    under 4 clients. A wait given up leaves its thread blocked on ``handle``: the caller
    closes the handle, so if that thread is granted the lock later, it is let go at once
    (a flock lives with the open file, which then has no descriptor left)."""
    with contextlib.suppress(BlockingIOError):
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    left = deadline - time.time()
    if left <= 0:
        return False
    granted = threading.Event()

    def wait() -> None:
        with contextlib.suppress(OSError):  # the handle closed under it: given up
            fcntl.flock(handle, fcntl.LOCK_EX)
            granted.set()

    threading.Thread(target=wait, daemon=True, name="write-lock").start()
    return granted.wait(left)


def _initialise(writer: _Writer, deadline: float, limit: float) -> None:
    with writer.exclusive(deadline, limit):
        writer.recover()


def _apply(writer: _Writer, record: tuple[Any, ...], if_generation: int | None,
           deadline: float, limit: float) -> tuple[bool, dict[str, int], int]:
    return writer.apply(record, if_generation, deadline, limit)


def _prepared(writer: _Writer, prepare: Callable[..., tuple[Change | None, Any]],
              args: tuple[Any, ...], deadline: float,
              limit: float) -> tuple[tuple[bool, dict[str, int], int] | None, Any]:
    return writer.prepared(prepare, args, deadline, limit)


def _open(path: Path, *, read_only: bool) -> ox.Store:
    """Open the store; an I/O error of the storage engine (a lock it cannot take, a file
    it cannot read) is StoreUnavailable with the details in the log, not in the answer."""
    try:
        return ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
    except OSError as exc:
        log.warning("cannot open the store %s: %s", path, exc)
        raise StoreUnavailable("the store cannot be opened right now (its storage engine "
                               "reported an I/O error, logged on the server); try again"
                               ) from None


# ---------------------------------------------------------------------- changes


def record_of(change: Change) -> tuple[Any, ...]:
    """A change as the writer receives and journals it: quads as N-Quads bytes (written
    and read by the engine, some fifty times faster than pickling terms; blank-node
    labels are kept)."""
    if isinstance(change, Update):
        return ("update", change.sparql, change.base_iri)
    if isinstance(change, ReplaceGraph):
        return ("replace", change.graph, _pack(change.quads))
    if isinstance(change, MergeGraph):
        return ("merge", change.graph, _pack(change.quads))
    if isinstance(change, DropGraph):
        return ("drop", change.graph)
    if isinstance(change, QuadDelta):
        return ("delta", _pack(change.removed), _pack(change.added),
                tuple(change.created_graphs), tuple(change.dropped_graphs))
    if isinstance(change, ReplaceGraphs):
        graphs = tuple(change.graphs)
        return ("graphs", graphs, _pack(q for g in graphs for q in change.graphs[g]))
    if isinstance(change, BulkFile):  # the path only: the file may hold gigabytes
        return ("bulk", str(Path(change.path).resolve()), change.quads)
    raise TypeError(f"not a change: {type(change).__name__}")


def apply_record(store: ox.Store, record: tuple[Any, ...]) -> tuple[bool, dict[str, int]]:
    """Apply a :func:`record_of` to a read-write store: ``(created, counts)``. A redo
    record (a delta, the build) can be applied again over a half-applied one.

    The build's graphs are bulk-loaded (far faster than one transaction, and not held in
    memory at once; the journal makes it atomic); every other change is one transaction
    of :func:`alliancegraph.store.engine.apply_change`, as in every backend."""
    kind = record[0]
    if kind == "graphs":
        _, graphs, data = record
        for graph in graphs:
            store.remove_graph(ox.NamedNode(graph))
        store.bulk_extend(_unpack(data))  # we hold the only handle: no one reads this store
        for graph in graphs:
            store.add_graph(ox.NamedNode(graph))
        return False, {graph: _count(store, graph) for graph in graphs}
    if kind == "bulk":
        bulk_load_file(store, Path(record[1]))
        return False, {}
    effect = engine.apply_change(store, _change_of(record))
    return effect.created, dict(effect.counts)


def bulk_load_file(store: ox.Store, path: Path) -> None:
    """``Store.bulk_load`` of a loader's N-Quads file (not atomic: the caller undoes a
    failure). Its blank nodes are renamed once for the whole file (so one label stays one
    node across its graphs); ``lenient``: the loader wrote the file from parsed terms."""
    try:
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS, lenient=True)
    except SyntaxError as exc:
        raise engine.parse_error(exc, source=str(path)) from None
    except OSError as exc:  # FileNotFoundError among them: the caller owns the file
        raise StoreUnavailable(f"the bulk load of {path} failed, nothing was written: "
                               f"{exc}") from None


def _change_of(record: tuple[Any, ...]) -> Change:
    kind = record[0]
    if kind == "update":
        return Update(record[1], record[2])
    if kind == "replace":
        return ReplaceGraph(record[1], tuple(_unpack(record[2])))
    if kind == "merge":
        return MergeGraph(record[1], tuple(_unpack(record[2])))
    if kind == "drop":
        return DropGraph(record[1])
    if kind == "delta":
        return QuadDelta(tuple(_unpack(record[1])), tuple(_unpack(record[2])),
                         record[3], record[4])
    raise ValueError(f"unknown write record {kind!r}")


def _pack(quads: Any) -> bytes:
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""


def _unpack(data: bytes) -> list[ox.Quad]:
    return list(ox.parse(data, ox.RdfFormat.N_QUADS)) if data else []


def _count(store: ox.Store, graph: str) -> int:
    solution = next(iter(store.query(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }} }}")))
    return int(solution[0].value)


# ---------------------------------------------------------------------- reads in a reader


def _query(view: Any, sparql: str, *, media_type: str, dataset: Dataset, base_iri: str | None,
           max_rows: int) -> QueryOutcome:
    return engine.query(view, sparql, form=sparql_guard.query_form(sparql),
                        media_type=media_type, dataset=dataset, base_iri=base_iri,
                        max_rows=max_rows)


def _dump(view: Any, path: str, *, media_type: str) -> None:
    with open(path, "wb") as output:
        engine.dump(view, output, media_type=media_type)


def _stream_file(handle: Any) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(_CHUNK):
            yield chunk
