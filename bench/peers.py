"""Issue 13's benchmark against peers: every system side by side in one run.

    .venv/bin/python bench/peers.py --scale 1e5                  # ~10 min on 2 cores
    .venv/bin/python bench/peers.py --scale 1e6 --duration 4     # the targets' size
    .venv/bin/python bench/peers.py --scale 300 --duration 0.5 --concurrency 1 2 \\
        --systems service-embedded oxigraph floor --out /tmp/peers       # smoke

Systems, over the same quads (the embedded store's dump, so every one answers on the same
data): this service on the embedded store (``service-embedded``); this service with the
remote backend in front of the Oxigraph server below (``service-remote``); Oxigraph server
directly (``oxigraph``); Virtuoso directly (``virtuoso``, through ``bench/virtuoso.py``);
rdflib-endpoint (``rdflib-endpoint``); pyoxigraph in-process, no HTTP (``floor``); and the
service's own gunicorn serving a Flask app with one fixed answer (``flask-ceiling``: what
any Flask service could serve here, whatever its store). Peer installs come from
``bench/store_seam.py`` (its peers venv, its servers, its clients).

Data: ``alliancegraph build`` (the bundled graph) plus ``--scale`` quads of
``bench/generate.py``, loaded with ``alliancegraph load --no-validate`` (inference on).

Figures, each in this one run and each as a ratio to Oxigraph server direct:

* load: wall time and peak memory of each system's loader (its process and children);
* queries: for every class of :data:`CLASSES` and for the mix (every class and every shipped
  ``graph/queries/*.rq``, round-robin), p50/p99 latency and requests/s at each
  ``--concurrency``, from ``wrk`` (Debian ``wrk``; a Lua script gives each request a new
  trailing comment, so no answer cache serves it) for ``--duration`` s; the floor runs the
  same texts on threads in-process (pyoxigraph releases the GIL), serialising each answer;
* the entity page ``/id/state/japan.html``: p50 served, and p50 right after a write;
* a 100-triple validated ``INSERT DATA`` (bench/validation_on_write.py's update) through
  the service; the same update unvalidated on the peers that take updates.

All servers run at once; each measurement is taken on one system after another, and only
once every server's processes are idle (a peer keeps computing an answer whose client has
gone), so a change in the shared machine's load falls on every system alike. Results:
``<out>.json``, ``<out>.md`` (default ``bench/results/peers-<scale>``), and
``bench/results/peers.md`` (every size measured so far, how each figure grows, and the
hand-written reading ``peers.notes.md``). ``--profile SYSTEM:CLASS …`` profiles the service
with py-spy instead (``bench/results/profiles/``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bulk_load
import store_seam
import system_packages
from store_seam import (
    BASE,
    JAPAN,
    PREFIXES,
    QUERIES,
    WRITE_TOKEN,
    Server,
    free_port,
    progress,
    request,
    run,
    serving,
)

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PAGE = "/id/state/japan.html"
SELECT_JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"
SKOS = "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
#: query class -> (SPARQL, Accept): issue 13's mix, from the competency questions
CLASSES: dict[str, tuple[str, str]] = {
    "point lookup": (f"SELECT ?label WHERE {{ <{JAPAN}> rdfs:label ?label }}", SELECT_JSON),
    "multi-join": ("SELECT ?footnote ?title WHERE { ?footnote ag:ofPaper "
                   f"<{BASE}id/paper-a> ; ag:citesWork ?work . ?work dcterms:title ?title }}",
                   SELECT_JSON),
    "aggregate": ("SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type",
                  SELECT_JSON),
    "property path": ("SELECT ?claim WHERE { ?claim ag:about "
                      f"<{JAPAN}> ; a/rdfs:subClassOf* ag:Claim }}", SELECT_JSON),
    "OPTIONAL + language filter": (
        SKOS + "SELECT ?state ?en ?ja WHERE { ?state a ag:State ; skos:prefLabel ?en "
        'FILTER(lang(?en) = "en") OPTIONAL { ?state skos:prefLabel ?ja '
        'FILTER(lang(?ja) = "ja") } }', SELECT_JSON),
    "DESCRIBE": (f"DESCRIBE <{JAPAN}>", NTRIPLES),
    "CONSTRUCT": ("CONSTRUCT { ?claim rdfs:label ?label ; ag:claimedBy ?paper } WHERE { "
                  f"?claim ag:about <{JAPAN}> ; rdfs:label ?label ; ag:claimedBy ?paper }}",
                  NTRIPLES),
}
MIX = "mix"
SYSTEMS = ("service-embedded", "service-remote", "oxigraph", "virtuoso", "rdflib-endpoint",
           "floor", "flask-ceiling")
LABELS = {"service-embedded": "service, embedded store",
          "service-remote": "service, remote Oxigraph server",
          "oxigraph": "Oxigraph server direct", "virtuoso": "Virtuoso direct",
          "rdflib-endpoint": "rdflib-endpoint", "floor": "pyoxigraph in-process (floor)",
          "flask-ceiling": "Flask + gunicorn, fixed answer (ceiling)"}
#: issue 13's targets at 10^6 (ratios of requests/s; page p50 in ms)
MIX_TARGET, POINT_TARGET, RDFLIB_TARGET, REMOTE_TARGET, PAGE_TARGET = 0.8, 0.3, 20.0, 0.7, 20.0
#: wrk's script: requests from the file $WRK_REQUESTS ("Accept<TAB>path" lines), round-robin
#: from a start of each thread's own, each made new by a trailing SPARQL comment (so no
#: answer cache serves it); at the end one line of JSON (latencies in microseconds)
WRK_LUA = r"""
local requests, n, i, count = {}, 0, 0, 0
function setup(thread) count = count + 1; thread:set("id", count) end
function init(args)
  for line in io.lines(os.getenv("WRK_REQUESTS")) do
    local accept, path = line:match("^([^\t]*)\t(.*)$")
    requests[#requests + 1] = {accept = accept, path = path}
  end
  i = (id * 7919) % #requests
end
function request()
  i = i % #requests + 1
  n = n + 1
  local r = requests[i]
  return wrk.format("GET", r.path .. "%0A%23+wrk+" .. id .. "-" .. n, {Accept = r.accept})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests": %d, "duration_us": %d, "connect": %d, ' ..
    '"read": %d, "write": %d, "status": %d, "timeout": %d, "p50": %f, "p99": %f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def texts(name: str) -> list[tuple[str, str]]:
    """(SPARQL, Accept) of a class, or of every class and shipped query for the mix."""
    if name != MIX:
        sparql, accept = CLASSES[name]
        return [(PREFIXES + sparql, accept)]
    shipped = [(p.read_text(), SELECT_JSON) for p in sorted(QUERIES.glob("*.rq"))]
    return [t for n in CLASSES for t in texts(n)] + shipped


# ---------------------------------------------------------------------- processes


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from /proc)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in task.read_text().split()]
    return found


