"""The store interface's own types (store/base.py): the dataset rule of Dataset.given,
Solutions as rows, columns and dicts, the change and result types as frozen values that
survive pickling (a backend may run work in another process), and the backends and the
policy store keeping the shape of the Backend and Store protocols."""

from __future__ import annotations

import dataclasses
import inspect
import pickle
import typing

import pyoxigraph as ox
import pytest
from alliancegraph.store import base
from alliancegraph.store.base import (
    Applied,
    BulkFile,
    Dataset,
    DropGraph,
    MergeGraph,
    QuadDelta,
    QueryOutcome,
    ReplaceGraph,
    ReplaceGraphs,
    Solutions,
    Update,
)
from alliancegraph.store.embedded import EmbeddedBackend
from alliancegraph.store.memory import MemoryBackend
from alliancegraph.store.policy import PolicyStore

EX = "http://example.org/"
S, P = ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p")
BLANK = ox.BlankNode("b1")
LABEL = ox.Literal("Japan", language="en")
QUAD = ox.Quad(S, P, LABEL, ox.NamedNode(EX + "g"))
BLANK_QUAD = ox.Quad(BLANK, P, S, ox.DefaultGraph())


@pytest.mark.parametrize(("dataset", "given"), [
    (Dataset(), False),
    (Dataset(union_default=True), False),  # the union is a store setting, not a dataset
    (Dataset(default_graphs=(EX + "g",)), True),
    (Dataset(named_graphs=(EX + "g",)), True),
    (Dataset(default_graphs=()), True),  # given, and empty: the default graph is empty
])
def test_a_dataset_is_given_when_either_list_is(dataset, given):
    assert dataset.given is given


def test_a_dataset_is_a_frozen_value():
    first = Dataset(default_graphs=(EX + "g",))
    assert first == Dataset(default_graphs=(EX + "g",)) and first != Dataset()
    assert len({first, Dataset(default_graphs=(EX + "g",)), Dataset()}) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.union_default = True  # type: ignore[misc]


SOLUTIONS = Solutions(("s", "label"), ((S, LABEL), (BLANK, None)))


def test_solutions_count_iterate_as_dicts_of_bound_variables_and_give_columns():
    assert len(SOLUTIONS) == 2 and len(Solutions(("x",), ())) == 0
    assert list(SOLUTIONS) == [{"s": S, "label": LABEL}, {"s": BLANK}]
    assert SOLUTIONS.column("label") == [LABEL, None]
    assert SOLUTIONS.column("s") == [S, BLANK]
    with pytest.raises(ValueError):
        SOLUTIONS.column("missing")


def test_a_row_of_the_wrong_width_is_an_error_not_a_shorter_solution():
    with pytest.raises(ValueError):
        list(Solutions(("s", "label"), ((S,),)))


CHANGES = [
    Update("INSERT DATA { <a> <b> <c> }", base_iri=EX),
    ReplaceGraph(EX + "g", (QUAD, BLANK_QUAD)),
    MergeGraph(None, (BLANK_QUAD,)),
    DropGraph(EX + "g"),
    QuadDelta(removed=(QUAD,), added=(BLANK_QUAD,), created_graphs=(EX + "new",),
              dropped_graphs=(EX + "old",)),
]


def test_every_change_kind_is_in_the_change_union():
    assert set(typing.get_args(base.Change)) == {
        Update, ReplaceGraph, MergeGraph, DropGraph, QuadDelta, ReplaceGraphs, BulkFile}


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: type(c).__name__)
def test_a_change_is_a_frozen_hashable_value_that_pickles_whole(change):
    """What validation on write checked is what is applied: nothing can change it on the
    way, and across a process boundary it arrives equal, blank nodes included."""
    field = dataclasses.fields(change)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(change, field, None)
    back = pickle.loads(pickle.dumps(change))
    assert back == change and hash(back) == hash(change)


def test_the_build_change_and_results_pickle_whole():
    build = ReplaceGraphs({EX + "g": [QUAD]})
    assert pickle.loads(pickle.dumps(build)) == build
    assert ReplaceGraphs().graphs == {} and ReplaceGraphs().graphs is not ReplaceGraphs().graphs
    for value in (SOLUTIONS, QueryOutcome("ASK", "application/sparql-results+json", b"{}", 1),
                  Applied(3, created=True, counts={EX + "g": 1})):
        assert pickle.loads(pickle.dumps(value)) == value


def test_an_empty_delta_changes_nothing_by_default():
    empty = QuadDelta()
    assert (empty.removed, empty.added, empty.created_graphs, empty.dropped_graphs) == (
        (), (), (), ())
    assert Applied(1) == Applied(1, created=False, counts={}, report=None)


def _members(protocol: type) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(value) for name, value in vars(protocol).items()
            if callable(value) and not name.startswith("_")}


def _shape(signature: inspect.Signature) -> list[tuple[str, inspect._ParameterKind]]:
    return [(p.name, p.kind) for p in signature.parameters.values()]


@pytest.mark.parametrize(("protocol", "implementation"), [
    (base.Backend, MemoryBackend), (base.Backend, EmbeddedBackend),
    (base.Store, PolicyStore),
], ids=["memory", "embedded", "policy"])
def test_each_implementation_has_every_method_of_its_protocol_with_its_parameters(
        protocol, implementation):
    """Callers pass keywords by the protocol's names: an implementation must take them."""
    for name, expected in _members(protocol).items():
        method = getattr(implementation, name, None)
        assert callable(method), f"{implementation.__name__} has no {name}"
        assert _shape(inspect.signature(method)) == _shape(expected), name


@pytest.mark.parametrize(("backend", "name", "stops"), [
    (MemoryBackend, "memory", False), (EmbeddedBackend, "embedded", True)])
def test_a_backend_says_its_name_and_whether_it_stops_runaway_queries(backend, name, stops):
    # the in-memory backend runs queries in-process: nothing can stop one (no cancellation
    # in pyoxigraph); the embedded one ends the process that runs it
    assert (backend.name, backend.stops_runaway_queries) == (name, stops)
