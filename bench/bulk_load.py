"""Bulk load side by side: ``oxigraph load``, raw pyoxigraph, and ``alliancegraph load``.

    .venv/bin/python bench/bulk_load.py --quads 1e5
    .venv/bin/python bench/bulk_load.py --quads 1e6 --validate-timeout 600
    .venv/bin/python bench/bulk_load.py --quads 300 --results /tmp/r     # smoke

The data is ``bench/generate.py``'s graph (``quads(count, seed)``, N-Quads). Each loader runs
in its own process, one after another, into a fresh directory: wall time (process start to
exit, imports included) and peak memory (``ru_maxrss`` of the process and every process it
waited for, from ``os.wait4``). ``alliancegraph load`` loads into a copy of a store built
by ``alliancegraph build`` (the copy is made before the clock starts). The validated run
has its own time limit (and the store's own ``validation_timeout`` applies); a load the
shapes refuse ends with exit 2, and its time is what validation cost before it refused.

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
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            _, status, usage = os.wait4(process.pid, 0)
            return Run(name, limit, usage.ru_maxrss / 1024, None, note or "stopped")
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
    return Run(name, seconds, usage.ru_maxrss / 1024, code, note)


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
    fast = next((r for r in runs if r["name"].endswith("--no-infer") and r["exit_code"] == 0),
                None)
    if fast is not None:
        ratio = fast["seconds"] / base
        verdict = "met" if ratio <= TARGET else f"missed by {ratio - TARGET:.2f}x"
        lines += ["", f"Target ≤ {TARGET}x `oxigraph load` (fastest `alliancegraph load`, "
                      f"unvalidated, no inference): {ratio:.2f}x — {verdict}."]
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
