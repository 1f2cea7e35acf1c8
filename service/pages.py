"""The index page, the ontology IRI and the full dumps.

* ``/`` — what this dataset is, counts, entry points, example queries (HTML, or JSON by
  ``Accept``/``?format=json``).
* ``{base}ontology`` — 303 to ``/ontology.html`` (the generated documentation) or to the
  ontology graph in an RDF syntax (``/ontology.ttl`` …), as for every other IRI here.
* ``/dumps/alliancegraph.{ttl,trig,nq,nq.gz}`` — the whole store, written to a file once
  per store generation and served from it (length, ETag, Last-Modified, 304, 206).
* ``{base}context.jsonld`` — the JSON-LD context the documents name.

Nothing here reads a source file: the ontology documentation is what the build wrote to
``<data_dir>/release/ontology/``, and the index and the ontology documents are computed once
per store generation (:mod:`.cache`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import quote

from alliancegraph.errors import NotFound, StoreUnavailable
from alliancegraph.graph.queries import load_examples
from alliancegraph.graph.vocabulary import graph_iri, prefix_declarations
from alliancegraph.service import cache, negotiation
from alliancegraph.service.linkeddata import (
    CONTEXT_PATH,
    HTML,
    LABEL_PROPERTIES,
    add_alternates,
    base_iri,
    can_be_iri,
    href,
    iri_for_path,
    jsonld_context,
    not_found,
    preferred_labels,
    readable,
    see_other,
    split_suffix,
)
from alliancegraph.service.resources import get_store
from alliancegraph.store import formats
from alliancegraph.store.formats import Format
from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    send_file,
    url_for,
)

log = logging.getLogger(__name__)

OWL_VERSION_IRI = "http://www.w3.org/2002/07/owl#versionIRI"

bp = Blueprint("pages", __name__)


# --- dumps ----------------------------------------------------------------------------

#: file name -> (media type the store writes, gzip it?)
DUMPS: dict[str, tuple[Format, bool]] = {
    "alliancegraph.ttl": (formats.TURTLE, False),
    "alliancegraph.trig": (formats.TRIG, False),
    "alliancegraph.nq": (formats.N_QUADS, False),
    "alliancegraph.nq.gz": (formats.N_QUADS, True),
}
DUMP_NOTES = {
    "alliancegraph.ttl": "Turtle: the union of all graphs (named graphs merged)",
    "alliancegraph.trig": "TriG: every named graph",
    "alliancegraph.nq": "N-Quads: every named graph",
    "alliancegraph.nq.gz": "N-Quads, gzip-compressed",
}


def gzip_stream(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Compress a byte stream into one gzip member as it goes."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: gzip header and trailer
    for chunk in chunks:
        data = compressor.compress(chunk)
        if data:
            yield data
    yield compressor.flush()


def store_fingerprint() -> str:
    """The fingerprint of the store's state: its generation (every committed write changes
    it) and the base IRI, hashed; the dump files and their ETags are named by it."""
    state = f"{cache.generation()}\0{current_app.config['BASE_IRI']}"
    return hashlib.sha256(state.encode()).hexdigest()[:24]


def dumps_dir(data_dir: str | os.PathLike[str]) -> Path:
    return Path(data_dir) / "dumps"


def remove_stale_dump_files(data_dir: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files of dumps a crashed worker left half-written (``serve``
    calls this before its workers start, when none can be writing one)."""
    folder = dumps_dir(data_dir)
    stale = sorted(folder.glob(".alliancegraph.*-*")) if folder.is_dir() else []
    for path in stale:
        log.info("removing %s, a dump a stopped worker left unfinished", path.name)
        path.unlink(missing_ok=True)
    return stale


