"""The draft graph of an ingested paper and the review file a person edits.

The draft is pyoxigraph quads in the paper's own named graph ``{base}graph/<paper-id>``, with
IRIs minted as the curated ones are (graph/MODELLING.md): ``{base}id/<paper-id>/section/…``,
``/footnote/<label>``, ``/citation/<label>[-<i>]``, works under ``{base}id/work/…`` (a
work matched in the graph keeps its IRI), persons under ``{base}id/person/…``.

The review file (TSV) has one row per parsed item: ``row``, ``kind`` (paper, section,
footnote, citation, work, field, mention, unread), ``subject`` (the IRI the row is about),
``predicate`` (for a field), ``value``, ``confidence``, ``decision`` (accept, review or
reject; a person changes it, or edits ``value``) and ``note``. :func:`reviewed` applies the
decisions to the draft: a rejected node goes with every quad about it, a rejected field goes,
an edited value replaces the printed one, an accepted mention becomes an ``ag:Evidence``.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
from alliancegraph.ingest.citations import Citation, family
from alliancegraph.ingest.pipeline import Ingest

AG = "https://w3id.org/alliancegraph/ontology#"
NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "fabio": "http://purl.org/spar/fabio/",
    "doco": "http://purl.org/spar/doco/",
    "cito": "http://purl.org/spar/cito/",
    "frbr": "http://purl.org/vocab/frbr/core#",
    "schema": "https://schema.org/",
    "prov": "http://www.w3.org/ns/prov#",
    "ag": AG,
}
COLUMNS = ("row", "kind", "subject", "predicate", "value", "confidence", "decision", "note")
ACCEPT = 0.8  # a parsed item at or above this confidence is proposed as accepted
KINDS = {"JournalArticle": "fabio:JournalArticle", "Book": "fabio:Book",
         "BookChapter": "fabio:BookChapter", "NewspaperArticle": "fabio:NewspaperArticle",
         "WebPage": "fabio:WebPage", "Interview": "ag:Interview", "Work": "fabio:Work"}
CONTAINERS = {"JournalArticle": ("journal", "fabio:Journal"),
              "NewspaperArticle": ("newspaper", "fabio:Newspaper"),
              "WebPage": ("website", "fabio:WebSite"), "BookChapter": ("work", "fabio:Book")}


def iri(name: str) -> ox.NamedNode:
    prefix, local = name.split(":", 1)
    return ox.NamedNode(NS[prefix] + local)


def slug(text: str, words: int = 0) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    parts = re.findall(r"[a-z0-9]+", text.lower().replace("\u2019", "").replace("'", ""))
    return "-".join(parts[:words] if words else parts) or "untitled"


@dataclass
class Row:
    kind: str
    subject: str
    predicate: str
    value: str
    confidence: float
    decision: str
    note: str = ""


class Draft:
    """The quads and review rows of one ingest (``base``: the store's base IRI)."""

    def __init__(self, result: Ingest, base: str) -> None:
        self.result, self.base = result, base.rstrip("/") + "/"
        self.paper_id = result.paper_id
        self.graph = ox.NamedNode(f"{self.base}graph/{self.paper_id}")
        self.paper = ox.NamedNode(f"{self.base}id/{self.paper_id}")
        self.quads: list[ox.Quad] = []
        self.rows: list[Row] = []
        self.work_iris: dict[int, ox.NamedNode] = {}
        self._persons: set[str] = set()
        self._containers: set[str] = set()

    # -- writing helpers
    def add(self, s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode |
            ox.Literal) -> None:
        self.quads.append(ox.Quad(s, iri(p), o, self.graph))

    def text(self, s: ox.NamedNode, p: str, value: str, lang: str | None = None) -> None:
        self.add(s, p, ox.Literal(value, language=lang) if lang else ox.Literal(value))

    def typed(self, s: ox.NamedNode, p: str, value: object, datatype: str) -> None:
        self.add(s, p, ox.Literal(str(value), datatype=iri(datatype)))

    def row(self, kind: str, subject: ox.NamedNode, predicate: str, value: object,
            confidence: float, note: str = "", decision: str | None = None) -> None:
        if decision is None:
            decision = "accept" if confidence >= ACCEPT else "review"
        self.rows.append(Row(kind, subject.value, predicate, str(value), round(confidence, 2),
                             decision, note))

    def id(self, path: str) -> ox.NamedNode:
        return ox.NamedNode(f"{self.base}id/{path}")


def build(result: Ingest, base: str) -> Draft:
    draft = Draft(result, base)
    _paper(draft)
    _sections(draft)
    _footnotes(draft)
    _works(draft)
    _citations(draft)
    _mentions(draft)
    for line, what in result.document.unread:
        draft.row("unread", draft.paper, "", what, 0.0, f"line {line}", decision="review")
    for citation in result.citations:
        for what in citation.unread:
            draft.row("unread", draft.id(f"{draft.paper_id}/footnote/{citation.footnote}"), "",
                      what, 0.0, decision="review")
    return draft


def _paper(d: Draft) -> None:
    doc = d.result.document
    d.add(d.paper, "rdf:type", iri("fabio:ScholarlyWork"))
    d.text(d.paper, "rdfs:label", f"{d.paper_id}: {doc.title}", "en")
    d.text(d.paper, "dcterms:title", doc.title or d.paper_id, "en")
    d.row("paper", d.paper, "dcterms:title", doc.title, 0.9 if doc.title else 0.0)
    for name in doc.authors:
        person = _person(d, name, d.paper)
        d.add(d.paper, "dcterms:creator", person)
        d.row("field", d.paper, "dcterms:creator", name, 0.8)
    for affiliation in doc.affiliations:
        d.text(d.paper, "ag:affiliationAsPrinted", affiliation)
        d.row("field", d.paper, "ag:affiliationAsPrinted", affiliation, 0.7)


def _person(d: Draft, name: str, printed_in: ox.NamedNode) -> ox.NamedNode:
    person = d.id(f"person/{slug(name)}")
    if person.value not in d._persons:
        d._persons.add(person.value)
        d.add(person, "rdf:type", iri("foaf:Person"))
        d.text(person, "rdfs:label", name, "en")
        d.text(person, "foaf:name", name)
        d.text(person, "foaf:familyName", family(name))
    d.add(person, "ag:describedIn", printed_in)
    return person


def _section_iri(d: Draft, number: str) -> ox.NamedNode:
    return d.id(f"{d.paper_id}/section/{number}")


def _sections(d: Draft) -> None:
    for section in d.result.document.sections:
        node = _section_iri(d, section.number)
        d.add(d.paper, "ag:hasSection", node)
        d.add(node, "rdf:type", iri("doco:Section"))
        if section.number == "front":
            d.add(node, "rdf:type", iri("doco:FrontMatter"))
        d.text(node, "rdfs:label", f"{d.paper_id}, section {section.number}: "
                                   f"{section.title}", "en")
        d.text(node, "dcterms:title", section.title, "en")
        d.add(node, "ag:ofPaper", d.paper)
        d.text(node, "ag:sectionNumber", section.number)
        d.typed(node, "ag:sectionOrder", section.order, "xsd:integer")
        d.row("section", node, "dcterms:title", section.title,
              0.95 if section.printed_number or section.number == "front" else 0.85)


def _footnotes(d: Draft) -> None:
    for note in d.result.document.footnotes:
        node = d.id(f"{d.paper_id}/footnote/{note.label}")
        d.add(node, "rdf:type", iri("ag:Footnote"))
        d.add(node, "rdf:type", iri("doco:Footnote"))
        d.text(node, "rdfs:label", f"{d.paper_id}, footnote {note.label}", "en")
        d.text(node, "ag:footnoteNumber", note.number)
        d.text(node, "ag:footnoteLabel", note.label)
        d.add(node, "ag:ofPaper", d.paper)
        d.add(node, "ag:inSection", _section_iri(d, note.section or "front"))
        d.text(node, "ag:fullText", note.text)
        notes = []
        if note.continued:
            d.typed(node, "ag:splitAcrossPages", "true", "xsd:boolean")
            notes.append("continued after a page break (joined)")
        if note.duplicate:
            message = f"The paper prints footnote number {note.number} more than once; " \
                      f"this is the {note.label[-1]} one in reading order."
            d.text(node, "skos:editorialNote", message, "en")
            notes.append("duplicate number")
        confidence = note.confidence * (0.9 if note.continued or note.duplicate else 1.0)
        d.row("footnote", node, "ag:fullText", note.text, confidence,
              "; ".join(notes) or f"section {note.section}")


def _works(d: Draft) -> None:
    result = d.result
    minted: set[str] = set()
    for i, group in enumerate(result.groups):
        best = max(group, key=lambda c: (c.refers_to is None, len(c.fields)))
        chosen = result.matches.get(i)
        where = sorted({c.footnote for c in group})
        if chosen is not None and chosen.status == "matched" and chosen.iri:
            node = ox.NamedNode(chosen.iri)
            d.work_iris[i] = node
            d.row("work", node, "", f"matched: {_label(best)}", chosen.score,
                  f"footnotes {', '.join(where)}")
        else:
            node = d.id(f"work/{_work_slug(best)}")
            while node.value in minted:
                node = ox.NamedNode(node.value + "-2")
            minted.add(node.value)
            d.work_iris[i] = node
            note = f"footnotes {', '.join(where)}"
            if chosen is not None and chosen.status == "ambiguous":
                note += "; ambiguous: " + ", ".join(f"{c} ({s:.2f})" for c, s in chosen.candidates)
            d.row("work", node, "", f"new: {_label(best)}",
                  0.5 if chosen is not None and chosen.status == "ambiguous" else 0.8, note,
                  decision="review" if chosen and chosen.status == "ambiguous" else None)
        _describe_work(d, node, best, group)


def _label(c: Citation) -> str:
    authors = ", ".join(c.get("authors") or []) or c.get("corporate_author") or ""
    title = c.get("title") or c.get("interviewee") or c.get("container") or c.text[:60]
    year = str(c.get("issued") or c.get("date") or "")[:4]
    return f"{authors}, \u201c{title}\u201d" + (f" ({year})" if year else "") if authors else \
        f"\u201c{title}\u201d" + (f" ({year})" if year else "")


def _work_slug(c: Citation) -> str:
    authors = c.get("authors") or []
    first = slug(family(str(authors[0]))) if authors else \
        slug(str(c.get("corporate_author") or "anon"), 4)
    year = str(c.get("issued") or c.get("date") or "")[:4]
    title = slug(str(c.get("title") or c.get("interviewee") or c.get("container") or ""), 5)
    return "-".join(p for p in (first, year, title) if p)


def _describe_work(d: Draft, node: ox.NamedNode, c: Citation, group: list[Citation]) -> None:
    d.add(node, "rdf:type", iri(KINDS.get(c.kind, "fabio:Work")))
    d.text(node, "rdfs:label", _label(c), "en")
    for citation in group:
        d.add(node, "ag:describedIn", d.id(f"{d.paper_id}/footnote/{citation.footnote}"))
    printed = d.id(f"{d.paper_id}/footnote/{c.footnote}")
    if c.get("title"):
        d.text(node, "dcterms:title", str(c.get("title")))
        d.row("field", node, "dcterms:title", c.get("title"), c.confidence["title"])
    for name in c.get("authors") or []:
        d.add(node, "dcterms:creator", _person(d, str(name), printed))
        d.row("field", node, "dcterms:creator", name, c.confidence["authors"])
    for name in c.get("editors") or []:
        d.add(node, "ag:editor", _person(d, str(name), printed))
        d.row("field", node, "ag:editor", name, c.confidence["editors"])
    if issued := c.get("issued") or c.get("date"):
        value = str(issued)
        datatype = {4: "xsd:gYear", 7: "xsd:gYearMonth"}.get(len(value), "xsd:date")
        predicate = "ag:date" if c.kind == "Interview" else "dcterms:issued"
        d.typed(node, predicate, value, datatype)
        d.row("field", node, predicate, value,
              c.confidence.get("issued", c.confidence.get("date", 0.5)))
    for name, predicate in (("season", "ag:season"), ("publisher", "ag:imprint"),
                            ("place", "ag:publicationPlace")):
        if c.get(name):
            d.text(node, predicate, str(c.get(name)))
            d.row("field", node, predicate, c.get(name), c.confidence[name])
    if c.get("url"):
        d.typed(node, "schema:url", c.get("url"), "xsd:anyURI")
        d.row("field", node, "schema:url", c.get("url"), c.confidence["url"])
    if c.get("container"):
        _container(d, node, c, printed)


def _container(d: Draft, work: ox.NamedNode, c: Citation, printed: ox.NamedNode) -> None:
    folder, kind = CONTAINERS.get(c.kind, ("work", "fabio:Book"))
    title = str(c.get("container"))
    container = d.id(f"{folder}/{slug(title, 6)}")
    if container.value not in d._containers:
        d._containers.add(container.value)
        d.add(container, "rdf:type", iri(kind))
        d.text(container, "rdfs:label", title, "en")
        d.text(container, "dcterms:title", title)
    d.add(container, "ag:describedIn", printed)
    d.add(work, "frbr:partOf", container)
    d.row("field", work, "frbr:partOf", title, c.confidence["container"])
    for name, predicate in (("volume", "fabio:hasVolumeIdentifier"),
                            ("issue", "fabio:hasIssueIdentifier")):
        if c.get(name):
            d.text(work, predicate, str(c.get(name)))
            d.row("field", work, predicate, c.get(name), c.confidence[name])


def _citations(d: Draft) -> None:
    by_note: dict[str, list[Citation]] = {}
    for citation in d.result.citations:
        by_note.setdefault(citation.footnote, []).append(citation)
    for label, citations in by_note.items():
        footnote = d.id(f"{d.paper_id}/footnote/{label}")
        for citation in citations:
            suffix = label if len(citations) == 1 else f"{label}-{citation.index}"
            node = d.id(f"{d.paper_id}/citation/{suffix}")
            work = d.work_iris[d.result.group_of(citation)]
            d.add(node, "rdf:type", iri("ag:Citation"))
            d.add(node, "rdf:type", iri("cito:Citation"))
            d.text(node, "rdfs:label", f"{d.paper_id}, footnote {label} cites "
                                       f"{_label(citation)}", "en")
            d.add(node, "cito:hasCitingEntity", d.paper)
            d.add(node, "cito:hasCitedEntity", work)
            d.add(node, "ag:hasInTextPointer", footnote)
            d.add(node, "ag:describedIn", footnote)
            confidence = min(citation.confidence.values(), default=0.5)
            d.row("citation", node, "cito:hasCitedEntity", work.value, confidence,
                  citation.text[:200])
            if citation.get("pages"):
                d.text(node, "ag:citedPages", str(citation.get("pages")))
                d.typed(node, "ag:pageStart", citation.get("page_start"), "xsd:integer")
                d.typed(node, "ag:pageEnd", citation.get("page_end"), "xsd:integer")
                d.row("field", node, "ag:citedPages", citation.get("pages"),
                      citation.confidence["pages"])
            if citation.get("access_date"):  # printed with this citation, not the work's
                d.typed(node, "ag:accessDate", citation.get("access_date"), "xsd:date")
                d.row("field", node, "ag:accessDate", citation.get("access_date"),
                      citation.confidence["access_date"])
            if citation.get("quoted_person"):
                person = _person(d, str(citation.get("quoted_person")), footnote)
                d.add(node, "ag:quotedPerson", person)
                d.row("field", node, "ag:quotedPerson", citation.get("quoted_person"),
                      citation.confidence["quoted_person"])


def _mentions(d: Draft) -> None:
    for mention in d.result.mentions:
        d.row("mention", ox.NamedNode(mention.entity), mention.section, mention.sentence, 0.5,
              f"label \u201c{mention.label}\u201d", decision="review")


# ------------------------------------------------------------------ files

def trig(quads: Iterable[ox.Quad]) -> bytes:
    prefixes = {k: v for k, v in NS.items() if k != "rdf"}
    return ox.serialize(list(quads), format=ox.RdfFormat.TRIG, prefixes=prefixes)


def review_tsv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(COLUMNS)
    for number, r in enumerate(rows, 1):
        writer.writerow((number, r.kind, r.subject, r.predicate,
                         r.value.replace("\t", " ").replace("\n", " "), r.confidence,
                         r.decision, r.note))
    return out.getvalue()


def read_review(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter="\t"))


