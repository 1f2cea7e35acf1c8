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


# ---------------------------------------------------------------------- backup and restore


def backup_run(*args: str):
    return CliRunner().invoke(main, list(args))


def sorted_dump(data_dir: Path) -> bytes:
    """The store's N-Quads, lines sorted: its content compared canonically."""
    store = open_store(load_settings(environ={}, overrides={"data_dir": str(data_dir)}))
    try:
        dump = b"".join(store.backend.dump(media_type="application/n-quads"))
    finally:
        store.close()
    return b"".join(sorted(dump.splitlines(keepends=True)))


@pytest.mark.parametrize("name", ["copy", "copy.nq.gz"])
def test_backup_and_restore_commands_give_the_same_store_back(data_dir, tmp_path, name):
    before = sorted_dump(data_dir)
    result = backup_run("backup", str(tmp_path / name), "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("backed up generation ")
    assert f"({'dir' if name == 'copy' else 'nq'})" in result.output
    fresh = tmp_path / "fresh"
    result = backup_run("restore", str(tmp_path / name), "--data-dir", str(fresh))
    assert result.exit_code == 0, result.output
    assert "(files)" in result.output
    assert sorted_dump(fresh) == before
    run(fresh, "--no-validate", "--no-infer", "-", "--format", "nt",
        stdin=f"<{EX}s> <{EX}p> <{EX}o> .\n")
    assert sorted_dump(fresh) != before
    result = backup_run("restore", str(tmp_path / name), "--data-dir", str(fresh))
    assert result.exit_code == 0, result.output
    assert "(write)" in result.output
    assert sorted_dump(fresh) == before


def test_backup_and_restore_refuse_bad_input_with_exit_2_and_write_nothing(data_dir, tmp_path):
    (tmp_path / "taken.nq").write_text("")
    result = backup_run("backup", str(tmp_path / "taken.nq"), "--data-dir", str(data_dir))
    assert result.exit_code == 2 and "exists" in result.stderr
    assert (tmp_path / "taken.nq").read_text() == ""
    result = backup_run("restore", str(tmp_path / "taken.nq"), "--data-dir",
                        str(tmp_path / "fresh"))
    assert result.exit_code == 2 and "no alliancegraph backup" in result.stderr
    result = backup_run("restore", str(tmp_path / "absent"), "--data-dir",
                        str(tmp_path / "fresh"))
    assert result.exit_code == 2 and "no backup at" in result.stderr
    assert backup_run("backup", str(tmp_path / "b.nq"), "--data-dir",
                      str(data_dir)).exit_code == 0
    lines = (tmp_path / "b.nq").read_bytes().splitlines(keepends=True)
    (tmp_path / "b.nq").write_bytes(b"".join(lines[:-2]))  # truncated
    result = backup_run("restore", str(tmp_path / "b.nq"), "--data-dir",
                        str(tmp_path / "fresh"))
    assert result.exit_code == 2 and "does not match its manifest" in result.stderr
    assert not (tmp_path / "fresh" / "oxigraph").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.nq", "taken.nq"]
