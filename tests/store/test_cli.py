"""``alliancegraph load``: files and standard input into a built embedded store, counts
printed; bad input exits 2 naming file, line and column, with the store unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from alliancegraph import CANONICAL_BASE
from alliancegraph.cli import main
from alliancegraph.config import load_settings
from alliancegraph.graph.build import build_store
from alliancegraph.graph.vocabulary import INFERRED, graph_iri
from alliancegraph.store import open_store
from click.testing import CliRunner

EX = "http://example.org/"
AG = CANONICAL_BASE + "ontology#"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("built")
    build_store(where, progress=False, docs=False,
                settings=load_settings(environ={}, overrides={"data_dir": str(where)}))
    return where


def run(data_dir: Path, *args: str, stdin: str | None = None):
    return CliRunner().invoke(main, ["load", "--data-dir", str(data_dir), "--quiet", *args],
                              input=stdin)


def quads(data_dir: Path, graph: str) -> set:
    store = open_store(load_settings(environ={}, overrides={"data_dir": str(data_dir)}))
    try:
        return set(store.quads(graph=graph))
    finally:
        store.close()


def test_load_writes_named_graphs_and_inferences_and_prints_counts(data_dir, tmp_path):
    trig = tmp_path / "a.trig"
    trig.write_text(f"<{EX}g1> {{ <{EX}group> a <{AG}TerroristGroup> ; "
                    f"<http://www.w3.org/2000/01/rdf-schema#label> \"A group\"@en . }}\n",
                    encoding="utf-8")
    result = run(data_dir, str(trig))
    assert result.exit_code == 0, result.output
    assert f"{EX}g1" in result.stdout and "inferred (merged)" in result.stdout
    assert len(quads(data_dir, EX + "g1")) == 2
    inferred = quads(data_dir, graph_iri(INFERRED, CANONICAL_BASE))
    assert any(q.subject.value == EX + "group" and q.object.value == AG + "Actor"
               for q in inferred)


def test_load_reads_standard_input_with_a_format(data_dir):
    result = run(data_dir, "--format", "nt", "--graph", EX + "stdin", "--no-infer", "-",
                 stdin=f"<{EX}a> <{EX}p> <{EX}b> .\n")
    assert result.exit_code == 0, result.output
    assert {q.subject.value for q in quads(data_dir, EX + "stdin")} == {EX + "a"}


def test_a_file_that_does_not_parse_exits_2_and_changes_nothing(data_dir, tmp_path):
    good = tmp_path / "good.nq"
    good.write_text(f"<{EX}a> <{EX}p> \"1\" <{EX}never> .\n", encoding="utf-8")
    bad = tmp_path / "bad.nq"
    bad.write_text(f"<{EX}a> <{EX}p> \"1\" <{EX}never> .\n<{EX}a> <{EX}p> .\n",
                   encoding="utf-8")
    result = run(data_dir, "--no-validate", str(good), str(bad))
    assert result.exit_code == 2
    assert f"{bad}:2:" in result.stderr and "unchanged" in result.stderr
    assert quads(data_dir, EX + "never") == set()


def test_bad_arguments_exit_2_with_a_message(data_dir, tmp_path):
    result = run(data_dir, "-")
    assert result.exit_code == 2 and "--format" in result.stderr
    unknown = tmp_path / "data.txt"
    unknown.write_text("", encoding="utf-8")
    result = run(data_dir, str(unknown))
    assert result.exit_code == 2 and "data.txt" in result.stderr
    result = run(tmp_path / "no-store", str(unknown))
    assert result.exit_code == 2 and "alliancegraph build" in result.stderr
