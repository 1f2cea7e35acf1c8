"""Benchmark: validation on write, incremental against full revalidation.

The store is the bundled graph replicated: the ontology, background and links graphs once,
and the two paper graphs (``paper-a``, ``paper-b``) ``k`` times, each copy with its own IRIs
(``id/paper-a/claim/x`` becomes ``id/paper-a-r3/claim/x``; every IRI that only the papers
mint is renamed the same way), blank nodes and named graph. States, persons, organisations
and the other background entities stay shared, as they would be in a graph of many papers.
Copy 0 is the bundled graph itself, so the store has the bundled graph's shape and conforms
(``k`` is chosen to come near 10^4, 10^5, 10^6 triples).

Two kinds of write, each exactly 100 triples (the script counts the delta and stops if not):

* ``insert``: INSERT DATA of 8 new claims of paper A with their evidence;
* ``pattern``: DELETE/INSERT/WHERE that relabels the first 50 claims of papers A and B,
  found by a sub-select (50 labels removed, 50 added).

Each write is checked

* incrementally, as the service does before it commits: ``ShapesWriteGuard.check_update``
  works out the delta and validates only the affected nodes (after one untimed warm-up
  run, as in a running service: its SPARQL constraints are parsed once);
* by full revalidation of the after-state (``alliancegraph.shapes.validate.validate``), the
  baseline; the after-state is built (the update applied by Oxigraph to a copy) outside
  the timer.

Medians of wall-clock (and CPU) times are merged into ``bench/results/validation_on_write.json``
(by store size and write kind; each measurement keeps its command and time) and the table
``bench/results/validation_on_write.md`` is written from that file.

    python bench/validation_on_write.py                        # 10^4 and 10^5, both methods
    python bench/validation_on_write.py --sizes 1000000 --methods full --full-repeat 1
    python bench/validation_on_write.py --sizes 10000 100000 1000000 --methods incremental
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import pyoxigraph as ox
from alliancegraph import CANONICAL_BASE
from alliancegraph.graph.sources import graph_iri, iter_sources, parse_source
from alliancegraph.shapes.validate import Report, validate
from alliancegraph.store.guard import ShapesWriteGuard, update_delta

ID = CANONICAL_BASE + "id/"
PAPER_GRAPHS = ("paper-a", "paper-b")
KINDS = ("insert", "pattern")
METHODS = ("incremental", "full")
UPDATE_TRIPLES = 100
RESULTS = Path(__file__).parent / "results"
PREFIXES = """PREFIX ag: <https://w3id.org/alliancegraph/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""


# ---------------------------------------------------------------------- the store


def bundled_quads() -> list[ox.Quad]:
    """Every bundled source (ontology included), as the store loads them."""
    return [q for graph, path in iter_sources() for q in parse_source(path, graph)]


def _paper_local_iris(quads: list[ox.Quad]) -> set[str]:
    """IRIs under ``id/`` that the paper graphs use and the background and links graphs do
    not: the nodes a copy of the papers gets its own version of. (The ontology names the
    papers as the sources of its terms; that does not make the papers shared.)"""
    paper_graphs = {graph_iri(g) for g in PAPER_GRAPHS}
    shared_graphs = {graph_iri(g) for g in ("background", "links")}
    shared, local = set(), set()
    for quad in quads:
        graph = quad.graph_name.value
        if graph not in paper_graphs | shared_graphs:
            continue
        target = local if graph in paper_graphs else shared
        for term in (quad.subject, quad.object):
            if isinstance(term, ox.NamedNode) and term.value.startswith(ID):
                target.add(term.value)
    return local - shared


def _renamed(iri: str, copy: int) -> str:
    """``id/paper-a/claim/x`` -> ``id/paper-a-r3/claim/x``, ``id/work/y`` -> ``id/work-r3/y``."""
    first, _, rest = iri[len(ID):].partition("/")
    return f"{ID}{first}-r{copy}" + (f"/{rest}" if rest else "")


def paper_copy(quads: Iterable[ox.Quad], copy: int, local: set[str]) -> list[ox.Quad]:
    """Copy ``copy`` (>= 1) of the paper graphs' quads. A quad that names no local node and no
    blank node would repeat copy 0's triple; it is left out."""
    def term(t):
        if isinstance(t, ox.BlankNode):
            return ox.BlankNode(f"{t.value}_r{copy}")
        if isinstance(t, ox.NamedNode) and t.value in local:
            return ox.NamedNode(_renamed(t.value, copy))
        return t

    out = []
    for quad in quads:
        subject, obj = term(quad.subject), term(quad.object)
        if subject == quad.subject and obj == quad.object:
            continue
        graph = ox.NamedNode(f"{quad.graph_name.value}-r{copy}")  # graph/paper-a-r3
        out.append(ox.Quad(subject, quad.predicate, obj, graph))
    return out


