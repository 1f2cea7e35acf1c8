"""Fixtures of the service tests: the Flask ``app``, its ``client`` and ``runner`` over a
small store built in a temp dir, and real gunicorn servers on free loopback ports.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from alliancegraph.service import create_app
from alliancegraph.store.embedded import EmbeddedStore

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


def open_store(data_dir: Path, **options: object) -> EmbeddedStore:
    settings = {"query_timeout": 30.0, "max_rows": 100_000, "base_iri": BASE, **options}
    return EmbeddedStore(data_dir, **settings)


def build_fixture_store(data_dir: Path) -> Path:
    """Write the fixture graphs into a new store in ``data_dir`` through the store API
    (which opens Oxigraph only in child processes: the test process never holds it)."""
    store = open_store(data_dir)
    for name, turtle in FIXTURE_GRAPHS.items():
        store.put_graph(name, turtle.encode(), media_type="text/turtle")
    return data_dir


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return build_fixture_store(tmp_path / "data")


@pytest.fixture
def app_settings(data_dir: Path) -> dict:
    return {"data_dir": str(data_dir), "write_token": TOKEN, "query_timeout": 10.0,
            "max_rows": 1000, "max_body_bytes": 64 * 1024, "TESTING": True,
            # the fixture data is protocol test data, not Alliance Graph data: no shapes check
            "validate_on_write": False}


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
    """What the fixture store holds (test modules cannot import conftest)."""
    return SimpleNamespace(token=TOKEN, base=BASE, graph_a=GRAPH_A, graph_b=GRAPH_B,
                           counts=dict(FIXTURE_COUNTS), turtle=dict(FIXTURE_GRAPHS))


@pytest.fixture(scope="session")
def make_fixture_store(tmp_path_factory: pytest.TempPathFactory):
    """``make_fixture_store()``: a new data dir holding the fixture graphs."""
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
