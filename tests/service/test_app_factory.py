"""The application factory, its settings, the store resource, health checks and the
``serve`` command (including the first start on an empty data directory)."""

from __future__ import annotations

import requests
from alliancegraph.errors import ConfigError
from alliancegraph.service import BLUEPRINTS, create_app
from alliancegraph.service.cli import serve_command
from alliancegraph.service.resources import get_store
from click.testing import CliRunner


def test_factory_opens_nothing(tmp_path):
    data_dir = tmp_path / "not-yet"
    app = create_app({"data_dir": str(data_dir)})
    assert app.config["DATA_DIR"] == str(data_dir)
    assert not data_dir.exists()  # the store is opened on first use, not by the factory


def test_every_blueprint_is_registered(app):
    registered = {bp.import_name for bp in app.blueprints.values()}
    assert set(BLUEPRINTS) <= registered


def test_settings_precedence(tmp_path, monkeypatch):
    config = tmp_path / "settings.toml"
    config.write_text('max_rows = 7\nquery_timeout = 3.5\nbase_iri = "https://a.example/"\n')
    monkeypatch.setenv("ALLIANCEGRAPH_CONFIG", str(config))
    monkeypatch.setenv("ALLIANCEGRAPH_QUERY_TIMEOUT", "4.5")
    monkeypatch.setenv("ALLIANCEGRAPH_MAX_BODY_BYTES", "1234")
    app = create_app({"base_iri": "https://b.example/", "TESTING": True})
    assert app.config["MAX_ROWS"] == 7  # from the file
    assert app.config["QUERY_TIMEOUT"] == 4.5  # the environment beats the file
    assert app.config["BASE_IRI"] == "https://b.example/"  # test_config beats both
    assert app.config["MAX_CONTENT_LENGTH"] == 1234
    assert app.config["WRITE_TOKEN"] is None  # the default
    assert app.testing is True


def test_bad_setting_is_a_clear_error(tmp_path):
    config = tmp_path / "settings.toml"
    config.write_text("no_such_setting = 1\n")
    try:
        create_app({"config_file": str(config)})
    except ConfigError as exc:
        assert "no_such_setting" in exc.message
    else:
        raise AssertionError("an unknown setting must be refused")


def test_store_is_one_per_app(app_settings):
    first, second = create_app(app_settings), create_app(app_settings)
    with first.app_context():
        store = get_store()
        assert get_store() is store
    with second.app_context():
        assert get_store() is not store


def test_health(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_ready_with_a_loaded_store(client, fixture_data):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["quads"] == sum(fixture_data.counts.values())


def test_not_ready_with_an_empty_store(tmp_path):
    client = create_app({"data_dir": str(tmp_path / "empty")}).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "build" in response.get_json()["message"]


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
