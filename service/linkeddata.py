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

The views only read the request, call the library (:mod:`alliancegraph.graph.entity`: the
description of a resource, its document, whether it exists) and render. Every answer is
computed once per store generation (:mod:`.cache`) and carries an ETag; a client sending
it back gets 304 without anything being computed.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import pyoxigraph as ox
from alliancegraph.config import Settings
from alliancegraph.errors import NotAcceptable
from alliancegraph.graph import citations, entity, grouping, paper
from alliancegraph.graph.cite import bibtex, record_lines, work_type
from alliancegraph.graph.entity import (
    LABEL_PROPERTIES,
    MATCH_PROPERTIES,
    Description,
    ExternalFact,
    Reference,
    Statement,
    can_be_iri,
    preferred_labels,  # noqa: F401  (pages.py takes it from here)
)
from alliancegraph.graph.search import snippet
from alliancegraph.graph.vocabulary import (
    EXTERNAL,
    graph_iri,
    link_dataset,
    ontology_namespace,
    prefixes,
)
from alliancegraph.service import cache, negotiation
from alliancegraph.service.resources import get_store
from alliancegraph.store.formats import HTML, JSON_LD, N_TRIPLES, RDF_XML, TURTLE, Format
from flask import Blueprint, Response, current_app, render_template, request

bp = Blueprint("linkeddata", __name__)

#: The documents about a resource, by file suffix, in the server's order of preference
#: (a client that accepts anything, or sends no Accept, gets HTML).
DOCUMENT_FORMATS: dict[str, Format] = {f.name: f for f in (HTML, TURTLE, JSON_LD, N_TRIPLES,
                                                          RDF_XML)}
OFFERS: tuple[Format, ...] = tuple(DOCUMENT_FORMATS.values())
RDF_OFFERS: tuple[Format, ...] = tuple(f for f in OFFERS if f is not HTML)

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE = f"{RDF}type"
SKOS = "http://www.w3.org/2004/02/skos/core#"
CITO = "http://purl.org/spar/cito/"
XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = f"{XSD}string"

Term = ox.NamedNode | ox.BlankNode | ox.Literal


# --- IRIs and paths -------------------------------------------------------------------

def settings() -> Settings:
    return current_app.config["SETTINGS"]


def base_iri() -> str:
    return settings().base_iri


def iri_for_path(path: str) -> str:
    """The IRI a request path names: ``id/state/japan`` → ``{base}id/state/japan``."""
    return entity.iri_for_path(path, base_iri=base_iri())


def local_href(iri: str) -> str | None:
    """The path on this service where ``iri`` resolves, or None for an external IRI."""
    path = entity.path_for_iri(iri, base_iri=base_iri())
    return None if path is None else f"{request.script_root}/{path}"


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
    """The document format a client asks for (the format parameters, then Accept, by the
    one negotiator); 406 when none can be written."""
    return negotiation.negotiate(request.headers.get("Accept"), OFFERS, params=request.args,
                                 what=what)


def add_alternates(response: Response, path: str, *, current: Format | None = None) -> None:
    """``Link: <path.ttl>; rel="alternate"; type="text/turtle"`` for every other format."""
    links = negotiation.link_header({"href": document_path(path, fmt),
                                     "media_type": fmt.media_type}
                                    for fmt in OFFERS if fmt is not current)
    existing = response.headers.get("Link")
    response.headers["Link"] = f"{existing}, {links}" if existing else links


def see_other(path: str, iri: str, fmt: Format | None = None) -> Response:
    """303 from the IRI of a thing to the document about it in the negotiated format."""
    fmt = fmt or negotiate_document(f"<{iri}>")
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


def serialise(triples: list[ox.Triple], fmt: Format, iri: str) -> bytes:
    """The triples as people read them (``iri``: what the document is about): Turtle and
    RDF/XML with the prefixes they use, JSON-LD compacted, the rest as the engine writes."""
    if fmt.oxigraph is ox.RdfFormat.JSON_LD:
        return compact_jsonld(triples, iri)
    if fmt.oxigraph not in _WITH_PREFIXES:
        return ox.serialize(triples, format=fmt.oxigraph) or b""
    folders = fmt.oxigraph is ox.RdfFormat.TURTLE
    return ox.serialize(triples, format=fmt.oxigraph,
                        prefixes=document_prefixes(triples, folders=folders)) or b""