def reviewed(quads: list[ox.Quad], rows: list[dict[str, str]], paper_id: str, base: str
             ) -> tuple[list[ox.Quad], dict[str, list[int]]]:
    """The draft with the review's decisions applied, and subject IRI (and "subject
    predicate-IRI") -> the rows about it (to name the rows to fix when the shapes refuse)."""
    base = base.rstrip("/") + "/"
    graph = ox.NamedNode(f"{base}graph/{paper_id}")
    paper = ox.NamedNode(f"{base}id/{paper_id}")
    rejected = {r["subject"] for r in rows if r["decision"] == "reject" and not r["predicate"]
                and r["kind"] != "mention"}
    out = [q for q in quads if q.subject.value not in rejected
           and not (isinstance(q.object, ox.NamedNode) and q.object.value in rejected)]
    where: dict[str, list[int]] = {}
    for r in rows:
        where.setdefault(r["subject"], []).append(int(r["row"]))
        if r["predicate"] and r["kind"] != "mention":
            key = f"{r['subject']} {_expand(r['predicate'])}"
            where.setdefault(key, []).append(int(r["row"]))
        if r["kind"] == "mention":
            if r["decision"] == "accept":
                out += _evidence(r, graph, paper, base, paper_id)
            continue
        if not r["predicate"] or r["kind"] in ("unread", "work"):
            continue
        out = _apply_field(out, r)
    return out, where


