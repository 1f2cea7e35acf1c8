"""Several service instances on one remote store: the Flask tier holds no state of its own.

Two instances — two processes, each with its own app, store client and answer cache — on
one writable Oxigraph server: a write through one is read through the other at once (the
caches key on the store's generation, which the server holds), and two writes that are
each valid but jointly break a shape, sent at once through the two, give one 2xx and one
422 (the remote write lock: store/remote_lock.py)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

TOKEN = "instances-token-3b7e"
BASE = "https://w3id.org/alliancegraph/"
GRAPH = BASE + "graph/instances-test"
SERVE = """
import sys
from werkzeug.serving import make_server
from alliancegraph.service import create_app
make_server("127.0.0.1", int(sys.argv[1]), create_app(), threaded=True).serve_forever()
"""
STATE_QUERY = (f"SELECT ?label WHERE {{ GRAPH <{GRAPH}> {{ ?s <http://www.w3.org/2004/02/"
               "skos/core#prefLabel> ?label } } ORDER BY ?label")
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Instance:
    """One service instance: ``create_app()`` under werkzeug in a process of its own."""

    def __init__(self, workdir: Path, settings: dict[str, object], tools: SimpleNamespace):
        self.port = tools.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"instance-{self.port}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCEGRAPH_")}
        env.update({"ALLIANCEGRAPH_" + k.upper(): str(v) for k, v in settings.items()})
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen([sys.executable, "-c", SERVE, str(self.port)],
                                            env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        self._stop_process = tools.stop_process
        try:
            tools.wait_ready(self.url, self.process, self.log, timeout=120)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        self._stop_process(self.process)

    def labels(self) -> list[str]:
        answer = requests.post(self.url + "/sparql", data={"query": STATE_QUERY},
                               headers={"Accept": "application/sparql-results+json"},
                               timeout=30)
        assert answer.status_code == 200, answer.text
        return [b["label"]["value"] for b in answer.json()["results"]["bindings"]]

    def update(self, sparql: str) -> requests.Response:
        return requests.post(self.url + "/sparql", data={"update": sparql}, headers=AUTH,
                             timeout=120)


@contextlib.contextmanager
def two_instances(tmp_path: Path, tools: SimpleNamespace, external_tools: SimpleNamespace,
                  **settings: object) -> Iterator[tuple[Instance, Instance]]:
    with contextlib.ExitStack() as running:
        oxigraph = external_tools.OxigraphServer(None, tmp_path / "oxigraph", writable=True)
        running.callback(oxigraph.stop)
        shared = {"store": "remote", "remote_query_url": oxigraph.query_url,
                  "remote_update_url": oxigraph.update_url, "write_token": TOKEN,
                  "base_iri": BASE, **settings}
        instances = []
        for name in ("a", "b"):
            data_dir = tmp_path / name
            data_dir.mkdir()
            instance = Instance(tmp_path, {**shared, "data_dir": data_dir}, tools)
            running.callback(instance.stop)
            instances.append(instance)
        yield instances[0], instances[1]


@pytest.fixture
def oxigraph_dir(tmp_path: Path) -> Path:
    (tmp_path / "oxigraph").mkdir()
    return tmp_path


def turtle(name: str, label: str, code: str | None = None) -> str:
    code_line = f' ; <{BASE}ontology#iso3166Alpha2> "{code}"' if code else ""
    return (f"<{BASE}id/state/{name}> a <{BASE}ontology#State> ; "
            f"<http://www.w3.org/2004/02/skos/core#prefLabel> \"{label}\"@en{code_line} .")


def test_a_write_through_one_instance_is_read_through_the_other_at_once(
        oxigraph_dir: Path, server_tools, external_tools):
    with two_instances(oxigraph_dir, server_tools, external_tools,
                       validate_on_write="false") as (a, b):
        assert a.labels() == b.labels() == []  # b's cache now holds the empty answer
        put = requests.put(a.url + "/rdf-graph-store", params={"graph": GRAPH},
                           data=turtle("one", "One").encode(),
                           headers={**AUTH, "Content-Type": "text/turtle"}, timeout=60)
        assert put.status_code == 201, put.text
        assert b.labels() == ["One"]
        got = requests.get(b.url + "/rdf-graph-store", params={"graph": GRAPH},
                           headers={"Accept": "application/n-triples"}, timeout=30)
        assert got.status_code == 200 and b'"One"@en' in got.content
        done = b.update(f"INSERT DATA {{ GRAPH <{GRAPH}> {{ {turtle('two', 'Two')} }} }}")
        assert done.status_code in (200, 204), done.text
        assert a.labels() == ["One", "Two"]


def test_jointly_invalid_writes_at_once_through_two_instances_one_is_refused(
        oxigraph_dir: Path, server_tools, external_tools):
    """Two states with one ISO code (ags:UniqueIsoCodeShape): each write alone conforms."""
    with two_instances(oxigraph_dir, server_tools, external_tools,
                       validate_on_write="true") as (a, b):
        for instance, name in ((a, "warm-a"), (b, "warm-b")):  # shapes loaded, not raced
            warm = instance.update(f"INSERT DATA {{ GRAPH <{GRAPH}> {{ "
                                   f"{turtle(name, name.title())} }} }}")
            assert warm.status_code in (200, 204), warm.text
        for round_ in range(6):
            code = "Q" + "ABCDEFGHIJ"[round_]
            writes = [f"INSERT DATA {{ GRAPH <{GRAPH}> {{ {turtle(name, name.title(), code)} }} }}"
                      for name in (f"left-{code.lower()}", f"right-{code.lower()}")]
            start = threading.Barrier(2)
            statuses: list[int] = []
            threads = [threading.Thread(target=send, args=(i, text, start, statuses))
                       for i, text in zip((a, b), writes, strict=True)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(statuses) in ([200, 422], [204, 422]), (code, statuses)
            query = f'SELECT ?s WHERE {{ ?s <{BASE}ontology#iso3166Alpha2> "{code}" }}'
            found = requests.post(b.url + "/sparql", data={"query": query},
                                  headers={"Accept": "application/sparql-results+json"},
                                  timeout=30).json()["results"]["bindings"]
            assert len(found) == 1, (code, found)


def send(instance: Instance, update: str, start: threading.Barrier,
         statuses: list[int]) -> None:
    start.wait()
    statuses.append(instance.update(update).status_code)
