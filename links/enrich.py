"""Facts about linked items, fetched from Wikidata into their own graph (``alliancegraph
enrich``).

For every entity of ours linked (``owl:sameAs``, ``skos:exactMatch`` …, the ``links``
graph) to a Wikidata item, chosen facts about the item are fetched in batches (one
``VALUES`` block per batch): labels and aliases in more languages (:data:`LANGUAGES`), the
ISO 3166-1 code (P297), the capital (P36), the population with its point in time (P1082 and
its P585 qualifier, read from the statement node, best rank), inception and dissolution
(P571, P576), coordinates (P625), ISSN (P236), birth and death dates (P569, P570).

They go into the graph ``graph_iri(EXTERNAL, base)`` only, so the papers' statements and
the external facts never share a graph. Each fact is the truthy triple with the item as
its subject (``wd:Q17 wdt:P297 "JP"``), so a query joins it with local data as it would
join Wikidata's own, plus an OWL 2 axiom annotation saying where and when it came from::

    <{base}id/fact/{key}> a owl:Axiom, ag:ExternalFact ;
        owl:annotatedSource wd:Q17 ; owl:annotatedProperty wdt:P297 ;
        owl:annotatedTarget "JP" ;
        prov:wasDerivedFrom wd:Q17 ; ag:sourceProperty wd:P297 ;
        prov:generatedAtTime "…"^^xsd:dateTime ; dcterms:source <endpoint> ;
        ag:pointInTime "2020-10-01"^^xsd:date .          # a population's P585

Everything is fetched before anything is written, and the write is one ``QuadDelta`` that
turns the external graph into exactly the facts of the items linked now: a failed run
writes nothing, a re-run from the cache changes nothing, ``--refresh`` fetches again
(bypassing the cache) and replaces the facts of every item fetched.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import click
import pyoxigraph as ox
from alliancegraph.cli import CommandError, open_existing_store
from alliancegraph.config import Settings, load_settings
from alliancegraph.errors import AllianceGraphError, BadRequest
from alliancegraph.graph.vocabulary import (
    EXTERNAL,
    EXTERNAL_PREFIXES,
    graph_iri,
    ontology_namespace,
)
from alliancegraph.links.client import (
    EndpointClient,
    RemoteTerm,
    batched,
    cache_dir_for,
    endpoint_for,
)
from alliancegraph.links.model import linked_objects
from alliancegraph.store.base import QuadDelta, Store
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

__all__ = ["DIRECT_PROPERTIES", "LANGUAGES", "EnrichReport", "ExternalFact", "enrich",
           "enrich_command", "fact_iri", "fact_quads", "read_facts"]

WD = EXTERNAL_PREFIXES["wd"]
WDT = EXTERNAL_PREFIXES["wdt"]
P = "http://www.wikidata.org/prop/"
PS = "http://www.wikidata.org/prop/statement/"
PQ = "http://www.wikidata.org/prop/qualifier/"
WIKIBASE = "http://wikiba.se/ontology#"
RDF = EXTERNAL_PREFIXES["rdf"]
RDFS = EXTERNAL_PREFIXES["rdfs"]
SKOS = EXTERNAL_PREFIXES["skos"]
OWL = EXTERNAL_PREFIXES["owl"]
PROV = EXTERNAL_PREFIXES["prov"]
DCTERMS = EXTERNAL_PREFIXES["dcterms"]
XSD = EXTERNAL_PREFIXES["xsd"]

#: languages whose labels and aliases are fetched: the graph's own (en, ja, ko) and the
#: other languages of the region's and the literature's readers
LANGUAGES = ("en", "ja", "ko", "zh", "fr", "de", "es", "ru")
#: label properties fetched (Wikidata's own: rdfs:label for the label, skos:altLabel for
#: each alias)
LABEL_PROPERTIES = (f"{RDFS}label", f"{SKOS}altLabel")
#: Wikidata properties read from the truthy triples, and what they are
DIRECT_PROPERTIES: dict[str, str] = {
    "P297": "ISO 3166-1 alpha-2 code",
    "P36": "capital",
    "P571": "inception",
    "P576": "dissolved, abolished or demolished",
    "P625": "coordinate location",
    "P236": "ISSN",
    "P569": "date of birth",
    "P570": "date of death",
}
#: population: read from its statement nodes, for the P585 qualifier and the rank
POPULATION, POINT_IN_TIME = "P1082", "P585"
#: items per query (one VALUES block); Wikidata's guidance is "a few hundred at most"
BATCH_SIZE = 50
#: a Wikidata item IRI; anything else the links graph points at under wd: is left alone
ITEM = re.compile(r"^http://www\.wikidata\.org/entity/Q[1-9][0-9]*$")
#: the date part of an xsd:dateTime (years may be negative or longer than four digits)
DATE_PART = re.compile(r"^(-?[0-9]{4,}-[0-9]{2}-[0-9]{2})")
#: targets whose endpoint holds Wikidata-shaped data
WIKIDATA_SHAPED = ("wikidata",)
#: ranks of a Wikidata statement, best first; a deprecated one is never used
RANKS = (f"{WIKIBASE}PreferredRank", f"{WIKIBASE}NormalRank")


@dataclass(frozen=True)
class ExternalFact:
    """One fact about an external item, with where and when it came from."""

    #: the external item (``http://www.wikidata.org/entity/Q17``)
    item: str
    #: the truthy predicate (``wdt:P297``; ``rdfs:label``, ``skos:altLabel`` for names)
    predicate: str
    value: RemoteTerm
    #: the source's property (``wd:P297``; the label property itself for names)
    source_property: str
    retrieved: datetime.datetime
    #: the endpoint it was read from
    endpoint: str
    #: a population's P585 qualifier
    point_in_time: datetime.date | None = None


def fact_iri(item: str, predicate: str, value: RemoteTerm, base_iri: str) -> str:
    """The IRI of a fact's axiom: the same triple gets the same IRI on every run."""
    key = hashlib.sha1(f"{item} {predicate} {value}".encode()).hexdigest()[:16]
    return f"{base_iri}id/fact/{key}"


