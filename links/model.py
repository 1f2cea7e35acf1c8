"""Links out, link candidates and the activities that made them, as data in the store.

A link out is a plain triple in the ``links`` graph (``<entity> owl:sameAs <external>``,
or one of the SKOS mapping predicates), so every query keeps working, plus its provenance
as an OWL 2 axiom annotation in the same graph, with SSSOM's RDF slot names (how SSSOM
itself writes mappings as RDF): origin (curated, discovered, reviewed), justification,
date, confidence, author, tool, reviewer, evidence and the ``prov:Activity``.

A candidate waits in the ``link-review`` graph with its score, rank, evidence and review
status; a rejected or accepted candidate keeps its status on every later run.

Everything is read with queries on a :class:`~alliancegraph.store.base.Store` and every
write is one :class:`~alliancegraph.store.base.QuadDelta`, so it works on every backend.
IRIs of axioms and candidates are keyed by their subject, predicate and object: the same
link gets the same IRI on every run.
"""

from __future__ import annotations

import datetime
import enum
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from alliancegraph.errors import BadRequest, NotFound
from alliancegraph.graph.vocabulary import (
    CANONICAL_BASE,
    EXTERNAL_PREFIXES,
    LINK_REVIEW,
    graph_iri,
    ontology_namespace,
)
from alliancegraph.store.base import QuadDelta, ReadView, Store

__all__ = ["EVIDENCE", "EVIDENCE_SEPARATOR", "LEXICAL_MATCHING", "LINK_PREDICATES",
           "MANUAL_CURATION", "ORIGIN_TERMS", "STATUS_TERMS", "Activity", "Candidate", "Link",
           "Origin", "Status", "activity_quads", "add_links", "candidate_iri", "curator_agent",
           "kept_link_quads", "kept_link_quads_in", "link_iri", "link_quads", "linked_objects",
           "merge_links", "read_activities", "read_candidates", "read_links",
           "save_candidates", "set_status"]

OWL = EXTERNAL_PREFIXES["owl"]
SKOS = EXTERNAL_PREFIXES["skos"]
RDF = EXTERNAL_PREFIXES["rdf"]
RDFS = EXTERNAL_PREFIXES["rdfs"]
XSD = EXTERNAL_PREFIXES["xsd"]
PROV = EXTERNAL_PREFIXES["prov"]
DCTERMS = EXTERNAL_PREFIXES["dcterms"]
SSSOM = EXTERNAL_PREFIXES["sssom"]
SEMAPV = EXTERNAL_PREFIXES["semapv"]

#: the predicates of a link out, strongest first
LINK_PREDICATES: tuple[str, ...] = (f"{OWL}sameAs", f"{SKOS}exactMatch", f"{SKOS}closeMatch",
                                    f"{SKOS}relatedMatch")

#: justifications the project uses (any semapv IRI is accepted)
MANUAL_CURATION = f"{SEMAPV}ManualMappingCuration"
LEXICAL_MATCHING = f"{SEMAPV}LexicalMatching"


class Origin(enum.StrEnum):
    """How a link was made."""

    CURATED = "curated"
    DISCOVERED = "discovered"
    REVIEWED = "reviewed"


