"""The SPARQL 1.1 Protocol at ``/sparql``: queries (GET, POST form, POST
``application/sparql-query``), updates (POST form, POST ``application/sparql-update``),
and the service description when the endpoint itself is asked for RDF.

The view only reads the protocol request; the store parses, runs (on Oxigraph, in a
process it can stop) and serialises; :mod:`.negotiation` picks the format. The engine's
own serialisation is sent as it is (no re-parsing here). A query's answer is kept for the
store generation (:mod:`.cache`): repeated queries between two writes are answered from
the cache, and a GET with the ETag of the last answer gets 304.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyoxigraph as ox
from alliancegraph.errors import BadRequest, UnsupportedMediaType
from alliancegraph.service import cache, describe, negotiation
from alliancegraph.service.logs import query_hash
from alliancegraph.service.resources import get_store
from alliancegraph.service.security import (
    mark_cors_read,
    no_content,
    public_url,
    require_write_token,
)
from alliancegraph.store import Dataset, formats
from alliancegraph.store.sparql_guard import tokenize
from flask import Blueprint, Response, current_app, g, make_response, request

bp = Blueprint("sparql", __name__)

#: A view the query-UI blueprint may register (``app.extensions[SPARQL_UI]``) to answer
#: browsers (HTML preferred, no format parameter) that GET ``/sparql``: called with the
#: query they GET (a :class:`ProtocolRequest`, to fill in and run) or ``None``. Without
#: it browsers get the service description, or the results as any client.
SPARQL_UI = "alliancegraph.sparql_ui"

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
PROTOCOL_SPEC = "https://www.w3.org/TR/sparql11-protocol/"


@dataclass(frozen=True)
class ProtocolRequest:
    """What a protocol request asks: a query or an update, and its dataset."""

    operation: str  # "query" or "update"
    text: str
    dataset: Dataset | None


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    if request.method == "GET" and not _has_operation():
        return _describe_or_ui()
    protocol_request = read_protocol_request()
    g.query_hash = query_hash(protocol_request.text)
    if protocol_request.operation == "update":
        return _update(protocol_request)
    # a "run" link followed by a browser: the UI runs the query and shows the results,
    # rather than the browser saving SPARQL XML as a file named "sparql"
    if request.method == "GET" and (ui := _browser_ui(_QUERY_OFFERS)) is not None:
        return _ui_response(ui, protocol_request)
    mark_cors_read()
    return _query(protocol_request)


def _has_operation() -> bool:
    return "query" in request.args or "update" in request.args


#: Whatever a query may be answered in, whichever its form (the form is not known yet
#: when deciding whether a browser should get the UI instead).
_QUERY_OFFERS = tuple(dict.fromkeys(
    f for form in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE") for f in formats.OFFERS[form]))


def _browser_ui(offers: Sequence[formats.Format]) -> Callable[..., Response] | None:
    """The query UI view when the client is a browser: it prefers HTML over every one of
    ``offers`` and names no format (``?format=csv`` in a browser means the CSV)."""
    ui = current_app.extensions.get(SPARQL_UI)
    if ui is None or negotiation.format_values(request.args):
        return None
    wanted = negotiation.wants_page(request.args, request.headers.get("Accept"), offers)
    return ui if wanted else None


def _ui_response(ui: Callable[..., Response], initial: ProtocolRequest | None) -> Response:
    response = make_response(ui(initial))
    response.vary.add("Accept")
    return response


def _query(protocol_request: ProtocolRequest) -> Response:
    store = get_store()
    text, dataset = protocol_request.text, protocol_request.dataset
    form = store.query_form(text)
    # request.values: SPARQLWrapper puts its format parameters in the body of a form POST
    fmt = negotiation.negotiate(request.headers.get("Accept"), formats.OFFERS[form],
                                params=request.values, what=f"the {form} query")
    base = request.base_url

    def run() -> bytes:
        return store.query(text, media_type=fmt.media_type, dataset=dataset,
                           base_iri=base).body

    if not repeatable(text):
        body = run()
        response = Response(body, status=200, content_type=fmt.content_type)
        response.vary.add("Accept")
        return response
    # everything the answer depends on besides the store's state
    key = f"sparql\0{fmt.content_type}\0{base}\0{dataset!r}\0{text}"
    if (unchanged := cache.not_modified(key)) is not None:
        return unchanged
    body = cache.cached(key, run)
    return cache.finish(Response(body, status=200, content_type=fmt.content_type), key)


#: SPARQL functions whose value differs between two runs of one query on one state
VOLATILE_FUNCTIONS = frozenset({"NOW", "RAND", "UUID", "STRUUID", "BNODE"})


def repeatable(text: str) -> bool:
    """Whether two runs of the query on the same store state give the same answer (it
    calls none of :data:`VOLATILE_FUNCTIONS` and no remote ``SERVICE``, whose data can
    change under us), so that the answer may be cached."""
    return not any(token.keyword in VOLATILE_FUNCTIONS or token.keyword == "SERVICE"
                   for token in tokenize(text))


def _update(protocol_request: ProtocolRequest) -> Response:
    require_write_token()
    get_store().update(protocol_request.text, dataset=protocol_request.dataset,
                       base_iri=request.base_url)
    return no_content()


def _describe_or_ui() -> Response:
    offers = formats.OFFERS["graph"]
    # HTML only when preferred: a browser gets the UI, `*/*` (curl) the description
    ui = _browser_ui(offers)
    if ui is not None:
        return _ui_response(ui, None)
    fmt = negotiation.negotiate(request.headers.get("Accept"), offers, params=request.args,
                                what="the service description")
    # the configured public URL, not request.base_url: that would repeat the Host header
    endpoint_url = public_url() + "sparql"
    # the allow-list is described too: a restart with another one must not answer 304
    federation = " ".join(describe.federation_endpoints())
    key = f"service-description\0{fmt.content_type}\0{endpoint_url}\0{federation}"
    if (unchanged := cache.not_modified(key)) is not None:
        return unchanged
    body = cache.cached(key, lambda: describe.service_description(endpoint_url, fmt))
    return cache.finish(Response(body, status=200, content_type=fmt.content_type), key)


def read_protocol_request() -> ProtocolRequest:
    """Read a query or update request as the protocol defines it; 400/415 otherwise."""
    if request.method == "GET":
        if "update" in request.args:
            raise BadRequest("updates must be sent by POST, not GET", spec=PROTOCOL_SPEC)
        return ProtocolRequest("query", _single(request.args, "query"), _query_dataset())
    media_type = request.mimetype
    if media_type == FORM:
        params = request.form
        if "query" in params and "update" in params:
            raise BadRequest("send either 'query' or 'update', not both", spec=PROTOCOL_SPEC)
        if "update" in params:
            return ProtocolRequest("update", _single(params, "update"), _update_dataset())
        return ProtocolRequest("query", _single(params, "query"), _query_dataset())
    if media_type in (QUERY, UPDATE):
        text = _utf8_body()
        if media_type == QUERY:
            return ProtocolRequest("query", text, _query_dataset())
        return ProtocolRequest("update", text, _update_dataset())
    if not media_type:
        raise UnsupportedMediaType(
            f"a POST to /sparql needs a Content-Type: {FORM}, {QUERY} or {UPDATE}",
            spec=PROTOCOL_SPEC)
    raise UnsupportedMediaType(
        f"cannot read a SPARQL request from {media_type!r}; send {FORM}, {QUERY} or {UPDATE}",
        spec=PROTOCOL_SPEC)


def _single(params, name: str) -> str:
    values = params.getlist(name)
    if not values:
        raise BadRequest(f"missing the '{name}' parameter", spec=PROTOCOL_SPEC)
    if len(values) > 1:
        raise BadRequest(f"exactly one '{name}' parameter is allowed, got {len(values)}",
                         spec=PROTOCOL_SPEC)
    return values[0]


def _utf8_body() -> str:
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"the body must be UTF-8, not {charset}", spec=PROTOCOL_SPEC)
    try:
        return request.get_data().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the body is not valid UTF-8 (byte {exc.start})") from exc


def _dataset(default_name: str, named_name: str) -> Dataset | None:
    """Dataset parameters from the URL and, for form posts, the body. When any is given,
    they define the whole dataset (a missing kind is empty), overriding FROM/USING."""
    default = [_graph_iri(default_name, v) for v in request.values.getlist(default_name)]
    named = [_graph_iri(named_name, v) for v in request.values.getlist(named_name)]
    if not default and not named:
        return None
    return Dataset(default_graphs=tuple(default), named_graphs=tuple(named))


def _graph_iri(parameter: str, value: str) -> str:
    try:
        return ox.NamedNode(value).value
    except ValueError as exc:
        raise BadRequest(f"{parameter}={value!r} is not an absolute IRI ({exc})",
                         spec=PROTOCOL_SPEC) from exc


def _query_dataset() -> Dataset | None:
    return _dataset("default-graph-uri", "named-graph-uri")


def _update_dataset() -> Dataset | None:
    return _dataset("using-graph-uri", "using-named-graph-uri")
