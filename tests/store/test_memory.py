"""``alliancegraph.store.memory``: what is particular to the in-memory backend (the contract
suite covers the rest): threads see every write whole, read views are consistent, and a
closed backend is unusable."""

from __future__ import annotations

import threading

import pyoxigraph as ox
import pytest
from alliancegraph.errors import ParseError, StoreUnavailable
from alliancegraph.store import BulkFile, Dataset, QuadDelta, ReplaceGraphs
from alliancegraph.store.memory import MemoryBackend

EX = "http://example.org/memory/"
P, Q = ox.NamedNode(EX + "p"), ox.NamedNode(EX + "q")


def pair(i: int) -> tuple[ox.Quad, ox.Quad]:
    node = ox.BlankNode()
    return (ox.Quad(node, P, ox.Literal(str(i)), ox.NamedNode(EX + "g")),
            ox.Quad(node, Q, ox.Literal(str(i)), ox.NamedNode(EX + "g")))


def both_counts(view) -> tuple[int, int]:
    return (sum(1 for _ in view.quads_for_pattern(None, P, None, None)),
            sum(1 for _ in view.quads_for_pattern(None, Q, None, None)))


def test_threads_never_see_a_write_half_done():
    """Writers add a ex:p and a ex:q quad in one delta; readers always count as many of
    each, and every write is kept."""
    backend = MemoryBackend()
    writers, writes = 4, 25
    seen: list[tuple[int, int]] = []
    done = threading.Event()

    def write(offset: int) -> None:
        for i in range(writes):
            backend.apply(QuadDelta(added=pair(offset * writes + i)))

    def read() -> None:
        while not done.is_set():
            seen.append(backend.read_view(both_counts)[0])
            found = backend.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{P.value}> ?o }}",
                                   dataset=Dataset(union_default=True), base_iri=None,
                                   max_rows=10)
            assert int(found.rows[0][0].value) <= writers * writes

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in readers + threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    for thread in readers:
        thread.join()
    assert seen and all(p == q for p, q in seen)
    assert backend.read_view(both_counts) == ((writers * writes,) * 2, writers * writes)
    assert backend.generation() == writers * writes


def test_read_view_runs_in_process_on_the_store():
    backend = MemoryBackend()
    backend.apply(QuadDelta(added=pair(1)))
    view_type, generation = backend.read_view(lambda view: type(view))
    assert view_type is ox.Store and generation == 1


def test_a_failing_write_changes_nothing():
    backend = MemoryBackend()
    quads = pair(1)
    backend.apply(ReplaceGraphs({EX + "g": quads}))
    with pytest.raises(TypeError):
        backend.apply("not a change")  # type: ignore[arg-type]
    assert backend.generation() == 1 and backend.count() == 2


def test_a_closed_backend_is_unusable():
    backend = MemoryBackend()
    backend.close()
    with pytest.raises(RuntimeError, match="closed"):
        backend.count()


def test_it_cannot_stop_a_query():
    assert MemoryBackend.stops_runaway_queries is False


def test_a_bulk_file_is_loaded_whole_or_not_at_all(tmp_path):
    backend = MemoryBackend()
    good = tmp_path / "good.nq"
    good.write_text('<http://e/s> <http://e/p> "1" <http://e/g> .\n'
                    '_:x <http://e/p> _:x <http://e/h> .\n_:x <http://e/q> "2" <http://e/g> .\n')
    applied = backend.apply(BulkFile(good, 3))
    assert applied.generation == 1 and backend.count() == 3
    shared = backend.select("SELECT ?x WHERE { GRAPH ?g { ?x <http://e/p> ?x } "
                            "GRAPH ?h { ?x <http://e/q> ?o } }",
                            dataset=Dataset(), base_iri=None, max_rows=10)
    assert len(shared) == 1  # one node across the file's graphs
    bad = tmp_path / "bad.nq"
    bad.write_text('<http://e/s> <http://e/p> "3" <http://e/g> .\nnot a quad\n')
    with pytest.raises(ParseError, match=r"bad\.nq:2:1"):
        backend.apply(BulkFile(bad, 2))
    with pytest.raises(StoreUnavailable, match="nothing was written"):
        backend.apply(BulkFile(tmp_path / "missing.nq", 1))
    assert backend.count() == 3 and backend.generation() == 1 and good.exists()
