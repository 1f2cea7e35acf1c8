"""How an entity page arranges what the graph says: statements grouped by what they mean,
values in a natural order.

A page that lists properties alphabetically by CURIE puts ``ag:about`` next to
``ag:accessDate`` and sections 10 before 2. Here each property belongs to one
:data:`GROUPS` entry (relations, dates and places, text, structure, sources, other) by the
table :func:`property_groups`, or, for a property it does not name, by its values (a link
to another entity is a relation, a date is a date). Within a property, values are in the
order a reader expects (:func:`value_key`): by their own order number when the graph gives
one (a section's ``ag:sectionOrder``, a footnote's number), else naturally — "2" before "10",
"4a" before "4b", "1995" before "1995-05" — by label or text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pyoxigraph as ox

#: The groups of a page, in page order: (key, heading).
GROUPS: tuple[tuple[str, str], ...] = (
    ("relations", "Relations"),
    ("dates", "Dates and places"),
    ("text", "In words"),
    ("structure", "Parts and numbering"),
    ("sources", "Sources"),
    ("other", "Other data"),
)
GROUP_KEYS = tuple(key for key, _ in GROUPS)

DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
CITO = "http://purl.org/spar/cito/"
FRBR = "http://purl.org/vocab/frbr/core#"
FOAF = "http://xmlns.com/foaf/0.1/"
SCHEMA = "https://schema.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
ORG = "http://www.w3.org/ns/org#"
TIME = "http://www.w3.org/2006/time#"
XSD = "http://www.w3.org/2001/XMLSchema#"

#: Datatypes whose values are dates or times (a literal of one is "dates" by default).
DATE_TYPES = frozenset(f"{XSD}{t}" for t in (
    "date", "dateTime", "gYear", "gYearMonth", "gMonthDay", "dateTimeStamp"))

#: Our ontology's properties whose number orders the things having them (a section's place
#: in its paper, a bibliography entry's, a cooperation level's).
ORDER_PROPERTIES = ("sectionOrder", "entryNumber", "levelNumber")

#: Our ontology's properties by group (local names under its namespace).
_AG_GROUPS: dict[str, tuple[str, ...]] = {
    "dates": ("date", "dateText", "signedOn", "inForceFrom", "endedOn", "notBefore",
              "referenceDate", "accessDate", "season", "place", "locatedIn", "inState",
              "publicationPlace"),
    "text": ("paraphrase", "quote", "fullText", "intensityText", "formText",
             "characterizationCue", "affiliationAsPrinted", "imprint", "aspect",
             "measuredProperty"),
    "structure": ("hasSection", "ofPaper", "inSection", "sectionNumber", "sectionOrder",
                  "footnoteNumber", "footnoteLabel", "duplicatedFootnoteNumber", "hasEntry",
                  "entryNumber", "pageStart", "pageEnd", "pages", "citedPages",
                  "splitAcrossPages", "hasInTextPointer", "printedIn", "seriesTitle",
                  "hasVariantForm", "discrepancyOf"),
    "sources": ("claimedBy", "describedIn", "supportingFootnote", "unsupported", "citesWork",
                "linkOrigin", "accessedThrough", "datedDocument"),
}

#: Other vocabularies' properties: IRI -> (group, what a page calls it when the store has
#: no label for it; the ontology labels only its own terms).
_OTHER: dict[str, tuple[str, str]] = {
    f"{DCTERMS}creator": ("relations", "creator"),
    f"{DCTERMS}publisher": ("relations", "publisher"),
    f"{DCTERMS}issued": ("dates", "issued"),
    f"{DCTERMS}date": ("dates", "date"),
    f"{DCTERMS}title": ("text", "title"),
    f"{DCTERMS}description": ("text", "description"),
    f"{DCTERMS}source": ("sources", "source"),
    f"{DCTERMS}hasPart": ("structure", "has part"),
    f"{DCTERMS}isPartOf": ("structure", "is part of"),
    f"{FRBR}part": ("structure", "part"),
    f"{FRBR}partOf": ("structure", "part of"),
    f"{PROV}wasDerivedFrom": ("sources", "derived from"),
    f"{PROV}qualifiedDerivation": ("sources", "qualified derivation"),
    f"{PROV}wasAttributedTo": ("sources", "attributed to"),
    f"{PROV}entity": ("sources", "entity"),
    f"{CITO}hasCitingEntity": ("sources", "citing entity"),
    f"{CITO}hasCitedEntity": ("sources", "cited entity"),
    f"{CITO}hasCitationCharacterization": ("sources", "citation character"),
    f"{CITO}cites": ("sources", "cites"),
    "http://purl.org/spar/biro/references": ("sources", "references"),
    "http://purl.org/spar/fabio/hasSequenceIdentifier": ("structure", "sequence identifier"),
    f"{RDFS}comment": ("text", "comment"),
    f"{RDFS}seeAlso": ("sources", "see also"),
    f"{SKOS}definition": ("text", "definition"),
    f"{SKOS}scopeNote": ("text", "scope note"),
    f"{SKOS}note": ("text", "note"),
    f"{SKOS}broader": ("relations", "broader"),
    f"{SKOS}narrower": ("relations", "narrower"),
    f"{SKOS}inScheme": ("structure", "in scheme"),
    f"{SKOS}topConceptOf": ("structure", "top concept of"),
    f"{FOAF}name": ("text", "name"),
    f"{FOAF}givenName": ("text", "given name"),
    f"{FOAF}familyName": ("text", "family name"),
    f"{SCHEMA}affiliation": ("relations", "affiliation"),
    f"{SCHEMA}about": ("relations", "about"),
    f"{SCHEMA}url": ("sources", "URL"),
    f"{SCHEMA}value": ("other", "value"),
    f"{SCHEMA}unitText": ("other", "unit"),
    f"{SCHEMA}unitCode": ("other", "unit code"),
    f"{SCHEMA}locationCreated": ("dates", "location created"),
    f"{ORG}member": ("relations", "member"),
    f"{ORG}organization": ("relations", "organisation"),
    f"{ORG}role": ("relations", "role"),
    f"{ORG}memberOf": ("relations", "member of"),
    f"{ORG}subOrganizationOf": ("relations", "sub-organisation of"),
    f"{TIME}hasTime": ("dates", "time"),
    f"{TIME}hasBeginning": ("dates", "beginning"),
    f"{TIME}hasEnd": ("dates", "end"),
    "http://www.w3.org/2002/07/owl#annotatedProperty": ("other", "annotated property"),
    # shown in the summary card and the labels table, named there
    f"{SKOS}prefLabel": ("text", "preferred label"),
    f"{SKOS}altLabel": ("text", "alternative label"),
    f"{RDFS}label": ("text", "label"),
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type": ("other", "type"),
    "http://www.w3.org/2002/07/owl#sameAs": ("sources", "same as"),
    f"{SKOS}exactMatch": ("sources", "exact match"),
    f"{SKOS}closeMatch": ("sources", "close match"),
}


@lru_cache(maxsize=8)
def property_groups(ontology_namespace: str) -> Mapping[str, str]:
    """Property IRI -> group key, for the properties the table names."""
    table = {iri: group for iri, (group, _) in _OTHER.items()}
    for group, names in _AG_GROUPS.items():
        table.update({ontology_namespace + name: group for name in names})
    return table


def fallback_label(predicate: str) -> str | None:
    """What a page calls a property of another vocabulary the store has no label for."""
    entry = _OTHER.get(predicate)
    return entry[1] if entry else None


def group_of(predicate: str, values: list[ox.NamedNode | ox.BlankNode | ox.Literal], *,
             ontology_namespace: str, is_entity: Callable[[str], bool] = lambda iri: True) -> str:
    """The group of one property of a page, given its values there: the table's, else
    "relations" when a value is an entity here (``is_entity``), "dates" when every value
    is a date, else "other"."""
    known = property_groups(ontology_namespace).get(predicate)
    if known:
        return known
    if any(isinstance(v, ox.NamedNode) and is_entity(v.value) for v in values):
        return "relations"
    if values and all(isinstance(v, ox.Literal) and v.datatype.value in DATE_TYPES
                      for v in values):
        return "dates"
    return "other"


_CHUNKS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple:
    """A key that orders digits by number: "fn 2" < "fn 10", "4a" < "4b" < "5"; case
    folded. ISO dates of mixed precision order as a reader expects ("1995" < "1995-05")."""
    return tuple((0, int(chunk), "") if chunk.isdigit() else (1, 0, chunk.casefold())
                 for chunk in _CHUNKS.split(text) if chunk)


def value_key(term: ox.NamedNode | ox.BlankNode | ox.Literal, *, labels: Mapping[str, str],
              order: Mapping[str, tuple[int, float]]) -> tuple:
    """The sort key of one value: entities with an order number first, by it (sections
    among sections, entries among entries), then every value by the natural order of its
    label or text; blank nodes last."""
    if isinstance(term, ox.BlankNode):
        return (2, (0, 0.0), ())
    text = labels.get(term.value, term.value) if isinstance(term, ox.NamedNode) else term.value
    position = order.get(term.value) if isinstance(term, ox.NamedNode) else None
    return (0, position, natural_key(text)) if position is not None else (
        1, (0, 0.0), natural_key(text))


@dataclass(frozen=True)
class Group:
    """One group of a page: its properties in order, each with its values in order."""

    key: str
    heading: str
    properties: tuple[tuple[str, tuple[Any, ...]], ...]


def arrange(by_property: Mapping[str, list[Any]], *, labels: Mapping[str, str],
            order: Mapping[str, tuple[int, float]], ontology_namespace: str,
            is_entity: Callable[[str], bool]) -> list[Group]:
    """Statements (anything with an ``object``) by property -> the page's groups, in
    :data:`GROUPS` order, empty ones left out; properties by their label, values by
    :func:`value_key`."""
    grouped: dict[str, list[tuple[str, tuple[Any, ...]]]] = {key: [] for key in GROUP_KEYS}
    for predicate, statements in by_property.items():
        objects = [s.object for s in statements]
        key = group_of(predicate, objects, ontology_namespace=ontology_namespace,
                       is_entity=is_entity)
        ordered = tuple(sorted(statements, key=lambda s: value_key(s.object, labels=labels,
                                                                   order=order)))
        grouped[key].append((predicate, ordered))
    return [Group(key, heading, tuple(sorted(
                grouped[key], key=lambda item: natural_key(labels.get(item[0], item[0])))))
            for key, heading in GROUPS if grouped[key]]
