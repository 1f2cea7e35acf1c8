"""``alliancegraph ingest``: draft and review file written; ``--accept`` writes through
validation on write, and a refusal names the rows to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from alliancegraph import CANONICAL_BASE
from alliancegraph.cli import main
from alliancegraph.config import load_settings
from alliancegraph.graph.build import build_store
from alliancegraph.ingest.draft import read_review
from alliancegraph.store import open_store
from click.testing import CliRunner

PAPER = """# A Small Paper On Security

Jane Roe\\*

\\* Jane Roe is a Fellow at the Institute of Things.

## Introduction

Japan and the ROK cooperate.<sup>1</sup> The U.S. watches.<sup>2</sup>

---

<sup>1</sup> Ann Author, “A title of an article”, *A Journal*, 3:2, Spring 2001, pp.4-6.

<sup>2</sup> Bob Writer, “A web page”, *Some Website*, <http://example.org/page> Accessed: 5th
September 2006
"""


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("built")
    build_store(where, progress=False, docs=False,
                settings=load_settings(environ={}, overrides={"data_dir": str(where)}))
    return where


def run(*args: str):
    return CliRunner().invoke(main, ["ingest", *args])


def test_ingest_writes_draft_and_review(data_dir, tmp_path) -> None:
    paper = tmp_path / "paper.md"
    paper.write_text(PAPER, encoding="utf-8")
    result = run(str(paper), "--id", "paper-z", "--out", str(tmp_path / "out"),
                 "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.output
    assert "2 footnotes" in result.output
    trig = (tmp_path / "out" / "paper-z.trig").read_text(encoding="utf-8")
    assert CANONICAL_BASE + "graph/paper-z" in trig
    rows = read_review((tmp_path / "out" / "paper-z.review.tsv").read_text(encoding="utf-8"))
    assert any(r["kind"] == "mention" and r["subject"].endswith("/state/japan") for r in rows)


def test_accept_writes_the_reviewed_draft(data_dir, tmp_path) -> None:
    paper = tmp_path / "paper.md"
    paper.write_text(PAPER, encoding="utf-8")
    out = tmp_path / "out"
    assert run(str(paper), "--id", "paper-y", "--out", str(out),
               "--data-dir", str(data_dir)).exit_code == 0
    result = run("--accept", str(out / "paper-y.review.tsv"), "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.output
    store = open_store(load_settings(environ={}, overrides={"data_dir": str(data_dir)}))
    try:
        quads = store.quads(graph=CANONICAL_BASE + "graph/paper-y")
    finally:
        store.close()
    assert any(q.subject.value.endswith("/paper-y/footnote/2") for q in quads)


def test_a_refused_write_names_the_rows_to_fix(data_dir, tmp_path) -> None:
    paper = tmp_path / "paper.md"
    paper.write_text(PAPER, encoding="utf-8")
    out = tmp_path / "out"
    assert run(str(paper), "--id", "paper-x", "--out", str(out),
               "--data-dir", str(data_dir)).exit_code == 0
    review = out / "paper-x.review.tsv"
    lines = review.read_text(encoding="utf-8").splitlines()
    number = None
    for i, line in enumerate(lines):
        cells = line.split("\t")
        if cells[3] == "schema:url":
            cells[4], number = "not a url", cells[0]
            lines[i] = "\t".join(cells)
    assert number is not None
    review.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("--accept", str(review), "--data-dir", str(data_dir))
    assert result.exit_code == 1
    assert "fix row(s) " in result.output and number in result.output.split("fix row(s) ")[1]


def test_bad_input_is_a_usage_error(tmp_path) -> None:
    assert run(str(tmp_path / "x.md"), "--id", "Not An Id").exit_code == 2
    assert run("--accept", str(tmp_path / "missing.review.tsv")).exit_code == 2
    assert run().exit_code == 2
