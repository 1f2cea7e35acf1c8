"""Smoke test of bench/store_seam.py: at a tiny scale, without the peers and without the
"before" install, the harness builds the stores, serves them, measures every target and
writes the table with every row filled (speeds are not asserted: they belong to bench/)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import generate
import pytest
import store_seam

BENCH = Path(store_seam.__file__).parent


def test_generator_writes_exactly_the_quads_asked_for_the_same_every_time(tmp_path):
    import pyoxigraph as ox

    first = generate.write(tmp_path / "a.nq", 5000, seed=3)
    again = generate.write(tmp_path / "b.nq", 5000, seed=3)
    assert first.read_bytes() == again.read_bytes()
    assert first.read_bytes() != generate.write(tmp_path / "c.nq", 5000, seed=4).read_bytes()
    store = ox.Store()
    store.bulk_load(path=str(first), format=ox.RdfFormat.N_QUADS)
    assert len(store) == 5000  # each line one distinct quad, every one parses
    # the generated claims are about the bundled states, so the bundled pages grow with it
    about = ox.NamedNode(generate.AG + "about")
    japan = ox.NamedNode(generate.ID + "state/japan")
    assert any(store.quads_for_pattern(None, about, japan))


@pytest.mark.long
def test_harness_writes_every_row_of_the_table(tmp_path):
    out = tmp_path / "store-seam"
    done = subprocess.run(
        [sys.executable, str(BENCH / "store_seam.py"), "--scale", "300", "--no-peers",
         "--no-before", "--duration", "0.2", "--warmup", "0", "--runs", "2",
         "--example-runs", "2", "--write-runs", "1", "--calls", "10",
         "--mix-duration", "1", "--write-every", "0.4",
         "--work", str(tmp_path / "work"), "--out", str(out),
         # the install measured: this interpreter's unless another venv is named
         "--after-python", os.environ.get("AG_BENCH_AFTER_PYTHON", sys.executable)],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    table = out.with_suffix(".md").read_text()
    results = json.loads(out.with_suffix(".json").read_text())
    after = results["installs"]["after"]
    assert "error" not in after, after.get("error")
    assert "could not be measured" not in table

    bench = store_seam
    rows = [line for line in table.splitlines() if line.startswith("| ")]

    def row(*cells: str) -> str:
        found = [r for r in rows if all(c in r for c in cells)]
        assert found, f"no row with {cells}"
        return found[0]

    # every target has its row, and the after column holds a figure
    for what in ("`ASK {}`", "point lookup:"):
        assert "ms" in row("store-call overhead", what).split("|")[2]
    for name in bench.CLASSES:
        cells = row(f"| {name} | service (after) |").split("|")
        assert cells[3].strip() not in ("-", "0") and cells[4].strip() != "-", cells
    for page in bench.PAGES:
        for size in ("bundled", "generated"):
            assert row(f"| `{page}` | {size} |").split("|")[4].strip() != "-"
            assert "not measured" not in row(f"`{page}` p50", f"({size} store)")
    mix = row("| service (after) |").split("|")
    assert mix[2].strip() != "-" and mix[5].strip() not in ("-", "none"), mix
    # every shipped example query at both sizes
    for query in sorted((BENCH.parent / "graph" / "queries").glob("*.rq")):
        cells = row(f"| {query.stem} |").split("|")
        assert cells[2].strip() != "-" and cells[3].strip() != "-", cells
    # no request of the run failed
    for page in after["pages"]["generated"].values():
        assert page["statuses"] == {"200": 2}
        assert page["after_write"]["statuses"] == {"200": 1}
    for measured in after["classes"].values():
        assert set(measured["statuses"]) == {"200"}
