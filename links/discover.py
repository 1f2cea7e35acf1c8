"""Link discovery: candidates for our entities in a target dataset, scored, with evidence.

:func:`discover` takes every entity of a linkable kind (:mod:`alliancegraph.links.targets`)
that has no link to the target yet, plus every entity on the hand-kept review list
(``graph/sources/links/review.csv``), with all its labels in every language it has. It asks
the target's endpoint, many entities per query (a ``VALUES (?entity ?label)`` block, one
query per kind and batch, the type constraint in the query), for items that carry one of
those labels with the same language tag, then fetches the context of the matched items
(country, dates, ISSN, authors) in a second batched query. Each (entity, item) pair becomes
a :class:`~alliancegraph.links.model.Candidate` with a score (:func:`score`) and the
reasons for it; candidates of one entity are ranked, and when two score within
:data:`AMBIGUITY_MARGIN` of each other their evidence says so and neither is accepted
automatically (:func:`ambiguous`). Nothing is resolved silently.

Case: an index can only find a label spelled exactly. Asking an endpoint for
``LCASE(?label) = "cold war"`` makes it scan every label it holds (Wikidata has over a
billion), so the case-folded fallback is done the other way round: each label is also asked
in the few casings titles are written in (lower case, capitalised words, upper case), as
exact literals, and a hit that equals our label only when case is ignored counts less.

A candidate that a person (or an earlier acceptance) accepted or rejected keeps that
decision: :func:`~alliancegraph.links.model.save_candidates` never rewrites it, and a
rejected item is left out of the ranking.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import alliancegraph.graph as graph_package
import pyoxigraph as ox
from alliancegraph import __version__
from alliancegraph.config import Settings
from alliancegraph.errors import BadRequest
from alliancegraph.graph.vocabulary import (
    EXTERNAL_PREFIXES,
    LINK_REVIEW,
    graph_iri,
    ontology_namespace,
)
from alliancegraph.links.client import EndpointClient, batched, cache_dir_for
from alliancegraph.links.model import (
    EVIDENCE_SEPARATOR,
    Candidate,
    Status,
    activity_quads,
    linked_objects,
    read_candidates,
    save_candidates,
)
from alliancegraph.links.targets import KINDS, Shape, Target, kind_classes, target_for
from alliancegraph.store.base import Store
from rich.console import Console
from rich.progress import Progress

__all__ = ["AMBIGUITY_MARGIN", "PREDICATE", "REVIEW_LIST", "TOOL", "DiscoveryRun", "Entity",
           "Label", "ambiguous", "discover", "read_entities", "score"]

RDFS = EXTERNAL_PREFIXES["rdfs"]
SKOS = EXTERNAL_PREFIXES["skos"]
FOAF = EXTERNAL_PREFIXES["foaf"]
SCHEMA = EXTERNAL_PREFIXES["schema"]
DCTERMS = EXTERNAL_PREFIXES["dcterms"]
OWL = EXTERNAL_PREFIXES["owl"]

#: the hand-kept list of entities waiting for a link
REVIEW_LIST = Path(graph_package.__file__).parent / "sources" / "links" / "review.csv"
#: what a discovered link asserts (the curated links say the same)
PREDICATE = f"{OWL}sameAs"
#: ``sssom:mapping_tool`` of candidates and the links made from them
TOOL = f"alliancegraph link {__version__}"

#: our properties holding an entity's own names, and its aliases
NAME_PROPERTIES = (f"{RDFS}label", f"{SKOS}prefLabel", f"{FOAF}name", f"{SCHEMA}name",
                   # a work's rdfs:label is a citation ("Walt, “Why…” (1997)"); its title
                   # is what a target labels it with
                   f"{DCTERMS}title")
ALIAS_PROPERTIES = (f"{SKOS}altLabel",)
#: longer labels are citations or descriptions, never an item's label: not sent
MAX_LABEL = 200
#: entities per label query (each with its labels in a few casings: a few hundred rows)
ENTITY_BATCH = 20
#: items per context query
ITEM_BATCH = 50
#: entities per query on our own store
LOCAL_BATCH = 500

# ------------------------------------------------------------------ the score, explained
#: an exact label of ours equal to the item's own label, in the same language
LABEL = 0.6
#: the same, but an alias on either side (our skos:altLabel, their altLabel or redirect)
ALIAS = 0.5
#: the label is equal only when case is ignored
CASE_FOLDED = -0.15
#: each further language whose label agrees, up to MAX_LANGUAGES in all
PER_LANGUAGE = 0.1
MAX_LANGUAGES = 0.2
#: the item's type fits the entity's kind (the query asks for it: always there, and said)
TYPE = 0.1
#: dates, country or authors agree with ours / contradict them
AGREES = 0.1
CONTRADICTS = -0.25
#: the same ISSN: the same periodical, near certain whatever else
ISSN_EQUAL = 0.99
#: a different ISSN: most likely another periodical of the same name
ISSN_DIFFERS = -0.5
#: the ISSN the review list believes in (unverified) is the item's / is not
BELIEVED_ISSN_EQUAL = 0.2
BELIEVED_ISSN_DIFFERS = -0.25
#: lexical matching is never certain
MAX_SCORE = 0.99
#: candidates of one entity scoring this close are ambiguous: shown, never auto-accepted
AMBIGUITY_MARGIN = 0.1


@dataclass(frozen=True)
class Label:
    """One of our entity's labels."""

    text: str
    language: str
    #: a skos:altLabel (an alias) rather than a name
    alias: bool

    def literal(self, text: str | None = None) -> ox.Literal:
        # an untagged name of ours is English (every label the sources tag is); a target
        # tags every label, so an untagged literal would match nothing there
        return ox.Literal(self.text if text is None else text, language=self.language or "en")

    def shown(self) -> str:
        return f"'{self.text}'@{self.language or 'en'}"


