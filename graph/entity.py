"""The described resource: what the graph says about one IRI, as library code.

Every IRI the graph mints lies under a base IRI, and the service serves it at the same path
under its own root (:func:`iri_for_path`, :func:`path_for_iri`). The *description* of such
an IRI (:func:`describe`) is what its page shows:

* its statements, each with the named graphs it is in, and those of the blank nodes hanging
  off it (evidence nodes), followed through blank nodes only, ``blank_node_depth`` levels;
* the resources referring to it ("referenced by"), at most ``referenced_by_limit`` of them
  (the description says when there were more), a blank referrer (an evidence node) shown
  through the IRI holding it, with the quote it carries;
* a preferred label for every IRI it names (:data:`LABEL_PROPERTIES`, English first);
* the evidence of its statements (:meth:`Description.evidence`): paper, section, quote and
  footnotes of each ``ag:evidence`` node;
* the external facts of the items it is linked to (:attr:`Description.external_facts`):
  what ``alliancegraph enrich`` fetched into the graph ``external`` (and only from there),
  each with its source item, property, value, retrieval time and point in time. They are
  facts about the linked item, not statements of ours about the entity: a page shows them
  apart, marked as external.

The RDF document about an IRI is the result of :func:`document_query` (the same triples:
statements, blank nodes, and the IRIs pointing at it), so it can be advertised as a query.
It holds no external fact: those have the linked item as their subject, and live in their
own graph (``GET /graph/external``, or a query joining ``GRAPH <…/graph/external>``).

Two store calls per description, whatever the store's size: one SELECT for statements,
references and external facts (every pattern starts from the IRI, so each is an index
look-up), and one for the
labels (one ``VALUES`` of the IRIs and a ``FILTER`` on the properties: a second ``VALUES``
for the properties made Oxigraph scan the whole store). No Flask here; any
:class:`alliancegraph.store.Store` does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pyoxigraph as ox
from alliancegraph.errors import NotFound
from alliancegraph.graph.grouping import ORDER_PROPERTIES
from alliancegraph.graph.vocabulary import EXTERNAL, graph_iri, ontology_namespace
from alliancegraph.store.base import Store

__all__ = ["LABEL_PROPERTIES", "MATCH_PROPERTIES", "Description", "Evidence", "ExternalFact",
           "Reference", "Statement", "can_be_iri", "describe", "description_query", "document",
           "document_query", "exists", "exists_query", "iri_for_path", "labels",
           "labels_query", "path_for_iri", "preferred_labels", "sparql_iri"]

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
PROV_ENTITY = f"{PROV}entity"
OWL = "http://www.w3.org/2002/07/owl#"
DCTERMS = "http://purl.org/dc/terms/"
#: Properties whose values name the thing, best first (the preferred label is the first
#: English one found in this order).
LABEL_PROPERTIES = (
    f"{SKOS}prefLabel", "http://www.w3.org/2000/01/rdf-schema#label",
    "http://purl.org/dc/terms/title", "http://xmlns.com/foaf/0.1/name",
    "https://schema.org/name", f"{SKOS}altLabel",
)
#: Properties naming the same thing elsewhere (links out).
MATCH_PROPERTIES = ("http://www.w3.org/2002/07/owl#sameAs", f"{SKOS}exactMatch",
                    f"{SKOS}closeMatch")
#: Characters that cannot stand in a SPARQL IRIREF; text holding one names nothing here.
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')

Term = ox.NamedNode | ox.BlankNode | ox.Literal


# ---------------------------------------------------------------------- IRIs and paths


def iri_for_path(path: str, *, base_iri: str) -> str:
    """The IRI a path names: ``id/state/japan`` → ``{base}id/state/japan``."""
    return base_iri + path.lstrip("/")


def path_for_iri(iri: str, *, base_iri: str) -> str | None:
    """The path of ``iri`` under the base (``id/state/japan``), None for an IRI elsewhere."""
    return iri[len(base_iri):] if iri.startswith(base_iri) else None


def can_be_iri(text: str) -> bool:
    """False for text holding characters no IRI may contain."""
    return not _NOT_IN_IRI.search(text)


def sparql_iri(iri: str) -> str:
    """``<iri>`` for a query; NotFound for text that is no IRI (no SPARQL injection)."""
    if not can_be_iri(iri):
        raise NotFound(f"no resource has the IRI {iri!r}: it holds characters an IRI cannot")
    return f"<{iri}>"


# ---------------------------------------------------------------------- the queries


def _closure(root: str, depth: int, then: str, projected: str) -> list[str]:
    """One group per level, each ``then`` (patterns on ``?s``) for one node: the root
    (level 0) or a blank node reached from it through blank nodes only, given out as ``?s``
    with the ``projected`` variables of ``then``. Each group is one chain of patterns
    starting from the constant root, so the engine follows indexes from it (nothing is
    matched before ``?s`` is known). Each is a sub-select that names the node ``?s`` in its
    projection: Virtuoso refuses a ``BIND`` of it beside a ``FILTER`` in a union (SP031)."""
    groups = [f"SELECT ({root} AS ?s) {projected} WHERE {{ {then.replace('?s', root)} }}"]
    for level in range(1, depth + 1):
        steps, blank, previous = [], [], root
        for i in range(1, level + 1):
            steps.append(f"{previous} ?x{i} ?b{i} .")
            blank.append(f"isBlank(?b{i})")
            previous = f"?b{i}"
        groups.append(f"SELECT ({previous} AS ?s) {projected} WHERE {{ {' '.join(steps)} "
                      f"{then.replace('?s', previous)} FILTER({' && '.join(blank)}) }}")
    return groups


def document_query(iri: str, *, blank_node_depth: int = 4) -> str:
    """The query whose result is the RDF document about ``iri``: its own triples, the blank
    nodes hanging off it (evidence) and the triples of other resources pointing at it."""
    root = sparql_iri(iri)
    groups = _closure(root, blank_node_depth, "?s ?p ?o .", "?p ?o")
    branches = "\n  UNION ".join(f"{{ {g} }}" for g in groups)
    # DISTINCT: a triple can be found more than once (a blank node reached by two
    # properties, ag:evidence and the inferred prov:qualifiedDerivation; a triple in two
    # graphs), and Oxigraph does not drop every repeat from a CONSTRUCT's result
    return (f"# The description of {root}: its triples, its blank nodes, and links to it\n"
            f"CONSTRUCT {{ ?s ?p ?o }}\nWHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{\n"
            f"  {branches}\n"
            f"  UNION {{ SELECT ?s ?p ({root} AS ?o) WHERE {{ ?s ?p {root} . "
            f"FILTER(isIRI(?s)) }} }}\n}} }}\n")


def description_query(iri: str, *, base_iri: str, blank_node_depth: int = 4,
                      referenced_by_limit: int = 1000) -> str:
    """Statements and references in one SELECT. Statement rows bind ``?s ?p ?o`` (and
    ``?g``, a graph the statement is in); reference rows ``?s ?p`` (who points at the IRI
    with what; for a blank referrer, ``?owner ?op``, the IRI holding it) with ``?graphs``
    and ``?quote``, and leave ``?o`` unbound. At most ``referenced_by_limit + 1``
    (referrer, property) pairs, so the caller can tell there were more: taken in the
    engine's order without sorting, so the query stops there (sorting every referrer of a
    much-cited IRI took 170 ms at 10^6 quads, against 25 ms)."""
    root = sparql_iri(iri)
    quote = f"<{ontology_namespace(base_iri)}quote>"
    statements = _closure(root, blank_node_depth,
                          "?s ?p ?o . OPTIONAL { GRAPH ?g { ?s ?p ?o } }", "?p ?o ?g")
    branches = "\n  UNION ".join(f"{{ {g} }}" for g in statements)
    return (
        f"SELECT ?s ?p ?o ?g ?owner ?op ?graphs ?quote {' '.join(FACT_VARIABLES)} WHERE {{\n"
        f"  {branches}\n"
        f"  UNION {_external_facts_branch(root, base_iri)}\n"
        f"  UNION {{ SELECT ?s ?p ?owner ?op\n"
        f"      (GROUP_CONCAT(DISTINCT STR(?rg); separator=' ') AS ?graphs)"
        f" (SAMPLE(?q) AS ?quote)\n"
        f"    WHERE {{ {{ SELECT DISTINCT ?s ?p WHERE {{ ?s ?p {root} }}"
        f" LIMIT {referenced_by_limit + 1} }}\n"
        f"      OPTIONAL {{ GRAPH ?rg {{ ?s ?p {root} }} }}\n"
        f"      OPTIONAL {{ ?owner ?op ?s . FILTER(isBlank(?s) && isIRI(?owner)) }}\n"
        f"      OPTIONAL {{ ?s {quote} ?q . FILTER(isBlank(?s)) }} }}\n"
        f"    GROUP BY ?s ?p ?owner ?op }}\n}}")


#: the variables of the rows of :func:`description_query` that are external facts
FACT_VARIABLES = ("?fact", "?item", "?fp", "?fv", "?fsource", "?fretrieved", "?ftime",
                  "?fendpoint")


def _external_facts_branch(root: str, base_iri: str) -> str:
    """The external facts of the items ``root`` is linked to, from the external graph
    only: each annotation axiom of ``alliancegraph enrich`` whose triple is there."""
    ag = ontology_namespace(base_iri)
    matches = ", ".join(f"<{p}>" for p in MATCH_PROPERTIES)
    return (f"{{ {root} ?lp ?item . FILTER(?lp IN ({matches}) && isIRI(?item))\n"
            f"    GRAPH <{graph_iri(EXTERNAL, base_iri)}> {{\n"
            f"      ?fact <{OWL}annotatedSource> ?item ; a <{ag}ExternalFact> ;\n"
            f"        <{OWL}annotatedProperty> ?fp ; <{OWL}annotatedTarget> ?fv .\n"
            f"      ?item ?fp ?fv .\n"
            f"      OPTIONAL {{ ?fact <{ag}sourceProperty> ?fsource }}\n"
            f"      OPTIONAL {{ ?fact <{PROV}generatedAtTime> ?fretrieved }}\n"
            f"      OPTIONAL {{ ?fact <{ag}pointInTime> ?ftime }}\n"
            f"      OPTIONAL {{ ?fact <{DCTERMS}source> ?fendpoint }} }} }}")


def labels_query(iris: Iterable[str], also: Iterable[str] = ()) -> str:
    """The labels of ``iris`` (rows ``r``, ``p``, ``l``), and their values of the
    properties ``also``."""
    values = " ".join(sparql_iri(iri) for iri in sorted(set(iris)))
    properties = ", ".join(f"<{p}>" for p in (*LABEL_PROPERTIES, *also))
    # one VALUES and a FILTER: with a second VALUES for ?p, Oxigraph scans the whole store
    # (1.4 s at 10^6 quads, against 22 ms for the same rows this way)
    return (f"SELECT ?r ?p ?l WHERE {{ VALUES ?r {{ {values} }} ?r ?p ?l "
            f"FILTER(?p IN ({properties})) }}")


def exists_query(iri: str) -> str:
    root = sparql_iri(iri)
    return f"ASK {{ {{ {root} ?p ?o }} UNION {{ ?s ?p {root} }} }}"


# ---------------------------------------------------------------------- the description


@dataclass(frozen=True)
class Statement:
    predicate: ox.NamedNode
    object: Term
    #: the named graphs holding it
    graphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reference:
    """One resource pointing at the described one (``via`` when through a blank node: the
    referrer holds a blank node by ``predicate`` that points here by ``via``)."""

    subject: ox.NamedNode
    predicate: ox.NamedNode
    via: ox.NamedNode | None
    graphs: tuple[str, ...]
    quote: str | None


@dataclass(frozen=True)
class Evidence:
    """One ``ag:evidence`` node, its well-known parts picked out."""

    node: Term
    papers: tuple[Term, ...]
    sections: tuple[Term, ...]
    quotes: tuple[Term, ...]
    footnotes: tuple[Term, ...]
    unsupported: bool
    other: tuple[Statement, ...]


@dataclass(frozen=True)
class ExternalFact:
    """One fact about a linked item, fetched from its dataset (graph ``external``)."""

    #: the linked item the fact is about (its source)
    item: ox.NamedNode
    #: the fact's predicate (``wdt:P297``, ``rdfs:label`` …)
    predicate: ox.NamedNode
    value: Term
    #: the source dataset's own property (``wd:P297``)
    source_property: ox.NamedNode | None
    #: when it was retrieved (an ``xsd:dateTime`` literal)
    retrieved: ox.Literal | None
    #: the point in time it holds for (a population's date)
    point_in_time: ox.Literal | None
    #: the endpoint it was read from
    endpoint: ox.NamedNode | None


@dataclass(frozen=True)
class Description:
    """What the graph says about ``iri``. Immutable: one description may be shared."""

    iri: str
    base_iri: str
    #: statements per subject: the IRI itself and each blank node (by its label)
    subjects: Mapping[str, tuple[Statement, ...]]
    references: tuple[Reference, ...]
    #: more than the listed references point at the IRI
    references_truncated: bool
    #: IRI -> its preferred label
    labels: Mapping[str, str]
    #: facts about the linked items, from the external graph, by item, predicate, value
    external_facts: tuple[ExternalFact, ...] = ()
    #: IRI -> (which of :data:`alliancegraph.graph.grouping.ORDER_PROPERTIES`, its number
    #: by it): its place among its kind (a section's in its paper …), for those with one
    order: Mapping[str, tuple[int, float]] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def statements(self) -> tuple[Statement, ...]:
        return self.subjects.get(self.iri, ())

    def values(self, *predicates: str) -> list[Statement]:
        return [s for s in self.statements if s.predicate.value in predicates]

    def evidence(self) -> list[Evidence]:
        """The evidence of the IRI's statements: each ``ag:evidence`` node, parts picked."""
        return [self.evidence_of(s.object)
                for s in self.values(f"{ontology_namespace(self.base_iri)}evidence")]

    def evidence_of(self, node: Term) -> Evidence:
        ag = ontology_namespace(self.base_iri)
        statements = self.subjects.get(node.value, ()) if isinstance(node, ox.BlankNode) else ()

        def pick(name: str) -> tuple[Term, ...]:
            return tuple(s.object for s in statements if s.predicate.value == name)

        known = {PROV_ENTITY, f"{ag}inSection", f"{ag}quote", f"{ag}supportingFootnote",
                 f"{ag}unsupported", RDF_TYPE}
        return Evidence(
            node=node,
            papers=pick(PROV_ENTITY),
            sections=pick(f"{ag}inSection"),
            quotes=pick(f"{ag}quote"),
            footnotes=pick(f"{ag}supportingFootnote"),
            unsupported=any(o.value in ("true", "1") for o in pick(f"{ag}unsupported")),
            other=tuple(s for s in statements if s.predicate.value not in known),
        )


