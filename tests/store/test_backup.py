"""Backups and restores (``alliancegraph.store.backup``): one generation exactly, taken while
a writer writes; restores that give the same canonical dump, atomic for readers; the
N-Quads form on the memory and the remote Oxigraph server backend; rebuilds from sources."""

from __future__ import annotations

import contextlib
import gzip
import shutil
import threading
import time
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph.config import load_settings
from alliancegraph.store.backup import BackupError, backup, read_backup, restore
from alliancegraph.store.base import Dataset, QuadDelta
from alliancegraph.store.embedded import EmbeddedBackend, read_generation

EX = "http://example.org/"
MARKS = EX + "marks"
GROUP = 4  # quads per marker group: a write adds one whole group


def quad(s: str, o: ox.NamedNode | ox.BlankNode | ox.Literal, graph: str | None) -> ox.Quad:
    return ox.Quad(ox.NamedNode(EX + s), ox.NamedNode(EX + "p"), o,
                   ox.NamedNode(graph) if graph else ox.DefaultGraph())


SEED = QuadDelta(added=(quad("a", ox.Literal("1"), None),
                        quad("b", ox.BlankNode("keep"), EX + "g1"),
                        quad("c", ox.Literal("é", language="fr"), EX + "g1")),
                 created_graphs=(EX + "empty",))


def group(n: int) -> QuadDelta:
    """One write: GROUP quads about the marker n."""
    return QuadDelta(added=tuple(quad(f"m{n}", ox.Literal(str(i)), MARKS) for i in range(GROUP)))


def canonical(backend) -> tuple[bytes, list[str]]:
    """Sorted N-Quads and the sorted graph names (empty graphs are not in a dump)."""
    dump = b"".join(backend.dump(media_type="application/n-quads"))
    return b"".join(sorted(dump.splitlines(keepends=True))), sorted(backend.graph_names())


def settings(data_dir: Path):
    return load_settings(environ={}, overrides={"data_dir": str(data_dir), "store_readers": 1})


@pytest.fixture()
def embedded(tmp_path):
    made = EmbeddedBackend(tmp_path / "data", readers=2)
    made.apply(SEED)
    yield made
    made.close()


# ---------------------------------------------------------------------- both forms


@pytest.mark.parametrize("name", ["backup", "backup.nq", "backup.nq.gz"])
def test_a_backup_restores_into_an_empty_data_dir_and_into_a_changed_store(
        embedded, tmp_path, name):
    before = canonical(embedded)
    report = backup(embedded, tmp_path / name)
    assert report.manifest.generation == embedded.generation()
    assert report.manifest.graphs == {"": 1, EX + "g1": 2, EX + "empty": 0}
    assert report.manifest.form == ("dir" if name == "backup" else "nq")
    if name.endswith(".gz"):
        with gzip.open(tmp_path / name) as packed:
            assert packed.readline().startswith(b"# alliancegraph-backup ")

    # into an existing store that changed since: one write, the generation moves on
    embedded.apply(group(1))
    embedded.apply(QuadDelta(dropped_graphs=(EX + "empty",)))
    restored = restore(embedded, tmp_path / name)
    assert restored.how == "write"
    assert restored.generation == embedded.generation() > report.manifest.generation
    assert canonical(embedded) == before

    # into a data dir with no store: the files, at the backup's generation
    fresh = tmp_path / "fresh"
    restored = restore(settings(fresh), tmp_path / name)
    assert restored.how == "files"
    assert read_generation(fresh) == report.manifest.generation
    with EmbeddedBackend(fresh, readers=1) as again:
        assert canonical(again) == before
        again.apply(group(2))  # a working store: it takes writes
        assert again.count(MARKS) == GROUP


