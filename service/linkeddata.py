"""Linked data: every IRI the graph mints under its base resolves here.

The service maps its own paths onto the configured ``base_iri``: the request path
``/id/state/japan`` names ``{base_iri}id/state/japan``. Such an IRI names a thing (a
state, a claim, a concept), not a document, so — following the W3C note "Cool URIs for
the Semantic Web", section 4.3 ("303 URIs forwarding to different documents") — it
answers ``303 See Other`` to a document about it in the negotiated format:
``{iri}.html``, ``.ttl``, ``.jsonld``, ``.nt`` or ``.rdf``. The documents answer 200,
each with ``Link: <…>; rel="alternate"`` headers to the others. Unknown IRIs are 404,
in HTML or RDF by ``Accept``. Turtle and RDF/XML carry the prefixes they use
(:func:`document_prefixes`); JSON-LD is compacted under the context published at
``{base_iri}context.jsonld`` (:func:`jsonld_context`).

All data comes from the store through SPARQL (:func:`describe`); nothing here reads a
source file.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

import pyoxigraph as ox
from alliancegraph.errors import NotAcceptable, NotFound
from alliancegraph.graph.queries import prefixes
from alliancegraph.service import negotiation
from alliancegraph.service.negotiation import Format
from alliancegraph.service.resources import get_store
from alliancegraph.store import Store
from flask import Blueprint, Response, current_app, render_template, request

bp = Blueprint("linkeddata", __name__)

#: HTML is not an RDF syntax; it takes part in negotiation all the same.
HTML = Format("html", "text/html", ("application/xhtml+xml",), None)  # type: ignore[arg-type]
#: The documents about a resource, by file suffix, in the server's order of preference
#: (a client that accepts anything, or sends no Accept, gets HTML).
DOCUMENT_FORMATS: dict[str, Format] = {
    "html": HTML,
    "ttl": negotiation.TURTLE,
    "jsonld": negotiation.JSON_LD,
    "nt": negotiation.N_TRIPLES,
    "rdf": negotiation.RDF_XML,
}
OFFERS: tuple[Format, ...] = tuple(DOCUMENT_FORMATS.values())
RESULTS_JSON = "application/sparql-results+json"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE = f"{RDF}type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS = "http://www.w3.org/2004/02/skos/core#"
XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = f"{XSD}string"
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
PROV_ENTITY = "http://www.w3.org/ns/prov#entity"
#: Properties whose values name the thing, best first (the preferred label is the first
#: English one found in this order).
LABEL_PROPERTIES = (
    f"{SKOS}prefLabel", RDFS_LABEL, "http://purl.org/dc/terms/title",
    "http://xmlns.com/foaf/0.1/name", "https://schema.org/name", f"{SKOS}altLabel",
)
MATCH_PROPERTIES = (OWL_SAME_AS, f"{SKOS}exactMatch", f"{SKOS}closeMatch")
#: Blank nodes hanging off a resource are followed this many levels deep (evidence nodes
#: are one level down); deeper ones are shown as "not expanded" with a pointer to the RDF.
BLANK_DEPTH = 4
#: Most "referenced by" rows one page shows; more is said on the page, never cut silently.
INVERSE_LIMIT = 1000
#: Characters that cannot stand in a SPARQL IRIREF; a path holding one names nothing here.
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')


# --- IRIs and paths -------------------------------------------------------------------

def base_iri() -> str:
    return current_app.config["BASE_IRI"]


def iri_for_path(path: str) -> str:
    """The IRI a request path names: ``id/state/japan`` → ``{base}id/state/japan``."""
    return base_iri() + path.lstrip("/")


def local_href(iri: str) -> str | None:
    """The path on this service where ``iri`` resolves, or None for an external IRI."""
    base = base_iri()
    if not iri.startswith(base):
        return None
    return f"{request.script_root}/{iri[len(base):]}"


def is_web_iri(iri: str) -> bool:
    """Only http(s) IRIs become links (no ``javascript:`` or ``file:`` from the data)."""
    return iri.lower().startswith(("http://", "https://"))


def href(iri: str) -> str:
    """Where a link to ``iri`` goes: here for our IRIs, the IRI itself otherwise."""
    return local_href(iri) or iri


def curie(iri: str) -> str:
    """``ag:State`` for a known namespace, else the IRI itself."""
    best = ""
    best_name = ""
    for name, namespace in prefixes(base_iri()).items():
        if iri.startswith(namespace) and len(namespace) > len(best):
            best, best_name = namespace, name
    return f"{best_name}:{iri[len(best):]}" if best else iri


def can_be_iri(text: str) -> bool:
    """False for text holding characters no IRI may contain."""
    return not _NOT_IN_IRI.search(text)


def sparql_iri(iri: str) -> str:
    """``<iri>`` for a query; NotFound for text that is no IRI (no SPARQL injection)."""
    if not can_be_iri(iri):
        raise NotFound(f"no resource has the IRI {iri!r}: it holds characters an IRI cannot")
    return f"<{iri}>"


def split_suffix(path: str) -> tuple[str, Format | None]:
    """``state/japan.ttl`` → (``state/japan``, Turtle); no known suffix → (path, None)."""
    stem, dot, suffix = path.rpartition(".")
    if dot and stem and "/" not in suffix and suffix in DOCUMENT_FORMATS:
        return stem, DOCUMENT_FORMATS[suffix]
    return path, None


def document_path(path: str, fmt: Format) -> str:
    return f"{request.script_root}/{path.lstrip('/')}.{fmt.name}"


# --- HTTP helpers shared with the pages blueprint ---------------------------------------

def negotiate_document(what: str) -> Format:
    """The document format a client asks for (``format`` parameter — a suffix or a media
    type — then Accept); 406 when none can be written."""
    requested = request.args.get("format")
    if requested:
        value = requested.strip().lower()
        for fmt in OFFERS:
            if value == fmt.name or value in fmt.media_types:
                return fmt
        raise NotAcceptable(f"format={requested!r} cannot be produced for {what}; available: "
                            + ", ".join(f"{f.name} ({f.media_type})" for f in OFFERS))
    return negotiation.negotiate(request.headers.get("Accept"), OFFERS, what=what)


def add_alternates(response: Response, path: str, *, current: Format | None = None) -> None:
    """``Link: <path.ttl>; rel="alternate"; type="text/turtle"`` for every other format."""
    links = negotiation.link_header({"href": document_path(path, fmt),
                                     "media_type": fmt.media_type}
                                    for fmt in OFFERS if fmt is not current)
    existing = response.headers.get("Link")
    response.headers["Link"] = f"{existing}, {links}" if existing else links


def see_other(path: str, iri: str) -> Response:
    """303 from the IRI of a thing to the document about it in the negotiated format."""
    fmt = negotiate_document(f"<{iri}>")
    target = document_path(path, fmt)
    response = Response(f"See {target}\n", status=303, mimetype="text/plain")
    response.headers["Location"] = target
    response.vary.add("Accept")
    add_alternates(response, path)
    return response


# --- documents people read: prefixes, and compacted JSON-LD -----------------------------

#: Syntaxes re-written with prefixes, for people reading them.
_WITH_PREFIXES = (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML)
#: A prefix name Turtle and XML both accept (PN_PREFIX and NCName, in ASCII).
_PREFIX_NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?")


def document_prefixes(triples: Iterable[ox.Triple], *, folders: bool) -> dict[str, str]:
    """The prefixes of the project table one document uses and, with ``folders``, one per
    folder below a table namespace: ``agid-state:`` for ``{base}id/state/``,
    ``agid-paper-b-perception:`` … Turtle can write a ``/`` in a local name only escaped
    (``agid:state\\/japan``), so each of our IRIs gets the prefix of its own folder and
    reads ``agid-state:japan``. (RDF/XML writes subjects and objects as full IRIs: its
    prefixes only name properties and classes, so it needs no folders.)"""
    table = {namespace: name for name, namespace in prefixes(base_iri()).items()}
    used: dict[str, str] = {}
    for triple in triples:
        terms = (triple.subject, triple.predicate, triple.object)
        iris = [t.value for t in terms if isinstance(t, ox.NamedNode)]
        iris += [t.datatype.value for t in terms  # strings are written without theirs
                 if isinstance(t, ox.Literal) and not t.language and t.datatype.value != XSD_STRING]
        for iri in iris:
            namespace = max((n for n in table if iri.startswith(n)), key=len, default=None)
            if namespace is None:
                continue
            name = table[namespace]
            folder, slash, _ = iri[len(namespace):].rpartition("/")
            derived = f"{name}-{folder.replace('/', '-')}"
            if folders and slash and _PREFIX_NAME.fullmatch(derived):
                name, namespace = derived, f"{namespace}{folder}/"
            # first come, first served: should two folders give one name (a-b/c, a/b-c),
            # the second keeps the table's prefix and an escaped local name
            used.setdefault(name, namespace)
    return used


#: Where the JSON-LD context of every document is published (under the base IRI).
CONTEXT_PATH = "context.jsonld"
SKOS_PREF_LABEL = f"{SKOS}prefLabel"
#: Literals written as JSON natives: those JSON-LD reads back as the very same literal
#: (canonical lexical forms; integers no larger than a JavaScript number holds exactly).
_NATIVE = {f"{XSD}integer": re.compile(r"0|-?[1-9][0-9]{0,14}"),
           f"{XSD}boolean": re.compile(r"true|false")}


def context_url() -> str:
    return base_iri() + CONTEXT_PATH


def jsonld_context() -> dict[str, object]:
    """The JSON-LD context of our documents: the project's prefix table, and ``label``
    for skos:prefLabel as a language map (``"label": {"en": "Japan", "ja": "日本"}``)."""
    return {**prefixes(base_iri()),
            "label": {"@id": SKOS_PREF_LABEL, "@container": "@language"}}


def _compact_iri(iri: str) -> str:
    """``agid:state/japan`` under the context's prefixes, else the IRI (also when the
    suffix starts with ``//``, which JSON-LD would read as an absolute IRI)."""
    short = curie(iri)
    return iri if short.partition(":")[2].startswith("//") else short


