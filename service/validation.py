"""Validation over HTTP: ``POST /validate`` and ``GET /shapes``.

``GET /validate`` is the form of a page (paste or upload, syntax chosen or detected).
``POST /validate`` takes RDF in the body (syntax from ``Content-Type``) or a
``multipart/form-data`` upload (``data`` files and/or pasted ``text``, optional ``shapes``
files, optional ``format`` and ``inference`` fields), read by the one upload parser (N3 is
refused with 415, as everywhere); or, as a dry run, a SPARQL Update (``application/sparql-update``,
write token required): the store computes the update's delta and validates it as on a
real write (:meth:`alliancegraph.store.Store.dry_run`), without applying it.
The report is negotiated by the one negotiator (``format`` in the URL, then ``Accept``): a
JSON summary (default), the ``sh:ValidationReport`` in any RDF syntax, or a page of the
site listing each result with where its focus node is first written in the input.
The answer is 200 whenever validation ran; ``conforms`` says whether the data passed.

``GET /shapes`` (or ``/shapes.ttl``, ``.nt``, ``.jsonld``, ``.rdf``, ``.trig``, ``.nq``)
serves the bundled shapes in every RDF syntax, and to a browser (HTML preferred to every
RDF syntax, or ``/shapes.html``) as a page listing each shape by topic.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from alliancegraph.errors import BadRequest, NotAcceptable, UnsupportedMediaType
from alliancegraph.service import negotiation
from alliancegraph.service.resources import get_store
from alliancegraph.service.security import require_write_token
from alliancegraph.shapes.validate import (
    INFERENCE_CHOICES,
    SEVERITIES,
    Report,
    bundled_shapes_graph,
    parse_rdf_graph,
    render_path,
    report_from_wire,
    report_to_wire,
    shape_files,
    validate,
)
from alliancegraph.store import formats, limits
from alliancegraph.store.formats import HTML, JSON, Format
from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
)
from flask.blueprints import BlueprintSetupState
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import SH

bp = Blueprint("validation", __name__)


@bp.record_once
def _prepare(_state: BlueprintSetupState) -> None:
    """Read the bundled shapes when the app is made, once per process, never at request
    time: the shapes graph (validation, ``/shapes`` in RDF) and the page's topics."""
    bundled_shapes_graph()
    shape_topics()

#: The report: a JSON summary (the default), the sh:ValidationReport in every RDF syntax,
#: or a page (last: only a client preferring HTML gets it).
REPORT_OFFERS: tuple[Format, ...] = (JSON, *formats.OFFERS["graph"], HTML)
SHAPES_OFFERS = formats.OFFERS["graph"]
_SUFFIXES = {f.name: f for f in SHAPES_OFFERS}


# ------------------------------------------------------------------ POST /validate

@bp.route("/validate", methods=["GET"])
def validate_form() -> Response:
    """The form: paste or upload data (syntax chosen or detected), optional own shapes."""
    syntaxes = [(f.name, f.title) for f in formats.READABLE_RDF]
    html = render_template("validate.html", syntaxes=syntaxes, inference=INFERENCE_CHOICES)
    return Response(html, content_type=HTML.content_type)


@bp.route("/validate", methods=["POST"])
def validate_view() -> Response:
    content_type = (request.mimetype or "").lower()
    data: list[Upload] = []
    if content_type == "application/sparql-update":
        report = _dry_run()
    else:
        inference = _inference()
        if content_type == "multipart/form-data":
            data, shapes = _multipart()
        else:
            data, shapes = [_body()], []
        report = _validate_in_child(data, shapes, inference)
    return _render(report, data)


@dataclass(frozen=True)
class Upload:
    """One RDF document of the request, not parsed yet: parsing is work the request makes
    the service do, so it runs in the limited child with the validation."""

    data: bytes
    fmt: ox.RdfFormat
    source: str
    base: str
    #: the syntax was detected from the text (none was chosen, named or implied)
    detected: bool = False

    @property
    def syntax(self) -> str:
        return formats.by_media_type(self.fmt.media_type).title  # type: ignore[union-attr]


def _validate_in_child(data: list[Upload], shapes: list[Upload], inference: str) -> Report:
    """Parse and validate in a child process under the time limit and the memory cap
    (:mod:`alliancegraph.store.limits`): a catastrophic ``sh:pattern`` or an inference over a
    large upload is stopped, and the worker serves the next request at once."""
    settings = current_app.config["SETTINGS"]

    def work() -> tuple[bytes, bytes, dict | None]:
        data_graph = _parse(data)
        shapes_graph = _parse(shapes) if shapes else None
        report = validate(data_graph, shapes=shapes_graph,
                          inference=inference)  # type: ignore[arg-type]
        return report_to_wire(report)

    wire = limits.run_in_child(work, timeout=settings.query_timeout,
                               memory_mb=settings.max_memory_mb, what="validation",
                               label=limits.fingerprint(b"".join(u.data for u in data + shapes)))
    return report_from_wire(wire)


