"""What the papers cite: each paper's footnotes in order with the works each cites, the
same citations by work, and the most-cited works and authors.

A citation is a ``cito:Citation`` node (one per footnote and cited work):
``cito:hasCitingEntity`` the paper, ``cito:hasCitedEntity`` the work,
``ag:hasInTextPointer`` the footnote, ``ag:citedPages`` as printed,
``cito:hasCitationCharacterization`` its character and ``ag:characterizationCue`` the
words that decided it (ontology/src/scholarly.ttl). Footnotes (``ag:ofPaper``) are ordered
by ``ag:footnoteNumber`` read as a number (2 before 10), then by ``ag:footnoteLabel`` (paper
B prints 4 twice: 4a, 4b). An author is a ``dcterms:creator`` of a cited work; an author's
count is the citations of their works.

:func:`citation_view` is the one paper's view (what a paper's page embeds, with the
template ``citation_view.html``); :func:`citation_views` every paper's and the counts over
all of them. No Flask here.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from alliancegraph.graph.entity import labels as entity_labels
from alliancegraph.graph.vocabulary import ontology_namespace
from alliancegraph.store import Store

CITO = "http://purl.org/spar/cito/"
DCTERMS = "http://purl.org/dc/terms/"
#: how many works and authors a chart shows
TOP = 10


@dataclass(frozen=True)
class Citation:
    """One footnote citing one work."""

    iri: str
    work: str
    work_label: str
    footnote: str | None
    footnote_label: str | None  # as printed: "12", "4a"
    pages: str | None
    character: str | None  # the CiTO property's IRI
    cue: str | None

    @property
    def character_label(self) -> str | None:
        """``cito:obtainsSupportFrom`` -> "obtains support from"."""
        if self.character is None:
            return None
        local = re.split(r"[/#]", self.character)[-1]
        return re.sub(r"(?<!^)(?=[A-Z])", " ", local).lower()

    def as_json(self) -> dict[str, Any]:
        return {"iri": self.iri, "work": self.work, "workLabel": self.work_label,
                "footnote": self.footnote, "footnoteLabel": self.footnote_label,
                "pages": self.pages, "character": self.character,
                "characterLabel": self.character_label, "cue": self.cue}


@dataclass(frozen=True)
class Footnote:
    """One footnote of a paper and the citations it holds (none for a content note)."""

    iri: str
    number: int | None
    label: str
    section: str | None
    section_label: str | None
    text: str | None
    citations: tuple[Citation, ...]

    def as_json(self) -> dict[str, Any]:
        return {"iri": self.iri, "number": self.number, "label": self.label,
                "section": self.section, "sectionLabel": self.section_label,
                "text": self.text, "citations": [c.as_json() for c in self.citations]}


@dataclass(frozen=True)
class CitedWork:
    """One cited work and every citation of it, in footnote order."""

    iri: str
    label: str
    citations: tuple[Citation, ...]

    @property
    def count(self) -> int:
        return len(self.citations)

    def as_json(self) -> dict[str, Any]:
        return {"iri": self.iri, "label": self.label, "count": self.count,
                "citations": [c.as_json() for c in self.citations]}


@dataclass(frozen=True)
class Count:
    """A bar of a chart: a work or an author and how often it is cited."""

    iri: str
    label: str
    count: int

    def as_json(self) -> dict[str, Any]:
        return {"iri": self.iri, "label": self.label, "count": self.count}


@dataclass(frozen=True)
class CitationView:
    """One paper's citations: footnotes in order, by work, and the most cited."""

    paper: str
    paper_id: str
    paper_label: str
    footnotes: tuple[Footnote, ...]
    works: tuple[CitedWork, ...]  # most cited first
    top_works: tuple[Count, ...]
    top_authors: tuple[Count, ...]

    @property
    def citation_count(self) -> int:
        return sum(w.count for w in self.works)

    def as_json(self) -> dict[str, Any]:
        return {"paper": self.paper, "id": self.paper_id, "label": self.paper_label,
                "citations": self.citation_count,
                "footnotes": [f.as_json() for f in self.footnotes],
                "works": [w.as_json() for w in self.works],
                "topWorks": [c.as_json() for c in self.top_works],
                "topAuthors": [c.as_json() for c in self.top_authors]}


