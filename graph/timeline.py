"""The timeline: the graph's dated events, agreements, policies and documents, each with
where the papers say so.

An item is one dated statement about one entity: an event's ``ag:date``, an agreement's
``ag:signedOn`` / ``ag:inForceFrom`` / ``ag:endedOn``, a work's ``dcterms:issued`` (or its
``ag:date``), a period's OWL-Time interval (``time:hasTime`` → beginning and end years).
Dates keep the precision the source prints (``xsd:gYear``, ``xsd:gYearMonth``,
``xsd:date``): :class:`When` sorts a year before its months and a month before its days,
and shows each as printed. Entities with only ``ag:dateText`` ("earlier this decade") are
listed apart (:attr:`Timeline.undated`).

Provenance (:class:`Source`) comes from the entity's ``ag:evidence`` nodes (paper, section,
quote, supporting footnotes), the footnotes and bibliography entries describing it
(``ag:describedIn``: their paper, section and text) and, failing those for a paper, its
``prov:wasDerivedFrom``. The kind of an entity follows its type up ``rdfs:subClassOf``
(so the page is right with or without the inferred graph): :data:`KINDS`.

Four store calls, whatever is asked: the dated statements, the kinds and types, the
sources, the labels. No Flask here.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

import pyoxigraph as ox
from alliancegraph.errors import BadRequest
from alliancegraph.graph.entity import labels as entity_labels
from alliancegraph.graph.vocabulary import ontology_namespace
from alliancegraph.store import Store

XSD = "http://www.w3.org/2001/XMLSchema#"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
TIME = "http://www.w3.org/2006/time#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
FABIO = "http://purl.org/spar/fabio/"

#: kind -> the class (local name in the ontology) whose instances are of that kind; the
#: first that fits wins, and anything else dated is a document
KIND_CLASSES = {"event": "Event", "agreement": "Agreement", "policy": "Policy"}
#: every kind, in the order a page lists them
KINDS = (*KIND_CLASSES, "document")
#: what each dated property says of the date (the role shown beside it)
ROLES = {"date": "date", "signedOn": "signed", "inForceFrom": "in force from",
         "endedOn": "ended", "issued": "issued", "period": "period"}

_DATE = re.compile(r"^(-?\d{4,})(?:-(\d{2}))?(?:-(\d{2}))?")
_PRECISION = {f"{XSD}gYear": "year", f"{XSD}gYearMonth": "month", f"{XSD}date": "day",
              f"{XSD}dateTime": "day"}


@dataclass(frozen=True)
class When:
    """A date as precise as the source prints it."""

    value: str  # the lexical form, e.g. "2005-05"
    precision: str  # "year", "month" or "day"
    year: int
    month: int | None = None
    day: int | None = None

    @property
    def key(self) -> tuple[int, int, int]:
        """Sort key: a year (month 0) before its months, a month before its days."""
        return (self.year, self.month or 0, self.day or 0)

    @property
    def iso(self) -> str:
        """For HTML's ``<time datetime>``: as many parts as are known."""
        parts = [f"{self.year:04d}"] + [f"{p:02d}" for p in (self.month, self.day) if p]
        return "-".join(parts)

    @property
    def text(self) -> str:
        """As printed: ``1995``, ``May 2005``, ``9 September 2006``."""
        if self.month is None:
            return str(self.year)
        month = calendar.month_name[self.month]
        return f"{month} {self.year}" if self.day is None else f"{self.day} {month} {self.year}"

    def as_json(self) -> dict[str, Any]:
        return {"value": self.value, "precision": self.precision, "text": self.text}


