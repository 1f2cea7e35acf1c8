"""``alliancegraph serve``: the service under gunicorn, on the embedded store.

On first start (an empty store) it builds the store from the bundled sources, so the
README's one command gives a working endpoint on a fresh machine. Workers are gunicorn's
sync workers: a worker handles one request at a time and runs each query in a forked
child the store can kill at the time limit (no threads). Flask's debug mode is never on.
"""

from __future__ import annotations

import logging
from typing import Any

import click
from alliancegraph.config import load_settings
from alliancegraph.embedded import WRITE_TIMEOUT
from alliancegraph.errors import AllianceGraphError
from gunicorn.app.base import BaseApplication

log = logging.getLogger(__name__)


class GunicornServer(BaseApplication):
    """gunicorn run programmatically, each worker building its own app from the settings."""

    def __init__(self, settings: dict[str, Any]):
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        options = {
            "bind": f"{s['host']}:{s['port']}",
            "workers": s["workers"],
            "worker_class": "sync",
            # a worker is busy for a whole query or write; the store's own limits act
            # first, so gunicorn never kills a worker in the middle of a write
            "timeout": int(max(s["query_timeout"], WRITE_TIMEOUT)) + 30,
            "graceful_timeout": 10,
            "preload_app": False,
            "loglevel": s["log_level"].lower(),
            "proc_name": "alliancegraph",
            # gunicorn's control socket (one fixed path in $HOME) is not needed, and two
            # servers on one machine would fight over it
            "control_socket_disable": True,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self):
        from alliancegraph.service import create_app

        return create_app({k: v for k, v in self.settings.items() if v is not None})


def ensure_built(settings: dict[str, Any]) -> None:
    """Build the store from the bundled sources when it holds nothing yet."""
    from alliancegraph.service.resources import open_store

    store = open_store({name.upper(): value for name, value in settings.items()})
    if store.count() > 0:
        return
    log.info("the store in %s is empty: building it from the bundled sources",
             settings["data_dir"])
    from alliancegraph.build import build_store  # the builder is only needed on first start

    build_store(settings["data_dir"], base_iri=settings["base_iri"])


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (setting host).")
@click.option("--port", type=int, default=None, help="Port to listen on (setting port).")
@click.option("--workers", type=int, default=None, help="gunicorn worker processes.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Directory of the embedded store (setting data_dir).")
@click.option("--read-only", is_flag=True, default=None, help="Refuse every write.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, exists=True),
              default=None, help="TOML settings file (else $ALLIANCEGRAPH_CONFIG).")
def serve_command(host: str | None, port: int | None, workers: int | None,
                  data_dir: str | None, read_only: bool | None,
                  config_file: str | None) -> None:
    """Serve the SPARQL endpoint, graph store and linked-data pages under gunicorn."""
    from alliancegraph.service.logs import configure_logging

    try:
        settings = load_settings(config_file, overrides={
            "host": host, "port": port, "workers": workers, "data_dir": data_dir,
            "read_only": read_only or None})
    except AllianceGraphError as exc:
        raise click.ClickException(exc.message) from exc
    if settings["workers"] < 1:
        raise click.BadParameter("must be at least 1", param_hint="--workers")
    configure_logging(settings["log_level"])
    try:
        ensure_built(settings)
    except AllianceGraphError as exc:
        raise click.ClickException(f"cannot build the store: {exc.message}") from exc
    log.info("serving %s on http://%s:%s/ (%s workers, %s)", settings["data_dir"],
             settings["host"], settings["port"], settings["workers"],
             "read-only" if settings["read_only"] or not settings["write_token"] else "writable")
    GunicornServer(settings).run()