def _jsonld_value(term: Term) -> object:
    if isinstance(term, ox.NamedNode):
        return {"@id": _compact_iri(term.value)}
    if isinstance(term, ox.BlankNode):
        return {"@id": f"_:{term.value}"}
    if term.language:
        return {"@value": term.value, "@language": term.language}
    datatype = term.datatype.value
    if datatype == XSD_STRING:
        return term.value
    native = _NATIVE.get(datatype)
    if native and native.fullmatch(term.value):
        return json.loads(term.value)
    return {"@value": term.value, "@type": _compact_iri(datatype)}


def _one_or_many(values: list) -> object:
    return values[0] if len(values) == 1 else values


def compact_jsonld(triples: Iterable[ox.Triple], iri: str) -> bytes:
    """The triples as JSON-LD compacted under :func:`jsonld_context`, which the document
    names by its URL: one node per subject (``iri`` first), compact IRIs, labels by
    language. pyoxigraph writes only expanded JSON-LD; rdflib's serialiser, given a
    context, turns every xsd:integer, boolean and double into a JSON native ("01" → 1,
    "1.5"^^xsd:double → 1.5, read back as "1.5E0"), so this small context is applied
    here, keeping each literal as written."""
    nodes: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    labels: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for triple in triples:
        subject = f"_:{triple.subject.value}" if isinstance(triple.subject, ox.BlankNode) \
            else _compact_iri(triple.subject.value)
        node, predicate, value = nodes[subject], triple.predicate.value, triple.object
        if predicate == RDF_TYPE and isinstance(value, ox.NamedNode):
            node["@type"].append(_compact_iri(value.value))
        elif predicate == SKOS_PREF_LABEL and isinstance(value, ox.Literal) and value.language:
            labels[subject][value.language].append(value.value)
        else:
            node[_compact_iri(predicate)].append(_jsonld_value(value))
    own = _compact_iri(iri)
    graph = []
    for subject in sorted(nodes.keys() | labels.keys(), key=lambda s: (s != own, s)):
        entry: dict[str, object] = {"@id": subject}
        entry.update((key, _one_or_many(values)) for key, values in sorted(nodes[subject].items()))
        if subject in labels:
            entry["label"] = {language: _one_or_many(values)
                              for language, values in sorted(labels[subject].items())}
        graph.append(entry)
    document = {"@context": context_url(), "@graph": graph}
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