@dataclass
class Entity:
    """One of our entities to find candidates for, with what it is compared on."""

    iri: str
    kind: str
    labels: list[Label] = field(default_factory=list)
    #: years it began or happened (ag:date, ag:signedOn, ag:inForceFrom, dcterms:issued)
    years: set[int] = field(default_factory=set)
    #: target items of the states it belongs to or lies in (ag:ofState, ag:inState)
    countries: set[str] = field(default_factory=set)
    issns: set[str] = field(default_factory=set)
    #: surnames of its creators (dcterms:creator), case-folded
    authors: set[str] = field(default_factory=set)
    #: on the review list
    listed: bool = False
    #: ISSNs the review list believes in, unverified
    believed_issns: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        """The name shown for it: an English name, else any name, else an alias."""
        ranked = sorted(self.labels, key=lambda label: (label.alias, label.language != "en",
                                                        label.language, label.text))
        return ranked[0].text if ranked else self.iri


@dataclass
class _Match:
    """What the label queries found for one (entity, item) pair."""

    #: (language, our label, their property) of each label equal with its language tag
    exact: set[tuple[str, Label, str]] = field(default_factory=set)
    #: (our label, their literal, their property) equal only when case is ignored
    folded: set[tuple[Label, str, str]] = field(default_factory=set)
    classes: set[str] = field(default_factory=set)
    literals: set[ox.Literal] = field(default_factory=set)


@dataclass
class _Context:
    """What the context query found about one item."""

    countries: set[str] = field(default_factory=set)
    years: set[int] = field(default_factory=set)
    issns: set[str] = field(default_factory=set)
    authors: set[str] = field(default_factory=set)
    label: str | None = None


@dataclass(frozen=True)
class DiscoveryRun:
    """One discovery run: the candidates it proposed and what it did."""

    target: Target
    activity: str
    started: datetime.datetime
    ended: datetime.datetime
    #: the candidates written (pending review), best first per entity
    candidates: list[Candidate]
    #: entities, labels, queries, requests, cache_hits, matched, candidates, ambiguous,
    #: kept (already accepted or rejected), already_linked, saved, unknown (review-list
    #: rows not in the store or of a kind that is not looked up)
    counts: dict[str, int]
    #: kind -> entities, matched, candidates, ambiguous
    by_kind: dict[str, dict[str, int]]


