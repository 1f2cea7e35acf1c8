"""Fixtures of the service tests: the Flask ``app``, its ``client`` and ``runner`` over a
small store, and real gunicorn servers on free loopback ports.

The Flask tests run on the in-memory backend (``STORE``: one store per test, loaded with
the fixture graphs), so that each test costs no process pool; the real servers run the
embedded backend over a data dir written by :func:`build_fixture_store`.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from alliancegraph.config import Settings, load_settings
from alliancegraph.service import create_app
from alliancegraph.store import Store, open_store

TOKEN = "test-write-token-5f1c"
BASE = "https://w3id.org/alliancegraph/"
GRAPH_A = BASE + "graph/test-a"
GRAPH_B = BASE + "graph/test-b"

PREFIXES = f"""
@prefix ag: <{BASE}ontology#> .
@prefix agid: <{BASE}id/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
"""
#: A small dataset with known counts: 4 triples in test-a, 2 in test-b.
FIXTURE_GRAPHS = {
    GRAPH_A: PREFIXES + """
    agid:state\\/japan a ag:State ;
        skos:prefLabel "Japan"@en ;
        owl:sameAs <http://www.wikidata.org/entity/Q17> .
    agid:state\\/south-korea a ag:State .
    """,
    GRAPH_B: PREFIXES + """
    agid:state\\/south-korea skos:prefLabel "South Korea"@en ;
        skos:altLabel "ROK"@en .
    """,
}
FIXTURE_COUNTS = {GRAPH_A: 4, GRAPH_B: 2}


def store_settings(data_dir: Path | str, **overrides: object) -> Settings:
    """Settings for a store of the tests, whatever the environment says; writes are not
    validated unless asked (the fixture graphs are protocol test data)."""
    values = {"data_dir": str(data_dir), "base_iri": BASE, "query_timeout": 30.0,
              "max_rows": 100_000, "validate_on_write": False, **overrides}
    return load_settings(environ={}, overrides=values)


def load_fixture_graphs(store: Store) -> Store:
    for name, turtle in FIXTURE_GRAPHS.items():
        store.put_graph(name, turtle.encode(), media_type="text/turtle")
    return store


def build_fixture_store(data_dir: Path) -> Path:
    """Write the fixture graphs into a new embedded store in ``data_dir`` through the store
    API, and close it (its processes end) before a server opens it."""
    store = open_store(store_settings(data_dir, store="embedded"))
    try:
        load_fixture_graphs(store)
    finally:
        store.close()
    return data_dir


@pytest.fixture
def make_store(tmp_path: Path):
    """``make_store(data_dir=None, **settings)``: a store (in memory unless ``store=
    "embedded"``), closed after the test."""
    opened: list[Store] = []

    def make(data_dir: Path | None = None, **settings: object) -> Store:
        settings.setdefault("store", "memory")
        store = open_store(store_settings(data_dir or tmp_path / "store", **settings))
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """The app's data dir (dumps, the ontology documentation); the store is in memory."""
    return tmp_path / "data"


@pytest.fixture
def fixture_store(make_store) -> Store:
    """An in-memory store holding the fixture graphs, with the limits of ``app_settings``
    (the row limit is the store's policy, not the app's)."""
    return load_fixture_graphs(make_store(max_rows=1000, query_timeout=10.0))


@pytest.fixture
def app_settings(data_dir: Path, fixture_store: Store) -> dict:
    return {"data_dir": str(data_dir), "write_token": TOKEN, "query_timeout": 10.0,
            "max_rows": 1000, "max_body_bytes": 64 * 1024, "TESTING": True,
            # the fixture data is protocol test data, not Alliance Graph data: no shapes check
            "validate_on_write": False, "STORE": fixture_store}


@pytest.fixture
def app(app_settings: dict):
    return create_app(app_settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def auth() -> dict[str, str]:
    """Headers that carry the write token."""
    return bearer()


@pytest.fixture(scope="session")
def fixture_data() -> SimpleNamespace:
    """What the fixture store holds, and the helpers to make one (test modules cannot
    import conftest)."""
    return SimpleNamespace(token=TOKEN, base=BASE, graph_a=GRAPH_A, graph_b=GRAPH_B,
                           counts=dict(FIXTURE_COUNTS), turtle=dict(FIXTURE_GRAPHS),
                           load=load_fixture_graphs, settings=store_settings)


@pytest.fixture(scope="session")
def make_fixture_store(tmp_path_factory: pytest.TempPathFactory):
    """``make_fixture_store()``: a new data dir holding the fixture graphs (embedded)."""
    return lambda: build_fixture_store(tmp_path_factory.mktemp("store") / "data")


@pytest.fixture(scope="session")
def server(start_server, tmp_path_factory: pytest.TempPathFactory):
    """A real server over the fixture store: write token set, small limits."""
    data_dir = build_fixture_store(tmp_path_factory.mktemp("server") / "data")
    return start_server(data_dir, write_token=TOKEN, query_timeout=2,
                        max_body_bytes=64 * 1024, max_rows=1000)


@pytest.fixture(scope="session")
def built_server(start_server, tmp_path_factory: pytest.TempPathFactory):
    """A real server started on an EMPTY data dir: it builds the real graph on first start.
    Read-only (no write token)."""
    return start_server(tmp_path_factory.mktemp("built") / "data")


@pytest.fixture(scope="session")
def base_url(server) -> str:
    return server.url


@pytest.fixture(scope="module")
def bundled_client(bundled_store: Store, tmp_path_factory):
    """The service over the whole bundled graph, in memory (pages as users see them)."""
    folder = tmp_path_factory.mktemp("bundled-app")
    return create_app({"data_dir": str(folder), "TESTING": True,
                       "STORE": bundled_store}).test_client()
