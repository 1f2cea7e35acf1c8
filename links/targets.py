"""What a link target holds and how to ask it: one profile per dataset shape.

Link discovery (:mod:`alliancegraph.links.discover`) asks a remote SPARQL endpoint for
items whose label equals one of our entity's labels and whose type fits the entity's kind.
Endpoints differ in shape, not in protocol: a Wikidata-shaped endpoint names items
``http://www.wikidata.org/entity/Q…``, labels them with ``rdfs:label`` and ``skos:altLabel``,
types them with ``wdt:P31/wdt:P279*`` and states context with ``wdt:P…`` properties; a
DBpedia-shaped one names resources ``http://dbpedia.org/resource/…``, gives aliases as
redirect pages (``dbo:wikiPageRedirects``) and types with ``rdf:type dbo:…``. A
:class:`Shape` says all that once; a :class:`Target` is a shape at an endpoint, under the
name candidates are filed by (``wikidata``, ``dbpedia`` or the endpoint URL).

The kind of one of our entities comes from its ``rdf:type`` in our ontology
(``ontology/src/*.ttl``): :data:`KIND_CLASSES` lists, per kind, the classes whose instances
(and the instances of their subclasses) have it; the first kind that fits wins, so an
international organisation that is also a forum (APEC) is an organisation. Per shape,
:attr:`Shape.classes` lists the target classes each kind may match; a kind a shape has no
classes for is not looked up there. A Wikidata place is also any item with coordinates
(``wdt:P625``, :attr:`Shape.located`): places come in too many classes to list.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field

from alliancegraph.config import Settings
from alliancegraph.errors import BadRequest
from alliancegraph.graph.vocabulary import EXTERNAL_PREFIXES, ontology_namespace

__all__ = ["DBPEDIA", "KINDS", "KIND_CLASSES", "SHAPES", "WIKIDATA", "Context", "Shape",
           "Target", "kind_classes", "target_for"]

RDF = EXTERNAL_PREFIXES["rdf"]
RDFS = EXTERNAL_PREFIXES["rdfs"]
SKOS = EXTERNAL_PREFIXES["skos"]
FOAF = EXTERNAL_PREFIXES["foaf"]
FABIO = EXTERNAL_PREFIXES["fabio"]
ORG = EXTERNAL_PREFIXES["org"]
WD = EXTERNAL_PREFIXES["wd"]
WDT = EXTERNAL_PREFIXES["wdt"]
DBO = EXTERNAL_PREFIXES["dbo"]
DBR = EXTERNAL_PREFIXES["dbr"]

#: our kinds, in the order they are tried: the first whose classes fit an entity is its kind
KINDS: tuple[str, ...] = ("state", "person", "journal", "newspaper", "website", "event",
                          "place", "organisation", "agreement", "work")

#: kind -> our classes (local names under ``ag:`` or full IRIs) whose instances have it
KIND_CLASSES: dict[str, tuple[str, ...]] = {
    "state": ("State",),
    "person": (f"{FOAF}Person",),
    "journal": (f"{FABIO}Journal",),
    "newspaper": (f"{FABIO}Newspaper",),
    "website": (f"{FABIO}WebSite",),
    "event": ("Event",),
    "place": ("Place",),
    # the ontology gives no superclass in common: org:Organization carries no axioms here
    "organisation": ("InternationalOrganisation", "GovernmentBody", "ResearchInstitution",
                     "NonStateActor", f"{ORG}Organization", f"{ORG}FormalOrganization"),
    "agreement": ("Agreement",),
    "work": (f"{FABIO}Book", f"{FABIO}BookChapter", f"{FABIO}JournalArticle",
             f"{FABIO}ReportDocument", f"{FABIO}ScholarlyWork", "EditedVolume",
             "GovernmentDocument"),
}


def kind_classes(base_iri: str) -> dict[str, tuple[str, ...]]:
    """:data:`KIND_CLASSES` with full IRIs (``ag:`` terms under ``base_iri``)."""
    ag = ontology_namespace(base_iri)
    return {kind: tuple(name if "://" in name else ag + name for name in names)
            for kind, names in KIND_CLASSES.items()}


@dataclass(frozen=True)
class Context:
    """The context properties of a shape, by what they say about an item."""

    #: the country an item belongs to or lies in (an item IRI)
    country: tuple[str, ...] = ()
    #: when an item began: inception, start time, publication, point in time, birth
    dates: tuple[str, ...] = ()
    #: the ISSN of a periodical (a string ``NNNN-NNNX``)
    issn: tuple[str, ...] = ()
    #: the authors of a work (items, whose labels are compared with our creators' names)
    author: tuple[str, ...] = ()

    def properties(self) -> tuple[str, ...]:
        return (*self.country, *self.dates, *self.issn, *self.author)


@dataclass(frozen=True)
class Shape:
    """How the items of one dataset shape are named, labelled, typed and described."""

    name: str
    #: every item IRI starts with it (links are looked up and filed by it)
    item_prefix: str
    #: properties holding an item's own labels
    labels: tuple[str, ...]
    #: properties holding its aliases (on the item itself)
    aliases: tuple[str, ...]
    #: property leading from an alias page to the item (DBpedia's redirects), or None
    redirect: str | None
    #: the path from an item to its classes, in SPARQL
    type_path: str
    #: kind -> target classes it may match; a kind missing here is not looked up
    classes: dict[str, tuple[str, ...]]
    context: Context
    #: human-readable names of the target classes, for evidence strings
    class_names: dict[str, str] = field(default_factory=dict)
    #: kind -> a property whose presence also makes an item of that kind: a place is any
    #: item with coordinates, whatever its class (places come in endless classes, and
    #: Wikidata's class tree does not bring all of them up to one root)
    located: dict[str, str] = field(default_factory=dict)

    def class_name(self, iri: str) -> str:
        """``country (Q6256)`` or ``dbo:Country``: how evidence names a class."""
        if iri in self.class_names:
            return self.class_names[iri]
        for prefix, name in (("wd", WD), ("dbo", DBO)):
            if iri.startswith(name):
                return f"{prefix}:{iri[len(name):]}"
        return iri


WIKIDATA = Shape(
    name="wikidata",
    item_prefix=WD,
    labels=(f"{RDFS}label",),
    aliases=(f"{SKOS}altLabel",),
    redirect=None,
    # instance of a class or of one of its subclasses, as Wikidata's own queries say it
    type_path=f"<{WDT}P31>/<{WDT}P279>*",
    classes={
        "state": (f"{WD}Q6256", f"{WD}Q3624078", f"{WD}Q7275", f"{WD}Q3024240"),
        "organisation": (f"{WD}Q43229",),
        "person": (f"{WD}Q5",),
        "journal": (f"{WD}Q1002697", f"{WD}Q737498", f"{WD}Q5633421"),
        "newspaper": (f"{WD}Q11032", f"{WD}Q1002697"),
        "website": (f"{WD}Q35127",),
        "event": (f"{WD}Q1190554", f"{WD}Q1656682", f"{WD}Q11514315"),
        # geographic location, location, geographical feature, geographic region, human
        # settlement, city, island, peninsula, sea
        "place": (f"{WD}Q2221906", f"{WD}Q17334923", f"{WD}Q618123", f"{WD}Q82794",
                  f"{WD}Q486972", f"{WD}Q515", f"{WD}Q23442", f"{WD}Q34763", f"{WD}Q165"),
        "agreement": (f"{WD}Q131569", f"{WD}Q1127126"),
        "work": (f"{WD}Q47461344", f"{WD}Q7725634", f"{WD}Q571", f"{WD}Q13442814"),
    },
    context=Context(
        country=(f"{WDT}P17",),
        # inception, start time, publication date, point in time, date of birth
        dates=(f"{WDT}P571", f"{WDT}P580", f"{WDT}P577", f"{WDT}P585", f"{WDT}P569"),
        issn=(f"{WDT}P236",),
        author=(f"{WDT}P50",)),
    class_names={
        f"{WD}Q6256": "country (Q6256)", f"{WD}Q3624078": "sovereign state (Q3624078)",
        f"{WD}Q7275": "state (Q7275)", f"{WD}Q3024240": "historical country (Q3024240)",
        f"{WD}Q43229": "organisation (Q43229)", f"{WD}Q5": "human (Q5)",
        f"{WD}Q1002697": "periodical (Q1002697)", f"{WD}Q737498": "academic journal (Q737498)",
        f"{WD}Q5633421": "scientific journal (Q5633421)", f"{WD}Q11032": "newspaper (Q11032)",
        f"{WD}Q35127": "website (Q35127)", f"{WD}Q1190554": "occurrence (Q1190554)",
        f"{WD}Q1656682": "event (Q1656682)",
        f"{WD}Q11514315": "historical period (Q11514315)",
        f"{WD}Q2221906": "geographic location (Q2221906)",
        f"{WD}Q17334923": "location (Q17334923)",
        f"{WD}Q618123": "geographical feature (Q618123)",
        f"{WD}Q82794": "geographic region (Q82794)",
        f"{WD}Q486972": "human settlement (Q486972)", f"{WD}Q515": "city (Q515)",
        f"{WD}Q23442": "island (Q23442)", f"{WD}Q34763": "peninsula (Q34763)",
        f"{WD}Q165": "sea (Q165)", f"{WD}Q131569": "treaty (Q131569)",
        f"{WD}Q1127126": "military alliance (Q1127126)",
        f"{WD}Q47461344": "written work (Q47461344)",
        f"{WD}Q7725634": "literary work (Q7725634)", f"{WD}Q571": "book (Q571)",
        f"{WD}Q13442814": "scholarly article (Q13442814)",
        f"{WDT}P625": "a place (has coordinates, P625)",
    },
    located={"place": f"{WDT}P625"},
)

DBPEDIA = Shape(
    name="dbpedia",
    item_prefix=DBR,
    labels=(f"{RDFS}label",),
    aliases=(),
    # an alias is a redirect page with its own label: <alias> dbo:wikiPageRedirects <item>
    redirect=f"{DBO}wikiPageRedirects",
    # DBpedia states every superclass as a type; the path also reads data that does not
    type_path=f"<{RDF}type>/<{RDFS}subClassOf>*",
    classes={
        "state": (f"{DBO}Country",),
        "organisation": (f"{DBO}Organisation",),
        "person": (f"{DBO}Person",),
        "journal": (f"{DBO}PeriodicalLiterature", f"{DBO}AcademicJournal", f"{DBO}Magazine"),
        "newspaper": (f"{DBO}Newspaper",),
        "website": (f"{DBO}Website",),
        "event": (f"{DBO}Event", f"{DBO}HistoricalPeriod"),
        "place": (f"{DBO}Place",),
        "work": (f"{DBO}WrittenWork", f"{DBO}Book"),
    },
    context=Context(
        country=(f"{DBO}country",),
        dates=(f"{DBO}foundingDate", f"{DBO}foundingYear", f"{DBO}startDate", f"{DBO}date",
               f"{DBO}publicationDate", f"{DBO}birthDate"),
        issn=(f"{DBO}issn",),
        author=(f"{DBO}author",)),
)

#: the shapes by name (``--shape``)
SHAPES: dict[str, Shape] = {WIKIDATA.name: WIKIDATA, DBPEDIA.name: DBPEDIA}


@dataclass(frozen=True)
class Target:
    """A shape at an endpoint, under the name its candidates are filed by."""

    #: ``wikidata``, ``dbpedia`` or the endpoint URL
    name: str
    endpoint: str
    shape: Shape

    @property
    def slug(self) -> str:
        """The name as a file and IRI segment: ``wikidata``, ``127.0.0.1-8000-query``."""
        if self.name in SHAPES:
            return self.name
        parts = urllib.parse.urlsplit(self.name)
        text = f"{parts.netloc}{parts.path}".replace(":", "-")
        return re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-.") or "endpoint"


def target_for(name: str, settings: Settings, *, shape: str | None = None) -> Target:
    """The target ``--target`` names: ``wikidata``, ``dbpedia`` (their endpoint settings)
    or the URL of a SPARQL endpoint, of shape ``shape`` (default ``wikidata``). BadRequest
    for anything else, or a shape given for a named target (its shape is its own)."""
    from alliancegraph.links.client import endpoint_for

    endpoint = endpoint_for(name, settings)
    if shape is not None and shape not in SHAPES:
        raise BadRequest(f"unknown shape {shape!r}: expected {' or '.join(SHAPES)}")
    if name in SHAPES:
        if shape is not None and shape != name:
            raise BadRequest(f"--shape {shape} does not apply to --target {name}, whose shape "
                             f"is {name}; give --shape only with an endpoint URL")
        return Target(name, endpoint, SHAPES[name])
    return Target(name, endpoint, SHAPES[shape or "wikidata"])