@dataclass(frozen=True)
class CitationViews:
    """Every paper's view, and the most cited works and authors over all of them."""

    papers: tuple[CitationView, ...]
    top_works: tuple[Count, ...]
    top_authors: tuple[Count, ...]

    def paper(self, paper_id: str) -> CitationView | None:
        return next((v for v in self.papers if v.paper_id == paper_id), None)

    def as_json(self) -> dict[str, Any]:
        return {"papers": [v.as_json() for v in self.papers],
                "topWorks": [c.as_json() for c in self.top_works],
                "topAuthors": [c.as_json() for c in self.top_authors]}


# ------------------------------------------------------------------------------- queries

def _citations_query(ag: str, paper: str) -> str:
    return f"""SELECT DISTINCT ?c ?work ?fn ?pages ?character ?cue WHERE {{
  ?c <{CITO}hasCitingEntity> <{paper}> ; <{CITO}hasCitedEntity> ?work .
  OPTIONAL {{ ?c <{ag}hasInTextPointer> ?fn }}
  OPTIONAL {{ ?c <{ag}citedPages> ?pages }}
  OPTIONAL {{ ?c <{CITO}hasCitationCharacterization> ?character }}
  OPTIONAL {{ ?c <{ag}characterizationCue> ?cue }}
}}"""


def _footnotes_query(ag: str, paper: str) -> str:
    return f"""SELECT DISTINCT ?fn ?number ?label ?section ?text WHERE {{
  ?fn a <{ag}Footnote> ; <{ag}ofPaper> <{paper}> .
  OPTIONAL {{ ?fn <{ag}footnoteNumber> ?number }}
  OPTIONAL {{ ?fn <{ag}footnoteLabel> ?label }}
  OPTIONAL {{ ?fn <{ag}inSection> ?section }}
  OPTIONAL {{ ?fn <{ag}fullText> ?text }}
}}"""


def _creators_query(works: Iterable[str]) -> str:
    values = " ".join(f"<{w}>" for w in works)
    return f"SELECT DISTINCT ?work ?author WHERE {{ VALUES ?work {{ {values} }} " \
           f"?work <{DCTERMS}creator> ?author }}"


def _papers_query(ag: str) -> str:
    return f"""SELECT DISTINCT ?paper WHERE {{
  {{ ?c <{CITO}hasCitingEntity> ?paper }} UNION {{ ?fn a <{ag}Footnote> ; <{ag}ofPaper> ?paper }}
}}"""


# ------------------------------------------------------------------------------- building

def paper_id(iri: str) -> str:
    """A paper's short name: the last segment of its IRI (``paper-a``)."""
    return iri.rstrip("/").rsplit("/", 1)[-1]


def number_key(number: str | None, label: str, iri: str) -> tuple[int, int, str, str]:
    """Footnote order: the number read as a number (no number last), then the label."""
    digits = re.match(r"\d+", number or "") or re.match(r"\d+", label)
    return (0, int(digits.group()), label, iri) if digits else (1, 0, label, iri)


def citation_view(store: Store, paper_iri: str, *, base_iri: str | None = None,
                  top: int = TOP) -> CitationView | None:
    """The paper's citation view, or None when the graph has neither footnotes nor
    citations of ``paper_iri``. ``base_iri``: the ontology's base (default: the store's)."""
    ag = ontology_namespace(base_iri or store.base_iri)
    rows = list(store.select(_citations_query(ag, paper_iri)))
    notes = list(store.select(_footnotes_query(ag, paper_iri)))
    if not rows and not notes:
        return None
    named = {paper_iri} | {r[k].value for r in rows for k in ("work", "fn") if k in r} | {
        r["section"].value for r in notes if "section" in r}
    names = entity_labels(store, named)
    printed = {r["fn"].value: r["label"].value for r in notes if "label" in r}
    citations = _citations(rows, names, printed)
    footnotes = _footnotes(notes, names, citations)
    order = {f.iri: i for i, f in enumerate(footnotes)}
    citations.sort(key=lambda c: (order.get(c.footnote or "", len(order)), c.work_label))
    works = _by_work(citations)
    authors = _author_counts(store, citations)
    return CitationView(
        paper=paper_iri, paper_id=paper_id(paper_iri),
        paper_label=names.get(paper_iri, paper_iri), footnotes=footnotes, works=works,
        top_works=tuple(Count(w.iri, w.label, w.count) for w in works[:top]),
        top_authors=authors[:top])


