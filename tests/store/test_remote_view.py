"""The remote read view (store/remote_view.py) on a real Oxigraph server: it answers as a
pyoxigraph store over the same data would, hides the backend's own graph, fetches lazily
and keeps what it fetched, is consistent (read_view retries across a write), and makes
validation on write cost with the write, not with the store."""

from __future__ import annotations

import contextlib
import functools
import itertools
from collections.abc import Iterator
from types import SimpleNamespace

import pyoxigraph as ox
import pytest
from alliancegraph.errors import WriteConflict
from alliancegraph.shapes.validate import report_from_wire
from alliancegraph.store import remote_view
from alliancegraph.store.base import QuadDelta
from alliancegraph.store.guard import shapes_key
from alliancegraph.store.policy import compute_and_validate
from alliancegraph.store.remote import VERSION_GRAPH, RemoteBackend
from alliancegraph.store.remote_view import RemoteView, read_consistently

EX = "http://example.org/"
DATA = f"""
<{EX}a> <{EX}p> <{EX}b> .
<{EX}a> <{EX}name> "A"@en .
<{EX}b> <{EX}p> <{EX}c> .
<{EX}c> <{EX}n> "3"^^<http://www.w3.org/2001/XMLSchema#integer> .
<{EX}a> <{EX}p> <{EX}b> <{EX}g1> .
<{EX}a> <{EX}q> "in g1" <{EX}g1> .
<{EX}d> <{EX}p> <{EX}a> <{EX}g2> .
<{EX}b> <{EX}name> "B" <{EX}g2> .
"""


def n(name: str) -> ox.NamedNode:
    return ox.NamedNode(EX + name)


def open_server(kind: str, tmp_path_factory: pytest.TempPathFactory, tools: SimpleNamespace,
                running: contextlib.ExitStack) -> RemoteBackend:
    """A backend on a fresh writable server of ``kind``, stopped by ``running``."""
    if kind == "oxigraph":
        oxigraph = tools.OxigraphServer(None, tmp_path_factory.mktemp("view"), writable=True)
        running.callback(oxigraph.stop)
        backend = RemoteBackend(oxigraph.query_url, oxigraph.update_url, timeout=60.0)
    else:
        import virtuoso  # bench/virtuoso.py
        from alliancegraph.store.virtuoso import VirtuosoBackend

        if reason := virtuoso.unavailable():
            pytest.skip(reason)
        found = virtuoso.Virtuoso(tmp_path_factory.mktemp("view-virtuoso"))
        running.callback(found.stop)
        backend = VirtuosoBackend(found.query_url, found.update_url, user=found.user,
                                  password=found.password, timeout=60.0)
    running.callback(backend.close)
    return backend


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           external_tools: SimpleNamespace) -> Iterator[SimpleNamespace]:
    """A writable server for the module (Oxigraph server, then Virtuoso) holding DATA and
    an empty graph g3 (and, after a write through the backend, the reserved graph); a
    pyoxigraph store holding the same."""
    with contextlib.ExitStack() as running:
        backend = open_server(request.param, tmp_path_factory, external_tools, running)
        quads = list(ox.parse(DATA.encode(), ox.RdfFormat.N_QUADS))
        backend.apply(QuadDelta(added=tuple(quads), created_graphs=(EX + "g3",)))
        local = ox.Store()
        local.extend(quads)
        local.add_graph(n("g3"))
        yield SimpleNamespace(backend=backend, local=local, kind=request.param,
                              open=functools.partial(open_server, request.param,
                                                     tmp_path_factory, external_tools))


def view_of(server: SimpleNamespace) -> RemoteView:
    return RemoteView(server.backend)


TERMS = {"s": [None, n("a"), n("b"), n("zz")],
         "p": [None, n("p"), n("name")],
         "o": [None, n("b"), ox.Literal("A", language="en"), ox.Literal("B")],
         "g": [None, ox.DefaultGraph(), n("g1"), n("g2"), n("g3"), ox.NamedNode(VERSION_GRAPH)]}


def test_every_pattern_answers_as_a_pyoxigraph_store_with_the_same_data(server):
    view = view_of(server)
    for s, p, o, g in itertools.product(*TERMS.values()):
        expected = set(server.local.quads_for_pattern(s, p, o, g))
        assert set(view.quads_for_pattern(s, p, o, g)) == expected, (s, p, o, g)
        # asked again (now from what the view kept): the same
        assert set(view.quads_for_pattern(s, p, o, g)) == expected, (s, p, o, g)
    # pyoxigraph refuses a literal subject; nothing can match one
    assert list(view.quads_for_pattern(ox.Literal("A"), None, None, None)) == []


def test_graphs_length_and_iteration_leave_the_reserved_graph_out(server):
    view = view_of(server)
    assert server.backend.generation() > 0  # the version graph exists on the server
    assert list(view.named_graphs()) == [n("g1"), n("g2"), n("g3")]
    assert view.contains_named_graph(n("g3"))  # empty, but it exists
    assert not view.contains_named_graph(ox.NamedNode(VERSION_GRAPH))
    assert not view.contains_named_graph(n("missing"))
    assert len(view) == len(server.local) == 8
    assert set(view) == set(server.local)