def discover(store: Store, settings: Settings, *, target: str | Target,
             client: EndpointClient | None = None, limit: int | None = None,
             progress: bool = True, refresh: bool = False) -> DiscoveryRun:
    """Find, score and save candidates for our entities in ``target`` (a
    :class:`~alliancegraph.links.targets.Target` or its name: ``wikidata``, ``dbpedia``,
    an endpoint URL of Wikidata's shape). ``client`` defaults to a cached
    :class:`~alliancegraph.links.client.EndpointClient` of the target's endpoint
    (``refresh``: ignore the cache); ``limit`` caps the entities looked up. Raises
    RemoteServiceError / RemoteServiceTimeout when the endpoint fails for good."""
    if isinstance(target, str):
        target = target_for(target, settings)
    if limit is not None and limit < 0:
        raise BadRequest(f"limit must not be negative, got {limit}")
    if client is None:
        client = EndpointClient(target.endpoint, cache_dir=cache_dir_for(settings),
                                refresh=refresh)
    base = settings.base_iri
    started = _now()
    sent, hits = client.requests_sent, client.cache_hits
    linked = linked_objects(store, base, target.shape.item_prefix)
    entities, unknown = read_entities(store, base, target, linked=linked)
    entities = entities[:limit] if limit is not None else entities
    counts: dict[str, int] = defaultdict(int, entities=len(entities), unknown=unknown,
                                         labels=sum(len(e.labels) for e in entities))
    console = Console(stderr=True, quiet=not progress)
    with Progress(console=console, transient=True, disable=not progress) as bar:
        matches = _match_labels(client, target.shape, entities, bar, counts)
        items = sorted({item for pairs in matches.values() for item in pairs})
        contexts = _contexts(client, target.shape, items, bar, counts)
    decided = {(c.subject, c.predicate, c.object): c.status
               for c in read_candidates(store, base, target=target.name)}
    candidates = _candidates(entities, matches, contexts, target, linked, decided, started,
                             counts)
    ended = _now()
    activity = activity_iri(target, started, base)
    candidates = [_with_activity(c, activity) for c in candidates]
    quads = activity_quads(activity, graph=graph_iri(LINK_REVIEW, base), started=started,
                           ended=ended, endpoint=target.endpoint, tool=TOOL,
                           label=f"link discovery against {target.name}")
    counts["saved"] = save_candidates(store, candidates, base, quads)
    counts["requests"] = client.requests_sent - sent
    counts["cache_hits"] = client.cache_hits - hits
    return DiscoveryRun(target, activity, started, ended, candidates, dict(counts),
                        _by_kind(entities, matches, candidates))


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def activity_iri(target: Target, started: datetime.datetime, base_iri: str) -> str:
    """``{base}id/activity/link-{target}-{timestamp}`` (microseconds: two runs in one second
    are two activities)."""
    return f"{base_iri}id/activity/link-{target.slug}-{started.strftime('%Y%m%dT%H%M%S.%fZ')}"


def _with_activity(candidate: Candidate, activity: str) -> Candidate:
    return dataclasses.replace(candidate, activity=activity)


# ------------------------------------------------------------------ our entities


def read_entities(store: Store, base_iri: str, target: Target, *,
                  linked: dict[str, set[str]] | None = None) -> tuple[list[Entity], int]:
    """The entities to look up in ``target``, sorted by kind and IRI, and how many rows of
    the review list could not be (not in the store, or of a kind the target's shape has no
    classes for). An entity is looked up when it is of a kind the shape knows and has no
    link to the target yet, or when it is on the review list."""
    if linked is None:
        linked = linked_objects(store, base_iri, target.shape.item_prefix)
    kinds = _kinds(store, base_iri)
    listed = review_list()
    wanted = {iri: kind for iri, kind in kinds.items()
              if kind in target.shape.classes and (iri not in linked or iri in listed)}
    unknown = sum(1 for iri in listed if iri not in wanted)
    entities = {iri: Entity(iri, kind, listed=iri in listed,
                            believed_issns=set(listed.get(iri, ())))
                for iri, kind in wanted.items()}
    _read_labels(store, entities)
    _read_context(store, base_iri, entities, linked)
    found = [e for e in entities.values() if e.labels]
    return sorted(found, key=lambda e: (KINDS.index(e.kind), e.iri)), unknown


#: how the review list states an ISSN it believes in but has not verified
_BELIEVED_ISSN = re.compile(r"ISSN believed to be (\d{4}-?\d{3}[\dXx])")


