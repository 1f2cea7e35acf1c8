"""Liveness and readiness (service/health.py): ``/healthz`` answers while the process
runs; ``/readyz`` is 200 with the store's quad count, 503 saying why otherwise."""

from __future__ import annotations

from alliancegraph.errors import StoreUnavailable
from alliancegraph.service import create_app
from alliancegraph.service.resources import close_store


def test_health(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_ready_with_a_loaded_store(client, fixture_data):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["quads"] == sum(fixture_data.counts.values())


def test_not_ready_with_an_empty_store(tmp_path):
    app = create_app({"data_dir": str(tmp_path / "empty"), "store": "memory"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert "build" in response.get_json()["message"]
    close_store(app)




class UnavailableStore:
    """A store whose every call says it is down."""

    def count(self, *args, **kwargs) -> int:
        raise StoreUnavailable("the store's writer is restarting")


def test_not_ready_while_the_store_is_down_but_alive(tmp_path):
    client = create_app({"data_dir": str(tmp_path), "STORE": UnavailableStore()}).test_client()
    ready = client.get("/readyz", headers={"Accept": "application/json"})
    assert ready.status_code == 503
    assert ready.get_json()["message"] == (
        "the store is not ready: the store's writer is restarting")
    assert client.get("/healthz").status_code == 200  # alive all the same
