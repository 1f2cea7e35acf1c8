"""Smoke test of bench/bulk_load.py: at a tiny size every loader runs over the same
generated file, the loads that should succeed do, and the table names each of them with a
ratio to ``oxigraph load`` (speeds are not asserted: they belong to bench/)."""

from __future__ import annotations

import json

import bulk_load
import pyoxigraph as ox
import pytest


@pytest.mark.long
def test_the_harness_runs_every_loader_and_writes_the_table(tmp_path):
    runs = bulk_load.run_all(200, 1, tmp_path / "work", validate_timeout=300, limit=300)
    names = [r.name for r in runs]
    assert names[0] == "oxigraph load (CLI)" and len(names) == 7
    by_name = {r.name: r for r in runs}
    unvalidated = [n for n in names if "--no-validate" in n or n == bulk_load.HTTP_ROW]
    for name in [*names[:3], *unvalidated]:
        assert by_name[name].exit_code == 0, (name, by_name[name].note)
        assert by_name[name].peak_mb > 0
    # the validated load ends stored or refused by the shapes, never crashed
    validated = by_name["alliancegraph load --no-infer (validated)"]
    assert validated.exit_code == 0 or (validated.exit_code == 2
                                        and "refused" in validated.note), validated.note
    # what the raw loaders stored is the file
    raw = ox.Store.read_only(str(tmp_path / "work" / "ox-bulk"))
    assert len(raw) == 200
    # the HTTP load stored the file, plus the inferences
    served = ox.Store.read_only(str(tmp_path / "work" / "ag-http" / "oxigraph"))
    assert all(q in served for q in raw)
    out = bulk_load.write_results(tmp_path / "results", 200, runs)
    text = out.read_text()
    for name in names:
        assert f"| {name} |" in text
    assert "x oxigraph load" in text and "Target ≤ 1.3x" in text
    assert "(`alliancegraph load --no-validate`, inference on): " in text
    saved = json.loads((tmp_path / "results" / "bulk-load-200.json").read_text())
    assert [r["name"] for r in saved["runs"]] == names