class Status(enum.StrEnum):
    """Where a candidate stands in review."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


#: the ontology terms (local names under ``ag:``) of each origin and status
ORIGIN_TERMS: dict[Origin, str] = {Origin.CURATED: "CuratedLink",
                                   Origin.DISCOVERED: "DiscoveredLink",
                                   Origin.REVIEWED: "ReviewedLink"}
STATUS_TERMS: dict[Status, str] = {Status.PENDING: "Pending", Status.ACCEPTED: "Accepted",
                                   Status.REJECTED: "Rejected"}


@dataclass(frozen=True)
class Link:
    """One link out and its provenance."""

    subject: str
    predicate: str
    object: str
    origin: Origin
    #: a full semapv IRI (``semapv:ManualMappingCuration``, ``semapv:LexicalMatching`` …)
    justification: str
    date: datetime.date
    confidence: float | None = None
    author: str | None = None
    tool: str | None = None
    reviewer: str | None = None
    #: human-readable, the reasons joined
    evidence: str | None = None
    #: the prov:Activity that made it
    activity: str | None = None
    subject_label: str | None = None
    object_label: str | None = None


@dataclass(frozen=True)
class Candidate:
    """A link waiting for review, in the ``link-review`` graph."""

    subject: str
    predicate: str
    object: str
    #: 0..1
    score: float
    #: 1 = best for this subject and target
    rank: int
    #: one short reason each ("label 'Japan'@en", "type country")
    evidence: tuple[str, ...]
    #: "state", "organisation", "person", "journal", "event", …
    kind: str
    #: "wikidata", "dbpedia" or the endpoint URL
    target: str
    subject_label: str = ""
    object_label: str = ""
    status: Status = Status.PENDING
    created: datetime.datetime | None = None
    activity: str | None = None


# ---------------------------------------------------------------------- keys and terms


def _key(subject: str, predicate: str, object: str, base_iri: str) -> str:
    """First 16 hex digits of sha1("s p o"), the IRIs written under the canonical base: the
    bundled sources (minted there, rebased by the build) name the same key at any base."""
    text = " ".join(_canonical(iri, base_iri) for iri in (subject, predicate, object))
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _canonical(iri: str, base_iri: str) -> str:
    """An IRI under ``base_iri`` written under :data:`CANONICAL_BASE` instead."""
    if base_iri != CANONICAL_BASE and iri.startswith(base_iri):
        return CANONICAL_BASE + iri[len(base_iri):]
    return iri


def link_iri(subject: str, predicate: str, object: str, base_iri: str) -> str:
    """The IRI of a link's axiom: the same s/p/o gives the same IRI on every run."""
    return f"{base_iri}id/mapping/{_key(subject, predicate, object, base_iri)}"


def candidate_iri(subject: str, predicate: str, object: str, base_iri: str) -> str:
    """The IRI of a candidate: the same s/p/o gives the same IRI on every run."""
    return f"{base_iri}id/candidate/{_key(subject, predicate, object, base_iri)}"


def _iri(value: str, what: str) -> ox.NamedNode:
    """A named node, or a clear error saying which field holds no IRI."""
    try:
        return ox.NamedNode(value)
    except ValueError as error:
        raise BadRequest(f"{what} must be an absolute IRI, not {value!r}") from error


def _typed(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


def _double(value: float, what: str) -> ox.Literal:
    if not 0.0 <= value <= 1.0:
        raise BadRequest(f"{what} must lie in [0, 1], not {value!r}")
    return _typed(repr(float(value)), "double")


def _check_predicate(predicate: str) -> None:
    if predicate not in LINK_PREDICATES:
        raise BadRequest(f"a link's predicate must be one of {', '.join(LINK_PREDICATES)}, "
                         f"not {predicate!r}")


# ---------------------------------------------------------------------- links


def link_quads(link: Link, base_iri: str) -> list[ox.Quad]:
    """The link's triple and its axiom, in the ``links`` graph."""
    _check_predicate(link.predicate)
    graph = ox.NamedNode(graph_iri("links", base_iri))
    ag = ontology_namespace(base_iri)
    subject = _iri(link.subject, "a link's subject")
    predicate = ox.NamedNode(link.predicate)
    target = _iri(link.object, "a link's object")
    axiom = ox.NamedNode(link_iri(link.subject, link.predicate, link.object, base_iri))
    values: list[tuple[str, ox.NamedNode | ox.Literal]] = [
        (RDF + "type", ox.NamedNode(OWL + "Axiom")),
        (OWL + "annotatedSource", subject),
        (OWL + "annotatedProperty", predicate),
        (OWL + "annotatedTarget", target),
        (ag + "linkOrigin", ox.NamedNode(ag + ORIGIN_TERMS[Origin(link.origin)])),
        (SSSOM + "mapping_justification", _iri(link.justification, "a link's justification")),
        (SSSOM + "mapping_date", _typed(link.date.isoformat(), "date")),
    ]
    if link.confidence is not None:
        values.append((SSSOM + "confidence", _double(link.confidence, "a link's confidence")))
    if link.author is not None:
        values.append((SSSOM + "author_id", _iri(link.author, "a link's author")))
    if link.tool is not None:
        values.append((SSSOM + "mapping_tool", ox.Literal(link.tool)))
    if link.reviewer is not None:
        values.append((SSSOM + "reviewer_id", _iri(link.reviewer, "a link's reviewer")))
    if link.evidence is not None:
        values.append((SSSOM + "comment", ox.Literal(link.evidence)))
    if link.activity is not None:
        values.append((PROV + "wasGeneratedBy", _iri(link.activity, "a link's activity")))
    if link.subject_label is not None:
        values.append((SSSOM + "subject_label", ox.Literal(link.subject_label)))
    if link.object_label is not None:
        values.append((SSSOM + "object_label", ox.Literal(link.object_label)))
    return [ox.Quad(subject, predicate, target, graph),
            *(ox.Quad(axiom, ox.NamedNode(p), o, graph) for p, o in values)]


def _values(name: str, iris: Iterable[str]) -> str:
    return f"VALUES ?{name} {{ {' '.join(f'<{iri}>' for iri in iris)} }}"


def _grouped(store: Store, sparql: str) -> dict[str, dict[str, list[ox.NamedNode | ox.Literal]]]:
    """``?node ?p ?o`` solutions as node IRI -> predicate IRI -> values."""
    found: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in store.select(sparql):
        found[row["node"].value][row["p"].value].append(row["o"])
    return found


def _whole_graph(store: Store, graph: str, sparql: str
                 ) -> dict[str, dict[str, list[ox.NamedNode | ox.Literal]]]:
    """:func:`_grouped` for a query that reads all of one graph: the graph is copied (one
    export, which no row limit caps) and queried here, so reading every link or candidate
    works however many there are (a link is about eight rows: the setting ``max_rows``
    would otherwise cap the links at an eighth of it)."""
    if not store.graph_exists(graph):
        return {}
    local = ox.Store()
    local.load(store.get_graph(graph, media_type="application/n-triples"),
               format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))
    found: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in local.query(sparql):
        found[row["node"].value][row["p"].value].append(row["o"])
    return found


