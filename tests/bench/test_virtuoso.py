"""bench/virtuoso.py: Virtuoso installed, started on loopback with its own database and
users, bulk loaded with its own loader, stopped; and the time-limit harness at a tiny size
(its figures belong to bench/results/time-limits.md, not to the suite)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
import requests
import virtuoso

JSON = "application/sparql-results+json"
EX = "http://example.org/bench-virtuoso/"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[virtuoso.Virtuoso]:
    reason = virtuoso.unavailable()
    if reason:
        pytest.skip(reason)
    started = virtuoso.Virtuoso(tmp_path_factory.mktemp("virtuoso"), max_query_seconds=20)
    yield started
    started.stop()


def count(server: virtuoso.Virtuoso, graph: str) -> int:
    answer = requests.post(server.query_url, headers={"Accept": JSON}, timeout=30, data={
        "query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"})
    answer.raise_for_status()
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def test_unavailable_is_asked_once():
    assert virtuoso.unavailable() is virtuoso.unavailable()
    assert virtuoso.unavailable.cache_info().hits >= 1


def test_the_server_is_on_loopback_with_its_own_files(server: virtuoso.Virtuoso):
    ini = (server.workdir / "virtuoso.ini").read_text()
    assert f"ServerPort = 127.0.0.1:{server.port}" in ini
    assert f"ServerPort = 127.0.0.1:{server.isql_port}" in ini
    assert f"DirsAllowed = {server.workdir}\n" in ini and "MaxQueryExecutionTime = 20" in ini
    assert (server.workdir / "virtuoso.db").is_file()
    assert server.query_url.startswith("http://127.0.0.1:")


def test_writes_need_the_user_and_its_digest(server: virtuoso.Virtuoso):
    update = f"INSERT DATA {{ GRAPH <{EX}w> {{ <{EX}a> <{EX}p> 1 }} }}"
    assert requests.post(server.update_url, data={"update": update},
                         timeout=30).status_code == 401
    assert requests.post(server.update_url, data={"update": update}, timeout=30,
                         auth=(server.user, server.password)).status_code == 401  # no Basic
    assert requests.post(server.update_url, data={"update": update}, timeout=30,
                         auth=server.auth).status_code == 200
    assert count(server, EX + "w") == 1
    # the package's well-known dba password no longer works
    done = subprocess.run([virtuoso.CLIENT, f"127.0.0.1:{server.isql_port}", "dba", "dba",
                           "ERRORS=STDOUT", "EXEC=SELECT 1;"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert "Bad login" in done.stdout + done.stderr


def test_load_takes_n_quads_and_turtle(server: virtuoso.Virtuoso, tmp_path):
    quads = tmp_path / "data.nq"
    quads.write_text("".join(f'<{EX}s{i}> <{EX}p> "{i}" <{EX}nq> .\n' for i in range(50)))
    server.load(quads)
    assert count(server, EX + "nq") == 50
    turtle = tmp_path / "data.ttl"
    turtle.write_text(f"@prefix ex: <{EX}> .\n" + "".join(f"ex:t{i} ex:p {i} .\n"
                                                            for i in range(30)))
    server.load(turtle, graph=EX + "ttl")
    assert count(server, EX + "ttl") == 30


def test_load_reports_a_file_it_cannot_parse(server: virtuoso.Virtuoso, tmp_path):
    broken = tmp_path / "broken.nq"
    broken.write_text(f"<{EX}a> <{EX}p> .\n")
    with pytest.raises(RuntimeError, match="could not load"):
        server.load(broken)


@pytest.mark.long
def test_the_time_limit_harness_runs_and_writes_its_table(tmp_path):
    if virtuoso.unavailable():
        pytest.skip(virtuoso.unavailable())
    stops = virtuoso.measure_limits(tmp_path / "work", limit=2.0, triples=12, give_up=60)
    assert [(s.server.split()[0], s.query) for s in stops] == [
        ("Oxigraph", q) for q in virtuoso.RUNAWAY] + [
        ("Virtuoso", q) for q in virtuoso.RUNAWAY for _ in range(2)]
    # 12^4 rows: every server finishes well within the limit, with a whole answer
    assert all(s.outcome.startswith("HTTP 200") and "S1TAT" not in s.outcome for s in stops)
    out = virtuoso.write_limits(stops, tmp_path / "limits.md", limit=2.0, triples=12)
    text = out.read_text()
    assert text.count("\n| ") == len(stops) + 1 and "MaxQueryExecutionTime = 2" in text
