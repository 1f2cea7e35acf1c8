"""Benchmark of issue 11's targets: the store seam before and after, beside peer servers.

    python bench/store_seam.py --scale 1e5 --before 806d6d5        # the real run
    python bench/store_seam.py --scale 1e6 --before 806d6d5        # once, if there is time
    python bench/store_seam.py --scale 300 --no-peers --no-before --duration 0.3   # smoke

Installs, set up here (idempotent, cached under --work):

* ``after``: the working tree's own venv (``--after-python``, default this interpreter);
* ``before``: commit ``--before`` exported with ``git archive`` to ``<work>/before-<commit>``
  and installed into its own venv there (nothing in the repository changes);
* peers in ``<work>/peers-venv``: Oxigraph server (``oxigraph`` CLI) and rdflib-endpoint
  (skipped, with a note, when pip cannot install them).

Data, per install: the bundled graph (``alliancegraph build``) and the bundled graph plus a
generated graph of ``--scale`` quads (``bench/generate.py``), added through the install's
public store API (``bench/store_api.py load``). The peers load the after store's own dump
(N-Quads), so every server answers on the same quads.

Measured, each figure from this one run (see ``bench/README.md`` for the targets):

1. store-call overhead: ``ASK {}`` and a point lookup through the store API against
   pyoxigraph in-process on the same store;
2. over HTTP (keep-alive, ``--concurrency`` client processes): point lookup, DESCRIBE, a
   2-hop join, COUNT … GROUP BY, ORDER BY/LIMIT on every server;
3. pages (``/id/state/japan.html``, ``/``, the service description, the VoID) and every
   shipped example query, at both store sizes;
4. a mix of repeated reads between writes, service against Oxigraph server.

Results: ``<out>.json`` and the table ``<out>.md`` (default ``bench/results/store-seam``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BASE = "https://w3id.org/alliancegraph/"
JAPAN = f"{BASE}id/state/japan"
PREFIXES = ("PREFIX ag: <https://w3id.org/alliancegraph/ontology#>\n"
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            "PREFIX dcterms: <http://purl.org/dc/terms/>\n")
#: query class -> (SPARQL, Accept, target ratio of the service's to Oxigraph's throughput)
CLASSES: dict[str, tuple[str, str, float]] = {
    "point lookup": (f"SELECT ?label WHERE {{ <{JAPAN}> rdfs:label ?label }}",
                     "application/sparql-results+json", 0.3),
    "DESCRIBE": (f"DESCRIBE <{JAPAN}>", "application/n-triples", 0.8),
    "2-hop join": ("SELECT ?footnote ?title WHERE { ?footnote ag:ofPaper "
                   f"<{BASE}id/paper-a> ; ag:citesWork ?work . ?work dcterms:title ?title }}",
                   "application/sparql-results+json", 0.8),
    "COUNT … GROUP BY": ("SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type",
                         "application/sparql-results+json", 0.8),
    "ORDER BY/LIMIT": ("SELECT ?claim ?label WHERE { ?claim a ag:Claim ; rdfs:label ?label }"
                       " ORDER BY ?label LIMIT 10", "application/sparql-results+json", 0.8),
}
#: page -> (path, Accept, p50 target in ms)
PAGES: dict[str, tuple[str, str, float]] = {
    "/id/state/japan.html": ("/id/state/japan.html", "text/html", 20.0),
    "/": ("/", "text/html", 50.0),
    "service description (GET /sparql, Turtle)": ("/sparql", "text/turtle", 50.0),
    "/.well-known/void": ("/.well-known/void", "text/turtle", 50.0),
}
OVERHEAD_TARGET_MS = 1.0
WRITE_TOKEN = "bench-write-token"
CACHE_GRAPH = f"{BASE}graph/bench-cache"
QUERIES = REPO / "graph" / "queries"


# ---------------------------------------------------------------------- setup


def run(cmd: list[str], *, log: Path | None = None, env: dict | None = None,
        timeout: float = 3600) -> str:
    """Run ``cmd``; its output on success, RuntimeError with the output's tail if it fails."""
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout,
                          check=False)
    if log:
        log.write_text(done.stdout + done.stderr)
    if done.returncode:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-6:])
        raise RuntimeError(f"{' '.join(cmd[:3])} … failed ({done.returncode}): {tail}")
    return done.stdout


def before_install(commit: str, work: Path) -> Path:
    """The venv python of ``commit`` installed from a ``git archive`` export (cached)."""
    full = run(["git", "-C", str(REPO), "rev-parse", "--short", commit]).strip()
    tree = work / f"before-{full}"
    python = tree / ".venv" / "bin" / "python"
    marker = tree / ".bench-installed"
    if marker.exists():
        return python
    shutil.rmtree(tree, ignore_errors=True)
    tree.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", full], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    run([sys.executable, "-m", "venv", str(tree / ".venv")])
    run([str(python), "-m", "pip", "install", "-q", str(tree)])
    marker.write_text(full + "\n")
    return python


