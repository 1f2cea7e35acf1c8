"""The query UI: YASGUI (vendored under ``static/yasgui``) at ``/sparql`` for browsers.

The SPARQL blueprint owns ``/sparql``; a browser that GETs it (``Accept`` preferring
``text/html``, no format parameter) is handed to :func:`render_query_ui`, which this
blueprint registers as ``app.extensions[SPARQL_UI]`` when it is registered itself. With a
query (``/sparql?query=…``, the index's "run" links) the page opens it in a tab and runs
it; a fragment (``/sparql#query=…``, YASGUI's own share links) is read by YASGUI itself.
The example queries are read once per process (:func:`load_examples`), never per request.
"""

from __future__ import annotations

from alliancegraph.graph.queries import TOPICS, load_examples
from alliancegraph.graph.vocabulary import prefix_declarations, prefixes
from alliancegraph.service.linkeddata import base_iri
from alliancegraph.service.sparql import SPARQL_UI, ProtocolRequest
from alliancegraph.store.formats import HTML
from flask import Blueprint, Response, render_template, request
from flask.blueprints import BlueprintSetupState

bp = Blueprint("ui", __name__)

DEFAULT_QUERY_BODY = """SELECT ?state ?label WHERE {
  ?state a ag:State ;
         skos:prefLabel ?label .
  FILTER(langMatches(lang(?label), "en"))
}
ORDER BY ?label
"""


def default_query() -> str:
    """The query a fresh editor shows: the project's prefixes and a small SELECT."""
    return prefix_declarations(base_iri()) + "\n" + DEFAULT_QUERY_BODY


def render_query_ui(initial: ProtocolRequest | None = None) -> Response:
    """The YASGUI page, pre-loaded with the shipped example queries and prefixes, and the
    query a browser GET ``/sparql`` with (``initial``), which the page runs on load."""
    examples = load_examples()
    dataset = initial.dataset if initial is not None else None
    html = render_template(
        "query_ui.html",
        endpoint=f"{request.script_root}/sparql",
        base_iri=base_iri(),
        examples=examples,
        topics=[(topic, [(i, e) for i, e in enumerate(examples) if e.topic == topic])
                for topic in (*TOPICS.values(), "other")
                if any(e.topic == topic for e in examples)],
        tags=sorted({tag for e in examples for tag in e.tags}),
        examples_json=[{"name": e.name, "title": e.title, "description": e.description,
                        "query": e.text, "tags": list(e.tags)} for e in examples],
        prefixes=prefixes(base_iri()),
        default_query=default_query(),
        initial_query=initial.text if initial is not None else None,
        # the link's dataset parameters, or the UI would run the query on another dataset
        initial_dataset={
            "default-graph-uri": list(dataset.default_graphs or ()) if dataset else [],
            "named-graph-uri": list(dataset.named_graphs or ()) if dataset else []},
    )
    response = Response(html, status=200, content_type=HTML.content_type)
    response.vary.add("Accept")
    return response


@bp.record_once
def _register_ui(state: BlueprintSetupState) -> None:
    state.app.extensions[SPARQL_UI] = render_query_ui
    load_examples()  # read once per process, when the app is made: never at request time