def review_list(path: Path = REVIEW_LIST) -> dict[str, set[str]]:
    """The entity IRIs of the review list, each with the ISSNs its reason says it believes
    in (unverified: weaker evidence than an ISSN of the graph)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["iri"].strip(): {_issn(m) for m in _BELIEVED_ISSN.findall(row.get("reason")
                                                                              or "")}
                for row in csv.DictReader(handle) if row.get("iri")}


def _kinds(store: Store, base_iri: str) -> dict[str, str]:
    """Our entity IRI -> its kind, from its types and the ontology's subclass axioms."""
    below: dict[str, set[str]] = defaultdict(set)
    rows = store.select(f"""SELECT DISTINCT ?sub ?sup WHERE {{
        GRAPH ?g {{ ?sub <{RDFS}subClassOf> ?sup }} FILTER(isIRI(?sub) && isIRI(?sup)) }}""")
    for row in rows:
        below[row["sup"].value].add(row["sub"].value)
    kind_of_class: dict[str, str] = {}
    for kind in reversed(KINDS):  # earlier kinds win: written last
        for root in kind_classes(base_iri)[kind]:
            for cls in _closure(root, below):
                kind_of_class[cls] = kind
    values = " ".join(f"<{cls}>" for cls in sorted(kind_of_class))
    rows = store.select(f"""SELECT DISTINCT ?entity ?type WHERE {{
        VALUES ?type {{ {values} }} GRAPH ?g {{ ?entity a ?type }}
        FILTER(isIRI(?entity) && STRSTARTS(STR(?entity), "{base_iri}id/")) }}""")
    kinds: dict[str, str] = {}
    for row in rows:
        kind = kind_of_class[row["type"].value]
        iri = row["entity"].value
        if iri not in kinds or KINDS.index(kind) < KINDS.index(kinds[iri]):
            kinds[iri] = kind
    return kinds


def _closure(root: str, below: dict[str, set[str]]) -> set[str]:
    seen, todo = {root}, [root]
    while todo:
        for sub in below.get(todo.pop(), ()):
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return seen


def _values(iris: Iterable[str]) -> str:
    return " ".join(f"<{iri}>" for iri in iris)


def _read_labels(store: Store, entities: dict[str, Entity]) -> None:
    properties = ", ".join(f"<{p}>" for p in (*NAME_PROPERTIES, *ALIAS_PROPERTIES))
    for batch in batched(sorted(entities), LOCAL_BATCH):
        rows = store.select(f"""SELECT DISTINCT ?entity ?p ?label WHERE {{
            VALUES ?entity {{ {_values(batch)} }}
            GRAPH ?g {{ ?entity ?p ?label }}
            FILTER(?p IN ({properties}) && isLiteral(?label)) }}""")
        names: dict[str, dict[tuple[str, str], bool]] = defaultdict(dict)
        for row in rows:
            text, language = row["label"].value.strip(), row["label"].language or ""
            if not text or len(text) > MAX_LABEL:
                continue
            alias = row["p"].value in ALIAS_PROPERTIES
            # a name stays a name when it is also an alias (the inferred graph repeats them)
            key = (text, language)
            names[row["entity"].value][key] = names[row["entity"].value].get(key, True) and alias
        for iri, found in names.items():
            entities[iri].labels = [Label(text, language, alias) for (text, language), alias
                                    in sorted(found.items())]


#: our context properties -> what they say
_CONTEXT_PROPERTIES = {"date": "years", "signedOn": "years", "inForceFrom": "years",
                       f"{DCTERMS}issued": "years", f"{SCHEMA}issn": "issns",
                       "ofState": "countries", "inState": "countries",
                       f"{DCTERMS}creator": "authors"}


def _read_context(store: Store, base_iri: str, entities: dict[str, Entity],
                  linked: dict[str, set[str]]) -> None:
    ag = ontology_namespace(base_iri)
    what = {(p if "://" in p else ag + p): w for p, w in _CONTEXT_PROPERTIES.items()}
    properties = ", ".join(f"<{p}>" for p in what)
    for batch in batched(sorted(entities), LOCAL_BATCH):
        rows = store.select(f"""SELECT DISTINCT ?entity ?p ?value ?name WHERE {{
            VALUES ?entity {{ {_values(batch)} }}
            GRAPH ?g {{ ?entity ?p ?value }} FILTER(?p IN ({properties}))
            OPTIONAL {{ GRAPH ?h {{ ?value <{FOAF}name>|<{RDFS}label> ?name }} }} }}""")
        for row in rows:
            entity, value = entities[row["entity"].value], row["value"]
            field_name = what[row["p"].value]
            if field_name == "years":
                entity.years |= _years([value])
            elif field_name == "issns":
                entity.issns.add(_issn(value.value))
            elif field_name == "countries" and isinstance(value, ox.NamedNode):
                entity.countries |= linked.get(value.value, set())
            elif field_name == "authors":
                name = row.get("name", value)
                if isinstance(name, ox.Literal):
                    entity.authors.add(_surname(name.value))


