"""Benchmark: validation on write, incremental against full revalidation.

A synthetic graph shaped like Alliance Graph's (papers with sections and footnotes, states,
claims with blank-node evidence, citations) is built at 10^4 and 10^5 triples (and 10^6
with ``--large``), together with the bundled ontology. On each, a 100-triple SPARQL update
(nine new claims with their evidence) is checked

* incrementally, as the write guard does it: the update's delta by rdflib over the
  read-through overlay, then only the affected nodes (``ShapesWriteGuard.report_for``);
* by full revalidation of the after-state (``alliancegraph.shapes.validate.validate``:
  pySHACL, core shapes on rdflib, SPARQL shapes on Oxigraph), the baseline.

Median wall-clock times go to ``bench/results/validation_on_write.md`` (and ``.json``).

    python bench/validation_on_write.py            # 10^4, 10^5
    python bench/validation_on_write.py --large    # also 10^6
    python bench/validation_on_write.py --large --full-max 100000   # no full run at 10^6

Full revalidation grows faster than linearly (2 s at 10^4, 95 s at 10^5 here); at 10^6 it
was not measured (an hour or more by extrapolation), so ``--full-max`` leaves it out above a
size and the table says so.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import pyoxigraph as ox
from alliancegraph.shapes.guard import ShapesWriteGuard, update_delta
from alliancegraph.shapes.validate import _ontology_quads, validate

AG = "https://w3id.org/alliancegraph/ontology#"
ID = "https://w3id.org/alliancegraph/id/"
GRAPH = ox.NamedNode("https://w3id.org/alliancegraph/graph/bench")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
PREF = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
PROV = "http://www.w3.org/ns/prov#"
RESULTS = Path(__file__).parent / "results"
NOTE = ("Full revalidation was not run where the table says so: it grows faster than "
        "linearly with the store (about 2 s at 10^4 and 95 s at 10^5 triples here), so at 10^6 "
        "it was not measured (extrapolating, an hour or more). The incremental check stays "
        "flat: it validates the same 29 focus nodes whatever the store size; what grows "
        "slightly is the cost of index lookups.")


def n(local: str) -> ox.NamedNode:
    return ox.NamedNode(ID + local)


def a(local: str) -> ox.NamedNode:
    return ox.NamedNode(AG + local)


def synthetic_store(target: int) -> ox.Store:
    """About ``target`` triples: 40 states, then papers of 10 sections, 50 footnotes and
    claims (11 triples each, with evidence) until the size is reached."""
    quads: list[ox.Quad] = []

    def add(s, p, o) -> None:
        quads.append(ox.Quad(s, p, o, GRAPH))

    for i in range(40):
        state = n(f"state/s{i}")
        add(state, RDF_TYPE, a("State"))
        add(state, PREF, ox.Literal(f"State {i}", language="en"))
        add(state, a("iso3166Alpha2"), ox.Literal(f"{chr(65 + i // 26)}{chr(65 + i % 26)}"))
    paper_index = 0
    while len(quads) < target:
        paper = n(f"paper-{paper_index}")
        add(paper, LABEL, ox.Literal(f"Paper {paper_index}", language="en"))
        add(paper, ox.NamedNode("http://purl.org/dc/terms/title"), ox.Literal("A paper"))
        add(paper, ox.NamedNode("http://purl.org/dc/terms/creator"), n("person/author"))
        sections = []
        for k in range(10):
            section = n(f"paper-{paper_index}/section/{k}")
            sections.append(section)
            add(paper, a("hasSection"), section)
            add(section, RDF_TYPE, ox.NamedNode("http://purl.org/spar/doco/Section"))
            add(section, LABEL, ox.Literal(f"Section {k}", language="en"))
            add(section, ox.NamedNode("http://purl.org/dc/terms/title"), ox.Literal("S"))
            add(section, a("ofPaper"), paper)
            add(section, a("sectionNumber"), ox.Literal(str(k + 1)))
        for f in range(50):
            note = n(f"paper-{paper_index}/footnote/{f + 1}")
            add(note, RDF_TYPE, a("Footnote"))
            add(note, LABEL, ox.Literal(f"Footnote {f + 1}", language="en"))
            add(note, a("footnoteNumber"), ox.Literal(str(f + 1)))
            add(note, a("footnoteLabel"), ox.Literal(str(f + 1)))
            add(note, a("ofPaper"), paper)
            add(note, a("inSection"), sections[f % 10])
            add(note, a("fullText"), ox.Literal("Ibid."))
        for c in range(400):
            if len(quads) >= target:
                break
            quads.extend(claim_quads(paper_index, sections[c % 10], f"c{c}", c % 40))
        paper_index += 1
    person = n("person/author")
    quads.append(ox.Quad(person, RDF_TYPE, ox.NamedNode("http://xmlns.com/foaf/0.1/Person"), GRAPH))
    quads.append(ox.Quad(person, LABEL, ox.Literal("Author", language="en"), GRAPH))
    store = ox.Store()
    store.bulk_extend(quads)
    store.bulk_extend(_ontology_quads())
    return store


def claim_quads(paper: int, section: ox.NamedNode, slug: str, state: int) -> list[ox.Quad]:
    claim = n(f"paper-{paper}/claim/{slug}")
    evidence = ox.BlankNode()
    triples = [
        (claim, RDF_TYPE, a("Claim")),
        (claim, LABEL, ox.Literal(f"Claim {slug}", language="en")),
        (claim, a("paraphrase"), ox.Literal("Something is said.", language="en")),
        (claim, a("about"), n(f"state/s{state}")),
        (claim, a("claimedBy"), n(f"paper-{paper}")),
        (claim, ox.NamedNode(PROV + "wasDerivedFrom"), n(f"paper-{paper}")),
        (claim, a("evidence"), evidence),
        (evidence, RDF_TYPE, a("Evidence")),
        (evidence, ox.NamedNode(PROV + "entity"), n(f"paper-{paper}")),
        (evidence, a("inSection"), section),
        (evidence, a("quote"), ox.Literal("something is said")),
    ]
    return [ox.Quad(s, p, o, GRAPH) for s, p, o in triples]


def hundred_triple_update() -> str:
    """Nine new claims of paper 0 with evidence: 99 triples, in one INSERT DATA."""
    lines = []
    for i in range(9):
        quads = claim_quads(0, n("paper-0/section/1"), f"new-{i}", i)
        for q in quads:
            s = f"_:{q.subject.value}" if isinstance(q.subject, ox.BlankNode) else str(q.subject)
            o = f"_:{q.object.value}" if isinstance(q.object, ox.BlankNode) else str(q.object)
            lines.append(f"{s} {q.predicate} {o} .")
    return f"INSERT DATA {{ GRAPH <{GRAPH.value}> {{\n" + "\n".join(lines) + "\n} }"


def timed(call, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def run(size: int, guard: ShapesWriteGuard, repeat: int, full_repeat: int) -> dict:
    """Times for one store size; ``full_repeat`` 0 leaves full revalidation out."""
    store = synthetic_store(size)
    triples = len(store)
    update = hundred_triple_update()
    delta = update_delta(store, update)

    def incremental():
        report = guard.report_for(store, update_delta(store, update))
        assert report.conforms, report.text()

    def full():
        after = ox.Store()
        after.bulk_extend(store)
        after.bulk_extend(delta.added)
        report = validate(after)
        assert report.conforms, report.text()

    inc = timed(incremental, repeat)
    checked = guard.report_for(store, delta).checked or {}
    full_times = timed(full, full_repeat)
    return {"triples": triples, "update_triples": len(delta.added),
            "focus_nodes": len({x for nodes in checked.values() for x in nodes}),
            "incremental_median_s": statistics.median(inc), "incremental_runs": len(inc),
            "full_median_s": statistics.median(full_times) if full_times else None,
            "full_runs": len(full_times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--large", action="store_true", help="also 10^6 triples")
    parser.add_argument("--repeat", type=int, default=5, help="incremental runs per size")
    parser.add_argument("--full-repeat", type=int, default=3, help="full runs per size")
    parser.add_argument("--full-max", type=int, default=None,
                        help="no full revalidation on stores larger than this")
    args = parser.parse_args()
    sizes = [10_000, 100_000] + ([1_000_000] if args.large else [])
    guard = ShapesWriteGuard()
    rows = []
    for size in sizes:
        full_repeat = 1 if size >= 1_000_000 else args.full_repeat
        if args.full_max is not None and size > args.full_max:
            full_repeat = 0
        row = run(size, guard, args.repeat, full_repeat)
        rows.append(row)
        print(json.dumps(row))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "validation_on_write.json").write_text(json.dumps(rows, indent=2) + "\n")
    lines = [
        "# Validation on write: a 100-triple update, incremental vs full revalidation",
        "",
        f"Machine: {platform.machine()}, Python {platform.python_version()}; "
        "`python bench/validation_on_write.py" + (" --large" if args.large else "")
        + (f" --full-max {args.full_max}" if args.full_max else "") + "`.",
        "Median wall-clock seconds. Store sizes include the bundled ontology.",
        "",
        "| store (triples) | update (triples) | focus nodes checked | incremental (s) | "
        "full revalidation (s) | full / incremental |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if row["full_median_s"] is None:
            full, ratio = "not run (--full-max)", "-"
        else:
            full = f"{row['full_median_s']:.2f} ({row['full_runs']} runs)"
            ratio = f"{row['full_median_s'] / row['incremental_median_s']:.0f}x"
        lines.append(f"| {row['triples']:,} | {row['update_triples']} | {row['focus_nodes']} "
                     f"| {row['incremental_median_s']:.3f} ({row['incremental_runs']} runs) "
                     f"| {full} | {ratio} |")
    if any(row["full_median_s"] is None for row in rows):
        lines += ["", NOTE]
    (RESULTS / "validation_on_write.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
