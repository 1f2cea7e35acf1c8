"""The OpenAPI 3 description of the HTTP API, served at ``/openapi.json``.

Hand-written (a plain dict), so it says what each route is for; a test checks it against
the app's real routes (``app.url_map``): every route documented, every documented path
and method served.
"""

from __future__ import annotations

from typing import Any

from alliancegraph import __version__
from flask import Blueprint, Response, current_app, jsonify

bp = Blueprint("openapi", __name__)

RDF_TYPES = ("text/turtle", "application/ld+json", "application/n-triples",
             "application/rdf+xml")
DATASET_TYPES = ("application/trig", "application/n-quads")
RESULT_TYPES = ("application/sparql-results+json", "application/sparql-results+xml",
                "text/csv", "text/tab-separated-values")
DOCUMENT_SUFFIXES = ["html", "ttl", "jsonld", "nt", "rdf"]


def _content(*media_types: str, schema: dict | None = None) -> dict[str, Any]:
    return {m: {"schema": schema or {"type": "string"}} for m in media_types}


def _response(description: str, *media_types: str, **extra: Any) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if media_types:
        answer["content"] = _content(*media_types)
    answer.update(extra)
    return answer


def _param(name: str, where: str, description: str, *, required: bool = False,
           schema: dict | None = None) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required or where == "path",
            "description": description, "schema": schema or {"type": "string"}}


ERROR = {"$ref": "#/components/responses/Error"}
NOT_FOUND = {"$ref": "#/components/responses/NotFound"}
NOT_ACCEPTABLE = {"$ref": "#/components/responses/NotAcceptable"}
WRITE_ERRORS = {
    "400": ERROR, "401": {"$ref": "#/components/responses/Unauthorized"},
    "403": ERROR, "413": ERROR, "415": ERROR, "422": ERROR,
}
SEE_OTHER = _response(
    "See Other: the IRI names a thing, not a document; `Location` is the document about it "
    "in the negotiated format (`{path}.html`, `.ttl`, `.jsonld`, `.nt`, `.rdf`). `Link` "
    "headers list every format.",
    headers={"Location": {"schema": {"type": "string"}},
             "Link": {"schema": {"type": "string"}}})
ACCEPT = _param("Accept", "header", "Media types the client wants, with q-values.")
VALIDATORS = {name: {"schema": {"type": "string"}}
              for name in ("Content-Length", "ETag", "Last-Modified", "Accept-Ranges")}
FORMAT = _param("format", "query", "A format name or media type that overrides Accept.")
IF_NONE_MATCH = _param("If-None-Match", "header", "The `ETag` of an answer held: 304 while "
                       "the store has not been written since (answers are computed once per "
                       "store generation).")
NOT_MODIFIED = _response("Not Modified: the answer whose `ETag` was sent is still current.",
                         headers={"ETag": {"schema": {"type": "string"}}})

SPARQL_PARAMS = [
    _param("query", "query", "A SPARQL 1.1 query. Without it, browsers get the query UI "
           "and RDF clients the SPARQL service description."),
    _param("default-graph-uri", "query", "A graph of the default graph (repeatable).",
           schema={"type": "array", "items": {"type": "string"}}),
    _param("named-graph-uri", "query", "A named graph of the dataset (repeatable).",
           schema={"type": "array", "items": {"type": "string"}}),
    FORMAT, ACCEPT,
]
GSP_PARAMS = [
    _param("graph", "query", "The IRI of the graph (indirect identification)."),
    _param("default", "query", "Present (empty) to address the default graph.",
           schema={"type": "string", "allowEmptyValue": True}),
]


def _linked_data(path: str, what: str) -> dict[str, Any]:
    rest = _param("rest", "path", f"The rest of the IRI after `{path}` (may contain `/`); "
                  "a suffix `.html`, `.ttl`, `.jsonld`, `.nt` or `.rdf` asks for that "
                  "document directly.")
    return {"get": {
        "tags": ["linked data"],
        "summary": f"Resolve {what}",
        "description": (f"`{{base_iri}}{path.lstrip('/')}…` resolves here. Without a suffix: "
                        "303 to the document in the negotiated format. With a suffix: the "
                        "document (200)."),
        "parameters": [rest, ACCEPT, FORMAT],
        "responses": {
            "200": _response("The document about the resource.", "text/html", *RDF_TYPES),
            "303": SEE_OTHER, "404": NOT_FOUND, "406": NOT_ACCEPTABLE,
        },
    }}