def _years(terms: Iterable[ox.NamedNode | ox.Literal | ox.BlankNode]) -> set[int]:
    """The years of date-like literals (``1945``, ``2005-05``, ``1945-12-27T00:00:00Z``)."""
    found = set()
    for term in terms:
        if isinstance(term, ox.Literal):
            match = re.match(r"\s*(-?\d{1,4})(?:\D|$)", term.value)
            if match:
                found.add(int(match.group(1)))
    return found


def _issn(text: str) -> str:
    return re.sub(r"[^0-9X]", "", text.upper())


def _surname(name: str) -> str:
    """The last word of a name, case-folded: "Stephen M. Walt" and "Stephen Walt" agree."""
    words = re.findall(r"\w[\w'\u2019-]*", name)
    return words[-1].casefold() if words else name.casefold()


# ------------------------------------------------------------------ asking the target


#: words an English title keeps in lower case unless they come first
SMALL_WORDS = frozenset({"a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into",
                         "nor", "of", "on", "or", "over", "the", "to", "upon", "with"})


def casings(text: str) -> list[str]:
    """The label as written, then the casings titles are also written in (lower case,
    title case with its small words in lower case, every word capitalised, first letter
    capital only, upper case), without repeats."""
    words = text.split(" ")

    def capital(word: str) -> str:
        return word[:1].upper() + word[1:]

    title = " ".join(capital(w) if i == 0 or w.lower() not in SMALL_WORDS else w.lower()
                     for i, w in enumerate(words))
    forms = [text, text.lower(), title, " ".join(capital(w) for w in words),
             text[:1].upper() + text[1:].lower(), text.upper()]
    return list(dict.fromkeys(forms))


def _label_query(shape: Shape, kind: str, rows: Sequence[tuple[str, ox.Literal]]) -> str:
    values = "\n      ".join(f"(<{entity}> {literal})" for entity, literal in rows)
    own = ", ".join(f"<{p}>" for p in (*shape.labels, *shape.aliases))
    found = f"?item ?property ?label . FILTER(?property IN ({own}))"
    if shape.redirect is not None:
        # an alias is a page of its own that redirects to the item
        found = (f"{{ {found} }} UNION {{ ?page <{RDFS}label> ?label ; "
                 f"<{shape.redirect}> ?item . BIND(<{shape.redirect}> AS ?property) }}")
    classes = ", ".join(f"<{c}>" for c in shape.classes[kind])
    typed = f"?item {shape.type_path} ?class . FILTER(?class IN ({classes}))"
    if kind in shape.located:
        # a fitting class, or else the located property, which the evidence then names;
        # OPTIONALs (not a UNION) so the endpoint looks both up for the matched items only
        located = shape.located[kind]
        typed = (f"OPTIONAL {{ ?item {shape.type_path} ?fits . FILTER(?fits IN ({classes})) }}\n"
                 f"    OPTIONAL {{ ?item <{located}> ?at }}\n"
                 f"    FILTER(BOUND(?fits) || BOUND(?at))\n"
                 f"    BIND(COALESCE(?fits, <{located}>) AS ?class)")
    return f"""SELECT DISTINCT ?entity ?label ?item ?property ?class WHERE {{
    VALUES (?entity ?label) {{
      {values}
    }}
    {found}
    FILTER(isIRI(?item) && STRSTARTS(STR(?item), "{shape.item_prefix}"))
    {typed}
}}"""


def _match_labels(client: EndpointClient, shape: Shape, entities: Sequence[Entity],
                  bar: Progress, counts: dict[str, int]) -> dict[str, dict[str, _Match]]:
    """Entity IRI -> item IRI -> what matched, from one query per kind and batch."""
    by_kind: dict[str, list[Entity]] = defaultdict(list)
    for entity in entities:
        by_kind[entity.kind].append(entity)
    batches = [(kind, batch) for kind, group in by_kind.items()
               for batch in batched(group, ENTITY_BATCH)]
    task = bar.add_task(f"matching labels ({shape.name})", total=len(batches))
    matches: dict[str, dict[str, _Match]] = defaultdict(lambda: defaultdict(_Match))
    for kind, batch in batches:
        asked: dict[tuple[str, ox.Literal], list[Label]] = defaultdict(list)
        for entity in batch:
            for label in entity.labels:
                for text in casings(label.text):
                    asked[(entity.iri, label.literal(text))].append(label)
        counts["queries"] += 1
        for row in client.select(_label_query(shape, kind, list(asked))):
            _record(row, asked, matches)
        bar.advance(task)
    return matches