def test_a_backup_never_overwrites_and_needs_a_store(embedded, tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(BackupError, match="exists"):
        backup(embedded, tmp_path / "taken")
    with pytest.raises(BackupError, match="no store"):
        backup(settings(tmp_path / "nothing"), tmp_path / "b")
    assert not (tmp_path / "nothing").exists() and not (tmp_path / "b").exists()
    with pytest.raises(BackupError, match="no directory"):
        backup(embedded, tmp_path / "missing" / "b.nq")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "taken"]  # no temp left


def test_a_source_that_does_not_match_its_manifest_is_refused_and_nothing_written(
        embedded, tmp_path):
    backup(embedded, tmp_path / "b.nq")
    lines = (tmp_path / "b.nq").read_bytes().splitlines(keepends=True)
    (tmp_path / "short.nq").write_bytes(b"".join(lines[:-1]))  # a quad lost
    (tmp_path / "plain.nq").write_bytes(b"".join(lines[1:]))  # no manifest
    (tmp_path / "bad.nq").write_bytes(lines[0] + b"<not n-quads\n")
    embedded.apply(group(1))
    kept, generation = canonical(embedded), embedded.generation()
    for name, message in (("short.nq", "does not match its manifest"),
                          ("plain.nq", "no alliancegraph backup"),
                          ("bad.nq", "unreadable"), ("absent.nq", "no backup")):
        with pytest.raises(BackupError, match=message):
            restore(embedded, tmp_path / name)
        with pytest.raises(BackupError):
            restore(settings(tmp_path / "fresh"), tmp_path / name)
    assert canonical(embedded) == kept and embedded.generation() == generation
    assert not (tmp_path / "fresh" / "oxigraph").exists()


# ---------------------------------------------------------------------- while serving


def marks_and_g1(backend) -> tuple[int, int]:
    """Quads in the marks graph and in g1, from one query (one snapshot)."""
    found = backend.select(
        f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} "
        f"FILTER(?g IN (<{MARKS}>, <{EX}g1>)) }} GROUP BY ?g",
        dataset=Dataset(), base_iri=None, max_rows=10)
    counts = {row["g"].value: int(row["n"].value) for row in found}
    return counts.get(MARKS, 0), counts.get(EX + "g1", 0)


@contextlib.contextmanager
def writing(backend, start: int):
    """A thread writing marker groups until the block ends; yields {generation: marks}."""
    counts: dict[int, int] = {backend.generation(): backend.count(MARKS)}
    stop = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        n = start
        try:
            while not stop.is_set():
                applied = backend.apply(group(n))
                n += 1
                counts[applied.generation] = backend.count(MARKS)
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    try:
        yield counts
    finally:
        stop.set()
        thread.join(60)
    assert not errors, errors
    assert len(counts) > 3, "the writer hardly wrote: the test proved nothing"


def test_backups_taken_while_a_writer_writes_hold_exactly_one_generation(embedded, tmp_path):
    reports = []
    deadline = time.monotonic() + 15
    with writing(embedded, 0) as counts:
        # backups until the writer has written several times meanwhile
        while (len(reports) < 6 or len(counts) < 6) and time.monotonic() < deadline:
            i = len(reports)
            reports.append(backup(embedded, tmp_path / (f"b{i}" if i % 2 else f"b{i}.nq.gz")))
    assert len({r.manifest.generation for r in reports}) > 1  # the writes went on between
    for report in reports:
        manifest, quads = read_backup(report.target)
        marks = Counter(q.subject.value for q in quads if q.graph_name == ox.NamedNode(MARKS))
        assert set(marks.values()) <= {GROUP}  # every group whole: no half-applied write
        assert manifest.graphs.get(MARKS, 0) == counts[manifest.generation]
        assert manifest.graphs[EX + "g1"] == 2 and manifest.graphs[""] == 1