def parse_when(literal: ox.Literal) -> When | None:
    """The date a literal holds at the precision of its datatype; None for anything else
    (a plain string, a malformed value)."""
    precision = _PRECISION.get(literal.datatype.value)
    found = _DATE.match(literal.value) if precision else None
    if found is None:
        return None
    year, month, day = (int(g) if g else None for g in found.groups())
    month = month if precision in ("month", "day") else None
    day = day if precision == "day" else None
    if (month is not None and not 1 <= month <= 12) or (
            day is not None and not 1 <= day <= calendar.monthrange(max(year, 1), month)[1]):
        return None
    return When(literal.value, precision, year, month, day)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Source:
    """Where a paper says it: the paper, its section, the quote (or the footnote's text)."""

    paper: str
    paper_label: str
    section: str | None = None
    section_label: str | None = None
    quote: str | None = None
    #: the footnotes (or bibliography entry) it rests on, as (IRI, label)
    notes: tuple[tuple[str, str], ...] = ()
    via: str = "evidence"  # "evidence", "footnote", "bibliography" or "derived"

    def as_json(self) -> dict[str, Any]:
        return {"paper": self.paper, "paperLabel": self.paper_label, "section": self.section,
                "sectionLabel": self.section_label, "quote": self.quote, "via": self.via,
                "notes": [{"iri": i, "label": label} for i, label in self.notes]}


@dataclass(frozen=True)
class Item:
    """One dated statement about one entity (or one entity dated only in words)."""

    iri: str
    label: str
    kind: str
    type_label: str
    role: str
    when: When | None
    end: When | None = None
    date_text: str | None = None
    sources: tuple[Source, ...] = ()

    @property
    def papers(self) -> frozenset[str]:
        return frozenset(s.paper for s in self.sources)

    def as_json(self) -> dict[str, Any]:
        return {"iri": self.iri, "label": self.label, "kind": self.kind,
                "type": self.type_label, "role": self.role,
                "date": self.when.as_json() if self.when else None,
                "end": self.end.as_json() if self.end else None,
                "dateText": self.date_text, "sources": [s.as_json() for s in self.sources]}


@dataclass(frozen=True)
class Paper:
    """A paper items can be filtered by: ``id`` is the last segment of its IRI."""

    id: str
    iri: str
    label: str


@dataclass(frozen=True)
class Timeline:
    """The dated items in time order, the undated ones by label, and the filters."""

    items: tuple[Item, ...]
    undated: tuple[Item, ...]
    papers: tuple[Paper, ...]

    def by_year(self) -> list[tuple[int, list[Item]]]:
        """The dated items grouped by (start) year, in order."""
        years: dict[int, list[Item]] = {}
        for item in self.items:
            years.setdefault(item.when.year, []).append(item)  # type: ignore[union-attr]
        return list(years.items())

    def paper(self, paper_id: str) -> Paper:
        for paper in self.papers:
            if paper.id == paper_id:
                return paper
        known = ", ".join(p.id for p in self.papers)
        raise BadRequest(f"parameter paper: no paper {paper_id!r} (one of {known})")

    def filtered(self, *, paper: str | None = None, kind: str | None = None) -> Timeline:
        """Only the items from ``paper`` (its id) and of ``kind``; BadRequest naming the
        parameter for a value that is neither."""
        if kind is not None and kind not in KINDS:
            raise BadRequest(f"parameter kind: no kind {kind!r} (one of {', '.join(KINDS)})")
        iri = self.paper(paper).iri if paper is not None else None

        def keep(item: Item) -> bool:
            return (iri is None or iri in item.papers) and (kind is None or item.kind == kind)

        return replace(self, items=tuple(filter(keep, self.items)),
                       undated=tuple(filter(keep, self.undated)))

    def as_json(self) -> dict[str, Any]:
        return {"papers": [{"id": p.id, "iri": p.iri, "label": p.label} for p in self.papers],
                "kinds": list(KINDS), "items": [i.as_json() for i in self.items],
                "undated": [i.as_json() for i in self.undated]}


# ------------------------------------------------------------------------------- queries

def _dated_query(ag: str) -> str:
    values = " ".join(f"<{ag}{p}>" for p in ("date", "signedOn", "inForceFrom", "endedOn",
                                              "dateText")) + f" <{DCTERMS}issued>"
    return f"""SELECT DISTINCT ?s ?p ?date ?end WHERE {{
  {{ VALUES ?p {{ {values} }} ?s ?p ?date . FILTER(isIRI(?s) && isLiteral(?date)) }}
  UNION
  {{ ?s <{TIME}hasTime> ?t . ?t <{TIME}hasBeginning>/<{TIME}inXSDgYear> ?date .
     OPTIONAL {{ ?t <{TIME}hasEnd>/<{TIME}inXSDgYear> ?end }}
     BIND(<{TIME}hasTime> AS ?p) FILTER(isIRI(?s)) }}
}}"""