def describe(store: Store, iri: str, *, base_iri: str, blank_node_depth: int = 4,
             referenced_by_limit: int = 1000) -> Description | None:
    """The description of ``iri`` in two store calls; None when the store says nothing
    about it. NotFound for text that is no IRI."""
    found = store.select(description_query(iri, base_iri=base_iri,
                                           blank_node_depth=blank_node_depth,
                                           referenced_by_limit=referenced_by_limit))
    subjects: dict[str, dict[tuple[str, Term], tuple[ox.NamedNode, Term, list[str]]]] = {}
    references: list[Reference] = []
    pairs: set[tuple[Term, Term]] = set()  # (referrer, property): more than the limit
    # means there were more references
    facts: dict[tuple[str, str, str], ExternalFact] = {}
    for row in found:
        if "fact" in row:
            facts[(row["item"].value, row["fp"].value, str(row["fv"]))] = _fact(row)
            continue
        if "o" in row:
            subject = row["s"].value
            key = (row["p"].value, row["o"])
            entry = subjects.setdefault(subject, {}).setdefault(key, (row["p"], row["o"], []))
            if "g" in row and row["g"].value not in entry[2]:
                entry[2].append(row["g"].value)
            continue
        pairs.add((row["s"], row["p"]))
        blank = isinstance(row["s"], ox.BlankNode)
        holder = row.get("owner") if blank else row["s"]
        if not isinstance(holder, ox.NamedNode):  # a blank node nothing with an IRI holds
            continue
        predicate = row.get("op") if blank else row["p"]
        references.append(Reference(
            subject=holder, predicate=predicate,  # type: ignore[arg-type]
            via=row["p"] if blank else None,  # type: ignore[arg-type]
            graphs=tuple(row["graphs"].value.split()) if "graphs" in row else (),
            quote=row["quote"].value if "quote" in row else None))
    if not subjects and not references:
        return None
    truncated = len(pairs) > referenced_by_limit or len(references) > referenced_by_limit
    references.sort(key=lambda r: (r.predicate.value, r.subject.value,
                                   r.via.value if r.via else ""))
    references = references[:referenced_by_limit]
    named = {iri}
    for entries in subjects.values():
        for predicate, obj, _ in entries.values():
            named.add(predicate.value)
            if isinstance(obj, ox.NamedNode):
                named.add(obj.value)
    for reference in references:
        named |= {reference.subject.value, reference.predicate.value}
        if reference.via is not None:
            named.add(reference.via.value)
    external = tuple(facts[key] for key in sorted(facts))
    for fact in external:
        named |= {fact.predicate.value, *(
            t.value for t in (fact.source_property, fact.value) if isinstance(t, ox.NamedNode))}
    names, order = labels_and_order(store, named, ontology_namespace(base_iri))
    return Description(
        iri=iri,
        base_iri=base_iri,
        subjects=MappingProxyType({
            subject: tuple(Statement(p, o, tuple(g)) for p, o, g in entries.values())
            for subject, entries in subjects.items()}),
        references=tuple(references),
        references_truncated=truncated,
        labels=MappingProxyType(names),
        external_facts=external,
        order=MappingProxyType(order),
    )