def peers_venv(work: Path, wanted: list[str]) -> tuple[Path, dict[str, str]]:
    """``<work>/peers-venv`` with the peers pip can install; {peer: why skipped}."""
    venv = work / "peers-venv"
    if not (venv / "bin" / "python").exists():
        run([sys.executable, "-m", "venv", str(venv)])
    # rdflib-endpoint's command needs its "cli" extra (click, uvicorn)
    packages = {"oxigraph": "oxigraph==0.5.13", "rdflib-endpoint": "rdflib-endpoint[cli]"}
    skipped = {}
    for peer in wanted:
        command = [str(venv / "bin" / peer), "--help"]
        try:
            run(command)
            continue
        except (RuntimeError, OSError):
            pass
        try:
            run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", packages[peer]])
            run(command)
        except (RuntimeError, OSError) as exc:
            skipped[peer] = f"not installable from the registry: {exc}"
    return venv, skipped


def version_of(python: Path, package: str) -> str:
    try:
        return run([str(python), "-c", f"from importlib.metadata import version as v; "
                    f"print(v({package!r}))"]).strip()
    except RuntimeError:
        return "?"


# ---------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    port: int
    sparql_path: str
    #: (method, path) of a graph write, or None when the server takes none
    write_path: str | None
    process: subprocess.Popen
    log: Path

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)


