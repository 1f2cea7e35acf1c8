"""Descriptions of the service and its data: the SPARQL 1.1 Service Description (served
by ``/sparql`` when it is asked for RDF without a query), the VoID description at
``/.well-known/void`` and the SSSOM mapping set of every link out at
``/mappings.sssom.tsv``. They state only what the service really does and holds: counts
come from the store (typed SELECT results, nothing re-parsed), federation is claimed only
when the setting ``federation_endpoints`` allows some endpoint. A browser (a client
preferring HTML to every RDF syntax) gets the VoID as a page, read back from the same
triples. All are computed once per store generation (:mod:`.cache`) and answer 304 to a
client holding their ETag.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable

import pyoxigraph as ox
from alliancegraph.graph.vocabulary import LINK_DATASETS, LinkDataset, graph_iri
from alliancegraph.links import sssom
from alliancegraph.links.model import LINK_PREDICATES
from alliancegraph.service import cache, negotiation
from alliancegraph.service.resources import get_store
from alliancegraph.store import formats
from alliancegraph.store.federation import Federation
from alliancegraph.store.formats import Format
from flask import Blueprint, Response, current_app, render_template, request

bp = Blueprint("describe", __name__)

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DCTERMS = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
PREFIXES = {"sd": SD, "void": VOID, "dcterms": DCTERMS, "foaf": FOAF, "rdfs": RDFS,
            "owl": "http://www.w3.org/2002/07/owl#",
            "skos": "http://www.w3.org/2004/02/skos/core#"}

#: Dump files (served by the dumps blueprint) — the same names in VoID and on disk.
DUMPS = ("alliancegraph.ttl", "alliancegraph.trig", "alliancegraph.nq", "alliancegraph.nq.gz")

#: What the SSSOM table is, for the VoID (it is no RDF dump, so no void:dataDump).
SSSOM_SPEC = "https://w3id.org/sssom/"
TSV_MEDIA_TYPE = "http://www.iana.org/assignments/media-types/text/tab-separated-values"


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def sd(term: str) -> ox.NamedNode:
    return ox.NamedNode(SD + term)


def v(term: str) -> ox.NamedNode:
    return ox.NamedNode(VOID + term)


def dc(term: str) -> ox.NamedNode:
    return ox.NamedNode(DCTERMS + term)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_n("http://www.w3.org/2001/XMLSchema#integer"))


def _serialize(triples: Iterable[ox.Triple], fmt: Format) -> bytes:
    return ox.serialize(list(triples), format=fmt.oxigraph, prefixes=PREFIXES)


def _select(sparql: str) -> list[dict[str, str]]:
    """Rows of a SELECT as ``{variable: value}`` (the terms' lexical values)."""
    return [{name: term.value for name, term in row.items()}
            for row in get_store().select(sparql)]


def _writable() -> bool:
    return bool(current_app.config.get("WRITE_TOKEN")) and not current_app.config.get("READ_ONLY")


# --- SPARQL 1.1 Service Description ------------------------------------------------------

def service_description(endpoint_url: str, fmt: Format) -> bytes:
    """The service description of the endpoint at ``endpoint_url``: the service's public
    URL (:func:`.security.public_url`), never one built from the request's ``Host``."""
    service, dataset, default_graph = ox.BlankNode(), ox.BlankNode(), ox.BlankNode()
    triples = [
        ox.Triple(service, RDF_TYPE, sd("Service")),
        ox.Triple(service, sd("endpoint"), _n(endpoint_url)),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        # the default graph is the union of the named graphs (Oxigraph's union default graph)
        ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, sd("Graph")),
        ox.Triple(default_graph, v("triples"), _int(_default_graph_triples())),
    ]
    triples += _federation(service)
    if _writable():
        triples.append(ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Update")))
        triples += [ox.Triple(service, sd("inputFormat"), _n(f.iri))
                    for f in formats.READABLE_RDF]
    written = {f for offers in formats.OFFERS.values() for f in offers}
    triples += [ox.Triple(service, sd("resultFormat"), _n(f.iri))
                for f in sorted(written, key=lambda f: f.name)]
    for name, count in _graph_counts().items():
        named, graph = ox.BlankNode(), ox.BlankNode()
        triples += [
            ox.Triple(dataset, sd("namedGraph"), named),
            ox.Triple(named, RDF_TYPE, sd("NamedGraph")),
            ox.Triple(named, sd("name"), _n(name)),
            ox.Triple(named, sd("graph"), graph),
            ox.Triple(graph, RDF_TYPE, sd("Graph")),
            ox.Triple(graph, v("triples"), _int(count)),
        ]
    return _serialize(triples, fmt)


def federation_endpoints() -> list[str]:
    """The endpoints a query may call with ``SERVICE`` (setting ``federation_endpoints``),
    read as the store's federation layer reads them, in the order given."""
    return list(Federation.from_settings(current_app.config["SETTINGS"]).endpoints)


def _federation(service: ox.BlankNode) -> list[ox.Triple]:
    """``sd:BasicFederatedQuery`` and each allowed endpoint (a ``void:Dataset`` with its
    ``void:sparqlEndpoint``, seen also from the service), or nothing when no endpoint is
    allowed: then every SERVICE is refused, and the description must not claim it."""
    endpoints = federation_endpoints()
    if not endpoints:
        return []
    triples = [ox.Triple(service, sd("feature"), sd("BasicFederatedQuery"))]
    for endpoint in endpoints:
        remote = ox.BlankNode()
        triples += [ox.Triple(service, _n(RDFS + "seeAlso"), remote),
                    ox.Triple(remote, RDF_TYPE, v("Dataset")),
                    ox.Triple(remote, v("sparqlEndpoint"), _n(endpoint)),
                    ox.Triple(remote, dc("description"), ox.Literal(
                        "a SPARQL endpoint queries of this service may call with SERVICE",
                        language="en"))]
    return triples


def _graph_counts() -> dict[str, int]:
    """Triples per named graph (0 for an empty one), in two store calls rather than one
    per graph."""
    counted = {row["g"]: int(row["n"]) for row in _select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
    return {name: counted.get(name, 0) for name in sorted(get_store().graph_names())}


def _default_graph_triples() -> int:
    """Triples of the union default graph, as a set: Oxigraph's union yields a triple once
    per graph that holds it, so count distinct triples."""
    return int(_select("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o "
                       "WHERE { ?s ?p ?o } }")[0]["n"])


# --- VoID -------------------------------------------------------------------------------

@bp.get("/.well-known/void")
def void_description() -> Response:
    offers = formats.OFFERS["graph"]
    base = current_app.config["BASE_IRI"]
    if negotiation.wants_page(request.args, request.headers.get("Accept"), offers):
        key = f"void\0page\0{request.script_root}"
        if (unchanged := cache.not_modified(key)) is not None:
            return unchanged
        links = negotiation.alternates(offers, lambda f: f"{request.script_root}/.well-known/void"
                                             f"?format={f.name}")
        html = cache.cached(key, lambda: render_template(
            "void.html", alternates=links, **void_page(list(_void(base)), base)))
        response = Response(html, content_type="text/html; charset=utf-8")
        response.headers["Link"] = negotiation.link_header(links)
    else:
        fmt = negotiation.negotiate(request.headers.get("Accept"), offers, params=request.args,
                                    what="the VoID description")
        key = f"void\0{fmt.content_type}"
        if (unchanged := cache.not_modified(key)) is not None:
            return unchanged
        body = cache.cached(key, lambda: _serialize(_void(base), fmt))
        response = Response(body, content_type=fmt.content_type)
    return cache.finish(response, key)


def _void(base: str) -> tuple[ox.Triple, ...]:
    """The VoID triples of this generation: 7 store calls, made once per generation
    whichever syntaxes are asked for."""
    return cache.cached(f"void-triples\0{base}", lambda: tuple(void_triples(base)))


def void_page(triples: list[ox.Triple], base: str) -> dict:
    """What void.html shows, read back from the VoID triples themselves, so the page says
    exactly what the RDF says (and costs no query of its own)."""
    about: dict[ox.NamedNode | ox.BlankNode, dict[str, list]] = defaultdict(
        lambda: defaultdict(list))
    for triple in triples:
        about[triple.subject][triple.predicate.value].append(triple.object)

    def value(node, term: str) -> str | None:
        objects = about[node].get(term, [])
        return objects[0].value if objects else None

    def count(node, term: str) -> int:
        return int(value(node, VOID + term) or 0)

    ds = _n(base + ".well-known/void#alliancegraph")
    subsets = about[ds][VOID + "subset"]
    linksets = [s for s in subsets if v("Linkset") in about[s][RDF_TYPE.value]]
    return {
        "title": value(ds, DCTERMS + "title"),
        "description": value(ds, DCTERMS + "description"),
        "license": value(ds, DCTERMS + "license"),
        "sparql_endpoint": value(ds, VOID + "sparqlEndpoint"),
        "uri_space": value(ds, VOID + "uriSpace"),
        "counts": {what: count(ds, what)
                   for what in ("triples", "entities", "classes", "properties")},
        "dumps": sorted(d.value for d in about[ds][VOID + "dataDump"]),
        "graphs": sorted((s.value, count(s, "triples")) for s in subsets if s not in linksets),
        "classes": [(value(p, VOID + "class"), count(p, "entities"))
                    for p in about[ds][VOID + "classPartition"]],
        "properties": [(value(p, VOID + "property"), count(p, "triples"))
                       for p in about[ds][VOID + "propertyPartition"]],
        "vocabularies": sorted(o.value for o in about[ds][VOID + "vocabulary"]),
        "linksets": [{"target": value(target, DCTERMS + "title"),
                      "homepage": value(target, FOAF + "homepage"),
                      "uri_space": value(target, VOID + "uriSpace"),
                      "predicate": value(linkset, VOID + "linkPredicate"),
                      "triples": count(linkset, "triples")}
                     for linkset in linksets
                     for target in about[linkset][VOID + "objectsTarget"]],
    }


def void_triples(base: str) -> list[ox.Triple]:
    """The VoID description of the whole dataset, its named graphs and its linksets."""
    doc = base + ".well-known/void"
    ds = _n(doc + "#alliancegraph")
    entity_space = base + "id/"
    triples = [
        ox.Triple(ds, RDF_TYPE, v("Dataset")),
        ox.Triple(ds, dc("title"), ox.Literal("Alliance Graph", language="en")),
        ox.Triple(ds, dc("description"), ox.Literal(
            "A knowledge graph of security relations in East Asia, from two scholarly papers "
            "on Japan-ROK security cooperation, with the provenance of every statement.",
            language="en")),
        ox.Triple(ds, dc("license"), _n(LICENSE)),
        ox.Triple(ds, v("sparqlEndpoint"), _n(base + "sparql")),
        ox.Triple(ds, v("uriSpace"), ox.Literal(entity_space)),
        ox.Triple(ds, v("triples"), _int(_default_graph_triples())),
        ox.Triple(ds, v("entities"), _int(int(_select(
            f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o "
            f"FILTER(STRSTARTS(STR(?s), {_str(entity_space)})) }}")[0]["n"]))),
    ]
    triples += [ox.Triple(ds, v("dataDump"), _n(f"{base}dumps/{name}")) for name in DUMPS]
    triples += _mappings_file(ds, base)
    classes = _select("SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) }"
                      " GROUP BY ?c ORDER BY ?c")
    properties = _select("SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY ?p")
    triples += [ox.Triple(ds, v("classes"), _int(len(classes))),
                ox.Triple(ds, v("properties"), _int(len(properties)))]
    for row in classes:
        part = ox.BlankNode()
        triples += [ox.Triple(ds, v("classPartition"), part),
                    ox.Triple(part, v("class"), _n(row["c"])),
                    ox.Triple(part, v("entities"), _int(int(row["n"])))]
    for row in properties:
        part = ox.BlankNode()
        triples += [ox.Triple(ds, v("propertyPartition"), part),
                    ox.Triple(part, v("property"), _n(row["p"])),
                    ox.Triple(part, v("triples"), _int(int(row["n"])))]
    vocabularies = {_namespace(r["c"]) for r in classes} | {_namespace(r["p"]) for r in properties}
    vocabularies.discard(None)
    triples += [ox.Triple(ds, v("vocabulary"), _n(ns)) for ns in sorted(vocabularies)]
    for name, count in _graph_counts().items():
        subset = _n(name)
        triples += [ox.Triple(ds, v("subset"), subset),
                    ox.Triple(subset, RDF_TYPE, v("Dataset")),
                    ox.Triple(subset, v("triples"), _int(count))]
    triples += _linksets(ds, doc, base)
    return triples


def _mappings_file(ds: ox.NamedNode, base: str) -> list[ox.Triple]:
    """The SSSOM table of the links, as ``rdfs:seeAlso`` of the dataset: it is neither an
    RDF dump (``void:dataDump`` promises one a VoID client would parse as RDF) nor a part
    of the dataset (``dcterms:hasPart``: it holds no triples of its own, only a view of the
    linksets' links with their provenance); it is more about them, which is seeAlso."""
    table = _n(sssom.mapping_set_id(base))
    return [ox.Triple(ds, _n(RDFS + "seeAlso"), table),
            ox.Triple(table, dc("title"), ox.Literal(
                "Every link out with its provenance, as an SSSOM mapping set", language="en")),
            ox.Triple(table, dc("format"), _n(TSV_MEDIA_TYPE)),
            ox.Triple(table, dc("conformsTo"), _n(SSSOM_SPEC)),
            ox.Triple(table, dc("license"), _n(LICENSE))]


def link_counts(base: str) -> dict[tuple[LinkDataset, str], int]:
    """Links of the ``links`` graph per target dataset and link predicate (datasets with
    no link are absent), counted by the store: one call, at most a row per dataset and
    predicate, so the row limit never cuts it short. The predicates go in a FILTER, not a
    VALUES block, which Oxigraph would join by scanning the whole store."""
    predicates = ", ".join(f"<{p}>" for p in LINK_PREDICATES)
    datasets = " ".join(f"({_str(d.name)} {_str(d.prefix)})" for d in LINK_DATASETS)
    rows = _select(f"SELECT ?p ?d (COUNT(*) AS ?n) WHERE {{ "
                   f"GRAPH <{graph_iri('links', base)}> {{ ?s ?p ?o }} "
                   f"FILTER(?p IN ({predicates}) && isIRI(?o)) "
                   f"VALUES (?d ?space) {{ {datasets} }} FILTER(STRSTARTS(STR(?o), ?space)) }}"
                   " GROUP BY ?p ?d")
    by_name = {d.name: d for d in LINK_DATASETS}
    return {(by_name[row["d"]], row["p"]): int(row["n"]) for row in rows}


def _linksets(ds: ox.NamedNode, doc: str, base: str) -> list[ox.Triple]:
    """One void:Linkset per external dataset and link property of the ``links`` graph,
    with its link count (the links graph only: the entailments of ``graph/inferred``
    repeat and chain ``owl:sameAs`` links, which are no links of ours)."""
    counts = link_counts(base)
    triples: list[ox.Triple] = []
    for dataset in sorted({d for d, _ in counts}, key=lambda d: d.prefix):
        target = _n(f"{doc}#{dataset.name}")
        triples += [ox.Triple(target, RDF_TYPE, v("Dataset")),
                    ox.Triple(target, dc("title"), ox.Literal(dataset.title)),
                    ox.Triple(target, _n(FOAF + "homepage"), _n(dataset.homepage)),
                    ox.Triple(target, v("uriSpace"), ox.Literal(dataset.prefix))]
    for (dataset, predicate), count in sorted(counts.items(),
                                              key=lambda item: (item[0][0].prefix, item[0][1])):
        slug = dataset.name
        linkset = _n(f"{doc}#links-{slug}-{_local_name(predicate)}")
        triples += [ox.Triple(linkset, RDF_TYPE, v("Linkset")),
                    ox.Triple(ds, v("subset"), linkset),
                    ox.Triple(linkset, v("subjectsTarget"), ds),
                    ox.Triple(linkset, v("objectsTarget"), _n(f"{doc}#{slug}")),
                    ox.Triple(linkset, v("linkPredicate"), _n(predicate)),
                    ox.Triple(linkset, v("triples"), _int(count)),
                    ox.Triple(linkset, _n(RDFS + "seeAlso"),
                              _n(sssom.mapping_set_id(base)))]
    return triples


# --- SSSOM --------------------------------------------------------------------------------

@bp.get("/mappings.sssom.tsv")
def sssom_mappings() -> Response:
    """Every link out with its provenance as SSSOM/TSV (:mod:`alliancegraph.links.sssom`),
    computed once per store generation; HEAD and 304 as the other descriptions."""
    key = "mappings.sssom.tsv"
    if (unchanged := cache.not_modified(key)) is not None:
        return unchanged
    base = current_app.config["BASE_IRI"]
    body = cache.cached(key, lambda: sssom.sssom_text(get_store(), base).encode("utf-8"))
    response = Response(body, content_type=sssom.CONTENT_TYPE)
    response.headers["Content-Disposition"] = 'inline; filename="mappings.sssom.tsv"'
    return cache.finish(response, key)


def _namespace(iri: str) -> str | None:
    """The vocabulary an IRI belongs to (up to its last ``#`` or ``/``), or None for an IRI
    that has none: ``urn:x:p`` or ``http:p`` name a term but no namespace document."""
    cut = max(iri.rfind("#"), iri.rfind("/"))
    namespace = iri[: cut + 1]
    scheme, colon, rest = namespace.partition(":")
    return namespace if colon and scheme and rest.strip("/#") else None


def _local_name(iri: str) -> str:
    return iri[len(_namespace(iri) or ""):]


def _str(value: str) -> str:
    return json.dumps(value)  # a valid SPARQL string literal for plain IRIs
