"""Virtuoso (Debian ``virtuoso-opensource`` 7.2.5), installed and started on loopback.

    .venv/bin/python bench/virtuoso.py serve /tmp/virtuoso-work   # start one, print its URLs
    .venv/bin/python bench/virtuoso.py limits                     # results/time-limits.md

Used by the test suite (``tests/store/conftest.py``: the ``virtuoso`` backend of the contract
suite) and by the peer benchmarks. :func:`unavailable` installs the package when it can
(root and apt-get), otherwise says why not. :class:`Virtuoso` writes its own
``virtuoso.ini`` in a work directory (its own database, HTTP and ISQL on free loopback
ports, ``DirsAllowed`` only that directory, small memory buffers), starts ``virtuoso-t -f``
as a child that dies with its parent, and sets up SPARQL writes the way a deployment would:
a dedicated SQL user with the ``SPARQL_UPDATE`` role, spoken to over ``/sparql-auth`` and
``/sparql-graph-crud-auth`` with HTTP Digest (the anonymous ``/sparql`` stays read-only),
and the ``dba`` password changed from the package's well-known default.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime
import functools
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests
import system_packages
from requests.auth import HTTPDigestAuth

HERE = Path(__file__).resolve().parent
SERVER, CLIENT = "virtuoso-t", "isql-vt"
PACKAGE = "virtuoso-opensource"
#: the package's web root (the /sparql pages and the conductor's files are not needed)
SERVER_ROOT = Path("/var/lib/virtuoso-opensource-7/vsp")
USER = "alliancegraph"
_DATABASE_FILES = ("virtuoso.db", "virtuoso.trx", "virtuoso.pxa", "virtuoso.lck",
                   "virtuoso-temp.db", "virtuoso-temp.trx", "virtuoso.log")
_PRCTL = ctypes.CDLL(None).prctl if sys.platform.startswith("linux") else None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it when the parent dies (Linux)."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _apt_install() -> str | None:
    """Install the package; the reason when it cannot be installed."""
    try:
        system_packages.install(PACKAGE)
    except (system_packages.CannotInstall, system_packages.InstallFailed) as exc:
        return f"Virtuoso is not installed: {exc}"
    return None if shutil.which(SERVER) else f"apt-get installed {PACKAGE} but no {SERVER}"


@functools.cache
def unavailable() -> str | None:
    """None when ``virtuoso-t`` and ``isql-vt`` are installed (installing them now when
    root); otherwise why Virtuoso cannot run here. Asked once per process."""
    if shutil.which(SERVER) and shutil.which(CLIENT):
        return None
    if not sys.platform.startswith("linux") or not shutil.which("apt-get"):
        return f"Virtuoso ({SERVER}) is not installed and there is no apt-get to install it"
    if os.geteuid() != 0:
        return (f"Virtuoso ({SERVER}) is not installed; run as root (apt-get) or "
                f"`apt-get install {PACKAGE}` first")
    return _apt_install()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ini(workdir: Path, http_port: int, isql_port: int, max_query_seconds: float | None,
         memory_mb: int, max_rows: int) -> str:
    """A virtuoso.ini of its own: files in ``workdir``, loopback only, small buffers."""
    buffers = memory_mb * 1024 // 9  # ~8.5 kB per buffer, as Virtuoso's guide counts
    limit = f"MaxQueryExecutionTime = {max_query_seconds:g}\n" if max_query_seconds else ""
    return f"""\
