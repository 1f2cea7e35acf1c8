"""Smoke test of bench/validation_scaling.py on a tiny store: its writes are the sizes it
says and conform, the harness measures a validated and an unvalidated write through the
service's store and writes its table; and a write of footnotes re-checks its own paper's
footnotes only."""

from __future__ import annotations

import json

import pyoxigraph as ox
import validation_scaling as bench
from alliancegraph.graph.sources import load_sources
from alliancegraph.store.base import QuadDelta
from alliancegraph.store.delta import quad_delta
from alliancegraph.store.guard import ShapesWriteGuard


def test_writes_are_exact_whole_units_after_the_base():
    base, write = bench.split_units(3_000, 700)
    assert len(write) == 700
    assert len(base) >= 3_000
    assert not set(base) & set(write)
    # the base ends at a unit boundary: the next base would start with the write's units
    longer, _ = bench.split_units(len(base) + 1, 0)
    assert longer[:len(base)] == base and longer[len(base)] == write[0]


def test_the_harness_measures_and_writes_its_table(tmp_path):
    rows = bench.run([12_000], [200], repeat=1, results=tmp_path / "results",
                     work=tmp_path / "work", report=lambda _: None)
    (row,) = rows
    assert row["write"] == 200 and row["store_quads"] >= 12_000
    assert row["checked"] > 0  # validation ran and looked at the new nodes
    for kind in ("validated", "unvalidated"):
        assert row[kind]["median_s"] > 0 and len(row[kind]["runs"]) == 1
    saved = json.loads((tmp_path / "results" / "validation-scaling.json").read_text())
    assert saved["rows"][0]["write"] == 200
    table = bench.write_table(tmp_path / "results")
    assert "| 200 |" in table and "Growth of the validation CPU time" in table


def test_a_footnote_write_rechecks_footnotes_of_its_own_paper_only():
    """Footnote numbers are unique within a paper: a write of new footnotes re-checks the
    footnotes of its paper, not every footnote of the store with the same number (their
    count grew with the number of papers: the store, not the write)."""
    base_size = 16_000
    while True:  # a write that has footnotes in it
        base, write = bench.split_units(base_size, 600)
        if any("#footnoteNumber>" in line for line in write):
            break
        base_size += 500
    store = ox.Store()
    load_sources(store)
    store.load("".join(base).encode(), ox.RdfFormat.N_QUADS)
    added = tuple(ox.parse("".join(write).encode(), ox.RdfFormat.N_QUADS))
    report = ShapesWriteGuard().report_for(store, quad_delta(store, QuadDelta(added=added)))
    assert report.conforms
    papers = {q.subject.value.split("/footnote/")[0] for q in added
              if "/footnote/" in q.subject.value}
    assert papers
    footnotes = {n for nodes in report.checked.values() for n in nodes if "/footnote/" in n}
    assert footnotes and {n.split("/footnote/")[0] for n in footnotes} <= papers
    # the store has other papers with footnotes of the same numbers
    others = {str(r["f"].value) for r in store.query(
        "SELECT ?f WHERE { ?f <https://w3id.org/alliancegraph/ontology#footnoteNumber> \"1\" }",
        use_default_graph_as_union=True)}
    assert len({f.split("/footnote/")[0] for f in others} - papers) >= 3
