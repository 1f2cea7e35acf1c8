"""A paper's contents as its page shows them: its sections in reading order, each with
the claims the paper makes in it (its footnotes and what they cite are
:mod:`alliancegraph.graph.citations`).

Two store calls, whatever the backend: the sections (``ag:hasSection``, ordered by
``ag:sectionOrder``) and the claims (``ag:claimedBy`` the paper, placed by their evidence's
``ag:inSection``). A resource with no sections is no paper here: :func:`contents` is None.
"""

from __future__ import annotations

from dataclasses import dataclass

from alliancegraph.graph.entity import sparql_iri
from alliancegraph.graph.grouping import natural_key
from alliancegraph.store.base import Store

DCTERMS = "http://purl.org/dc/terms/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


@dataclass(frozen=True)
class Claim:
    iri: str
    label: str
    #: the claim in our words (English), or ""
    paraphrase: str
    #: a recommendation the paper makes, not an argument
    recommendation: bool


@dataclass(frozen=True)
class Section:
    iri: str
    #: as printed ("4", "front"), or ""
    number: str
    title: str
    claims: tuple[Claim, ...]


@dataclass(frozen=True)
class Contents:
    paper: str
    sections: tuple[Section, ...]

    @property
    def claim_count(self) -> int:
        return len({c.iri for s in self.sections for c in s.claims})


def sections_query(paper: str, ag: str) -> str:
    return f"""SELECT ?section ?order ?number ?title WHERE {{
  {sparql_iri(paper)} <{ag}hasSection> ?section .
  OPTIONAL {{ ?section <{ag}sectionOrder> ?order }}
  OPTIONAL {{ ?section <{ag}sectionNumber> ?number }}
  OPTIONAL {{ ?section <{DCTERMS}title> ?title }}
}}"""


def claims_query(paper: str, ag: str) -> str:
    return f"""SELECT DISTINCT ?claim ?section ?label ?paraphrase ?recommendation WHERE {{
  ?claim <{ag}claimedBy> {sparql_iri(paper)} ; <{ag}evidence> ?evidence .
  ?evidence <{ag}inSection> ?section .
  OPTIONAL {{ ?claim <{RDFS_LABEL}> ?label FILTER(langMatches(lang(?label), "en")) }}
  OPTIONAL {{ ?claim <{ag}paraphrase> ?paraphrase
             FILTER(langMatches(lang(?paraphrase), "en")) }}
  BIND(EXISTS {{ ?claim a <{ag}Recommendation> }} AS ?recommendation)
}}"""


def _value(row: dict, name: str) -> str:
    term = row.get(name)
    return term.value if term is not None else ""


def _number(row: dict, name: str) -> float:
    try:
        return float(_value(row, name))
    except ValueError:  # no order: after the numbered ones
        return float("inf")


def contents(store: Store, paper: str, *, ontology_namespace: str) -> Contents | None:
    """The paper's sections with their claims, in order; None when the resource has no
    sections."""
    ag = ontology_namespace
    section_rows = store.select(sections_query(paper, ag))
    if not section_rows:
        return None
    claims: dict[str, list[Claim]] = {}
    for row in store.select(claims_query(paper, ag)):
        claim = Claim(iri=row["claim"].value, label=_value(row, "label") or row["claim"].value,
                      paraphrase=_value(row, "paraphrase"),
                      recommendation=_value(row, "recommendation") in ("true", "1"))
        claims.setdefault(row["section"].value, []).append(claim)
    by_section: dict[str, dict] = {}
    for row in section_rows:  # one row per title/number/order combination: keep the first
        by_section.setdefault(row["section"].value, row)
    ordered = sorted(by_section.values(), key=lambda r: (_number(r, "order"),
                                                         natural_key(_value(r, "number"))))
    sections = tuple(Section(
        iri=row["section"].value, number=_value(row, "number"), title=_value(row, "title"),
        claims=tuple(sorted(claims.get(row["section"].value, ()),
                            key=lambda c: (c.recommendation, natural_key(c.label)))))
        for row in ordered)
    return Contents(paper=paper, sections=sections)