def fact_quads(fact: ExternalFact, base_iri: str) -> list[ox.Quad]:
    """The fact's truthy triple and its axiom, in the external graph."""
    ag = ontology_namespace(base_iri)
    graph = ox.NamedNode(graph_iri(EXTERNAL, base_iri))
    item, predicate = ox.NamedNode(fact.item), ox.NamedNode(fact.predicate)
    axiom = ox.NamedNode(fact_iri(fact.item, fact.predicate, fact.value, base_iri))
    retrieved = fact.retrieved.astimezone(datetime.UTC).replace(microsecond=0)
    values: list[tuple[str, RemoteTerm]] = [
        (f"{RDF}type", ox.NamedNode(f"{OWL}Axiom")),
        (f"{RDF}type", ox.NamedNode(f"{ag}ExternalFact")),
        (f"{OWL}annotatedSource", item),
        (f"{OWL}annotatedProperty", predicate),
        (f"{OWL}annotatedTarget", fact.value),
        (f"{PROV}wasDerivedFrom", item),
        (f"{ag}sourceProperty", ox.NamedNode(fact.source_property)),
        (f"{PROV}generatedAtTime", _typed(retrieved.isoformat().replace("+00:00", "Z"),
                                           "dateTime")),
        (f"{DCTERMS}source", ox.NamedNode(fact.endpoint)),
    ]
    if fact.point_in_time is not None:
        values.append((f"{ag}pointInTime", _typed(fact.point_in_time.isoformat(), "date")))
    return [ox.Quad(item, predicate, fact.value, graph),
            *(ox.Quad(axiom, ox.NamedNode(p), o, graph) for p, o in values)]