def _one(props: Mapping[str, list], predicate: str) -> ox.NamedNode | ox.Literal | None:
    values = props.get(predicate)
    return sorted(values, key=str)[0] if values else None


def _text(props: Mapping[str, list], predicate: str) -> str | None:
    term = _one(props, predicate)
    return None if term is None else term.value


def _float(props: Mapping[str, list], predicate: str) -> float | None:
    term = _one(props, predicate)
    return None if term is None else float(term.value)


def _link_from(props: Mapping[str, list], ag: str) -> Link | None:
    origin = {ag + term: origin for origin, term in ORIGIN_TERMS.items()}.get(
        _text(props, ag + "linkOrigin") or "")
    date = _text(props, SSSOM + "mapping_date")
    justification = _text(props, SSSOM + "mapping_justification")
    if origin is None or date is None or justification is None:
        return None  # not one of ours (the shapes report such an axiom)
    return Link(
        subject=_text(props, OWL + "annotatedSource") or "",
        predicate=_text(props, OWL + "annotatedProperty") or "",
        object=_text(props, OWL + "annotatedTarget") or "",
        origin=origin, justification=justification,
        date=datetime.date.fromisoformat(date),
        confidence=_float(props, SSSOM + "confidence"),
        author=_text(props, SSSOM + "author_id"),
        tool=_text(props, SSSOM + "mapping_tool"),
        reviewer=_text(props, SSSOM + "reviewer_id"),
        evidence=_text(props, SSSOM + "comment"),
        activity=_text(props, PROV + "wasGeneratedBy"),
        subject_label=_text(props, SSSOM + "subject_label"),
        object_label=_text(props, SSSOM + "object_label"))


def read_links(store: Store, base_iri: str, *, origin: Origin | None = None) -> list[Link]:
    """Every link of the ``links`` graph that has its axiom (optionally of one origin),
    sorted by subject, predicate and object."""
    ag = ontology_namespace(base_iri)
    only = "" if origin is None else f"?node <{ag}linkOrigin> <{ag}{ORIGIN_TERMS[origin]}> ."
    sparql = f"""SELECT ?node ?p ?o WHERE {{
        {_values("lp", LINK_PREDICATES)}
        GRAPH <{graph_iri("links", base_iri)}> {{
            ?node a <{OWL}Axiom> ; <{OWL}annotatedSource> ?s ;
                  <{OWL}annotatedProperty> ?lp ; <{OWL}annotatedTarget> ?t .
            {only}
            ?s ?lp ?t .
            ?node ?p ?o
        }} }}"""
    links = (_link_from(props, ag)
             for props in _whole_graph(store, graph_iri("links", base_iri), sparql).values())
    return sorted((link for link in links if link is not None),
                  key=lambda link: (link.subject, link.predicate, link.object))


