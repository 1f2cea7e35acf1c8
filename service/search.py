"""``GET /search?q=…``: the graph's text search (:mod:`alliancegraph.graph.search`) as a page
of the site or as JSON (``Accept: application/json`` or ``?format=json``, for scripts)."""

from __future__ import annotations

import json

from alliancegraph.graph.search import MAX_TEXT, Hit, fields, found, snippet
from alliancegraph.graph.textindex import refresh
from alliancegraph.service import cache, negotiation
from alliancegraph.service.linkeddata import base_iri
from alliancegraph.service.resources import get_store, get_text_index
from alliancegraph.store.formats import HTML, JSON
from flask import Blueprint, Response, render_template, request

bp = Blueprint("search", __name__)

#: a page to people, JSON to scripts (the first offer is the answer to ``*/*``)
OFFERS = (JSON, HTML)


@bp.get("/search")
def search_view() -> Response:
    text = request.args.get("q", "")
    fmt = negotiation.negotiate(request.headers.get("Accept"), OFFERS, params=request.args,
                                what="the search results")
    if fmt is HTML and not text.strip():  # the page with only the box
        return _page(text, None)
    hits = _search(text)
    if fmt is JSON:
        body = json.dumps({"q": text, "hits": [h.as_json() for h in hits]},
                          ensure_ascii=False, indent=2)
        response = Response(body, content_type=JSON.content_type)
        response.vary.add("Accept")
        return response
    return _page(text, hits)


def _search(text: str, limit: int = 50) -> list[Hit]:
    """The hits, from the text index when it holds the store's generation; else from the
    store, and the index rebuilt in the background (the next search uses it)."""
    store, index = get_store(), get_text_index()
    hits, indexed = found(store, text, base_iri=base_iri(), limit=limit, index=index)
    if index is not None and not indexed:
        refresh(index, store, fields(base_iri()))
    return hits


def _page(text: str, hits: list[Hit] | None) -> Response:
    shown = None if hits is None else [(h, snippet(h.text, text)) for h in hits]
    response = Response(render_template("search.html", q=text, hits=shown),
                        content_type=HTML.content_type)
    response.vary.add("Accept")
    return response


def suggestions(words: str, limit: int = 5) -> list[Hit]:
    """What a not-found page offers for the words of a missing IRI: the entities found for
    all of them, then for the most of its words (each also less its last letter: a typing
    slip); none for words under three characters. Kept per store generation, as the 404
    itself is."""
    return list(cache.cached(f"suggestions\0{words}\0{limit}",
                             lambda: tuple(_suggested(words, limit))))


#: the words of a missing IRI that are searched (its path is the client's: a long one
#: must not make one 404 cost many searches)
SUGGESTION_WORDS = 3


def _suggested(words: str, limit: int) -> list[Hit]:
    tries = [words] if len(words) <= MAX_TEXT else []
    for word in words.split()[:SUGGESTION_WORDS]:
        tries.append(word)
        if len(word) > 4:
            tries.append(word[:-1])
    tries = list(dict.fromkeys(tries))
    found: dict[str, Hit] = {}
    votes: dict[str, int] = {}
    for text in (t for t in tries if len(t) >= 3):
        for hit in _search(text, limit=20):
            found.setdefault(hit.iri, hit)
            votes[hit.iri] = votes.get(hit.iri, 0) + (len(tries) if text == words else 1)
    ranked = sorted(found, key=lambda iri: -votes[iri])  # stable: search order in a tie
    return [found[iri] for iri in ranked[:limit]]
