"""Fidelity of ``alliancegraph ingest`` on the two bundled papers, against the curated graph.

Each seed paper is re-ingested from its text alone and compared with what the curated graph
records: footnotes with the right number (label) and section; citation fields (precision,
recall, F1 over the fields the curated graph records for a citation and its work: pages as
printed and normalised, title, date issued, season, URL, access date, authors' family names,
container title, the person quoted); works deduplicated within a paper (a false merge puts
two curated works in one group); and the share of citations whose matched work is the
curated one.

    .venv/bin/python bench/ingest_fidelity.py     # writes bench/results/ingest-fidelity.md

Needs ``../shared/seeds`` (the seed texts); ``tests/ingest/test_against_curated.py`` calls
:func:`measure` and asserts the figures.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from rapidfuzz import fuzz

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
PAPERS = {"paper-a": SEEDS / "000_d8a697b6a8185fb0.txt",
          "paper-b": SEEDS / "002_5b83774101edd79f.txt"}
RESULTS = ROOT / "bench" / "results" / "ingest-fidelity.md"
TARGETS = {"footnotes": 1.0, "f1": 0.95, "false_merges": 0, "matched": 0.95}
ID = "https://w3id.org/alliancegraph/id/"
FIELDS = ("pages", "page_start", "page_end", "title", "issued", "season", "url",
          "access_date", "authors", "container", "quoted_person")

CURATED = """PREFIX ag: <https://w3id.org/alliancegraph/ontology#>
PREFIX cito: <http://purl.org/spar/cito/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX frbr: <http://purl.org/vocab/frbr/core#>
PREFIX schema: <https://schema.org/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
SELECT ?c ?label ?work ?pages ?page_start ?page_end ?quoted_person ?title ?issued ?season
       ?url ?access_date (GROUP_CONCAT(DISTINCT ?fam; separator="|") AS ?authors) ?container