def linked_objects(store: Store, base_iri: str, prefix: str) -> dict[str, set[str]]:
    """Our entity IRI -> its link targets (any link predicate, ``links`` graph) that start
    with ``prefix``."""
    literal = prefix.replace("\\", "\\\\").replace('"', '\\"')
    sparql = f"""SELECT ?s ?t WHERE {{
        {_values("lp", LINK_PREDICATES)}
        GRAPH <{graph_iri("links", base_iri)}> {{ ?s ?lp ?t }}
        FILTER(isIRI(?t) && STRSTARTS(STR(?t), "{literal}"))
        }}"""
    found: dict[str, set[str]] = defaultdict(set)
    for row in store.select(sparql):
        found[row["s"].value].add(row["t"].value)
    return dict(found)


def _existing(store: Store, graph: str, nodes: Sequence[str]
              ) -> dict[str, dict[str, list[ox.NamedNode | ox.Literal]]]:
    """The properties of ``nodes`` in ``graph`` (nodes with none are absent)."""
    if not nodes:
        return {}
    sparql = f"""SELECT ?node ?p ?o WHERE {{
        {_values("node", nodes)} GRAPH <{graph}> {{ ?node ?p ?o }} }}"""
    return _grouped(store, sparql)


def _props_quads(node: str, props: Mapping[str, list], graph: str) -> list[ox.Quad]:
    g = ox.NamedNode(graph)
    return [ox.Quad(ox.NamedNode(node), ox.NamedNode(p), o, g)
            for p, values in props.items() for o in values]


def add_links(store: Store, links: Iterable[Link], base_iri: str,
              activity: Sequence[ox.Quad] = ()) -> int:
    """Write links (and the ``activity`` quads, e.g. from :func:`activity_quads`) to the
    ``links`` graph in one write. A link whose s/p/o is already CURATED is skipped (never
    overwritten); another existing axiom of the same s/p/o is replaced. Returns the number
    of links written."""
    ag = ontology_namespace(base_iri)
    graph = graph_iri("links", base_iri)
    chosen = {link_iri(link.subject, link.predicate, link.object, base_iri): link
              for link in links}
    return _replace_records(store, graph, {
        axiom: link_quads(link, base_iri) for axiom, link in chosen.items()},
        keep=(ag + "linkOrigin", {ag + ORIGIN_TERMS[Origin.CURATED]}), activity=activity)


def _replace_records(store: Store, graph: str, records: Mapping[str, list[ox.Quad]], *,
                     keep: tuple[str, set[str]], activity: Sequence[ox.Quad]) -> int:
    """Write each record (node -> its quads) in one write, replacing what the node had in
    ``graph``, except a node whose ``keep[0]`` property has one of the values ``keep[1]``
    (a curated link, a decided candidate): it stays as it is. Returns records written."""
    old = _existing(store, graph, sorted(records))
    predicate, kept_values = keep
    removed: list[ox.Quad] = []
    added: list[ox.Quad] = list(activity)
    written = 0
    for node, quads in records.items():
        props = old.get(node, {})
        if kept_values & {term.value for term in props.get(predicate, [])}:
            continue
        removed += _props_quads(node, props, graph)
        added += quads
        written += 1
    if removed or added:
        store.apply(QuadDelta(removed=tuple(set(removed) - set(added)),
                              added=tuple(dict.fromkeys(added))))
    return written


def activity_quads(activity: str, *, graph: str, started: datetime.datetime,
                   ended: datetime.datetime, endpoint: str, tool: str,
                   label: str) -> list[ox.Quad]:
    """A ``prov:Activity`` (a discovery or enrichment run) in ``graph``: when it ran, the
    endpoint it used and the tool that ran it."""
    node = _iri(activity, "an activity")
    g = ox.NamedNode(graph)
    values: list[tuple[str, ox.NamedNode | ox.Literal]] = [
        (RDF + "type", ox.NamedNode(PROV + "Activity")),
        (RDFS + "label", ox.Literal(label)),
        (PROV + "startedAtTime", _typed(started.isoformat(), "dateTime")),
        (PROV + "endedAtTime", _typed(ended.isoformat(), "dateTime")),
        (PROV + "used", _iri(endpoint, "an activity's endpoint")),
        (SSSOM + "mapping_tool", ox.Literal(tool)),
    ]
    return [ox.Quad(node, ox.NamedNode(p), o, g) for p, o in values]


