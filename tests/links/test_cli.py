"""``alliancegraph link`` through click's CliRunner on a built store, with the settings in
``ALLIANCEGRAPH_*`` variables and the Wikidata- and DBpedia-shaped servers behind them:
discovery writes the review CSV and Turtle (in the current folder by default) and prints a
summary; ``--accept`` makes links above the threshold; ``--accept --review FILE`` applies
the marked rows without asking the endpoint; every error is a message and exit 2, never a
traceback."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph.cli import main
from alliancegraph.config import load_settings
from alliancegraph.links.model import Origin, Status, read_candidates, read_links
from alliancegraph.store import open_store
from click.testing import CliRunner

BASE = "https://w3id.org/alliancegraph/"
ID = BASE + "id/"
ORCID = "https://orcid.org/0000-0002-1825-0097"
SNYDER = ID + "person/scott-snyder"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@pytest.fixture
def env(tmp_path, built, external_sparql, monkeypatch) -> dict[str, str]:
    """A store of its own and the variables that point the command at it and at the
    fixture servers; the current folder is the test's own."""
    shutil.copytree(built, tmp_path / "store")
    monkeypatch.chdir(tmp_path)
    return {"ALLIANCEGRAPH_DATA_DIR": str(tmp_path / "store"),
            "ALLIANCEGRAPH_LINK_CACHE_DIR": str(tmp_path / "cache"),
            "ALLIANCEGRAPH_WIKIDATA_ENDPOINT": external_sparql.wikidata,
            "ALLIANCEGRAPH_DBPEDIA_ENDPOINT": external_sparql.dbpedia}


def run(env: dict[str, str], *args: str):
    return CliRunner().invoke(main, ["link", *args], env=env)


def stored(env: dict[str, str]):
    """The candidates and links of the store the command wrote."""
    settings = load_settings(environ=env)
    store = open_store(settings)
    try:
        return read_candidates(store, BASE), read_links(store, BASE)
    finally:
        store.close()


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_discovery_writes_the_review_files_and_a_summary(env, tmp_path):
    result = run(env, "--target", "wikidata")
    assert result.exit_code == 0, result.output
    csv_path = tmp_path / "link-review-wikidata.csv"
    ttl_path = csv_path.with_suffix(".ttl")
    rows = rows_of(csv_path)
    candidates, _ = stored(env)
    assert len(rows) == len(candidates) > 0
    graph = ox.Store()
    graph.load(ttl_path.read_bytes(), format=ox.RdfFormat.TURTLE)
    typed = {q.subject.value for q in graph.quads_for_pattern(
        None, ox.NamedNode(RDF_TYPE), ox.NamedNode(BASE + "ontology#LinkCandidate"))}
    assert typed == {r["candidate"] for r in rows}
    assert "Link candidates from wikidata" in result.output
    assert "organisation" in result.output and "person" in result.output
    assert f"review file: {csv_path} ({len(rows)} pending rows" in result.output
    assert "Traceback" not in result.output


def test_quiet_prints_no_table(env):
    result = run(env, "--target", "wikidata", "--quiet", "--limit", "5")
    assert result.exit_code == 0, result.output
    assert "Link candidates from" not in result.output
    assert "of 5 entities" in result.output


def test_accept_takes_the_candidates_over_the_threshold(env):
    result = run(env, "--target", "wikidata", "--accept", "--threshold", "0.85")
    assert result.exit_code == 0, result.output
    candidates, links = stored(env)
    discovered = [link for link in links if link.origin == Origin.DISCOVERED]
    assert discovered and all(link.confidence >= 0.85 for link in discovered)
    assert f"{len(discovered)} accepted with a score >= 0.85" in result.output
    assert {c.status for c in candidates if c.subject == SNYDER} == {Status.PENDING}
    # the review file lists only what is still pending
    rows = rows_of(Path("link-review-wikidata.csv"))
    assert {r["object"] for r in rows}.isdisjoint({link.object for link in discovered})


