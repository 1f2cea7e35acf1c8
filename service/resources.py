"""The store as an application resource (in the manner of flaskr's ``db.py``).

Opened lazily on first use, one per app, never at import time, from the app's typed
settings (``app.config["SETTINGS"]``) by :func:`alliancegraph.store.open_store`, the one
place that builds a store. ``app.config["STORE"]`` (tests) replaces it; the app then does
not own it and never closes it.

A store the app opened holds processes (the embedded backend's pool): it is closed when
the app ends — by ``serve``'s gunicorn ``worker_exit`` hook (:func:`close_store`), or, for
any other app, when the app is garbage-collected or the interpreter exits — so no reader
or writer process outlives its worker.
"""

from __future__ import annotations

import threading
import weakref

from alliancegraph.graph.textindex import TextIndex, index_path
from alliancegraph.store import Store, open_store
from flask import Flask, current_app

_KEY = "alliancegraph.store"
_OPENING = "alliancegraph.store.opening"


def get_store() -> Store:
    """The store of the current app, opened on first use (by one thread: the others wait)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    store = app.extensions.get(_KEY)
    if store is not None:
        return store
    with app.extensions[_OPENING]:
        store = app.extensions.get(_KEY)
        if store is None:
            given = app.config.get("STORE")
            store = given if given is not None else _open(app)
            app.extensions[_KEY] = store
    return store


def get_text_index() -> TextIndex | None:
    """The text index of the current app's store (None when the setting ``text_index`` is
    off); it lives in ``data_dir`` whatever the backend."""
    settings = current_app.config["SETTINGS"]
    return TextIndex(index_path(settings.data_dir)) if settings.text_index else None


def _open(app: Flask) -> Store:
    store = open_store(app.config["SETTINGS"])
    # closes at interpreter exit too; holds the store's close, not the app
    app.extensions[_KEY + ".finalizer"] = weakref.finalize(app, store.close)
    return store


def close_store(app: Flask) -> None:
    """Close the store the app opened (its processes end); a given store is left alone.
    The app opens a new one if it is used again."""
    finalizer = app.extensions.pop(_KEY + ".finalizer", None)
    app.extensions.pop(_KEY, None)
    if finalizer is not None:
        finalizer()  # calls store.close() once, whoever asks first


def init_app(app: Flask) -> None:
    app.extensions.pop(_KEY, None)
    app.extensions[_OPENING] = threading.Lock()