@dataclass(frozen=True)
class Activity:
    """A ``prov:Activity`` as :func:`activity_quads` writes it."""

    iri: str
    label: str
    started: datetime.datetime
    ended: datetime.datetime
    endpoint: str
    tool: str


def read_activities(store: Store, graph: str) -> list[Activity]:
    """The activities of ``graph`` written by :func:`activity_quads`, oldest first."""
    sparql = f"""SELECT ?node ?p ?o WHERE {{ GRAPH <{graph}> {{
        ?node a <{PROV}Activity> ; ?p ?o }} }}"""
    found = []
    for iri, props in _grouped(store, sparql).items():
        started, ended = _text(props, PROV + "startedAtTime"), _text(props, PROV + "endedAtTime")
        if started is None or ended is None:
            continue  # not written here
        found.append(Activity(iri=iri, label=_text(props, RDFS + "label") or "",
                              started=datetime.datetime.fromisoformat(started),
                              ended=datetime.datetime.fromisoformat(ended),
                              endpoint=_text(props, PROV + "used") or "",
                              tool=_text(props, SSSOM + "mapping_tool") or ""))
    return sorted(found, key=lambda a: (a.started, a.iri))


# ---------------------------------------------------------------------- candidates

#: the property of a candidate's reasons (not ``ag:evidence``: that one links a paper-derived
#: statement to the place in a paper that states it)
EVIDENCE = "candidateEvidence"
#: joins the reasons of a candidate in its ``sssom:comment`` (which keeps their order)
EVIDENCE_SEPARATOR = "; "


def _candidate_quads(candidate: Candidate, base_iri: str) -> list[ox.Quad]:
    _check_predicate(candidate.predicate)
    ag = ontology_namespace(base_iri)
    graph = ox.NamedNode(graph_iri(LINK_REVIEW, base_iri))
    node = ox.NamedNode(candidate_iri(candidate.subject, candidate.predicate, candidate.object,
                                      base_iri))
    if candidate.rank < 1:
        raise BadRequest(f"a candidate's rank starts at 1, not {candidate.rank!r}")
    values: list[tuple[str, ox.NamedNode | ox.Literal]] = [
        (RDF + "type", ox.NamedNode(ag + "LinkCandidate")),
        (ag + "candidateSubject", _iri(candidate.subject, "a candidate's subject")),
        (ag + "candidatePredicate", ox.NamedNode(candidate.predicate)),
        (ag + "candidateObject", _iri(candidate.object, "a candidate's object")),
        (SSSOM + "confidence", _double(candidate.score, "a candidate's score")),
        (ag + "rank", _typed(str(candidate.rank), "integer")),
        (ag + "reviewStatus", ox.NamedNode(ag + STATUS_TERMS[Status(candidate.status)])),
        (ag + "linkTarget", ox.Literal(candidate.target)),
        (ag + "entityKind", ox.Literal(candidate.kind)),
        (SSSOM + "subject_label", ox.Literal(candidate.subject_label)),
        (SSSOM + "object_label", ox.Literal(candidate.object_label)),
        *((ag + EVIDENCE, ox.Literal(reason)) for reason in candidate.evidence),
    ]
    if candidate.evidence:
        values.append((SSSOM + "comment",
                       ox.Literal(EVIDENCE_SEPARATOR.join(candidate.evidence))))
    if candidate.created is not None:
        values.append((DCTERMS + "created", _typed(candidate.created.isoformat(), "dateTime")))
    if candidate.activity is not None:
        values.append((PROV + "wasGeneratedBy",
                       _iri(candidate.activity, "a candidate's activity")))
    return [ox.Quad(node, ox.NamedNode(p), o, graph) for p, o in values]