def synthetic_store(target: int) -> ox.Store:
    """The bundled graph with its papers copied as often as brings the store near ``target``
    triples (a copy adds about 8,100; at least the bundled graph itself)."""
    quads = bundled_quads()
    papers = [q for q in quads if q.graph_name.value in {graph_iri(g) for g in PAPER_GRAPHS}]
    local = _paper_local_iris(quads)
    store = ox.Store()
    store.bulk_extend(quads)
    per_copy = len(paper_copy(papers, 1, local))
    copies = max(0, round((target - len(quads)) / per_copy))
    for copy in range(1, copies + 1):
        store.bulk_extend(paper_copy(papers, copy, local))
    return store


# ---------------------------------------------------------------------- the writes


def insert_update() -> str:
    """INSERT DATA: 8 new claims of paper A, each with a label, a paraphrase, two subjects,
    its paper and one evidence node (section, quote); 4 of them cite a supporting footnote.
    4 x 13 + 4 x 12 = 100 triples."""
    blocks = []
    for i in range(8):
        footnote = f" ; ag:supportingFootnote <{ID}paper-a/footnote/{i + 1}>" if i < 4 else ""
        blocks.append(f"""
    <{ID}paper-a/claim/bench-{i}> a ag:Claim ;
        rdfs:label "Benchmark claim {i}"@en ;
        ag:paraphrase "A claim added by the validation-on-write benchmark, number {i}."@en ;
        ag:about <{ID}state/japan> , <{ID}state/south-korea> ;
        ag:claimedBy <{ID}paper-a> ;
        prov:wasDerivedFrom <{ID}paper-a> ;
        ag:evidence [ a ag:Evidence ; prov:entity <{ID}paper-a> ;
            ag:inSection <{ID}paper-a/section/1> ; ag:quote "benchmark quote {i}"{footnote} ] .""")
    return (PREFIXES + f"INSERT DATA {{ GRAPH <{graph_iri('paper-a')}> {{"
            + "".join(blocks) + "\n} }")


def pattern_update() -> str:
    """DELETE/INSERT/WHERE: the first 50 claims (by IRI) of papers A and B get a revised
    label: 50 labels removed, 50 added. The WHERE finds them with a sub-select."""
    return PREFIXES + f"""DELETE {{ GRAPH ?g {{ ?claim rdfs:label ?old }} }}
INSERT {{ GRAPH ?g {{ ?claim rdfs:label ?new }} }}
WHERE {{
    {{ SELECT ?g ?claim ?old WHERE {{
        VALUES ?paper {{ <{ID}paper-a> <{ID}paper-b> }}
        GRAPH ?g {{ ?claim a ag:Claim ; ag:claimedBy ?paper ; rdfs:label ?old }}
    }} ORDER BY ?claim LIMIT 50 }}
    BIND (STRLANG(CONCAT(STR(?old), " (revised)"), "en") AS ?new)
}}"""


UPDATES: dict[str, Callable[[], str]] = {"insert": insert_update, "pattern": pattern_update}


def delta_size(store: ox.Store, update: str) -> int:
    """Triples the update adds plus triples it removes (the guard's own delta)."""
    return len(update_delta(store, update))


def after_state(store: ox.Store, update: str) -> ox.Store:
    """A copy of ``store`` with ``update`` applied by Oxigraph."""
    after = ox.Store()
    after.bulk_extend(store)
    after.update(update)
    return after


def checked_nodes(report: Report) -> set[str]:
    """The focus nodes an incremental report was run on."""
    return {node for nodes in (report.checked or {}).values() for node in nodes}


# ---------------------------------------------------------------------- measuring