def _status_kb(pid: int, field: str) -> int:
    with contextlib.suppress(OSError, StopIteration, ValueError):
        line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines()
                    if x.startswith(field + ":"))
        return int(line.split()[1])
    return 0


def peak_mb(pid: int) -> float:
    """The sum of each process's peak resident memory (VmHWM) over the tree of ``pid``
    (shared pages count once per process, so an upper bound)."""
    return sum(_status_kb(p, "VmHWM") for p in tree(pid)) / 1024


def cpu_seconds(pid: int) -> float:
    total = 0
    for p in tree(pid):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def quiesce(pids: list[int], *, limit: float = 60.0) -> float:
    """Wait until the trees of ``pids`` use under 5% of a core over 0.5 s (a server still
    computing an abandoned answer would slow the next measurement); seconds waited."""
    began = time.monotonic()
    while time.monotonic() - began < limit:
        before = sum(cpu_seconds(p) for p in pids)
        time.sleep(0.5)
        if sum(cpu_seconds(p) for p in pids) - before < 0.025:
            break
    return time.monotonic() - began


# ---------------------------------------------------------------------- load generators


@dataclass
class Endpoint:
    """Where a system answers SPARQL over HTTP, and the process tree serving it."""

    system: str
    host: str
    port: int
    sparql_path: str
    pid: int
    update_path: str | None = None
    auth: Any = None  # a requests auth for updates (Virtuoso: HTTP Digest)
    #: other processes it stands on (the remote service: its Oxigraph server)
    also: tuple[int, ...] = ()

    @property
    def server(self) -> Server:
        return Server(self.system, self.port, self.sparql_path, None, None, Path())  # type: ignore[arg-type]

    def get_path(self, sparql: str) -> str:
        return f"{self.sparql_path}?{urllib.parse.urlencode({'query': sparql})}"


def wrk(endpoint: Endpoint, requests: list[tuple[str, str]], *, concurrency: int,
        duration: float, timeout: float, work: Path) -> dict[str, Any]:
    """``wrk`` with ``concurrency`` keep-alive connections for ``duration`` s over
    ``requests`` (path, Accept), round-robin, each text made new by a trailing comment."""
    listing, script = work / "wrk-requests.tsv", work / "wrk.lua"
    script.write_text(WRK_LUA)
    listing.write_text("".join(f"{accept}\t{path}\n" for path, accept in requests))
    threads = max(1, min(concurrency, 2))
    seconds = max(1, round(duration))  # wrk takes whole seconds
    command = [system_packages.ensure("wrk"), "-t", str(threads), "-c", str(concurrency),
               "-d", f"{seconds}s",
               "--timeout", f"{timeout:.0f}s", "-s", str(script),
               f"http://{endpoint.host}:{endpoint.port}/"]
    env = {**os.environ, "WRK_REQUESTS": str(listing)}
    out = run(command, env=env, timeout=seconds + timeout + 60)
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    raw = json.loads(line[len("WRKJSON "):])
    seconds = raw["duration_us"] / 1e6
    errors = {k: raw[k] for k in ("connect", "read", "write", "status", "timeout") if raw[k]}
    return {"requests": raw["requests"], "per_second": raw["requests"] / seconds,
            "p50": raw["p50"] / 1000 if raw["requests"] else None,
            "p99": raw["p99"] / 1000 if raw["requests"] else None,
            "errors": errors, "tool": "wrk"}


def probe(endpoint: Endpoint, sparql: str, accept: str) -> dict[str, Any]:
    """One request, timed: its status and answer size (the systems should agree)."""
    began = time.perf_counter()
    status, body = request((endpoint.host, endpoint.port), "GET", endpoint.get_path(sparql),
                           {"Accept": accept})
    return {"status": status, "bytes": len(body), "lines": body.count(b"\n"),
            "ms": (time.perf_counter() - began) * 1000}


def measure_queries(endpoints: dict[str, Endpoint], systems: dict, opts: Options) -> None:
    """Every class then the mix, at every concurrency, on each system in turn, after the
    machine's servers are idle. A class whose one answer on a system takes over
    ``opts.slow_cap`` s is not put under load there: that answer is its figure."""
    pids = [p for e in endpoints.values() for p in (e.pid, *e.also)]
    for name in [*CLASSES, MIX]:
        items = texts(name)
        for system, endpoint in endpoints.items():
            mine = systems[system].setdefault("queries", {})[name] = {"at": {}}
            if name == MIX:
                continue
            quiesce(pids)
            try:
                mine["answer"] = probe(endpoint, *items[0])
            except OSError as exc:
                mine["answer"] = {"status": f"no answer: {exc}", "bytes": 0, "lines": 0,
                                  "ms": float("inf")}
            if mine["answer"]["ms"] > opts.slow_cap * 1000:
                ms = mine["answer"]["ms"]
                mine["capped"] = {"requests": 1, "per_second": 1000 / ms, "p50": ms, "p99": ms,
                                  "errors": {}, "tool": "one request"}
        # the mix system by system, rdflib-endpoint last and then stopped: it goes on
        # computing the heavy shipped queries its clients gave up on, for minutes
        order = [(c, s) for c in opts.concurrency for s in endpoints] if name != MIX else \
            [(c, s) for s in sorted(endpoints, key=lambda s: s == "rdflib-endpoint")
             for c in opts.concurrency]
        for c, system in order:
            mine = systems[system]["queries"][name]
            if not mine.get("capped"):
                cell(endpoints[system], mine, name, items, c, pids, opts)
            if name == MIX and system == "rdflib-endpoint" and c == opts.concurrency[-1]:
                stop(endpoints[system], systems[system])


def cell(endpoint: Endpoint, mine: dict, name: str, items: list, c: int, pids: list[int],
         opts: Options) -> None:
    """One measurement: ``items`` at concurrency ``c`` with wrk, once every server is idle."""
    waited = quiesce(pids)
    progress(f"{endpoint.system}: {name}, concurrency {c}"
             + (f" (waited {waited:.0f} s for idle servers)" if waited > 5 else ""))
    requests = [(endpoint.get_path(sparql), accept) for sparql, accept in items]
    duration = opts.duration * (opts.mix_factor if name == MIX else 1)
    try:
        mine["at"][str(c)] = wrk(endpoint, requests, concurrency=c, duration=duration,
                                 timeout=opts.request_timeout, work=opts.work)
        mine["at"][str(c)]["waited"] = waited
    except (RuntimeError, StopIteration, subprocess.SubprocessError) as exc:
        mine.setdefault("failed", {})[str(c)] = str(exc)[-500:]