def dump_file(name: str, fingerprint: str) -> Path:
    """The dump ``name`` of the store state ``fingerprint``: ``<data_dir>/dumps/<fp>-<name>``,
    written on first need into a temporary file that is then renamed, so concurrent workers
    never serve half of it. Dumps of earlier states are removed once it is there. (A write
    during the dump may put later data under the earlier fingerprint: the next request,
    seeing the new state, writes a new dump.)"""
    folder = dumps_dir(current_app.config["DATA_DIR"])
    path = folder / f"{fingerprint}-{name}"
    if path.is_file():
        return path
    fmt, gzipped = DUMPS[name]
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{name}-", dir=folder)
    try:
        chunks = get_store().dump(media_type=fmt.media_type)
        with os.fdopen(handle, "wb") as out:
            for chunk in gzip_stream(chunks) if gzipped else chunks:
                out.write(chunk)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the dumps are public
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    for old in folder.glob(f"*-{name}"):
        if old != path:
            old.unlink(missing_ok=True)
    return path


def _send_dump(name: str) -> Response:
    fmt, gzipped = DUMPS[name]
    fingerprint = store_fingerprint()
    path = dump_file(name, fingerprint)
    # Last-Modified: when this state's file was written (after the write it holds)
    return send_file(path, mimetype="application/gzip" if gzipped else fmt.media_type,
                     as_attachment=gzipped, download_name=name, conditional=True,
                     etag=fingerprint, last_modified=path.stat().st_mtime)


@bp.get("/dumps/<name>")
def dump(name: str) -> Response:
    """A full dump at a stable URL, served as a file: GET and HEAD say its length, ETag
    and Last-Modified; If-None-Match/If-Modified-Since answer 304, Range 206."""
    if name not in DUMPS:
        raise NotFound(f"no dump named {name!r}; available: {', '.join(DUMPS)}")
    try:
        return _send_dump(name)
    except FileNotFoundError:  # another worker replaced it by a newer state's dump: again
        return _send_dump(name)


# --- the JSON-LD context --------------------------------------------------------------

#: The context changes only with the software (the prefix table): a day in caches.
CONTEXT_MAX_AGE = 24 * 3600


@bp.get(f"/{CONTEXT_PATH}")
def context() -> Response:
    """The JSON-LD context every JSON-LD document here names by its URL."""
    body = json.dumps({"@context": jsonld_context()}, indent=2).encode()
    response = Response(body, content_type=formats.JSON_LD.content_type)
    response.cache_control.public = True
    response.cache_control.max_age = CONTEXT_MAX_AGE
    response.add_etag()
    return response.make_conditional(request)


# --- the ontology ---------------------------------------------------------------------

def ontology_graph() -> str:
    return graph_iri("ontology", base_iri())


def docs_dir() -> Path:
    """Where the build puts the ontology documentation: ``<data_dir>/release/ontology``."""
    return Path(current_app.config["DATA_DIR"]) / "release" / "ontology"


class DocsNotBuilt(StoreUnavailable):
    """The ontology documentation is not in the data dir: the build writes it."""


def docs_page() -> Path:
    """The documentation's HTML page, as the build wrote it (never generated here)."""
    folder = docs_dir()
    page = _main_page(folder)
    if page is None:
        log.warning("no ontology documentation in %s: run `alliancegraph build`", folder)
        raise DocsNotBuilt("the ontology documentation has not been built for this data "
                           "directory: run `alliancegraph build` (`alliancegraph serve` "
                           "builds it on first start)")
    return page


def in_site_layout(page: bytes) -> bytes:
    """The documentation pyLODE wrote with the site's stylesheet, header and footer around
    its own content (its own stylesheet kept: it lays out the term tables)."""
    html = page.decode("utf-8")
    stylesheet = f'<link rel="stylesheet" href="{url_for("static", filename="style.css")}">'
    html = re.sub(r"</head>", lambda _: stylesheet + "\n</head>", html, count=1)
    html = re.sub(r"<body[^>]*>", lambda m: m.group() + "\n" + render_template(
        "site_header.html") + '\n<main id="main" class="docs">', html, count=1)
    html = re.sub(r"</body>", lambda m: "</main>\n" + render_template("site_footer.html")
                  + m.group(), html, count=1)
    return html.encode("utf-8")


