"""Benchmark: validation on write of large writes — does it grow with the write, not the store?

    .venv/bin/python bench/validation_scaling.py --stores 1e5 1e6 --writes 1e2 1e3 1e4 1e5
    .venv/bin/python bench/validation_scaling.py --stores 3e4 --writes 100 --results /tmp/r  # smoke
    .venv/bin/python bench/validation_scaling.py --stores 1e5 --writes 1e3 1e4 --profile

Each store is built as a user would: ``alliancegraph build`` (:func:`build_store`, embedded
backend) and then generated quads (``bench/generate.py``'s units, the first ones of seed 1)
added unvalidated until the store holds about ``--stores`` quads. Each write is the next
``--writes`` quads of the same generator: whole units (a footnote with its citation, a claim
with its evidence …), padded with ``rdfs:comment`` lines to the exact size, so it conforms
and must be accepted. It goes through the real path: ``PolicyStore`` with validation on,
``store.apply(QuadDelta(added=…))`` (delta, validation and commit in the writer process).
The same write applied unvalidated is timed too; the difference is what validation costs.
After each run the write is taken out again (unvalidated), so every run sees the same store.

Peak memory is the writer process's high-water mark (``VmHWM``, reset before each write
through ``/proc/<pid>/clear_refs``). ``--profile`` runs the guard in this process on an
in-memory copy of the store under pyinstrument and keeps the summary in
``<results>/profiles/``.

Results: ``<results>/validation-scaling.json`` (every measurement with its command and time)
and the table ``<results>/validation-scaling.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import pyoxigraph as ox

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402 - bench/ is not a package

RESULTS = HERE / "results"
#: issue 13's target for a 10^4-quad write, seconds
TARGET_10K = 10.0


# ---------------------------------------------------------------------- data


def split_units(base: int, write: int, seed: int = 1) -> tuple[list[str], list[str]]:
    """N-Quads lines: the generator's first whole units holding at least ``base`` quads,
    then exactly ``write`` more (whole units, padded with comments on the last paper)."""
    before: list[str] = []
    after: list[str] = []
    for paper, unit in generate._units(seed):
        lines = [generate._line(q) for q in unit]
        if len(before) < base:
            before += lines
        elif len(after) + len(lines) <= write:
            after += lines
        else:
            after += generate._filler(paper, write - len(after))
            break
    return before, after


def parse(lines: list[str]) -> tuple[ox.Quad, ...]:
    return tuple(ox.parse("".join(lines).encode(), ox.RdfFormat.N_QUADS))


# ---------------------------------------------------------------------- stores


def open_bench_store(data_dir: Path, *, validate: bool):
    """The service's store over ``data_dir`` (embedded), validation on or off; generous
    limits, so that a slow validation is measured rather than cut."""
    from alliancegraph.config import load_settings
    from alliancegraph.store import open_store

    settings = load_settings().replace(
        store="embedded", data_dir=str(data_dir), validate_on_write=validate,
        validation_timeout=3600.0, write_timeout=3600.0)
    return open_store(settings)


def build_base(data_dir: Path, target: int, seed: int = 1) -> tuple[int, int]:
    """``alliancegraph build`` in ``data_dir``, then generated quads up to about ``target``
    quads in all; (quads in the store, generated quads used)."""
    from alliancegraph.graph.build import build_store
    from alliancegraph.store.base import QuadDelta

    build_store(data_dir, progress=False, docs=False)
    store = open_bench_store(data_dir, validate=False)
    try:
        built = store.count("*")
        lines, _ = split_units(max(0, target - built), 0, seed)
        for start in range(0, len(lines), 200_000):  # a few big writes, not one huge one
            store.apply(QuadDelta(added=parse(lines[start:start + 200_000])))
        return store.count("*"), len(lines)
    finally:
        store.close()


# ---------------------------------------------------------------------- measuring


def _writer_pid(store) -> int | None:
    pids = store.backend.writer_pids()
    return pids[0] if pids else None


def _reset_peak(pid: int | None) -> None:
    if pid is not None:
        # not Linux, or not allowed: the peak is then the writer's since it started
        with contextlib.suppress(OSError):
            Path(f"/proc/{pid}/clear_refs").write_text("5")


def _peak_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def timed_write(store, added: tuple[ox.Quad, ...]) -> dict:
    """One write through ``store`` and its undo: wall and CPU seconds (CPU of this process
    and of the writer, which does the work), the writer's peak memory, the report."""
    from alliancegraph.store.base import QuadDelta

    pid = _writer_pid(store)
    _reset_peak(pid)
    cpu = _cpu_of(pid)
    start = time.perf_counter()
    applied = store.apply(QuadDelta(added=added))
    wall = time.perf_counter() - start
    row = {"s": wall, "writer_cpu_s": _cpu_of(pid) - cpu, "peak_mb": _peak_mb(pid),
           "checked": _checked(applied.report)}
    store.backend.apply(QuadDelta(removed=added))  # back to the same store, unvalidated
    return row


