"""The ``alliancegraph`` command: one click group, sub-commands loaded on demand.

Each sub-command lives beside the code it drives; this module only names them, so
``alliancegraph --help`` does not import Flask or pySHACL until they are needed. Every
sub-command that reads the store opens it here (:func:`open_existing_store`, by
:func:`alliancegraph.store.open_store` from the settings); only ``build`` and ``serve``
create one.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

import click
from alliancegraph import __version__

if TYPE_CHECKING:
    from alliancegraph.config import Settings
    from alliancegraph.store import Store

#: sub-command name -> "module:attribute" of its click command
COMMANDS = {
    "build": "alliancegraph.graph.build:build_command",
    "query": "alliancegraph.graph.query:query_command",
    "stats": "alliancegraph.graph.query:stats_command",
    "serve": "alliancegraph.service.cli:serve_command",
    "validate": "alliancegraph.shapes.cli:validate_command",
    "docs": "alliancegraph.ontology.docs:docs_command",
    "link": "alliancegraph.links.cli:link_command",
    "enrich": "alliancegraph.links.enrich:enrich_command",
    "mappings": "alliancegraph.links.sssom:mappings_command",
    "load": "alliancegraph.store.cli:load_command",
    "backup": "alliancegraph.store.cli:backup_command",
    "restore": "alliancegraph.store.cli:restore_command",
    "ingest": "alliancegraph.ingest.cli:ingest_command",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="alliancegraph")
def main() -> None:
    """Alliance Graph: build, query, validate and serve the knowledge graph."""


class CommandError(click.ClickException):
    """An error a sub-command reports on stderr with its own exit status (2: bad input)."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


def missing_store(settings: Settings) -> str | None:
    """What a command that reads the store says when there is none to read (an embedded
    store never built: opening it would create an empty one that answers nothing), or
    None when there is one."""
    if settings.store != "embedded":
        return None
    from alliancegraph.store.embedded import store_exists

    if store_exists(settings.data_dir):
        return None
    return f"no store in {settings.data_dir}: run 'alliancegraph build'"


def open_existing_store(settings: Settings, *, hint: str = "", **options: object) -> Store:
    """The store the settings name (:func:`alliancegraph.store.open_store`); CommandError
    (exit 2) when there is none, its message followed by ``hint``."""
    message = missing_store(settings)
    if message is not None:
        raise CommandError(message + hint, 2)
    from alliancegraph.store import open_store

    return open_store(settings, **options)