def _main_page(folder: Path) -> Path | None:
    for name in ("index.html", "ontology.html"):
        if (folder / name).is_file():
            return folder / name
    pages = sorted(folder.glob("*.html")) if folder.is_dir() else []
    return pages[0] if pages else None


def _ontology_exists(_iri: str) -> bool:
    return get_store().graph_exists(ontology_graph())


@bp.get("/ontology")
def ontology() -> Response:
    """The ontology IRI: 303 to its documentation (HTML) or to the ontology in RDF."""
    iri = f"{base_iri()}ontology"
    if not _ontology_exists(iri):
        return not_found(iri, None, message="The store holds no ontology graph.")
    return see_other("ontology", iri)


@bp.get("/ontology/<path:version>")
def ontology_version(version: str) -> Response:
    """A version IRI of the ontology (``{base}ontology/0.1.0``): while it is the version
    the store holds, 303 to the ontology's documents, as the ontology IRI does."""
    iri = f"{base_iri()}ontology/{version}"
    if not can_be_iri(iri) or not get_store().ask(
            f"ASK {{ ?o <{OWL_VERSION_IRI}> <{iri}> }}"):
        return not_found(iri, None, message=f"<{iri}> is not a version of the ontology "
                         "this store holds.")
    return see_other("ontology", iri)


@bp.get("/ontology.<suffix>")
def ontology_document(suffix: str) -> Response:
    """The ontology documentation (``.html``) or the ontology graph (``.ttl`` …)."""
    stem, fmt = split_suffix(f"ontology.{suffix}")
    iri = f"{base_iri()}ontology"
    if fmt is None or stem != "ontology":
        return not_found(f"{iri}.{suffix}", None)
    if fmt is HTML:
        page = docs_page()
        key = f"ontology-docs\0{page}\0{page.stat().st_mtime_ns}"
        if (unchanged := cache.not_modified(key)) is not None:
            return unchanged
        body = cache.cached(key, lambda: in_site_layout(page.read_bytes()))
        response = Response(body, content_type=HTML.content_type)
        add_alternates(response, "ontology", current=HTML)
        return cache.finish(response, key)
    if not _ontology_exists(iri):
        return not_found(iri, fmt, message="The store holds no ontology graph.")
    key = f"ontology\0{fmt.content_type}\0{request.script_root}"
    if (unchanged := cache.not_modified(key)) is not None:
        return unchanged
    body = cache.cached(key, lambda: readable(
        get_store().get_graph(ontology_graph(), media_type=fmt.media_type), fmt,
        iri_for_path("ontology")))
    response = Response(body, content_type=fmt.content_type)
    add_alternates(response, "ontology", current=fmt)
    return cache.finish(response, key)


# --- the index page -------------------------------------------------------------------

#: Entry points on the index page: name -> SPARQL pattern binding ?e.
ENTRY_POINTS = {
    "papers": "?e ag:hasSection ?section .",
    "states": "?e a ag:State .",
    "threats": "?e a/rdfs:subClassOf* ag:Threat .",
    "agreements": "?e a/rdfs:subClassOf* ag:Agreement .",
}
LABELS = ", ".join(f"<{iri}>" for iri in LABEL_PROPERTIES)


def entry_points_query() -> str:
    branches = "\n  UNION ".join(f'{{ {pattern} BIND("{kind}" AS ?kind) }}'
                                 for kind, pattern in ENTRY_POINTS.items())
    return (f"{prefix_declarations(base_iri())}"
            f"SELECT DISTINCT ?kind ?e ?p ?l WHERE {{\n  {branches}\n  FILTER(isIRI(?e))\n"
            # FILTER, not VALUES ?p: Oxigraph joins a VALUES of predicates with ?e ?p ?l by
            # scanning every triple
            f"  OPTIONAL {{ ?e ?p ?l FILTER(?p IN ({LABELS})) }}\n}}")


def graph_counts_query() -> str:
    return "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"