def _apply_field(quads: list[ox.Quad], r: dict[str, str]) -> list[ox.Quad]:
    subject, predicate = ox.NamedNode(r["subject"]), ox.NamedNode(_expand(r["predicate"]))
    mine = [q for q in quads if q.subject == subject and q.predicate == predicate
            and isinstance(q.object, ox.Literal)]
    if r["decision"] == "reject":
        return [q for q in quads if q not in mine]
    if len(mine) == 1 and mine[0].object.value != r["value"]:
        old = mine[0].object
        new = ox.Literal(r["value"], language=old.language) if old.language else \
            ox.Literal(r["value"], datatype=old.datatype)
        return [q if q != mine[0] else ox.Quad(q.subject, q.predicate, new, q.graph_name)
                for q in quads]
    return quads


def _expand(name: str) -> str:
    prefix, _, local = name.partition(":")
    return NS[prefix] + local if prefix in NS else name


def _evidence(r: dict[str, str], graph: ox.NamedNode, paper: ox.NamedNode, base: str,
              paper_id: str) -> list[ox.Quad]:
    node = ox.BlankNode()
    entity = ox.NamedNode(r["subject"])
    section = ox.NamedNode(f"{base}id/{paper_id}/section/{r['predicate']}")
    return [ox.Quad(entity, iri("ag:evidence"), node, graph),
            ox.Quad(node, iri("rdf:type"), iri("ag:Evidence"), graph),
            ox.Quad(node, iri("prov:entity"), paper, graph),
            ox.Quad(node, iri("ag:inSection"), section, graph),
            ox.Quad(node, iri("ag:quote"), ox.Literal(r["value"]), graph)]