@pytest.mark.parametrize("where, dataset", [
    ("?s ?p ?o", {}),
    ("GRAPH ?g { ?s ?p ?o }", {}),
    ("?s ?p ?o", {"default_graph": n("g1")}),
    ("?s ?p ?o", {"default_graph": [n("g1"), n("g2")]}),
    ("GRAPH ?g { ?s ?p ?o }", {"named_graphs": [n("g2")]}),
    ("?s <http://example.org/p> ?x OPTIONAL { ?x <http://example.org/n> ?v }", {}),
])
def test_query_runs_the_select_on_the_server_with_pyoxigraph_dataset_arguments(
        server, where: str, dataset: dict):
    sparql = f"SELECT * WHERE {{ {where} }}"
    view = view_of(server)
    got = [{k: r[k] for k in ("s", "p", "o", "g", "x", "v")} for r in view.query(sparql,
                                                                                 **dataset)]
    expected = [{k: r[k] for k in ("s", "p", "o", "g", "x", "v")}
                for r in server.local.query(sparql, **dataset)]
    key = lambda row: sorted((k, str(v)) for k, v in row.items())  # noqa: E731
    assert sorted(got, key=key) == sorted(expected, key=key)


def test_an_unselective_pattern_is_fetched_lazily(server, monkeypatch):
    monkeypatch.setattr(remote_view, "FIRST_PAGE", 3)
    view = view_of(server)
    assert any(True for _ in view.quads_for_pattern(None, None, None, None))
    assert view.fetched == 4  # the first page (and one more), not the store
    assert len(list(view.quads_for_pattern(None, None, None, None))) == 8


def test_a_node_is_fetched_once_whole_and_a_large_one_pattern_by_pattern(server,
                                                                         monkeypatch):
    view = view_of(server)
    for p, g in itertools.product(TERMS["p"], TERMS["g"]):
        list(view.quads_for_pattern(n("a"), p, None, g))  # n("a") as subject
        list(view.quads_for_pattern(None, p, n("b"), g))  # n("b") as object
    assert view.requests == 2
    monkeypatch.setattr(remote_view, "NODE_CAP", 1)  # n("a") has 4 quads, n("b") 2 links
    view = view_of(server)
    for s, o in ((n("a"), None), (None, n("b"))):
        for _ in range(2):
            assert set(view.quads_for_pattern(s, n("p"), o, None)) == \
                set(server.local.quads_for_pattern(s, n("p"), o, None))
    assert view.requests == 4  # per node: the capped whole, then the pattern itself, once


def counting(view: RemoteView, backend: RemoteBackend, writes: list[int]) -> int:
    """Counts the view's quads; on its first run, another writer commits meanwhile."""
    found = len(list(view.quads_for_pattern(None, None, None, None)))
    if not writes:
        writes.append(1)
        backend.apply(QuadDelta(added=(ox.Quad(n("late"), n("p"), n("x")),)))
    return found


def test_read_view_is_taken_again_when_a_write_came_in_between(server):
    with contextlib.ExitStack() as running:
        backend = server.open(running)
        writes: list[int] = []
        assert backend.read_view(counting, backend, writes) == (1, 1)
        with pytest.raises(WriteConflict, match="kept changing"):
            read_consistently(backend, counting, (backend, []), retries=1)


def filler(count: int, start: int) -> QuadDelta:
    """``count`` quads unrelated to the write below, in a graph of their own."""
    return QuadDelta(added=tuple(
        ox.Quad(n(f"thing{i}"), n("rank"), ox.Literal(str(i)), n("filler"))
        for i in range(start, start + count)))


def validation_cost(view: RemoteView, change: QuadDelta) -> tuple[int, int, bool]:
    _, _, wire = compute_and_validate(view, change, shapes_key(None))
    return view.requests, view.fetched, report_from_wire(wire).conforms


STATE = "https://w3id.org/alliancegraph/id/state/testland"


def test_validation_on_write_costs_with_the_write_not_with_the_store(server):
    """The same write, validated on a store of 200 and of 5,200 other quads: the view
    sends the same requests and receives the same quads."""
    ag = "https://w3id.org/alliancegraph/ontology#"
    state = ox.NamedNode(STATE)
    change = QuadDelta(added=(
        ox.Quad(state, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                ox.NamedNode(ag + "State"), n("states")),
        ox.Quad(state, ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel"),
                ox.Literal("Testland", language="en"), n("states")),
        ox.Quad(state, ox.NamedNode(ag + "iso3166Alpha2"), ox.Literal("TL"), n("states"))))
    with contextlib.ExitStack() as running:
        backend = server.open(running)
        backend.apply(filler(200, 0))
        small, _ = backend.read_view(validation_cost, change)
        for start in range(200, 5200, 500):  # Virtuoso compiles no larger update
            backend.apply(filler(500, start))
        large, _ = backend.read_view(validation_cost, change)
    assert small[2] and large[2]  # the write conforms
    assert small == large