def timed(call: Callable[[], object], repeat: int) -> dict:
    """``repeat`` runs of ``call``: wall-clock and CPU seconds of this process (the machine
    may be shared: CPU time is the steadier of the two)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return {"median_s": statistics.median(wall), "runs": repeat, "times_s": wall,
            "cpu_median_s": statistics.median(cpu), "cpu_times_s": cpu}


def measure(store: ox.Store, kind: str, guard: ShapesWriteGuard, methods: Iterable[str],
            repeat: int, full_repeat: int) -> dict:
    """One row: store size, write kind, and the times of the chosen methods."""
    update = UPDATES[kind]()
    size = delta_size(store, update)
    if size != UPDATE_TRIPLES:
        raise SystemExit(f"the {kind} update changes {size} triples, not {UPDATE_TRIPLES}")
    row: dict = {"triples": len(store), "kind": kind, "update_triples": size}
    stamp = {"command": " ".join(["python", *sys.argv]),
             "measured_at": datetime.now(UTC).isoformat(timespec="seconds")}
    if "incremental" in methods:
        report = guard.check_update(store, update)  # raises ValidationFailed on a violation
        row["focus_nodes"] = len(checked_nodes(report))
        row["incremental"] = timed(lambda: guard.check_update(store, update), repeat) | stamp
    if "full" in methods and full_repeat:
        after = after_state(store, update)
        reports: list[Report] = []
        times = timed(lambda: reports.append(validate(after)), full_repeat)
        if not reports[0].conforms:
            raise SystemExit(f"full revalidation after the {kind} update:\n{reports[0].text()}")
        row["full"] = times | {"results": reports[0].counts()} | stamp
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000],
                        help="target store sizes in triples (default: 10000 100000)")
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--repeat", type=int, default=5, help="incremental runs per row")
    parser.add_argument("--full-repeat", type=int, default=3, help="full runs per row")
    args = parser.parse_args()
    guard = ShapesWriteGuard()
    for target in args.sizes:
        store = synthetic_store(target)
        for kind in args.kinds:
            row = measure(store, kind, guard, args.methods, args.repeat, args.full_repeat)
            row["target"] = target
            merge_row(row)
            print(json.dumps(row), flush=True)
    write_table()


# ---------------------------------------------------------------------- results


def load_rows(path: Path = RESULTS / "validation_on_write.json") -> list[dict]:
    return json.loads(path.read_text())["rows"] if path.exists() else []


def merge_row(row: dict, path: Path = RESULTS / "validation_on_write.json") -> None:
    """Put ``row`` into the results file: a measurement replaces the one of the same store
    size, write kind and method; the others stay."""
    rows = load_rows(path)
    for old in rows:
        if (old["target"], old["kind"]) == (row["target"], row["kind"]):
            old.update(row)
            break
    else:
        rows.append(row)
    rows.sort(key=lambda r: (r["target"], KINDS.index(r["kind"])))
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2) + "\n")


def machine() -> str:
    libs = ", ".join(f"{name} {version(name)}" for name in ("pyshacl", "rdflib", "pyoxigraph"))
    return (f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"{libs}")


def _cell(measured: dict | None) -> str:
    if not measured:
        return "not measured (see below)"
    return f"{measured['median_s']:.3f} ({measured['runs']} run{'s' * (measured['runs'] > 1)})"


def write_table(path: Path = RESULTS / "validation_on_write.md") -> None:
    rows = load_rows()
    commands = sorted({m["command"] for r in rows for m in (r.get("incremental"),
                                                            r.get("full")) if m})
    lines = [
        "# Validation on write: a 100-triple update, incremental vs full revalidation",
        "",
        f"Machine: {machine()}.",
        "Store: the bundled graph with its two paper graphs copied (see the script's "
        "docstring); sizes include the ontology. Times: median wall-clock seconds (runs).",
        "`insert`: INSERT DATA of 8 claims with evidence; `pattern`: DELETE/INSERT/WHERE "
        "relabelling 50 claims found by the WHERE. Both change exactly 100 triples. "
        "CPU: this process's CPU seconds, median (the machine is shared: steadier than "
        "wall-clock).",
        "",
        "| store (triples) | write | update (triples) | focus nodes checked "
        "| incremental, s (runs) | incremental CPU, s | full revalidation, s (runs) "
        "| full / incremental |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        inc, full = row.get("incremental"), row.get("full")
        ratio = f"{full['median_s'] / inc['median_s']:.0f}x" if inc and full else "-"
        cpu = f"{inc['cpu_median_s']:.3f}" if inc else "-"
        lines.append(f"| {row['triples']:,} | {row['kind']} | {row['update_triples']} "
                     f"| {row.get('focus_nodes', '-')} | {_cell(inc)} "
                     f"| {cpu} | {_cell(full)} "
                     f"| {ratio} |")
    lines += ["", "Commands (each measurement in the .json names its own and its time):", ""]
    lines += [f"    {command}" for command in commands]
    notes = RESULTS / "validation_on_write.notes.md"
    if notes.exists():
        lines += ["", notes.read_text().rstrip()]
    path.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