def _warm_up(store, added: tuple[ox.Quad, ...]) -> None:
    """A small untimed write first: the writer process builds its guard (harvests the
    shapes) on its first validated write, as a running service does once."""
    from alliancegraph.errors import ValidationFailed
    from alliancegraph.store.base import QuadDelta

    with contextlib.suppress(ValidationFailed):  # a cut unit may not conform: no matter
        store.apply(QuadDelta(added=added[:50]))
        store.backend.apply(QuadDelta(removed=added[:50]))


def _cpu_of(pid: int | None) -> float:
    """User + system CPU seconds of process ``pid`` so far (0 when unknown)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _checked(report) -> int | None:
    if report is None or report.checked is None:
        return None
    return len({node for nodes in report.checked.values() for node in nodes})


def measure(data_dir: Path, added: tuple[ox.Quad, ...], repeat: int) -> dict:
    """Validated and unvalidated runs of one write; medians and every run."""
    out: dict = {}
    for name, validate in (("validated", True), ("unvalidated", False)):
        store = open_bench_store(data_dir, validate=validate)
        try:
            before = store.count("*")
            _warm_up(store, added)
            runs = [timed_write(store, added) for _ in range(repeat)]
            if store.count("*") != before:
                raise SystemExit(f"undoing the write left {store.count('*')} quads, "
                                 f"not {before}: the measurement would drift")
        finally:
            store.close()
        out[name] = {"median_s": statistics.median(r["s"] for r in runs),
                     "writer_cpu_median_s": statistics.median(r["writer_cpu_s"] for r in runs),
                     "peak_mb": max((r["peak_mb"] or 0) for r in runs) or None,
                     "runs": runs}
    out["checked"] = out["validated"]["runs"][0]["checked"]
    return out


def profile(data_dir: Path, added: tuple[ox.Quad, ...], out: Path) -> Path:
    """The guard on this write, in this process, under pyinstrument: the summary."""
    from alliancegraph.store.base import QuadDelta
    from alliancegraph.store.delta import quad_delta
    from alliancegraph.store.guard import ShapesWriteGuard
    from pyinstrument import Profiler

    store = open_bench_store(data_dir, validate=False)
    try:
        view = ox.Store()
        view.load(b"".join(store.dump(media_type="application/n-quads")),
                  ox.RdfFormat.N_QUADS)
    finally:
        store.close()
    guard = ShapesWriteGuard()
    delta = quad_delta(view, QuadDelta(added=added))
    profiler = Profiler()
    profiler.start()
    report = guard.report_for(view, delta)
    profiler.stop()
    out.parent.mkdir(parents=True, exist_ok=True)
    head = (f"# guard.report_for: {len(added):,}-quad write on a {len(view):,}-quad store, "
            f"conforms={report.conforms}, measured {_now()}\n"
            f"# command: {_command()}\n")
    out.write_text(head + profiler.output_text(unicode=False, color=False))
    return out


# ---------------------------------------------------------------------- results


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _command() -> str:
    return " ".join(["python", *sys.argv])


def machine() -> str:
    libs = ", ".join(f"{n} {version(n)}" for n in ("pyshacl", "rdflib", "pyoxigraph"))
    return (f"{platform.machine()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}, {libs}")


def load_rows(results: Path) -> list[dict]:
    path = results / "validation-scaling.json"
    return json.loads(path.read_text())["rows"] if path.exists() else []


def merge_row(results: Path, row: dict) -> None:
    """A measurement replaces the one of the same store target and write size."""
    rows = [r for r in load_rows(results)
            if (r["store_target"], r["write"]) != (row["store_target"], row["write"])]
    rows.append(row)
    rows.sort(key=lambda r: (r["store_target"], r["write"]))
    results.mkdir(parents=True, exist_ok=True)
    (results / "validation-scaling.json").write_text(
        json.dumps({"machine": machine(), "rows": rows}, indent=2) + "\n")


def _validation_s(row: dict, key: str = "writer_cpu_median_s") -> float:
    """What validation adds to the write: validated minus unvalidated (medians), by default
    in the writer's CPU seconds (steadier than wall-clock on a shared machine)."""
    return max(0.0, row["validated"][key] - row["unvalidated"][key])


def growth_lines(rows: list[dict]) -> list[str]:
    """How validation time grows: with the write (10x more quads -> ?x the time) at each
    store size, and with the store (the larger store / the smaller) at each write size."""
    lines = []
    by_store: dict[int, list[dict]] = {}
    for row in rows:
        by_store.setdefault(row["store_target"], []).append(row)
    for target, group in sorted(by_store.items()):
        group.sort(key=lambda r: r["write"])
        steps = [f"{b['write'] // a['write']}x the quads: "
                 f"{_validation_s(b) / max(_validation_s(a), 1e-9):.1f}x the time"
                 for a, b in itertools.pairwise(group)]
        if steps:
            lines.append(f"- store ~{target:,}: " + "; ".join(steps)
                         + " (linear: the same factor)")
    targets = sorted(by_store)
    for small, large in itertools.pairwise(targets):
        for write in sorted({r["write"] for r in by_store[small]}
                            & {r["write"] for r in by_store[large]}):
            a = next(r for r in by_store[small] if r["write"] == write)
            b = next(r for r in by_store[large] if r["write"] == write)
            lines.append(f"- {write:,}-quad write, store ~{large:,} vs ~{small:,}: "
                         f"{_validation_s(b) / max(_validation_s(a), 1e-9):.2f}x the "
                         f"validation time (flat: ~1)")
    return lines