def _values(iris: list[str]) -> str:
    return " ".join(f"<{iri}>" for iri in iris)


def _types_query(ag: str, iris: list[str]) -> str:
    kinds = _values([f"{ag}{c}" for c in KIND_CLASSES.values()])
    return f"""SELECT DISTINCT ?s ?type ?kind WHERE {{
  VALUES ?s {{ {_values(iris)} }}
  ?s a ?type .
  OPTIONAL {{ VALUES ?kind {{ {kinds} }} ?type <{RDFS}subClassOf>* ?kind }}
}}"""


def _sources_query(ag: str, iris: list[str]) -> str:
    return f"""SELECT DISTINCT ?s ?node ?via ?paper ?section ?quote ?footnote WHERE {{
  VALUES ?s {{ {_values(iris)} }}
  {{ ?s <{ag}evidence> ?node . ?node <{PROV}entity> ?paper .
     OPTIONAL {{ ?node <{ag}inSection> ?section }}
     OPTIONAL {{ ?node <{ag}quote> ?quote }}
     OPTIONAL {{ ?node <{ag}supportingFootnote> ?footnote }}
     BIND("evidence" AS ?via) }}
  UNION
  {{ ?s <{ag}describedIn> ?node . ?node <{ag}ofPaper> ?paper .
     OPTIONAL {{ ?node <{ag}inSection> ?section }}
     OPTIONAL {{ ?node <{ag}fullText> ?quote }}
     BIND(IF(EXISTS {{ ?node a <{ag}Footnote> }}, "footnote", "bibliography") AS ?via) }}
  UNION
  {{ ?s <{PROV}wasDerivedFrom> ?paper . FILTER EXISTS {{ ?paper <{ag}hasSection> ?any }}
     BIND("derived" AS ?via) }}
}}"""


def _papers_query(ag: str) -> str:
    return f"SELECT DISTINCT ?paper WHERE {{ ?paper <{ag}hasSection> ?section }}"


# ------------------------------------------------------------------------------- building

def timeline(store: Store, *, base_iri: str) -> Timeline:
    """Every dated item of the graph, with its sources (see the module doc)."""
    ag = ontology_namespace(base_iri)
    dates: dict[str, list[tuple[str, ox.Literal, ox.Literal | None]]] = defaultdict(list)
    for row in store.select(_dated_query(ag)):
        dates[row["s"].value].append((row["p"].value, row["date"], row.get("end")))
    iris = sorted(dates)
    if not iris:
        return Timeline((), (), _papers(store, ag))
    kinds, types = _kinds(store, ag, iris)
    sources = _sources(store, ag, iris)
    names = entity_labels(store, [*iris, *{t for ts in types.values() for t in ts}])
    dated: list[Item] = []
    undated: list[Item] = []
    for iri in iris:
        base = Item(iri=iri, label=names.get(iri, iri), kind=kinds.get(iri, "document"),
                    type_label=_type_label(types.get(iri, []), names), role="",
                    when=None, sources=sources.get(iri, ()))
        entity_items = _items(base, dates[iri])
        (dated if any(i.when for i in entity_items) else undated).extend(entity_items)
    dated.sort(key=lambda i: (i.when.key, KINDS.index(i.kind), i.label))  # type: ignore[union-attr]
    undated.sort(key=lambda i: (i.label.casefold(), i.iri))
    return Timeline(tuple(dated), tuple(undated), _papers(store, ag))


