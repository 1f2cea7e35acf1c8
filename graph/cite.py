"""How to cite a work of the graph: its record as CSL-JSON (what Zotero, Mendeley and
citeproc read) and as BibTeX, built from the work's statements (FaBiO type, DCTERMS title,
creators, date and publisher, FRBR containers, the project's pages, place and access date).

A work has no access date of its own: a paper prints one with a citation (a footnote) or
a bibliography entry, and not with every one (paper A's footnote 23 prints Cossa 1999's
URL without the date footnote 14 gives). The record's ``accessed`` is the latest date
printed with any citation or bibliography entry of the work: the last time an author saw
the page at that URL.

The graph keeps no order of a work's authors (RDF has none): they are listed by family
name, which is right for one author and may differ from the printed order for several.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pyoxigraph as ox
from alliancegraph.graph.vocabulary import ontology_namespace
from alliancegraph.store import Store

FABIO = "http://purl.org/spar/fabio/"
DCTERMS = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
PART_OF = "http://purl.org/vocab/frbr/core#partOf"
SCHEMA_URL = "https://schema.org/url"
CITO_CITED = "http://purl.org/spar/cito/hasCitedEntity"
BIRO_REFERENCES = "http://purl.org/spar/biro/references"

#: FaBiO (and the ontology's) types of works -> CSL type, BibTeX entry type
TYPES = {
    "JournalArticle": ("article-journal", "article"),
    "NewspaperArticle": ("article-newspaper", "article"),
    "Book": ("book", "book"),
    "EditedVolume": ("book", "book"),
    "BookChapter": ("chapter", "incollection"),
    "ConferencePaper": ("paper-conference", "inproceedings"),
    "ReportDocument": ("report", "techreport"),
    "GovernmentDocument": ("report", "techreport"),
    "WebPage": ("webpage", "misc"),
    "WebSite": ("webpage", "misc"),
    "ScholarlyWork": ("article", "misc"),
}
_BIBTEX_CONTAINER = {"article": "journal", "incollection": "booktitle",
                     "inproceedings": "booktitle"}


def work_type(types: list[str]) -> tuple[str, str] | None:
    """(CSL type, BibTeX type) of the first type of ``types`` that is a work's, or None."""
    for iri in types:
        local = re.split(r"[/#]", iri)[-1]
        if local in TYPES and (iri.startswith(FABIO) or "/ontology#" in iri):
            return TYPES[local]
    return None


def _statements(store: Store, iri: str) -> dict[str, list[ox.NamedNode | ox.Literal]]:
    rows = store.select(f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}").rows
    found: dict[str, list] = defaultdict(list)
    for predicate, value in rows:
        found[predicate.value].append(value)
    return found


def _text(values: list, *, prefer: str = "en") -> str | None:
    literals = [v for v in values if isinstance(v, ox.Literal)]
    literals.sort(key=lambda v: (v.language not in (prefer, None), v.language is not None))
    return literals[0].value if literals else None


def csl_json(store: Store, iri: str, *, base_iri: str) -> dict | None:
    """The work's CSL-JSON record, or None when ``iri`` is no work of the graph."""
    ag = ontology_namespace(base_iri)
    work = _statements(store, iri)
    kind = work_type([t.value for t in work.get(RDF_TYPE, []) if isinstance(t, ox.NamedNode)])
    if kind is None:
        return None
    record: dict = {"id": iri, "type": kind[0], "URL": iri}
    title = _text(work.get(f"{DCTERMS}title", []))
    if title:
        record["title"] = title
    for field, predicate in (("author", f"{DCTERMS}creator"), ("editor", f"{ag}editor")):
        people = [_name(store, p.value) for p in work.get(predicate, [])
                  if isinstance(p, ox.NamedNode)]
        if people:
            record[field] = sorted(people, key=lambda p: (p.get("family") or p.get("literal")))
    issued = _text(work.get(f"{DCTERMS}issued", []))
    if issued:
        record["issued"] = _date(issued)
        season = _text(work.get(f"{ag}season", []))
        if season:
            record["issued"]["season"] = season
    _containers(store, work, record)
    _simple(store, work, record, ag)
    accessed = latest_access_date(store, iri, base_iri=base_iri)
    if accessed:
        record["accessed"] = _date(accessed)
    return record


def latest_access_date(store: Store, iri: str, *, base_iri: str) -> str | None:
    """The latest ``ag:accessDate`` printed with a citation or bibliography entry of the
    work, as ``YYYY-MM-DD``, or None when none prints one."""
    ag = ontology_namespace(base_iri)
    rows = store.select(
        f"SELECT (MAX(?date) AS ?latest) WHERE {{ {{ ?printed <{CITO_CITED}> <{iri}> }} "
        f"UNION {{ ?printed <{BIRO_REFERENCES}> <{iri}> }} ?printed <{ag}accessDate> ?date }}"
    ).rows
    latest = rows[0][0] if rows else None
    return latest.value if isinstance(latest, ox.Literal) else None


def _simple(store: Store, work: dict, record: dict, ag: str) -> None:
    """Pages, publisher and place, and the work's own URL."""
    for field, predicate in (("page", f"{ag}pages"), ("publisher-place", f"{ag}publicationPlace"),
                             ("note", f"{ag}imprint")):
        value = _text(work.get(predicate, []))
        if value:
            record[field] = value
    for publisher in work.get(f"{DCTERMS}publisher", []):
        record["publisher"] = (publisher.value if isinstance(publisher, ox.Literal)
                               else _label(store, publisher.value))
    url = _text(work.get(SCHEMA_URL, []))
    if url:
        record["URL"] = url