def write_table(results: Path) -> str:
    rows = load_rows(results)
    lines = [
        "# Validation on write of large writes: time per write size and store size",
        "",
        f"Machine: {machine()}.",
        "Each write: generated quads (`bench/generate.py` units, conforming) added with "
        "`PolicyStore.apply(QuadDelta(added=…))` on the embedded store, validation on; the same "
        "write unvalidated beside it. Validation = validated minus unvalidated, in the writer "
        "process's CPU seconds (medians; the writer does the delta, the validation and the "
        "commit; the machine is shared, so wall-clock seconds are given but CPU is steadier).",
        "",
        "| store (quads) | write (quads) | validated, s | unvalidated, s "
        "| writer CPU validated, s | writer CPU unvalidated, s | validation CPU, s "
        "| validation CPU per quad, ms | writer peak, MB | nodes checked | runs |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        v, u = row["validated"], row["unvalidated"]
        validation = _validation_s(row)
        peak = f"{v['peak_mb']:.0f}" if v.get("peak_mb") else "-"
        lines.append(
            f"| {row['store_quads']:,} | {row['write']:,} | {v['median_s']:.3f} "
            f"| {u['median_s']:.3f} | {v['writer_cpu_median_s']:.2f} "
            f"| {u['writer_cpu_median_s']:.2f} | {validation:.2f} "
            f"| {1000 * validation / row['write']:.3f} | {peak} | {row.get('checked') or '-'} "
            f"| {len(v['runs'])} |")
    lines += ["", "Growth of the validation CPU time:", "", *growth_lines(rows)]
    ten_k = [r for r in rows if r["write"] == 10_000]
    if ten_k:
        worst = max(_validation_s(r) for r in ten_k)
        verdict = "met" if worst <= TARGET_10K else f"missed by {worst / TARGET_10K:.1f}x"
        lines += ["", f"Target: a 10^4-quad write validates in <= {TARGET_10K:.0f} s: "
                      f"{verdict} (worst {worst:.1f} s of CPU)."]
    commands = sorted({r["command"] for r in rows})
    lines += ["", "Commands (each row in the .json has its own command and time):", ""]
    lines += [f"    {c}" for c in commands]
    notes = results / "validation-scaling.notes.md"
    if notes.exists():
        lines += ["", notes.read_text().rstrip()]
    text = "\n".join(lines) + "\n"
    (results / "validation-scaling.md").write_text(text)
    return text


# ---------------------------------------------------------------------- main


def _size(text: str) -> int:
    value = float(text)
    if value <= 0 or value != int(value):
        raise argparse.ArgumentTypeError(f"not a whole positive number: {text}")
    return int(value)


def run(stores: list[int], writes: list[int], *, repeat: int, results: Path, work: Path,
        do_profile: bool = False, report: Callable[[str], None] = print) -> list[dict]:
    rows = []
    for target in stores:
        data_dir = work / f"store-{target}"
        store_quads, generated = build_base(data_dir, target)
        report(f"store ~{target:,}: {store_quads:,} quads ({generated:,} generated)")
        for write in sorted(writes):
            _, lines = split_units(generated, write)
            added = parse(lines)
            runs = repeat if write < 10_000 else 1
            measured = measure(data_dir, added, runs)
            row = {"store_target": target, "store_quads": store_quads, "write": len(added),
                   **measured, "command": _command(), "measured_at": _now()}
            merge_row(results, row)
            rows.append(row)
            report(json.dumps({k: row[k] for k in ("store_quads", "write", "checked")}
                              | {"validated_s": row["validated"]["median_s"],
                                 "unvalidated_s": row["unvalidated"]["median_s"]}))
            if do_profile and write in (1_000, 10_000):
                path = profile(data_dir, added, results / "profiles" /
                               f"validation-scaling-{target}-{write}.txt")
                report(f"profile: {path}")
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stores", type=_size, nargs="+", default=[100_000, 1_000_000],
                        help="store sizes in quads, bundled build included (1e5 works)")
    parser.add_argument("--writes", type=_size, nargs="+",
                        default=[100, 1_000, 10_000, 100_000], help="write sizes in quads")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per write below 10^4 quads (larger ones: one run)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--work", type=Path, help="where the stores go (default: a temp dir)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the 10^3 and 10^4 writes (pyinstrument)")
    parser.add_argument("--table-only", action="store_true",
                        help="measure nothing: write the table from the .json")
    args = parser.parse_args(argv)
    if args.table_only:
        print(write_table(args.results))
        return
    with tempfile.TemporaryDirectory(prefix="validation-scaling-") as scratch:
        run(args.stores, args.writes, repeat=args.repeat, results=args.results,
            work=args.work or Path(scratch), do_profile=args.profile)
    print(write_table(args.results))


if __name__ == "__main__":
    main()