WHERE {
  ?c a cito:Citation ; cito:hasCitingEntity <%(paper)s> ; ag:hasInTextPointer/ag:footnoteLabel
     ?label ; cito:hasCitedEntity ?work .
  OPTIONAL { ?c ag:citedPages ?pages } OPTIONAL { ?c ag:pageStart ?page_start }
  OPTIONAL { ?c ag:pageEnd ?page_end } OPTIONAL { ?c ag:quotedPerson/foaf:name ?quoted_person }
  OPTIONAL { ?work dcterms:title ?title } OPTIONAL { ?work dcterms:issued ?issued }
  OPTIONAL { ?work ag:season ?season } OPTIONAL { ?work schema:url ?url }
  OPTIONAL { ?c ag:accessDate ?access_date }  # printed with the citation, not the work
  OPTIONAL { ?work dcterms:creator/foaf:familyName ?fam }
  OPTIONAL { ?work frbr:partOf/dcterms:title ?container }
} GROUP BY ?c ?label ?work ?pages ?page_start ?page_end ?quoted_person ?title ?issued ?season
  ?url ?access_date ?container"""

FOOTNOTES = """PREFIX ag: <https://w3id.org/alliancegraph/ontology#>
SELECT ?label ?section WHERE { ?f ag:ofPaper <%(paper)s> ; ag:footnoteLabel ?label ;
  ag:inSection ?section }"""


def _norm(value: object) -> str:
    text = str(value).casefold().replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"[^\w]+", " ", text.replace("\u201c", '"').replace("\u201d", '"')).strip()


def same(name: str, curated: object, parsed: object) -> bool:
    """A parsed field equals the curated one (titles and names compared loosely: the
    curated graph corrects no spelling of a title, but quotes and case vary)."""
    if name in ("authors", "quoted_person"):
        return set(_norm(curated).split()) <= set(_norm(parsed).split()) or \
            set(_norm(parsed).split()) <= set(_norm(curated).split())
    if name in ("title", "container"):
        return fuzz.ratio(_norm(curated), _norm(parsed)) >= 95
    return _norm(curated) == _norm(parsed)


def curated_citations(select: Callable[[str], Iterable[dict]], paper: str) -> list[dict]:
    rows = []
    for row in select(CURATED % {"paper": ID + paper}):
        record = {k: v.value for k, v in row.items()}
        record["authors"] = " ".join(sorted(record.get("authors", "").split("|"))).strip()
        rows.append({k: v for k, v in record.items() if v != ""})

    def order(row: dict) -> tuple:
        tail = row["c"].rsplit("/", 1)[1]
        return (row["label"], int(tail.split("-")[1]) if "-" in tail else 1)
    return sorted(rows, key=order)


def parsed_fields(citation) -> dict[str, object]:
    from alliancegraph.ingest.citations import family

    out = {k: citation.get(k) for k in FIELDS if citation.get(k) not in (None, [], "")}
    if citation.get("authors"):
        out["authors"] = " ".join(sorted({family(a) for a in citation.get("authors")}))
    if citation.get("quoted_person"):
        out["quoted_person"] = citation.get("quoted_person")
    return out


def measure(select: Callable[[str], Iterable[dict]], texts: dict[str, str] | None = None
            ) -> dict:
    """The figures, per paper and in total (``select``: a store's SELECT over the curated
    graph; ``texts``: the seed texts, read from ../shared/seeds when None)."""
    from alliancegraph.ingest.matching import known_works
    from alliancegraph.ingest.pipeline import ingest

    texts = texts or {p: path.read_text(encoding="utf-8") for p, path in PAPERS.items()}
    works = known_works(select)
    figures: dict = {"papers": {}}
    totals = dict.fromkeys(("fn_right", "fn_total", "tp", "fp", "fn", "cit", "matched",
                            "false_merges", "groups", "works"), 0)
    for paper, text in texts.items():
        result = ingest(text, paper, select, works=works)
        paper_figures = _paper(select, paper, result)
        figures["papers"][paper] = paper_figures
        for key in totals:
            totals[key] += paper_figures[key]
    figures["total"] = totals
    figures["footnotes"] = totals["fn_right"] / totals["fn_total"]
    p = totals["tp"] / max(1, totals["tp"] + totals["fp"])
    r = totals["tp"] / max(1, totals["tp"] + totals["fn"])
    figures.update(precision=p, recall=r, f1=2 * p * r / max(1e-9, p + r),
                   matched=totals["matched"] / max(1, totals["cit"]),
                   false_merges=totals["false_merges"])
    return figures


def _paper(select, paper: str, result) -> dict:
    curated_notes = {r["label"].value: r["section"].value.rsplit("/", 1)[1]
                     for r in select(FOOTNOTES % {"paper": ID + paper})}
    right = sum(1 for n in result.document.footnotes
                if curated_notes.get(n.label) == n.section)
    curated = curated_citations(select, paper)
    by_note: dict[str, list] = {}
    for citation in result.citations:
        by_note.setdefault(citation.footnote, []).append(citation)
    tp = fp = fn = matched = 0
    errors: list[str] = []
    work_of: dict[int, set[str]] = {}
    for row in curated:
        label = row["label"]
        index = int(row["c"].rsplit("-", 1)[1]) if "-" in row["c"].rsplit("/", 1)[1] else 1
        parsed = by_note.get(label, [])
        citation = parsed[index - 1] if index <= len(parsed) else None
        fields = parsed_fields(citation) if citation is not None else {}
        for name in FIELDS:
            if name == "container" and "container" not in row:
                continue  # the curated container (an issue) has no title to compare
            want, got = row.get(name), fields.get(name)
            if want is not None and got is not None and same(name, want, got):
                tp += 1
            else:
                fp += got is not None
                fn += want is not None
                if want is not None or got is not None:
                    errors.append(f"{paper} fn {label}: {name} curated {want!r} parsed {got!r}")
        if citation is None:
            continue
        group = result.group_of(citation)
        work_of.setdefault(group, set()).add(row["work"])
        chosen = result.matches.get(group)
        matched += chosen is not None and chosen.iri == row["work"]
    merges = sum(1 for works in work_of.values() if len(works) > 1)
    return {"fn_right": right, "fn_total": len(curated_notes), "tp": tp, "fp": fp, "fn": fn,
            "cit": len(curated), "matched": matched, "false_merges": merges,
            "groups": len(result.groups), "works": len({r["work"] for r in curated}),
            "errors": errors}


def table(figures: dict) -> str:
    t = figures["total"]

    def status(ok: bool, missed: str) -> str:
        return "met" if ok else f"missed by {missed}"
    rows = [
        ("footnotes with the right number and section", f"{t['fn_right']}/{t['fn_total']}",
         "47/47", status(t["fn_right"] == t["fn_total"], f"{t['fn_total'] - t['fn_right']}")),
        ("citation fields F1", f"{figures['f1']:.3f} (P {figures['precision']:.3f}, "
         f"R {figures['recall']:.3f})", "≥ 0.95",
         status(figures["f1"] >= 0.95, f"{0.95 - figures['f1']:.3f}")),
        ("works deduplicated: false merges", str(figures["false_merges"]), "0",
         status(figures["false_merges"] == 0, str(figures["false_merges"]))),
        ("works deduplicated: groups / curated works",
         " + ".join(f"{p['groups']}/{p['works']}" for p in figures["papers"].values()), "", ""),
        ("citations matched to the curated work", f"{t['matched']}/{t['cit']} "
         f"({figures['matched']:.3f})", "≥ 0.95",
         status(figures["matched"] >= 0.95, f"{0.95 - figures['matched']:.3f}")),
    ]
    lines = ["# Ingest fidelity: the two bundled papers re-ingested from their text",
             "", "Written by `bench/ingest_fidelity.py` (the figures "
             "`tests/ingest/test_against_curated.py` asserts).", "",
             "| measure | measured | target | |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    errors = [e for p in figures["papers"].values() for e in p["errors"]]
    lines += ["", f"## Field mismatches ({len(errors)})", ""]
    lines += [f"- {e}" for e in errors]
    return "\n".join(lines) + "\n"


def bundled_select() -> Callable[[str], Iterable[dict]]:
    import pyoxigraph as ox
    from alliancegraph.graph.sources import load_sources

    store = ox.Store()
    load_sources(store)

    def select(query: str) -> Iterable[dict]:
        solutions = store.query(query, use_default_graph_as_union=True)
        names = [v.value for v in solutions.variables]
        return [{n: row[n] for n in names if row[n] is not None} for row in solutions]
    return select


def main() -> int:
    if not all(p.is_file() for p in PAPERS.values()):
        print(f"the seed texts are not in {SEEDS}", file=sys.stderr)
        return 2
    figures = measure(bundled_select())
    RESULTS.write_text(table(figures), encoding="utf-8")
    print(table(figures).split("## Field")[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
