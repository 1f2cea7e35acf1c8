"""Smoke test of bench/validation_on_write.py on small stores: the writes it times are what
it says they are, its store conforms, and the incremental check it times gives the same
results as full revalidation on the nodes it checks."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import validation_on_write as bench
from alliancegraph.shapes.validate import Report, Result, validate
from alliancegraph.store.guard import ShapesWriteGuard, update_delta


@pytest.fixture(scope="module")
def bundled() -> ox.Store:
    """The smallest store the script builds: the bundled graph alone (one copy)."""
    return bench.synthetic_store(0)


@pytest.fixture(scope="module")
def guard() -> ShapesWriteGuard:
    return ShapesWriteGuard()


@pytest.mark.parametrize(("kind", "added", "removed"), [("insert", 100, 0), ("pattern", 50, 50)])
def test_each_write_changes_exactly_100_triples(bundled, kind, added, removed):
    update = bench.UPDATES[kind]()
    delta = update_delta(bundled, update)
    assert (len(delta.added), len(delta.removed)) == (added, removed)
    assert bench.delta_size(bundled, update) == bench.UPDATE_TRIPLES == 100
    # Oxigraph, which applies the write in the service, changes as many triples
    assert len(bench.after_state(bundled, update)) == len(bundled) + added - removed


def test_copied_papers_get_their_own_nodes_and_the_store_conforms():
    one, two = bench.synthetic_store(0), bench.synthetic_store(20_000)
    assert 1.6 * len(one) < len(two) < 1.9 * len(one)  # the papers copied once, not the rest
    copy = "https://w3id.org/alliancegraph/id/paper-a-r1"
    of_paper = ox.NamedNode(bench.CANONICAL_BASE + "ontology#ofPaper")
    assert ox.Quad(ox.NamedNode(f"{copy}/footnote/1"), of_paper, ox.NamedNode(copy),
                   ox.NamedNode(bench.graph_iri("paper-a") + "-r1")) in two
    # shared nodes stay shared: no copy of a state
    assert not any(q.subject.value.startswith(bench.ID + "state-r") for q in two)
    report = validate(two)
    assert report.violations == ()
    # copying adds no warning: any there are belong to the bundled graph itself
    assert not [r for r in report.warnings if "-r1" in r.focus_node]


def _broken(kind: str) -> str:
    """The benchmark's write, changed so that it breaks shapes: evidence without a quote;
    claims whose label is deleted and not replaced."""
    update = bench.UPDATES[kind]()
    broken = (update.replace("ag:quote", "rdfs:comment") if kind == "insert"
              else update.replace("INSERT { GRAPH ?g { ?claim rdfs:label ?new } }\n", ""))
    assert broken != update
    return broken


def _restricted(report: Report, nodes: set[str]) -> set[Result]:
    names = {f"<{n}>" for n in nodes} | {f"_:{n}" for n in nodes}
    return {r for r in report.results if r.focus_node in names}


@pytest.mark.parametrize("kind", ["insert", "pattern"])
@pytest.mark.parametrize("breaks", [False, True], ids=["as-timed", "breaking"])
def test_incremental_report_equals_full_revalidation_on_the_checked_nodes(
        bundled, guard, kind, breaks):
    update = _broken(kind) if breaks else bench.UPDATES[kind]()
    delta = update_delta(bundled, update)
    incremental = guard.report_for(bundled, delta)
    nodes = bench.checked_nodes(incremental)
    # the after-state the guard judged (the delta's own blank nodes, so results compare)
    after = ox.Store()
    after.bulk_extend(bundled)
    after.bulk_extend(delta.added)
    for quad in delta.removed:
        after.remove(quad)
    full = validate(after)
    assert set(incremental.results) == _restricted(full, nodes)
    # the store conformed before, so every violation in the after-state is the write's: the
    # incremental check must have found each one
    assert set(full.violations) <= set(incremental.results)
    if breaks:
        expected = {"insert": "EvidenceShape-quote", "pattern": "ClaimShape"}[kind]
        assert any(r.source_shape.endswith(f"#{expected}>") for r in incremental.violations)
        assert len({r.focus_node for r in incremental.violations}) >= 8
    else:
        assert incremental.violations == ()
        assert bench.delta_size(bundled, update) == 100
