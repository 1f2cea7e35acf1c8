"""The SPARQL 1.1 Graph Store HTTP Protocol at ``/rdf-graph-store``: indirect graph
identification (``?default`` or ``?graph=<IRI>``) and direct identification
(``/rdf-graph-store/<path>`` is the graph ``<base_iri>rdf-graph-store/<path>``).

GET/HEAD read a graph in any RDF syntax the client accepts; PUT replaces, POST merges
(a ``multipart/form-data`` POST merges every part), DELETE drops. A POST to the store
itself creates a new graph and answers 201 with its IRI in ``Location``. Writes need
the write token and are atomic (one store operation each); 201 or 204 is what the store
says the write did (:attr:`Applied.created`). Bodies are parsed by the store's one upload
parser (:func:`alliancegraph.store.rdf_input.parse_rdf`).

**The bulk path**: a POST to the store itself with a dataset body (N-Quads or TriG) is a
bulk load of the dataset (the GSP leaves a dataset POST undefined; a triple body keeps
its GSP meaning, a new graph). The body is streamed into a staging file with the limit
``max_load_bytes`` (chunked bodies too: 413), named graphs kept, then written as one
change exactly as ``alliancegraph load`` does (:mod:`alliancegraph.store.bulk`): the
entailments merged into graph/inferred, validated when validation on write is on. The
answer is a JSON report (quads per graph, inferred quads, generation): 201 when it
created a named graph, else 200. A refusal (400, 413, 415, 422) writes nothing.
"""

from __future__ import annotations

import uuid

import pyoxigraph as ox
from alliancegraph.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from alliancegraph.service import negotiation
from alliancegraph.service.resources import get_store
from alliancegraph.service.security import no_content, require_write_token
from alliancegraph.store import Applied, MergeGraph, ReplaceGraph, bulk, formats
from alliancegraph.store.rdf_input import parse_rdf
from flask import Blueprint, Response, current_app, jsonify, request

bp = Blueprint("graphstore", __name__)

GSP_SPEC = "https://www.w3.org/TR/sparql11-http-rdf-update/"
_NEW = object()  # "no graph named": a POST creates one
METHODS = ["GET", "PUT", "POST", "DELETE"]
GSP_PATH = "/rdf-graph-store"
#: the syntaxes a POST to the store bulk-loads as a dataset
BULK_SYNTAXES = (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)


@bp.route(GSP_PATH, methods=METHODS)
@bp.route("/rdf-graph-store/<path:path>", methods=METHODS)
def graph_store(path: str | None = None) -> Response:
    target = _target_graph() if path is None else _direct_graph(path)
    if request.method in ("GET", "HEAD"):  # Flask answers HEAD with the GET view
        return _get(target)
    require_write_token()
    if target is _NEW:
        if is_bulk_request():
            return _bulk_load(formats.rdf_input(media_type=request.content_type or ""))
        return _create()
    if request.method == "DELETE":
        get_store().delete_graph(target)
        return no_content()
    applied = _write(target, replace=request.method == "PUT", base_iri=target or request.base_url)
    return no_content(201 if applied.created else 204)


def _write(target: str | None, *, replace: bool, base_iri: str) -> Applied:
    """Replace or merge the request's RDF into ``target``, as one write."""
    store = get_store()
    if request.mimetype == "multipart/form-data":
        quads = _parts(target)
        return store.apply(ReplaceGraph(target, quads) if replace else MergeGraph(target, quads))
    fmt = formats.rdf_input(media_type=request.content_type or "")
    write = store.put_graph if replace else store.post_graph
    return write(target, request.get_data(), media_type=fmt.media_type, base_iri=base_iri)


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
    fmt = negotiation.negotiate(request.headers.get("Accept"), formats.OFFERS["graph"],
                                format_param=request.args.get("format"), what="a graph")
    body = get_store().get_graph(target, media_type=fmt.media_type)
    response = Response(body, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


def _create() -> Response:
    """POST to the store itself: a new graph under the base IRI (POSTGraphCreation)."""
    name = f"{current_app.config['BASE_IRI']}graph/upload/{uuid.uuid4()}"
    _write(name, replace=True, base_iri=name)
    response = no_content(201)
    response.headers["Location"] = name
    return response


def is_bulk_request() -> bool:
    """Whether this request is a bulk load: a POST of N-Quads or TriG to the store itself.
    Its body is the view's to stream (with ``max_load_bytes``), not a buffered one."""
    if request.method != "POST" or request.path.rstrip("/") != GSP_PATH:
        return False
    if "graph" in request.args or "default" in request.args:
        return False
    fmt = formats.by_media_type(request.mimetype) if request.mimetype else None
    return fmt is not None and fmt.oxigraph in BULK_SYNTAXES


def _bulk_load(fmt: formats.Format) -> Response:
    """POST of a dataset to the store: one bulk load (see the module)."""
    store = get_store()
    settings = current_app.config["SETTINGS"]
    limit = int(settings.max_load_bytes)
    if (request.content_length or 0) > limit:
        raise PayloadTooLarge(f"the request body is larger than the limit of {limit} bytes "
                              "(setting max_load_bytes); nothing was written")
    # werkzeug's own limit (max_body_bytes otherwise) one byte beyond ours, so that ours,
    # with its message, meets a chunked body first
    request.max_content_length = limit + 1
    with bulk.stage_stream(request.stream, fmt, bulk.staging_directory(store),
                           base_iri=current_app.config["BASE_IRI"], limit=limit) as staged:
        _check_whole(staged.bytes_read)
        existing = set(store.graph_names())  # one read, not one per graph
        created = any(name is not None and name not in existing for name in staged.graphs)
        report = bulk.load(store, staged, base_iri=settings.base_iri)
    response = jsonify(report.as_json())
    response.status_code = 201 if created else 200
    return response


def _check_whole(received: int) -> None:
    """Refuse a streamed body shorter than its Content-Length: the client went away
    mid-body (the server then ends the stream early and silently), and a cut at a line end
    would otherwise load as if it were all."""
    expected = request.content_length
    if expected is not None and received != expected:
        raise BadRequest(f"the body has {received} bytes, not the {expected} its "
                         "Content-Length announced; nothing was written", spec=GSP_SPEC)


def _parts(graph: str | None) -> tuple[ox.Quad, ...]:
    """Every part of a multipart/form-data body, parsed (each by its own Content-Type) into
    ``graph``; a blank node of one part is never one of another part."""
    if request.form:
        raise UnsupportedMediaType(
            "every part of a multipart/form-data body must be a file with its own "
            "Content-Type; got plain fields: "
            f"{', '.join(repr(name or '') for name in request.form)}", spec=GSP_SPEC)
    if not request.files:
        raise BadRequest("the multipart/form-data body has no parts", spec=GSP_SPEC)
    quads: list[ox.Quad] = []
    for field, part in request.files.items(multi=True):
        fmt = formats.rdf_input(media_type=part.content_type or "")
        parsed = parse_rdf(part.read(), fmt.media_type, graph=graph,
                           base_iri=request.base_url, source=f"part {field!r}")
        quads += _own_blank_nodes(parsed)
    return tuple(quads)


def _own_blank_nodes(quads: list[ox.Quad]) -> list[ox.Quad]:
    """The quads with fresh blank nodes: ``_:b`` in two parts names two nodes."""
    fresh: dict[str, ox.BlankNode] = {}

    def term(node):
        if isinstance(node, ox.BlankNode):
            return fresh.setdefault(node.value, ox.BlankNode())
        return node

    return [ox.Quad(term(q.subject), q.predicate, term(q.object), q.graph_name) for q in quads]
