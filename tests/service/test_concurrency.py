"""Reads and writes at once, over real HTTP against ``alliancegraph serve`` (gunicorn, two
workers, the embedded store, validation on write ON).

16 clients for a bounded time: readers run SPARQL queries, writers move a counter with
SPARQL updates and replace graphs through the Graph Store protocol. Every write keeps an
invariant that a reader can check in one query, so a reader that saw a half-applied write,
an error, or an acknowledged write that went missing is caught:

* the counter: one token, ``ex:at`` one of four places and ``ex:count`` n, with the place
  ``n mod 4``; every update moves it on by one, so at the end n is the number of updates
  answered 2xx;
* the graphs: writer k PUTs ``<urn:ex:put/k>`` at versions 1, 2, …, each holding
  ``size(v)`` triples, so a graph is always whole, and at the end it is the last version
  its writer was told was stored.

Then: a large validated write in progress blocks neither ``/healthz`` nor reads. And when
the server stops, none of its processes (workers, the store's pools) is left.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from alliancegraph.store import open_store

TOKEN = "concurrency-token-41c9"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DURATION = 15.0  # seconds of mixed load
READERS, UPDATERS, PUTTERS = 8, 4, 4  # 16 clients
PLACES = 4
EX = "urn:ex:"
LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
COUNTER = f"<{EX}counter>"
#: what no answer may say: the store's files and engine belong to the service
LEAKS = ("LOCK", "RocksDB", "rocksdb", "Corruption", ".sst", "Traceback")

_NEXT = f"<{EX}place/0>"
for _place in reversed(range(PLACES - 1)):  # place/k -> place/k+1, the last -> place/0
    _NEXT = f"IF(?at = <{EX}place/{_place}>, <{EX}place/{_place + 1}>, {_NEXT})"
MOVE = f"""PREFIX ex: <{EX}>
DELETE {{ GRAPH {COUNTER} {{ ex:token ex:at ?at ; ex:count ?n }} }}
INSERT {{ GRAPH {COUNTER} {{ ex:token ex:at ?next ; ex:count ?m }} }}
WHERE {{ GRAPH {COUNTER} {{ ex:token ex:at ?at ; ex:count ?n }}
        BIND(?n + 1 AS ?m) BIND({_NEXT} AS ?next) }}"""
READ_COUNTER = f"""PREFIX ex: <{EX}>
SELECT ?at ?n WHERE {{ GRAPH {COUNTER} {{ ex:token ex:at ?at ; ex:count ?n }} }}"""
READ_GRAPHS = f"""SELECT ?g ?v (COUNT(*) AS ?triples) WHERE {{
  GRAPH ?g {{ ?doc <{EX}version> ?v . ?s ?p ?o }}
  FILTER(STRSTARTS(STR(?g), "{EX}put/"))
}} GROUP BY ?g ?v"""


def size(version: int) -> int:
    """Triples in a graph at ``version``: its version, its label, and the items."""
    return 2 + version % 25


def graph_at(writer: int, version: int) -> str:
    doc = f"<{EX}doc/{writer}>"
    lines = [f'{doc} <{EX}version> {version} ; <{LABEL}> "document {writer}"@en .']
    lines += [f"{doc} <{EX}item> {i} ." for i in range(size(version) - 2)]
    return "\n".join(lines) + "\n"


@dataclass
class Record:
    """What every client saw; appended to from many threads (list.append is atomic)."""

    errors: list[str] = field(default_factory=list)
    updates_acknowledged: list[int] = field(default_factory=list)
    last_put: dict[int, int] = field(default_factory=dict)
    reads: int = 0

    def check(self, what: str, response: requests.Response, *expected: int) -> bool:
        body = response.text
        if response.status_code not in expected:
            self.errors.append(f"{what}: {response.status_code} {body[:300]}")
            return False
        leaked = [word for word in LEAKS if word in body]
        if leaked:
            self.errors.append(f"{what}: the answer names {leaked}: {body[:300]}")
            return False
        return True


@pytest.fixture(scope="module")
def busy_server(start_server, fixture_data, tmp_path_factory: pytest.TempPathFactory):
    """A server over a data dir holding only the counter (so it builds nothing)."""
    data_dir: Path = tmp_path_factory.mktemp("concurrency") / "data"
    store = open_store(fixture_data.settings(data_dir, store="embedded"))
    try:
        store.put_graph(COUNTER[1:-1], (
            f'<{EX}token> <{EX}at> <{EX}place/0> ; <{EX}count> 0 ; '
            f'<{LABEL}> "the token"@en .').encode(), media_type="text/turtle")
    finally:
        store.close()
    return start_server(data_dir, write_token=TOKEN, validate_on_write=True,
                        query_timeout=30, auth_failure_limit="")


def _reader(url: str, record: Record, stop: float, seed: int) -> None:
    chance = random.Random(seed)
    seen_count = -1
    with requests.Session() as http:
        while time.monotonic() < stop:
            # half the reads bypass the answer cache (a comment makes another query text)
            salt = f"# {chance.random()}\n" if chance.random() < 0.5 else ""
            if chance.random() < 0.5:
                answer = http.get(url + "/sparql", params={"query": salt + READ_COUNTER},
                                  headers={"Accept": "application/sparql-results+json"},
                                  timeout=60)
            else:
                answer = http.post(url + "/sparql", data={"query": salt + READ_COUNTER},
                                   timeout=60)
            if record.check("counter read", answer, 200):
                rows = answer.json()["results"]["bindings"]
                if len(rows) != 1:
                    record.errors.append(f"counter read: {len(rows)} tokens: {rows}")
                else:
                    n = int(rows[0]["n"]["value"])
                    if rows[0]["at"]["value"] != f"{EX}place/{n % PLACES}":
                        record.errors.append(f"counter read: half a move: {rows[0]}")
                    if n < seen_count:
                        record.errors.append(f"counter read: went back from {seen_count} to {n}")
                    seen_count = max(seen_count, n)
            answer = http.post(url + "/sparql", data={"query": salt + READ_GRAPHS}, timeout=60)
            if record.check("graph read", answer, 200):
                graphs = defaultdict(list)
                for row in answer.json()["results"]["bindings"]:
                    graphs[row["g"]["value"]].append(
                        (int(row["v"]["value"]), int(row["triples"]["value"])))
                for name, versions in graphs.items():
                    if len(versions) != 1 or versions[0][1] != size(versions[0][0]):
                        record.errors.append(f"graph read: {name} is not one whole version: "
                                             f"{versions}")
            record.reads += 1


def _updater(url: str, record: Record, stop: float) -> None:
    with requests.Session() as http:
        while time.monotonic() < stop:
            answer = http.post(url + "/sparql", data={"update": MOVE}, headers=AUTH,
                               timeout=120)
            if record.check("counter update", answer, 204):
                record.updates_acknowledged.append(1)


def _putter(url: str, record: Record, stop: float, writer: int) -> None:
    with requests.Session() as http:
        for version in itertools.count(1):
            if time.monotonic() >= stop:
                return
            answer = http.put(url + "/rdf-graph-store", params={"graph": f"{EX}put/{writer}"},
                              data=graph_at(writer, version).encode(),
                              headers={**AUTH, "Content-Type": "text/turtle"}, timeout=120)
            if record.check(f"put {writer}", answer, 201, 204):
                record.last_put[writer] = version


def _run(target, *args) -> threading.Thread:
    def guarded() -> None:
        try:
            target(*args)
        except Exception as exc:  # a client error (a time-out, a reset) is a finding
            args[1].errors.append(f"{target.__name__}: {type(exc).__name__}: {exc}")

    thread = threading.Thread(target=guarded, daemon=True)
    thread.start()
    return thread


def test_sixteen_clients_reading_and_writing(busy_server):
    url, record = busy_server.url, Record()
    stop = time.monotonic() + DURATION
    threads = [_run(_reader, url, record, stop, n) for n in range(READERS)]
    threads += [_run(_updater, url, record, stop) for _ in range(UPDATERS)]
    threads += [_run(_putter, url, record, stop, k) for k in range(PUTTERS)]
    for thread in threads:
        thread.join(DURATION + 180)
    assert not any(thread.is_alive() for thread in threads), "a client never got an answer"
    kinds = Counter(error[:160] for error in record.errors)
    assert record.errors == [], f"{len(record.errors)} errors: {kinds.most_common(8)}"
    # it was a real mix: writes of both kinds were acknowledged while reads went on
    assert record.updates_acknowledged and len(record.last_put) == PUTTERS
    assert record.reads > 0
    # no acknowledged write was lost, and no refused one was applied
    final = requests.get(url + "/sparql", params={"query": READ_COUNTER + " # final"},
                         headers={"Accept": "application/sparql-results+json"}, timeout=60)
    rows = final.json()["results"]["bindings"]
    assert [int(r["n"]["value"]) for r in rows] == [len(record.updates_acknowledged)]
    for writer, version in record.last_put.items():
        stored = requests.get(url + "/rdf-graph-store", params={"graph": f"{EX}put/{writer}"},
                              headers={"Accept": "application/n-triples"}, timeout=60)
        assert stored.status_code == 200
        assert f"<{EX}version> \"{version}\"" in stored.text
        assert len(stored.text.strip().splitlines()) == size(version)


def test_a_long_validated_write_blocks_neither_health_nor_reads(busy_server):
    """Probes answered while a large validated PUT is still running: the write holds the
    writer, not the service. (A check of overlap, not of speed.)"""
    url = busy_server.url
    for subjects in (300, 3_000, 30_000):
        body = "".join(f'<{EX}big/{i}> <{LABEL}> "item {i}"@en ; <{EX}n> {i} .\n'
                       for i in range(subjects)).encode()
        outcome: dict[str, requests.Response] = {}

        def write(body: bytes = body, outcome: dict = outcome) -> None:
            outcome["put"] = requests.put(
                url + "/rdf-graph-store", params={"graph": f"{EX}big"}, data=body,
                headers={**AUTH, "Content-Type": "text/turtle"}, timeout=600)

        writer = threading.Thread(target=write)
        writer.start()
        during: list[str] = []
        while writer.is_alive():
            health = requests.get(url + "/healthz", timeout=30)
            read = requests.post(url + "/sparql", data={"query": READ_COUNTER}, timeout=30)
            assert health.status_code == 200 and read.status_code == 200, read.text
            if writer.is_alive():  # both answered before the write was done
                during.append("probe")
        writer.join()
        assert outcome["put"].status_code in (201, 204), outcome["put"].text[:300]
        if during:
            return
    pytest.fail("even a 30,000-subject validated write finished before one probe was "
                "answered: the overlap could not be observed")


def test_no_process_outlives_the_server(busy_server, server_tools):
    """Last in this module: stop the server; its workers and every store process end."""
    leader = busy_server.process.pid
    running = server_tools.server_processes(leader)
    assert len(running) > 1 + 2  # the master, two workers and their stores' processes
    busy_server.stop()
    deadline = time.monotonic() + 30
    while server_tools.server_processes(leader) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert server_tools.server_processes(leader) == set()
