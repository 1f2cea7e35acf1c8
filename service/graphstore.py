"""The SPARQL 1.1 Graph Store HTTP Protocol at ``/rdf-graph-store``: indirect graph
identification (``?default`` or ``?graph=<IRI>``) and direct identification
(``/rdf-graph-store/<path>`` is the graph ``<base_iri>rdf-graph-store/<path>``).

GET/HEAD read a graph in any RDF syntax the client accepts; PUT replaces, POST merges
(a ``multipart/form-data`` POST merges every part), DELETE drops. A POST to the store
itself creates a new graph and answers 201 with its IRI in ``Location``. Writes need
the write token and are atomic (one store operation each).
"""

from __future__ import annotations

import uuid

import pyoxigraph as ox
from alliancegraph.errors import BadRequest, ParseError, UnsupportedMediaType
from alliancegraph.service import negotiation
from alliancegraph.service.resources import get_store
from alliancegraph.service.security import no_content, require_write_token
from alliancegraph.store.rdfxml import check_rdf_xml
from flask import Blueprint, Response, current_app, request

bp = Blueprint("graphstore", __name__)

GSP_SPEC = "https://www.w3.org/TR/sparql11-http-rdf-update/"
_NEW = object()  # "no graph named": a POST creates one
METHODS = ["GET", "PUT", "POST", "DELETE"]


@bp.route("/rdf-graph-store", methods=METHODS)
@bp.route("/rdf-graph-store/<path:path>", methods=METHODS)
def graph_store(path: str | None = None) -> Response:
    target = _target_graph() if path is None else _direct_graph(path)
    if request.method in ("GET", "HEAD"):  # Flask answers HEAD with the GET view
        return _get(target)
    require_write_token()
    if target is _NEW:
        return _create()
    if request.method == "DELETE":
        get_store().delete_graph(target)
        return no_content()
    data, fmt = _body()
    write = get_store().put_graph if request.method == "PUT" else get_store().post_graph
    created = write(target, data, media_type=fmt.media_type, base_iri=target or request.base_url)
    return no_content(201 if created else 204)


def _target_graph() -> str | object | None:
    """``None`` for the default graph, the graph IRI, or ``_NEW`` (POST to the store)."""
    graphs = request.args.getlist("graph")
    has_default = "default" in request.args
    if has_default and graphs:
        raise BadRequest("use either ?default or ?graph=, not both", spec=GSP_SPEC)
    if len(graphs) > 1:
        raise BadRequest("exactly one ?graph= parameter is allowed", spec=GSP_SPEC)
    if has_default:
        return None
    if not graphs:
        if request.method == "POST":
            return _NEW
        raise BadRequest("name the graph with ?graph=<IRI>, or ?default for the default graph",
                         spec=GSP_SPEC)
    try:
        return ox.NamedNode(graphs[0]).value
    except ValueError as exc:
        raise BadRequest(f"?graph= is not an absolute IRI: {graphs[0]!r} ({exc})",
                         spec=GSP_SPEC) from exc


def _direct_graph(path: str) -> str:
    """Direct identification: ``/rdf-graph-store/<path>`` names the graph
    ``<base_iri>rdf-graph-store/<path>`` (the service maps its paths onto the base IRI,
    so the graph's IRI resolves to this very resource on the canonical host)."""
    if "graph" in request.args or "default" in request.args:
        raise BadRequest("a graph named by its path takes no ?graph= or ?default",
                         spec=GSP_SPEC)
    iri = f"{current_app.config['BASE_IRI']}rdf-graph-store/{path}"
    try:
        return ox.NamedNode(iri).value
    except ValueError as exc:
        raise BadRequest(f"the path does not make a valid graph IRI: {iri!r} ({exc})",
                         spec=GSP_SPEC) from exc


def _get(target: str | object | None) -> Response:
    fmt = negotiation.negotiate(request.headers.get("Accept"), negotiation.OFFERS["graph"],
                                format_param=request.args.get("format"), what="a graph")
    body = get_store().get_graph(target, media_type=fmt.media_type)
    response = Response(body, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


def _create() -> Response:
    """POST to the store itself: a new graph under the base IRI (POSTGraphCreation)."""
    name = f"{current_app.config['BASE_IRI']}graph/upload/{uuid.uuid4()}"
    data, fmt = _body()
    get_store().put_graph(name, data, media_type=fmt.media_type, base_iri=name)
    response = no_content(201)
    response.headers["Location"] = name
    return response


def _body() -> tuple[bytes, negotiation.Format]:
    """The RDF in the request, checked: a known syntax, no XML DOCTYPE. A multipart body
    is merged into one N-Triples document so the write stays one atomic operation."""
    if request.mimetype == "multipart/form-data":
        return _merge_parts(), negotiation.N_TRIPLES
    # the store parses it (and checks RDF/XML before it does: alliancegraph.store.rdfxml)
    return request.get_data(), negotiation.rdf_input_format(request.content_type)


def _merge_parts() -> bytes:
    if request.form:
        raise UnsupportedMediaType(
            "every part of a multipart/form-data body must be a file with its own "
            f"Content-Type; got plain fields: {', '.join(request.form)}", spec=GSP_SPEC)
    if not request.files:
        raise BadRequest("the multipart/form-data body has no parts", spec=GSP_SPEC)
    triples: list[ox.Triple] = []
    for field, part in request.files.items(multi=True):
        fmt = negotiation.rdf_input_format(part.content_type)
        data = part.read()
        if fmt is negotiation.RDF_XML:
            check_rdf_xml(data, source=f"part {field!r}")
        try:
            quads = ox.parse(data, format=fmt.oxigraph, base_iri=request.base_url,
                             without_named_graphs=True, rename_blank_nodes=True)
            triples += [quad.triple for quad in quads]
        except (SyntaxError, ValueError) as exc:  # ValueError: bytes that are not UTF-8
            raise ParseError(str(exc), source=f"part {field!r}") from exc
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
