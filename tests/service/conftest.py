"""Fixtures of the service tests: the Flask ``app``, its ``client`` and ``runner`` over a
small store, and real gunicorn servers on free loopback ports.

The Flask tests run on the in-memory backend (``STORE``: one store per test, loaded with
the fixture graphs), so that each test costs no process pool; the real servers run the
embedded backend over a data dir written by :func:`build_fixture_store`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import system_packages
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


# --- a real browser (Debian's Chromium driven by Playwright) ------------------------------
# Playwright's own browser download cannot work here, so the tests drive /usr/bin/chromium
# and, on a fresh machine, install it with apt (root only); otherwise they skip, saying why.

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 # no host but the loopback server resolves: a request to another host is
                 # recorded (Watch) and fails, and nothing leaves the machine. Not by
                 # Playwright's routing: any route stops Chromium fetching /favicon.ico,
                 # and a missing favicon is a console error a real browser shows
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
PAGE_TIMEOUT_MS = 20_000


def _install_chromium() -> str | None:
    """Install Debian's chromium when it is missing and we may (root, apt-get); the reason
    to skip otherwise, or None when the browser is there."""
    if Path(CHROMIUM).exists():
        return None
    try:
        system_packages.install("chromium")
    except system_packages.CannotInstall as exc:
        return str(exc)
    return None if Path(CHROMIUM).exists() else f"apt-get installed no {CHROMIUM}"


@pytest.fixture(scope="session")
def chromium() -> str:
    reason = _install_chromium()
    if reason:
        pytest.skip(reason)
    return CHROMIUM


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class Watch:
    """What the pages did that they must not: console errors, uncaught exceptions, and
    requests to any host but the server's."""

    origin: str
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def take(self) -> tuple[list[str], list[str]]:
        """The errors and foreign requests seen since the last call."""
        seen = (self.errors[:], self.foreign[:])
        self.errors.clear()
        self.foreign.clear()
        return seen

    def on_console(self, message) -> None:
        if message.type == "error":
            where = message.page.url if message.page else "?"
            source = (message.location or {}).get("url") or "?"
            self.errors.append(f"console error on {where} (from {source}): {message.text}")

    def on_page_error(self, error) -> None:
        where = error.page.url if error.page else "?"
        self.errors.append(f"uncaught exception on {where}: {error.error}")

    def on_request(self, request) -> None:
        url = request.url
        if origin(url) != self.origin and not url.startswith(("data:", "blob:", "about:")):
            self.foreign.append(f"{request.frame.url if request.frame else '?'} -> {url}")


@dataclass
class Site:
    """One browser context on the built server (as one user clicking through)."""

    context: object  # playwright's BrowserContext (playwright is imported only when run)
    watch: Watch
    url: str  # the server's root, no trailing slash
    links: list[str]  # the index's links to this site, in page order, each once
    index_errors: list[str]
    index_foreign: list[str]
    artefacts: Path

    @contextmanager
    def tab(self, path: str = "/", width: int = 1280) -> Iterator[object]:
        """A new tab at ``width`` px opened on ``path`` (loaded), closed after."""
        page = self.context.new_page()
        try:
            page.set_viewport_size({"width": width, "height": 900})
            response = page.goto(self.url + path, wait_until="load")
            assert response is not None and response.status == 200, (path, response)
            yield page
        finally:
            page.close()

    def open(self, url: str, check: Callable[[object, str], str | None]) -> str | None:
        """Open ``url`` in a new tab; what is wrong with it, or None."""
        page = self.context.new_page()
        try:
            try:
                response = page.goto(url, wait_until="load")
            except Exception as exc:  # a download ("Download is starting"), a timeout
                return f"{url}: {str(exc).splitlines()[0]}"
            if response is None:
                return f"{url}: no response"
            # what the browser rendered it as: a page seen before is revalidated (a 304,
            # whose headers name no Content-Type) and shown from the browser's cache
            content_type = page.evaluate("document.contentType") or ""
            if response.status >= 400 or not content_type.startswith("text/html"):
                return f"{url}: {response.status} {content_type or 'no Content-Type'}"
            return check(page, url)
        finally:
            page.close()

    def clean(self) -> list[str]:
        """Console errors and requests to another host since the last call."""
        errors, foreign = self.watch.take()
        return errors + [f"request to another host: {r}" for r in foreign]

    @staticmethod
    def page_width(page) -> int:
        return page.evaluate("document.documentElement.scrollWidth")

    @staticmethod
    def overflowing(page) -> list[str]:
        """The elements reaching past the viewport's right edge (for a failure's message)."""
        return page.evaluate("""[...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id + ' '
                              + Math.round(e.getBoundingClientRect().right))""")


@pytest.fixture(scope="module")
def site(built_server, chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One browser and one context for a module's pages, opened on the index (screenshot
    kept in pytest's tmp dir); its links to this site collected."""
    sync_api = pytest.importorskip("playwright.sync_api")
    artefacts = tmp_path_factory.mktemp("browser")
    watch = Watch(origin(built_server.url))
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        context.on("request", watch.on_request)
        context.on("console", watch.on_console)
        context.on("weberror", watch.on_page_error)
        page = context.new_page()
        response = page.goto(built_server.url + "/", wait_until="load")
        assert response is not None and response.status == 200
        page.screenshot(path=artefacts / "index.png", full_page=True)
        hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        page.close()
        links = list(dict.fromkeys(h for h in hrefs if origin(h) == watch.origin))
        yield Site(context, watch, built_server.url.rstrip("/"), links, *watch.take(),
                   artefacts)
        context.close()
        browser.close()
