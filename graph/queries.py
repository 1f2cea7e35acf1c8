"""The shipped example queries (``graph/queries/*.rq``), read as package data.

Each file starts with comment lines naming it::

    # title: Threats Japan perceives
    # description: Every threat perception whose perceiver is Japan, with its evidence.
    PREFIX ag: <https://w3id.org/alliancegraph/ontology#>
    SELECT …

The query UI offers them as named examples; the index page lists them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from alliancegraph import CANONICAL_BASE

#: Prefixes of the vocabularies the graph uses (graph/MODELLING.md), the project's own
#: three relative to the base IRI.
_EXTERNAL_PREFIXES = {
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
    "dbr": "http://dbpedia.org/resource/",
}


def prefixes(base_iri: str = CANONICAL_BASE) -> dict[str, str]:
    """The project's prefixes, ``ag``/``agid``/``agsch`` under ``base_iri``."""
    return {
        "ag": f"{base_iri}ontology#",
        "agid": f"{base_iri}id/",
        "agsch": f"{base_iri}scheme/",
        **_EXTERNAL_PREFIXES,
    }


def prefix_declarations(base_iri: str = CANONICAL_BASE) -> str:
    """``PREFIX`` lines for a SPARQL query."""
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in prefixes(base_iri).items())


_HEADER = re.compile(r"^#\s*(title|description)\s*:\s*(.*?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Example:
    """One shipped query: ``name`` is the file name without ``.rq``."""

    name: str
    title: str
    description: str
    text: str


def parse_example(name: str, text: str) -> Example:
    """Read the ``# title:`` / ``# description:`` lines at the top of a query.

    A description may run over several ``#`` lines after its first; the header ends at
    the first line that is not a comment. A query without a title is named by its file.
    """
    fields: dict[str, str] = {}
    current: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("#"):
            if stripped:
                break
            continue
        match = _HEADER.match(stripped)
        if match:
            current = match.group(1).lower()
            fields[current] = match.group(2)
        elif current == "description":
            fields[current] = f"{fields[current]} {stripped.lstrip('#').strip()}".strip()
    return Example(
        name=name,
        title=fields.get("title") or name.replace("-", " ").replace("_", " "),
        description=fields.get("description", ""),
        text=text,
    )


def load_examples() -> list[Example]:
    """Every shipped ``.rq`` file, sorted by file name."""
    folder = resources.files("alliancegraph").joinpath("queries")
    if not folder.is_dir():
        return []
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".rq")),
        key=lambda entry: entry.name,
    )
    return [parse_example(entry.name[: -len(".rq")], entry.read_text(encoding="utf-8"))
            for entry in files]