def _parse(uploads: list[Upload]) -> Graph:
    """The uploads in one rdflib graph (the graphs of a dataset syntax merged), through the
    one upload parser (:func:`alliancegraph.store.rdf_input.parse_rdf`: the syntax and
    DOCTYPE checks). rdflib, not an Oxigraph store: a store keeps some literals by value,
    not as written, and the shapes must see them as written."""
    graph = Graph()
    for upload in uploads:
        parse_rdf_graph(upload.data, upload.fmt, source=upload.source, base_iri=upload.base,
                        into=graph)
    return graph


def _inference() -> str:
    value = request.values.get("inference", "none")
    if value not in INFERENCE_CHOICES:
        raise BadRequest(f"inference must be one of {', '.join(INFERENCE_CHOICES)}")
    return value


def _syntax(**given: str | None) -> ox.RdfFormat:
    """The syntax to read (415 for N3 or anything not read, listing what is)."""
    fmt = formats.rdf_input(**given).oxigraph  # type: ignore[arg-type]
    assert isinstance(fmt, ox.RdfFormat)  # an RDF entry of the table
    return fmt


def _body() -> Upload:
    return Upload(request.get_data(), _syntax(media_type=request.content_type or ""),
                  "the request body", request.base_url)


def _multipart() -> tuple[list[Upload], list[Upload]]:
    """The data files (``data``, else any file field but ``shapes``) and the pasted text
    (``text``), and the shapes files."""
    files = _chosen(request.files.getlist("data")) or _chosen(
        f for name in request.files for f in request.files.getlist(name) if name != "shapes")
    data = [_part(upload) for upload in files]
    text = request.form.get("text", "")
    if text.strip():
        data.append(_pasted(text.encode("utf-8")))
    if not data:
        raise BadRequest("nothing to validate: upload a file in the 'data' field or paste "
                         "RDF in the 'text' field")
    shapes = [_part(upload) for upload in _chosen(request.files.getlist("shapes"))]
    return data, shapes


def _chosen(uploads) -> list:
    """The parts that carry a file (not an empty file field of a form)."""
    return [u for u in uploads if u.filename or _has_content(u)]


def _has_content(upload) -> bool:
    first = upload.stream.read(1)
    upload.stream.seek(0)
    return bool(first)


def _explicit_format() -> str | None:
    """The form's ``format`` field; ``detect`` (or empty) is none."""
    value = request.form.get("format", "").strip()
    return None if value in ("", "detect") else value


def _part(upload) -> Upload:
    """One uploaded file: its syntax from the form's ``format`` field, else the part's
    media type (unless a generic one), else the file name."""
    name = upload.filename or upload.name
    explicit = _explicit_format()
    if explicit:
        fmt = _syntax(name=explicit)
    elif upload.mimetype and upload.mimetype not in ("application/octet-stream", "text/plain"):
        fmt = _syntax(media_type=upload.mimetype)
    else:
        fmt = _syntax(path=name or "upload")
    base = f"{request.base_url}/upload/{Path(name).name}" if name else request.base_url
    return Upload(upload.read(), fmt, name or "upload", base)


def _pasted(data: bytes) -> Upload:
    """The pasted text: in the syntax chosen, else the one it is detected to be."""
    explicit = _explicit_format()
    fmt = _syntax(name=explicit) if explicit else formats.detect(data).oxigraph
    assert isinstance(fmt, ox.RdfFormat)
    return Upload(data, fmt, "the pasted text", request.base_url, detected=not explicit)


def _dry_run() -> Report:
    """The report the update would get on a write, without applying it (the store's own
    validation on write: the update's delta against the committed state). Needs the write
    token, as the write itself would."""
    require_write_token()
    if request.mimetype_params.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
        raise UnsupportedMediaType("a SPARQL update must be UTF-8 encoded")
    try:
        sparql = request.get_data().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("a SPARQL update must be UTF-8 encoded") from exc
    return get_store().dry_run(sparql, base_iri=current_app.config["SETTINGS"].base_iri)


