"""``GET /network``: the network of security relations as an interactive picture.

The page hands the query of :mod:`alliancegraph.graph.network` to its script
(``static/network.js``), which runs it against this service's ``/sparql`` and draws the
answer with Cytoscape.js; the same relations are rendered here as a table, for readers
without JavaScript. Filters are query parameters (``paper``, ``relation``, ``intensity``,
each repeatable), so the form works without the script too; an unknown value is a 400.

Entity pages include ``neighbourhood.html``, which asks :func:`neighbourhood` (a template
global) whether the entity has relations and, if so, for the script's settings.
"""

from __future__ import annotations

from typing import Any

from alliancegraph.errors import BadRequest
from alliancegraph.graph.entity import Description, can_be_iri
from alliancegraph.graph.network import (
    NO_INTENSITY,
    PAPERS,
    RELATIONS,
    Network,
    choose,
    kind_of,
    may_relate,
    network_query,
    read_network,
)
from alliancegraph.graph.vocabulary import graph_iri
from alliancegraph.service import cache
from alliancegraph.service.linkeddata import base_iri
from alliancegraph.service.resources import get_store
from alliancegraph.store.formats import HTML
from flask import Blueprint, Response, render_template, request

bp = Blueprint("network", __name__)

#: The filters (query parameters) the page takes.
PARAMETERS = ("paper", "relation", "intensity")
#: Relations left out unless asked for: the cooperation areas would double the picture's
#: nodes and crowd out the actors.
HIDDEN_BY_DEFAULT = frozenset({"cooperation"})


def whole_network() -> Network:
    """Every relation in the store, once per store generation."""
    base = base_iri()
    return cache.cached("network", lambda: read_network(get_store(), base))


def script_settings(mode: str, query: str, **extra: Any) -> dict[str, Any]:
    """What ``network.js`` needs: where to send the query, how IRIs map to paths here."""
    return {"mode": mode, "query": query, "endpoint": f"{request.script_root}/sparql",
            "base": base_iri(), "root": request.script_root, "relations": RELATIONS,
            "papers": {key: graph_iri(key, base_iri()) for key in PAPERS}, **extra}


@bp.get("/network")
def network_view() -> Response:
    unknown = sorted(set(request.args) - set(PARAMETERS))
    if unknown:
        raise BadRequest(f"unknown parameter {unknown[0]!r}; the filters are "
                         f"{', '.join(PARAMETERS)}")
    full = whole_network()
    intensities = full.intensities()
    papers = choose(request.args.getlist("paper"), PAPERS, "paper") or list(PAPERS)
    relations = (choose(request.args.getlist("relation"), RELATIONS, "relation")
                 or [key for key in RELATIONS if key not in HIDDEN_BY_DEFAULT])
    known_intensities = {**intensities, NO_INTENSITY: "not stated"}
    chosen_intensities = (choose(request.args.getlist("intensity"), known_intensities,
                                 "intensity") or list(known_intensities))
    shown = full.filtered(papers, relations, chosen_intensities)
    settings = script_settings("network", network_query(base_iri()), papers_checked=papers,
                               relations_checked=relations,
                               intensities_checked=chosen_intensities)
    html = render_template("network.html", network=shown, total=len(full.edges),
                           papers=PAPERS, relations=RELATIONS, intensities=known_intensities,
                           paper_iris={key: f"{base_iri()}id/{key}" for key in PAPERS},
                           papers_checked=papers, relations_checked=relations,
                           intensities_checked=chosen_intensities, settings=settings)
    return Response(html, content_type=HTML.content_type)


@bp.app_template_global("neighbourhood")
def neighbourhood(iri: str | None, description: Description | None = None
                  ) -> dict[str, Any] | None:
    """The script's settings for the picture of ``iri``'s one-hop neighbourhood; None when
    it has no relation (no picture). Given the page's ``description``, that is decided from
    it without a store call (an entity page reads the store twice, no more); the script
    hides the box when the query finds nothing after all."""
    if not iri or not can_be_iri(iri):
        return None
    if description is not None and description.iri == iri:
        if not may_relate(description):
            return None
    elif not any(iri in (e.source, e.target) for e in whole_network().edges):
        return None
    return {"settings": script_settings("neighbourhood", network_query(base_iri(), iri),
                                        focus=iri, relations_checked=_neighbourhood_relations(iri))}


def _neighbourhood_relations(iri: str) -> list[str]:
    """The relations /network shows at first, and the cooperation areas on an area's own
    page (the only relation it has)."""
    shown = [key for key in RELATIONS if key not in HIDDEN_BY_DEFAULT]
    return list(RELATIONS) if kind_of(iri, base_iri()) == "cooperation" else shown
