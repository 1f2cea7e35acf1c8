"""Text search over the graph: labels and aliases, claims and quotes, footnote texts.

One SPARQL query over the store (so it works on every backend and is always in step with
its writes): the literals of :data:`FIELDS` that contain the searched text, compared case
by case folded (Oxigraph's ``LCASE``), as substrings — so Japanese and Korean text, which
has no spaces between words, is found as written. The hits are ranked here: a label before
a quote or a footnote, a whole match before a prefix before a substring, then the shorter
text. A hit on a blank node (a quote on an evidence node) is the entity pointing at it.

The query scans the literals of these properties, so its cost grows with the store; it
runs under the store's query time limit like any other query. Given a
:class:`~alliancegraph.graph.textindex.TextIndex` built from the store's current generation,
the same literals are found in it instead (SQLite FTS5, trigrams) and ranked the same way;
an index of an older generation is passed over (and :func:`search` says so, for the caller
to rebuild it), so a search always reflects the last write.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass

import pyoxigraph as ox
from alliancegraph.errors import BadRequest
from alliancegraph.graph.entity import LABEL_PROPERTIES, preferred_labels
from alliancegraph.graph.textindex import TextIndex
from alliancegraph.graph.vocabulary import ontology_namespace
from alliancegraph.store import Store

log = logging.getLogger(__name__)

#: the longest text searched for
MAX_TEXT = 200
#: the literals searched: property -> (weight, what the field is called on a hit)
LABEL_FIELDS = {iri: (3, "label") for iri in LABEL_PROPERTIES}


def fields(base_iri: str) -> dict[str, tuple[int, str]]:
    """The properties searched, with their weight and name (labels weigh most)."""
    ag = ontology_namespace(base_iri)
    return {**LABEL_FIELDS, f"{ag}quote": (2, "quote"), f"{ag}paraphrase": (2, "claim"),
            f"{ag}fullText": (1, "footnote text")}


@dataclass(frozen=True)
class Hit:
    """One entity found: its IRI and label, the field and text that matched."""

    iri: str
    label: str
    field: str
    text: str
    score: tuple[int, int, int]  # higher first: weight, how whole the match, -length

    def as_json(self) -> dict[str, str]:
        return {"iri": self.iri, "label": self.label, "field": self.field, "text": self.text}


def search(store: Store, text: str, *, base_iri: str, limit: int = 50,
           index: TextIndex | None = None) -> list[Hit]:
    """The entities whose searched literals contain ``text``, best first, one hit each
    (found in ``index`` when it holds the store's current generation). BadRequest for an
    empty text or one over :data:`MAX_TEXT` characters."""
    return found(store, text, base_iri=base_iri, limit=limit, index=index)[0]


def found(store: Store, text: str, *, base_iri: str, limit: int = 50,
          index: TextIndex | None = None) -> tuple[list[Hit], bool]:
    """:func:`search`'s hits, and whether ``index`` was used (False: it was missing or
    of another generation than the store's — the caller may rebuild it)."""
    needle = " ".join(text.split())
    if not needle:
        raise BadRequest("search for what? give some text (parameter q)")
    if len(needle) > MAX_TEXT:
        raise BadRequest(f"the search text is {len(needle)} characters; at most {MAX_TEXT}")
    searched = fields(base_iri)
    indexed = index is not None and index.generation() == store.generation()
    matches = None
    if indexed and index is not None:
        try:
            matches = index.find(needle, searched)
        except sqlite3.Error:  # a broken file, a text the index cannot take: the store
            log.exception("the text index %s failed on %r; searching the store",
                          index.path, needle)
            indexed = False
    if matches is None:
        matches = _store_matches(store, needle, searched)
    best: dict[str, Hit] = {}
    for iri, predicate, value in matches:
        weight, field = searched[predicate]
        hit = Hit(iri, "", field, value, (weight, _wholeness(value, needle), -len(value)))
        if iri not in best or hit.score > best[iri].score:
            best[iri] = hit
    ranked = sorted(best.values(), key=lambda h: (h.score, h.iri), reverse=True)[:limit]
    labels = _labels(store, [h.iri for h in ranked])
    return [Hit(h.iri, labels.get(h.iri, h.iri), h.field, h.text, h.score)
            for h in ranked], indexed


def _store_matches(store: Store, needle: str, searched: dict[str, tuple[int, str]]
                   ) -> list[tuple[str, str, str]]:
    """``(entity IRI, property, text)`` of the literals holding ``needle``, from the store."""
    matches = []
    for subject, predicate, literal, owner in store.select(_query(needle, searched)).rows:
        iri = owner if isinstance(subject, ox.BlankNode) else subject
        if isinstance(iri, ox.NamedNode) and isinstance(literal, ox.Literal):
            matches.append((iri.value, predicate.value, literal.value))
    return matches


def _query(needle: str, searched: dict[str, tuple[int, str]]) -> str:
    """The literals of ``searched`` holding ``needle`` (case folded), with the IRI that
    points at a blank-node holder."""
    values = " ".join(f"<{iri}>" for iri in searched)
    wanted = str(ox.Literal(needle.lower()))  # written as N-Triples: quotes escaped
    return f"""SELECT ?s ?p ?text ?owner WHERE {{
  VALUES ?p {{ {values} }}
  ?s ?p ?text .
  FILTER(isLiteral(?text) && CONTAINS(LCASE(STR(?text)), {wanted}))
  OPTIONAL {{ FILTER(isBlank(?s)) ?owner ?via ?s . FILTER(isIRI(?owner)) }}
}} LIMIT 2000"""


def _wholeness(value: str, needle: str) -> int:
    """2: the whole text, 1: its start (or a word's), 0: somewhere inside."""
    folded, wanted = value.lower(), needle.lower()
    if folded == wanted:
        return 2
    at = folded.find(wanted)
    return 1 if at == 0 or (at > 0 and not folded[at - 1].isalnum()) else 0


def _labels(store: Store, iris: list[str]) -> dict[str, str]:
    if not iris:
        return {}
    values = " ".join(f"<{iri}>" for iri in iris)
    properties = " ".join(f"<{p}>" for p in LABEL_PROPERTIES)
    rows = store.select(f"SELECT ?r ?p ?l WHERE {{ VALUES ?r {{ {values} }} "
                        f"VALUES ?p {{ {properties} }} ?r ?p ?l }}")
    return preferred_labels(dict(zip(rows.variables, row, strict=True)) for row in rows.rows)


def snippet(text: str, needle: str, width: int = 160) -> tuple[str, str, str]:
    """``text`` around the first match of ``needle``, as (before, match, after): what a page
    shows with the match highlighted."""
    wanted = " ".join(needle.split()).lower()
    at = text.lower().find(wanted) if wanted else -1
    if at < 0:
        return (text[:width], "", "")
    end = at + len(" ".join(needle.split()))
    start = max(0, at - (width - (end - at)) // 2)
    before = ("…" if start else "") + text[start:at]
    after = text[end:end + width - (end - start)]
    return before, text[at:end], after + ("…" if end + len(after) < len(text) else "")