PATHS: dict[str, dict[str, Any]] = {
    "/": {"get": {
        "tags": ["pages"], "summary": "The index page: the dataset, counts, entry points",
        "parameters": [ACCEPT, _param("format", "query", "`html` or `json`."), IF_NONE_MATCH],
        "responses": {"200": _response("The index.", "text/html", "application/json"),
                      "304": NOT_MODIFIED, "406": NOT_ACCEPTABLE},
    }},
    "/sparql": {
        "get": {
            "tags": ["sparql"], "summary": "SPARQL 1.1 query (protocol), query UI, or "
            "service description",
            "parameters": [*SPARQL_PARAMS, IF_NONE_MATCH],
            "responses": {
                "200": _response("Query results (SELECT/ASK), a graph (CONSTRUCT/DESCRIBE), "
                                 "the query UI (HTML) or the service description.",
                                 *RESULT_TYPES, *RDF_TYPES, *DATASET_TYPES, "text/html"),
                "304": NOT_MODIFIED, "400": ERROR, "406": NOT_ACCEPTABLE, "413": ERROR,
                "503": ERROR,
            },
        },
        "post": {
            "tags": ["sparql"], "summary": "SPARQL 1.1 query or update (protocol)",
            "description": "A query by form or `application/sparql-query`; an update by form "
                           "or `application/sparql-update`, with `Authorization: Bearer`.",
            "parameters": [ACCEPT, FORMAT],
            "requestBody": {"required": True, "content": {
                "application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {
                    "query": {"type": "string"}, "update": {"type": "string"},
                    "default-graph-uri": {"type": "array", "items": {"type": "string"}},
                    "named-graph-uri": {"type": "array", "items": {"type": "string"}},
                    "using-graph-uri": {"type": "array", "items": {"type": "string"}},
                    "using-named-graph-uri": {"type": "array", "items": {"type": "string"}},
                }}},
                "application/sparql-query": {"schema": {"type": "string"}},
                "application/sparql-update": {"schema": {"type": "string"}},
            }},
            "responses": {
                "200": _response("Query results.", *RESULT_TYPES, *RDF_TYPES, *DATASET_TYPES),
                "204": _response("The update was applied."),
                "406": NOT_ACCEPTABLE, "503": ERROR, **WRITE_ERRORS,
            },
        },
    },
    "/rdf-graph-store": {
        method: {
            "tags": ["graph store"],
            "summary": {
                "get": "Read a graph (Graph Store HTTP Protocol)",
                "put": "Replace a graph", "post": "Merge into a graph, or create a new one",
                "delete": "Drop a graph",
            }[method],
            "parameters": GSP_PARAMS + ([ACCEPT] if method == "get" else []),
            **({"requestBody": {"required": True,
                                "content": _content(*RDF_TYPES, *DATASET_TYPES)}}
               if method in ("put", "post") else {}),
            "responses": (
                {"200": _response("The graph.", *RDF_TYPES, *DATASET_TYPES),
                 "400": ERROR, "404": NOT_FOUND, "406": NOT_ACCEPTABLE}
                if method == "get" else
                {"201": _response("Created."), "204": _response("Done."),
                 "404": NOT_FOUND, **WRITE_ERRORS}),
        }
        for method in ("get", "put", "post", "delete")
    },
    "/rdf-graph-store/{path}": {
        method: {
            "tags": ["graph store"],
            "summary": {
                "get": "Read a graph by direct identification",
                "put": "Replace a graph by direct identification",
                "post": "Merge into a graph by direct identification",
                "delete": "Drop a graph by direct identification",
            }[method],
            "description": "The path names the graph `{base_iri}rdf-graph-store/{path}`.",
            "parameters": [_param("path", "path", "The rest of the graph's IRI (may "
                                  "contain `/`).")] + ([ACCEPT] if method == "get" else []),
            **({"requestBody": {"required": True,
                                "content": _content(*RDF_TYPES, *DATASET_TYPES)}}
               if method in ("put", "post") else {}),
            "responses": (
                {"200": _response("The graph.", *RDF_TYPES, *DATASET_TYPES),
                 "404": NOT_FOUND, "406": NOT_ACCEPTABLE}
                if method == "get" else
                {"201": _response("Created."), "204": _response("Done."),
                 "404": NOT_FOUND, **WRITE_ERRORS}),
        }
        for method in ("get", "put", "post", "delete")
    },
    "/.well-known/void": {"get": {
        "tags": ["sparql"], "summary": "The VoID description of the dataset",
        "parameters": [ACCEPT, FORMAT, IF_NONE_MATCH],
        "responses": {"200": _response("VoID.", *RDF_TYPES, *DATASET_TYPES),
                      "304": NOT_MODIFIED, "406": NOT_ACCEPTABLE},
    }},
    "/mappings.sssom.tsv": {"get": {
        "tags": ["sparql"], "summary": "Every link out with its provenance, as SSSOM/TSV",
        "description": "The SSSOM mapping set (https://w3id.org/sssom/) of the links graph: a "
                       "YAML metadata block on `#` lines (`curie_map`, `mapping_set_id` "
                       "`{base_iri}mappings.sssom.tsv`, version, licence, creators), then one "
                       "row per link: subject, predicate, object with labels, justification "
                       "(`semapv:…`), confidence, author, tool, reviewer, date, evidence. "
                       "Computed once per store generation; linked from the VoID "
                       "(`rdfs:seeAlso`). `alliancegraph mappings` writes the same table.",
        "parameters": [IF_NONE_MATCH],
        "responses": {"200": _response("The mapping set.", "text/tab-separated-values",
                                       headers={"ETag": {"schema": {"type": "string"}}}),
                      "304": NOT_MODIFIED},
    }},
    "/healthz": {"get": {
        "tags": ["operations"], "summary": "Liveness: the process answers",
        "responses": {"200": _response("Alive.", "application/json")},
    }},
    "/readyz": {"get": {
        "tags": ["operations"], "summary": "Readiness: the store opens and holds the graph",
        "responses": {"200": _response("Ready.", "application/json"), "503": ERROR},
    }},
    "/id/{rest}": _linked_data("/id/", "an entity IRI (`{base_iri}id/…`)"),
    "/scheme/{rest}": _linked_data("/scheme/", "a SKOS concept or scheme IRI"),
    "/graph/{rest}": _linked_data("/graph/", "a named graph IRI (its triples)"),
    "/ontology": {"get": {
        "tags": ["linked data"], "summary": "The ontology IRI",
        "parameters": [ACCEPT, FORMAT],
        "responses": {"303": SEE_OTHER, "404": NOT_FOUND, "406": NOT_ACCEPTABLE},
    }},
    "/ontology/{version}": {"get": {
        "tags": ["linked data"], "summary": "A version IRI of the ontology",
        "description": "While it is the version the store holds (`owl:versionIRI`), 303 to "
                       "the ontology's documents; otherwise 404.",
        "parameters": [_param("version", "path", "The version, e.g. `0.1.0`."), ACCEPT, FORMAT],
        "responses": {"303": SEE_OTHER, "404": NOT_FOUND, "406": NOT_ACCEPTABLE},
    }},
    "/ontology.{suffix}": {"get": {
        "tags": ["linked data"],
        "summary": "The ontology documentation (`.html`) or the ontology in RDF",
        "parameters": [_param("suffix", "path", "The document format.",
                              schema={"type": "string", "enum": DOCUMENT_SUFFIXES}),
                       IF_NONE_MATCH],
        "responses": {"200": _response("The document.", "text/html", *RDF_TYPES),
                      "304": NOT_MODIFIED, "404": NOT_FOUND,
                      "503": _response("The ontology documentation has not been built "
                                       "(`alliancegraph build`).", "application/json")},
    }},
    "/dumps/{name}": {"get": {
        "tags": ["linked data"], "summary": "A full dump of the store, as a file",
        "description": "Written once per store generation and served as a file: "
                       "`Content-Length`, `ETag` and `Last-Modified` (also on HEAD); "
                       "`If-None-Match`/`If-Modified-Since` answer 304 and `Range` 206, "
                       "so clients can cache and resume. A write changes the `ETag`.",
        "parameters": [_param("name", "path", "The dump file.", schema={
            "type": "string", "enum": ["alliancegraph.ttl", "alliancegraph.trig",
                                       "alliancegraph.nq", "alliancegraph.nq.gz"]}),
                       _param("Range", "header", "A byte range, to resume a download."),
                       _param("If-None-Match", "header", "An `ETag` already held.")],
        "responses": {"200": _response("The dump (Turtle is the union of all graphs).",
                                       "text/turtle", *DATASET_TYPES, "application/gzip",
                                       headers=VALIDATORS),
                      "206": _response("The requested range of the dump.", headers=VALIDATORS),
                      "304": _response("Not modified since the `ETag` or date given."),
                      "404": NOT_FOUND, "416": _response("The range is not in the file.")},
    }},
    "/context.jsonld": {"get": {
        "tags": ["linked data"], "summary": "The JSON-LD context of the JSON-LD documents",
        "description": "`{base_iri}context.jsonld`, named by every JSON-LD document here: "
                       "the project's prefixes and `label` (`skos:prefLabel` as a language "
                       "map). Cacheable for a day, with an `ETag`.",
        "responses": {"200": _response("The context.", "application/ld+json"),
                      "304": _response("Not modified.")},
    }},
    "/cite": {"get": {
        "tags": ["linked data"], "summary": "How to cite a work of the graph",
        "description": "The work's record for a reference manager: CSL-JSON (default) or "
                       "BibTeX, as a download. 404 for an IRI that names no work.",
        "parameters": [_param("iri", "query", "The work's IRI."),
                       _param("format", "query", "`csl-json` or `bibtex`.")],
        "responses": {"200": _response("The record.", "application/vnd.citationstyles.csl+json",
                                       "application/x-bibtex"),
                      "400": ERROR, "404": ERROR},
    }},
    "/search": {"get": {
        "tags": ["linked data"], "summary": "Search labels, aliases, claims, quotes and "
                                            "footnote texts",
        "description": "Every language the graph holds (Japanese and Korean matched as "
                       "written, without word splitting), case folded, ranked: labels "
                       "first, a whole match before a prefix before a part. JSON "
                       "(`{q, hits: [{iri, label, field, text}]}`) or a page.",
        "parameters": [_param("q", "query", "The text (at most 200 characters)."),
                       ACCEPT, FORMAT],
        "responses": {"200": _response("The hits, best first.", "application/json",
                                       "text/html"),
                      "400": ERROR, "406": NOT_ACCEPTABLE},
    }},
    "/network": {"get": {
        "tags": ["linked data"], "summary": "The network of states, organisations, agreements "
                                            "and threats (a page)",
        "description": "An interactive picture (Cytoscape.js; its data is a SPARQL query "
                       "against `/sparql`, shown on the page) over a table of the same "
                       "relations, readable without JavaScript.",
        "parameters": [_param("paper", "query", "Only this paper's relations (`paper-a`); "
                              "repeatable."),
                       _param("relation", "query", "Only this kind of relation (`perceives`, "
                              "`party-to` …); repeatable."),
                       _param("intensity", "query", "Only perceptions of this intensity "
                              "(`major-threat` …); repeatable.")],
        "responses": {"200": _response("The page.", "text/html"), "400": ERROR},
    }},
    "/timeline": {"get": {
        "tags": ["linked data"], "summary": "The dated events, agreements, policies and "
                                            "documents, with their sources",
        "description": "In time order (dates as precise as printed); JSON "
                       "(`{papers, kinds, items, undated}`) or a page.",
        "parameters": [_param("paper", "query", "Only this paper's items (`paper-a`)."),
                       _param("kind", "query", "`event`, `agreement`, `policy` or `document`."),
                       ACCEPT, FORMAT],
        "responses": {"200": _response("The items.", "text/html", "application/json"),
                      "400": ERROR, "406": NOT_ACCEPTABLE},
    }},
    "/citations": {"get": {
        "tags": ["linked data"], "summary": "The papers' footnotes and the works they cite",
        "description": "Footnotes in order, citations by work, most-cited works and authors; "
                       "JSON or a page.",
        "parameters": [_param("paper", "query", "Only this paper (`paper-a`)."),
                       ACCEPT, FORMAT],
        "responses": {"200": _response("The citations.", "text/html", "application/json"),
                      "400": ERROR, "406": NOT_ACCEPTABLE},
    }},
    "/validate": {"get": {
        "tags": ["validation"], "summary": "The validation form (a page)",
        "description": "Paste RDF or upload files (syntax chosen or detected), optionally "
                       "with your own shapes; the form posts to `POST /validate`.",
        "responses": {"200": _response("The form.", "text/html")},
    }, "post": {
        "tags": ["validation"], "summary": "Validate RDF against the shapes (SHACL)",
        "description": "RDF in the body (syntax from `Content-Type`), a multipart upload "
                       "(`data` files and/or pasted `text`, optional `shapes` files, "
                       "`format` (`detect`: by file name, pasted text by how it starts), "
                       "`inference`), or "
                       "a SPARQL Update as a dry run (`application/sparql-update`, write "
                       "token required). 200 whenever validation ran; `conforms` says "
                       "whether the data passed.",
        "parameters": [ACCEPT, _param("inference", "query", "Inference before validating.")],
        "requestBody": {"required": True, "content": {
            **_content(*RDF_TYPES, *DATASET_TYPES),
            "multipart/form-data": {"schema": {"type": "object"}},
            "application/sparql-update": {"schema": {"type": "string"}},
        }},
        "responses": {
            "200": _response("The validation report: a JSON summary, the "
                             "sh:ValidationReport in Turtle or JSON-LD, or HTML.",
                             "application/json", "text/turtle", "application/ld+json",
                             "text/html"),
            "400": ERROR, "401": {"$ref": "#/components/responses/Unauthorized"},
            "406": NOT_ACCEPTABLE, "413": ERROR, "415": ERROR,
        },
    }},
    "/shapes": {"get": {
        "tags": ["validation"], "summary": "The SHACL shapes, in the negotiated RDF syntax",
        "parameters": [ACCEPT, FORMAT],
        "responses": {"200": _response("The shapes.", *RDF_TYPES, *DATASET_TYPES),
                      "406": NOT_ACCEPTABLE},
    }},
    "/shapes.{suffix}": {"get": {
        "tags": ["validation"], "summary": "The SHACL shapes in one RDF syntax",
        "parameters": [_param("suffix", "path", "The syntax.", schema={
            "type": "string", "enum": ["ttl", "nt", "jsonld", "rdf", "trig", "nq"]})],
        "responses": {"200": _response("The shapes.", *RDF_TYPES, *DATASET_TYPES),
                      "406": NOT_ACCEPTABLE},
    }},
    "/openapi.json": {"get": {
        "tags": ["operations"], "summary": "This description",
        "responses": {"200": _response("OpenAPI 3.", "application/json")},
    }},
    "/static/{filename}": {"get": {
        "tags": ["pages"], "summary": "Static files: the stylesheet and the vendored YASGUI",
        "parameters": [_param("filename", "path", "The file under `static/`.")],
        "responses": {"200": _response("The file."), "404": NOT_FOUND},
    }},
}

