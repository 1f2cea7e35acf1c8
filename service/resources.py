"""The store as an application resource (in the manner of flaskr's ``db.py``).

Opened lazily on first use, one per app, never at import time. ``app.config["STORE"]``
(tests) replaces the store the app would open from its settings.
"""

from __future__ import annotations

from alliancegraph.store import Store
from flask import Flask, current_app

_KEY = "alliancegraph.store"


def open_store(config: dict) -> Store:
    """The embedded store the settings name. It keeps no handle open between calls
    (queries run in forked children), so one instance per app is safe under gunicorn."""
    from alliancegraph.store.embedded import EmbeddedStore

    return EmbeddedStore(
        config["DATA_DIR"],
        base_iri=config["BASE_IRI"],
        query_timeout=config["QUERY_TIMEOUT"],
        max_rows=config["MAX_ROWS"],
        max_memory_mb=config["MAX_MEMORY_MB"],
        # validation on write (alliancegraph.shapes) plugs in here: create_app({"write_guard": …})
        write_guard=config.get("WRITE_GUARD") or _default_guard(config),
    )


def _default_guard(config: dict):
    """The shapes' write guard unless the setting validate_on_write is off."""
    if not config.get("VALIDATE_ON_WRITE", True):
        return None
    from alliancegraph.store.guard import ShapesWriteGuard

    return ShapesWriteGuard()


def get_store() -> Store:
    """The store of the current app, opened on first use."""
    store = current_app.extensions.get(_KEY)
    if store is None:
        store = current_app.config.get("STORE") or open_store(current_app.config)
        current_app.extensions[_KEY] = store
    return store


def init_app(app: Flask) -> None:
    app.extensions.pop(_KEY, None)
