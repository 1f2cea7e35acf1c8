"""The store as an application resource (service/resources.py): opened on first use, one
per app, from the settings; closed with the app (gunicorn's worker_exit hook) and opened
again if the app is used after; a store given by the caller is never closed by the app."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from alliancegraph.service import create_app, resources
from alliancegraph.service.cli import worker_exit
from alliancegraph.service.resources import close_store, get_store


class Recorder:
    """A real store that counts how often it is closed."""

    def __init__(self, store):
        self.store, self.closed = store, 0

    def close(self) -> None:
        self.closed += 1
        self.store.close()

    def __getattr__(self, name):
        return getattr(self.store, name)


def test_store_is_one_per_app_and_closed_with_it(tmp_path, monkeypatch):
    opened: list[Recorder] = []
    real_open = resources.open_store

    def recording_open(settings):
        opened.append(Recorder(real_open(settings)))
        return opened[-1]

    monkeypatch.setattr(resources, "open_store", recording_open)
    settings = {"data_dir": str(tmp_path / "d"), "store": "memory"}
    first, second = create_app(settings), create_app(settings)
    with first.app_context():
        store = get_store()
        assert get_store() is store
        assert store.store.backend.name == "memory"  # from the setting `store`
    with second.app_context():
        assert get_store() is not store
    assert len(opened) == 2
    # gunicorn's worker_exit hook closes the store of the worker's app, once
    worker_exit(None, SimpleNamespace(wsgi=first))
    worker_exit(None, SimpleNamespace(wsgi=first))
    assert [r.closed for r in opened] == [1, 0]
    close_store(second)
    assert opened[1].closed == 1
    with first.app_context():  # used again: opened again
        assert get_store() is not store and len(opened) == 3
    close_store(first)


def test_a_given_store_is_never_closed_by_the_app(app, fixture_store):
    with app.app_context():
        assert get_store() is fixture_store
    close_store(app)
    assert fixture_store.count() > 0  # still open




def test_threads_asking_at_once_open_one_store(tmp_path, monkeypatch):
    opened: list[object] = []
    real_open = resources.open_store
    start = threading.Barrier(4)

    def slow_open(settings):
        time.sleep(0.05)  # a real open takes a while: the others arrive meanwhile
        opened.append(real_open(settings))
        return opened[-1]

    monkeypatch.setattr(resources, "open_store", slow_open)
    app = create_app({"data_dir": str(tmp_path / "d"), "store": "memory"})
    seen: list[object] = []

    def ask() -> None:
        start.wait()
        with app.app_context():
            seen.append(get_store())

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(opened) == 1 and seen == opened * 4
    close_store(app)