#: Routes other parts of the service add; each documents itself here when it exists
#: (see :func:`document`).
EXTRA_PATHS: dict[str, dict[str, Any]] = {}


def document(path: str, operations: dict[str, Any]) -> None:
    """Let another blueprint add its routes to the description (at import time)."""
    EXTRA_PATHS[path] = operations


def spec() -> dict[str, Any]:
    """The OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Alliance Graph",
            "version": __version__,
            "description": "SPARQL 1.1 endpoint, graph store and linked data for the Alliance "
                           "Graph knowledge graph. Every IRI under "
                           f"`{current_app.config['BASE_IRI']}` resolves on this service.",
            "license": {"name": "CC-BY-4.0 (data), MIT (code)"},
        },
        "paths": {**PATHS, **EXTRA_PATHS},
        "components": {
            "responses": {
                "Error": _response("A problem with the request, as JSON (HTML for browsers): "
                                   "`status`, `error`, `message`; for a syntax error also "
                                   "`line`, `column` (1-based) and `reason`.", "application/json",
                                   "text/html"),
                "NotFound": _response("Nothing here (HTML, JSON or an empty RDF document, "
                                      "by Accept).", "text/html", "application/json",
                                      *RDF_TYPES),
                "NotAcceptable": _response("No acceptable format can be produced.",
                                           "application/json", "text/html"),
                "Unauthorized": _response("No or a wrong bearer token for a write.",
                                          "application/json"),
            },
            "securitySchemes": {"writeToken": {"type": "http", "scheme": "bearer"}},
        },
    }


@bp.get("/openapi.json")
def openapi_json() -> Response:
    return jsonify(spec())