def _items(base: Item, statements: list[tuple[str, ox.Literal, ox.Literal | None]]
           ) -> list[Item]:
    """The items of one entity: one per dated statement (its words as printed attached to
    each); one undated item when it has only words."""
    words = sorted({lit.value for p, lit, _ in statements if p.endswith("#dateText")})
    date_text = "; ".join(words) or None
    found: dict[tuple[str, str], Item] = {}
    for predicate, literal, end in statements:
        when = parse_when(literal)
        if when is None:
            continue
        local = re.split(r"[/#]", predicate)[-1]
        role = ROLES["period" if local == "hasTime" else local]
        found[(role, when.value)] = replace(
            base, role=role, when=when, date_text=date_text,
            end=parse_when(end) if isinstance(end, ox.Literal) else None)
    if found:
        return [found[key] for key in sorted(found)]
    return [replace(base, role="date as printed", date_text=date_text)] if date_text else []


def _kinds(store: Store, ag: str, iris: list[str]
           ) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Each entity's kind (the first of :data:`KINDS` its types fall under) and types."""
    by_class = {f"{ag}{c}": kind for kind, c in KIND_CLASSES.items()}
    kinds: dict[str, str] = {}
    types: dict[str, list[str]] = defaultdict(list)
    for row in store.select(_types_query(ag, iris)):
        iri = row["s"].value
        if row["type"].value not in types[iri]:
            types[iri].append(row["type"].value)
        if "kind" in row:
            kind = by_class[row["kind"].value]
            if iri not in kinds or KINDS.index(kind) < KINDS.index(kinds[iri]):
                kinds[iri] = kind
    return kinds, types


def _type_label(types: list[str], names: dict[str, str]) -> str:
    """The most telling type: the project's own or FaBiO's, by its label or its name."""
    own = [t for t in types if "/ontology#" in t or t.startswith(FABIO)]
    if not own:
        return ""
    # a subclass (Attack) says more than its class (Event); prefer the longest-named one
    # that is not the bare kind
    best = sorted(own, key=lambda t: (re.split(r"[/#]", t)[-1] in KIND_CLASSES.values(), t))[0]
    local = re.split(r"[/#]", best)[-1]
    return names.get(best) or re.sub(r"(?<!^)(?=[A-Z])", " ", local).lower()


def _sources(store: Store, ag: str, iris: list[str]) -> dict[str, tuple[Source, ...]]:
    """Each entity's sources: one per evidence node or describing note, then a derivation
    from a paper no other source names."""
    rows = list(store.select(_sources_query(ag, iris)))
    named = {r[k].value for r in rows for k in ("paper", "section", "footnote", "node")
             if k in r and isinstance(r[k], ox.NamedNode)}
    names = entity_labels(store, named)
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        node = row["node"].value if "node" in row else f"derived {row['paper'].value}"
        entry = grouped.setdefault((row["s"].value, node), {
            "paper": row["paper"].value, "via": row["via"].value, "section": None,
            "quote": None, "notes": [node] if row["via"].value != "evidence" and
            "node" in row else []})
        if "section" in row:
            entry["section"] = row["section"].value
        if "quote" in row:
            entry["quote"] = row["quote"].value
        if "footnote" in row and row["footnote"].value not in entry["notes"]:
            entry["notes"].append(row["footnote"].value)
    found: dict[str, list[Source]] = defaultdict(list)
    for (iri, _), e in sorted(grouped.items(), key=lambda kv: (kv[1]["via"] == "derived",
                                                               kv[0])):
        if e["via"] == "derived" and any(s.paper == e["paper"] for s in found[iri]):
            continue
        found[iri].append(Source(
            paper=e["paper"], paper_label=names.get(e["paper"], e["paper"]),
            section=e["section"], section_label=names.get(e["section"]) if e["section"] else None,
            quote=e["quote"], via=e["via"],
            notes=tuple((n, names.get(n, n)) for n in sorted(e["notes"]))))
    return {iri: tuple(sources) for iri, sources in found.items()}


def _papers(store: Store, ag: str) -> tuple[Paper, ...]:
    iris = sorted(row["paper"].value for row in store.select(_papers_query(ag)))
    names = entity_labels(store, iris)
    return tuple(Paper(iri.rstrip("/").rsplit("/", 1)[-1], iri, names.get(iri, iri))
                 for iri in iris)
