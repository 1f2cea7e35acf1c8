"""Per-client limits (Flask test client): the lockout after failed write authentications
(auth_failure_limit) and the read rate limit (read_rate_limit), both 429 + Retry-After."""

from __future__ import annotations

import threading
import time

import pytest
from alliancegraph.errors import ConfigError
from alliancegraph.service import create_app
from alliancegraph.service.throttle import Rate, SlidingWindow, parse_rate

UPDATE = {"Content-Type": "application/sparql-update"}
NOOP = "INSERT DATA { }"
CSS = "/static/style.css"  # a cheap read: no store call


def client_for(app, address: str = "198.51.100.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def read(client) -> int:
    """GET the stylesheet; the status (the file is closed: static answers hold it open)."""
    with client.get(CSS) as response:
        return response.status_code


def write(client, token: str | None, **headers: str):
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.post("/sparql", data=NOOP, headers={**UPDATE, **headers})


def assert_too_many(response, *, setting: str, max_wait: int) -> None:
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= max_wait
    body = response.get_json()
    assert body["status"] == 429
    assert body["error"] == "TooManyRequests"
    assert setting in body["message"]


# --- failed write authentications ---------------------------------------------------------

def test_lockout_after_the_limit_refuses_even_the_right_token(app_settings, fixture_data):
    app = create_app({**app_settings, "auth_failure_limit": "3/minute"})
    client = client_for(app)
    assert write(client, None).status_code == 401  # no token counts as a failure too
    assert write(client, "wrong-1").status_code == 401
    assert write(client, "wrong-2").status_code == 401
    assert_too_many(write(client, "wrong-3"), setting="auth_failure_limit", max_wait=60)
    locked = write(client, fixture_data.token)
    assert_too_many(locked, setting="auth_failure_limit", max_wait=60)
    # the graph store's writes share the lockout
    put = client.put("/rdf-graph-store?default", data=b"", headers={
        "Content-Type": "text/turtle", "Authorization": f"Bearer {fixture_data.token}"})
    assert put.status_code == 429
    # reads are not writes: they go on
    assert read(client) == 200


def test_lockout_answers_browsers_in_html(app_settings):
    app = create_app({**app_settings, "auth_failure_limit": "1/minute"})
    client = client_for(app)
    assert write(client, "wrong").status_code == 401
    response = write(client, "wrong", Accept="text/html")
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert "Retry-After" in response.headers
    assert "auth_failure_limit" in response.get_data(as_text=True)


def test_another_client_address_is_not_locked_out(app_settings, fixture_data):
    app = create_app({**app_settings, "auth_failure_limit": "2/minute"})
    attacker, other = client_for(app, "203.0.113.9"), client_for(app, "203.0.113.10")
    for _ in range(2):
        assert write(attacker, "wrong").status_code == 401
    assert write(attacker, fixture_data.token).status_code == 429
    assert write(other, "wrong").status_code == 401
    assert write(other, fixture_data.token).status_code == 204


def test_lockout_ends_when_the_window_has_passed(app_settings, fixture_data):
    app = create_app({**app_settings, "auth_failure_limit": "3/second"})
    client = client_for(app)
    for _ in range(3):
        assert write(client, "wrong").status_code == 401
    locked = write(client, fixture_data.token)
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "1"
    time.sleep(1.1)
    assert write(client, fixture_data.token).status_code == 204


def test_successful_writes_are_not_counted(app_settings, fixture_data):
    app = create_app({**app_settings, "auth_failure_limit": "2/minute"})
    client = client_for(app)
    for _ in range(3):
        assert write(client, fixture_data.token).status_code == 204
    assert write(client, "wrong").status_code == 401


def test_empty_auth_failure_limit_turns_the_lockout_off(app_settings):
    app = create_app({**app_settings, "auth_failure_limit": ""})
    client = client_for(app)
    assert all(write(client, "wrong").status_code == 401 for _ in range(15))


def test_the_default_auth_failure_limit_is_ten_a_minute(app_settings):
    client = client_for(create_app(app_settings))
    assert [write(client, "wrong").status_code for _ in range(11)] == [401] * 10 + [429]


# --- reads ---------------------------------------------------------------------------------

def test_reads_are_not_limited_by_default(app_settings):
    client = client_for(create_app(app_settings))
    assert all(read(client) == 200 for _ in range(30))


def test_read_rate_limit(app_settings, fixture_data):
    app = create_app({**app_settings, "read_rate_limit": "5/minute"})
    client = client_for(app)
    for _ in range(3):
        assert read(client) == 200
    assert client.options("/sparql").status_code == 200
    # a query by POST is a read; it counts as the fifth
    query = client.post("/sparql", data="ASK { ?s ?p ?o }", headers={
        "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
    assert query.status_code == 200
    assert_too_many(client.get(CSS), setting="read_rate_limit", max_wait=60)
    assert_too_many(client.post("/sparql", data="ASK { ?s ?p ?o }", headers={
        "Content-Type": "application/sparql-query"}), setting="read_rate_limit", max_wait=60)
    # probes are never limited, and an update is a write, not a read
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert write(client, fixture_data.token).status_code == 204
    # other clients have their own count
    assert read(client_for(app, "192.0.2.200")) == 200


def test_a_malformed_limit_stops_the_app_at_start(app_settings):
    with pytest.raises(ConfigError, match="read_rate_limit"):
        create_app({**app_settings, "read_rate_limit": "5 per minute"})
    with pytest.raises(ConfigError, match="auth_failure_limit"):
        create_app({**app_settings, "auth_failure_limit": "0/second"})


# --- the counter ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "rate"), [
    ("10/minute", Rate(10, 60.0, "10/minute")),
    (" 3 / Second ", Rate(3, 1.0, "3 / Second")),
    ("100/hours", Rate(100, 3600.0, "100/hours")),
])
def test_parse_rate(text: str, rate: Rate):
    assert parse_rate(text, setting="x") == rate


@pytest.mark.parametrize("text", ["", "  ", None])
def test_parse_rate_empty_is_off(text):
    assert parse_rate(text, setting="x") is None


@pytest.mark.parametrize("text", ["10", "ten/minute", "10/day", "-1/second", "1/minute,2/hour"])
def test_parse_rate_refuses_other_forms(text: str):
    with pytest.raises(ConfigError, match="setting x"):
        parse_rate(text, setting="x")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sliding_window_counts_the_last_window_only():
    clock = Clock()
    window = SlidingWindow(Rate(2, 10.0, "2/10s"), clock=clock)
    assert window.hit("a") == 0
    clock.now += 4
    assert window.hit("a") == 0
    assert window.hit("a") == pytest.approx(6.0)  # the first hit leaves at +10
    assert window.retry_after("b") == 0
    clock.now += 6
    assert window.hit("a") == 0  # the first hit has left; the second is still in
    assert window.retry_after("a") == pytest.approx(4.0)


def test_sliding_window_forgets_idle_clients():
    clock = Clock()
    window = SlidingWindow(Rate(1, 1.0, "1/second"), clock=clock)
    for n in range(100):
        window.record(f"client-{n}")
    clock.now += 2
    window.record("new")
    assert window.retry_after("client-0") == 0
    assert len(window._events) == 1


def test_sliding_window_is_thread_safe():
    window = SlidingWindow(Rate(50, 60.0, "50/minute"))
    admitted: list[int] = []
    start = threading.Barrier(8)

    def hammer() -> None:
        start.wait()
        admitted.append(sum(window.hit("one") == 0 for _ in range(100)))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(admitted) == 50
