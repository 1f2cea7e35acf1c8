"""``alliancegraph serve``: the service under gunicorn, on the embedded or a remote store.

On first start (an empty store) it builds the store from the bundled sources, so the
README's one command gives a working endpoint on a fresh machine. Workers are gunicorn's
threaded workers (``alliancegraph.service.worker.ReadAheadWorker``): each runs up to
``threads`` requests at once, each query in a child process the store can stop at the time
limit, and gives a connection a thread only once its whole request has arrived, so slow and
idle clients hold no thread (settings ``client_timeout``, ``request_read_timeout``,
``keepalive``). Flask's debug mode is never on. Each worker's app opens its store (and the
store's process pool) on first use and closes it when the worker exits (gunicorn's
``worker_exit`` hook); before any worker starts, the dump files a crashed worker left
half-written are removed.
"""

from __future__ import annotations

import gc
import logging
import math
from pathlib import Path

import click
from alliancegraph.config import Settings, load_settings
from alliancegraph.errors import AllianceGraphError
from gunicorn.app.base import BaseApplication

log = logging.getLogger(__name__)


class GunicornServer(BaseApplication):
    """gunicorn run programmatically, each worker building its own app from the settings."""

    def __init__(self, settings: Settings):
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        options = {
            "bind": f"{s.host}:{s.port}",
            "workers": s.workers,
            "worker_class": "alliancegraph.service.worker.ReadAheadWorker",
            "threads": s.threads,
            # gunicorn takes whole seconds; 0 turns keep-alive off
            "keepalive": math.ceil(s.keepalive),
            # a heartbeat: the worker's event loop reports every second whatever its threads
            # do, so this only catches a stuck worker; it stays above the store's own limits
            # so that it could never cut a write short
            "timeout": int(max(s.query_timeout, s.write_timeout, s.validation_timeout)) + 30,
            "graceful_timeout": 10,
            "preload_app": False,
            "loglevel": s.log_level.lower(),
            "proc_name": "alliancegraph",
            # gunicorn's control socket (one fixed path in $HOME) is not needed, and two
            # servers on one machine would fight over it
            "control_socket_disable": True,
            "post_worker_init": post_worker_init,
            "worker_exit": worker_exit,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self):
        from alliancegraph.service import create_app

        return create_app({k: v for k, v in self.settings.as_dict().items() if v is not None})


def post_worker_init(worker: object) -> None:
    """gunicorn hook, in a new worker before it serves: open its app's store, so the first
    requests do not wait for the store's processes to start. A store that cannot open yet
    is logged and opened again on first use (``/readyz`` says why)."""
    from alliancegraph.service.resources import get_store

    app = worker.wsgi  # type: ignore[attr-defined]
    try:
        with app.app_context():
            get_store().ask("ASK {}")  # the backend starts its processes on first use
    except (AllianceGraphError, OSError) as exc:
        log.warning("the store did not open at worker start: %s", exc)
    # what the worker holds by now (the app, its ontology, shapes and templates) lives as
    # long as the worker: the collector need not walk it again. Each full collection of it
    # stalled a request by 50-150 ms (the p99 of point lookups in bench/peers.py)
    gc.freeze()


def worker_exit(_server: object, worker: object) -> None:
    """gunicorn hook, in the worker process as it ends: close its app's store, so the
    store's reader and writer processes end with it."""
    from alliancegraph.service.resources import close_store

    app = getattr(worker, "wsgi", None)  # None when the worker failed before loading it
    if app is not None:
        close_store(app)


def ensure_built(settings: Settings) -> None:
    """Build the store from the bundled sources when it holds nothing yet. In front of a
    remote store another instance may have built, write only this instance's own copy of
    the ontology documentation (it lives in ``data_dir``, not in the store)."""
    from alliancegraph.graph.build import build_store, write_docs
    from alliancegraph.store import open_store

    store = open_store(settings)
    try:
        # the build fills named graphs; counting a remote store would read all of it
        built = bool(store.graph_names()) or store.count(None) > 0
    finally:
        store.close()  # before gunicorn forks: the workers open their own
    if not built:
        log.info("the store of %s is empty: building it from the bundled sources",
                 settings.data_dir)
        build_store(settings.data_dir, base_iri=settings.base_iri, progress=False,
                    settings=settings)
        return
    docs = Path(settings.data_dir) / "release" / "ontology"
    if not docs.is_dir():
        log.info("writing the ontology documentation into %s", docs)
        write_docs(docs, settings.base_iri)


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (setting host).")
@click.option("--port", type=int, default=None, help="Port to listen on (setting port).")
@click.option("--workers", type=int, default=None, help="gunicorn worker processes.")
@click.option("--threads", type=int, default=None,
              help="Request threads per worker (setting threads).")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Directory of the embedded store (setting data_dir).")
@click.option("--read-only", is_flag=True, default=None, help="Refuse every write.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, exists=True),
              default=None, help="TOML settings file (else $ALLIANCEGRAPH_CONFIG).")
def serve_command(host: str | None, port: int | None, workers: int | None,
                  threads: int | None, data_dir: str | None, read_only: bool | None,
                  config_file: str | None) -> None:
    """Serve the SPARQL endpoint, graph store and linked-data pages under gunicorn."""
    from alliancegraph.service.logs import configure_logging

    try:
        settings = load_settings(config_file, overrides={
            "host": host, "port": port, "workers": workers, "threads": threads,
            "data_dir": data_dir,
            "read_only": read_only or None})
    except AllianceGraphError as exc:
        raise click.ClickException(exc.message) from exc
    if settings.workers < 1:
        raise click.BadParameter("must be at least 1", param_hint="--workers")
    if settings.threads < 1:
        raise click.BadParameter("must be at least 1", param_hint="--threads")
    for name in ("client_timeout", "request_read_timeout"):
        if not getattr(settings, name) > 0:
            raise click.ClickException(f"setting {name} must be more than 0")
    if settings.keepalive < 0:
        raise click.ClickException("setting keepalive must be 0 (off) or more")
    if settings.store not in ("embedded", "remote"):
        raise click.ClickException(
            f"setting store = {settings.store!r}: serve needs the embedded or a remote store "
            "(each worker would hold its own copy of an in-memory store, and a first-start "
            "build would be lost)")
    configure_logging(settings.log_level)
    from alliancegraph.service.pages import remove_stale_dump_files

    remove_stale_dump_files(settings.data_dir)
    try:
        ensure_built(settings)
    except AllianceGraphError as exc:
        raise click.ClickException(f"cannot build the store: {exc.message}") from exc
    log.info("serving %s on http://%s:%s/ (%s workers x %s threads, %s)",
             settings.data_dir, settings.host, settings.port, settings.workers,
             settings.threads,
             "read-only" if settings.read_only or not settings.write_token else "writable")
    GunicornServer(settings).run()