def stop(endpoint: Endpoint, mine: dict) -> None:
    """Stop a server early (its serving() sees it gone); its peak memory first."""
    mine["serving_peak_mb"] = peak_mb(endpoint.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(endpoint.pid, signal.SIGTERM)
    mine["stopped_early"] = True


def result_at(measured: dict, name: str, c: int) -> dict | None:
    row = (measured.get("queries") or {}).get(name) or {}
    return row.get("capped") or (row.get("at") or {}).get(str(c))


# ---------------------------------------------------------------------- the floor


def floor_worker(spec_path: Path) -> None:
    """In another process: bulk-load the dump into a pyoxigraph store on disk (time, peak
    memory), then run every class and the mix on ``c`` threads for each concurrency."""
    import pyoxigraph as ox

    spec = json.loads(spec_path.read_text())
    store = ox.Store(spec["location"])
    began = time.perf_counter()
    store.bulk_load(path=spec["dump"], format=ox.RdfFormat.N_QUADS)
    store.flush()
    loaded = {"seconds": time.perf_counter() - began,
              "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    queries: dict[str, Any] = {}
    for name, items in spec["classes"].items():
        mine = queries[name] = {"at": {}}
        if name != MIX:
            began = time.perf_counter()
            answer = _floor_answer(store, *items[0])
            ms = (time.perf_counter() - began) * 1000
            mine["answer"] = {"status": 200, "bytes": len(answer), "ms": ms,
                              "lines": answer.count(b"\n")}
            if ms > spec["slow_cap"] * 1000:
                mine["capped"] = {"requests": 1, "per_second": 1000 / ms, "p50": ms,
                                  "p99": ms, "errors": {}, "tool": "one call"}
                continue
        for c in spec["concurrency"]:
            duration = spec["duration"] * (spec["mix_factor"] if name == MIX else 1)
            mine["at"][str(c)] = _floor_load(store, items, c, duration)
    print(json.dumps({"load": loaded, "queries": queries}))


def _floor_answer(store: Any, sparql: str, accept: str) -> bytes:
    import pyoxigraph as ox

    results = store.query(sparql, use_default_graph_as_union=True)
    if isinstance(results, ox.QueryTriples):
        return results.serialize(format=ox.RdfFormat.N_TRIPLES)
    return results.serialize(format=ox.QueryResultsFormat.JSON)


def _floor_load(store: Any, items: list, concurrency: int, duration: float) -> dict:
    stop = time.perf_counter() + duration
    latencies: list[list[float]] = [[] for _ in range(concurrency)]

    def client(k: int) -> None:
        i = k * 7919  # each thread starts elsewhere in the list, as wrk's do
        while time.perf_counter() < stop:
            began = time.perf_counter()
            _floor_answer(store, *items[i % len(items)])
            latencies[k].append((time.perf_counter() - began) * 1000)
            i += 1

    began = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    times = sorted(t for per in latencies for t in per)
    return {"requests": len(times), "per_second": len(times) / elapsed,
            "p50": statistics.median(times) if times else None,
            "p99": times[int(0.99 * (len(times) - 1))] if times else None,
            "errors": {}, "tool": "threads"}


def measure_floor(dump: Path, opts: Options) -> dict[str, Any]:
    location = fresh_dir(opts.work / "floor-store")
    spec = opts.work / "floor-spec.json"
    spec.write_text(json.dumps({
        "location": str(location), "dump": str(dump), "slow_cap": opts.slow_cap,
        "concurrency": opts.concurrency, "duration": opts.duration,
        "mix_factor": opts.mix_factor,
        "classes": {n: texts(n) for n in [*CLASSES, MIX]}}))
    progress("floor: pyoxigraph in-process")
    out = run([sys.executable, __file__, "--floor-worker", str(spec)], timeout=7200)
    return json.loads(out.strip().splitlines()[-1])


# ---------------------------------------------------------------------- the service


def fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def build_service_store(generated: Path, opts: Options) -> tuple[Path, dict[str, Any]]:
    """``alliancegraph build`` then ``alliancegraph load --no-validate`` of the generated
    quads: each step's time and peak memory (its process and children)."""
    data = fresh_dir(opts.work / "service-store")
    cli = str(Path(sys.executable).with_name("alliancegraph"))
    build = bulk_load.measure("alliancegraph build", [cli, "build", "--data-dir", str(data),
                                                      "--quiet", "--no-docs"], limit=3600)
    if build.exit_code != 0:
        raise RuntimeError(f"alliancegraph build failed: {build.note}")
    backup = opts.work / "service-store-built"
    shutil.rmtree(backup, ignore_errors=True)
    shutil.copytree(data, backup)
    command = [cli, "load", "--quiet", "--no-validate", "--data-dir", str(data),
               str(generated)]
    load = bulk_load.measure("alliancegraph load --no-validate", command, limit=3600)
    note = ""
    if load.exit_code != 0 and "max_memory_mb" in load.note:
        # the writer's memory cap (setting max_memory_mb) refused it: the documented remedy
        # is a higher cap; the failure stays in the results
        note = f"with the default max_memory_mb: {load.note}; loaded with 8192"
        shutil.rmtree(data)
        shutil.copytree(backup, data)
        os.environ["ALLIANCEGRAPH_MAX_MEMORY_MB"] = "8192"
        try:
            load = bulk_load.measure("alliancegraph load --no-validate "
                                     "(max_memory_mb 8192)", command, limit=3600)
        finally:
            del os.environ["ALLIANCEGRAPH_MAX_MEMORY_MB"]
    shutil.rmtree(backup, ignore_errors=True)
    if load.exit_code != 0:
        raise RuntimeError(f"{load.name} failed: {load.note}")
    steps = [build, load]
    return data, {"seconds": sum(s.seconds for s in steps),
                  "peak_mb": max(s.peak_mb for s in steps), "failed_first": note,
                  "steps": [{"name": s.name, "seconds": s.seconds, "peak_mb": s.peak_mb}
                            for s in steps]}


def service_env(data_dir: Path, port: int, remote: Endpoint | None) -> dict[str, str]:
    install = store_seam.Install("after", Path(sys.executable))
    env = store_seam.service_env(install, data_dir, port)
    if remote:
        base = f"http://{remote.host}:{remote.port}"
        env.update({"ALLIANCEGRAPH_STORE": "remote",
                    "ALLIANCEGRAPH_REMOTE_QUERY_URL": f"{base}/query",
                    "ALLIANCEGRAPH_REMOTE_UPDATE_URL": f"{base}/update",
                    "ALLIANCEGRAPH_REMOTE_GRAPH_STORE_URL": f"{base}/store"})
    return env


@contextlib.contextmanager
def serve_service(name: str, data_dir: Path, opts: Options,
                  remote: Endpoint | None = None) -> Iterator[Endpoint]:
    port = free_port()
    cli = str(Path(sys.executable).with_name("alliancegraph"))
    # `alliancegraph serve` refuses store = 'remote' (service/cli.py); until it takes it,
    # the same gunicorn application is started from its class, with the same settings
    command = [sys.executable, "-c", REMOTE_SERVE] if remote else [cli, "serve"]
    with serving(name, command, port=port, sparql_path="/sparql",
                 ready_path="/healthz", write_path=None, log=opts.work / f"{name}.log",
                 env=service_env(data_dir, port, remote), timeout=600) as server:
        yield Endpoint(name, "127.0.0.1", port, "/sparql", server.process.pid,
                       update_path="/sparql")


REMOTE_SERVE = ("from alliancegraph.config import load_settings\n"
                "from alliancegraph.service.cli import GunicornServer\n"
                "GunicornServer(load_settings()).run()\n")
#: the service's gunicorn (same worker class, workers, threads) serving a Flask app that
#: answers every request with one fixed SPARQL result and does nothing else: the most any
#: Flask service can serve on this machine
CEILING_SERVE = """
import flask
from alliancegraph.config import load_settings
from alliancegraph.service.cli import GunicornServer

BODY = b'{"head":{"vars":["label"]},"results":{"bindings":[{"label":{"type":"literal",' \\
       b'"value":"Japan","xml:lang":"en"}}]}}'

def nothing(worker):
    pass

def nothing_at_exit(server, worker):
    pass

class Ceiling(GunicornServer):
    def load_config(self):
        super().load_config()
        self.cfg.set("post_worker_init", nothing)  # no store to open or close
        self.cfg.set("worker_exit", nothing_at_exit)

    def load(self):
        app = flask.Flask("ceiling")
        @app.route("/", defaults={"path": ""})
        @app.route("/<path:path>")
        def answer(path):
            return flask.Response(BODY, content_type="application/sparql-results+json")
        return app

Ceiling(load_settings()).run()
"""


@contextlib.contextmanager
def serve_ceiling(opts: Options) -> Iterator[Endpoint]:
    port = free_port()
    folder = fresh_dir(opts.work / "ceiling-data")
    folder.mkdir()
    with serving("flask-ceiling", [sys.executable, "-c", CEILING_SERVE], port=port,
                 sparql_path="/sparql", ready_path="/healthz", write_path=None,
                 log=opts.work / "flask-ceiling.log",
                 env=service_env(folder, port, None)) as server:
        yield Endpoint("flask-ceiling", "127.0.0.1", port, "/sparql", server.process.pid)


def page_times(endpoint: Endpoint, runs: int) -> dict[str, Any]:
    """The entity page: p50 served (the same store generation) and p50 right after a write
    (nothing computed for the old generation may be served: the page's own cost)."""
    server = endpoint.server
    served = store_seam.sequential(server, PAGE, "text/html", runs)
    fresh = []
    for k in range(runs):
        status, error = update(endpoint, payload(f"page-{k}"), token=True)
        if error:
            raise RuntimeError(f"the write before the page failed ({status}): {error}")
        began = time.perf_counter()
        status, _ = request((endpoint.host, endpoint.port), "GET", PAGE, {"Accept": "text/html"})
        fresh.append((time.perf_counter() - began) * 1000)
        served["statuses"][f"after a write: {status}"] = \
            served["statuses"].get(f"after a write: {status}", 0) + 1
    served["after_write_p50"] = statistics.median(fresh)
    return served


# ---------------------------------------------------------------------- writes


def payload(tag: str) -> str:
    """bench/validation_on_write.py's 100-triple INSERT DATA (8 claims of paper A), with
    claim IRIs of its own, so each run adds 100 new triples."""
    import validation_on_write

    return validation_on_write.insert_update().replace("/claim/bench-", f"/claim/bench-{tag}-")


def update(endpoint: Endpoint, sparql: str, *, token: bool) -> tuple[int, str]:
    """POST a SPARQL update; its status and, when it failed, the start of the answer."""
    import requests

    headers = {"Authorization": f"Bearer {WRITE_TOKEN}"} if token else {}
    answer = requests.post(f"http://{endpoint.host}:{endpoint.port}{endpoint.update_path}",
                           data={"update": sparql}, headers=headers, auth=endpoint.auth,
                           timeout=900)
    return answer.status_code, "" if answer.ok else answer.text[:300]


def write_times(endpoint: Endpoint, runs: int, *, token: bool) -> dict[str, Any]:
    times, statuses, errors = [], {}, set()
    for k in range(runs):
        sparql = payload(f"{endpoint.system}-{k}")
        if endpoint.system == "virtuoso":
            # Virtuoso 7.2 refuses blank nodes in INSERT DATA (SP031: "not allowed in a
            # constant clause"); INSERT {…} WHERE {} writes the same triples
            sparql = sparql.replace("INSERT DATA {", "INSERT {", 1) + "\nWHERE {}"
        began = time.perf_counter()
        status, error = update(endpoint, sparql, token=token)
        times.append((time.perf_counter() - began) * 1000)
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        if error:
            errors.add(" ".join(error.split())[:200])
    return {"p50": statistics.median(times), "runs": runs, "statuses": statuses,
            "errors": sorted(errors)}


# ---------------------------------------------------------------------- peers


def oxigraph_store(venv: Path, dump: Path, opts: Options) -> tuple[Path, dict[str, Any]]:
    location = fresh_dir(opts.work / "oxigraph-store")
    step = bulk_load.measure("oxigraph load", [str(venv / "bin" / "oxigraph"), "load",
                                               "--location", str(location), "--file",
                                               str(dump)], limit=3600)
    if step.exit_code != 0:
        raise RuntimeError(f"oxigraph load failed: {step.note}")
    return location, {"seconds": step.seconds, "peak_mb": step.peak_mb}


@contextlib.contextmanager
def serve_oxigraph(venv: Path, location: Path, opts: Options) -> Iterator[Endpoint]:
    port = free_port()
    command = [str(venv / "bin" / "oxigraph"), "serve", "--location", str(location),
               "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    with serving("oxigraph", command, port=port, sparql_path="/query",
                 ready_path="/query?query=ASK%7B%7D", write_path=None,
                 log=opts.work / "oxigraph.log") as server:
        yield Endpoint("oxigraph", "127.0.0.1", port, "/query", server.process.pid,
                       update_path="/update")


@contextlib.contextmanager
def serve_rdflib_endpoint(venv: Path, dump: Path, opts: Options
                          ) -> Iterator[tuple[Endpoint, dict[str, Any]]]:
    """rdflib-endpoint parses the dump when it starts: the time to its first answer and its
    peak memory then are its load."""
    began = time.perf_counter()
    with store_seam.serve_rdflib_endpoint(venv, dump, opts.work) as server:
        load = {"seconds": time.perf_counter() - began,
                "peak_mb": peak_mb(server.process.pid), "note": "start to first answer"}
        yield Endpoint("rdflib-endpoint", "127.0.0.1", server.port, "/",
                       server.process.pid), load


@contextlib.contextmanager
def serve_virtuoso(dump: Path, opts: Options) -> Iterator[tuple[Endpoint, dict[str, Any]]]:
    """Virtuoso through ``bench/virtuoso.py`` (a server of its own, loaded with the dump);
    RuntimeError with the reason when it cannot run here."""
    try:
        import virtuoso
    except ImportError as exc:
        raise RuntimeError(f"bench/virtuoso.py is not there: {exc}") from exc
    why = virtuoso.unavailable()
    if why:
        raise RuntimeError(why)
    # no query time limit (no other system has one) and buffers for the data: its own
    # guide sizes NumberOfBuffers by the data, and the others use what memory they need
    server = virtuoso.Virtuoso(fresh_dir(opts.work / "virtuoso"), max_query_seconds=None,
                               memory_mb=opts.virtuoso_mb)
    try:
        pid = _virtuoso_pid(server)
        began = time.perf_counter()
        server.load(dump)
        load = {"seconds": time.perf_counter() - began, "peak_mb": peak_mb(pid) if pid else None,
                "note": "bulk load into the running server; memory: the server's peak"}
        query = urllib.parse.urlsplit(server.query_url)
        update_path = urllib.parse.urlsplit(server.update_url).path
        yield Endpoint("virtuoso", query.hostname or "127.0.0.1", query.port or 80, query.path,
                       pid or 0, update_path=update_path,
                       auth=server.auth), load
    finally:
        server.stop()


def _virtuoso_pid(server: Any) -> int | None:
    process = getattr(server, "process", None)
    return getattr(process, "pid", None)


# ---------------------------------------------------------------------- the run


@dataclass
class Options:
    scale: int
    duration: float
    concurrency: list[int]
    systems: list[str]
    mix_factor: float
    slow_cap: float
    request_timeout: float
    page_runs: int
    write_runs: int
    work: Path
    peers_venv: Path | None = None
    virtuoso_mb: int = 2048


def run_all(opts: Options) -> dict[str, Any]:
    """Every system started at once over the same dump, then each measurement taken on
    each system in turn (so a change in the shared machine's load falls on all of them
    alike); the floor last, in a process of its own."""
    results: dict[str, Any] = {"systems": {}}
    systems = results["systems"]
    generated = opts.work / f"generated-{opts.scale}.nq"
    run([sys.executable, str(HERE / "generate.py"), "--quads", str(opts.scale), "--out",
         str(generated)])
    progress("service: building the store")
    data, service_load = build_service_store(generated, opts)
    dump = opts.work / "dump.nq"
    run([sys.executable, str(HERE / "store_api.py"), "dump", str(data), str(dump)])
    results["quads"] = store_seam.quads_in(dump)
    want = set(opts.systems)
    venv, skipped = peer_venv(opts, want)
    results["skipped"] = skipped
    results["versions"] = {p: store_seam.version_of(venv / "bin" / "python", p)
                           for p in ("oxigraph", "rdflib-endpoint")
                           if p in peers_wanted(want) and p not in skipped}
    with contextlib.ExitStack() as stack:
        endpoints = start_all(stack, want - set(skipped), venv, data, dump, service_load,
                              systems, opts)
        measure_queries(endpoints, systems, opts)
        for system, endpoint in endpoints.items():
            if not systems[system].get("stopped_early"):
                systems[system]["serving_peak_mb"] = peak_mb(endpoint.pid)
        for system in ("service-embedded", "service-remote"):
            if system in endpoints:
                progress(f"{system}: entity page")
                guarded(systems[system], lambda s=system: systems[s].update(
                    page=page_times(endpoints[s], opts.page_runs)))
        for system, endpoint in endpoints.items():
            if endpoint.update_path:
                progress(f"{system}: writes")
                guarded(systems[system], lambda s=system, e=endpoint: systems[s].update(
                    write=write_times(e, opts.write_runs, token=s.startswith("service"))))
    if "floor" in want:
        mine = systems["floor"] = {}
        guarded(mine, lambda: mine.update(measure_floor(dump, opts)))
    return results


def start_all(stack: contextlib.ExitStack, want: set[str], venv: Path, data: Path,
              dump: Path, service_load: dict, systems: dict, opts: Options
              ) -> dict[str, Endpoint]:
    """Load and start each wanted system (stopped when ``stack`` closes); a system that
    fails is recorded and left out."""
    endpoints: dict[str, Endpoint] = {}

    def start(system: str, begin: Any) -> None:
        mine = systems.setdefault(system, {})
        progress(f"{system}: loading and starting")
        guarded(mine, lambda: endpoints.__setitem__(system, begin(mine)))

    if "service-embedded" in want:
        systems["service-embedded"] = {"load": service_load}
        start("service-embedded",
              lambda mine: stack.enter_context(serve_service("service-embedded", data, opts)))
    if want & {"oxigraph", "service-remote"}:
        def oxigraph(mine: dict) -> Endpoint:
            location, mine["load"] = oxigraph_store(venv, dump, opts)
            return stack.enter_context(serve_oxigraph(venv, location, opts))
        start("oxigraph", oxigraph)
    if "service-remote" in want and "oxigraph" in endpoints:
        def remote(mine: dict) -> Endpoint:
            mine["load"] = {**systems["oxigraph"]["load"],
                            "note": "the Oxigraph server's load (it is the store)"}
            folder = fresh_dir(opts.work / "service-remote-data")
            folder.mkdir()
            endpoint = stack.enter_context(serve_service("service-remote", folder, opts,
                                                         remote=endpoints["oxigraph"]))
            endpoint.also = (endpoints["oxigraph"].pid,)
            return endpoint
        start("service-remote", remote)
    if "flask-ceiling" in want:
        systems["flask-ceiling"] = {"load": {"note": "no data: one fixed answer"}}
        start("flask-ceiling", lambda mine: stack.enter_context(serve_ceiling(opts)))
    for system, serve in (("virtuoso", lambda: serve_virtuoso(dump, opts)),
                          ("rdflib-endpoint", lambda: serve_rdflib_endpoint(venv, dump, opts))):
        if system in want:
            def peer(mine: dict, serve: Any = serve) -> Endpoint:
                endpoint, mine["load"] = stack.enter_context(serve())
                return endpoint
            start(system, peer)
    if "oxigraph" not in want:
        endpoints.pop("oxigraph", None)  # only the remote service's store
    return endpoints


def peers_wanted(systems: set[str]) -> list[str]:
    """The peer installs the systems need (the remote service needs Oxigraph server)."""
    return [p for p, users in (("oxigraph", {"oxigraph", "service-remote"}),
                               ("rdflib-endpoint", {"rdflib-endpoint"})) if systems & users]


def peer_venv(opts: Options, systems: set[str]) -> tuple[Path, dict[str, str]]:
    """The venv of the peers: ``--peers-venv`` as it is, else store_seam.py's (set up on
    first use under the work directory's parent); {peer: why skipped}."""
    wanted = peers_wanted(systems)
    if opts.peers_venv:
        return opts.peers_venv, {p: f"no {p} command in {opts.peers_venv}" for p in wanted
                                 if not (opts.peers_venv / "bin" / p).exists()}
    if not wanted:
        return opts.work, {}
    return store_seam.peers_venv(opts.work.parent, wanted)


def guarded(mine: dict, step: Any) -> None:
    """Run one system's step; a failure is recorded (and shown in the table), and the run
    goes on without it."""
    try:
        step()
    except (RuntimeError, OSError, subprocess.SubprocessError, StopIteration) as exc:
        mine["error"] = str(exc)[-1500:]
        progress(f"FAILED: {exc}")


# ---------------------------------------------------------------------- profiles


def profile(endpoint: Endpoint, name: str, opts: Options, out: Path, *, concurrency: int = 4,
            seconds: int = 10) -> Path:
    """py-spy over the serving process tree while wrk runs class ``name`` against it: a
    summary (top frames by own and by inclusive samples) in ``out``.md, the collapsed
    stacks in ``out``.txt."""
    spy = Path(sys.executable).with_name("py-spy")
    raw = out.with_suffix(".txt")
    spying = subprocess.Popen([str(spy), "record", "--pid", str(endpoint.pid),
                               "--subprocesses", "--nonblocking", "--format", "raw",
                               "--duration", str(seconds + 1), "--output", str(raw)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1)
    if name == "page":  # the entity page rendered anew: a write, then the page, again
        measured = pages_after_writes(endpoint, seconds)
        concurrency = 1
    else:
        requests = [(endpoint.get_path(sparql), accept) for sparql, accept in texts(name)]
        measured = wrk(endpoint, requests, concurrency=concurrency, duration=seconds,
                       timeout=opts.request_timeout, work=opts.work)
    _, errors = spying.communicate(timeout=120)
    if spying.returncode:
        raise RuntimeError(f"py-spy failed: {errors.decode(errors='replace')[-500:]}")
    out.with_suffix(".md").write_text(profile_summary(raw, endpoint.system, name, measured,
                                                      concurrency))
    return out.with_suffix(".md")


def pages_after_writes(endpoint: Endpoint, seconds: float) -> dict[str, Any]:
    """For ``seconds``: a write, then the entity page; the page's own times."""
    times = []
    stop_at = time.monotonic() + seconds
    while time.monotonic() < stop_at:
        update(endpoint, payload(f"profile-{len(times)}-{time.time_ns()}"), token=True)
        began = time.perf_counter()
        request((endpoint.host, endpoint.port), "GET", PAGE, {"Accept": "text/html"})
        times.append((time.perf_counter() - began) * 1000)
    return {"requests": len(times), "per_second": len(times) / seconds,
            "p50": statistics.median(times) if times else None}


def profile_summary(raw: Path, system: str, name: str, measured: dict,
                    concurrency: int, top: int = 25) -> str:
    """The frames of py-spy's collapsed stacks (``frame;frame;… count`` lines) that take
    the most samples: as the innermost frame (own) and anywhere on the stack (inclusive)."""
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [f for f in stack.split(";") if not f.startswith("process ")]
        total += int(count)
        if frames:
            own[frames[-1]] = own.get(frames[-1], 0) + int(count)
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + int(count)
    how = (f"wrk sent `{name}` at concurrency {concurrency}" if name != "page" else
           f"a client wrote 100 triples, then asked for `{PAGE}`, again and again (the "
           "figures: the page's)")
    lines = [f"# Profile: {name} through {LABELS.get(system, system)}", "",
             f"py-spy (100 Hz, every process of the server, idle threads left out) while "
             f"{how}: {measured['requests']} requests, "
             f"{measured['per_second']:,.0f}/s, p50 {_ms(measured['p50'])} ms. {total} samples."
             f" Written by `bench/peers.py --profile`; stacks: `{raw.name}`.", ""]
    for title, counts in (("own samples", own), ("inclusive samples", inclusive)):
        lines += [f"## Top frames by {title}", "", "| share | samples | frame |",
                  "|---:|---:|---|"]
        for frame, count in sorted(counts.items(), key=lambda kv: -kv[1])[:top]:
            lines.append(f"| {100 * count / max(total, 1):.1f}% | {count} "
                         f"| `{frame.replace('|', '/')}` |")
        lines.append("")
    return "\n".join(lines) + "\n"


def profile_main(opts: Options, cases: list[str]) -> list[Path]:
    """``--profile``: the stores a run of the same ``--work`` left (built again if absent),
    each case (``system:class``) served and profiled; summaries in results/profiles/."""
    generated = opts.work / f"generated-{opts.scale}.nq"
    data, dump = opts.work / "service-store", opts.work / "dump.nq"
    if not dump.exists():
        run([sys.executable, str(HERE / "generate.py"), "--quads", str(opts.scale), "--out",
             str(generated)])
        data, _ = build_service_store(generated, opts)
        run([sys.executable, str(HERE / "store_api.py"), "dump", str(data), str(dump)])
    folder = RESULTS / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for case in cases:
        system, _, name = case.partition(":")
        stem = folder / f"peers-{_size(opts.scale)}-{system}-{name.replace(' ', '-')}"
        progress(f"profile: {name} through {system}")
        if system == "service-embedded":
            with serve_service(system, data, opts) as endpoint:
                written.append(profile(endpoint, name, opts, stem))
        else:
            venv, _ = peer_venv(opts, {"oxigraph"})
            location, _ = oxigraph_store(venv, dump, opts)
            with serve_oxigraph(venv, location, opts) as oxigraph, \
                    serve_service(system, fresh_dir(opts.work / "profile-remote"), opts,
                                  remote=oxigraph) as endpoint:
                written.append(profile(endpoint, name, opts, stem))
    return written


# ---------------------------------------------------------------------- the tables

_ms, _verdict, _get = store_seam._ms, store_seam._verdict, store_seam._get


def _times(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}" if value >= 10 else f"{value:.2f}"


def rate(results: dict, system: str, name: str, c: int) -> float | None:
    row = result_at(results["systems"].get(system) or {}, name, c)
    return row["per_second"] if row and row["requests"] else None


def ratio(results: dict, system: str, name: str, c: int, base: str = "oxigraph"
          ) -> float | None:
    mine, theirs = rate(results, system, name, c), rate(results, base, name, c)
    return mine / theirs if mine is not None and theirs else None


def report(results: dict) -> str:
    info = results["run"]
    versions = ", ".join(f"{k} {v}" for k, v in (results.get("versions") or {}).items())
    lines = [f"# Peers at {results.get('quads', 0):,} quads: the service beside the systems "
             "it would replace", "",
             f"Generated by `bench/peers.py` (`{info['command']}`), started {info['started']} "
             f"UTC, {info['seconds']} s. Tree: {info['tree']}.",
             f"Machine: {info['machine']}. Peers: {versions or 'none'}.",
             "The machine has 2 cores shared with other work, and the load generator (wrk) "
             "runs on them too: read every figure as a ratio to Oxigraph server direct in "
             "this run, not as capacity. Every system serves the same quads and all run at "
             "once; each measurement is taken on one system after another, once all are "
             "idle, so a change in the machine's load falls on all alike.", ""]
    for system, data in results["systems"].items():
        if data.get("error"):
            lines += [f"**{LABELS[system]} failed**: {data['error']}", ""]
    for peer, why in (results.get("skipped") or {}).items():
        lines += [f"{peer} skipped: {why}", ""]
    lines += _targets(results) + _loads(results) + _ratios(results) + _details(results)
    lines += _pages(results)
    return "\n".join(lines) + "\n"


def _targets(results: dict) -> list[str]:
    opts = results["run"]["options"]
    lines = ["## Targets (issue 13; set for 10^6 triples)", "",
             "| target | figure | verdict |", "|---|---:|---|"]
    for c in opts["concurrency"]:
        for system, name, target, what in (
                ("service-embedded", MIX, MIX_TARGET, "embedded service, mix"),
                ("service-embedded", "point lookup", POINT_TARGET,
                 "embedded service, point lookups"),
                ("service-remote", MIX, REMOTE_TARGET, "remote-Oxigraph service, mix")):
            value = ratio(results, system, name, c)
            lines.append(f"| {what} ≥ {target}x Oxigraph server direct, concurrency {c} "
                         f"| {_times(value)} | {_verdict(value, target, at_most=False)} |")
        worst = [(ratio(results, "service-embedded", n, c, "rdflib-endpoint"), n)
                 for n in [*CLASSES, MIX]]
        worst = [w for w in worst if w[0] is not None]
        low = min(worst) if worst else (None, "")
        lines.append(f"| every class ≥ {RDFLIB_TARGET:.0f}x rdflib-endpoint, concurrency {c} "
                     f"| lowest {_times(low[0])} ({low[1]}) "
                     f"| {_verdict(low[0], RDFLIB_TARGET, at_most=False)} |")
    for system in ("service-embedded", "service-remote"):
        p50 = _get(results, "systems", system, "page", "p50")
        lines.append(f"| `{PAGE}` p50 ≤ {PAGE_TARGET:.0f} ms, {LABELS[system]} | {_ms(p50)} ms "
                     f"| {_verdict(p50, PAGE_TARGET, at_most=True)} |")
    build = _get(results, "systems", "service-embedded", "load", "seconds")
    floor = _get(results, "systems", "floor", "load", "seconds")
    build_ratio = build / floor if build and floor else None
    lines.append("| build ≤ 1.3x a raw pyoxigraph bulk load (H3: "
                 "[bulk-load.md](bulk-load.md)); here: build + `alliancegraph load "
                 f"--no-validate` against the floor's `bulk_load` of the dump "
                 f"| {_times(build_ratio)} | {_verdict(build_ratio, 1.3, at_most=True)} |")
    write = _get(results, "systems", "service-embedded", "write", "p50")
    lines.append("| validation on write of a 100-triple update ≤ 300 ms median (H4: "
                 "[validation_on_write.md](validation_on_write.md)); here: the whole "
                 f"request, embedded service | {_ms(write)} ms "
                 f"| {_verdict(write, 300.0, at_most=True)} |")
    return [*lines, ""]


def _loads(results: dict) -> list[str]:
    base = _get(results, "systems", "oxigraph", "load", "seconds")
    lines = ["## Load", "",
             "Wall time and peak memory (sum of VmHWM / ru_maxrss of the loader's processes) "
             "of each system's load of the same quads; serving: the peak of the server's "
             "processes at the end of its queries.", "",
             "| system | load s | x Oxigraph | peak MB | serving peak MB | how |",
             "|---|---:|---:|---:|---:|---|"]
    for system in SYSTEMS:
        data = results["systems"].get(system)
        if data is None:
            continue
        load = data.get("load") or {}
        seconds = load.get("seconds")
        how = load.get("note") or " + ".join(
            f"{s['name']} ({_ms(s['seconds'])} s)" for s in load.get("steps", [])) or (
            "bulk_load of the dump" if system == "floor" else "oxigraph load --file dump")
        if load.get("failed_first"):
            how += f"; {load['failed_first'].replace('|', '/')}"
        lines.append(f"| {LABELS[system]} | {_ms(seconds)} "
                     f"| {_times(seconds / base if seconds and base else None)} "
                     f"| {_ms(load.get('peak_mb'))} | {_ms(data.get('serving_peak_mb'))} "
                     f"| {how} |")
    return [*lines, ""]


def _ratios(results: dict) -> list[str]:
    opts = results["run"]["options"]
    present = [s for s in SYSTEMS if s in results["systems"]]
    lines = ["## Throughput as a ratio to Oxigraph server direct", "",
             "| class | concurrency | " + " | ".join(LABELS[s] for s in present) + " |",
             "|---|---:|" + "---:|" * len(present)]
    for name in [*CLASSES, MIX]:
        for c in opts["concurrency"]:
            lines.append(f"| {name} | {c} | " + " | ".join(
                _times(ratio(results, s, name, c)) for s in present) + " |")
    return [*lines, ""]


def _details(results: dict) -> list[str]:
    opts = results["run"]["options"]
    lines = ["## Latency and throughput", "",
             f"wrk: each cell {opts['duration']} s ({opts['duration'] * opts['mix_factor']} s "
             "for the mix), keep-alive connections, 1-2 wrk threads; the floor: the same "
             "texts on threads in-process. Answer: bytes of one answer (the systems should "
             "agree within their serialisations). ⏱: slower than the cap, timed once.", "",
             "| class | system | answer bytes | concurrency | p50 ms | p99 ms | requests/s "
             "| x Oxigraph | errors |", "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for name in [*CLASSES, MIX]:
        for system in SYSTEMS:
            data = results["systems"].get(system)
            row = _get(data, "queries", name) if data else None
            if not row:
                continue
            answer = _get(row, "answer", "bytes")
            status = _get(row, "answer", "status")
            size = "-" if answer is None else f"{answer:,}" + (
                "" if status == 200 else f" ({status})")
            for c, why in (row.get("failed") or {}).items():
                lines.append(f"| {name} | {LABELS[system]} | {size} | {c} | - | - | - | - "
                             f"| failed: {why.splitlines()[-1][:200].replace('|', '/')} |")
            cells = [("⏱", row["capped"])] if row.get("capped") else list(row["at"].items())
            for c, measured in cells:
                errors = ", ".join(f"{k} {v}" for k, v in measured["errors"].items()) or ""
                value = ratio(results, system, name, int(c) if c != "⏱" else 1)
                lines.append(f"| {name} | {LABELS[system]} | {size} | {c} "
                             f"| {_ms(measured['p50'])} | {_ms(measured['p99'])} "
                             f"| {_rate(measured['per_second'])} | {_times(value)} "
                             f"| {errors} |")
    return [*lines, ""]


def _pages(results: dict) -> list[str]:
    describe = _get(results, "systems", "oxigraph", "queries", "DESCRIBE", "at", "1", "p50")
    write_base = _get(results, "systems", "oxigraph", "write", "p50")
    lines = ["## Entity page and a 100-triple write", "",
             f"`{PAGE}`: p50 of sequential requests (served: the same store generation) and "
             "p50 right after a write (rendered anew); its peer figure is `DESCRIBE` of the "
             "same entity on Oxigraph server direct, p50 at concurrency 1 "
             f"({_ms(describe)} ms). Write: bench/validation_on_write.py's 100-triple "
             "`INSERT DATA`, validated by the service, plain on the peers.", "",
             "| system | page p50 ms | x Oxigraph DESCRIBE | page after a write ms "
             "| write p50 ms | x Oxigraph update | statuses |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for system in SYSTEMS:
        data = results["systems"].get(system) or {}
        page, write = data.get("page") or {}, data.get("write") or {}
        if not page and not write:
            continue
        statuses = {**{f"page {k}": v for k, v in (page.get("statuses") or {}).items()},
                    **{f"write {k}": v for k, v in (write.get("statuses") or {}).items()}}
        lines.append(
            f"| {LABELS[system]} | {_ms(page.get('p50'))} "
            f"| {_times(page['p50'] / describe if page and describe else None)} "
            f"| {_ms(page.get('after_write_p50'))} | {_ms(write.get('p50'))} "
            f"| {_times(write['p50'] / write_base if write and write_base else None)} "
            f"| {', '.join(f'{k} x{v}' for k, v in statuses.items())} |")
    errors = [f"{LABELS[s]}: {e}" for s in SYSTEMS
              for e in _get(results, "systems", s, "write", "errors") or []]
    return [*lines, *(["", "Failed writes: " + "; ".join(errors)] if errors else []), ""]


def summary(results_dir: Path) -> str:
    """Every size measured so far (``peers-*.json``): how the figures grow with the data,
    then the hand-written reading (``peers.notes.md``) when there is one."""
    runs = []
    for path in sorted(results_dir.glob("peers-*.json")):
        data = json.loads(path.read_text())
        runs.append((data.get("quads", 0), path.stem, data))
    runs.sort(key=lambda r: r[0])
    heads = " | ".join(f"[{q:,}]({stem}.md)" for q, stem, _ in runs)
    lines = ["# Peers: the service beside the systems it would replace", "",
             "Written by `bench/peers.py` from every `peers-*.json` measured so far; each "
             "size's own table (linked) has every figure. Here: how each grows with the data "
             "(requests/s at concurrency 4; load in s).", "",
             f"| figure | system | {heads} |", "|---|---|" + "---:|" * len(runs)]
    for name in ["load", *CLASSES, MIX]:
        for system in SYSTEMS:
            cells = []
            for _, _, data in runs:
                if name == "load":
                    value = _get(data, "systems", system, "load", "seconds")
                    cells.append(_ms(value))
                else:
                    cells.append(_rate(rate(data, system, name, 4)))
            if any(c != "-" for c in cells):
                lines.append(f"| {name} | {LABELS[system]} | " + " | ".join(cells) + " |")
    notes = results_dir / "peers.notes.md"
    text = "\n".join(lines) + "\n"
    return text + ("\n" + notes.read_text() if notes.exists() else "")


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--floor-worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=float, default=1e5, help="generated quads")
    parser.add_argument("--duration", type=float, default=3.0,
                        help="seconds of load per class, concurrency and system")
    parser.add_argument("--mix-factor", type=float, default=2.0,
                        help="the mix runs this many times --duration")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS), choices=SYSTEMS)
    parser.add_argument("--slow-cap", type=float, default=10.0,
                        help="seconds: a class slower than this is timed once, not loaded")
    parser.add_argument("--request-timeout", type=float, default=60.0)
    parser.add_argument("--page-runs", type=int, default=11)
    parser.add_argument("--write-runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("/tmp/ag-peers/run"),
                        help="scratch directory (the peers venv goes beside it)")
    parser.add_argument("--virtuoso-mb", type=int, default=2048,
                        help="Virtuoso's page buffers (its NumberOfBuffers), MB")
    parser.add_argument("--profile", nargs="+", metavar="SYSTEM:CLASS",
                        help="profile these cases (service-embedded or service-remote, a "
                             "class of the mix) instead of running the benchmark")
    parser.add_argument("--peers-venv", type=Path, default=None,
                        help="a venv with the peers' commands, used as it is")
    parser.add_argument("--out", type=Path, default=None,
                        help="results without suffix (default bench/results/peers-<scale>)")
    args = parser.parse_args(argv)
    if args.floor_worker:
        floor_worker(args.floor_worker)
        return args.floor_worker
    system_packages.ensure("wrk")  # before the long load, not after it
    opts = Options(int(args.scale), args.duration, args.concurrency, args.systems,
                   args.mix_factor, args.slow_cap, args.request_timeout, args.page_runs,
                   args.write_runs, args.work, args.peers_venv, args.virtuoso_mb)
    opts.work.mkdir(parents=True, exist_ok=True)
    # a stopped run still stops its servers (their context managers run on SystemExit)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.profile:
        for path in profile_main(opts, args.profile):
            print(path.read_text())
        return RESULTS / "profiles"
    started = datetime.now(UTC)
    results = run_all(opts)
    results["run"] = {
        "started": started.isoformat(timespec="seconds"),
        "seconds": round((datetime.now(UTC) - started).total_seconds()),
        "command": " ".join(["python", "bench/peers.py",
                             *(argv if argv is not None else sys.argv[1:])]),
        "machine": store_seam.machine(), "tree": store_seam.describe_after(),
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(opts).items()}}
    out = args.out or RESULTS / f"peers-{_size(opts.scale)}"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    out.with_suffix(".md").write_text(report(results))
    if args.out is None:
        (RESULTS / "peers.md").write_text(summary(RESULTS))
    print(out.with_suffix(".md").read_text())
    return out.with_suffix(".md")


def _size(scale: int) -> str:
    exponent = len(str(scale)) - 1
    return f"1e{exponent}" if scale == 10 ** exponent else str(scale)


if __name__ == "__main__":
    main()