def _record(row: dict, asked: dict[tuple[str, ox.Literal], list[Label]],
            matches: dict[str, dict[str, _Match]]) -> None:
    """One solution of a label query into ``matches``. A solution that answers nothing we
    asked (an endpoint that rewrites language tags, or a wrong one) is left out."""
    entity, literal, item = row.get("entity"), row.get("label"), row.get("item")
    prop, cls = row.get("property"), row.get("class")
    if not (isinstance(entity, ox.NamedNode) and isinstance(literal, ox.Literal)
            and isinstance(item, ox.NamedNode) and isinstance(prop, ox.NamedNode)
            and isinstance(cls, ox.NamedNode)):
        return
    labels = asked.get((entity.value, literal), [])
    if not labels:
        return
    match = matches[entity.value][item.value]
    for label in labels:
        if label.text == literal.value:
            match.exact.add((literal.language or "", label, prop.value))
        else:
            match.folded.add((label, literal.value, prop.value))
    match.classes.add(cls.value)
    match.literals.add(literal)


def _context_query(shape: Shape, items: Sequence[str]) -> str:
    properties = ", ".join(f"<{p}>" for p in shape.context.properties())
    return f"""SELECT DISTINCT ?item ?property ?value ?valueLabel WHERE {{
    VALUES ?item {{ {_values(items)} }}
    ?item ?property ?value .
    FILTER(?property IN ({properties}) || (?property = <{RDFS}label> && LANG(?value) = "en"))
    OPTIONAL {{ ?value <{RDFS}label> ?valueLabel . FILTER(LANG(?valueLabel) = "en") }}
}}"""


def _contexts(client: EndpointClient, shape: Shape, items: Sequence[str], bar: Progress,
              counts: dict[str, int]) -> dict[str, _Context]:
    """Item IRI -> its country, dates, ISSN, authors and English label."""
    context = shape.context
    found: dict[str, _Context] = defaultdict(_Context)
    batches = list(batched(items, ITEM_BATCH))
    task = bar.add_task(f"fetching contexts ({shape.name})", total=len(batches))
    for batch in batches:
        counts["queries"] += 1
        for row in client.select(_context_query(shape, batch)):
            if not {"item", "property", "value"} <= row.keys():
                continue  # not an answer to what was asked
            item, prop, value = found[row["item"].value], row["property"].value, row["value"]
            if prop in context.country and isinstance(value, ox.NamedNode):
                item.countries.add(value.value)
            elif prop in context.dates:
                item.years |= _years([value])
            elif prop in context.issn and isinstance(value, ox.Literal):
                item.issns.add(_issn(value.value))
            elif prop in context.author:
                name = row.get("valueLabel", value)
                if isinstance(name, ox.Literal):
                    item.authors.add(_surname(name.value))
            elif prop == f"{RDFS}label" and isinstance(value, ox.Literal):
                item.label = min(item.label or value.value, value.value)
        bar.advance(task)
    return found


# ------------------------------------------------------------------ scoring


def score(entity: Entity, match: _Match, context: _Context, shape: Shape
          ) -> tuple[float, list[str]]:
    """The score of one (entity, item) pair in 0..1 and a reason for each part of it:

    * labels: :data:`LABEL` for one of our names equal to the item's label with its
      language tag, :data:`ALIAS` when an alias is involved on either side, less
      :data:`CASE_FOLDED` when they are equal only with case ignored; each further language
      that agrees adds :data:`PER_LANGUAGE` (at most :data:`MAX_LANGUAGES`);
    * type: :data:`TYPE` (the query only returns items of a fitting type);
    * context: the same ISSN makes it :data:`ISSN_EQUAL` (near certain), a different one
      costs :data:`ISSN_DIFFERS`; the ISSN the review list only believes in adds
      :data:`BELIEVED_ISSN_EQUAL` or costs :data:`BELIEVED_ISSN_DIFFERS`; dates, country
      and authors that agree add :data:`AGREES`, dates or a country that contradict cost
      :data:`CONTRADICTS`;
    * never more than :data:`MAX_SCORE`, never less than 0.
    """
    value, reasons = _label_part(match, shape)
    names = sorted({shape.class_name(c) for c in match.classes})
    value += TYPE
    reasons.append(f"type {', '.join(names)}")
    part, said = _context_part(entity, context, shape)
    value += part
    reasons += said
    if entity.issns and entity.issns & context.issns:
        value = max(value, ISSN_EQUAL)
    return round(min(max(value, 0.0), MAX_SCORE), 3), reasons


