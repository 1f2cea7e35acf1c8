"""``alliancegraph serve`` (service/cli.py): its options and refusals, gunicorn configured
to close each worker's store as the worker exits, and a first start on an empty data
directory that builds the store before serving."""

from __future__ import annotations

import requests
from alliancegraph.config import load_settings
from alliancegraph.service.cli import GunicornServer, serve_command, worker_exit
from click.testing import CliRunner


def test_serve_closes_the_store_when_a_worker_exits():
    server = GunicornServer(load_settings(environ={}))  # configured, not started
    assert server.cfg.worker_exit is worker_exit


def test_serve_refuses_bad_options(tmp_path):
    result = CliRunner().invoke(serve_command, ["--workers", "0", "--data-dir",
                                                str(tmp_path / "d")])
    assert result.exit_code != 0
    assert "workers" in result.output


def test_first_start_builds_the_store(built_server):
    """`alliancegraph serve` on an empty data dir builds the graph and is then ready."""
    running = built_server
    ready = requests.get(running.url + "/readyz", timeout=30)
    assert ready.status_code == 200
    names = requests.get(running.url + "/sparql", timeout=30, params={
        "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g {} }"}).json()["results"]["bindings"]
    graphs = {row["g"]["value"] for row in names}
    assert {"https://w3id.org/alliancegraph/graph/ontology",
            "https://w3id.org/alliancegraph/graph/paper-a",
            "https://w3id.org/alliancegraph/graph/paper-b"} <= graphs
    # read-only: no write token configured
    update = requests.post(running.url + "/sparql", data={"update": "CLEAR ALL"}, timeout=30)
    assert update.status_code == 403


def test_serve_refuses_an_in_memory_store(tmp_path, monkeypatch):
    monkeypatch.setenv("ALLIANCEGRAPH_STORE", "memory")
    result = CliRunner().invoke(serve_command, ["--data-dir", str(tmp_path / "d")])
    assert result.exit_code != 0
    assert "embedded" in result.output and not (tmp_path / "d").exists()


def test_serve_options():
    result = CliRunner().invoke(serve_command, ["--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--workers", "--data-dir", "--read-only", "--config"):
        assert option in result.output


def test_serve_is_a_subcommand_of_the_cli():
    from alliancegraph.cli import main

    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "gunicorn" in result.output


def test_serve_in_front_of_a_remote_store(start_server, writable_oxigraph, tmp_path):
    """Two instances on one remote store: the first start builds it, the second finds it
    built and writes only its own documentation; both answer from the same store."""
    remote = {"store": "remote", "remote_query_url": writable_oxigraph.query_url,
              "remote_update_url": writable_oxigraph.update_url}
    first = start_server(tmp_path / "one", **remote)
    second = start_server(tmp_path / "two", **remote)
    query = {"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"}
    counts = [requests.get(s.url + "/sparql", params=query, timeout=60).json()
              ["results"]["bindings"][0]["n"]["value"] for s in (first, second)]
    assert counts[0] == counts[1] and int(counts[0]) > 10_000
    logs = [s.log.read_text(errors="replace") for s in (first, second)]
    assert "is empty: building it" in logs[0] and "is empty: building it" not in logs[1]
    for server in (first, second):
        docs = requests.get(server.url + "/ontology", headers={"Accept": "text/html"},
                            timeout=60)
        assert docs.status_code == 200, server.url
