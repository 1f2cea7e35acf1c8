"""Works deduplicated within a paper and matched against the graph's works; entity mentions.

A work's key is its title, first author's family name and year (rapidfuzz on the title).
A citation matches a known work when the score is high and no other work comes close; a
close second makes it ambiguous, listed for review and never merged silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from alliancegraph.ingest.citations import Citation, family
from rapidfuzz import fuzz

Select = Callable[[str], Iterable[dict]]

MATCH = 0.85  # a score at or above: the same work
AMBIGUOUS = 0.05  # a second candidate this close: ask a person

PREFIXES = """PREFIX ag: <https://w3id.org/alliancegraph/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


@dataclass
class KnownWork:
    iri: str
    title: str
    families: tuple[str, ...]
    year: str | None


@dataclass
class Match:
    iri: str | None
    score: float
    status: str  # matched, ambiguous, new
    candidates: list[tuple[str, float]] = field(default_factory=list)


def _norm(text: str) -> str:
    text = text.casefold().replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
    return re.sub(r"[^\w]+", " ", text.replace("\u201d", '"')).strip()


def known_works(select: Select) -> list[KnownWork]:
    """Every work the graph prints (``ag:describedIn``), with title (or label), creators'
    family names and year."""
    query = PREFIXES + """SELECT ?w (SAMPLE(?t) AS ?title) (SAMPLE(?y) AS ?issued)
        (GROUP_CONCAT(DISTINCT ?fam; separator="|") AS ?fams) WHERE {
        ?w ag:describedIn ?where .
        { ?w dcterms:title ?t } UNION { FILTER NOT EXISTS { ?w dcterms:title ?x }
          ?w rdfs:label ?t }
        FILTER (CONTAINS(STR(?w), "/id/work/"))  # the IRI scheme's works (not containers)
        OPTIONAL { ?w dcterms:issued ?y }
        OPTIONAL { ?w (dcterms:creator|ag:interviewee)/foaf:familyName ?fam }
    } GROUP BY ?w"""
    works = []
    for row in select(query):
        issued = row.get("issued")
        fams = str(row["fams"].value).split("|") if row.get("fams") else []
        works.append(KnownWork(row["w"].value, row["title"].value,
                               tuple(f for f in fams if f),
                               issued.value[:4] if issued is not None else None))
    return works


def work_title(citation: Citation) -> str:
    """What a citation calls its work: its title, else what stands for one."""
    for name in ("title", "interviewee", "container"):
        if citation.get(name):
            return str(citation.get(name))
    return citation.text


def first_family(citation: Citation) -> str:
    authors = citation.get("authors") or []
    return family(str(authors[0])) if authors else ""


def _family_candidates(citation: Citation) -> set[str]:
    """The first author's family name; for an interview, every word of the interviewee."""
    if citation.get("authors"):
        return {first_family(citation)}
    return set(str(citation.get("interviewee") or "").split())


def score(citation: Citation, work: KnownWork) -> float:
    title = _norm(work_title(citation))
    ratio = max(fuzz.ratio(title, _norm(work.title)),
                fuzz.partial_ratio(title, _norm(work.title)) - 5) / 100
    names = _family_candidates(citation)
    year = str(citation.get("issued") or citation.get("date") or "")[:4]
    family_score = 1.0 if names & set(work.families) else (0.5 if not names else 0.0)
    year_score = 1.0 if year and year == work.year else (0.5 if not year or not work.year else 0.)
    return 0.7 * ratio + 0.2 * family_score + 0.1 * year_score


def match(citation: Citation, works: list[KnownWork]) -> Match:
    ranked = sorted(((w.iri, score(citation, w)) for w in works), key=lambda p: -p[1])[:3]
    if not ranked or ranked[0][1] < MATCH:
        return Match(None, ranked[0][1] if ranked else 0.0, "new", ranked)
    if len(ranked) > 1 and ranked[1][1] >= MATCH and ranked[0][1] - ranked[1][1] < AMBIGUOUS:
        return Match(None, ranked[0][1], "ambiguous", ranked)
    return Match(ranked[0][0], ranked[0][1], "matched", ranked)


def dedupe(citations: list[Citation]) -> list[list[Citation]]:
    """Citations of one work grouped (ibid. with what it refers to); a group merges only on
    the same first author and year and a near-identical title."""
    groups: list[list[Citation]] = []
    by_ref = {(c.footnote, c.index): c for c in citations}
    for citation in citations:
        target = by_ref.get(citation.refers_to) if citation.refers_to else None
        home = next((g for g in groups if target in g), None) if target else None
        if home is None:
            home = next((g for g in groups if same_work(g[0], citation)), None)
        if home is None:
            groups.append([citation])
        else:
            home.append(citation)
    return groups


def same_work(a: Citation, b: Citation) -> bool:
    if first_family(a) != first_family(b):
        return False
    year_a, year_b = str(a.get("issued") or "")[:4], str(b.get("issued") or "")[:4]
    if year_a and year_b and year_a != year_b:
        return False
    return fuzz.ratio(_norm(work_title(a)), _norm(work_title(b))) >= 92


# ------------------------------------------------------------------ entity mentions

@dataclass
class Mention:
    entity: str
    label: str
    section: str
    sentence: str


def known_labels(select: Select) -> dict[str, set[str]]:
    """Label or alias (any language) → the entities that carry it (states, organisations,
    agreements, threats, events, persons, …: every IRI under ``/id/`` but papers' own)."""
    query = PREFIXES + """SELECT DISTINCT ?e ?l WHERE {
        ?e skos:prefLabel|skos:altLabel|foaf:name ?l .
        FILTER (CONTAINS(STR(?e), "/id/") && !CONTAINS(STR(?e), "/id/paper-")
                && !CONTAINS(STR(?e), "/id/work/"))
    }"""
    labels: dict[str, set[str]] = {}
    for row in select(query):
        label = row["l"].value.strip()
        if len(label) >= 3:
            labels.setdefault(label, set()).add(row["e"].value)
    return labels


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=\w{3}[.!?])\s+(?=[A-Z\u201c\"])", text) if s.strip()]


def mentions(paragraphs: Iterable[tuple[str, str]], labels: dict[str, set[str]]) -> list[Mention]:
    """Every (section, sentence) naming a known label, once per entity and sentence."""
    patterns = [(label, re.compile(rf"(?<!\w){re.escape(label)}(?!\w)",
                                   0 if label.isupper() else re.I))
                for label in sorted(labels, key=len, reverse=True)]
    found: list[Mention] = []
    seen: set[tuple[str, str]] = set()
    for section, text in paragraphs:
        for sentence in sentences(text):
            for label, pattern in patterns:
                if not pattern.search(sentence):
                    continue
                for entity in sorted(labels[label]):
                    if (entity, sentence) not in seen:
                        seen.add((entity, sentence))
                        found.append(Mention(entity, label, section, sentence))
    return found
