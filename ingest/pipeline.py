"""The ingest of one paper's text, from parse to matched works (what draft and bench share)."""

from __future__ import annotations

from dataclasses import dataclass, field

from alliancegraph.ingest import citations as cit
from alliancegraph.ingest import markdown
from alliancegraph.ingest.matching import (
    KnownWork,
    Match,
    Mention,
    Select,
    dedupe,
    known_labels,
    known_works,
    match,
    mentions,
)


@dataclass
class Ingest:
    paper_id: str
    document: markdown.Document
    citations: list[cit.Citation]
    groups: list[list[cit.Citation]] = field(default_factory=list)
    matches: dict[int, Match] = field(default_factory=dict)  # group index -> match
    mentions: list[Mention] = field(default_factory=list)

    def group_of(self, citation: cit.Citation) -> int:
        return next(i for i, g in enumerate(self.groups) if citation in g)


def ingest(text: str, paper_id: str, select: Select | None = None,
           works: list[KnownWork] | None = None) -> Ingest:
    """Parse ``text``; with ``select`` (a store's SELECT), match works and find mentions."""
    document = markdown.parse(text)
    citations = [c for note in document.footnotes for c in cit.parse_note(note.raw, note.label)]
    cit.resolve(citations)
    result = Ingest(paper_id, document, citations, dedupe(citations))
    if select is not None:
        works = known_works(select) if works is None else works
        for i, group in enumerate(result.groups):
            result.matches[i] = match(_best(group), works)
        paragraphs = [(p.section, markdown.normalise(p.text))
                      for p in document.paragraphs if not p.pull_quote]
        result.mentions = mentions(paragraphs, known_labels(select))
    return result


def _best(group: list[cit.Citation]) -> cit.Citation:
    """The citation of a group that prints most of the work (not an ibid.)."""
    return max(group, key=lambda c: (c.refers_to is None, len(c.fields)))