def test_a_restore_while_serving_is_one_write_readers_see_old_or_new(embedded, tmp_path):
    for n in range(3):
        embedded.apply(group(n))
    old = embedded.count(MARKS)
    source = backup(embedded, tmp_path / "b.nq").target
    for n in range(3, 8):
        embedded.apply(group(n))
    new_marks = embedded.count(MARKS)
    seen: set[tuple[int, int]] = set()
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                seen.add(marks_and_g1(embedded))
                time.sleep(0.001)  # a client's gap: back to back, two threads starve a third
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in readers:
        thread.start()
    try:
        while not seen and not errors:
            time.sleep(0.01)
        restore(embedded, source)
        time.sleep(0.3)  # the readers read the restored state too
    finally:
        stop.set()
        for thread in readers:
            thread.join(30)
    assert not errors, errors
    assert seen <= {(new_marks, 2), (old, 2)}
    assert (new_marks, 2) in seen and (old, 2) in seen
    assert embedded.count(MARKS) == old


# ---------------------------------------------------------------------- other backends


def test_the_nq_form_round_trips_on_the_memory_backend(tmp_path):
    from alliancegraph.store.memory import MemoryBackend

    memory = MemoryBackend()
    memory.apply(SEED)
    before = canonical(memory)
    with pytest.raises(BackupError, match="no directory form"):
        backup(memory, tmp_path / "dir")
    report = backup(memory, tmp_path / "m.nq.gz")
    assert report.manifest.backend == "memory"
    memory.apply(group(1))
    restore(memory, tmp_path / "m.nq.gz")
    assert canonical(memory) == before
    # and across backends: the memory backup into an embedded store
    restore(settings(tmp_path / "e"), tmp_path / "m.nq.gz")
    with EmbeddedBackend(tmp_path / "e", readers=1) as embedded:
        assert canonical(embedded) == before


def test_the_nq_form_round_trips_on_the_remote_oxigraph_server(tmp_path, tmp_path_factory,
                                                                external_tools):
    from alliancegraph.store.remote import RemoteBackend

    with contextlib.ExitStack() as servers:  # as tests/store/conftest.py's make_backend
        server = external_tools.OxigraphServer(None, tmp_path_factory.mktemp("oxigraph"),
                                               writable=True)
        servers.callback(server.stop)
        remote = RemoteBackend(server.query_url, server.update_url,
                               getattr(server, "graph_store_url", None), timeout=30.0)
        servers.callback(remote.close)
        remote.apply(SEED)
        before = canonical(remote)
        report = backup(remote, tmp_path / "r.nq")
        assert report.manifest.generation == remote.generation()
        assert report.manifest.graphs[EX + "g1"] == 2
        remote.apply(group(1))
        restore(remote, tmp_path / "r.nq")
        assert canonical(remote) == before
        assert remote.count(MARKS) == 0


# ---------------------------------------------------------------------- rebuild


def test_build_gives_back_the_source_graphs_after_an_old_restore_or_a_lost_data_dir(tmp_path):
    from alliancegraph import CANONICAL_BASE
    from alliancegraph.graph.build import build_store
    from alliancegraph.graph.vocabulary import GRAPHS, graph_iri

    data_dir = tmp_path / "data"

    def build() -> tuple[bytes, list[str]]:
        """Build, then the whole store's canonical dump (the sources' graphs and the rest)."""
        build_store(data_dir, base_iri=CANONICAL_BASE, progress=False, docs=False,
                    settings=settings(data_dir))
        with EmbeddedBackend(data_dir, readers=1) as store:
            return canonical(store)

    first = build()
    graph = graph_iri(GRAPHS[0], CANONICAL_BASE)
    with EmbeddedBackend(data_dir, readers=1) as store:  # a source graph damaged ...
        store.apply(QuadDelta(added=(quad("x", ox.Literal("damage"), graph),)))
        damaged = canonical(store)
    assert damaged != first
    old = backup(settings(data_dir), tmp_path / "old.nq.gz")  # ... and backed up so
    shutil.rmtree(data_dir)
    assert build() == first  # a lost data dir: built again from the sources alone
    restore(settings(data_dir), old.target)  # back to the older, damaged state ...
    with EmbeddedBackend(data_dir, readers=1) as store:
        assert canonical(store) == damaged
    assert build() == first  # ... and the build repairs it