def _render(report: Report, data: list[Upload]) -> Response:
    fmt = negotiation.negotiate(request.headers.get("Accept"), REPORT_OFFERS,
                                params=request.args, what="the validation report")
    if fmt is JSON:
        body = json.dumps(report.summary(), ensure_ascii=False, indent=2)
    elif fmt is HTML:
        body = _report_page(report, data)
    elif fmt is formats.TURTLE:
        body = report.serialize("turtle")  # rdflib's Turtle: the report's own prefixes
    else:
        triples = ox.parse(report.serialize("nt").encode(), ox.RdfFormat.N_TRIPLES)
        body = ox.serialize(triples, format=fmt.oxigraph)
    response = Response(body, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


#: the results a report page lists (the RDF and JSON reports carry every one)
PAGE_RESULTS = 1_000


def _report_page(report: Report, data: list[Upload]) -> str:
    """The report as a page of the site: a row per result, violations first, each with
    where its focus node is first written in the input (file and line)."""
    results = sorted(report.results, key=lambda r: SEVERITIES.index(r.severity))
    shown = results[:PAGE_RESULTS]
    where = first_mentions(data, {r.focus_node for r in shown})
    labels = {row["shape"][1:-1]: row["label"] for row in report.by_shape() if row["label"]}
    return render_template("validation_report.html", report=report, results=shown,
                           total=len(results), counts=report.counts(), where=where,
                           data=data, labels=labels)


def first_mentions(data: list[Upload], terms: set[str]) -> dict[str, str]:
    """For each IRI term (``<…>``) of ``terms``: ``source:line`` of the first line of the
    inputs that writes it, as a full IRI, a quoted string (JSON-LD) or a prefixed name of
    the input's own ``@prefix``/``PREFIX`` declarations (the first
    :data:`PREFIXES_READ`). One pass over each input's words, each looked up: linear in the
    input, whatever it declares (this runs in the serving thread)."""
    iris = {t[1:-1] for t in terms if t.startswith("<") and t.endswith(">")}
    found: dict[str, str] = {}
    for upload in data:
        text = upload.data.decode("utf-8", errors="replace")
        spellings = _spellings(text, iris - {i[1:-1] for i in found})
        if not spellings:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            for word in _WORD.findall(line):
                iri = spellings.get(word) or spellings.get(word.rstrip("."))
                if iri is not None:
                    found.setdefault(f"<{iri}>", f"{upload.source}:{number}")
    return found


#: how an IRI is written in a line: in angle brackets, quoted (JSON-LD), or prefixed
_WORD = re.compile(r'<[^<>\s]*>|"[^"\s]*"|[A-Za-z][\w.-]*:[\w.\-%]*|:[\w.\-%]+')
#: the prefix declarations of an input read for prefixed names
PREFIXES_READ = 200
_PREFIX_DECLARATION = re.compile(r"(?:@prefix|PREFIX)\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>",
                                 re.IGNORECASE)


def _spellings(text: str, iris: set[str]) -> dict[str, str]:
    """How each IRI may be written in ``text``: spelling -> IRI."""
    spellings = {f"<{iri}>": iri for iri in iris} | {f'"{iri}"': iri for iri in iris}
    declarations = itertools.islice(_PREFIX_DECLARATION.finditer(text), PREFIXES_READ)
    for prefix, namespace in (d.groups() for d in declarations):
        for iri in iris:
            local = iri[len(namespace):]
            if namespace and iri.startswith(namespace) and re.fullmatch(r"[\w.-]*", local):
                spellings[f"{prefix or ''}:{local}"] = iri
    return spellings


# ------------------------------------------------------------------ GET /shapes

@bp.route("/shapes", methods=["GET"])
@bp.route("/shapes.<suffix>", methods=["GET"])
def shapes_view(suffix: str | None = None) -> Response:
    """The bundled shapes, which change only with the software: prepared once per process,
    with an ETag of their content."""
    page = suffix == "html" or (suffix is None and negotiation.wants_page(
        request.args, request.headers.get("Accept"), SHAPES_OFFERS))
    if page:
        response = _shapes_page()
    else:
        if suffix is not None:
            if suffix not in _SUFFIXES:
                raise NotAcceptable(f"no shapes in .{suffix}; try one of: "
                                    + ", ".join(sorted([*_SUFFIXES, "html"])))
            fmt = _SUFFIXES[suffix]
        else:
            fmt = negotiation.negotiate(request.headers.get("Accept"), SHAPES_OFFERS,
                                        params=request.args, what="the shapes")
        response = Response(serialised_shapes(fmt.name), content_type=fmt.content_type)
    response.vary.add("Accept")
    response.add_etag()
    return response.make_conditional(request)


@functools.cache
def serialised_shapes(name: str) -> bytes:
    """The bundled shapes in the syntax ``name`` (``ttl`` …), written once per process."""
    fmt = _SUFFIXES[name].oxigraph
    graph = bundled_shapes_graph()
    triples = ox.parse(graph.serialize(format="nt").encode(), ox.RdfFormat.N_TRIPLES)
    prefixes = {p: str(n) for p, n in graph.namespaces() if p}
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        return ox.serialize(triples, format=fmt, prefixes=prefixes)
    return ox.serialize(triples, format=fmt)


def _shapes_page() -> Response:
    links = negotiation.alternates(SHAPES_OFFERS,
                                   lambda f: f"{request.script_root}/shapes.{f.name}")
    topics = shape_topics()
    html = render_template("shapes.html", topics=topics, alternates=links,
                           total=sum(len(t.shapes) for t in topics))
    response = Response(html, content_type=HTML.content_type)
    response.headers["Link"] = negotiation.link_header(links)
    return response


@dataclass(frozen=True)
class ShapeRow:
    """One named shape as the shapes page lists it."""

    iri: str
    anchor: str  # the IRI's fragment: ``/shapes#StateShape`` (where the IRI resolves) lands here
    label: str
    property_of: str | None  # a property shape: the node shape naming it in sh:property
    path: str | None  # a property shape's path: an IRI, or a SPARQL path (``^<p>`` …)
    targets: tuple[tuple[str, tuple[str, ...]], ...]  # ("instances of", (ag:State, …)), …
    severity: str
    message: str | None


@dataclass(frozen=True)
class ShapeTopic:
    """The shapes of one file of ``shapes/``, with the comment that heads it."""

    file: str
    about: tuple[str, ...]
    shapes: tuple[ShapeRow, ...]


_TARGETS = ((SH.targetClass, "instances of"), (SH.targetSubjectsOf, "subjects of"),
            (SH.targetObjectsOf, "objects of"), (SH.targetNode, "the node"))


@functools.lru_cache(maxsize=1)
def shape_topics() -> tuple[ShapeTopic, ...]:
    """The bundled shapes by file (one topic each), read once: the files ship with the
    code. Each node shape is followed by its named property shapes."""
    return tuple(_topic(path) for path in shape_files())


def _topic(path: Path) -> ShapeTopic:
    graph = Graph().parse(path, format="turtle")
    named = {s for kind in (SH.NodeShape, SH.PropertyShape)
             for s in graph.subjects(RDF.type, kind) if isinstance(s, URIRef)}
    parents = {child: parent for parent in named for child in graph.objects(parent, SH.property)
               if child in named}
    rows: list[ShapeRow] = []
    for shape in sorted((s for s in named if s not in parents), key=str):
        rows.append(_row(graph, shape, None))
        rows += [_row(graph, child, shape)
                 for child in sorted((c for c, p in parents.items() if p == shape), key=str)]
    return ShapeTopic(path.name, _leading_comment(path), tuple(rows))


def _row(graph: Graph, shape: URIRef, parent: URIRef | None) -> ShapeRow:
    iri = str(shape)
    path = graph.value(shape, SH.path)
    targets = {how: [str(o) for o in sorted(graph.objects(shape, term))] for term, how in _TARGETS}
    if (shape, RDF.type, RDFS.Class) in graph:  # an implicit class target
        targets["instances of"].append(iri)
    if (shape, SH.target, None) in graph:
        targets["the focus nodes of a SPARQL-based target"] = [""]
    severity = graph.value(shape, SH.severity) or SH.Violation
    # a SPARQL shape may carry its message on the constraint instead
    constraint = graph.value(shape, SH.sparql)
    message = _english(graph, shape, SH.message) or (
        _english(graph, constraint, SH.message) if constraint is not None else None)
    return ShapeRow(
        iri=iri,
        anchor=iri.rpartition("#")[2] or iri.rpartition("/")[2],
        label=_english(graph, shape, RDFS.label) or _english(graph, shape, SH.name) or iri,
        property_of=str(parent) if parent is not None else None,
        path=None if path is None else str(path) if isinstance(path, URIRef)
        else render_path(path, graph),
        targets=tuple((how, tuple(iris)) for how, iris in targets.items() if iris),
        severity=str(severity).rpartition("#")[2],
        message=message,
    )


def _english(graph: Graph, node, predicate: URIRef) -> str | None:
    """The English value of ``predicate`` (else an untagged one, else any)."""
    values = list(graph.objects(node, predicate))
    for wanted in ("en", None):
        for value in values:
            if isinstance(value, Literal) and value.language == wanted:
                return str(value)
    return str(values[0]) if values else None


def _leading_comment(path: Path) -> tuple[str, ...]:
    """The comment a shapes file starts with (what its topic is), as lines: wrapped lines
    joined, indented ones (a list) kept apart."""
    lines: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        text = line[1:]
        if lines and not text.startswith("  "):
            lines[-1] += " " + text.strip()
        else:
            lines.append(text.strip())
    return tuple(lines)