def readable(body: bytes, fmt: Format, iri: str) -> bytes:
    """The store writes full IRIs and expanded JSON-LD; people read Turtle and RDF/XML
    better with prefixes, and JSON-LD compacted (``iri``: what the document is about)."""
    if fmt.oxigraph is ox.RdfFormat.JSON_LD:
        return compact_jsonld(ox.parse(body, fmt.oxigraph), iri)
    if fmt.oxigraph not in _WITH_PREFIXES:
        return body
    triples = list(ox.parse(body, fmt.oxigraph))
    folders = fmt.oxigraph is ox.RdfFormat.TURTLE
    return ox.serialize(triples, format=fmt.oxigraph,
                        prefixes=document_prefixes(triples, folders=folders))


def rdf_document(body: bytes, fmt: Format, path: str) -> Response:
    response = Response(readable(body, fmt, iri_for_path(path)), status=200,
                        content_type=fmt.content_type)
    add_alternates(response, path, current=fmt)
    return response


def html_document(html: str, path: str) -> Response:
    response = Response(html, status=200, content_type=HTML.content_type)
    add_alternates(response, path, current=HTML)
    return response


def not_found(iri: str, fmt: Format | None, *, message: str | None = None) -> Response:
    """404 in the format asked for: an HTML page, or an empty RDF document."""
    if fmt is None:
        try:
            fmt = negotiate_document(f"<{iri}>")
        except NotAcceptable:
            fmt = HTML
    message = message or f"No resource with the IRI <{iri}> is in this graph."
    if fmt is HTML:
        html = render_template("not_found.html", iri=iri, message=message)
        return Response(html, status=404, content_type=HTML.content_type)
    body = ox.serialize([], format=fmt.oxigraph) or b""
    if fmt.oxigraph in (ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES):
        body = f"# {message}\n".encode() + body
    response = Response(body, status=404, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


# --- reading the store ----------------------------------------------------------------

def select(store: Store, sparql: str) -> list[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]]:
    """Run a SELECT and return its solutions as dicts of bound variables."""
    outcome = store.query(sparql, media_type=RESULTS_JSON)
    solutions = ox.parse_query_results(outcome.body, ox.QueryResultsFormat.JSON)
    names = [variable.value for variable in solutions.variables]
    return [{name: solution[name] for name in names if solution[name] is not None}
            for solution in solutions]


