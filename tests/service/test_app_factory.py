"""The application factory (service/__init__.py, ``create_app``): it opens nothing, and
its settings come from defaults, a file, the environment and ``test_config`` in that order.
The store resource, the error handler, health checks and the ``serve`` command have their
own test files (test_resources, test_errors, test_health, test_cli)."""

from __future__ import annotations

from alliancegraph.errors import ConfigError
from alliancegraph.service import create_app


def test_factory_opens_nothing(tmp_path):
    data_dir = tmp_path / "not-yet"
    app = create_app({"data_dir": str(data_dir)})
    assert app.config["DATA_DIR"] == str(data_dir)
    assert not data_dir.exists()  # the store is opened on first use, not by the factory


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
