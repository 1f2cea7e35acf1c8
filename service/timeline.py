"""``GET /timeline``: the graph's dated events, agreements, policies and documents on a
time axis, each with where the papers say so (:mod:`alliancegraph.graph.timeline`), as a
page or as JSON (``?format=json`` or ``Accept: application/json``). ``?paper=paper-a`` and
``?kind=event`` narrow it; an unknown value is a 400 naming the parameter."""

from __future__ import annotations

import json

from alliancegraph.errors import BadRequest
from alliancegraph.graph.timeline import KINDS, Timeline, timeline
from alliancegraph.service import cache, negotiation
from alliancegraph.service.linkeddata import base_iri
from alliancegraph.service.resources import get_store
from alliancegraph.store.formats import HTML, JSON
from flask import Blueprint, Response, render_template, request

bp = Blueprint("timeline", __name__)

#: a page first (a browser and ``*/*``), JSON to scripts that ask for it
OFFERS = (HTML, JSON)


def whole_timeline() -> Timeline:
    """Every dated item, computed once per store generation (filters applied after)."""
    return cache.cached("timeline", lambda: timeline(get_store(), base_iri=base_iri()))


def one_value(name: str) -> str | None:
    """The parameter's one value (None when absent or empty); a 400 for several."""
    values = [v.strip() for v in request.args.getlist(name) if v.strip()]
    if len(values) > 1:
        raise BadRequest(f"parameter {name}: give one value, not {len(values)}")
    return values[0] if values else None


@bp.get("/timeline")
def timeline_view() -> Response:
    paper, kind = one_value("paper"), one_value("kind")
    fmt = negotiation.negotiate(request.headers.get("Accept"), OFFERS, params=request.args,
                                what="the timeline")
    whole = whole_timeline()
    shown = whole.filtered(paper=paper, kind=kind)
    if fmt is JSON:
        body = json.dumps({"paper": paper, "kind": kind, **shown.as_json()},
                          ensure_ascii=False, indent=2)
        response = Response(body, content_type=JSON.content_type)
    else:
        response = Response(render_template(
            "timeline.html", timeline=shown, whole=whole, paper=paper, kind=kind, kinds=KINDS),
            content_type=HTML.content_type)
    response.vary.add("Accept")
    return response
