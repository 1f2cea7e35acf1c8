"""``alliancegraph query`` and ``alliancegraph stats`` (graph/query.py) against a small
store."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph.cli import main
from alliancegraph.config import load_settings
from alliancegraph.graph.queries import load_examples
from alliancegraph.graph.query import link_target, shorten
from alliancegraph.store import open_store
from click.testing import CliRunner

AG = "https://w3id.org/alliancegraph/"
DATA = f"""
@prefix ag: <{AG}ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<{AG}id/state/japan> a ag:State ; rdfs:label "Japan"@en ;
    owl:sameAs <http://www.wikidata.org/entity/Q17>, <http://dbpedia.org/resource/Japan> .
<{AG}id/state/south-korea> a ag:State ; rdfs:label "South Korea"@en ;
    owl:sameAs <http://www.wikidata.org/entity/Q884> .
<{AG}id/journal/orbis> a ag:Journal ; rdfs:label "Orbis"@en ;
    skos:exactMatch <https://portal.issn.org/resource/ISSN/0030-4387>, <urn:issn:0030-4387> ;
    owl:sameAs <{AG}id/journal/orbis-alias> .
""".encode()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("cli")
    settings = load_settings(environ={}, overrides={
        "data_dir": str(data_dir), "base_iri": AG, "validate_on_write": False})
    store = open_store(settings)
    try:
        store.put_graph(f"{AG}graph/background", DATA, media_type="text/turtle")
        store.put_graph(f"{AG}graph/paper-a", f"<{AG}id/paper-a> a <{AG}ontology#Paper> ."
                        .encode(), media_type="text/turtle")
    finally:
        store.close()
    return data_dir


def run(data_dir: Path, *args: str, stdin: str | None = None, env: bool = False):
    runner = CliRunner()
    if env:
        return runner.invoke(main, list(args), input=stdin,
                             env={"ALLIANCEGRAPH_DATA_DIR": str(data_dir)})
    return runner.invoke(main, [*args[:1], "--data-dir", str(data_dir), *args[1:]],
                         input=stdin)


STATES = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
          f"SELECT ?s ?label WHERE {{ ?s a <{AG}ontology#State> ; rdfs:label ?label }} "
          "ORDER BY ?label")


def test_query_prints_a_table_with_short_iris(data_dir):
    result = run(data_dir, "query", STATES)
    assert result.exit_code == 0, result.output
    assert "agid:state/japan" in result.stdout and "Japan@en" in result.stdout
    assert "South Korea@en" in result.stdout and "2 solutions" in result.stdout


@pytest.mark.parametrize(("fmt", "expected"), [
    ("csv", "s,label\r\nhttps://w3id.org/alliancegraph/id/state/japan,Japan\r\n"
            "https://w3id.org/alliancegraph/id/state/south-korea,South Korea\r\n"),
    ("tsv", "?s\t?label\n<https://w3id.org/alliancegraph/id/state/japan>\t\"Japan\"@en\n"
            "<https://w3id.org/alliancegraph/id/state/south-korea>\t\"South Korea\"@en\n"),
])
def test_query_prints_csv_and_tsv(data_dir, fmt, expected):
    result = run(data_dir, "query", STATES, "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.decode() == expected


def test_query_json_from_a_file_and_from_stdin(data_dir, tmp_path):
    query_file = tmp_path / "states.rq"
    query_file.write_text(STATES, encoding="utf-8")
    from_file = run(data_dir, "query", "--file", str(query_file), "--format", "json")
    from_stdin = run(data_dir, "query", "-", "--format", "json", stdin=STATES)
    for result in (from_file, from_stdin):
        assert result.exit_code == 0, result.output
        rows = json.loads(result.stdout)["results"]["bindings"]
        assert [r["label"]["value"] for r in rows] == ["Japan", "South Korea"]


def test_query_ask_and_the_data_dir_from_the_environment(data_dir):
    result = run(data_dir, "query", f"ASK {{ <{AG}id/paper-a> ?p ?o }}", env=True)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "true"


def test_construct_prints_turtle(data_dir):
    result = run(data_dir, "query", f"CONSTRUCT WHERE {{ ?s a <{AG}ontology#Journal> }}")
    assert result.exit_code == 0, result.output
    parsed = list(ox.parse(result.stdout_bytes, ox.RdfFormat.TURTLE))
    assert [str(q.subject) for q in parsed] == [f"<{AG}id/journal/orbis>"]


@pytest.mark.parametrize(("args", "message"), [
    (("query", "SELECT ?s WHERE { ?s ?p }"), "1:"),
    (("query", "SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }"), "SERVICE"),
    (("query",), "exactly one"),
    (("query", "ASK {}", "--file", "x.rq"), "exactly one"),
    (("query", "--file", "/nonexistent/q.rq"), "cannot read"),
    (("query", "CONSTRUCT WHERE { ?s ?p ?o }", "--format", "csv"), "CSV"),
])
def test_bad_input_exits_2_with_a_message_on_stderr(data_dir, args, message):
    result = run(data_dir, *args)
    assert result.exit_code == 2
    assert message in result.stderr and result.stdout == ""


def test_too_many_rows_is_refused(data_dir, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("max_rows = 1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["query", "--data-dir", str(data_dir), STATES],
                                env={"ALLIANCEGRAPH_CONFIG": str(config)})
    assert result.exit_code == 2 and "more than 1 solutions" in result.stderr


def test_stats_counts_graphs_classes_and_links(data_dir):
    result = run(data_dir, "stats")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()

    def row(name: str) -> list[str]:
        found = [line for line in lines if f" {name} " in line]
        assert len(found) == 1, (name, found)
        return found[0].replace("│", " ").split()

    assert row(f"{AG}graph/background")[-1] == "12"
    assert row(f"{AG}graph/paper-a")[-1] == "1"
    assert row("ag:State")[-1] == "2"
    assert row("wikidata.org")[-1] == "2"
    assert row("dbpedia.org")[-1] == "1"
    assert row("portal.issn.org")[-1] == "1"
    assert row("urn:issn")[-1] == "1"
    assert "orbis-alias" not in result.stdout  # links inside the graph are not links out


def test_link_targets_and_short_names():
    assert link_target("http://www.wikidata.org/entity/Q17") == "wikidata.org"
    assert link_target("https://dbpedia.org/resource/Japan") == "dbpedia.org"
    assert link_target("urn:ISSN:0030-4387") == "urn:issn"
    assert shorten(f"{AG}ontology#State") == "ag:State"
    assert shorten("http://example.org/x") == "http://example.org/x"


# ---------------------------------------------------------------- first contact (issue)

def test_the_project_prefixes_are_declared_unless_the_query_declares_its_own(data_dir):
    result = run(data_dir, "query", "SELECT ?s WHERE { ?s a ag:State ; rdfs:label ?l } "
                 "ORDER BY ?s", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == [f"{AG}id/state/japan", f"{AG}id/state/south-korea"]
    own = run(data_dir, "query", "PREFIX ag: <http://example.org/> "
              "SELECT ?s WHERE { ?s a ag:State }", "--format", "csv")
    assert own.exit_code == 0 and own.stdout_bytes == b"s\r\n"  # its ag:, not the project's


@pytest.mark.parametrize(("query", "lines"), [
    ("SELECT * WHERE { ?s a foo:State }", [
        "Error: 1:23: prefix 'foo:' is not declared (add PREFIX foo: <…>)",
        "  SELECT * WHERE { ?s a foo:State }",
        "                        ^"]),
    ("SELECT ?s\nWHERE {\n  ?s ?p ?o FILTER(?o > 1 }", [
        "Error: 3:18: '(' is never closed",
        "    ?s ?p ?o FILTER(?o > 1 }",
        "                   ^"]),
    ("ASK { ?s ?p ?o } LIMIT x", [
        "Error: 1:24: expected a number, HAVING, OFFSET or VALUES",
        "  ASK { ?s ?p ?o } LIMIT x",
        "                         ^"]),
])
def test_a_syntax_error_shows_the_line_and_a_caret_at_the_users_position(data_dir, query,
                                                                          lines):
    """Line numbers and columns are those of the text as typed, though the project's
    prefixes were declared in front of its first line."""
    result = run(data_dir, "query", query)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == lines


@pytest.mark.parametrize("command", ["query", "stats"])
def test_a_store_that_does_not_exist_is_refused_not_created(tmp_path, command):
    typo = tmp_path / "typo"
    args = (command, "ASK {}") if command == "query" else (command,)
    result = run(typo, *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"Error: no store in {typo}: run 'alliancegraph build'\n"
    assert not typo.exists()


def test_json_tsv_and_json_ld_end_with_a_newline(data_dir):
    for args in (("query", STATES, "--format", "json"), ("query", STATES, "--format", "tsv"),
                 ("query", "ASK {}", "--format", "json"),
                 ("query", f"DESCRIBE <{AG}id/paper-a>", "--format", "json"),
                 ("stats", "--format", "json")):
        result = run(data_dir, *args)
        assert result.exit_code == 0, result.output
        assert result.stdout.endswith("\n") and not result.stdout.endswith("\n\n"), args


def test_select_star_keeps_the_query_variable_order(data_dir):
    query = "SELECT * WHERE { ?state a ag:State ; rdfs:label ?label } ORDER BY ?label"
    tsv = run(data_dir, "query", query, "--format", "tsv")
    assert tsv.stdout.splitlines()[0] == "?state\t?label"  # pyoxigraph alone: ?label ?state
    as_json = json.loads(run(data_dir, "query", query, "--format", "json").stdout)
    assert as_json["head"]["vars"] == ["state", "label"]
    table = run(data_dir, "query", query).stdout
    header = next(line for line in table.splitlines() if "state" in line)
    assert header.index("state") < header.index("label")


def test_stats_as_json(data_dir):
    result = run(data_dir, "stats", "--format", "json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert {"graph": f"{AG}graph/paper-a", "count": 1} in found["graphs"]
    assert {"class": f"{AG}ontology#State", "count": 2} in found["classes"]
    assert found["links"] == [{"target": "dbpedia.org", "count": 1},
                              {"target": "portal.issn.org", "count": 1},
                              {"target": "urn:issn", "count": 1},
                              {"target": "wikidata.org", "count": 2}]


def test_list_the_examples_without_a_store(tmp_path):
    result = run(tmp_path / "none", "query", "--list")
    assert result.exit_code == 0, result.output
    assert "security-events-in-a-period\n    Events in a period" in result.stdout
    assert "    --param from=1990  to=1999\n" in result.stdout
    names = [line for line in result.stdout.splitlines() if not line.startswith(" ")]
    assert names == [e.name for e in load_examples()]


def test_run_an_example_by_name_with_parameters(data_dir):
    """The shipped queries ask for the real graph; here the small store answers
    "scholarly-papers" with nothing, which still shows that it ran, and --param reaches
    its VALUES line (a value that is no SPARQL term is refused before anything runs)."""
    result = run(data_dir, "query", "--example", "scholarly-papers", "--param",
                 "paper=agid:paper-a", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("paper,")
    for args, message in [
        (("--example", "scholarly-paper"), "did you mean scholarly-papers"),
        (("--example", "scholarly-papers", "--param", "year=2001"),
         "no parameter ?year (its parameters: ?paper)"),
        (("--example", "scholarly-papers", "--param", "paper=} DROP ALL"), "not one SPARQL term"),
        (("--example", "scholarly-papers", "--param", "paper"), "write NAME=VALUE"),
        (("--example", "scholarly-papers", "ASK {}"), "exactly one"),
        (("--list", "ASK {}"), "--list takes no query"),
    ]:
        failed = run(data_dir, "query", *args)
        assert failed.exit_code == 2 and message in failed.stderr, (args, failed.output)
