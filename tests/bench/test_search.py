"""bench/search.py runs and writes its table (speed is measured there, not asserted here)."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_the_search_benchmark_writes_its_table(tmp_path):
    import search as bench

    out = tmp_path / "search.md"
    text = bench.run(500, 1, out, "test")
    assert out.read_text() == text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
    assert len(rows) == len(bench.TEXTS)
    assert all("| yes |" in row for row in rows), text  # both ways found the same hits
    assert "Index build:" in text