[Database]
DatabaseFile = {workdir}/virtuoso.db
ErrorLogFile = {workdir}/virtuoso.log
LockFile = {workdir}/virtuoso.lck
TransactionFile = {workdir}/virtuoso.trx
xa_persistent_file = {workdir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {workdir}/virtuoso-temp.db
TransactionFile = {workdir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{isql_port}
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 20
CheckpointInterval = 60
O_DIRECT = 0
CaseMode = 2
MaxStaticCursorRows = 5000
AllowOSCalls = 0
DirsAllowed = {workdir}
ThreadsPerQuery = 2
AsyncQueueMaxThreads = 4
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {buffers * 3 // 4}
MaxQueryMem = {max(memory_mb // 2, 64)}M
VADInstallDir = /usr/share/virtuoso-opensource-7/vad/

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {SERVER_ROOT}
MaxClientConnections = 20
ServerThreads = 20
MaxKeepAlives = 20
KeepAliveTimeout = 10
EnabledDavVSP = 0
HTTPProxyEnabled = 0
Charset = UTF-8
EnabledGzipContent = 0

[SPARQL]
ResultSetMaxRows = {max_rows}
{limit}DeferInferenceRulesInit = 0
"""


class Virtuoso:
    """A Virtuoso server of its own in ``workdir`` (a new database: files of an earlier one
    there are deleted), SPARQL on loopback, writes for
    :attr:`user` over HTTP Digest. ``max_query_seconds``: the server's
    ``MaxQueryExecutionTime`` (None: no limit); ``memory_mb``: its page buffers;
    ``max_rows``: ``ResultSetMaxRows`` (Virtuoso cuts longer results to it)."""

    def __init__(self, workdir: Path, *, max_query_seconds: float | None = 30,
                 port: int | None = None, memory_mb: int = 256,
                 max_rows: int = 1_000_000, timeout: float = 120.0) -> None:
        reason = unavailable()
        if reason:
            raise RuntimeError(reason)
        self.workdir = Path(workdir).resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or _free_port()
        self.isql_port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.query_url = f"{self.url}/sparql"
        self.update_url = f"{self.url}/sparql-auth"
        self.graph_store_url = f"{self.url}/sparql-graph-crud-auth"
        self.user, self.password = USER, secrets.token_urlsafe(16)
        self._dba_password = "dba"  # the package's default on a new database
        self.log = self.workdir / "virtuoso.log"
        for name in _DATABASE_FILES:  # a new database each time (the dba password is ours)
            (self.workdir / name).unlink(missing_ok=True)
        (self.workdir / "virtuoso.ini").write_text(_ini(
            self.workdir, self.port, self.isql_port, max_query_seconds, memory_mb, max_rows))
        self.process: subprocess.Popen | None = None
        self._start(timeout)
        try:
            self._set_up_users()
        except BaseException:
            self.stop()
            raise

    # ------------------------------------------------------------------ process

    def _start(self, timeout: float) -> None:
        with open(self.workdir / "stdout.log", "wb") as out:
            self.process = subprocess.Popen(
                [SERVER, "-f", "-c", str(self.workdir / "virtuoso.ini")], cwd=self.workdir,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"virtuoso-t exited ({self.process.returncode}):\n"
                                   + self._logs())
            try:
                answer = requests.get(self.query_url, params={"query": "ASK {}"},
                                      headers={"Accept": "application/sparql-results+json"},
                                      timeout=2)
                if answer.status_code == 200 and "boolean" in answer.json():
                    return
            except (requests.RequestException, ValueError):
                pass  # not listening, or still starting
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Virtuoso did not answer within {timeout:g} s:\n"
                                   + self._logs())
            time.sleep(0.2)

    def _logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:]
                         for p in (self.workdir / "stdout.log", self.log) if p.exists())

    def isql(self, sql: str, *, timeout: float = 600.0) -> str:
        """Run SQL statements (``;``-separated) as ``dba``; RuntimeError on any error."""
        done = subprocess.run(
            [CLIENT, f"127.0.0.1:{self.isql_port}", "dba", self._dba_password,
             "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF", "ERRORS=STDOUT",
             f"EXEC={sql}"], capture_output=True, text=True, timeout=timeout, check=False)
        output = done.stdout + done.stderr
        if done.returncode != 0 or "*** Error" in output:
            raise RuntimeError(f"isql failed ({done.returncode}) on {sql[:200]!r}:\n{output}")
        return output

    def _set_up_users(self) -> None:
        """The writer's own user with SPARQL_UPDATE (HTTP Digest on ``/sparql-auth``), and
        a new random dba password (the default one is public)."""
        new_dba = secrets.token_urlsafe(16)
        self.isql(f"DB.DBA.USER_CREATE('{self.user}', '{self.password}'); "
                  f"GRANT SPARQL_UPDATE TO \"{self.user}\"; "
                  f"USER_SET_PASSWORD('dba', '{new_dba}');")
        self._dba_password = new_dba

    @property
    def auth(self) -> HTTPDigestAuth:
        return HTTPDigestAuth(self.user, self.password)

    def load(self, path: Path, graph: str = "urn:alliancegraph:default") -> None:
        """Bulk load an N-Quads (``.nq``) or Turtle/N-Triples file with ``ld_dir`` and
        ``rdf_loader_run`` (the file is copied into the work directory, the only one the
        server may read); ``graph`` receives the triples of a triple syntax."""
        inbox = self.workdir / "load"
        if inbox.exists():
            shutil.rmtree(inbox)
        inbox.mkdir()
        shutil.copy(path, inbox / Path(path).name)
        self.isql(f"ld_dir('{inbox}', '{Path(path).name}', '{graph}'); "
                  "rdf_loader_run(); checkpoint;")
        failed = self.isql(f"SELECT ll_file, ll_error FROM DB.DBA.LOAD_LIST WHERE "
                           f"ll_file LIKE '{inbox}/%' AND ll_error IS NOT NULL;")
        if str(inbox) in failed:
            raise RuntimeError(f"Virtuoso could not load {path}:\n{failed}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# ---------------------------------------------------------------------- time limits

#: the runaway queries of ``limits``: a 4-way cross product of the loaded triples
_GRAPH = "http://example.org/limits/g"
RUNAWAY = {
    "COUNT over a cross product":
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{_GRAPH}> {{ ?a ?b ?c . ?d ?e ?f . "
        "?g ?h ?i . ?j ?k ?l } }",
    "ORDER BY over a cross product":
        f"SELECT ?a ?d WHERE {{ GRAPH <{_GRAPH}> {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . "
        "?j ?k ?l } } ORDER BY DESC(CONCAT(STR(?c), STR(?f), STR(?i), STR(?l))) LIMIT 10",
}


@dataclass
class Stop:
    """How one server ended one runaway query."""

    server: str
    query: str
    seconds: float
    outcome: str
    peak_mb: float
    cpu_after: float


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _watched(process: subprocess.Popen, run: Callable[[], str], give_up: float,
             max_mb: float) -> tuple[float, str, float]:
    """``run()`` while the server's memory is watched: (seconds, outcome, peak MB); the
    server is killed past ``max_mb`` (the outcome says so)."""
    peak, killed, done = 0.0, [], threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.wait(0.1) and process.poll() is None:
            peak = max(peak, _rss_mb(process.pid))
            if peak > max_mb:
                killed.append(peak)
                process.kill()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.monotonic()
    try:
        outcome = run()
    except requests.Timeout:
        outcome = f"no answer within {give_up:g} s (client gave up)"
    except requests.ConnectionError:
        outcome = "connection lost"
    seconds = time.monotonic() - started
    done.set()
    watcher.join()
    if killed:
        outcome = f"server killed by this script at {killed[0]:.0f} MB ({outcome})"
    return seconds, outcome, peak


def _answer_text(answer: requests.Response) -> str:
    state = answer.headers.get("X-SQL-State")
    head = f"HTTP {answer.status_code}" + (f", X-SQL-State {state}" if state else "")
    if answer.status_code >= 400:
        return f"{head}: {answer.text.strip().splitlines()[0][:80]}"
    try:
        json.loads(answer.content)
        whole = "valid JSON"
    except ValueError:
        whole = "truncated, not valid JSON"
    return f"{head}, {len(answer.content)} bytes, {whole}"


def _stop_of(name: str, label: str, process: subprocess.Popen, url: str, query: str,
             give_up: float, max_mb: float, **params: str) -> Stop:
    def run() -> str:
        return _answer_text(requests.post(url, data={"query": query, **params},
                                          headers={"Accept": "application/sparql-results+json"},
                                          timeout=(5, give_up)))

    seconds, outcome, peak = _watched(process, run, give_up, max_mb)
    cpu = 0.0
    if process.poll() is None:  # still busy with the query after it answered?
        before = _cpu(process.pid)
        time.sleep(1.0)
        cpu = _cpu(process.pid) - before
    return Stop(name, label, seconds, outcome, peak, cpu)


def _nquads(path: Path, triples: int) -> Path:
    ex = "http://example.org/limits/"
    path.write_text("".join(f'<{ex}s{i}> <{ex}p> "{i}" <{_GRAPH}> .\n'
                            for i in range(triples)))
    return path


def measure_limits(workdir: Path, *, limit: float = 2.0, triples: int = 300,
                   give_up: float = 90.0, max_mb: float = 2048.0) -> list[Stop]:
    """Each runaway query on Oxigraph server (``--timeout-s limit``) and on Virtuoso
    (``MaxQueryExecutionTime = limit``, then the per-request ``timeout`` of anytime
    queries), over the same ``triples`` in one named graph."""
    workdir.mkdir(parents=True, exist_ok=True)
    data = _nquads(workdir / "limits.nq", triples)
    stops: list[Stop] = []
    oxigraph = Path(sys.executable).parent / "oxigraph"
    location = workdir / "oxigraph"
    shutil.rmtree(location, ignore_errors=True)
    subprocess.run([oxigraph, "load", "--location", location, "--file", data], check=True,
                   capture_output=True, timeout=300)
    for label, query in RUNAWAY.items():  # a fresh server each: one may be killed
        port = _free_port()
        with open(workdir / "oxigraph.log", "ab") as log:
            server = subprocess.Popen([oxigraph, "serve", "--location", location, "--bind",
                                       f"127.0.0.1:{port}", "--timeout-s", f"{limit:g}"],
                                      stdout=log, stderr=subprocess.STDOUT,
                                      preexec_fn=_die_with_parent)
        try:
            url = f"http://127.0.0.1:{port}/query"
            _wait_for(url, server)
            stops.append(_stop_of(f"Oxigraph server --timeout-s {limit:g}", label, server, url,
                                  query, give_up, max_mb))
        finally:
            server.kill()
            server.wait()
    virtuoso = Virtuoso(workdir / "virtuoso", max_query_seconds=limit)
    try:
        virtuoso.load(data)
        for label, query in RUNAWAY.items():
            stops.append(_stop_of(f"Virtuoso MaxQueryExecutionTime = {limit:g}", label,
                                  virtuoso.process, virtuoso.query_url, query, give_up, max_mb))
            stops.append(_stop_of(f"Virtuoso timeout = {limit * 1000:.0f} ms (anytime)", label,
                                  virtuoso.process, virtuoso.query_url, query, give_up, max_mb,
                                  timeout=str(int(limit * 1000))))
    finally:
        virtuoso.stop()
    return stops


def _wait_for(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(url, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server at {url} did not start")


def write_limits(stops: list[Stop], out: Path, *, limit: float, triples: int) -> Path:
    """The table of ``stops`` in ``out`` (markdown)."""
    rows = "\n".join(f"| {s.server} | {s.query} | {s.seconds:.1f} | {s.outcome} | "
                     f"{s.peak_mb:.0f} | {s.cpu_after:.2f} |" for s in stops)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(f"""# Time limits: who stops a runaway query

`python bench/virtuoso.py limits --limit {limit:g} --triples {triples}` on
{platform.node()} ({os.cpu_count()} cores), {datetime.date.today()}: {triples} triples in one
named graph; each query is a 4-way cross product of them ({triples ** 4:.1e} rows), asked
once with a {limit:g} s limit. "seconds": until the server answered (or the client gave up);
"peak MB": the server's resident memory while it ran (this script kills it past a cap);
"CPU after": CPU seconds the server used in the second after it answered (~0: the query
really stopped; ~1+: it is still running).

| server and limit | query | seconds | outcome | peak MB | CPU after |
|---|---|---|---|---|---|
{rows}
""")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="start a Virtuoso and print its URLs")
    serve.add_argument("workdir", type=Path)
    limits = commands.add_parser("limits", help="measure who stops a runaway query")
    limits.add_argument("--limit", type=float, default=2.0)
    limits.add_argument("--triples", type=int, default=300)
    limits.add_argument("--work", type=Path, default=Path("/tmp/ag-bench/limits"))
    limits.add_argument("--out", type=Path, default=HERE / "results" / "time-limits.md")
    options = parser.parse_args()
    reason = unavailable()
    if reason:
        sys.exit(reason)
    if options.command == "limits":
        stops = measure_limits(options.work, limit=options.limit, triples=options.triples)
        print(write_limits(stops, options.out, limit=options.limit,
                           triples=options.triples).read_text())
        return
    server = Virtuoso(options.workdir)
    print(f"query {server.query_url}\nupdate {server.update_url} (digest: {server.user} "
          f"{server.password})\ngraph store {server.graph_store_url}\nCtrl-C stops it")
    try:
        server.process.wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
