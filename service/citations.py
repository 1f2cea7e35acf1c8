"""``GET /citations``: what the papers cite (:mod:`alliancegraph.graph.citations`): each
paper's footnotes in order with the works they cite, the citations by work, and charts of
the most-cited works and authors; ``?paper=paper-a`` for one paper. A page, or JSON
(``?format=json`` or ``Accept: application/json``); an unknown paper is a 400 naming the
parameter. One paper's view is ``citation_view.html`` (a macro a paper's page can call)."""

from __future__ import annotations

import json

from alliancegraph.errors import BadRequest
from alliancegraph.graph.citations import CitationViews, citation_views
from alliancegraph.service import cache, negotiation
from alliancegraph.service.linkeddata import base_iri
from alliancegraph.service.resources import get_store
from alliancegraph.service.timeline import one_value
from alliancegraph.store.formats import HTML, JSON
from flask import Blueprint, Response, render_template, request

bp = Blueprint("citations", __name__)

#: a page first (a browser and ``*/*``), JSON to scripts that ask for it
OFFERS = (HTML, JSON)


def all_views() -> CitationViews:
    """Every paper's citation view, computed once per store generation."""
    return cache.cached("citations", lambda: citation_views(get_store(), base_iri=base_iri()))


@bp.get("/citations")
def citations_view() -> Response:
    paper = one_value("paper")
    fmt = negotiation.negotiate(request.headers.get("Accept"), OFFERS, params=request.args,
                                what="the citations")
    views = all_views()
    chosen = views.paper(paper) if paper is not None else None
    if paper is not None and chosen is None:
        known = ", ".join(v.paper_id for v in views.papers)
        raise BadRequest(f"parameter paper: no paper {paper!r} (one of {known})")
    if fmt is JSON:
        answer = chosen.as_json() if chosen is not None else views.as_json()
        response = Response(json.dumps(answer, ensure_ascii=False, indent=2),
                            content_type=JSON.content_type)
    else:
        response = Response(render_template("citations.html", views=views, chosen=chosen),
                            content_type=HTML.content_type)
    response.vary.add("Accept")
    return response