def ask(store: Store, sparql: str) -> bool:
    outcome = store.query(sparql, media_type=RESULTS_JSON)
    return bool(ox.parse_query_results(outcome.body, ox.QueryResultsFormat.JSON))


def _closure(root: str, depth: int = BLANK_DEPTH) -> str:
    """Bind ``?s`` to the root and to every blank node reachable from it through blank
    nodes only, up to ``depth`` levels (one query, so blank node labels stay consistent)."""
    branches = [f"{{ VALUES ?s {{ {root} }} }}"]
    for level in range(1, depth + 1):
        steps, previous = [], root
        for i in range(1, level):
            steps.append(f"{previous} ?x{i} ?b{i} . FILTER(isBlank(?b{i}))")
            previous = f"?b{i}"
        steps.append(f"{previous} ?x{level} ?s . FILTER(isBlank(?s))")
        branches.append("{ " + " ".join(steps) + " }")
    return "\n  UNION ".join(branches)


def construct_query(iri: str) -> str:
    """The query whose result is the RDF document about ``iri``: its own triples, the
    blank nodes hanging off it (evidence) and the triples of other resources pointing
    at it."""
    root = sparql_iri(iri)
    # DISTINCT: a triple can be found more than once (a blank node reached by two
    # properties, ag:evidence and the inferred prov:qualifiedDerivation; a triple in two
    # graphs), and Oxigraph does not drop every repeat from a CONSTRUCT's result
    return (f"# The description of {root}: its triples, its blank nodes, and links to it\n"
            f"CONSTRUCT {{ ?s ?p ?o }}\nWHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{\n"
            f"  {{\n  {_closure(root)}\n  ?s ?p ?o }}\n"
            f"  UNION {{ VALUES ?o {{ {root} }} ?s ?p ?o . FILTER(isIRI(?s)) }}\n}} }}\n")


def statements_query(iri: str) -> str:
    root = sparql_iri(iri)
    return (f"SELECT ?s ?p ?o ?g WHERE {{\n  {_closure(root)}\n  ?s ?p ?o .\n"
            f"  OPTIONAL {{ GRAPH ?g {{ ?s ?p ?o }} }}\n}}")


