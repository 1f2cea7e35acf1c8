"""The ``alliancegraph`` command: one click group, sub-commands loaded on demand.

Each sub-command lives beside the code it drives; this module only names them, so
``alliancegraph --help`` does not import Flask or pySHACL until they are needed.
"""

from __future__ import annotations

import importlib

import click
from alliancegraph import __version__

#: sub-command name -> "module:attribute" of its click command
COMMANDS = {
    "build": "alliancegraph.graph.build:build_command",
    "query": "alliancegraph.graph.query:query_command",
    "stats": "alliancegraph.graph.query:stats_command",
    "serve": "alliancegraph.service.cli:serve_command",
    "validate": "alliancegraph.shapes.cli:validate_command",
    "docs": "alliancegraph.ontology.docs:docs_command",
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