def _evidence(props: Mapping[str, list], ag: str) -> tuple[str, ...]:
    """The reasons in the order they were given (kept by the comment), else sorted."""
    reasons = sorted({term.value for term in props.get(ag + EVIDENCE, [])})
    joined = _text(props, SSSOM + "comment")
    if joined is not None:
        ordered = tuple(joined.split(EVIDENCE_SEPARATOR))
        if sorted(ordered) == reasons:
            return ordered
    return tuple(reasons)


def _candidate_from(props: Mapping[str, list], ag: str) -> Candidate | None:
    status = {ag + term: status for status, term in STATUS_TERMS.items()}.get(
        _text(props, ag + "reviewStatus") or "")
    needed = [_text(props, ag + name) for name in
              ("candidateSubject", "candidatePredicate", "candidateObject", "rank")]
    score = _float(props, SSSOM + "confidence")
    if status is None or score is None or None in needed:
        return None  # not one of ours (the shapes report such a candidate)
    subject, predicate, object, rank = needed
    created = _text(props, DCTERMS + "created")
    return Candidate(
        subject=subject, predicate=predicate, object=object, score=score, rank=int(rank),
        evidence=_evidence(props, ag), kind=_text(props, ag + "entityKind") or "",
        target=_text(props, ag + "linkTarget") or "",
        subject_label=_text(props, SSSOM + "subject_label") or "",
        object_label=_text(props, SSSOM + "object_label") or "", status=status,
        created=None if created is None else datetime.datetime.fromisoformat(created),
        activity=_text(props, PROV + "wasGeneratedBy"))


def read_candidates(store: Store, base_iri: str, *, target: str | None = None,
                    status: Status | None = None) -> list[Candidate]:
    """The candidates of the ``link-review`` graph (optionally of one target and status),
    sorted by target, subject, rank and object."""
    ag = ontology_namespace(base_iri)
    filters = []
    if target is not None:
        filters.append(f"?node <{ag}linkTarget> ?target . "
                       f"FILTER(STR(?target) = {_string(target)})")
    if status is not None:
        filters.append(f"?node <{ag}reviewStatus> <{ag}{STATUS_TERMS[status]}> .")
    sparql = f"""SELECT ?node ?p ?o WHERE {{ GRAPH <{graph_iri(LINK_REVIEW, base_iri)}> {{
        ?node a <{ag}LinkCandidate> . {" ".join(filters)} ?node ?p ?o }} }}"""
    found = (_candidate_from(props, ag) for props in
             _whole_graph(store, graph_iri(LINK_REVIEW, base_iri), sparql).values())
    return sorted((c for c in found if c is not None),
                  key=lambda c: (c.target, c.subject, c.rank, c.object))


def _string(text: str) -> str:
    """A SPARQL string literal."""
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
               .replace("\r", "\\r"))
    return f'"{escaped}"'


def save_candidates(store: Store, candidates: Iterable[Candidate], base_iri: str,
                    activity: Sequence[ox.Quad] = ()) -> int:
    """Write candidates (and the ``activity`` quads) to the ``link-review`` graph in one
    write. A new candidate, or one that is still pending, is written (replacing the older
    pending one of the same s/p/o); an accepted or rejected one keeps its status and its
    record forever. Returns the number of candidates written."""
    ag = ontology_namespace(base_iri)
    graph = graph_iri(LINK_REVIEW, base_iri)
    chosen = {candidate_iri(c.subject, c.predicate, c.object, base_iri): c
              for c in candidates}
    decided = {ag + STATUS_TERMS[Status.ACCEPTED], ag + STATUS_TERMS[Status.REJECTED]}
    return _replace_records(store, graph, {
        node: _candidate_quads(c, base_iri) for node, c in chosen.items()},
        keep=(ag + "reviewStatus", decided), activity=activity)


