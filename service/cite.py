"""``GET /cite?iri=…&format=bibtex|csl-json``: how to cite a work of the graph, as a file
to import into a reference manager (:mod:`alliancegraph.graph.cite`)."""

from __future__ import annotations

import json

from alliancegraph.errors import BadRequest, NotFound
from alliancegraph.graph.cite import bibtex, csl_json, key
from alliancegraph.graph.entity import can_be_iri
from alliancegraph.service import cache
from alliancegraph.service.linkeddata import base_iri
from alliancegraph.service.resources import get_store
from flask import Blueprint, Response, request

bp = Blueprint("cite", __name__)

#: format -> (media type, file suffix)
FORMATS = {"csl-json": ("application/vnd.citationstyles.csl+json", "json"),
           "bibtex": ("application/x-bibtex", "bib")}


def record(iri: str) -> dict | None:
    """The work's CSL-JSON record (None: not a work), kept per store generation."""
    return cache.cached(f"cite\0{iri}", lambda: csl_json(get_store(), iri,
                                                          base_iri=base_iri()))


@bp.get("/cite")
def cite_view() -> Response:
    iri = request.args.get("iri", "").strip()
    fmt = request.args.get("format", "csl-json")
    if not iri:
        raise BadRequest("which work? give its IRI (parameter iri)")
    if fmt not in FORMATS:
        raise BadRequest(f"format must be one of {', '.join(FORMATS)}")
    if not can_be_iri(iri):
        raise BadRequest(f"<{iri}> is not an IRI")
    found = record(iri)
    if found is None:
        raise NotFound(f"<{iri}> is no work of this graph (a paper, article, book, "
                       "chapter, report or web page)")
    media_type, suffix = FORMATS[fmt]
    body = bibtex(found) if fmt == "bibtex" else json.dumps([found], ensure_ascii=False,
                                                            indent=2)
    response = Response(body, content_type=f"{media_type}; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{key(found)}.{suffix}"'
    return response