def inverse_query(iri: str) -> str:
    """Who points at ``iri``: for a blank referrer (an evidence node), the IRI it hangs
    off and the quote it carries."""
    root = sparql_iri(iri)
    ag = prefixes(base_iri())["ag"]
    return (f"SELECT ?s ?p ?owner ?op (GROUP_CONCAT(DISTINCT STR(?g); separator=' ') AS ?graphs)"
            f" (SAMPLE(?q) AS ?quote) WHERE {{\n"
            f"  VALUES ?o {{ {root} }}\n  ?s ?p ?o .\n"
            f"  OPTIONAL {{ GRAPH ?g {{ ?s ?p ?o }} }}\n"
            f"  OPTIONAL {{ ?owner ?op ?s . FILTER(isBlank(?s) && isIRI(?owner)) }}\n"
            f"  OPTIONAL {{ ?s <{ag}quote> ?q . FILTER(isBlank(?s)) }}\n}}\n"
            f"GROUP BY ?s ?p ?owner ?op\nORDER BY ?p ?owner ?s\nLIMIT {INVERSE_LIMIT + 1}")


def labels_query(iris: Iterable[str]) -> str:
    values = " ".join(sparql_iri(iri) for iri in sorted(set(iris)))
    properties = ", ".join(f"<{p}>" for p in LABEL_PROPERTIES)
    # one VALUES and a FILTER: with a second VALUES for ?p, Oxigraph scans the whole store
    # (1.4 s at 10^6 quads, against 22 ms for the same rows this way)
    return (f"SELECT ?r ?p ?l WHERE {{ VALUES ?r {{ {values} }} ?r ?p ?l "
            f"FILTER(?p IN ({properties})) }}")


def exists_query(iri: str) -> str:
    root = sparql_iri(iri)
    return f"ASK {{ {{ {root} ?p ?o }} UNION {{ ?s ?p {root} }} }}"


def preferred_labels(rows: Iterable[dict]) -> dict[str, str]:
    """One label per IRI: the first property of LABEL_PROPERTIES, English before
    untagged before any other language."""
    def rank(row: dict) -> tuple[int, int, str]:
        language = row["l"].language if isinstance(row["l"], ox.Literal) else None
        language_rank = 0 if language and language.startswith("en") else 1 if not language else 2
        return LABEL_PROPERTIES.index(row["p"].value), language_rank, row["l"].value

    best: dict[str, tuple] = {}
    for row in rows:
        key = row["r"].value
        if key not in best or rank(row) < best[key]:
            best[key] = rank(row)
    return {key: value[2] for key, value in best.items()}


# --- the description of one resource ---------------------------------------------------

Term = ox.NamedNode | ox.BlankNode | ox.Literal


@dataclass
class Statement:
    predicate: ox.NamedNode
    object: Term
    graphs: list[str] = field(default_factory=list)


@dataclass
class Reference:
    """One resource pointing at the described one (``via`` when through a blank node)."""

    subject: ox.NamedNode
    predicate: ox.NamedNode
    via: ox.NamedNode | None
    graphs: list[str]
    quote: str | None


@dataclass
class Description:
    iri: str
    #: statements per subject: the IRI itself and each blank node (by its label)
    subjects: dict[str, list[Statement]]
    references: list[Reference]
    references_truncated: bool
    labels: dict[str, str]

    @property
    def statements(self) -> list[Statement]:
        return self.subjects.get(self.iri, [])

    def values(self, *predicates: str) -> list[Statement]:
        return [s for s in self.statements if s.predicate.value in predicates]


def _key(term: Term) -> str:
    return term.value


