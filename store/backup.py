"""Backups and restores of the store, while it serves (``alliancegraph backup``/``restore``).

Two forms, both carrying a manifest (generation, quads per graph, version, date):

- ``dir`` (embedded store only): ``TARGET/oxigraph/`` is a RocksDB checkpoint of one
  committed snapshot and ``TARGET/manifest.json`` its manifest. The snapshot is pinned with
  the same shared lock a reader takes (:func:`alliancegraph.store.embedded.pin_snapshot`):
  a snapshot never changes, so the copy is exactly one generation, and the writer is never
  blocked (it only keeps that snapshot until the lock goes).
- ``nq`` (every backend): an N-Quads dump (gzip when the name ends ``.gz``) whose first line
  is the comment ``# alliancegraph-backup {manifest as JSON}``. On the embedded store it is
  written from the pinned snapshot; on other backends from ``dump`` between two reads of
  the generation, done again when a write came in between (:data:`RETRIES` times).

A restore checks the source against its manifest before anything is written, then:

- into a data directory with no store yet (embedded): the files are laid down under the
  writer's exclusive lock, the store last, so a half-done restore is no store at all;
- into any existing store, running or not: ONE write through the backend
  (``apply_prepared``: the current graphs dropped, the backup's quads added, as one
  :class:`~alliancegraph.store.base.QuadDelta`), so readers see the old state or the new,
  never a mix, and the store's generation moves forward (caches stay right). Afterwards
  the counts per graph are compared with the manifest.

Writes of both forms go to a temporary name beside the target, renamed at the end.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import gzip
import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

import pyoxigraph as ox
from alliancegraph.errors import AllianceGraphError, BadRequest

if TYPE_CHECKING:
    from alliancegraph.config import Settings
    from alliancegraph.store.base import Backend, Store

__all__ = [
    "RETRIES",
    "BackupError",
    "BackupReport",
    "Manifest",
    "RestoreReport",
    "backup",
    "read_backup",
    "restore",
]

#: how often a dump of a backend other than the embedded one is tried again when the
#: generation moved while it was read
RETRIES = 5
MANIFEST = "manifest.json"
_HEADER = "# alliancegraph-backup "
Form = Literal["dir", "nq"]


class BackupError(BadRequest):
    """A backup or restore refused: no store, target exists, unreadable source, manifest
    mismatch. Nothing was written."""


@dataclass(frozen=True)
class Manifest:
    generation: int
    #: quads per graph; the key "" is the default graph
    graphs: dict[str, int]
    version: str
    created: str
    backend: str
    form: str

    @property
    def total(self) -> int:
        return sum(self.graphs.values())

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        try:
            data = json.loads(text)
            return cls(generation=int(data["generation"]),
                       graphs={str(k): int(v) for k, v in data["graphs"].items()},
                       version=str(data["version"]), created=str(data["created"]),
                       backend=str(data["backend"]), form=str(data["form"]))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(f"the backup's manifest is unreadable: {exc}") from None


@dataclass(frozen=True)
class BackupReport:
    target: Path
    manifest: Manifest


@dataclass(frozen=True)
class RestoreReport:
    source: Path
    manifest: Manifest
    #: the store's generation after the restore
    generation: int
    #: "files" (laid down into an empty data directory) or "write" (one atomic write)
    how: str
    graphs: dict[str, int] = field(default_factory=dict)


def _key(graph: Any) -> str:
    return "" if isinstance(graph, ox.DefaultGraph) else graph.value


def _counts(quads: Iterator[ox.Quad], graphs: list[str] = ()) -> dict[str, int]:  # type: ignore[assignment]
    counts: Counter[str] = Counter({name: 0 for name in graphs})
    counts.update(_key(q.graph_name) for q in quads)
    counts.setdefault("", 0)
    return dict(sorted(counts.items()))


def _manifest(generation: int, graphs: dict[str, int], backend: str, form: str) -> Manifest:
    from alliancegraph import __version__

    return Manifest(generation=generation, graphs=graphs, version=__version__,
                    created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    backend=backend, form=form)


# ---------------------------------------------------------------------- backup


def _form_of(target: Path, form: Form | None) -> Form:
    if form is not None:
        return form
    return "nq" if target.name.endswith((".nq", ".nq.gz", ".gz")) else "dir"


def backup(store_or_settings: Store | Backend | Settings, target: str | os.PathLike[str], *,
           form: Form | None = None) -> BackupReport:
    """Back up the store (a Settings, a Store or a Backend) into ``target``: a directory
    (``form="dir"``, embedded only) or an N-Quads file (``"nq"``; default: by the name).
    BackupError when the target exists or there is no store; nothing is left half-written."""
    target = Path(target)
    form = _form_of(target, form)
    if target.exists() or target.is_symlink():
        raise BackupError(f"{target} exists: a backup never overwrites anything")
    if not target.parent.is_dir():
        raise BackupError(f"no directory {target.parent} to write the backup into")
    with _source_of(store_or_settings) as (data_dir, backend):
        if data_dir is not None:
            return _backup_embedded(data_dir, target, form)
        if form == "dir":
            raise BackupError(f"the {backend.name} backend has no directory form: use "
                              "--format nq")
        return _backup_dump(backend, target)


@contextlib.contextmanager
def _source_of(store_or_settings: Any) -> Iterator[tuple[Path | None, Any]]:
    """The embedded data directory (read directly: no process needed) or the backend; a
    store opened here from settings is closed when the block ends."""
    from alliancegraph.config import Settings
    from alliancegraph.store.embedded import EmbeddedBackend, store_exists

    if isinstance(store_or_settings, Settings):
        if store_or_settings.store == "embedded":
            if not store_exists(store_or_settings.data_dir):
                raise BackupError(f"no store in {store_or_settings.data_dir}: nothing to "
                                  "back up")
            yield Path(store_or_settings.data_dir), None
            return
        from alliancegraph.store import open_store

        store = open_store(store_or_settings)
        try:
            yield None, store.backend
        finally:
            store.close()
        return
    backend = getattr(store_or_settings, "backend", store_or_settings)
    if isinstance(backend, EmbeddedBackend):
        backend.generation()  # creates the store if it is new
        yield backend.data_dir, None
    else:
        yield None, backend


@contextlib.contextmanager
def _temporary(target: Path, *, directory: bool) -> Iterator[Path]:
    """A temporary path beside ``target``, renamed to it on success, removed otherwise."""
    temp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    path = temp if directory else temp / target.name
    try:
        yield path
        if target.exists():
            raise BackupError(f"{target} appeared while the backup was written")
        os.replace(path, target)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _backup_embedded(data_dir: Path, target: Path, form: Form) -> BackupReport:
    from alliancegraph.store.embedded import pin_snapshot

    with pin_snapshot(data_dir) as (store, generation):
        graphs = _counts(store.quads_for_pattern(None, None, None, None),
                         [g.value for g in store.named_graphs()])  # type: ignore[union-attr]
        manifest = _manifest(generation, graphs, "embedded", form)
        if form == "dir":
            with _temporary(target, directory=True) as temp:
                store.backup(str(temp / "oxigraph"))
                (temp / MANIFEST).write_text(manifest.to_json() + "\n")
        else:
            with _temporary(target, directory=False) as temp, _writer(temp) as out:
                out.write(f"{_HEADER}{manifest.to_json()}\n".encode())
                store.dump(out, ox.RdfFormat.N_QUADS)
    return BackupReport(target, manifest)


@contextlib.contextmanager
def _writer(path: Path) -> Iterator[IO[bytes]]:
    """``path`` open for writing (gzip when its name ends .gz), on disk when it closes."""
    with open(path, "wb") as raw:
        if path.name.endswith(".gz"):
            with gzip.GzipFile(fileobj=raw, mode="wb") as packed:
                yield packed  # type: ignore[misc]
        else:
            yield raw
        raw.flush()
        os.fsync(raw.fileno())


def _backup_dump(backend: Any, target: Path) -> BackupReport:
    """The N-Quads dump between two equal generations (a write in between: again)."""
    for _ in range(RETRIES):
        before = backend.generation()
        data = b"".join(backend.dump(media_type="application/n-quads"))
        if backend.generation() != before:
            continue
        names = backend.graph_names()
        if backend.generation() != before:
            continue
        quads = list(ox.parse(data, format=ox.RdfFormat.N_QUADS))
        manifest = _manifest(before, _counts(iter(quads), names), backend.name, "nq")
        with _temporary(target, directory=False) as temp, _writer(temp) as out:
            out.write(f"{_HEADER}{manifest.to_json()}\n".encode())
            out.write(data)
        return BackupReport(target, manifest)
    raise AllianceGraphError(f"the store changed during each of {RETRIES} dumps; try again "
                             "when it is quieter")


# ---------------------------------------------------------------------- reading a backup


def read_backup(source: str | os.PathLike[str]) -> tuple[Manifest, list[ox.Quad]]:
    """The manifest and quads of a backup (either form), checked against each other:
    BackupError when it is unreadable or its quads do not match its manifest."""
    source = Path(source)
    if not source.exists():
        raise BackupError(f"no backup at {source}")
    try:
        if source.is_dir():
            manifest = Manifest.from_json((source / MANIFEST).read_text())
            store = ox.Store.read_only(str(source / "oxigraph"))
            quads = list(store)
            names = [g.value for g in store.named_graphs()]  # type: ignore[union-attr]
            del store
        else:
            with _reader(source) as handle:
                first = handle.readline().decode("utf-8", "replace")
                if not first.startswith(_HEADER):
                    raise BackupError(f"{source} is no alliancegraph backup (no manifest "
                                      "line)")
                manifest = Manifest.from_json(first[len(_HEADER):])
                quads = list(ox.parse(handle, format=ox.RdfFormat.N_QUADS))
            names = [g for g in manifest.graphs if g]
    except BackupError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise BackupError(f"the backup {source} is unreadable: {exc}") from None
    found = _counts(iter(quads), names)
    if found != manifest.graphs:
        raise BackupError(f"the backup {source} does not match its manifest "
                          f"({sum(found.values())} quads, the manifest says {manifest.total})")
    return manifest, quads


@contextlib.contextmanager
def _reader(path: Path) -> Iterator[IO[bytes]]:
    """``path`` open for reading, unpacked when it is gzip (by its first bytes)."""
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        if gzipped:
            with gzip.GzipFile(fileobj=raw, mode="rb") as packed:
                yield packed  # type: ignore[misc]
        else:
            yield raw


# ---------------------------------------------------------------------- restore


def restore(settings_or_store: Settings | Store | Backend,
            source: str | os.PathLike[str]) -> RestoreReport:
    """Restore the backup ``source`` into the store (see the module): files into an empty
    embedded data directory, otherwise one atomic write. BackupError (nothing written) for
    an unreadable source or one that does not match its manifest; AllianceGraphError when
    the restored counts do not match (the write committed)."""
    from alliancegraph.config import Settings
    from alliancegraph.store.embedded import store_exists

    source = Path(source)
    manifest, quads = read_backup(source)
    if isinstance(settings_or_store, Settings):
        settings = settings_or_store
        if settings.store == "embedded" and not store_exists(settings.data_dir):
            generation = _lay_down(Path(settings.data_dir), source, manifest, quads)
            return RestoreReport(source, manifest, generation, "files", manifest.graphs)
        from alliancegraph.store import open_store

        store = open_store(settings)
        try:
            return _restore_by_write(store.backend, source, manifest, quads)
        finally:
            store.close()
    backend = getattr(settings_or_store, "backend", settings_or_store)
    return _restore_by_write(backend, source, manifest, quads)


def _replacement(view: Any, added: tuple[ox.Quad, ...],
                 created: tuple[str, ...]) -> tuple[Any, None]:
    """On the committed state: the change that makes the store exactly the backup."""
    from alliancegraph.store.base import QuadDelta

    removed = tuple(view.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    dropped = tuple(g.value for g in view.named_graphs())
    return QuadDelta(removed=removed, added=added, created_graphs=created,
                     dropped_graphs=dropped), None


def _graph_counts(view: Any) -> dict[str, int]:
    """Quads per graph of one view (module level: a backend may run it in a process)."""
    return _counts(iter(view.quads_for_pattern(None, None, None, None)),
                   [g.value for g in view.named_graphs()])


def _restore_by_write(backend: Any, source: Path, manifest: Manifest,
                      quads: list[ox.Quad]) -> RestoreReport:
    created = tuple(g for g in manifest.graphs if g)
    applied, _ = backend.apply_prepared(_replacement, tuple(quads), created)
    assert applied is not None
    found, generation = backend.read_view(_graph_counts)
    # a later write (the store serves) may have changed it since: then nothing to compare
    if generation == applied.generation and found != manifest.graphs:
        raise AllianceGraphError(f"after the restore the store holds {sum(found.values())} "
                                 f"quads in {len(found)} graph(s); the manifest says "
                                 f"{manifest.total} in {len(manifest.graphs)}")
    return RestoreReport(source, manifest, applied.generation, "write",
                         found if generation == applied.generation else {})


def _lay_down(data_dir: Path, source: Path, manifest: Manifest, quads: list[ox.Quad]) -> int:
    """Files of a store at the backup's generation, under the writer's lock; the store
    directory is renamed into place last (until then there is no store)."""
    from alliancegraph.store.embedded import _Paths, _write_atomically

    paths = _Paths.of(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    generation = max(manifest.generation, 1)
    with open(paths.lock, "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a server starting meanwhile waits, then sees it
        if (paths.store / "CURRENT").exists():
            raise BackupError(f"a store appeared in {data_dir} during the restore")
        temp = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir))
        try:
            if source.is_dir():
                ox.Store.read_only(str(source / "oxigraph")).backup(str(temp / "oxigraph"))
            else:
                store = ox.Store(str(temp / "oxigraph"))
                store.extend(quads)  # not bulk_load: it would relabel blank nodes
                for name in manifest.graphs:
                    if name:
                        store.add_graph(ox.NamedNode(name))
                store.flush()
                del store
            shutil.rmtree(paths.store, ignore_errors=True)  # leftovers of a failed restore
            shutil.rmtree(paths.snapshots, ignore_errors=True)
            paths.journal.unlink(missing_ok=True)
            paths.snapshots.mkdir()
            ox.Store.read_only(str(temp / "oxigraph")).backup(str(paths.snapshot(generation)))
            paths.snapshot_lock(generation).touch()
            _write_atomically(paths.generation, f"{generation}\n".encode(), durable=True)
            os.replace(temp / "oxigraph", paths.store)
        finally:
            shutil.rmtree(temp, ignore_errors=True)
    return generation