@contextmanager
def serving(name: str, cmd: list[str], *, port: int, sparql_path: str, ready_path: str,
            write_path: str | None, log: Path, env: dict | None = None,
            timeout: float = 120) -> Iterator[Server]:
    """Start a server (its own process group), wait until ``ready_path`` answers 200, and
    stop it (that group only) afterwards."""
    with log.open("w") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)
    server = Server(name, port, sparql_path, write_path, process, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited ({process.returncode}): "
                                   + " | ".join(log.read_text().strip().splitlines()[-5:]))
            try:
                status, _ = request(server.address, "GET", ready_path, {})
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} not ready after {timeout:.0f} s")
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def request(address: tuple[str, int], method: str, path: str, headers: dict,
            body: bytes | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(*address, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def service_env(install: Install, data_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCEGRAPH_")}
    env.update({"ALLIANCEGRAPH_DATA_DIR": str(data_dir), "ALLIANCEGRAPH_HOST": "127.0.0.1",
                "ALLIANCEGRAPH_PORT": str(port), "ALLIANCEGRAPH_WORKERS": "2",
                "ALLIANCEGRAPH_THREADS": "4", "ALLIANCEGRAPH_LOG_LEVEL": "WARNING",
                "ALLIANCEGRAPH_WRITE_TOKEN": WRITE_TOKEN,
                "ALLIANCEGRAPH_AUTH_FAILURE_LIMIT": ""})
    return env


def serve_service(install: Install, data_dir: Path, work: Path) -> Any:
    port = free_port()
    return serving(f"service ({install.name})", [str(install.cli), "serve"], port=port,
                   sparql_path="/sparql", ready_path="/healthz",
                   write_path="/rdf-graph-store?graph=" + urllib.parse.quote(CACHE_GRAPH),
                   log=work / f"serve-{install.name}-{data_dir.name}.log",
                   env=service_env(install, data_dir, port))


def serve_oxigraph(venv: Path, location: Path, work: Path) -> Any:
    port = free_port()
    return serving("Oxigraph server", [str(venv / "bin" / "oxigraph"), "serve", "--location",
                                       str(location), "--bind", f"127.0.0.1:{port}",
                                       "--union-default-graph"],
                   port=port, sparql_path="/query", ready_path="/query?query=ASK%7B%7D",
                   write_path="/store?graph=" + urllib.parse.quote(CACHE_GRAPH),
                   log=work / "oxigraph.log")


def serve_rdflib_endpoint(venv: Path, dump: Path, work: Path) -> Any:
    port = free_port()
    return serving("rdflib-endpoint", [str(venv / "bin" / "rdflib-endpoint"), "serve",
                                       "--host", "127.0.0.1", "--port", str(port), str(dump)],
                   port=port, sparql_path="/", ready_path="/?query=ASK%7B%7D",
                   write_path=None, log=work / "rdflib-endpoint.log", timeout=600)


# ---------------------------------------------------------------------- clients


def query_path(server: Server, sparql: str) -> str:
    return f"{server.sparql_path}?{urllib.parse.urlencode({'query': sparql})}"


def _client(address: tuple[str, int], requests: list[tuple[str, dict]], start: float,
            stop: float, unique: bool = False) -> tuple[list[float], Counter, float]:
    """One keep-alive client: ``requests`` round-robin from ``start`` to ``stop`` (wall
    clock); latencies in ms, status counts (``"error"`` for a broken connection) and the
    time its last answer came. ``unique``: each query text gets its own trailing comment,
    so no answer cache can serve it (the paths must end in the ``query`` parameter)."""
    conn = http.client.HTTPConnection(*address, timeout=120)
    latencies: list[float] = []
    statuses: Counter = Counter()
    while time.time() < start:
        time.sleep(0.001)
    i = 0
    tag = f"{os.getpid()}-{time.time_ns()}"
    while time.time() < stop:
        path, headers = requests[i % len(requests)]
        if unique:
            path += f"%0A%23+bench+{tag}-{i}"
        i += 1
        began = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.will_close:
                conn.close()
            statuses[response.status] += 1
        except (OSError, http.client.HTTPException):
            conn.close()
            statuses["error"] += 1
        latencies.append((time.perf_counter() - began) * 1000)
    conn.close()
    return latencies, statuses, time.time()


@dataclass
class Load:
    """Requests at a concurrency, for a duration: latencies and throughput."""

    requests: int = 0
    per_second: float = 0.0
    p50: float = 0.0
    p90: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    writes: dict[str, int] = field(default_factory=dict)
    write_p50: float | None = None

    @property
    def ok(self) -> bool:
        return set(self.statuses) == {"200"}


def load(server: Server, requests: list[tuple[str, dict]], *, concurrency: int,
         duration: float, warmup: float, writes_every: float | None = None,
         unique: bool = False) -> Load:
    """``concurrency`` client processes (the GIL of one would cap the client, not the
    server) for ``warmup`` then ``duration`` seconds; with ``writes_every``, this process
    PUTs a small graph that often while they read (the writes are counted apart)."""
    context = multiprocessing.get_context("fork")
    with context.Pool(concurrency) as pool:
        if warmup > 0:
            now = time.time() + 0.2
            pool.starmap(_client, [(server.address, requests, now, now + warmup, unique)]
                         * concurrency)
        start = time.time() + 0.2
        stop = start + duration
        pending = pool.starmap_async(_client, [(server.address, requests, start, stop, unique)]
                                     * concurrency)
        writes: Counter = Counter()
        write_ms: list[float] = []
        if writes_every:
            n = 0
            while time.time() < stop:
                time.sleep(writes_every)
                if time.time() >= stop:
                    break
                began = time.perf_counter()
                writes[str(write_graph(server, n))] += 1
                write_ms.append((time.perf_counter() - began) * 1000)
                n += 1
        results = pending.get()
    latencies = sorted(t for times, _, _ in results for t in times)
    statuses: Counter = Counter()
    for _, counts, _ in results:
        statuses.update(counts)
    elapsed = max(end for _, _, end in results) - start  # the last answer may come late
    return Load(len(latencies), len(latencies) / elapsed,
                statistics.median(latencies) if latencies else 0.0,
                latencies[int(0.9 * (len(latencies) - 1))] if latencies else 0.0,
                {str(k): v for k, v in statuses.items()}, dict(writes),
                statistics.median(write_ms) if write_ms else None)


def write_graph(server: Server, n: int) -> int:
    """PUT a two-triple graph (a plain label of a node no shape targets)."""
    body = (f'<{BASE}id/bench/cache> <http://www.w3.org/2000/01/rdf-schema#comment> '
            f'"write {n}" .\n').encode()
    headers = {"Content-Type": "application/n-triples",
               "Authorization": f"Bearer {WRITE_TOKEN}"}
    status, _ = request(server.address, "PUT", server.write_path, headers, body)
    return status


def after_writes(server: Server, path: str, accept: str, runs: int) -> dict[str, Any]:
    """``runs`` times: a write (a new store generation: nothing computed for the old one
    may be served), then the page; the p50 of the page's times."""
    times, statuses = [], Counter()
    for k in range(runs):
        write_graph(server, k)
        began = time.perf_counter()
        status, _ = request(server.address, "GET", path, {"Accept": accept})
        times.append((time.perf_counter() - began) * 1000)
        statuses[str(status)] += 1
    return {"p50": statistics.median(times), "runs": runs, "statuses": dict(statuses)}


def sequential(server: Server, path: str, accept: str, runs: int) -> dict[str, Any]:
    """``runs`` requests one after another on one connection: the first (cold: nothing of it
    computed yet) and the p50 of the rest."""
    conn = http.client.HTTPConnection(*server.address, timeout=300)
    times, statuses = [], Counter()
    try:
        for _ in range(runs):
            began = time.perf_counter()
            conn.request("GET", path, headers={"Accept": accept})
            response = conn.getresponse()
            response.read()
            times.append((time.perf_counter() - began) * 1000)
            statuses[str(response.status)] += 1
            if response.will_close:
                conn.close()
    finally:
        conn.close()
    rest = times[1:] or times
    return {"first": times[0], "p50": statistics.median(rest), "runs": runs,
            "statuses": dict(statuses)}


# ---------------------------------------------------------------------- installs


@dataclass
class Install:
    name: str
    python: Path
    described: str = ""
    #: why it could not be measured, when it could not
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def cli(self) -> Path:
        return self.python.parent / "alliancegraph"

    def api(self, *args: str, timeout: float = 3600) -> str:
        return run([str(self.python), str(HERE / "store_api.py"), *args], timeout=timeout)


def prepare(install: Install, work: Path, generated: Path) -> dict[str, Path]:
    """Build the bundled store and bundled + generated store of an install."""
    dirs = {}
    for size in ("bundled", "generated"):
        data_dir = work / "data" / install.name / size
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        run([str(install.cli), "build", "--data-dir", str(data_dir)],
            log=work / f"build-{install.name}-{size}.log")
        if size == "generated":
            install.api("load", str(data_dir), str(generated))
        install.api("dump", str(data_dir), str(data_dir / "bench-dump.nq"))
        dirs[size] = data_dir
    return dirs


def quads_in(dump: Path) -> int:
    with dump.open("rb") as handle:
        return sum(1 for line in handle if line.strip() and not line.startswith(b"#"))


# ---------------------------------------------------------------------- the run


@dataclass
class Options:
    scale: int
    duration: float
    warmup: float
    concurrency: int
    runs: int
    example_runs: int
    write_runs: int
    calls: int
    mix_duration: float
    write_every: float
    work: Path
    slow_cap: float = 10.0


def measure_service(install: Install, dirs: dict[str, Path], opts: Options,
                    results: dict) -> None:
    """Everything measured on one install: overhead, pages and example queries at both
    sizes, the query classes and the cache mix at the generated size."""
    mine = results["installs"][install.name]
    data = dirs["generated"]
    progress(f"{install.name}: store-call overhead")
    mine["overhead"] = {what: json.loads(install.api("overhead", str(data), "--calls",
                                                     str(opts.calls), "--what", what))
                        for what in ("pyoxigraph", "store")}
    for size in ("bundled", "generated"):
        progress(f"{install.name}, {size} store: starting the service")
        with serve_service(install, dirs[size], opts.work) as server:
            progress(f"{install.name}, {size} store: pages")
            pages = mine.setdefault("pages", {})[size] = {
                page: sequential(server, path, accept, opts.runs)
                for page, (path, accept, _) in PAGES.items()}
            for page, (path, accept, _) in PAGES.items():
                pages[page]["after_write"] = after_writes(server, path, accept,
                                                          opts.write_runs)
            progress(f"{install.name}, {size} store: example queries")
            mine.setdefault("examples", {})[size] = examples(server, opts.example_runs)
            if size == "generated":
                progress(f"{install.name}: query classes")
                mine["classes"] = classes(server, opts)
                progress(f"{install.name}: reads between writes")
                mine["mix"] = asdict(mix(server, opts))


_STARTED = time.monotonic()


def progress(message: str) -> None:
    print(f"[{time.monotonic() - _STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


def examples(server: Server, runs: int) -> dict[str, Any]:
    """Every shipped example query: p50 of ``runs`` distinct texts (a comment numbers each,
    so no answer cache can serve it: the engine's and the service's own cost) and of the
    same text repeated (what a cache gives)."""
    out = {}
    for path in sorted(QUERIES.glob("*.rq")):
        text = path.read_text()
        fresh = []
        status = Counter()
        for k in range(runs):
            began = time.perf_counter()
            code, _ = request(server.address, "GET",
                              query_path(server, f"{text}\n# bench run {time.time_ns()} {k}"),
                              {"Accept": "application/sparql-results+json"})
            fresh.append((time.perf_counter() - began) * 1000)
            status[str(code)] += 1
        repeated = sequential(server, query_path(server, text),
                              "application/sparql-results+json", runs)
        out[path.stem] = {"uncached_p50": statistics.median(fresh),
                          "repeated_p50": repeated["p50"],
                          "statuses": dict(status + Counter(repeated["statuses"]))}
    return out


def classes(server: Server, opts: Options, *, repeated: bool = True) -> dict[str, Any]:
    """Each query class under load, each request's text new (``uncached``: what the engine
    and the service cost; the targets) and, with ``repeated``, the same text again and
    again (what an answer cache makes of it). A peer without a cache needs only the first.
    A query whose first answer takes longer than ``opts.slow_cap`` seconds is not put under
    load (4 of them at once would run for minutes): that one answer is its figure."""
    out = {}
    for name, (sparql, accept, _) in CLASSES.items():
        requests = [(query_path(server, PREFIXES + sparql), {"Accept": accept})]
        began = time.perf_counter()
        status, body = request(server.address, "GET", requests[0][0], requests[0][1])
        first = time.perf_counter() - began
        if first > opts.slow_cap:
            out[name] = asdict(Load(1, 1 / first, first * 1000, first * 1000,
                                    {str(status): 1}))
            out[name]["capped"] = True
        else:
            out[name] = asdict(load(server, requests, concurrency=opts.concurrency,
                                    duration=opts.duration, warmup=opts.warmup, unique=True))
        # the size of one answer: the servers should give the same one (same quads)
        out[name]["answer"] = {"status": status, "bytes": len(body),
                               "lines": body.count(b"\n")}
        if repeated and not out[name].get("capped"):
            out[name]["repeated"] = asdict(load(server, requests, concurrency=opts.concurrency,
                                                duration=opts.duration, warmup=opts.warmup))
    return out


def mix_requests(server: Server) -> list[tuple[str, dict]]:
    """The repeated reads of the cache mix: the five query classes and five shipped
    example queries, the same texts again and again."""
    texts = [(PREFIXES + sparql, accept) for sparql, accept, _ in CLASSES.values()]
    texts += [(path.read_text(), "application/sparql-results+json")
              for path in sorted(QUERIES.glob("*.rq"))[:5]]
    return [(query_path(server, text), {"Accept": accept}) for text, accept in texts]


def mix(server: Server, opts: Options) -> Load:
    return load(server, mix_requests(server), concurrency=opts.concurrency,
                duration=opts.mix_duration, warmup=opts.warmup,
                writes_every=opts.write_every if server.write_path else None)


def asdict(result: Load) -> dict[str, Any]:
    return {"requests": result.requests, "per_second": result.per_second, "p50": result.p50,
            "p90": result.p90, "statuses": result.statuses, "writes": result.writes,
            "write_p50": result.write_p50}


def measure_peers(venv: Path, peers: list[str], dump: Path, opts: Options,
                  results: dict) -> None:
    for peer in peers:
        progress(peer)
        mine = results["peers"].setdefault(peer, {})
        try:
            if peer == "oxigraph":
                location = opts.work / "data" / "oxigraph-server"
                shutil.rmtree(location, ignore_errors=True)
                run([str(venv / "bin" / "oxigraph"), "load", "--location", str(location),
                     "--file", str(dump)], log=opts.work / "oxigraph-load.log")
                context = serve_oxigraph(venv, location, opts.work)
            else:
                context = serve_rdflib_endpoint(venv, dump, opts.work)
            with context as server:
                mine["classes"] = classes(server, opts, repeated=False)
                if peer == "oxigraph":  # the engine's own cost of each shipped query
                    mine["examples"] = {"generated": examples(server, opts.example_runs)}
                if server.write_path:
                    mine["mix"] = asdict(mix(server, opts))
        except RuntimeError as exc:
            mine["error"] = str(exc)
            progress(f"{peer}: FAILED: {exc}")


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1e5,
                        help="quads of the generated graph (default 1e5)")
    parser.add_argument("--before", default="806d6d5", help="commit measured as 'before'")
    parser.add_argument("--no-before", action="store_true", help="measure the after only")
    parser.add_argument("--after-python", type=Path, default=Path(sys.executable),
                        help="python of the venv the working tree is installed in")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--peers", nargs="+", default=["oxigraph", "rdflib-endpoint"],
                        choices=["oxigraph", "rdflib-endpoint"])
    parser.add_argument("--duration", type=float, default=5.0,
                        help="seconds of load per query class and server")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--runs", type=int, default=11,
                        help="sequential requests per page and example query")
    parser.add_argument("--example-runs", type=int, default=5,
                        help="requests per shipped example query (each way)")
    parser.add_argument("--write-runs", type=int, default=5,
                        help="writes, each followed by the page, per page and store size")
    parser.add_argument("--calls", type=int, default=200, help="store calls timed")
    parser.add_argument("--mix-duration", type=float, default=10.0)
    parser.add_argument("--write-every", type=float, default=1.0,
                        help="seconds between writes in the cache mix")
    parser.add_argument("--slow-cap", type=float, default=10.0,
                        help="seconds: a query class slower than this is timed once, not loaded")
    parser.add_argument("--work", type=Path, default=Path("/tmp/ag-bench"))
    parser.add_argument("--out", type=Path, default=HERE / "results" / "store-seam")
    args = parser.parse_args(argv)
    opts = Options(int(args.scale), args.duration, args.warmup, args.concurrency, args.runs,
                   args.example_runs, args.write_runs, args.calls, args.mix_duration,
                   args.write_every, args.work, args.slow_cap)
    opts.work.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    generated = opts.work / f"generated-{opts.scale}.nq"
    run([sys.executable, str(HERE / "generate.py"), "--quads", str(opts.scale),
         "--out", str(generated)])
    installs = [Install("after", args.after_python, described=describe_after())]
    if not args.no_before:
        try:
            installs.append(Install("before", before_install(args.before, opts.work),
                                    described=f"commit {args.before} (a fork per store call)"))
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            installs.append(Install("before", Path("/nonexistent"), error=str(exc)))
    results: dict[str, Any] = {"installs": {i.name: {} for i in installs}, "peers": {},
                               "skipped_peers": {}}
    dump = None
    for install in installs:
        mine = results["installs"][install.name]
        mine["described"] = install.described
        if install.error:
            mine["error"] = install.error
            continue
        mine["pyoxigraph"] = version_of(install.python, "pyoxigraph")
        progress(f"{install.name}: building the stores")
        try:
            dirs = prepare(install, opts.work, generated)
            mine["quads"] = {size: quads_in(d / "bench-dump.nq") for size, d in dirs.items()}
            dump = dump or dirs["generated"] / "bench-dump.nq"
            measure_service(install, dirs, opts, results)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            mine["error"] = str(exc)
            progress(f"{install.name}: FAILED: {exc}")
        progress(f"{install.name}: done")
    peers = [] if args.no_peers else args.peers
    if peers and dump:
        venv, results["skipped_peers"] = peers_venv(opts.work, peers)
        peers = [p for p in peers if p not in results["skipped_peers"]]
        results["peer_versions"] = {p: version_of(venv / "bin" / "python", p) for p in peers}
        measure_peers(venv, peers, dump, opts, results)
    elif peers:
        results["skipped_peers"] = {p: "no store to dump for it" for p in peers}
    results["run"] = {"started": started.isoformat(timespec="seconds"),
                      "seconds": round((datetime.now(UTC) - started).total_seconds()),
                      "command": " ".join(["python", "bench/store_seam.py",
                                           *(argv if argv is not None else sys.argv[1:])]),
                      "machine": machine(), "options": {
                          k: (str(v) if isinstance(v, Path) else v)
                          for k, v in vars(opts).items()}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    markdown = report(results)
    notes = args.out.with_suffix(".notes.md")  # a reading of the figures, written by hand
    if notes.exists():
        markdown += "\n" + notes.read_text()
    args.out.with_suffix(".md").write_text(markdown)
    print(markdown)
    return args.out.with_suffix(".md")


def describe_after() -> str:
    try:
        head = run(["git", "-C", str(REPO), "log", "-1", "--format=%h %s"]).strip()
        dirty = run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"])
    except RuntimeError:
        return "the working tree"
    return f"working tree at {head}" + (" (with uncommitted changes)" if dirty.strip() else "")


def machine() -> str:
    memory = ""
    try:
        kib = int(next(line for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal")).split()[1])
        memory = f", {kib / 2**20:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    load1 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.machine()}, {os.cpu_count()} CPUs{memory}, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, "
            f"load average {load1:.1f} at the start")


# ---------------------------------------------------------------------- the table


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 1 else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _verdict(value: float | None, target: float, *, at_most: bool) -> str:
    """met/missed and by how much: the factor between the figure and the target."""
    if value is None:
        return "not measured"
    if at_most:
        if value <= target:
            return f"**met** ({target / value:.1f}x under)" if value > 0 else "**met**"
        return f"**missed** ({value / target:.1f}x over)"
    if value >= target:
        return f"**met** ({value / target:.1f}x the target)"
    return f"**missed** ({value / target:.2f}x the target)"


def _rate(measured: dict) -> str:
    rate = measured["per_second"]
    text = f"{rate:,.0f}" if rate >= 10 else f"{rate:.2f}"
    return text + (" (one request: slower than the cap)" if measured.get("capped") else "")


def _times(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


def _get(data: dict, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def report(results: dict) -> str:
    run_info = results["run"]
    after, before = results["installs"].get("after", {}), results["installs"].get("before", {})
    oxi, rdfe = results["peers"].get("oxigraph", {}), results["peers"].get("rdflib-endpoint", {})
    opts = run_info["options"]
    lines = [
        "# Store seam: issue 11's targets, before and after, beside peer servers",
        "",
        f"Generated by `bench/store_seam.py` ({run_info['command']}), started "
        f"{run_info['started']} UTC, {run_info['seconds']} s.",
        f"Machine: {run_info['machine']}. Shared 2-core box: the load generator (4 client "
        "processes) and the server share the cores, so read throughput as ratios within "
        "this run, not as absolute capacity.",
        f"After: {after.get('described', '?')}. Before: {before.get('described', 'not run')}."
        f" pyoxigraph {after.get('pyoxigraph', '?')}; peers "
        + (", ".join(f"{k} {v}" for k, v in results.get("peer_versions", {}).items())
           or "none") + ".",
        f"Stores: bundled {_count(after, 'bundled')} quads, generated "
        f"{_count(after, 'generated')} quads (bundled + {opts['scale']:,} generated by "
        "`bench/generate.py`, in the store through its public API). Servers: the service "
        "with 2 workers x 4 threads (defaults), Oxigraph server with `--union-default-graph`,"
        " rdflib-endpoint with its default (rdflib memory) store.",
        f"HTTP load: {opts['concurrency']} keep-alive clients for {opts['duration']} s per "
        f"row after {opts['warmup']} s warm-up; pages and example queries: {opts['runs']} "
        "sequential requests.",
        "",
    ]
    for name, data in (("after", after), ("before", before)):
        if data.get("error"):
            lines += [f"**{name} could not be measured**: {data['error']}", ""]
    for peer, why in results.get("skipped_peers", {}).items():
        lines += [f"{peer} skipped: {why}", ""]
    for peer, data in results["peers"].items():
        if data.get("error"):
            lines += [f"{peer} failed: {data['error']}", ""]
    lines += _targets(after, before, oxi)
    lines += _overhead_table(after, before)
    lines += _classes_table(after, before, oxi, rdfe)
    lines += _pages_table(after, before)
    lines += _mix_table(after, before, oxi)
    lines += _examples_table(after, before, oxi)
    return "\n".join(lines) + "\n"


def _count(install: dict, size: str) -> str:
    value = _get(install, "quads", size)
    return f"{value:,}" if value is not None else "?"


def _overhead(install: dict, what: str) -> float | None:
    store, floor = _get(install, "overhead", "store", what, "p50"), \
        _get(install, "overhead", "pyoxigraph", what, "p50")
    return None if store is None or floor is None else store - floor


def _ratio(service: dict, peer: dict, name: str) -> float | None:
    mine, theirs = _get(service, "classes", name, "per_second"), \
        _get(peer, "classes", name, "per_second")
    return mine / theirs if mine is not None and theirs else None


def _targets(after: dict, before: dict, oxi: dict) -> list[str]:
    lines = ["## Targets", "", "| target | after | before | verdict (after) |",
             "|---|---:|---:|---|"]
    for what, label in (("ask", "`ASK {}`"), ("point", "point lookup")):
        a, b = _overhead(after, what), _overhead(before, what)
        lines.append(f"| store-call overhead over pyoxigraph in-process, {label}: ≤ 1 ms "
                     f"median | {_ms(a)} ms | {_ms(b)} ms "
                     f"| {_verdict(a, OVERHEAD_TARGET_MS, at_most=True)} |")
    for name, (_, _, target) in CLASSES.items():
        a, b = _ratio(after, oxi, name), _ratio(before, oxi, name)
        lines.append(f"| {name} over HTTP: ≥ {target}x Oxigraph server's requests/s "
                     f"| {_times(a)} | {_times(b)} | {_verdict(a, target, at_most=False)} |")
    for page, (_, _, target) in PAGES.items():
        for size in ("bundled", "generated"):
            a = _get(after, "pages", size, page, "p50")
            b = _get(before, "pages", size, page, "p50")
            fresh = _get(after, "pages", size, page, "after_write", "p50")
            lines.append(f"| `{page}` p50 ≤ {target:.0f} ms ({size} store) | {_ms(a)} ms "
                         f"| {_ms(b)} ms | {_verdict(a, target, at_most=True)}; right after "
                         f"a write {_ms(fresh)} ms |")
    a_mix, b_mix, o_mix = (_get(x, "mix", "per_second") for x in (after, before, oxi))
    a_ratio = a_mix / o_mix if a_mix is not None and o_mix else None
    b_ratio = b_mix / o_mix if b_mix is not None and o_mix else None
    lines.append("| repeated reads between writes: service ≥ Oxigraph server's requests/s "
                 f"| {_times(a_ratio)} | {_times(b_ratio)} | "
                 f"{_verdict(a_ratio, 1.0, at_most=False)} |")
    return [*lines, ""]


def _overhead_table(after: dict, before: dict) -> list[str]:
    lines = ["## 1. One store call against pyoxigraph in-process (generated store; ms)", "",
             "| install | API | call | store p50 | store p90 | pyoxigraph p50 | overhead p50 |",
             "|---|---|---|---:|---:|---:|---:|"]
    for name, data in (("after", after), ("before", before)):
        for what in ("ask", "point"):
            lines.append(
                f"| {name} | {_get(data, 'overhead', 'store', 'api') or '-'} | {what} "
                f"| {_ms(_get(data, 'overhead', 'store', what, 'p50'))} "
                f"| {_ms(_get(data, 'overhead', 'store', what, 'p90'))} "
                f"| {_ms(_get(data, 'overhead', 'pyoxigraph', what, 'p50'))} "
                f"| {_ms(_overhead(data, what))} |")
    floor = _get(after, "overhead", "pyoxigraph", "api")
    return [*lines, "", f"pyoxigraph: {floor or '-'}.", ""]


def _statuses(load_result: dict | None) -> str:
    if not load_result:
        return ""
    bad = {k: v for k, v in load_result["statuses"].items() if k != "200"}
    return "" if not bad else " (" + ", ".join(f"{v}x {k}" for k, v in bad.items()) + ")"


def _classes_table(after: dict, before: dict, oxi: dict, rdfe: dict) -> list[str]:
    servers = (("service (after)", after), ("service (before)", before),
               ("Oxigraph server", oxi), ("rdflib-endpoint", rdfe))
    lines = ["## 2. Query classes over HTTP (generated store)", "",
             "| query | server | answer bytes | p50 ms | p90 ms | requests/s | / Oxigraph |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for name in CLASSES:
        oxi_rate = _get(oxi, "classes", name, "per_second")
        for label, data in servers:
            row = _get(data, "classes", name)
            if row is None:
                lines.append(f"| {name} | {label} | - | - | - | - | - |")
                continue
            answer = row.get("answer", {})
            for suffix, measured in (("", row), (", repeated text", row.get("repeated"))):
                if measured is None:
                    continue
                ratio = measured["per_second"] / oxi_rate if oxi_rate else None
                size = f"{answer.get('bytes', '-')}" if not suffix else ""
                lines.append(f"| {name} | {label}{suffix} | {size} | {_ms(measured['p50'])} "
                             f"| {_ms(measured['p90'])} "
                             f"| {_rate(measured)}{_statuses(measured)} "
                             f"| {_times(ratio)} |")
    return [*lines, "Each request's text is new (a trailing comment), so no answer cache "
            "serves it; the targets use these rows. \"Repeated text\": the same text "
            "again and again, which the after service can answer from its cache.", ""]


def _pages_table(after: dict, before: dict) -> list[str]:
    lines = ["## 3. Pages at two store sizes (ms)", "",
             "First: the first request after the server started. p50: of the requests after "
             "it (the same store generation). After a write: p50 of the page requested "
             "right after a write, when nothing computed for the old generation may be "
             "served (the page's own cost).", "",
             "| page | store | after: first | p50 | after a write | before: first | p50 "
             "| after a write | target p50 |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for page, (_, _, target) in PAGES.items():
        for size in ("bundled", "generated"):
            cells = []
            for data in (after, before):
                row = _get(data, "pages", size, page)
                cells += [_ms(_get(row, "first")), _ms(_get(row, "p50")) + _bad(row),
                          _ms(_get(row, "after_write", "p50")) + _bad(_get(row, "after_write"))]
            lines.append(f"| `{page}` | {size} | " + " | ".join(cells) + f" | ≤ {target:.0f} |")
    return [*lines, ""]


def _bad(row: dict | None) -> str:
    if not row:
        return ""
    bad = {k: v for k, v in row["statuses"].items() if k != "200"}
    return "" if not bad else " (" + ", ".join(f"{v}x {k}" for k, v in bad.items()) + ")"


def _mix_table(after: dict, before: dict, oxi: dict) -> list[str]:
    lines = ["## 4. Repeated reads between writes (generated store)", "",
             "Ten query texts (the five classes, five shipped examples) again and again by "
             "the clients, and a Graph Store PUT of a small graph every "
             "second by another client (each write changes the store's generation).", "",
             "| server | reads/s | read p50 ms | read p90 ms | writes (status x count) "
             "| write p50 ms |", "|---|---:|---:|---:|---|---:|"]
    for label, data in (("service (after)", after), ("service (before)", before),
                        ("Oxigraph server (no cache)", oxi)):
        row = _get(data, "mix")
        if row is None:
            lines.append(f"| {label} | - | - | - | - | - |")
            continue
        writes = ", ".join(f"{k} x {v}" for k, v in row["writes"].items()) or "none"
        lines.append(f"| {label} | {row['per_second']:,.0f}{_statuses(row)} | {_ms(row['p50'])}"
                     f" | {_ms(row['p90'])} | {writes} | {_ms(row.get('write_p50'))} |")
    return [*lines, ""]


def _examples_table(after: dict, before: dict, oxi: dict) -> list[str]:
    sizes = [_get(after, "quads", s) or _get(before, "quads", s) for s in ("bundled",
                                                                            "generated")]
    data_ratio = sizes[1] / sizes[0] if all(sizes) else None
    lines = ["## 3b. Every shipped example query at two store sizes (ms, p50)", "",
             "Uncached: each run's text differs by a comment, so no answer cache serves it. "
             "Repeated: the same text again (what a cache gives). Growth: uncached generated "
             f"/ bundled; the data grew {data_ratio or 0:.1f}x. ⚠ marks a query of the after "
             "install that grows more than the data (and more than 1.5x, by over 5 ms). "
             "Oxigraph server: the engine alone over HTTP on the generated store; + marks a "
             "query the after service answers over 2x (and 10 ms) slower than it.", "",
             "| query | after bundled | after generated | growth | after repeated (gen.) "
             "| before bundled | before generated | Oxigraph server (gen.) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    names = sorted(set(_get(after, "examples", "generated") or {})
                   | set(_get(before, "examples", "generated") or {}))
    flagged, above = [], []
    for name in names:
        small = _get(after, "examples", "bundled", name, "uncached_p50")
        large = _get(after, "examples", "generated", name, "uncached_p50")
        growth = large / small if small and large else None
        flag = ""
        if growth and data_ratio and growth > max(data_ratio, 1.5) and large - small > 5:
            flag = " ⚠"
            flagged.append(name)
        engine = _get(oxi, "examples", "generated", name, "uncached_p50")
        if large and engine and large > 2 * engine and large - engine > 10:
            flag += " +"
            above.append(name)
        bad = _bad(_get(after, "examples", "generated", name))
        lines.append(
            f"| {name} | {_ms(small)} | {_ms(large)}{bad} "
            f"| {'-' if growth is None else f'{growth:.1f}x'}{flag} "
            f"| {_ms(_get(after, 'examples', 'generated', name, 'repeated_p50'))} "
            f"| {_ms(_get(before, 'examples', 'bundled', name, 'uncached_p50'))} "
            f"| {_ms(_get(before, 'examples', 'generated', name, 'uncached_p50'))} "
            f"| {_ms(_get(oxi, 'examples', 'generated', name, 'uncached_p50'))} |")
    lines += ["", "Grows faster than the data: " + (", ".join(flagged) if flagged else "none")
              + ".", "", "Over 2x Oxigraph server: " + (", ".join(above) if above else "none")
              + "."]
    return [*lines, ""]


if __name__ == "__main__":
    main()
