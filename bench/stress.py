"""The stress target (issue 14, "Losing nothing" and "Slow clients"): crash, concurrency,
load and slow clients against the service on each backend, with the fuzzing run beside.

    python bench/stress.py crash --trials 20                 # kill -9 while writes stream
    python bench/stress.py concurrency --duration 60         # 16 clients, an invariant
    python bench/stress.py load --duration 20                # wrk at c 1, 4, 16, 64
    python bench/stress.py slow --connections 200            # slowloris, slow bodies, idle
    python bench/stress.py fuzz [ARGS...]                    # bench/fuzz.py ARGS
    python bench/stress.py all                               # each of the above

Every sub-command takes ``--backends embedded,oxigraph,virtuoso`` and writes
``bench/results/stress-<name>.md`` and ``.json`` (``--out`` for another folder).

Backends: ``embedded`` is ``alliancegraph serve`` on the embedded store in a data dir of
its own; ``oxigraph`` is ``alliancegraph serve`` with ``store = "remote"`` in front of
``oxigraph serve`` on loopback; ``virtuoso`` the same in front of Virtuoso
(``bench/virtuoso.py``). Each store is seeded through the store API with one small graph
(an entity page for the load run), so no build runs; writes are not validated (the
markers are not Alliance Graph data: validation is measured in validation_*.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
BACKENDS = ("embedded", "oxigraph", "virtuoso")
TOKEN = "stress-write-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE = "https://w3id.org/alliancegraph/"
SEED_GRAPH = BASE + "graph/stress-seed"
JAPAN = BASE + "id/state/japan"
SEED = f"""
@prefix ag: <{BASE}ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<{JAPAN}> a ag:State ; skos:prefLabel "Japan"@en, "日本"@ja ; ag:iso3166Alpha2 "JP" .
<{BASE}id/state/south-korea> a ag:State ; skos:prefLabel "South Korea"@en ;
    ag:iso3166Alpha2 "KR" .
"""
SPARQL_JSON = "application/sparql-results+json"
#: the stress vocabulary: every triple the runs write is about urn:stress: subjects
S = "urn:stress:"
SEED_SCRIPT = """
import sys
from alliancegraph.config import load_settings
from alliancegraph.store import open_store
store = open_store(load_settings())
try:
    store.put_graph(sys.argv[1], sys.argv[2].encode(), media_type="text/turtle")
finally:
    store.close()
"""


# ---------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command (state, ppid, pgrp, session, …);
    None when the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def live_processes() -> Iterator[tuple[int, list[str]]]:
    """Every live (not zombie) process: its pid and :func:`proc_stat` fields."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = proc_stat(int(entry.name))
            if fields is not None and fields[0] != "Z":
                yield int(entry.name), fields


def session_members(leader: int) -> set[int]:
    """Live pids in the process group or session of ``leader`` (started with
    ``start_new_session``: gunicorn's master, its workers, the store's processes)."""
    return {pid for pid, fields in live_processes()
            if leader in (int(fields[2]), int(fields[3]))}


def kill_session(process: subprocess.Popen) -> int:
    """SIGKILL every process of ``process``'s session at once (the group first, then any
    member that left the group); the number of processes killed."""
    members = session_members(process.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    for pid in members:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 30
    while session_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return len(members)


def stop_session(process: subprocess.Popen) -> None:
    """SIGTERM the session's group, SIGKILL whatever is left after 20 s."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(20)
    kill_session(process)


def wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float,
             ok: Callable[[requests.Response], bool] = lambda r: r.status_code == 200) -> None:
    """Poll ``url`` until ``ok``; RuntimeError with the log's tail on exit or deadline."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited ({process.returncode}): "
                               + tail(log))
        try:
            if ok(requests.get(url, timeout=2, headers={"Accept": SPARQL_JSON})):
                return
        except (requests.RequestException, ValueError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} not answering after {timeout:g} s: " + tail(log))
        time.sleep(0.1)