def _property_name(prop: str, shape: Shape) -> str:
    for prefix, namespace in (("rdfs", RDFS), ("skos", SKOS), ("dbo", EXTERNAL_PREFIXES["dbo"])):
        if prop.startswith(namespace):
            return f"{prefix}:{prop[len(namespace):]}"
    return prop


def _label_part(match: _Match, shape: Shape) -> tuple[float, list[str]]:
    theirs_names = set(shape.labels)
    if match.exact:
        # the best agreeing label: a name of ours on their own label, else an alias
        best = min(match.exact, key=lambda m: (m[1].alias or m[2] not in theirs_names,
                                               m[0] != "en", m[0], m[1].text))
        _, label, prop = best
        alias = label.alias or prop not in theirs_names
        value = ALIAS if alias else LABEL
        there = " (an alias there)" if alias and not label.alias else ""
        reasons = [f"{'alias' if label.alias else 'label'} {label.shown()} = "
                   f"{_property_name(prop, shape)}{there}"]
        languages = sorted({m[0] or "en" for m in match.exact})
        if len(languages) > 1:
            value += min(PER_LANGUAGE * (len(languages) - 1), MAX_LANGUAGES)
            reasons.append(f"{len(languages)} languages agree ({', '.join(languages)})")
        return value, reasons
    label, theirs, prop = min(match.folded, key=lambda m: (m[0].alias, m[0].text, m[1]))
    alias = label.alias or prop not in theirs_names
    value = (ALIAS if alias else LABEL) + CASE_FOLDED
    return value, [f"{'alias' if label.alias else 'label'} {label.shown()} = "
                   f"{_property_name(prop, shape)} '{theirs}' with case ignored"]


def _context_part(entity: Entity, context: _Context, shape: Shape) -> tuple[float, list[str]]:
    value, reasons = 0.0, []
    if entity.issns and context.issns:
        if entity.issns & context.issns:
            reasons.append(f"ISSN {_shown_issn(min(entity.issns & context.issns))} equal: "
                           "near certain")
        else:
            value += ISSN_DIFFERS
            reasons.append(f"ISSN differs: ours {', '.join(map(_shown_issn, sorted(entity.issns)))}"
                           f", theirs {', '.join(map(_shown_issn, sorted(context.issns)))}")
    if entity.believed_issns and context.issns and not entity.issns:
        believed = ", ".join(map(_shown_issn, sorted(entity.believed_issns)))
        if entity.believed_issns & context.issns:
            value += BELIEVED_ISSN_EQUAL
            reasons.append(f"ISSN {believed} equal to the one the review list believes in "
                           "(unverified)")
        else:
            value += BELIEVED_ISSN_DIFFERS
            reasons.append(f"ISSN differs from the one the review list believes in: "
                           f"{believed}, theirs "
                           f"{', '.join(map(_shown_issn, sorted(context.issns)))}")
    if entity.years and context.years:
        if entity.years & context.years:
            value += AGREES
            reasons.append(f"dates agree ({_years_shown(entity.years & context.years)})")
        elif min(abs(a - b) for a in entity.years for b in context.years) > 1:
            value += CONTRADICTS
            reasons.append(f"dates contradict: ours {_years_shown(entity.years)}, theirs "
                           f"{_years_shown(context.years)}")
        else:  # a year apart: calendars and precision differ; neither for nor against
            reasons.append(f"dates a year apart: ours {_years_shown(entity.years)}, theirs "
                           f"{_years_shown(context.years)}")
    if entity.countries and context.countries:
        if entity.countries & context.countries:
            value += AGREES
            same = entity.countries & context.countries
            reasons.append(f"country agrees ({_items_shown(same, shape)})")
        else:
            value += CONTRADICTS
            reasons.append(f"country contradicts: ours {_items_shown(entity.countries, shape)}, "
                           f"theirs {_items_shown(context.countries, shape)}")
    if entity.authors and entity.authors & context.authors:
        value += AGREES
        reasons.append(f"author agrees ({', '.join(sorted(entity.authors & context.authors))})")
    return value, reasons


