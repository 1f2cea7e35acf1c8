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