def describe(store: Store, iri: str) -> Description | None:
    """Everything the page about ``iri`` shows, in three queries; None when the store
    says nothing about it."""
    subjects: dict[str, dict[tuple, Statement]] = defaultdict(dict)
    for row in select(store, statements_query(iri)):
        subject = iri if row["s"] == ox.NamedNode(iri) else _key(row["s"])
        key = (row["p"].value, row["o"])
        statement = subjects[subject].setdefault(key, Statement(row["p"], row["o"]))
        if "g" in row and row["g"].value not in statement.graphs:
            statement.graphs.append(row["g"].value)
    references, truncated = _references(store, iri)
    if not subjects and not references:
        return None
    linked = {iri} | {r.subject.value for r in references} | {
        r.via.value for r in references if r.via is not None}
    for statements in subjects.values():
        for statement in statements.values():
            linked.add(statement.predicate.value)
            if isinstance(statement.object, ox.NamedNode):
                linked.add(statement.object.value)
    linked = {value for value in linked if can_be_iri(value)}
    labels = preferred_labels(select(store, labels_query(linked)))
    return Description(
        iri=iri,
        subjects={subject: list(statements.values()) for subject, statements in subjects.items()},
        references=references,
        references_truncated=truncated,
        labels=labels,
    )


def _references(store: Store, iri: str) -> tuple[list[Reference], bool]:
    references = []
    for row in select(store, inverse_query(iri)):
        subject = row.get("owner") if isinstance(row["s"], ox.BlankNode) else row["s"]
        if subject is None:  # a blank node nothing with an IRI holds: skip, it has no page
            continue
        via = row["p"] if isinstance(row["s"], ox.BlankNode) else None
        graphs = row["graphs"].value.split() if "graphs" in row else []
        quote = row["quote"].value if "quote" in row else None
        references.append(Reference(subject, row.get("op") if via else row["p"], via, graphs,
                                    quote))
    truncated = len(references) > INVERSE_LIMIT
    return references[:INVERSE_LIMIT], truncated


# --- the page -------------------------------------------------------------------------

@dataclass
class Evidence:
    """One ag:evidence node, its well-known parts picked out."""

    node: Term
    papers: list[Term]
    sections: list[Term]
    quotes: list[Term]
    footnotes: list[Term]
    unsupported: bool
    other: list[Statement]


def evidence_of(description: Description, node: Term, ag: str) -> Evidence:
    statements = description.subjects.get(_key(node), []) if isinstance(
        node, ox.BlankNode) else []

    def pick(name: str) -> list[Term]:
        return [s.object for s in statements if s.predicate.value == name]

    known = {PROV_ENTITY, f"{ag}inSection", f"{ag}quote", f"{ag}supportingFootnote",
             f"{ag}unsupported", RDF_TYPE}
    return Evidence(
        node=node,
        papers=pick(PROV_ENTITY),
        sections=pick(f"{ag}inSection"),
        quotes=pick(f"{ag}quote"),
        footnotes=pick(f"{ag}supportingFootnote"),
        unsupported=any(o.value in ("true", "1") for o in pick(f"{ag}unsupported")),
        other=[s for s in statements if s.predicate.value not in known],
    )


def page_context(description: Description) -> dict:
    """What entity.html needs, grouped for display."""
    ag = prefixes(base_iri())["ag"]
    evidence_property = f"{ag}evidence"
    label_set = set(LABEL_PROPERTIES)
    shown_elsewhere = label_set | {RDF_TYPE, evidence_property}
    labels_by_language: dict[str, list[Statement]] = defaultdict(list)
    for statement in description.values(*LABEL_PROPERTIES):
        language = getattr(statement.object, "language", None) or ""
        labels_by_language[language].append(statement)
    # evidence nodes are shown under Provenance, also when reached through an inferred
    # super-property (prov:qualifiedDerivation)
    evidence_nodes = {s.object for s in description.values(evidence_property)}
    properties: dict[str, list[Statement]] = defaultdict(list)
    for statement in description.statements:
        if (statement.predicate.value not in shown_elsewhere
                and statement.object not in evidence_nodes):
            properties[statement.predicate.value].append(statement)
    external = [s for s in description.values(*MATCH_PROPERTIES)
                if isinstance(s.object, ox.NamedNode) and local_href(s.object.value) is None
                and is_web_iri(s.object.value)]
    references: dict[str, list[Reference]] = defaultdict(list)
    for reference in description.references:
        references[reference.predicate.value].append(reference)
    query = construct_query(description.iri)
    path = local_href(description.iri) or ""
    return {
        "d": description,
        "title": description.labels.get(description.iri) or curie(description.iri),
        "types": description.values(RDF_TYPE),
        "labels_by_language": dict(sorted(labels_by_language.items())),
        "properties": dict(sorted(properties.items(), key=lambda item: curie(item[0]))),
        "evidence": [evidence_of(description, s.object, ag)
                     for s in description.values(evidence_property)],
        "external": external,
        "references": dict(sorted(references.items(), key=lambda item: curie(item[0]))),
        "documents": {fmt.name: f"{path}.{fmt.name}" for fmt in OFFERS},
        "construct_query": query,
        "sparql_url": f"{request.script_root}/sparql?query={quote(query)}",
        "ui_url": f"{request.script_root}/sparql#query={quote(query)}",
        "ag": ag,
    }


