"""Bulk load side by side: ``oxigraph load``, raw pyoxigraph, and ``alliancegraph load``.

    .venv/bin/python bench/bulk_load.py --quads 1e5
    .venv/bin/python bench/bulk_load.py --quads 1e6 --validate-timeout 600
    .venv/bin/python bench/bulk_load.py --quads 300 --results /tmp/r     # smoke

The data is ``bench/generate.py``'s graph (``quads(count, seed)``, N-Quads). Each loader runs
in its own process, one after another, into a fresh directory: wall time (process start to
exit, imports included) and peak memory: the larger of ``ru_maxrss`` (from ``os.wait4``: the
process and every process it waited for) and the peak of the summed resident memory of
every process in its session, sampled every 20 ms (the store's writer and readers are
forked by multiprocessing's fork server, which the loader never waits for; shared pages
count once per process). ``alliancegraph load`` loads into a copy of a store built by
``alliancegraph build`` (the copy is made before the clock starts). The validated run
has its own time limit (and the store's own ``validation_timeout`` applies); a load the
shapes refuse ends with exit 2, and its time is what validation cost before it refused.

The HTTP row: ``alliancegraph serve`` (one worker, embedded store, validation on write off)
over another copy of the built store, started and answering ``/healthz`` before the clock
starts; the time is the one ``POST /rdf-graph-store`` of the file (N-Quads, streamed with
its Content-Length) to its answer; the memory is sampled over the server's session while
the POST runs (and its own ru_maxrss once stopped).

Results: ``<results>/bulk-load-<size>.json`` per size, and ``<results>/bulk-load.md``, a
table per size measured so far, each row as a ratio to ``oxigraph load``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402 - bench/ is not a package

BIN = Path(sys.executable).parent
#: the 1.3x target of issue 13, against ``oxigraph load``
TARGET = 1.3

RAW = ("import sys, pyoxigraph as ox\n"
       "store = ox.Store(sys.argv[1])\n"
       "getattr(store, sys.argv[3])(path=sys.argv[2], format=ox.RdfFormat.N_QUADS)\n"
       "store.flush()\n")


@dataclass
class Run:
    """One loader's run."""

    name: str
    seconds: float
    peak_mb: float
    exit_code: int | None  # None: stopped at the time limit
    note: str = ""


def measure(name: str, command: list[str], *, limit: float, note: str = "") -> Run:
    """Run ``command`` to its end or ``limit`` seconds (then its process group is killed)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    deadline = start + limit
    peak = 0.0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            _, status, usage = os.wait4(process.pid, 0)
            return Run(name, limit, max(peak, usage.ru_maxrss / 1024), None, note or "stopped")
        peak = max(peak, session_rss_mb(process.pid))
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    error = process.stderr.read().decode(errors="replace").strip() if process.stderr else ""
    if process.stderr:
        process.stderr.close()
    code = process.returncode
    if code and not note:
        note = error.splitlines()[-1] if error else f"exit {code}"
        note = note.split(": <")[0].replace("|", "/")[:120]  # no IRIs in a table cell
    return Run(name, seconds, max(peak, usage.ru_maxrss / 1024), code, note)


def session_rss_mb(session: int) -> float:
    """The resident memory of every process in ``session`` (Linux ``/proc``), in MB."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue  # ended meanwhile
        if int(fields[3]) == session:  # field 6 of stat: the session id
            total += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")  # field 24: rss pages
    return total / (1024 * 1024)


def built_store(work: Path) -> Path:
    """A store built by ``alliancegraph build`` (kept in ``work`` and reused)."""
    template = work / "built"
    if not (template / "oxigraph" / "CURRENT").exists():
        shutil.rmtree(template, ignore_errors=True)
        subprocess.run([str(BIN / "alliancegraph"), "build", "--data-dir", str(template),
                        "--quiet", "--no-docs"], check=True, stdout=subprocess.DEVNULL)
    return template


def fresh(work: Path, name: str, template: Path | None = None) -> Path:
    target = work / name
    shutil.rmtree(target, ignore_errors=True)
    if template is not None:
        shutil.copytree(template, target)
    return target


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


HTTP_ROW = "POST /rdf-graph-store (service, unvalidated, inference on)"


