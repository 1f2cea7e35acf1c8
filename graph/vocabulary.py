"""The graph's names, said once: the prefix table, the named graphs and the link datasets.

Everything the project mints lies under one base IRI, :data:`alliancegraph.CANONICAL_BASE`
in the sources; a build (and the service) may use another one, the setting ``base_iri``.
So every name here that depends on the base is a function of it. Plain data, no imports
beyond the standard library: the service, the CLI and the build all read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from alliancegraph import CANONICAL_BASE

__all__ = ["BUNDLED_GRAPHS", "CANONICAL_BASE", "EXTERNAL", "EXTERNAL_PREFIXES", "GRAPHS",
           "INFERRED", "LINK_DATASETS", "LINK_REVIEW", "SOURCE_GRAPHS", "LinkDataset",
           "graph_iri", "graph_name", "link_dataset", "ontology_iri", "ontology_namespace",
           "prefix_declarations", "prefixes", "rebase", "shapes_iri", "shapes_namespace"]


def rebase(text: str, base_iri: str) -> str:
    """A bundled file's text (minted under :data:`CANONICAL_BASE`) with its IRIs under
    ``base_iri`` instead: how the build and the ontology documentation serve the same graph
    at another host."""
    return text if base_iri == CANONICAL_BASE else text.replace(CANONICAL_BASE, base_iri)


# ---------------------------------------------------------------------- prefixes

#: Prefixes of the vocabularies the graph uses (graph/MODELLING.md) besides the project's
#: own, which :func:`prefixes` puts under the base IRI.
EXTERNAL_PREFIXES: dict[str, str] = {
    "prov": "http://www.w3.org/ns/prov#",
    "cito": "http://purl.org/spar/cito/",
    "fabio": "http://purl.org/spar/fabio/",
    "biro": "http://purl.org/spar/biro/",
    "c4o": "http://purl.org/spar/c4o/",
    "doco": "http://purl.org/spar/doco/",
    "frbr": "http://purl.org/vocab/frbr/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "schema": "https://schema.org/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "time": "http://www.w3.org/2006/time#",
    "org": "http://www.w3.org/ns/org#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "wd": "http://www.wikidata.org/entity/",
    "wdt": "http://www.wikidata.org/prop/direct/",
    "dbr": "http://dbpedia.org/resource/",
    "dbo": "http://dbpedia.org/ontology/",
    "sssom": "https://w3id.org/sssom/",
    "semapv": "https://w3id.org/semapv/vocab/",
}


def ontology_iri(base_iri: str = CANONICAL_BASE) -> str:
    """The ontology's IRI (the ``owl:Ontology``)."""
    return f"{base_iri}ontology"


def ontology_namespace(base_iri: str = CANONICAL_BASE) -> str:
    """The namespace of the ontology's terms (prefix ``ag``)."""
    return f"{ontology_iri(base_iri)}#"


def shapes_iri(base_iri: str = CANONICAL_BASE) -> str:
    """The IRI of the bundled shapes graph (its terms, such as ``ags:recheckVia``, live in
    :func:`shapes_namespace`)."""
    return f"{base_iri}shapes"


def shapes_namespace(base_iri: str = CANONICAL_BASE) -> str:
    return f"{shapes_iri(base_iri)}#"


def prefixes(base_iri: str = CANONICAL_BASE) -> dict[str, str]:
    """The project's prefix table: ``ag`` (ontology), ``agid`` (entities) and ``agsch``
    (concept schemes) under ``base_iri``, then the external vocabularies. A new dict on
    every call: callers may extend it."""
    return {
        "ag": ontology_namespace(base_iri),
        "agid": f"{base_iri}id/",
        "agsch": f"{base_iri}scheme/",
        **EXTERNAL_PREFIXES,
    }


def prefix_declarations(base_iri: str = CANONICAL_BASE) -> str:
    """``PREFIX`` lines for a SPARQL query, one per prefix of :func:`prefixes`."""
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in prefixes(base_iri).items())


# ---------------------------------------------------------------------- named graphs

#: graphs filled from ``graph/sources/<name>/*.ttl``
SOURCE_GRAPHS: tuple[str, ...] = ("background", "paper-a", "paper-b", "links")
#: every graph the build fills from bundled files: the ontology, then the sources
BUNDLED_GRAPHS: tuple[str, ...] = ("ontology", *SOURCE_GRAPHS)
#: the graph of the build's OWL 2 RL entailments
INFERRED = "inferred"
#: every named graph the build writes (and replaces on the next build; in ``links`` it keeps
#: the links accepted by ``alliancegraph link``)
GRAPHS: tuple[str, ...] = (*BUNDLED_GRAPHS, INFERRED)
#: link candidates and their review state (``alliancegraph link``); never built
LINK_REVIEW = "link-review"
#: facts fetched from linked datasets (``alliancegraph enrich``); never built, never mixed
#: with the papers' statements
EXTERNAL = "external"


def graph_iri(name: str, base_iri: str = CANONICAL_BASE) -> str:
    """The IRI of one of the build's named graphs (``ontology``, ``paper-a``, …)."""
    return f"{base_iri}graph/{name}"


def graph_name(iri: str, base_iri: str = CANONICAL_BASE) -> str | None:
    """The name (one of :data:`GRAPHS`) of a graph IRI, or None for any other graph."""
    prefix = graph_iri("", base_iri)
    name = iri[len(prefix):] if iri.startswith(prefix) else None
    return name if name in GRAPHS else None


# ---------------------------------------------------------------------- link datasets


@dataclass(frozen=True)
class LinkDataset:
    """A dataset the graph links to (``owl:sameAs``/``skos:exactMatch``), known by the
    prefix of its IRIs."""

    #: short name, used in fragment identifiers (``#wikidata``)
    name: str
    #: every IRI of the dataset starts with it (VoID ``uriSpace``)
    prefix: str
    title: str
    homepage: str


LINK_DATASETS: tuple[LinkDataset, ...] = (
    LinkDataset("wikidata", "http://www.wikidata.org/entity/", "Wikidata",
                "https://www.wikidata.org/"),
    LinkDataset("dbpedia", "http://dbpedia.org/resource/", "DBpedia",
                "https://www.dbpedia.org/"),
    LinkDataset("issn", "https://portal.issn.org/resource/ISSN/", "ISSN Portal",
                "https://portal.issn.org/"),
    LinkDataset("geonames", "https://sws.geonames.org/", "GeoNames", "https://www.geonames.org/"),
    LinkDataset("viaf", "http://viaf.org/viaf/", "VIAF", "https://viaf.org/"),
    LinkDataset("orcid", "https://orcid.org/", "ORCID", "https://orcid.org/"),
)


def link_dataset(iri: str) -> LinkDataset | None:
    """The link dataset an IRI belongs to, or None."""
    return next((d for d in LINK_DATASETS if iri.startswith(d.prefix)), None)