def resolve(path: str, render: Callable[[str, str, Format], Response],
            exists: Callable[[str], bool]) -> Response:
    """The common shape of a resolvable IRI: 303 from the IRI, 200 from a document,
    404 when the store knows nothing of it."""
    stem, fmt = split_suffix(path)
    iri = iri_for_path(stem)
    if not can_be_iri(iri):
        return not_found(iri, fmt, message=f"{iri!r} is not an IRI: it holds characters an "
                         "IRI cannot, so nothing here has it.")
    if fmt is None:
        # an IRI that itself ends in ".ttl" etc. would not be reachable; the scheme mints none
        if not exists(iri):
            return not_found(iri, None)
        return see_other(stem, iri)
    return render(stem, iri, fmt)


def _render_entity(path: str, iri: str, fmt: Format) -> Response:
    store = get_store()
    if fmt is HTML:
        description = describe(store, iri)
        if description is None:
            return not_found(iri, fmt)
        html = render_template("entity.html", **page_context(description))
        return html_document(html, path)
    outcome = store.query(construct_query(iri), media_type=fmt.media_type)
    if outcome.count == 0:
        return not_found(iri, fmt)
    return rdf_document(outcome.body, fmt, path)


def _entity_exists(iri: str) -> bool:
    return ask(get_store(), exists_query(iri))


@bp.get("/id/<path:rest>")
def entity(rest: str) -> Response:
    """An entity IRI (``{base}id/…``) or a document about it (``….ttl`` …)."""
    return resolve(f"id/{rest}", _render_entity, _entity_exists)


@bp.get("/scheme/<path:rest>")
def concept(rest: str) -> Response:
    """A SKOS concept or scheme of the ontology (``{base}scheme/…``)."""
    return resolve(f"scheme/{rest}", _render_entity, _entity_exists)


def _graph_exists(iri: str) -> bool:
    sparql_iri(iri)
    return get_store().graph_exists(iri)


def _render_graph(path: str, iri: str, fmt: Format) -> Response:
    store = get_store()
    if not _graph_exists(iri):
        return not_found(iri, fmt, message=f"No named graph <{iri}> is in this store.")
    if fmt is HTML:
        html = render_template("graph.html", iri=iri, name=path.rpartition("/")[2],
                               triples=store.count(iri),
                               documents={f.name: f"{request.script_root}/{path}.{f.name}"
                                          for f in OFFERS if f is not HTML})
        return html_document(html, path)
    return rdf_document(store.get_graph(iri, media_type=fmt.media_type), fmt, path)


@bp.get("/graph/<path:rest>")
def named_graph(rest: str) -> Response:
    """A named graph of the store (``{base}graph/paper-a``): its triples as a document."""
    return resolve(f"graph/{rest}", _render_graph, _graph_exists)


# --- template helpers -----------------------------------------------------------------

@bp.app_template_filter("href")
def _href_filter(iri: str) -> str:
    return href(iri)


@bp.app_template_filter("curie")
def _curie_filter(iri: str) -> str:
    return curie(iri)


@bp.app_template_test("local")
def _is_local(iri: str) -> bool:
    return local_href(iri) is not None


@bp.app_template_test("web_iri")
def _is_web_iri(iri: str) -> bool:
    return is_web_iri(iri)


@bp.app_template_global("graph_name")
def graph_name(iri: str) -> str:
    """``paper-a`` for ``{base}graph/paper-a``."""
    prefix = f"{base_iri()}graph/"
    return iri[len(prefix):] if iri.startswith(prefix) else iri


@bp.app_template_test("named_node")
def _is_named_node(term: object) -> bool:
    return isinstance(term, ox.NamedNode)


@bp.app_template_test("literal_term")
def _is_literal(term: object) -> bool:
    return isinstance(term, ox.Literal)