def citation_views(store: Store, *, base_iri: str | None = None,
                   top: int = TOP) -> CitationViews:
    """Every paper's view (by paper IRI) and the most cited over all papers."""
    ag = ontology_namespace(base_iri or store.base_iri)
    papers = sorted({r["paper"].value for r in store.select(_papers_query(ag))})
    views = tuple(v for v in (citation_view(store, p, base_iri=base_iri, top=top)
                              for p in papers) if v is not None)
    every = [c for v in views for c in _all_citations(v)]
    works = _by_work(every)
    return CitationViews(views, tuple(Count(w.iri, w.label, w.count) for w in works[:top]),
                         _author_counts(store, every)[:top])


def _all_citations(view: CitationView) -> list[Citation]:
    return [c for w in view.works for c in w.citations]


def _citations(rows: list[dict], names: dict[str, str], printed: dict[str, str]
               ) -> list[Citation]:
    """One citation per node; a second value of a property (not expected) joined in."""
    merged: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in rows:
        for key, term in row.items():
            merged[row["c"].value][key].add(term.value)

    def one(values: set[str]) -> str | None:
        return "; ".join(sorted(values)) or None

    found = []
    for iri, parts in merged.items():
        work = sorted(parts["work"])[0]
        footnote = min(parts["fn"]) if parts["fn"] else None
        found.append(Citation(
            iri=iri, work=work, work_label=names.get(work, work), footnote=footnote,
            footnote_label=printed.get(footnote or "") or (names.get(footnote) if footnote
                                                           else None),
            pages=one(parts["pages"]), character=min(parts["character"], default=None),
            cue=one(parts["cue"])))
    return found


def _footnotes(rows: list[dict], names: dict[str, str], citations: list[Citation]
               ) -> tuple[Footnote, ...]:
    held: dict[str, list[Citation]] = defaultdict(list)
    for citation in citations:
        if citation.footnote:
            held[citation.footnote].append(citation)
    by_iri: dict[str, dict] = {}
    for row in rows:
        by_iri.setdefault(row["fn"].value, {}).update({k: t.value for k, t in row.items()})
    notes = []
    for iri, parts in by_iri.items():
        label = parts.get("label") or parts.get("number") or paper_id(iri)
        key = number_key(parts.get("number"), label, iri)
        section = parts.get("section")
        notes.append((key, Footnote(
            iri=iri, number=key[1] if key[0] == 0 else None, label=label, section=section,
            section_label=names.get(section) if section else None, text=parts.get("text"),
            citations=tuple(sorted(held[iri], key=lambda c: c.work_label)))))
    return tuple(note for _, note in sorted(notes, key=lambda pair: pair[0]))


def _by_work(citations: list[Citation]) -> tuple[CitedWork, ...]:
    """The citations grouped by work: most cited first, then by label."""
    grouped: dict[str, list[Citation]] = defaultdict(list)
    for citation in citations:
        grouped[citation.work].append(citation)
    works = [CitedWork(iri, cs[0].work_label, tuple(cs)) for iri, cs in grouped.items()]
    return tuple(sorted(works, key=lambda w: (-w.count, w.label.casefold(), w.iri)))


def _author_counts(store: Store, citations: list[Citation]) -> tuple[Count, ...]:
    """Each author of a cited work with the citations of their works, most first."""
    per_work = Counter(c.work for c in citations)
    if not per_work:
        return ()
    counts: Counter[str] = Counter()
    for row in store.select(_creators_query(per_work)):
        counts[row["author"].value] += per_work[row["work"].value]
    names = entity_labels(store, counts)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], names.get(kv[0], kv[0]).casefold()))
    return tuple(Count(iri, names.get(iri, iri), n) for iri, n in ranked)