def readable(body: bytes, fmt: Format, iri: str) -> bytes:
    """A document the store wrote (full IRIs, expanded JSON-LD) as people read it."""
    if fmt.oxigraph not in (*_WITH_PREFIXES, ox.RdfFormat.JSON_LD):
        return body
    return serialise([q.triple for q in ox.parse(body, fmt.oxigraph)], fmt, iri)


def not_found(iri: str, fmt: Format | None, *, message: str | None = None) -> Response:
    """404 in the format asked for: an HTML page, or an empty RDF document."""
    if fmt is None:
        try:
            fmt = negotiate_document(f"<{iri}>")
        except NotAcceptable:
            fmt = HTML
    message = message or f"No resource with the IRI <{iri}> is in this graph."
    if fmt is HTML:
        from alliancegraph.service.search import suggestions  # it imports this module

        last = iri.rstrip("/").rpartition("/")[2].rpartition("#")[2]  # the IRI's last name
        words = " ".join(last.replace("-", " ").replace("_", " ").split())
        html = render_template("not_found.html", iri=iri, message=message, q=words,
                               suggestions=[(h, snippet(h.text, ""))
                                            for h in suggestions(words)])
        return Response(html, status=404, content_type=HTML.content_type)
    body = ox.serialize([], format=fmt.oxigraph) or b""
    if fmt.oxigraph in (ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES):
        body = f"# {message}\n".encode() + body
    response = Response(body, status=404, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


# --- the page -------------------------------------------------------------------------

def page_context(description: Description) -> dict:
    """What entity.html needs, grouped for display."""
    ag = ontology_namespace(description.base_iri)
    evidence_property = f"{ag}evidence"
    shown_elsewhere = set(LABEL_PROPERTIES) | {RDF_TYPE, evidence_property}
    labels_by_language: dict[str, list[Statement]] = defaultdict(list)
    for statement in description.values(*LABEL_PROPERTIES):
        language = getattr(statement.object, "language", None) or ""
        labels_by_language[language].append(statement)
    # evidence nodes are shown under Provenance, also when reached through an inferred
    # super-property (prov:qualifiedDerivation)
    evidence_nodes = {s.object for s in description.values(evidence_property)}
    external = [s for s in description.values(*MATCH_PROPERTIES)
                if isinstance(s.object, ox.NamedNode) and local_href(s.object.value) is None
                and is_web_iri(s.object.value)]
    links_out = {(s.predicate, s.object) for s in external}  # under Elsewhere, once
    properties: dict[str, list[Statement]] = defaultdict(list)
    for statement in description.statements:
        if (statement.predicate.value not in shown_elsewhere
                and statement.object not in evidence_nodes
                and (statement.predicate, statement.object) not in links_out):
            properties[statement.predicate.value].append(statement)
    labels = {**_fallback_labels(description), **description.labels}
    language = reader_language()
    contents = _paper_contents(description)
    if contents is not None:  # its sections, claims and footnotes are listed in order
        properties.pop(f"{ag}hasSection", None)
    references: dict[str, list[Reference]] = defaultdict(list)
    listed = ({f"{ag}ofPaper", f"{ag}claimedBy", f"{CITO}hasCitingEntity"}
              if contents is not None else set())  # the contents and citations list them
    for reference in description.references:
        if reference.predicate.value not in listed:
            references[reference.predicate.value].append(reference)
    for refs in references.values():  # sections in reading order, footnote 2 before 10
        refs.sort(key=lambda r: grouping.value_key(r.subject, labels=labels,
                                                   order=description.order))
    query = entity.document_query(description.iri,
                                  blank_node_depth=settings().blank_node_depth)
    path = entity.path_for_iri(description.iri, base_iri=description.base_iri) or ""
    title = _title(labels_by_language, language) or _title(labels_by_language, "en")
    return {
        "d": description,
        "labels": labels,
        "title": title.value if title else (labels.get(description.iri)
                                            or curie(description.iri)),
        "title_language": title.language if title else None,
        "other_labels": _other_labels(labels_by_language, title),
        "summary": _summary(description, language),
        "types": description.values(RDF_TYPE),
        "paper": contents,
        "citations": contents and citations.citation_view(get_store(), description.iri,
                                                          base_iri=description.base_iri),
        "labels_by_language": dict(sorted(labels_by_language.items())),
        "groups": grouping.arrange(properties, labels=labels, order=description.order,
                                   ontology_namespace=ag, is_entity=_is_entity),
        "evidence": description.evidence(),
        "external": external,
        "cite": _cite(description),
        "external_facts": external_facts(description),
        "external_graph": graph_iri(EXTERNAL, description.base_iri),
        "references": {p: _shown(refs, p, description.iri)
                       for p, refs in sorted(references.items(), key=lambda i: curie(i[0]))},
        "alternates": negotiation.alternates(RDF_OFFERS, lambda f: document_path(path, f)),
        "construct_query": query,
        "sparql_url": f"{request.script_root}/sparql?query={quote(query)}",
        "ui_url": f"{request.script_root}/sparql#query={quote(query)}",
        "ag": ag,
    }


AG = "{ag}"  # the ontology's namespace in a table, replaced by the configured one

#: The languages the graph labels things in; a page's title is in the reader's
#: (``Accept-Language``) when the thing has a label in it, else in English.
SITE_LANGUAGES = ("en", "ja", "ko")
#: What a page's one-line summary is taken from, best first.
SUMMARY_PROPERTIES = (f"{SKOS}definition", "http://purl.org/dc/terms/description",
                      "https://schema.org/description", f"{AG}paraphrase",
                      "http://www.w3.org/2000/01/rdf-schema#comment")
#: A summary longer than this is cut at a word, with an ellipsis.
SUMMARY_CHARS = 240


def reader_language() -> str:
    """The reader's language among :data:`SITE_LANGUAGES` (English when none)."""
    return request.accept_languages.best_match(SITE_LANGUAGES) or "en"


@dataclass(frozen=True)
class Label:
    value: str
    language: str | None


def _title(by_language: dict[str, list[Statement]], language: str) -> Label | None:
    """The page's title: the thing's first label (in :data:`LABEL_PROPERTIES` order) in the
    reader's language; None when it has none in it (English is the description's)."""
    statements = by_language.get(language) or []
    for prop in LABEL_PROPERTIES:
        for s in statements:
            if s.predicate.value == prop:
                return Label(s.object.value, language)
    return None


def _other_labels(by_language: dict[str, list[Statement]], title: Label | None
                  ) -> list[Label]:
    """One preferred label per other language, shown under the title."""
    shown = title.language if title else "en"
    others = []
    for language, statements in sorted(by_language.items()):
        if language and language != shown:
            best = min(statements, key=lambda s: LABEL_PROPERTIES.index(s.predicate.value))
            others.append(Label(best.object.value, language))
    return others


def _summary(description: Description, language: str) -> str | None:
    """One line about the thing: its definition, description, paraphrase or comment, in the
    reader's language, else English, else any; cut at :data:`SUMMARY_CHARS`."""
    ag = ontology_namespace(description.base_iri)
    for prop in (p.replace(AG, ag) for p in SUMMARY_PROPERTIES):
        found = [s.object for s in description.values(prop) if isinstance(s.object, ox.Literal)]
        if not found:
            continue
        best = min(found, key=lambda o: (o.language != language,
                                         not (o.language or "en").startswith("en"), o.value))
        text = " ".join(best.value.split())
        if len(text) <= SUMMARY_CHARS:
            return text
        return text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " …"
    return None


def _fallback_labels(description: Description) -> dict[str, str]:
    """Names for the page's properties of other vocabularies, which the store has no label
    for (the ontology labels only its own terms)."""
    names = {s.predicate.value for s in description.statements}
    names |= {r.predicate.value for r in description.references}
    return {p: label for p in names if (label := grouping.fallback_label(p))}


def _paper_contents(description: Description) -> paper.Contents | None:
    """A paper's sections with their claims, and its footnotes (None: no paper)."""
    ag = ontology_namespace(description.base_iri)
    if not description.values(f"{ag}hasSection"):
        return None
    return paper.contents(get_store(), description.iri, ontology_namespace=ag)


def _is_entity(iri: str) -> bool:
    return local_href(iri) is not None


#: the references of one property a page lists; the rest are one query away
REFERENCES_SHOWN = 25


@dataclass(frozen=True)
class ShownReferences:
    """The first references of one property, how many more resources refer by it, and
    the query that lists them all."""

    shown: list[Reference]
    more: int
    query_url: str


def _shown(refs: list[Reference], predicate: str, iri: str) -> ShownReferences:
    """A long list cut short (paper A's page was 628 KB with every footnote's link): the
    first :data:`REFERENCES_SHOWN`, and the query UI listing them all."""
    query = (f"SELECT ?referrer WHERE {{ {{ ?referrer <{predicate}> <{iri}> }} UNION "
             f"{{ ?referrer <{predicate}> ?node . ?node ?via <{iri}> . FILTER(isBlank(?node)) "
             "} } ORDER BY ?referrer")
    shown = refs[:REFERENCES_SHOWN]
    more = {r.subject for r in refs} - {r.subject for r in shown}  # resources, not paths
    return ShownReferences(shown, len(more), f"{request.script_root}/sparql#query={quote(query)}")


def _cite(description: Description) -> dict | None:
    """A work's "cite this" block: its BibTeX, and where to download it (None: no work)."""
    from alliancegraph.service.cite import record  # it imports this module

    types = [s.object.value for s in description.values(RDF_TYPE)
             if isinstance(s.object, ox.NamedNode)]
    if work_type(types) is None:
        return None
    found = record(description.iri)
    if found is None:
        return None
    link = f"{request.script_root}/cite?iri={quote(description.iri, safe='')}&format="
    return {"bibtex": bibtex(found), "bibtex_url": link + "bibtex",
            "csl_url": link + "csl-json", "record": record_lines(found)}


@dataclass(frozen=True)
class ShownFact:
    """One external fact as the page shows it."""

    fact: ExternalFact
    #: what the source calls the property (its label), or None when it gave none
    property_label: str | None
    #: the value as text (a date without its midnight, a year for birth and death)
    text: str
    #: the date it holds for, and the date it was retrieved (``YYYY-MM-DD``), or ""
    point_in_time: str
    retrieved: str


#: what the label properties of an external item are called on a page
NAME_PROPERTIES = {"http://www.w3.org/2000/01/rdf-schema#label": "label",
                   f"{SKOS}altLabel": "alias"}
#: Wikidata properties whose dates are shown as years (birth and death)
YEAR_PROPERTIES = frozenset(f"http://www.wikidata.org/prop/direct/{p}" for p in ("P569", "P570"))
XSD_DATE_TIME = f"{XSD}dateTime"


def _fact_text(fact: ExternalFact) -> str:
    value = fact.value
    if not isinstance(value, ox.Literal) or value.datatype.value != XSD_DATE_TIME:
        return value.value
    date = value.value.split("T", 1)[0]
    if fact.predicate.value in YEAR_PROPERTIES:
        return date.rsplit("-", 2)[0]  # the year, also a negative one
    return date


def _day(term: ox.Literal | None) -> str:
    return term.value[:10] if term is not None else ""


def external_facts(description: Description) -> dict[str, list[ShownFact]]:
    """The external facts of the page, by source item (in the description's order)."""
    labels = description.labels
    shown: dict[str, list[ShownFact]] = defaultdict(list)
    for fact in description.external_facts:
        source = fact.source_property.value if fact.source_property is not None else None
        label = (labels.get(source) if source else None) or NAME_PROPERTIES.get(
            fact.predicate.value)
        shown[fact.item.value].append(ShownFact(
            fact=fact, property_label=label, text=_fact_text(fact),
            point_in_time=_day(fact.point_in_time), retrieved=_day(fact.retrieved)))
    return dict(shown)


# --- the views ------------------------------------------------------------------------

#: render(path, iri, fmt) -> the document, or None when the store knows nothing of ``iri``
Render = Callable[[str, str, Format], bytes | str | None]


def resolve(path: str, render: Render, exists: Callable[[str], bool], *,
            missing: str | None = None) -> Response:
    """The common shape of a resolvable IRI: 303 from the IRI, 200 from a document,
    404 when the store knows nothing of it (``missing``: the message, ``{iri}`` in it
    replaced). Each answer (the rendered page or document, whether the IRI exists) is
    computed once per store generation and carries the ETag of its path and format; a
    client sending that ETag back gets 304 before anything is computed."""
    stem, fmt = split_suffix(path)
    iri = iri_for_path(stem)
    if not can_be_iri(iri):
        return not_found(iri, fmt, message=f"{iri!r} is not an IRI: it holds characters an "
                         "IRI cannot, so nothing here has it.")
    # an IRI that itself ends in ".ttl" etc. would not be reachable; the scheme mints none
    chosen = fmt or negotiate_document(f"<{iri}>")
    key = f"{'doc' if fmt else '303'}\0{request.script_root}\0{stem}\0{chosen.name}"
    if fmt is HTML:  # the title is in the reader's language
        key += f"\0{reader_language()}"
    if (unchanged := cache.not_modified(key)) is not None:
        return unchanged
    if fmt is None:
        if not cache.cached(f"exists\0{iri}", lambda: exists(iri)):
            return not_found(iri, chosen, message=missing and missing.format(iri=iri))
        return cache.finish(see_other(stem, iri, chosen), key)
    body = cache.cached(key, lambda: render(stem, iri, fmt))
    if body is None:
        return not_found(iri, fmt, message=missing and missing.format(iri=iri))
    response = Response(body, status=200, content_type=fmt.content_type)
    add_alternates(response, stem, current=fmt)
    if fmt is HTML:
        response.vary.add("Accept-Language")
    return cache.finish(response, key)


def _render_entity(path: str, iri: str, fmt: Format) -> bytes | str | None:
    store, config = get_store(), settings()
    if fmt is HTML:
        description = entity.describe(store, iri, base_iri=config.base_iri,
                                      blank_node_depth=config.blank_node_depth,
                                      referenced_by_limit=config.referenced_by_limit)
        if description is None:
            return None
        return render_template("entity.html", **page_context(description))
    triples = entity.document(store, iri, blank_node_depth=config.blank_node_depth)
    return serialise(triples, fmt, iri) if triples else None


def _entity_exists(iri: str) -> bool:
    return entity.exists(get_store(), iri)


@bp.get("/id/<path:rest>")
def entity_view(rest: str) -> Response:
    """An entity IRI (``{base}id/…``) or a document about it (``….ttl`` …)."""
    return resolve(f"id/{rest}", _render_entity, _entity_exists)


@bp.get("/scheme/<path:rest>")
def concept(rest: str) -> Response:
    """A SKOS concept or scheme of the ontology (``{base}scheme/…``)."""
    return resolve(f"scheme/{rest}", _render_entity, _entity_exists)


def _graph_exists(iri: str) -> bool:
    return get_store().graph_exists(iri)


def _render_graph(path: str, iri: str, fmt: Format) -> bytes | str | None:
    store = get_store()
    if not store.graph_exists(iri):
        return None
    if fmt is HTML:
        html = render_template("graph.html", iri=iri, name=path.rpartition("/")[2],
                               triples=store.count(iri),
                               alternates=negotiation.alternates(
                                   RDF_OFFERS, lambda f: document_path(path, f)))
        return html
    return readable(store.get_graph(iri, media_type=fmt.media_type), fmt, iri)


@bp.get("/graph/<path:rest>")
def named_graph(rest: str) -> Response:
    """A named graph of the store (``{base}graph/paper-a``): its triples as a document."""
    return resolve(f"graph/{rest}", _render_graph, _graph_exists,
                   missing="No named graph <{iri}> is in this store.")


# --- template helpers -----------------------------------------------------------------

@bp.app_template_global("dataset_title")
def dataset_title(iri: str) -> str:
    """What a link out is called: its dataset's title (Wikidata, DBpedia …), else its host."""
    dataset = link_dataset(iri)
    return dataset.title if dataset else (urlsplit(iri).hostname or iri)


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
    """``paper-a`` for ``{base}graph/paper-a``; a graph elsewhere by its IRI."""
    prefix = graph_iri("", base_iri())
    return iri[len(prefix):] if iri.startswith(prefix) else iri


@bp.app_template_test("named_node")
def _is_named_node(term: object) -> bool:
    return isinstance(term, ox.NamedNode)


@bp.app_template_test("literal_term")
def _is_literal(term: object) -> bool:
    return isinstance(term, ox.Literal)