def measure_http(work: Path, template: Path, data: Path, *, limit: float) -> Run:
    """The HTTP bulk path: one POST of ``data`` to a running service (see the module)."""
    import requests

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    size = data.stat().st_size
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCEGRAPH_")}
    env.update({"ALLIANCEGRAPH_WRITE_TOKEN": "bench", "ALLIANCEGRAPH_VALIDATE_ON_WRITE":
                "false", "ALLIANCEGRAPH_MAX_LOAD_BYTES": str(2 * size),
                # until the body limit leaves the bulk path alone, it buffers the body
                "ALLIANCEGRAPH_MAX_BODY_BYTES": str(2 * size),
                "ALLIANCEGRAPH_REQUEST_READ_TIMEOUT": str(limit),
                "ALLIANCEGRAPH_CLIENT_TIMEOUT": str(limit)})
    target = fresh(work, "ag-http", template)
    log = (work / "serve.log").open("wb")
    server = subprocess.Popen(
        [str(BIN / "alliancegraph"), "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1", "--data-dir", str(target)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_ready(url, server)
        sampler = _Sampler(server.pid)
        start = time.perf_counter()
        with data.open("rb") as body:
            response = requests.post(url + "/rdf-graph-store", data=body, timeout=limit,
                                     headers={"Content-Type": "application/n-quads",
                                              "Authorization": "Bearer bench"})
        seconds = time.perf_counter() - start
        peak = sampler.stop()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        _, status, usage = os.wait4(server.pid, 0)
        server.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        log.close()
    ok = response.status_code in (200, 201)
    note = "" if ok else f"{response.status_code}: {response.text[:100]}"
    return Run(HTTP_ROW, seconds, max(peak, usage.ru_maxrss / 1024), 0 if ok else 1, note)


class _Sampler:
    """The peak of :func:`session_rss_mb` of ``session``, sampled in a thread."""

    def __init__(self, session: int):
        import threading

        self.session, self.peak = session, 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.wait(0.02):
            self.peak = max(self.peak, session_rss_mb(self.session))

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self.peak


def _wait_ready(url: str, server: subprocess.Popen, timeout: float = 300.0) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited ({server.returncode})")
        try:
            if requests.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within {timeout:g} s")


def run_all(count: int, seed: int, work: Path, validate_timeout: float,
            limit: float) -> list[Run]:
    """Every loader over the same generated file."""
    work.mkdir(parents=True, exist_ok=True)
    data = generate.write(work / f"generated-{count}.nq", count, seed)
    template = built_store(work)
    python = sys.executable
    runs = [
        measure("oxigraph load (CLI)", [str(BIN / "oxigraph"), "load", "--location",
                                        str(fresh(work, "ox-cli")), "--file", str(data)],
                limit=limit),
        measure("pyoxigraph bulk_load", [python, "-c", RAW, str(fresh(work, "ox-bulk")),
                                         str(data), "bulk_load"], limit=limit),
        measure("pyoxigraph Store.load (one transaction)",
                [python, "-c", RAW, str(fresh(work, "ox-load")), str(data), "load"],
                limit=limit),
    ]
    agl = [str(BIN / "alliancegraph"), "load", "--quiet", str(data)]
    variants = (("alliancegraph load --no-validate --no-infer", ["--no-validate", "--no-infer"],
                 limit),
                ("alliancegraph load --no-validate (inference on)", ["--no-validate"], limit),
                ("alliancegraph load --no-infer (validated)", ["--no-infer"],
                 validate_timeout))
    for name, options, seconds in variants:
        target = fresh(work, "ag", template)
        runs.append(measure(name, [*agl, "--data-dir", str(target), *options],
                            limit=seconds))
    runs.append(measure_http(work, template, data, limit=limit))
    return runs


def table(count: int, runs: list[dict]) -> str:
    base = next(r for r in runs if r["name"].startswith("oxigraph load"))["seconds"]
    lines = [f"### {count:,} quads", "",
             "| loader | time (s) | x oxigraph load | peak memory (MB) | outcome |",
             "|---|---:|---:|---:|---|"]
    for r in runs:
        over = ">" if r["exit_code"] is None else ""
        outcome = "ok" if r["exit_code"] == 0 else (r["note"] or f"exit {r['exit_code']}")
        lines.append(f"| {r['name']} | {over}{r['seconds']:.2f} | {over}"
                     f"{r['seconds'] / base:.2f} | {r['peak_mb']:.0f} | {outcome} |")
    verdicts = (("--no-infer", "fastest `alliancegraph load`, unvalidated, no inference"),
                ("(inference on)", "`alliancegraph load --no-validate`, inference on"))
    for suffix, what in verdicts:
        run = next((r for r in runs if r["name"].endswith(suffix) and r["exit_code"] == 0),
                   None)
        if run is not None:
            ratio = run["seconds"] / base
            verdict = "met" if ratio <= TARGET else f"missed by {ratio - TARGET:.2f}x"
            lines += ["", f"Target ≤ {TARGET}x `oxigraph load` ({what}): {ratio:.2f}x — "
                          f"{verdict}."]
    return "\n".join(lines)


def write_results(results: Path, count: int, runs: list[Run]) -> Path:
    results.mkdir(parents=True, exist_ok=True)
    stamp = {"quads": count, "date": datetime.datetime.now(datetime.UTC).isoformat(
        timespec="seconds"), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "runs": [asdict(r) for r in runs]}
    (results / f"bulk-load-{count}.json").write_text(json.dumps(stamp, indent=1) + "\n")
    measured = sorted((json.loads(p.read_text()) for p in results.glob("bulk-load-*.json")),
                      key=lambda m: m["quads"])
    body = ["# Bulk load", "", "Written by `bench/bulk_load.py` (see its docstring for how "
            "each figure is taken). Each size: its command was "
            "`.venv/bin/python bench/bulk_load.py --quads N`.", ""]
    for m in measured:
        body += [table(m["quads"], m["runs"]), "", f"_{m['machine']}, {m['date']}_", ""]
    notes = results / "bulk-load.notes.md"
    if notes.exists():
        body += [notes.read_text()]
    out = results / "bulk-load.md"
    out.write_text("\n".join(body))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quads", type=float, required=True, help="how many (1e5, 1e6)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=Path("/tmp/ag-bench/bulk-load"))
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--validate-timeout", type=float, default=600.0,
                        help="seconds the validated load may take")
    parser.add_argument("--limit", type=float, default=1800.0,
                        help="seconds any other loader may take")
    args = parser.parse_args()
    count = int(args.quads)
    runs = run_all(count, args.seed, args.work, args.validate_timeout, args.limit)
    print(write_results(args.results, count, runs))
    for run in runs:
        print(f"{run.name:50} {run.seconds:8.2f} s {run.peak_mb:7.0f} MB  {run.note}")


if __name__ == "__main__":
    main()
