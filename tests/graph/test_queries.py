"""The shipped example queries (graph/queries/*.rq): each has a title and a description,
runs on the bundled graph, and has a test that checks its exact answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from alliancegraph.graph.queries import load_examples

QUERIES = sorted((Path(__file__).resolve().parents[2] / "graph" / "queries").glob("*.rq"))
TEST_SOURCES = "\n".join(p.read_text(encoding="utf-8")
                         for p in Path(__file__).parent.glob("test_*.py"))


def test_the_examples_are_the_shipped_files():
    assert len(QUERIES) >= 30
    assert len(load_examples()) == len(QUERIES)


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_each_query_has_a_title_description_and_an_answer_test(path: Path, source_store):
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# title: ") and len(lines[0]) > 12
    assert lines[1].startswith("# description: ") and len(lines[1]) > 20
    source_store.query(path.read_text(encoding="utf-8"), use_default_graph_as_union=True)
    assert f'"{path.stem}"' in TEST_SOURCES, "no test runs this query"
