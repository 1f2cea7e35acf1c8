"""The console command: one click group, --version, --help on every sub-command."""

from __future__ import annotations

import pytest
from alliancegraph import __version__
from alliancegraph.cli import COMMANDS, main
from click.testing import CliRunner


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"alliancegraph, version {__version__}"


def test_group_help_lists_every_sub_command():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines()
              if line.strip()}
    assert listed == set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_sub_command_has_help(name):
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: main {name}") or f" {name} " in result.output
    assert len(result.output.splitlines()) > 3


def test_an_unknown_sub_command_is_an_error():
    result = CliRunner().invoke(main, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.output


@pytest.mark.parametrize("args", [("query", "ASK {}"), ("stats",), ("validate",),
                                  ("backup", "backup.nq")])
def test_every_command_that_reads_the_store_refuses_a_missing_one_alike(tmp_path, args):
    """Only build and serve create a store: a mistyped --data-dir is bad input (exit 2)
    with one message, never an empty store that answers nothing."""
    missing = tmp_path / "typo"
    result = CliRunner().invoke(main, [*args, "--data-dir", str(missing)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"Error: no store in {missing}: run 'alliancegraph build'")
    assert not missing.exists()


def test_query_help_names_the_examples_and_parameters():
    result = CliRunner().invoke(main, ["query", "--help"])
    assert result.exit_code == 0
    for option in ("--example", "--param", "--list", "prefixes"):
        assert option in result.output


def test_the_store_of_a_command_is_opened_from_the_settings(tmp_path):
    from alliancegraph.cli import CommandError, missing_store, open_existing_store
    from alliancegraph.config import load_settings

    embedded = load_settings(environ={}, overrides={"data_dir": str(tmp_path / "none")})
    assert missing_store(embedded) == f"no store in {tmp_path / 'none'}: run 'alliancegraph build'"
    with pytest.raises(CommandError) as refused:
        open_existing_store(embedded, hint=" or name files")
    assert refused.value.exit_code == 2 and refused.value.message.endswith(" or name files")
    memory = embedded.replace(store="memory")  # nothing to build: a fresh, empty store
    assert missing_store(memory) is None
    store = open_existing_store(memory)
    try:
        assert store.count() == 0 and store.backend.name == "memory"
    finally:
        store.close()
    assert not (tmp_path / "none").exists()