def set_status(store: Store, decisions: Mapping[str, Status], base_iri: str) -> int:
    """Set the review status of candidates (keyed by candidate IRI) in one write; NotFound
    naming the first IRI that is no candidate. Returns the number whose status changed."""
    ag = ontology_namespace(base_iri)
    graph = graph_iri(LINK_REVIEW, base_iri)
    old = _existing(store, graph, sorted(decisions))
    kind = ag + "LinkCandidate"
    missing = [iri for iri in sorted(decisions)
               if kind not in {t.value for t in old.get(iri, {}).get(RDF + "type", [])}]
    if missing:
        raise NotFound(f"no link candidate {missing[0]} in graph {graph}")
    removed: list[ox.Quad] = []
    added: list[ox.Quad] = []
    g = ox.NamedNode(graph)
    predicate = ox.NamedNode(ag + "reviewStatus")
    for iri, status in sorted(decisions.items()):
        new = ox.NamedNode(ag + STATUS_TERMS[Status(status)])
        current = old[iri].get(ag + "reviewStatus", [])
        if current == [new]:
            continue
        removed += [ox.Quad(ox.NamedNode(iri), predicate, term, g) for term in current]
        added.append(ox.Quad(ox.NamedNode(iri), predicate, new, g))
    if added:
        store.apply(QuadDelta(removed=tuple(removed), added=tuple(added)))
    return len(added)


# ---------------------------------------------------------------------- curated links


def curator_agent(base_iri: str) -> str:
    """The project's curators (a ``foaf:Organization``), the author of every
    curated link."""
    return f"{base_iri}id/agent/alliancegraph-curators"


def _kept_sparql(base_iri: str) -> str:
    ag = ontology_namespace(base_iri)
    origins = [ag + ORIGIN_TERMS[o] for o in (Origin.DISCOVERED, Origin.REVIEWED)]
    return f"""SELECT DISTINCT ?s ?p ?o WHERE {{
        {_values("origin", origins)} {_values("lp", LINK_PREDICATES)}
        GRAPH <{graph_iri("links", base_iri)}> {{
            ?axiom a <{OWL}Axiom> ; <{ag}linkOrigin> ?origin ; <{OWL}annotatedSource> ?ls ;
                   <{OWL}annotatedProperty> ?lp ; <{OWL}annotatedTarget> ?lt .
            {{ ?axiom ?p ?o BIND(?axiom AS ?s) }}
            UNION {{ ?ls ?lp ?lt BIND(?ls AS ?s) BIND(?lp AS ?p) BIND(?lt AS ?o) }}
            UNION {{ ?axiom <{PROV}wasGeneratedBy> ?s . ?s a <{PROV}Activity> ; ?p ?o }}
        }} }}"""


def _as_quads(rows: Iterable[Mapping[str, Any]], base_iri: str) -> list[ox.Quad]:
    g = ox.NamedNode(graph_iri("links", base_iri))
    return sorted({ox.Quad(row["s"], row["p"], row["o"], g) for row in rows}, key=str)


def kept_link_quads(store: Store, base_iri: str) -> list[ox.Quad]:
    """What a rebuild keeps of the ``links`` graph: the discovered and reviewed links, their
    axioms and the activities that made them (the build adds the curated ones from the
    sources), sorted."""
    return _as_quads(store.select(_kept_sparql(base_iri)), base_iri)


def kept_link_quads_in(view: ReadView, base_iri: str) -> list[ox.Quad]:
    """:func:`kept_link_quads` on a backend's read view (the build reads it in the writer,
    so that no write comes between what it keeps and what it writes)."""
    return _as_quads(view.query(_kept_sparql(base_iri)), base_iri)


def merge_links(curated: Sequence[ox.Quad], kept: Sequence[ox.Quad],
                base_iri: str) -> list[ox.Quad]:
    """The ``links`` graph of a build: the sources' quads (``curated``), then the ``kept``
    ones (:func:`kept_link_quads`) except the axioms of a link the sources curate (a curated
    link wins) and the activities no kept axiom names any more. Deterministic: the same
    inputs give the same list."""
    curated_nodes = {q.subject for q in curated}
    axioms = {q.subject for q in kept if q.predicate.value == OWL + "annotatedSource"}
    survivors = axioms - curated_nodes
    named = {q.object for q in kept
             if q.subject in survivors and q.predicate.value == PROV + "wasGeneratedBy"}
    activities = {q.subject for q in kept
                  if q.predicate.value == RDF + "type" and q.object.value == PROV + "Activity"}
    chosen: list[ox.Quad] = []
    for quad in kept:
        if quad.subject in axioms and quad.subject not in survivors:
            continue
        if quad.subject in activities and quad.subject not in named:
            continue
        chosen.append(quad)
    return list(dict.fromkeys([*curated, *chosen]))
