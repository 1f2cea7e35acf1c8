"""``alliancegraph query`` and ``alliancegraph stats``: SPARQL from the command line.

Both open the embedded store the settings name (``--data-dir`` or
``ALLIANCEGRAPH_DATA_DIR``). Errors go to stderr: exit status 2 for bad input (a syntax
error, a refused query, a missing file), 1 for anything else.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import click
from alliancegraph.config import load_settings
from alliancegraph.embedded import EmbeddedStore
from alliancegraph.errors import AllianceGraphError
from alliancegraph.queries import prefixes
from rich.console import Console
from rich.table import Table

#: --format for SELECT/ASK -> media type asked of the store
RESULT_MEDIA_TYPES = {
    "table": "application/sparql-results+json",
    "json": "application/sparql-results+json",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
#: --format for CONSTRUCT/DESCRIBE -> media type (table prints Turtle)
GRAPH_MEDIA_TYPES = {"table": "text/turtle", "json": "application/ld+json"}

#: prefixes used to shorten IRIs in tables (the project's, from graph/MODELLING.md)
SHORT_PREFIXES = prefixes()


class CommandError(click.ClickException):
    """An error the CLI reports on stderr with its own exit status."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


def open_store(data_dir: str | None) -> tuple[EmbeddedStore, dict[str, Any]]:
    settings = load_settings(overrides={"data_dir": data_dir})
    store = EmbeddedStore(settings["data_dir"], query_timeout=settings["query_timeout"],
                          max_rows=settings["max_rows"], base_iri=settings["base_iri"])
    return store, settings


def _fail(exc: AllianceGraphError) -> CommandError:
    return CommandError(exc.message, 2 if 400 <= exc.status < 500 else 1)


@click.command("query")
@click.argument("query", required=False)
@click.option("--file", "-f", "query_file", type=click.Path(dir_okay=False, allow_dash=True),
              help="Read the query from this file ('-' for stdin).")
@click.option("--format", "output_format", type=click.Choice(list(RESULT_MEDIA_TYPES)),
              default="table", show_default=True,
              help="Output: a table (CONSTRUCT/DESCRIBE: Turtle), SPARQL JSON (JSON-LD), "
                   "CSV or TSV.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Directory of the embedded store (setting data_dir, ALLIANCEGRAPH_DATA_DIR).")
def query_command(query: str | None, query_file: str | None, output_format: str,
                  data_dir: str | None) -> None:
    """Run a SPARQL query (QUERY, --file F, or '-' for stdin) against the store."""
    sparql = _read_query(query, query_file)
    store, _ = open_store(data_dir)
    try:
        form = store.query_form(sparql)
        if form in ("SELECT", "ASK"):
            media_type = RESULT_MEDIA_TYPES[output_format]
        elif output_format in GRAPH_MEDIA_TYPES:
            media_type = GRAPH_MEDIA_TYPES[output_format]
        else:
            raise CommandError(f"a {form} query gives RDF: use --format table (Turtle) or "
                               "json (JSON-LD), not CSV/TSV", 2)
        outcome = store.query(sparql, media_type=media_type)
    except AllianceGraphError as exc:
        raise _fail(exc) from None
    if output_format == "table" and form in ("SELECT", "ASK"):
        _print_results(json.loads(outcome.body))
    else:
        sys.stdout.buffer.write(outcome.body)
        sys.stdout.flush()


def _read_query(query: str | None, query_file: str | None) -> str:
    if (query is None) == (query_file is None):
        raise CommandError("give the query as an argument, with --file F, or '-' for stdin "
                           "(exactly one of them)", 2)
    if query == "-" or query_file == "-":
        return sys.stdin.read()
    if query_file is not None:
        try:
            with open(query_file, encoding="utf-8") as handle:
                return handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {query_file}: {exc}", 2) from None
    assert query is not None
    return query


def _print_results(results: dict[str, Any]) -> None:
    console = Console()
    if "boolean" in results:
        console.print("true" if results["boolean"] else "false")
        return
    variables = results["head"]["vars"]
    rows = results["results"]["bindings"]
    table = Table(*variables, caption=f"{len(rows)} solution{'s' * (len(rows) != 1)}")
    for row in rows:
        table.add_row(*(_cell(row.get(v)) for v in variables))
    console.print(table)


def _cell(term: dict[str, Any] | None) -> str:
    if term is None:
        return ""
    if term["type"] == "uri":
        return shorten(term["value"])
    if term["type"] == "bnode":
        return f"_:{term['value']}"
    if term["type"] == "literal":
        lang = term.get("xml:lang")
        return f"{term['value']}@{lang}" if lang else term["value"]
    return json.dumps(term["value"])  # a triple term


def shorten(iri: str) -> str:
    """``ag:Claim`` for an IRI under a known prefix, else the IRI."""
    for prefix, namespace in SHORT_PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


# ---------------------------------------------------------------------- stats

CLASS_COUNTS = """SELECT ?class (COUNT(DISTINCT ?s) AS ?n)
WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n) ?class"""

GRAPH_COUNTS = """SELECT ?g (COUNT(*) AS ?n)
WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"""

LINKS_OUT = """SELECT DISTINCT ?s ?p ?o
WHERE { VALUES ?p { <http://www.w3.org/2002/07/owl#sameAs>
                    <http://www.w3.org/2004/02/skos/core#exactMatch> }
        ?s ?p ?o FILTER(isIRI(?o)) }"""


def link_target(iri: str) -> str:
    """The dataset an outgoing link points into, by host (``wikidata.org``) or, for a URN,
    by namespace (``urn:issn``)."""
    parts = urlsplit(iri)
    if parts.scheme == "urn":
        return "urn:" + parts.path.split(":", 1)[0].lower()
    host = (parts.hostname or parts.scheme).lower()
    return host.removeprefix("www.")


def stats(store: EmbeddedStore, base_iri: str) -> dict[str, list[tuple[str, int]]]:
    """Counts by class, by named graph and links out per target dataset."""

    def select(sparql: str) -> list[dict[str, Any]]:
        outcome = store.query(sparql, media_type="application/sparql-results+json")
        return json.loads(outcome.body)["results"]["bindings"]

    classes = [(r["class"]["value"], int(r["n"]["value"])) for r in select(CLASS_COUNTS)]
    graphs = [(r["g"]["value"], int(r["n"]["value"])) for r in select(GRAPH_COUNTS)]
    targets = Counter(
        link_target(r["o"]["value"]) for r in select(LINKS_OUT)
        if not r["o"]["value"].startswith(base_iri)
    )
    return {"classes": classes, "graphs": graphs, "links": sorted(targets.items())}


@click.command("stats")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Directory of the embedded store (setting data_dir, ALLIANCEGRAPH_DATA_DIR).")
def stats_command(data_dir: str | None) -> None:
    """Counts by class, by named graph, and links out per target dataset."""
    store, settings = open_store(data_dir)
    try:
        found = stats(store, settings["base_iri"])
    except AllianceGraphError as exc:
        raise _fail(exc) from None
    console = Console()
    titles = {"graphs": ("Quads by named graph", "graph"),
              "classes": ("Instances by class (with inferred types)", "class"),
              "links": ("Links out (owl:sameAs, skos:exactMatch) by target", "target")}
    for key, (title, column) in titles.items():
        table = Table(column, "count", title=title)
        for name, count in found[key]:
            table.add_row(shorten(name), str(count))
        console.print(table)
