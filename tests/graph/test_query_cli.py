"""``alliancegraph query`` and ``alliancegraph stats`` against a small store."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph.cli import main
from alliancegraph.embedded import EmbeddedStore
from alliancegraph.query import link_target, shorten
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
    store = EmbeddedStore(data_dir, query_timeout=10, max_rows=100, base_iri=AG)
    store.put_graph(f"{AG}graph/background", DATA, media_type="text/turtle")
    store.put_graph(f"{AG}graph/paper-a", f"<{AG}id/paper-a> a <{AG}ontology#Paper> ."
                    .encode(), media_type="text/turtle")
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