def test_accept_review_applies_the_marked_rows_without_asking(env, flaky_endpoint):
    env = {**env, "ALLIANCEGRAPH_WIKIDATA_ENDPOINT": flaky_endpoint.url}
    assert run(env, "--target", "wikidata", "--review", "mine.csv").exit_code == 0
    asked = len(flaky_endpoint.requests)
    rows = rows_of(Path("mine.csv"))
    first = next(r for r in rows if r["subject"] == SNYDER and r["rank"] == "1")
    second = next(r for r in rows if r["subject"] == SNYDER and r["rank"] == "2")
    first["decision"], second["decision"] = "accept", "reject"
    write_rows(Path("mine.csv"), rows)
    result = run(env, "--accept", "--review", "mine.csv", "--reviewer", ORCID)
    assert result.exit_code == 0, result.output
    assert "1 accepted and 1 rejected by review; 1 links written" in result.output
    assert len(flaky_endpoint.requests) == asked  # no discovery run
    candidates, links = stored(env)
    [link] = [link for link in links if link.subject == SNYDER]
    assert (link.origin, link.object, link.reviewer) == (Origin.REVIEWED, first["object"],
                                                         ORCID)
    status = {c.object: c.status for c in candidates if c.subject == SNYDER}
    assert status == {first["object"]: Status.ACCEPTED, second["object"]: Status.REJECTED}


def test_a_rerun_asks_nothing_unless_refreshed(env, flaky_endpoint):
    env = {**env, "ALLIANCEGRAPH_WIKIDATA_ENDPOINT": flaky_endpoint.url}
    assert run(env, "--target", "wikidata", "-q").exit_code == 0
    asked = len(flaky_endpoint.requests)
    again = run(env, "--target", "wikidata", "-q")
    assert again.exit_code == 0 and len(flaky_endpoint.requests) == asked
    assert f"0 requests sent, {asked} answered from the cache" in again.output
    assert run(env, "--target", "wikidata", "-q", "--refresh").exit_code == 0
    assert len(flaky_endpoint.requests) == 2 * asked


def test_a_url_target_with_a_shape_and_a_review_path(env, external_sparql, tmp_path):
    result = run(env, "--target", external_sparql.dbpedia, "--shape", "dbpedia", "--review",
                 str(tmp_path / "out" / "db.csv"), "-q")
    assert result.exit_code == 0, result.output
    rows = rows_of(tmp_path / "out" / "db.csv")
    assert rows and all(r["target"] == external_sparql.dbpedia for r in rows)
    assert all(r["object"].startswith("http://dbpedia.org/resource/") for r in rows)
    assert (tmp_path / "out" / "db.ttl").is_file()


def test_a_bad_review_file_is_exit_2_with_line_and_column(env, tmp_path):
    Path("bad.csv").write_text("decision,candidate\nmaybe,urn:x\n", encoding="utf-8")
    result = run(env, "--accept", "--review", "bad.csv")
    assert result.exit_code == 2
    assert "bad.csv:2:1: decision 'maybe' is not one of: accept, reject" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--target", "wikipedia"], "unknown target 'wikipedia'"),
    (["--target", "wikidata", "--shape", "dbpedia"], "--shape dbpedia does not apply"),
    (["--target", "wikidata", "--threshold", "0.5"], "--threshold applies with --accept"),
    (["--target", "wikidata", "--reviewer", ORCID], "--reviewer applies with --accept --review"),
    ([], "give --target wikidata, dbpedia or an endpoint URL"),
    (["--accept", "--review", "absent.csv"], "cannot read the review file"),
    (["--accept", "--review", "x.csv", "--reviewer", "no iri"], "agent IRI"),
    (["--target", "wikidata", "--accept", "--threshold", "2"], "0.0<=x<=1.0"),
    (["--target", "wikidata", "--review", "out.ttl"], "the review file is CSV"),
])
def test_bad_options_are_exit_2_with_a_message(env, args, message):
    if "x.csv" in args:
        Path("x.csv").write_text("decision,candidate\n", encoding="utf-8")
    result = run(env, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_no_store_is_exit_2(env, tmp_path):
    result = run({**env, "ALLIANCEGRAPH_DATA_DIR": str(tmp_path / "none")}, "--target",
                 "wikidata")
    assert result.exit_code == 2
    assert "run 'alliancegraph build'" in result.output


def test_an_endpoint_that_refuses_is_exit_2_naming_it(env, flaky_endpoint, step):
    flaky_endpoint.script(step.status(404))
    result = run({**env, "ALLIANCEGRAPH_WIKIDATA_ENDPOINT": flaky_endpoint.url}, "--target",
                 "wikidata", "-q")
    assert result.exit_code == 2
    assert f"{flaky_endpoint.url} answered HTTP 404" in result.output
    assert "Traceback" not in result.output
    assert not Path("link-review-wikidata.csv").exists()
    candidates, _ = stored(env)
    assert candidates == []