def _containers(store: Store, work: dict, record: dict) -> None:
    """Volume and issue numbers and the container's title, up the ``frbr:partOf`` chain."""
    parents = [p for p in work.get(PART_OF, []) if isinstance(p, ox.NamedNode)]
    for _ in range(4):  # issue -> volume -> journal at most, and a guard against a cycle
        if not parents:
            return
        node = _statements(store, parents[0].value)
        types = [t.value.rsplit("/", 1)[-1] for t in node.get(RDF_TYPE, [])]
        number = _text(node.get(f"{FABIO}hasSequenceIdentifier", []))
        if number and "JournalIssue" in types:
            record.setdefault("issue", number)
        elif number and "JournalVolume" in types:
            record.setdefault("volume", number)
        title = _text(node.get(f"{DCTERMS}title", [])) or _text(node.get(RDFS_LABEL, []))
        if title and "JournalIssue" not in types and "JournalVolume" not in types:
            record.setdefault("container-title", title)
        parents = [p for p in node.get(PART_OF, []) if isinstance(p, ox.NamedNode)]


def _name(store: Store, iri: str) -> dict[str, str]:
    person = _statements(store, iri)
    family, given = _text(person.get(f"{FOAF}familyName", [])), _text(
        person.get(f"{FOAF}givenName", []))
    if family:
        return {"family": family, **({"given": given} if given else {})}
    return {"literal": _text(person.get(f"{FOAF}name", [])) or _label(store, iri)}


def _label(store: Store, iri: str) -> str:
    return _text(_statements(store, iri).get(RDFS_LABEL, [])) or iri


def _date(text: str) -> dict:
    parts = [int(p) for p in re.findall(r"\d+", text)[:3]]
    return {"date-parts": [parts]} if parts else {"raw": text}


# ---------------------------------------------------------------------- BibTeX


def bibtex(record: dict) -> str:
    """The CSL-JSON record as one BibTeX entry (braces keep the title's capitals)."""
    entry = next((b for c, b in TYPES.values() if c == record["type"]), "misc")
    fields: list[tuple[str, str]] = []
    for role in ("author", "editor"):
        if record.get(role):
            fields.append((role, " and ".join(_bib_name(p) for p in record[role])))
    if record.get("title"):
        fields.append(("title", "{" + record["title"] + "}"))
    if record.get("container-title"):
        fields.append((_BIBTEX_CONTAINER.get(entry, "howpublished"), record["container-title"]))
    parts = record.get("issued", {}).get("date-parts", [[]])[0]
    if parts:
        fields.append(("year", str(parts[0])))
    for field, name in (("volume", "volume"), ("issue", "number"), ("page", "pages"),
                        ("publisher", "publisher"), ("publisher-place", "address"),
                        ("URL", "url")):
        if record.get(field):
            value = record[field].replace("-", "--") if name == "pages" else record[field]
            fields.append((name, value))
    accessed = record.get("accessed", {}).get("date-parts", [[]])[0]
    if accessed:
        fields.append(("urldate", "-".join(f"{p:02d}" for p in accessed)))
    body = ",\n".join(f"  {name} = {{{_escape(value)}}}" for name, value in fields)
    return f"@{entry}{{{key(record)},\n{body}\n}}\n"


def _bib_name(person: dict) -> str:
    if "family" in person:
        return person["family"] + (f", {person['given']}" if person.get("given") else "")
    return "{" + person["literal"] + "}"


def key(record: dict) -> str:
    """The entry's citation key: first author's family name, year, first long word."""
    people = record.get("author") or record.get("editor") or [{"literal": "anon"}]
    first = people[0].get("family") or people[0]["literal"]
    year = (record.get("issued", {}).get("date-parts", [[None]])[0] or [None])[0] or "nd"
    word = next(iter(re.findall(r"[A-Za-z]{4,}", record.get("title", ""))), "")
    return re.sub(r"[^A-Za-z0-9]", "", f"{first}{year}{word}").lower() or "work"


def _escape(value: str) -> str:
    """BibTeX's special characters in a field value (the braces we add are kept)."""
    return re.sub(r"([&%$#_])", r"\\\1", value)


#: What a page shows of a CSL record, in order: (CSL field, heading).
RECORD_FIELDS = (("author", "Author"), ("editor", "Editor"), ("title", "Title"),
                 ("container-title", "In"), ("volume", "Volume"), ("issue", "Issue"),
                 ("page", "Pages"), ("issued", "Issued"), ("publisher", "Publisher"),
                 ("publisher-place", "Place"), ("note", "Imprint"), ("URL", "URL"),
                 ("accessed", "Accessed"))


def _shown_name(person: dict[str, str]) -> str:
    return person.get("literal") or " ".join(
        part for part in (person.get("given"), person.get("family")) if part)


def _shown_date(date: dict) -> str:
    if "raw" in date:
        return date["raw"]
    parts = "-".join(f"{p:02d}" if i else str(p)
                     for i, p in enumerate(date.get("date-parts", [[]])[0]))
    return " ".join(part for part in (date.get("season"), parts) if part)


def record_lines(record: dict) -> list[tuple[str, str]]:
    """A CSL-JSON record as the lines of a bibliographic block: (heading, text)."""
    lines = []
    for field, heading in RECORD_FIELDS:
        value = record.get(field)
        if not value:
            continue
        if field in ("author", "editor"):
            text = "; ".join(_shown_name(p) for p in value)
        elif field in ("issued", "accessed"):
            text = _shown_date(value)
        else:
            text = str(value)
        lines.append((heading + ("s" if field in ("author", "editor") and len(value) > 1
                                 else ""), text))
    return lines