def stats_query() -> str:
    return (f"{prefix_declarations(base_iri())}"
            f"SELECT ?what (COUNT(DISTINCT ?x) AS ?n) WHERE {{\n"
            f'  {{ ?x ?p ?o . FILTER(isIRI(?x) && STRSTARTS(STR(?x), "{base_iri()}id/")) '
            f'BIND("entities" AS ?what) }}\n'
            f'  UNION {{ ?x ag:evidence ?e . BIND("statements with evidence" AS ?what) }}\n'
            f'  UNION {{ ?x a ag:Evidence . BIND("evidence nodes" AS ?what) }}\n'
            f"}} GROUP BY ?what")


def index_data() -> dict:
    store = get_store()
    graphs = {row["g"].value: int(row["n"].value) for row in store.select(graph_counts_query())}
    stats = {row["what"].value: int(row["n"].value) for row in store.select(stats_query())}
    rows = list(store.select(entry_points_query()))
    labels = preferred_labels({"r": row["e"], "p": row["p"], "l": row["l"]}
                              for row in rows if "l" in row)
    entries: dict[str, dict[str, str]] = {kind: {} for kind in ENTRY_POINTS}
    for row in rows:
        iri = row["e"].value
        entries[row["kind"].value][iri] = labels.get(iri, iri)
    root = request.script_root
    return {
        "title": "Alliance Graph",
        "description": (
            "A linked-data knowledge graph of security relations in East Asia, built from "
            "two scholarly papers on Japan-ROK security cooperation: Leo Hinata-Yamaguchi, "
            "“New age in Japan-ROK relations: Analyzing the potential for a Japan-ROK "
            "security partnership”, and Hyon-Sik Yon, “The Changing Security Environment on "
            "the Korean Peninsula and Korea-Japan Security Relations”. Every statement taken "
            "from a paper carries its evidence: the paper, the section, an exact quote and "
            "the supporting footnotes."),
        "base_iri": base_iri(),
        "quads": store.count(),
        "graphs": graphs,
        "counts": stats,
        "entry_points": {
            kind: [{"iri": iri, "label": label, "href": href(iri)}
                   for iri, label in sorted(items.items(), key=lambda item: item[1].lower())]
            for kind, items in entries.items()},
        "examples": [
            {"name": e.name, "title": e.title, "description": e.description,
             "query": e.text, "ui": f"{root}/sparql#query={quote(e.text)}",
             "run": f"{root}/sparql?query={quote(e.text)}"}
            for e in load_examples()],
        "links": {
            "sparql": f"{root}/sparql",
            "query_ui": f"{root}/sparql",
            "void": f"{root}/.well-known/void",
            "ontology": f"{root}/ontology",
            "shapes": f"{root}/shapes",
            "openapi": f"{root}/openapi.json",
            "graph_store": f"{root}/rdf-graph-store",
        },
        "dumps": [{"name": name, "url": f"{root}/dumps/{name}", "media_type":
                   "application/gzip" if gz else fmt.media_type, "note": DUMP_NOTES[name]}
                  for name, (fmt, gz) in DUMPS.items()],
    }


def _index_format() -> Format:
    return negotiation.negotiate(request.headers.get("Accept"), (formats.HTML, formats.JSON),
                                 params=request.args, what="the index page")


@bp.get("/")
def index() -> Response:
    fmt = _index_format()
    key = f"index\0{fmt.name}\0{request.script_root}"
    if (unchanged := cache.not_modified(key)) is not None:
        return unchanged
    if fmt is formats.JSON:
        body = cache.cached(key, lambda: jsonify(index_data()).get_data())
        response = Response(body, content_type="application/json")
    else:
        body = cache.cached(key, lambda: render_template("index.html", **index_data()))
        response = Response(body, content_type=HTML.content_type)
    response.headers["Link"] = (f'<{request.script_root}/?format=json>; rel="alternate"; '
                                f'type="application/json"')
    return cache.finish(response, key)