def _fact(row: Mapping[str, Term]) -> ExternalFact:
    return ExternalFact(
        item=row["item"], predicate=row["fp"], value=row["fv"],  # type: ignore[arg-type]
        source_property=row.get("fsource"),  # type: ignore[arg-type]
        retrieved=row.get("fretrieved"), point_in_time=row.get("ftime"),  # type: ignore[arg-type]
        endpoint=row.get("fendpoint"))  # type: ignore[arg-type]


def labels_and_order(store: Store, iris: Iterable[str],
                     ontology: str) -> tuple[dict[str, str], dict[str, tuple[int, float]]]:
    """The preferred label of each of ``iris`` that has one, and the order number of each
    that has one (one store call)."""
    wanted = {iri for iri in iris if can_be_iri(iri)}
    if not wanted:
        return {}, {}
    numbered = [ontology + name for name in ORDER_PROPERTIES]
    rows = store.select(labels_query(wanted, numbered))
    order: dict[str, tuple[int, float]] = {}
    named = []
    for row in rows:
        if row["p"].value not in numbered:
            named.append(row)
            continue
        try:
            order.setdefault(row["r"].value, (numbered.index(row["p"].value),
                                              float(row["l"].value)))
        except ValueError:  # a number the shapes would refuse: no order, not an error page
            continue
    return preferred_labels(named), order