def tail(log: Path, lines: int = 8) -> str:
    try:
        return " | ".join(log.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"


def oxigraph_cli() -> str:
    beside = Path(sys.executable).with_name("oxigraph")
    found = str(beside) if beside.is_file() else shutil.which("oxigraph")
    if not found:
        raise RuntimeError("the `oxigraph` CLI (PyPI oxigraph) is not installed")
    return found


# ---------------------------------------------------------------------- the stack


@dataclass
class Stack:
    """The service on one backend, and the SPARQL server behind it (remote backends), in
    ``work``; both can be killed and started again on the same data and ports."""

    backend: str
    work: Path
    settings: dict[str, object] = field(default_factory=dict)
    port: int = 0
    service: subprocess.Popen | None = None
    sparql: Any = None  # the Oxigraph server's Popen, or a bench/virtuoso.py Virtuoso
    sparql_port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.work / "data"

    @property
    def log(self) -> Path:
        return self.work / "service.log"

    # -------------------------------------------------------------- SPARQL server

    def start_sparql(self) -> None:
        if self.backend == "oxigraph":
            self.sparql_port = self.sparql_port or free_port()
            log = self.work / "oxigraph.log"
            with open(log, "ab") as out:
                self.sparql = subprocess.Popen(
                    [oxigraph_cli(), "serve", "--location", str(self.work / "oxigraph"),
                     "--bind", f"127.0.0.1:{self.sparql_port}"],
                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            wait_for(f"http://127.0.0.1:{self.sparql_port}/query?query=ASK%7B%7D",
                     self.sparql, log, 60)
        elif self.backend == "virtuoso":
            import virtuoso  # bench/virtuoso.py

            if self.sparql is None:
                why = virtuoso.unavailable()
                if why:
                    raise RuntimeError(f"Virtuoso cannot run here: {why}")
                self.sparql = virtuoso.Virtuoso(self.work / "virtuoso",
                                                max_query_seconds=60)
            else:  # the same database, ini and users again: its own start, no new files
                (self.sparql.workdir / "virtuoso.lck").unlink(missing_ok=True)
                self.sparql._start(120)

    def kill_sparql(self) -> None:
        process = self.sparql if self.backend == "oxigraph" else self.sparql.process
        kill_session(process)

    def remote_settings(self) -> dict[str, object]:
        if self.backend == "oxigraph":
            base = f"http://127.0.0.1:{self.sparql_port}"
            return {"store": "remote", "remote_query_url": base + "/query",
                    "remote_update_url": base + "/update",
                    "remote_graph_store_url": base + "/store"}
        if self.backend == "virtuoso":
            return {"store": "remote", "remote_dialect": "virtuoso",
                    "remote_query_url": self.sparql.query_url,
                    "remote_update_url": self.sparql.update_url,
                    "remote_user": self.sparql.user, "remote_password": self.sparql.password}
        return {"store": "embedded"}

    # -------------------------------------------------------------- the service

    def all_settings(self) -> dict[str, object]:
        return {"data_dir": self.data_dir, "base_iri": BASE, "write_token": TOKEN,
                # write_timeout at its default: a crashed writer's remote lock is broken at
                # once (its holder is gone), not waited out for its lease (2 x 600 s)
                "validate_on_write": False, "auth_failure_limit": "", "log_level": "WARNING",
                **self.remote_settings(), **self.settings}

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCEGRAPH_")}
        env.update({"ALLIANCEGRAPH_" + k.upper(): str(v)
                    for k, v in self.all_settings().items()})
        return env

    def seed(self) -> None:
        """The seed graph through the store API, in a process of its own (the embedded
        store starts processes), so ``serve`` finds the store built."""
        done = subprocess.run([sys.executable, "-c", SEED_SCRIPT, SEED_GRAPH, SEED],
                              env=self.env(), capture_output=True, text=True, timeout=300,
                              check=False)
        if done.returncode:
            raise RuntimeError(f"seeding the {self.backend} store failed: {done.stderr[-2000:]}")

    def start_service(self, timeout: float = 300) -> float:
        """Start ``alliancegraph serve``; seconds until ``/readyz`` answers 200."""
        self.port = self.port or free_port()
        began = time.monotonic()
        with open(self.log, "ab") as out:
            self.service = subprocess.Popen(
                [sys.executable, "-c", "from alliancegraph.cli import main; main()", "serve",
                 "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self.url + "/readyz", self.service, self.log, timeout)
        return time.monotonic() - began

    def start(self) -> Stack:
        self.work.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(exist_ok=True)
        self.start_sparql()
        self.seed()
        self.start_service()
        return self

    def kill_service(self) -> int:
        return kill_session(self.service)

    def stop(self) -> None:
        if self.service is not None:
            stop_session(self.service)
        if self.backend == "oxigraph" and self.sparql is not None:
            stop_session(self.sparql)
        elif self.backend == "virtuoso" and self.sparql is not None:
            self.sparql.stop()


@contextlib.contextmanager
def running(backend: str, work: Path, **settings: object) -> Iterator[Stack]:
    stack = Stack(backend, work / backend, dict(settings))
    try:
        yield stack.start()
    finally:
        stack.stop()


# ---------------------------------------------------------------------- measuring


def pct(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile (nearest rank) of ``values``; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def ms(values: list[float], q: float) -> float | None:
    value = pct(values, q)
    return None if value is None else round(value * 1000, 2)


def update(session: requests.Session, url: str, text: str, timeout: float = 60
           ) -> requests.Response:
    return session.post(url + "/sparql", data={"update": text}, headers=AUTH,
                        timeout=timeout)


def select(session: requests.Session, url: str, text: str, timeout: float = 60
           ) -> list[dict[str, Any]]:
    """The bindings of a SELECT (values only); RuntimeError on a non-200."""
    answer = session.post(url + "/sparql", data={"query": text},
                          headers={"Accept": SPARQL_JSON}, timeout=timeout)
    if answer.status_code != 200:
        raise RuntimeError(f"query answered {answer.status_code}: {answer.text[:300]}")
    return [{k: v["value"] for k, v in row.items()}
            for row in answer.json()["results"]["bindings"]]


# ---------------------------------------------------------------------- crash

CRASH_GRAPH = BASE + "graph/stress-crash"
GROUP = 5  # triples per write: a marker and GROUP - 1 parts


def group_triples(write_id: str) -> str:
    """The GROUP triples of one write: its marker and its parts, all about one subject."""
    subject = f"<{S}w/{write_id}>"
    parts = " ".join(f"<{S}part> {k} ;" for k in range(1, GROUP))
    return f'{subject} {parts} <{S}marker> "{write_id}" .'


def write_group(session: requests.Session, url: str, write_id: str, *, gsp: bool,
                timeout: float = 60) -> requests.Response:
    """One write of a group: SPARQL INSERT DATA, or a Graph Store POST (merge)."""
    if gsp:
        return session.post(url + "/rdf-graph-store", params={"graph": CRASH_GRAPH},
                            data=group_triples(write_id).encode(), timeout=timeout,
                            headers={**AUTH, "Content-Type": "text/turtle"})
    return update(session, url, f"INSERT DATA {{ GRAPH <{CRASH_GRAPH}> {{ "
                                f"{group_triples(write_id)} }} }}", timeout)


def stored_groups(url: str) -> dict[str, int]:
    """Triples stored per write id (by subject, so a part without its marker counts)."""
    rows = select(requests.Session(), url,
                  f"SELECT ?w (COUNT(*) AS ?n) WHERE {{ GRAPH <{CRASH_GRAPH}> {{ ?w ?p ?o }} }}"
                  " GROUP BY ?w", timeout=120)
    prefix = f"{S}w/"
    return {r["w"][len(prefix):]: int(r["n"]) for r in rows if r["w"].startswith(prefix)}


@dataclass
class Writes:
    """What the writer threads of one trial sent: ids acknowledged (2xx), ids whose outcome
    is unknown (no answer, the connection cut), and answers that were neither."""

    acked: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)
    refused: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def stream(self, url: str, trial: int, writer: int, stop: threading.Event,
               rng: random.Random) -> None:
        session = requests.Session()
        for n in range(10**9):
            if stop.is_set():
                return
            write_id = f"t{trial}-c{writer}-{n}"
            try:
                answer = write_group(session, url, write_id, gsp=rng.random() < 0.3)
            except requests.RequestException:
                with self.lock:
                    self.unknown.add(write_id)
                if stop.wait(0.05):
                    return
                continue
            with self.lock:
                if 200 <= answer.status_code < 300:
                    self.acked.add(write_id)
                else:
                    self.refused[write_id] = answer.status_code


def crash_trial(stack: Stack, trial: int, rng: random.Random, *, writers: int = 4,
                kill_after: tuple[float, float] = (0.5, 3.0),
                kill_sparql: bool = False) -> dict[str, Any]:
    """Writers stream acknowledged writes; at a random moment the service's whole session
    (and with ``kill_sparql`` the SPARQL server's) gets SIGKILL; both start again, and
    every write is checked: acknowledged ones wholly present, none partial."""
    writes, stop = Writes(), threading.Event()
    threads = [threading.Thread(target=writes.stream,
                                args=(stack.url, trial, k, stop, random.Random(rng.random())),
                                daemon=True) for k in range(writers)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    while not writes.acked and time.monotonic() < deadline:  # writes flow before the kill
        time.sleep(0.02)
    time.sleep(rng.uniform(*kill_after))
    with writes.lock:
        acked_before_kill = len(writes.acked)
    killed = stack.kill_service()
    if kill_sparql:
        stack.kill_sparql()
    stop.set()
    for thread in threads:
        thread.join(120)
    began = time.monotonic()
    if kill_sparql:
        stack.start_sparql()
    stack.start_service()
    restart = time.monotonic() - began
    # the first write acknowledged after the restart (a remote store's lock that the
    # killed writer held is broken at once: its holder is gone; else it would be waited
    # out for its lease, 2 x write_timeout, and writes refused 503 meanwhile)
    began, refused_after = time.monotonic(), 0
    session = requests.Session()
    for attempt in range(10**6):
        probe_id = f"t{trial}-probe{attempt}"
        try:
            probe = write_group(session, stack.url, probe_id, gsp=False, timeout=300)
        except requests.RequestException:
            writes.unknown.add(probe_id)
            probe = None
        if probe is not None and 200 <= probe.status_code < 300:
            writes.acked.add(probe_id)
            break
        if probe is not None:
            writes.refused[probe_id] = probe.status_code
        refused_after += 1
        if time.monotonic() - began > 600:
            break
        time.sleep(0.5)
    first_write = time.monotonic() - began
    stored = stored_groups(stack.url)
    lost = sorted(w for w in writes.acked if stored.get(w, 0) != GROUP)
    partial = sorted(w for w, n in stored.items() if n != GROUP)
    return {"trial": trial, "killed": "service + SPARQL server" if kill_sparql else "service",
            "processes_killed": killed, "acked": len(writes.acked),
            "acked_before_kill": acked_before_kill, "unknown": len(writes.unknown),
            "unknown_stored": sum(1 for w in writes.unknown if stored.get(w) == GROUP),
            "refused": dict(sorted(writes.refused.items())[:10]),
            "refused_count": len(writes.refused), "lost": lost, "partial": partial,
            "restart_s": round(restart, 3), "first_write_s": round(first_write, 3),
            "refused_after_restart": refused_after}


def crash(backends: list[str], work: Path, *, trials: int = 20, writers: int = 4,
          seed: int = 14) -> dict[str, Any]:
    rng = random.Random(seed)
    results: dict[str, Any] = {}
    for backend in backends:
        progress(f"crash: {backend}, {trials} trials")
        try:
            with running(backend, work) as stack:
                runs = []
                for trial in range(trials):
                    # remote: the SPARQL server too in half the trials
                    runs.append(crash_trial(stack, trial, rng, writers=writers,
                                            kill_sparql=backend != "embedded" and trial % 2 == 1))
                    progress(f"  trial {trial}: {summary_of(runs[-1])}")
        except RuntimeError as exc:
            results[backend] = {"skipped": str(exc)}
            continue
        results[backend] = {"trials": runs, **crash_totals(runs)}
    return results


def summary_of(run: dict[str, Any]) -> str:
    return (f"acked {run['acked']}, lost {len(run['lost'])}, partial {len(run['partial'])}, "
            f"unknown {run['unknown']} ({run['unknown_stored']} stored), "
            f"restart {run['restart_s']:.2f} s, first write {run['first_write_s']:.2f} s")


def crash_totals(runs: list[dict[str, Any]]) -> dict[str, Any]:
    restarts = [r["restart_s"] for r in runs]
    firsts = [r["first_write_s"] for r in runs]
    return {"acked": sum(r["acked"] for r in runs), "lost": sum(len(r["lost"]) for r in runs),
            "partial": len({w for r in runs for w in r["partial"]}),
            "unknown": sum(r["unknown"] for r in runs),
            "unknown_stored": sum(r["unknown_stored"] for r in runs),
            "refused": sum(r["refused_count"] for r in runs),
            "restart_p50": pct(restarts, 50), "restart_max": max(restarts, default=None),
            "first_write_p50": pct(firsts, 50), "first_write_max": max(firsts, default=None)}


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------- concurrency

ACCOUNTS_GRAPH = BASE + "graph/stress-accounts"
OPENING = 1_000_000  # each account's balance at the start
#: a move: 1 from account a to account b and the move counter up by one, in ONE update
MOVE = f"""PREFIX s: <{S}>
DELETE {{ GRAPH <{ACCOUNTS_GRAPH}> {{
  s:a s:balance ?a . s:b s:balance ?b . s:moves s:count ?n }} }}
INSERT {{ GRAPH <{ACCOUNTS_GRAPH}> {{
  s:a s:balance ?a2 . s:b s:balance ?b2 . s:moves s:count ?n2 }} }}
WHERE {{ GRAPH <{ACCOUNTS_GRAPH}> {{
  s:a s:balance ?a . s:b s:balance ?b . s:moves s:count ?n }}
  BIND(?a - 1 AS ?a2) BIND(?b + 1 AS ?b2) BIND(?n + 1 AS ?n2) }}"""
STATE = (f"PREFIX s: <{S}>\nSELECT ?a ?b ?n WHERE {{ GRAPH <{ACCOUNTS_GRAPH}> {{ "
         "s:a s:balance ?a . s:b s:balance ?b . s:moves s:count ?n } }")
OPEN_ACCOUNTS = (f"PREFIX s: <{S}>\nDROP SILENT GRAPH <{ACCOUNTS_GRAPH}> ;\n"
                 f"INSERT DATA {{ GRAPH <{ACCOUNTS_GRAPH}> {{ s:a s:balance {OPENING} . "
                 f"s:b s:balance {OPENING} . s:moves s:count 0 }} }}")
MARKS_GRAPH = BASE + "graph/stress-marks"


def state_violation(rows: list[dict[str, Any]]) -> str | None:
    """Why a reader's view of the accounts is not one whole state, or None: one row, the
    sum kept, and each balance exactly what the move count says (old or new, no mix)."""
    if len(rows) != 1:
        return f"{len(rows)} rows"
    a, b, n = (int(rows[0][k]) for k in ("a", "b", "n"))
    if a + b != 2 * OPENING:
        return f"sum {a + b}"
    if a != OPENING - n or b != OPENING + n:
        return f"a={a} b={b} after {n} moves"
    return None


@dataclass
class Tally:
    """What the clients of a concurrency run saw."""

    reads: list[float] = field(default_factory=list)
    writes: list[float] = field(default_factory=list)
    moves_acked: int = 0
    marks_acked: set[str] = field(default_factory=set)
    errors: dict[str, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    backwards: int = 0  # a reader saw fewer moves than it had seen before
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, kind: str, detail: str) -> None:
        with self.lock:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            if len(self.error_samples) < 10:
                self.error_samples.append(f"{kind}: {detail[:300]}")


def client(url: str, number: int, until: float, tally: Tally, rng: random.Random,
           write_share: float) -> None:
    """Reads (the accounts' state, checked) and writes (a move, or a marker group) at
    random until ``until``."""
    session, seen, n = requests.Session(), -1, 0
    while time.monotonic() < until:
        n += 1
        kind = ("move" if rng.random() < 0.5 else "mark") if rng.random() < write_share \
            else "read"
        began = time.monotonic()
        try:
            if kind == "read":
                answer = session.post(url + "/sparql", data={"query": STATE},
                                      headers={"Accept": SPARQL_JSON}, timeout=120)
            elif kind == "move":
                answer = update(session, url, MOVE, timeout=120)
            else:
                mark = f"c{number}-{n}"
                answer = update(session, url, f"INSERT DATA {{ GRAPH <{MARKS_GRAPH}> {{ "
                                              f"<{S}mark/{mark}> <{S}marker> \"{mark}\" }} }}",
                                timeout=120)
        except requests.RequestException as exc:
            tally.error(f"{kind}: {type(exc).__name__}", str(exc))
            continue
        took = time.monotonic() - began
        if not 200 <= answer.status_code < 300:
            tally.error(f"{kind}: {answer.status_code}", answer.text)
            continue
        with tally.lock:
            if kind == "read":
                tally.reads.append(took)
                rows = [{k: v["value"] for k, v in r.items()}
                        for r in answer.json()["results"]["bindings"]]
                why = state_violation(rows)
                if why:
                    tally.violations.append(why)
                else:
                    moves = int(rows[0]["n"])
                    tally.backwards += moves < seen
                    seen = max(seen, moves)
            else:
                tally.writes.append(took)
                if kind == "move":
                    tally.moves_acked += 1
                else:
                    tally.marks_acked.add(mark)


def concurrency_run(stack: Stack, *, clients: int = 16, duration: float = 60,
                    write_share: float = 0.3, seed: int = 14) -> dict[str, Any]:
    session = requests.Session()
    opened = update(session, stack.url, OPEN_ACCOUNTS)
    if not 200 <= opened.status_code < 300:
        raise RuntimeError(f"opening the accounts answered {opened.status_code}: "
                           f"{opened.text[:300]}")
    update(session, stack.url, f"DROP SILENT GRAPH <{MARKS_GRAPH}>")
    tally, rng = Tally(), random.Random(seed)
    began = time.monotonic()
    threads = [threading.Thread(target=client, daemon=True,
                                args=(stack.url, k, began + duration, tally,
                                      random.Random(rng.random()), write_share))
               for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration + 300)
    elapsed = time.monotonic() - began
    final = select(session, stack.url, STATE)
    final_moves = int(final[0]["n"]) if len(final) == 1 else None
    marks = {r["m"] for r in select(session, stack.url, f"SELECT ?m WHERE {{ GRAPH "
                                    f"<{MARKS_GRAPH}> {{ ?s <{S}marker> ?m }} }}")}
    return {"clients": clients, "duration_s": round(elapsed, 1), "write_share": write_share,
            "reads": len(tally.reads), "writes": len(tally.writes),
            "moves_acked": tally.moves_acked, "final_moves": final_moves,
            "final_state_violation": state_violation(final),
            # a move acknowledged but not counted, or counted but never acknowledged (an
            # error answer to a write that was applied after all)
            "lost_moves": None if final_moves is None else max(0, tally.moves_acked - final_moves),
            "extra_moves": None if final_moves is None else max(0, final_moves - tally.moves_acked),
            "marks_acked": len(tally.marks_acked),
            "lost_marks": len(tally.marks_acked - marks),
            "errors": sum(tally.errors.values()), "errors_by_kind": tally.errors,
            "error_samples": tally.error_samples,
            "violations": len(tally.violations), "violation_samples": tally.violations[:10],
            "reads_backwards": tally.backwards,
            "read_p50_ms": ms(tally.reads, 50), "read_p99_ms": ms(tally.reads, 99),
            "write_p50_ms": ms(tally.writes, 50), "write_p99_ms": ms(tally.writes, 99),
            "write_max_ms": ms(tally.writes, 100),
            "ops_per_s": round((len(tally.reads) + len(tally.writes)) / elapsed, 1),
            "writes_per_s": round(len(tally.writes) / elapsed, 1)}


def each_backend(backends: list[str], work: Path, what: str,
                 run: Callable[[Stack], dict[str, Any]]) -> dict[str, Any]:
    """``run`` on a fresh stack of each backend; a backend that cannot start is skipped
    with its reason."""
    results: dict[str, Any] = {}
    for backend in backends:
        progress(f"{what}: {backend}")
        try:
            with running(backend, work) as stack:
                results[backend] = run(stack)
        except RuntimeError as exc:
            results[backend] = {"skipped": str(exc)}
        progress(f"  {results[backend]}")
    return results


def concurrency(backends: list[str], work: Path, *, clients: int = 16,
                duration: float = 60) -> dict[str, Any]:
    return each_backend(backends, work, f"concurrency, {clients} clients, {duration:g} s",
                        lambda stack: concurrency_run(stack, clients=clients,
                                                      duration=duration))


# ---------------------------------------------------------------------- load

#: the fixed mix, round-robin: (path, Accept)
LOAD_MIX = [
    ("/sparql?" + urllib.parse.urlencode({"query": "SELECT ?label WHERE { <" + JAPAN + "> "
                                          "<http://www.w3.org/2004/02/skos/core#prefLabel> "
                                          "?label }"}), SPARQL_JSON),
    ("/id/state/japan.html", "text/html"),
    ("/healthz", "application/json"),
]
#: wrk's script: the requests of $WRK_REQUESTS ("Accept<TAB>path" lines) round-robin from a
#: start of each thread's own; statuses counted per thread; one JSON line at the end
#: (latencies in microseconds)
WRK_LUA = r"""
local threads, requests = {}, {}
function setup(thread) table.insert(threads, thread); thread:set("id", #threads) end
function init(args)
  for line in io.lines(os.getenv("WRK_REQUESTS")) do
    local accept, path = line:match("^([^\t]*)\t(.*)$")
    requests[#requests + 1] = wrk.format("GET", path, {Accept = accept})
  end
  i = id % #requests
  statuses = {}
end
function request() i = i % #requests + 1; return requests[i] end
function response(status, headers, body)
  statuses[tostring(status)] = (statuses[tostring(status)] or 0) + 1
end
function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do counts[status] = (counts[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(counts) do parts[#parts + 1] = string.format('"%s": %d', status, n) end
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests": %d, "duration_us": %d, "connect": %d, ' ..
    '"read": %d, "write": %d, "non_2xx_3xx": %d, "timeout": %d, "p50": %f, "p99": %f, ' ..
    '"statuses": {%s}}\n', summary.requests, summary.duration, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(99),
    table.concat(parts, ", ")))
end
"""


def wrk_binary() -> str:
    found = shutil.which("wrk") or ("/usr/bin/wrk" if Path("/usr/bin/wrk").exists() else None)
    if not found:
        raise RuntimeError("wrk is not installed (Debian: apt-get install wrk)")
    return found


def wrk(url: str, mix: list[tuple[str, str]], *, concurrency: int, duration: float,
        work: Path, timeout: float = 10) -> dict[str, Any]:
    """``wrk`` at ``concurrency`` keep-alive connections for ``duration`` s over ``mix``."""
    script, listing = work / "wrk.lua", work / "wrk-requests.tsv"
    script.write_text(WRK_LUA)
    listing.write_text("".join(f"{accept}\t{path}\n" for path, accept in mix))
    seconds = max(1, round(duration))
    command = [wrk_binary(), "-t", str(min(concurrency, 2)), "-c", str(concurrency),
               "-d", f"{seconds}s", "--timeout", f"{timeout:g}s", "-s", str(script), url + "/"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120,
                          env={**os.environ, "WRK_REQUESTS": str(listing)}, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if done.returncode or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-500:]} "
                           f"{done.stderr[-500:]}")
    raw = json.loads(line[len("WRKJSON "):])
    socket_errors = sum(raw[k] for k in ("connect", "read", "write", "timeout"))
    non_2xx = sum(n for status, n in raw["statuses"].items() if not status.startswith("2"))
    total = raw["requests"]
    return {"concurrency": concurrency, "requests": total,
            "per_second": round(total / (raw["duration_us"] / 1e6), 1),
            "p50_ms": round(raw["p50"] / 1000, 2) if total else None,
            "p99_ms": round(raw["p99"] / 1000, 2) if total else None,
            "statuses": raw["statuses"], "non_2xx": non_2xx, "socket_errors": socket_errors,
            "socket_errors_by_kind": {k: raw[k] for k in ("connect", "read", "write",
                                                          "timeout") if raw[k]},
            "error_rate": round((non_2xx + socket_errors) / max(total, 1), 5)}


def load(backends: list[str], work: Path, *, concurrencies: tuple[int, ...] = (1, 4, 16, 64),
         duration: float = 20) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for backend in backends:
        progress(f"load: {backend}, c {concurrencies}, {duration:g} s each")
        try:
            wrk_binary()
            with running(backend, work) as stack:
                for path, accept in LOAD_MIX:  # each answers 200 before it is measured
                    answer = requests.get(stack.url + path, headers={"Accept": accept},
                                          timeout=30)
                    if answer.status_code != 200:
                        raise RuntimeError(f"{path} answered {answer.status_code}")
                runs = []
                for c in concurrencies:
                    runs.append(wrk(stack.url, LOAD_MIX, concurrency=c, duration=duration,
                                    work=stack.work))
                    progress(f"  c {c}: {runs[-1]}")
                results[backend] = {"runs": runs}
        except RuntimeError as exc:
            results[backend] = {"skipped": str(exc)}
    return results


# ---------------------------------------------------------------------- slow clients

KINDS = ("slowloris", "slow body", "idle keep-alive")
_OPENING = {
    # headers a byte a second, never ending (the server's request_read_timeout ends them)
    "slowloris": b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ",
    # whole headers, then a body a byte a second
    "slow body": (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: application/sparql-query\r\nContent-Length: 100000\r\n\r\n"),
    # one whole request, answered, then silence on the open connection
    "idle keep-alive": b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
}


@dataclass
class Attacker:
    kind: str
    port: int
    sock: socket.socket | None = None
    sent: int = 0
    opened: int = 0

    def connect(self) -> None:
        self.close()
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # a byte a packet
        self.sock.settimeout(None)  # blocking: MSG_DONTWAIT alone decides (a timeout polls)
        first = _OPENING[self.kind]
        self.sock.sendall(first if self.kind != "slowloris" else first[:1])
        self.sent = len(first) if self.kind != "slowloris" else 1
        self.opened += 1

    def closed_by_server(self) -> bool:
        """Whether the server has closed it (what it sent, an answer, is read and dropped)."""
        try:
            data = self.sock.recv(65536, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return False
        except OSError:
            return True
        return not data

    def tick(self) -> None:
        """One more byte (slowloris: of its headers; slow body: of its body)."""
        if self.kind == "idle keep-alive":
            return
        opening = _OPENING["slowloris"]
        byte = opening[self.sent:self.sent + 1] if self.sent < len(opening) else b"a"
        self.sock.send(byte if self.kind == "slowloris" else b"#")
        self.sent += 1

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
            self.sock = None


def attack(attackers: list[Attacker], stop: threading.Event, counts: dict[str, int]) -> None:
    """Each second: every attacker sends its byte; one the server closed opens again (so
    the pressure stays at the count); ``counts`` tallies closes by kind."""
    while not stop.wait(1.0):
        for attacker in attackers:
            try:
                if attacker.closed_by_server():
                    counts[attacker.kind] = counts.get(attacker.kind, 0) + 1
                    attacker.connect()
                else:
                    attacker.tick()
            except OSError:
                counts[attacker.kind] = counts.get(attacker.kind, 0) + 1
                with contextlib.suppress(OSError):
                    attacker.connect()


def probe_loop(url: str, until: float, *, interval: float = 0.2,
               timeout: float = 10) -> dict[str, Any]:
    """/healthz and a SPARQL query in turn, each on a new connection, until ``until``."""
    probes = {"/healthz": ("/healthz", None),
              "SPARQL query": ("/sparql", {"query": f"ASK {{ <{JAPAN}> ?p ?o }}"})}
    seen: dict[str, dict[str, Any]] = {name: {"attempted": 0, "answered": 0, "times": [],
                                              "failures": {}} for name in probes}
    n = 0
    while time.monotonic() < until:
        name = list(probes)[n % 2]
        path, params = probes[name]
        n += 1
        record, began = seen[name], time.monotonic()
        record["attempted"] += 1
        try:
            answer = requests.get(url + path, params=params, timeout=timeout,
                                  headers={"Accept": SPARQL_JSON, "Connection": "close"})
            if answer.status_code == 200:
                record["answered"] += 1
                record["times"].append(time.monotonic() - began)
            else:
                key = str(answer.status_code)
                record["failures"][key] = record["failures"].get(key, 0) + 1
        except requests.RequestException as exc:
            key = type(exc).__name__
            record["failures"][key] = record["failures"].get(key, 0) + 1
        time.sleep(max(0.0, interval - (time.monotonic() - began)))
    return {name: {"attempted": r["attempted"], "answered": r["answered"],
                   "p50_ms": ms(r["times"], 50), "p99_ms": ms(r["times"], 99),
                   "max_ms": ms(r["times"], 100), "failures": r["failures"]}
            for name, r in seen.items()}


def slow_run(stack: Stack, *, connections: int = 200, duration: float = 30,
             baseline: float = 5) -> dict[str, Any]:
    """Probes alone for ``baseline`` s, then while ``connections`` slow and idle clients
    (a third of each kind) hold connections open for ``duration`` s."""
    quiet = probe_loop(stack.url, time.monotonic() + baseline)
    attackers = [Attacker(KINDS[k % len(KINDS)], stack.port) for k in range(connections)]
    counts: dict[str, int] = {}
    stop = threading.Event()
    try:
        for attacker in attackers:
            attacker.connect()
        time.sleep(0.5)  # the server has them all before the probes start
        thread = threading.Thread(target=attack, args=(attackers, stop, counts), daemon=True)
        thread.start()
        under = probe_loop(stack.url, time.monotonic() + duration)
        stop.set()
        thread.join(30)
        still_open = sum(1 for a in attackers if a.sock is not None and not a.closed_by_server())
    finally:
        stop.set()
        for attacker in attackers:
            attacker.close()
    settings = stack.all_settings()
    return {"connections": connections, "duration_s": duration,
            "by_kind": {kind: sum(1 for a in attackers if a.kind == kind) for kind in KINDS},
            "workers_x_threads": f"{settings.get('workers', 2)} x {settings.get('threads', 4)}",
            "closed_by_server": counts, "open_at_end": still_open,
            "baseline": quiet, "under_attack": under}


def slow(backends: list[str], work: Path, *, connections: int = 200,
         duration: float = 30) -> dict[str, Any]:
    return each_backend(backends, work, f"slow, {connections} connections, {duration:g} s",
                        lambda stack: slow_run(stack, connections=connections,
                                               duration=duration))


# ---------------------------------------------------------------------- fuzz


def fuzz(args: list[str]) -> int:
    """``python bench/fuzz.py ARGS`` (another harness, run as it is); its exit code."""
    script = HERE / "fuzz.py"
    if not script.exists():
        progress("fuzz: bench/fuzz.py is not there (yet): nothing run")
        return 2
    return subprocess.run([sys.executable, str(script), *args], check=False).returncode


# ---------------------------------------------------------------------- tables


def machine() -> str:
    import platform

    memory = ""
    with contextlib.suppress(OSError, StopIteration, ValueError):
        kib = int(next(line for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal")).split()[1])
        memory = f", {kib / 2**20:.0f} GiB"
    return (f"{platform.machine()}, {os.cpu_count()} CPUs{memory}, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, load average "
            f"{os.getloadavg()[0]:.1f} at the start")


def _n(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _skipped(results: dict[str, Any]) -> list[str]:
    return [f"- {b}: not run: {r['skipped']}" for b, r in results.items() if "skipped" in r]


def crash_table(results: dict[str, Any]) -> list[str]:
    lines = ["| backend | trials | acknowledged writes | lost acknowledged | partial groups | "
             "unacknowledged (outcome unknown) / of them stored | refused (non-2xx) | "
             "restart s p50 / max | first acknowledged write after restart s p50 / max |",
             "|---|---|---|---|---|---|---|---|---|"]
    detail = ["| backend | killed | trials | acknowledged | lost | partial | "
              "restart s p50 / max | first write s p50 / max | writes refused after restart |",
              "|---|---|---|---|---|---|---|---|---|"]
    for backend, r in results.items():
        if "skipped" in r:
            continue
        lines.append(f"| {backend} | {len(r['trials'])} | {r['acked']} | {r['lost']} | "
                     f"{r['partial']} | {r['unknown']} / {r['unknown_stored']} | {r['refused']} | "
                     f"{_n(r['restart_p50'])} / {_n(r['restart_max'])} | "
                     f"{_n(r['first_write_p50'])} / {_n(r['first_write_max'])} |")
        for killed in sorted({t["killed"] for t in r["trials"]}):
            runs = [t for t in r["trials"] if t["killed"] == killed]
            totals = crash_totals(runs)
            detail.append(
                f"| {backend} | {killed} | {len(runs)} | {totals['acked']} | {totals['lost']} | "
                f"{totals['partial']} | {_n(totals['restart_p50'])} / "
                f"{_n(totals['restart_max'])} | {_n(totals['first_write_p50'])} / "
                f"{_n(totals['first_write_max'])} | "
                f"{sum(t['refused_after_restart'] for t in runs)} |")
    return [*lines, "", "By what was killed:", "", *detail]


def concurrency_table(results: dict[str, Any]) -> list[str]:
    lines = ["| backend | clients | seconds | reads | writes (moves + marks) | errors | "
             "lost writes (moves + marks) | moves counted, never acknowledged | "
             "invariant violations | reads that went back | read p50 / p99 ms | "
             "write p50 / p99 / max ms | operations/s (writes/s) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for backend, r in results.items():
        if "skipped" in r:
            continue
        lost = (r["lost_moves"] or 0) + r["lost_marks"]
        lines.append(
            f"| {backend} | {r['clients']} | {r['duration_s']} | {r['reads']} | "
            f"{r['writes']} ({r['moves_acked']} + {r['marks_acked']}) | {r['errors']} | "
            f"{lost} ({_n(r['lost_moves'])} + {r['lost_marks']}) | {_n(r['extra_moves'])} | "
            f"{r['violations'] + (r['final_state_violation'] is not None)} | "
            f"{r['reads_backwards']} | {_n(r['read_p50_ms'])} / {_n(r['read_p99_ms'])} | "
            f"{_n(r['write_p50_ms'])} / {_n(r['write_p99_ms'])} / "
            f"{_n(r.get('write_max_ms'))} | {r['ops_per_s']} "
            f"({r['writes_per_s']}) |")
    errors = [f"- {b}: {r['errors_by_kind']}; e.g. {r['error_samples'][:2]}"
              for b, r in results.items() if r.get("errors")]
    return lines + (["", *errors] if errors else [])


def load_table(results: dict[str, Any]) -> list[str]:
    lines = ["| backend | connections | requests | requests/s | p50 ms | p99 ms | non-2xx | "
             "socket errors | error rate |", "|---|---|---|---|---|---|---|---|---|"]
    for backend, r in results.items():
        for run in r.get("runs", []):
            lines.append(f"| {backend} | {run['concurrency']} | {run['requests']} | "
                         f"{run['per_second']} | {_n(run['p50_ms'])} | {_n(run['p99_ms'])} | "
                         f"{run['non_2xx']} | {run['socket_errors']} | "
                         f"{run['error_rate']:.2%} |")
    return lines


def slow_table(results: dict[str, Any]) -> list[str]:
    lines = ["| backend | slow connections (slowloris / slow body / idle keep-alive) | "
             "probe | alone: answered / attempted, p50 / p99 ms | under attack: answered / "
             "attempted | under attack: p50 / p99 / max ms | failures | "
             "attackers closed by the server (and reopened) |",
             "|---|---|---|---|---|---|---|---|"]
    for backend, r in results.items():
        if "skipped" in r:
            continue
        kinds = " / ".join(str(r["by_kind"][k]) for k in KINDS)
        closed = ", ".join(f"{k} {n}" for k, n in sorted(r["closed_by_server"].items()))
        for probe, under in r["under_attack"].items():
            quiet = r["baseline"][probe]
            lines.append(
                f"| {backend} | {r['connections']} ({kinds}) | {probe} | "
                f"{quiet['answered']} / {quiet['attempted']}, {_n(quiet['p50_ms'])} / "
                f"{_n(quiet['p99_ms'])} | {under['answered']} / {under['attempted']} | "
                f"{_n(under['p50_ms'])} / {_n(under['p99_ms'])} / {_n(under['max_ms'])} | "
                f"{under['failures'] or 0} | {closed or 0} |")
    return lines


TABLES = {"crash": crash_table, "concurrency": concurrency_table, "load": load_table,
          "slow": slow_table}
TITLES = {
    "crash": "Crash safety: SIGKILL while acknowledged writes stream",
    "concurrency": "Concurrency: readers and writers at once, an invariant every write keeps",
    "load": "Load: wrk on loopback, a fixed mix",
    "slow": "Slow and idle clients: health and queries while they hold connections",
}


def write_results(name: str, results: dict[str, Any], notes: list[str], command: str,
                  out: Path, began: str, host: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"stress-{name}.md"
    body = [f"# {TITLES[name]}", "",
            f"Machine: {host}. Date: {began} (UTC). Re-run: `{command}`.", "",
            *TABLES[name](results), "", *notes, *_skipped(results), ""]
    path.write_text("\n".join(body))
    (out / f"stress-{name}.json").write_text(json.dumps(
        {"command": command, "date": began, "machine": host, "results": results},
        indent=1, default=sorted) + "\n")
    return path


NOTES = {
    "crash": [
        "Each trial: 4 client threads stream writes (each a group of "
        f"{GROUP} triples about one subject with one marker; 70% SPARQL `INSERT DATA`, 30% "
        "Graph Store POST) through the service; 0.5 to 3 s after the first acknowledgement "
        "(uniform, seeded) the service's whole session (gunicorn master, workers, the "
        "embedded store's reader and writer processes) gets SIGKILL at once; on the remote "
        "backends the SPARQL server is killed too in every second trial. Then both start "
        "again on the same data, a probe write is retried until acknowledged (first write "
        "after restart), and every group stored so far is counted by subject. *Lost*: "
        "acknowledged (2xx) but not wholly present; *partial*: a group stored with fewer "
        f"than {GROUP} triples. Unacknowledged writes (no answer: cut by the kill) may be "
        "either. Restart: from starting the processes to `/readyz` 200. Settings: "
        "`validate_on_write = false`, the rest at their defaults (`write_timeout` 600 s: the "
        "remote write lock's lease is twice that, but a claim whose holder on this machine "
        "is gone is broken at once (store/remote_lock.py), so a killed instance does not "
        "block writes for the lease; it did, 27 to 30 s with a 15 s write_timeout, before "
        "that fix).",
    ],
    "concurrency": [
        "Clients (threads, each with its keep-alive session) pick at random: 70% reads of "
        "the accounts' state (one SELECT of balance a, balance b and the move count), 15% "
        "moves (one `DELETE/INSERT … WHERE` taking 1 from a, adding 1 to b and counting "
        "the move), 15% `INSERT DATA` of a unique marker. A read violates the invariant "
        "unless it returns one row with a + b constant and a, b exactly what its move "
        "count says (the old or the new state, never a mix). *Lost writes*: moves "
        "acknowledged minus the final count, plus markers acknowledged and missing. "
        "*Reads that went back*: a client saw fewer moves than it had seen before. Errors: "
        "any non-2xx or socket error. Writes not validated; answers are cached per store "
        "generation as always.",
    ],
    "load": [
        "`wrk` with 1 or 2 threads and the given keep-alive connections, round-robin over "
        "a fixed mix: a SPARQL SELECT by GET (the same text: after its first answer the "
        "per-generation cache serves it), the entity page `/id/state/japan.html`, "
        "`/healthz`. Error rate: (non-2xx + socket errors) / requests. The load generator "
        "and the server share the 2 cores.",
    ],
    "slow": [
        "Raw sockets, a third of each kind: *slowloris* sends its headers a byte a second "
        "and never ends them; *slow body* sends whole headers with `Content-Length: "
        "100000` and then a body byte a second; *idle keep-alive* sends one whole request, "
        "reads the answer and stays silent. A connection the server closes is opened "
        "again at once (so the count holds). Meanwhile `/healthz` and a SPARQL ASK "
        "alternate every 0.2 s, each on a new connection with a 10 s timeout; *alone* is "
        "5 s of the same probes before the attack. Server defaults: 2 workers x 4 threads, "
        "`client_timeout` 10 s, `request_read_timeout` 60 s, `keepalive` 5 s.",
    ],
}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = top.add_subparsers(dest="command", required=True)

    def sub(name: str, help_: str) -> argparse.ArgumentParser:
        p = commands.add_parser(name, help=help_)
        p.add_argument("--backends", default=",".join(BACKENDS),
                       help="comma-separated, of " + ", ".join(BACKENDS))
        p.add_argument("--out", type=Path, default=RESULTS, help="folder of the tables")
        p.add_argument("--work", type=Path, default=None,
                       help="folder for stores and logs (default: a new temporary one)")
        return p

    crashing, everything = sub("crash", "kill -9 while writes stream"), sub("all", "every run")
    for p in (crashing, everything):
        p.add_argument("--trials", type=int, default=20)
        p.add_argument("--writers", type=int, default=4)
    # each run's own sub-command says --duration; `all` names whose duration it is
    for name, help_, default, more in (
            ("concurrency", "clients and an invariant", 60, ("--clients", 16)),
            ("load", "wrk at fixed concurrencies", 20, ("--concurrencies", "1,4,16,64")),
            ("slow", "slow and idle clients", 30, ("--connections", 200))):
        own = sub(name, help_)
        own.add_argument("--duration", dest=f"{name}_duration", type=float, default=default)
        everything.add_argument(f"--{name}-duration", dest=f"{name}_duration", type=float,
                                default=default)
        for p in (own, everything):
            p.add_argument(more[0], type=type(more[1]), default=more[1])
    fuzzing = commands.add_parser("fuzz", help="bench/fuzz.py with the remaining arguments")
    fuzzing.add_argument("rest", nargs=argparse.REMAINDER)
    return top


def run_one(name: str, opts: argparse.Namespace, work: Path, command: str) -> Path:
    backends = [b.strip() for b in opts.backends.split(",") if b.strip()]
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        raise SystemExit(f"unknown backends: {', '.join(sorted(unknown))}")
    began = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    host = machine()
    if name == "crash":
        results = crash(backends, work, trials=opts.trials, writers=opts.writers)
    elif name == "concurrency":
        results = concurrency(backends, work, clients=opts.clients,
                              duration=opts.concurrency_duration)
    elif name == "load":
        results = load(backends, work, duration=opts.load_duration,
                       concurrencies=tuple(int(c) for c in opts.concurrencies.split(",")))
    else:
        results = slow(backends, work, connections=opts.connections,
                       duration=opts.slow_duration)
    path = write_results(name, results, NOTES[name], command, opts.out, began, host)
    progress(f"{name}: {path}")
    return path


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    opts = parser().parse_args(argv)
    if opts.command == "fuzz":
        return fuzz(opts.rest)
    command = "python bench/stress.py " + " ".join(argv)
    with contextlib.ExitStack() as stack:
        work = opts.work or Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="ag-stress-")))
        names = ["crash", "concurrency", "load", "slow"] if opts.command == "all" \
            else [opts.command]
        for name in names:
            run_one(name, opts, work / name, command)
    if opts.command == "all":
        return fuzz([])
    return 0


if __name__ == "__main__":
    sys.exit(main())
