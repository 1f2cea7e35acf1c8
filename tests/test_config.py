"""The settings (config.py): one typed table, read from defaults, a TOML file, the
environment and overrides, in that order; bad values are a ConfigError naming the origin."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from alliancegraph import CANONICAL_BASE
from alliancegraph.config import SETTINGS, Settings, load_settings
from alliancegraph.errors import ConfigError


def test_the_table_lists_every_field_of_the_typed_settings():
    assert [s.name for s in SETTINGS] == [f.name for f in dataclasses.fields(Settings)]
    assert all(s.help for s in SETTINGS)
    types = {s.name: s.type for s in SETTINGS}
    assert (types["query_timeout"], types["max_rows"], types["read_only"],
            types["write_token"]) == (float, int, bool, str)


def test_defaults_without_any_source(tmp_path: Path):
    settings = load_settings(environ={"XDG_DATA_HOME": str(tmp_path)})
    assert settings.base_iri == CANONICAL_BASE and settings.store == "embedded"
    assert settings.data_dir == str(tmp_path / "alliancegraph")
    assert settings.validate_on_write is True


def test_file_then_environment_then_overrides(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text('max_rows = 5\nquery_timeout = 2\nlog_level = "DEBUG"\n',
                      encoding="utf-8")
    settings = load_settings(config, environ={"ALLIANCEGRAPH_MAX_ROWS": "7",
                                              "ALLIANCEGRAPH_READ_ONLY": "yes"},
                             overrides={"query_timeout": 3, "data_dir": None})
    assert (settings.max_rows, settings.query_timeout, settings.log_level) == (7, 3.0, "DEBUG")
    assert settings.read_only is True
    assert isinstance(settings.query_timeout, float)
    from_env = load_settings(environ={"ALLIANCEGRAPH_CONFIG": str(config)})
    assert from_env.max_rows == 5


def test_settings_are_frozen_and_replaced_by_copy():
    settings = load_settings(environ={}, overrides={"data_dir": "/tmp/x"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.max_rows = 1  # type: ignore[misc]
    changed = settings.replace(max_rows=1)
    assert (changed.max_rows, settings.max_rows) == (1, 100_000)
    assert changed.as_dict()["data_dir"] == "/tmp/x"


@pytest.mark.parametrize(("environ", "overrides", "message"), [
    ({"ALLIANCEGRAPH_MAX_ROWS": "many"}, {}, "ALLIANCEGRAPH_MAX_ROWS: setting 'max_rows'"),
    ({"ALLIANCEGRAPH_READ_ONLY": "perhaps"}, {}, "expects bool"),
    ({}, {"no_such_setting": 1}, "unknown setting 'no_such_setting'"),
])
def test_bad_values_name_their_origin(environ, overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(environ=environ, overrides=overrides)


def test_a_bad_config_file_is_a_config_error(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text("unknown_thing = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown setting 'unknown_thing'"):
        load_settings(config, environ={})
    config.write_text("max_rows = [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(config, environ={})
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(tmp_path / "missing.toml", environ={})