def _typed(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


# ---------------------------------------------------------------------- the queries


def _values(items: Sequence[str]) -> str:
    return " ".join(f"<{item}>" for item in items)


def facts_query(items: Sequence[str]) -> str:
    """Labels, aliases and the truthy values of :data:`DIRECT_PROPERTIES` (and a population
    without a statement node) of ``items``. One VALUES and a FILTER on the properties: a
    second VALUES for them makes Oxigraph scan the whole store."""
    direct = ", ".join(f"<{WDT}{p}>" for p in (*DIRECT_PROPERTIES, POPULATION))
    names = ", ".join(f"<{p}>" for p in LABEL_PROPERTIES)
    languages = ", ".join(f'"{language}"' for language in LANGUAGES)
    return (f"SELECT ?item ?p ?v WHERE {{ VALUES ?item {{ {_values(items)} }} ?item ?p ?v "
            f"FILTER(?p IN ({direct}) || (?p IN ({names}) && LANG(?v) IN ({languages}))) }}")


def property_labels_query(properties: Sequence[str]) -> str:
    """The English labels of the source properties (``wd:P297`` …): what a page calls
    them."""
    return (f"SELECT ?item ?p ?v WHERE {{ VALUES ?item {{ {_values(properties)} }} "
            f"?item ?p ?v FILTER(?p = <{RDFS}label> && LANG(?v) = \"en\") }}")


def population_query(items: Sequence[str]) -> str:
    """Each population statement of ``items``: value, point in time and rank."""
    return (f"SELECT ?item ?v ?time ?rank WHERE {{ VALUES ?item {{ {_values(items)} }} "
            f"?item <{P}{POPULATION}> ?statement . ?statement <{PS}{POPULATION}> ?v . "
            f"OPTIONAL {{ ?statement <{PQ}{POINT_IN_TIME}> ?time }} "
            f"OPTIONAL {{ ?statement <{WIKIBASE}rank> ?rank }} }}")


# ---------------------------------------------------------------------- fetching


def _date(term: RemoteTerm | None) -> datetime.date | None:
    """The date of an xsd:dateTime or xsd:date literal (None for anything else, and for
    a date Python cannot hold: before year 1)."""
    if not isinstance(term, ox.Literal):
        return None
    found = DATE_PART.match(term.value)
    if found is None:
        return None
    try:
        return datetime.date.fromisoformat(found.group(1))
    except ValueError:
        return None


def _populations(rows: Iterable[dict[str, RemoteTerm]]
                 ) -> dict[str, tuple[RemoteTerm, datetime.date | None]]:
    """Item -> its population: of the statements of the best rank (preferred, else
    normal; a statement without a rank counts as normal, deprecated ones never), the one
    with the latest point in time."""
    best: dict[str, tuple[tuple[int, datetime.date], RemoteTerm, datetime.date | None]] = {}
    for row in rows:
        rank = _rank(row.get("rank"))
        if rank is None or isinstance(row["v"], ox.BlankNode):
            continue  # deprecated (or an unknown rank): Wikidata's truthy triples skip it
        when = _date(row.get("time"))
        key = (-rank, when or datetime.date.min)
        item = row["item"].value
        if item not in best or key > best[item][0]:
            best[item] = (key, row["v"], when)
    return {item: (value, when) for item, (_, value, when) in best.items()}


def _rank(term: RemoteTerm | None) -> int | None:
    """0 for preferred, 1 for normal (or no rank given), None for any other."""
    if term is None:
        return 1
    return RANKS.index(term.value) if term.value in RANKS else None


def _plain_facts(client: EndpointClient, query: str) -> list[ExternalFact]:
    """The facts an ``?item ?p ?v`` query finds, each with the answer's retrieval time."""
    answer = client.fetch(query)
    facts = []
    for row in answer.rows:
        item, predicate, value = row["item"].value, row["p"].value, row["v"]
        if isinstance(value, ox.BlankNode):
            continue  # Wikidata's "unknown value": says nothing, and is no stable name
        source = WD + predicate[len(WDT):] if predicate.startswith(WDT) else predicate
        facts.append(ExternalFact(item, predicate, value, source, answer.retrieved,
                                  client.endpoint))
    return facts


def _batch_facts(client: EndpointClient, items: Sequence[str]) -> list[ExternalFact]:
    """The facts of one batch of items (two queries)."""
    direct = _plain_facts(client, facts_query(items))
    populations = client.fetch(population_query(items))
    chosen = _populations(populations.rows)
    # a population from its statement node says more (its point in time, its rank) than
    # the truthy one, which is kept only for an item without statement nodes
    facts = [fact for fact in direct
             if not (fact.predicate == f"{WDT}{POPULATION}" and fact.item in chosen)]
    for item, (value, when) in chosen.items():
        facts.append(ExternalFact(item, f"{WDT}{POPULATION}", value, f"{WD}{POPULATION}",
                                  populations.retrieved, client.endpoint, when))
    return facts


def _source_properties() -> list[str]:
    """The source properties whose labels are fetched (so pages can name them)."""
    return [f"{WD}{p}" for p in (*DIRECT_PROPERTIES, POPULATION, POINT_IN_TIME)]


# ---------------------------------------------------------------------- enrich


@dataclass
class EnrichReport:
    """What one run did."""

    endpoint: str
    #: our entities linked to an item of the target
    entities: int = 0
    #: distinct items fetched
    items: int = 0
    #: items of which the endpoint gave none of the chosen facts
    without_facts: list[str] = field(default_factory=list)
    #: facts now in the external graph, by truthy predicate
    facts_by_property: dict[str, int] = field(default_factory=dict)
    #: labels of the source properties (wd:P297 …) fetched
    property_labels: int = 0
    #: quads the write added and removed (0 and 0: nothing had changed)
    added: int = 0
    removed: int = 0
    requests_sent: int = 0
    cache_hits: int = 0

    @property
    def facts(self) -> int:
        return sum(self.facts_by_property.values())


def enrich(store: Store, settings: Settings, *, target: str = "wikidata",
           refresh: bool = False, client: EndpointClient | None = None,
           progress: bool = True, batch_size: int = BATCH_SIZE) -> EnrichReport:
    """Fetch the facts of every linked item of ``target`` into the external graph, in one
    write; see the module doc. ``client`` (default: one for the target's endpoint with the
    cache of :func:`~alliancegraph.links.client.cache_dir_for`) is told to bypass its cache
    when ``refresh``. Raises BadRequest (a target that is not Wikidata-shaped),
    RemoteServiceError / RemoteServiceTimeout (nothing written), ValidationFailed."""
    if target not in WIKIDATA_SHAPED and not target.startswith(("http://", "https://")):
        raise BadRequest(f"enrich reads Wikidata-shaped endpoints: --target wikidata or the "
                         f"URL of one, not {target!r}")
    base = settings.base_iri
    endpoint = endpoint_for(target, settings)
    if client is None:
        client = EndpointClient(endpoint, cache_dir=cache_dir_for(settings))
    client.refresh = client.refresh or refresh
    linked = linked_objects(store, base, WD)
    items = sorted({item for targets in linked.values() for item in targets
                    if ITEM.match(item)})
    report = EnrichReport(endpoint=client.endpoint,
                          entities=sum(1 for t in linked.values() if any(map(ITEM.match, t))),
                          items=len(items))
    sent, hits = client.requests_sent, client.cache_hits
    facts: list[ExternalFact] = []
    console = Console(stderr=True, quiet=not progress)
    with Progress(console=console, transient=True, disable=not progress) as bar:
        task = bar.add_task(f"fetching facts from {client.endpoint}", total=len(items))
        for batch in batched(items, batch_size):
            facts += _batch_facts(client, batch)
            bar.advance(task, len(batch))
        if items:
            facts += _plain_facts(client, property_labels_query(_source_properties()))
    # one fact per triple (an answer may repeat a row)
    facts = list({(f.item, f.predicate, str(f.value)): f for f in facts}.values())
    report.requests_sent = client.requests_sent - sent
    report.cache_hits = client.cache_hits - hits
    known = {fact.item for fact in facts}
    report.without_facts = [item for item in items if item not in known]
    report.facts_by_property = dict(sorted(Counter(
        f.predicate for f in facts if ITEM.match(f.item)).items()))
    report.property_labels = sum(1 for f in facts if not ITEM.match(f.item))
    wanted = {quad for fact in facts for quad in fact_quads(fact, base)}
    old = set(store.quads(graph=graph_iri(EXTERNAL, base)))
    removed, added = old - wanted, wanted - old
    if removed or added:
        store.apply(QuadDelta(removed=tuple(sorted(removed, key=str)),
                              added=tuple(sorted(added, key=str)),
                              created_graphs=(graph_iri(EXTERNAL, base),)))
    report.added, report.removed = len(added), len(removed)
    return report


def read_facts(store: Store, base_iri: str, items: Iterable[str] | None = None
               ) -> list[ExternalFact]:
    """The facts of the external graph (of ``items`` only, when given), sorted by item,
    predicate and value."""
    ag = ontology_namespace(base_iri)
    chosen = sorted(set(items)) if items is not None else None
    if chosen == []:
        return []
    values = "" if chosen is None else f"VALUES ?item {{ {_values(chosen)} }}"
    sparql = f"""SELECT ?item ?p ?v ?source ?retrieved ?endpoint ?time WHERE {{
        {values}
        GRAPH <{graph_iri(EXTERNAL, base_iri)}> {{
            ?fact a <{ag}ExternalFact> ; <{OWL}annotatedSource> ?item ;
                <{OWL}annotatedProperty> ?p ; <{OWL}annotatedTarget> ?v ;
                <{ag}sourceProperty> ?source ; <{PROV}generatedAtTime> ?retrieved ;
                <{DCTERMS}source> ?endpoint .
            OPTIONAL {{ ?fact <{ag}pointInTime> ?time }}
        }} }}"""
    found = [ExternalFact(row["item"].value, row["p"].value, row["v"], row["source"].value,
                          datetime.datetime.fromisoformat(row["retrieved"].value),
                          row["endpoint"].value, _date(row.get("time")))
             for row in store.select(sparql)]
    return sorted(found, key=lambda f: (f.item, f.predicate, str(f.value)))


# ---------------------------------------------------------------------- the command


def _summary(report: EnrichReport) -> Table:
    table = Table("property", "facts", title=f"Facts from {report.endpoint}")
    short = {WDT: "wdt:", RDFS: "rdfs:", SKOS: "skos:"}
    for predicate, count in report.facts_by_property.items():
        name = next((predicate.replace(ns, pre) for ns, pre in short.items()
                     if predicate.startswith(ns)), predicate)
        label = DIRECT_PROPERTIES.get(predicate[len(WDT):], "") \
            if predicate.startswith(WDT) else ""
        if predicate == f"{WDT}{POPULATION}":
            label = "population (with its point in time)"
        table.add_row(f"{name} {label}".strip(), str(count))
    table.add_section()
    table.add_row("facts", str(report.facts))
    return table


@click.command("enrich")
@click.option("--target", default="wikidata", show_default=True, metavar="wikidata|URL",
              help="Where the facts come from: wikidata (setting wikidata_endpoint) or the "
                   "URL of a Wikidata-shaped SPARQL endpoint.")
@click.option("--refresh", is_flag=True,
              help="Fetch again, bypassing the on-disk cache (setting link_cache_dir), and "
                   "replace the facts of every item fetched.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary table.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Directory of the embedded store (setting data_dir, ALLIANCEGRAPH_DATA_DIR).")
def enrich_command(target: str, refresh: bool, quiet: bool, data_dir: str | None) -> None:
    """Fetch facts about linked entities (labels in more languages, ISO codes, capital,
    population and its date, inception and dissolution, coordinates, ISSN, birth and death)
    into the graph external, each with its source item, property and retrieval time."""
    settings = load_settings(overrides={"data_dir": data_dir})
    store = open_existing_store(settings)
    try:
        report = enrich(store, settings, target=target, refresh=refresh, progress=not quiet)
    except AllianceGraphError as exc:
        raise CommandError(f"enrich: {exc.message}; nothing was written", 2) from None
    finally:
        store.close()
    if quiet:
        return
    console = Console()
    console.print(_summary(report))
    click.echo(f"{report.entities} entities linked to {report.items} items; "
               f"{report.added} quads added, {report.removed} removed; "
               f"{report.requests_sent} requests, {report.cache_hits} from the cache")
    if report.without_facts:
        click.echo(f"{len(report.without_facts)} items without any of the facts: "
                   + " ".join(report.without_facts))