def labels(store: Store, iris: Iterable[str]) -> dict[str, str]:
    """The preferred label of each of ``iris`` that has one (one store call)."""
    wanted = {iri for iri in iris if can_be_iri(iri)}
    if not wanted:
        return {}
    return preferred_labels(store.select(labels_query(wanted)))


def preferred_labels(rows: Iterable[Mapping[str, Term]]) -> dict[str, str]:
    """One label per IRI from rows binding ``r`` (the IRI), ``p`` (a property of
    :data:`LABEL_PROPERTIES`) and ``l``: the first property, English before untagged
    before any other language, then the smallest text."""
    def rank(row: Mapping[str, Term]) -> tuple[int, int, str]:
        label = row["l"]
        language = label.language if isinstance(label, ox.Literal) else None
        language_rank = 0 if language and language.startswith("en") else 1 if not language else 2
        return LABEL_PROPERTIES.index(row["p"].value), language_rank, label.value

    best: dict[str, tuple[int, int, str]] = {}
    for row in rows:
        key = row["r"].value
        if key not in best or rank(row) < best[key]:
            best[key] = rank(row)
    return {key: value[2] for key, value in best.items()}


def exists(store: Store, iri: str) -> bool:
    """Whether the store says anything about ``iri`` or points at it (one ASK). False for
    text that is no IRI."""
    return can_be_iri(iri) and store.ask(exists_query(iri))


def document(store: Store, iri: str, *, blank_node_depth: int = 4) -> list[ox.Triple]:
    """The triples of the RDF document about ``iri`` (:func:`document_query`)."""
    return store.construct(document_query(iri, blank_node_depth=blank_node_depth))