def _shown_issn(issn: str) -> str:
    return f"{issn[:4]}-{issn[4:]}" if len(issn) == 8 else issn


def _years_shown(years: set[int]) -> str:
    return ", ".join(map(str, sorted(years)))


def _items_shown(items: Iterable[str], shape: Shape) -> str:
    prefix = "wd:" if shape.name == "wikidata" else "dbr:"
    return ", ".join(prefix + i[len(shape.item_prefix):] if i.startswith(shape.item_prefix)
                     else i for i in sorted(items))


# ------------------------------------------------------------------ candidates


def ambiguous(candidates: Iterable[Candidate], margin: float = AMBIGUITY_MARGIN
              ) -> set[tuple[str, str, str]]:
    """The (subject, predicate, object) of every candidate that scores within ``margin``
    of another candidate of the same subject and target; rejected ones do not count (a
    person ruled them out)."""
    groups: dict[tuple[str, str], list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        if candidate.status != Status.REJECTED:
            groups[(candidate.subject, candidate.target)].append(candidate)
    found = set()
    for group in groups.values():
        for one in group:
            if any(other is not one and abs(one.score - other.score) <= margin + 1e-9
                   for other in group):
                found.add((one.subject, one.predicate, one.object))
    return found


def _candidates(entities: Sequence[Entity], matches: dict[str, dict[str, _Match]],
                contexts: dict[str, _Context], target: Target, linked: dict[str, set[str]],
                decided: dict[tuple[str, str, str], Status], created: datetime.datetime,
                counts: dict[str, int]) -> list[Candidate]:
    """Scored, ranked candidates with their evidence, entity by entity; already linked
    items are left out, rejected ones do not take part in the ranking."""
    result = []
    created = created.replace(microsecond=0)
    for entity in entities:
        scored = []
        for item, match in sorted(matches.get(entity.iri, {}).items()):
            if item in linked.get(entity.iri, set()):
                counts["already_linked"] += 1
                continue
            status = decided.get((entity.iri, PREDICATE, item))
            if status is not None and status != Status.PENDING:
                counts["kept"] += 1
                continue
            value, reasons = score(entity, match, contexts.get(item, _Context()), target.shape)
            label = contexts.get(item, _Context()).label or _their_label(match)
            scored.append((value, item, reasons, label))
        if not scored:
            continue
        counts["matched"] += 1
        scored.sort(key=lambda s: (-s[0], s[1]))
        top = scored[0][0]
        close = [s[1] for s in scored if top - s[0] <= AMBIGUITY_MARGIN + 1e-9]
        for rank, (value, item, reasons, label) in enumerate(scored, start=1):
            if len(close) > 1 and item in close:
                others = ", ".join(_items_shown([o], target.shape) for o in close if o != item)
                reasons = [*reasons, f"ambiguous: {others} scores within {AMBIGUITY_MARGIN:g}, "
                                     "so not accepted automatically"]
                counts["ambiguous"] += 1
            result.append(Candidate(
                subject=entity.iri, predicate=PREDICATE, object=item, score=value, rank=rank,
                # the reasons are stored joined by the separator: none may hold it (a label
                # quoted in one might)
                evidence=tuple(r.replace(EVIDENCE_SEPARATOR, ", ") for r in reasons),
                kind=entity.kind, target=target.name,
                subject_label=entity.label, object_label=label, created=created))
    counts["candidates"] = len(result)
    return result


def _their_label(match: _Match) -> str:
    literals = sorted(match.literals, key=lambda lit: (lit.language != "en", lit.value))
    return literals[0].value if literals else ""


def _by_kind(entities: Sequence[Entity], matches: dict[str, dict[str, _Match]],
             candidates: Sequence[Candidate]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {}
    for entity in entities:
        row = table.setdefault(entity.kind, dict.fromkeys(
            ("entities", "matched", "candidates", "ambiguous"), 0))
        row["entities"] += 1
    for candidate in candidates:
        row = table[candidate.kind]
        row["candidates"] += 1
        row["matched"] += candidate.rank == 1
        row["ambiguous"] += any(r.startswith("ambiguous:") for r in candidate.evidence)
    return dict(sorted(table.items(), key=lambda kv: KINDS.index(kv[0])))
