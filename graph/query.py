"""``alliancegraph query`` and ``alliancegraph stats``: SPARQL from the command line.

Both open the embedded store the settings name (``--data-dir`` or
``ALLIANCEGRAPH_DATA_DIR``) and refuse one that does not exist: only ``build`` and
``serve`` create a store, so a mistyped directory is an error, not an empty answer.
``query`` declares the project's prefixes (:func:`alliancegraph.graph.queries.prefixes`, the
query UI's) that a query does not declare itself, and runs the shipped examples by name.
Errors go to stderr: exit status 2 for bad input (a syntax error, a refused query, a missing
file or store), 1 for anything else.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import click
import pyoxigraph as ox
from alliancegraph.config import load_settings
from alliancegraph.errors import AllianceGraphError, ParseError
from alliancegraph.graph.queries import example, load_examples, prefixes, prepare, star_order
from alliancegraph.store.embedded import EmbeddedStore
from rich.console import Console
from rich.table import Table

#: --format for SELECT/ASK -> media type of the output
RESULT_MEDIA_TYPES = {
    "table": "application/sparql-results+json",
    "json": "application/sparql-results+json",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
#: --format for CONSTRUCT/DESCRIBE -> media type (table prints Turtle)
GRAPH_MEDIA_TYPES = {"table": "text/turtle", "json": "application/ld+json"}
_SPARQL_JSON = "application/sparql-results+json"

#: prefixes used to shorten IRIs in tables (the project's, from graph/MODELLING.md)
SHORT_PREFIXES = prefixes()


class CommandError(click.ClickException):
    """An error the CLI reports on stderr with its own exit status."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


def missing_store_message(data_dir: object) -> str:
    """What every command that reads the store says when there is none."""
    return f"no store in {data_dir}: run 'alliancegraph build'"


def open_store(data_dir: str | None) -> tuple[EmbeddedStore, dict[str, Any]]:
    """The existing store of the settings; exit 2 when there is none (a read would create
    an empty one and answer nothing)."""
    settings = load_settings(overrides={"data_dir": data_dir})
    store = EmbeddedStore(settings.data_dir, query_timeout=settings.query_timeout,
                          max_rows=settings.max_rows, base_iri=settings.base_iri)
    if not store.exists():
        raise CommandError(missing_store_message(settings.data_dir), 2)
    return store, settings


def _fail(exc: AllianceGraphError) -> CommandError:
    return CommandError(exc.message, 2 if 400 <= exc.status < 500 else 1)


@click.command("query")
@click.argument("query", required=False)
@click.option("--file", "-f", "query_file", type=click.Path(dir_okay=False, allow_dash=True),
              help="Read the query from this file ('-' for stdin).")
@click.option("--example", "-e", "example_name", metavar="NAME",
              help="Run the shipped example query NAME (see --list).")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="Give parameter ?NAME (a variable of a VALUES clause) this value instead "
                   "of the query's; repeat for several values or parameters. VALUE is a "
                   "SPARQL term: 1990, ag:State, '\"Japan\"@en', <https://…> or a bare "
                   "https://… IRI.")
@click.option("--list", "list_examples", is_flag=True,
              help="List the shipped example queries with their parameters, and exit.")
@click.option("--format", "output_format", type=click.Choice(list(RESULT_MEDIA_TYPES)),
              default="table", show_default=True,
              help="Output: a table (CONSTRUCT/DESCRIBE: Turtle), SPARQL JSON (JSON-LD), "
                   "CSV or TSV.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Directory of the embedded store (setting data_dir, ALLIANCEGRAPH_DATA_DIR).")
def query_command(query: str | None, query_file: str | None, example_name: str | None,
                  params: tuple[str, ...], list_examples: bool, output_format: str,
                  data_dir: str | None) -> None:
    """Run a SPARQL query (QUERY, --file F, '-' for stdin, or --example NAME) against the
    store. The project's prefixes (ag:, agid:, skos:, rdfs:, … as in the query UI) are
    declared unless the query declares its own."""
    if list_examples:
        if query or query_file or example_name:
            raise CommandError("--list takes no query", 2)
        _print_examples()
        return
    sparql = _read_query(query, query_file, example_name)
    store, settings = open_store(data_dir)
    try:
        prepared = prepare(sparql, base_iri=settings.base_iri, params=_params(params))
    except AllianceGraphError as exc:
        raise _fail(exc) from None
    try:
        form = store.query_form(prepared.text)
        if form == "SELECT":
            # always SPARQL JSON from the store: SELECT * gets the query's variable order
            # here, then CSV/TSV are written from it
            media_type = _SPARQL_JSON
        elif form == "ASK":
            media_type = RESULT_MEDIA_TYPES[output_format]
        elif output_format in GRAPH_MEDIA_TYPES:
            media_type = GRAPH_MEDIA_TYPES[output_format]
        else:
            raise CommandError(f"a {form} query gives RDF: use --format table (Turtle) or "
                               "json (JSON-LD), not CSV/TSV", 2)
        outcome = store.query(prepared.text, media_type=media_type)
    except ParseError as exc:
        raise _fail(prepared.relocate(exc)) from None
    except AllianceGraphError as exc:
        raise _fail(exc) from None
    body = outcome.body
    if form == "SELECT":
        results = json.loads(body)
        results["head"]["vars"] = star_order(prepared.written, results["head"]["vars"])
        if output_format == "table":
            _print_results(results)
            return
        body = json.dumps(results, ensure_ascii=False, separators=(",", ":")).encode()
        if output_format in ("csv", "tsv"):
            solutions = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
            body = solutions.serialize(format=ox.QueryResultsFormat.from_media_type(
                RESULT_MEDIA_TYPES[output_format]))
    elif output_format == "table" and form == "ASK":
        _print_results(json.loads(body))
        return
    _write(body)


def _write(body: bytes) -> None:
    """The body as it is, ending with a newline (the serialisers of JSON and JSON-LD add
    none; a shell prompt would follow on the same line)."""
    if body and not body.endswith(b"\n"):
        body += b"\n"
    sys.stdout.buffer.write(body)
    sys.stdout.flush()


def _params(given: tuple[str, ...]) -> dict[str, list[str]]:
    """``NAME=VALUE`` options grouped by name (a repeated name gives several values)."""
    found: dict[str, list[str]] = {}
    for item in given:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CommandError(f"--param {item!r}: write NAME=VALUE", 2)
        found.setdefault(name.strip(), []).append(value)
    return found


def _print_examples() -> None:
    for item in load_examples():
        click.echo(f"{item.name}\n    {item.title}")
        if item.parameters:
            listed = "  ".join(f"{name}={' '.join(values)}"
                               for name, values in item.parameters.items())
            click.echo(f"    --param {listed}")


def _read_query(query: str | None, query_file: str | None, example_name: str | None) -> str:
    if sum(x is not None for x in (query, query_file, example_name)) != 1:
        raise CommandError("give the query as an argument, with --file F, '-' for stdin or "
                           "--example NAME (exactly one of them)", 2)
    if example_name is not None:
        try:
            return example(example_name).text
        except AllianceGraphError as exc:
            raise _fail(exc) from None
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
@click.option("--format", "output_format", type=click.Choice(["table", "json"]),
              default="table", show_default=True,
              help="Tables, or one JSON object: {graphs: [{graph, count}], classes: "
                   "[{class, count}], links: [{target, count}]}.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Directory of the embedded store (setting data_dir, ALLIANCEGRAPH_DATA_DIR).")
def stats_command(output_format: str, data_dir: str | None) -> None:
    """Counts by class, by named graph, and links out per target dataset."""
    store, settings = open_store(data_dir)
    try:
        found = stats(store, settings.base_iri)
    except AllianceGraphError as exc:
        raise _fail(exc) from None
    titles = {"graphs": ("Quads by named graph", "graph"),
              "classes": ("Instances by class (with inferred types)", "class"),
              "links": ("Links out (owl:sameAs, skos:exactMatch) by target", "target")}
    if output_format == "json":
        # full IRIs: JSON is for programs, which should not need the prefix table
        _write(json.dumps({key: [{column: name, "count": count} for name, count in found[key]]
                           for key, (_, column) in titles.items()}, indent=2).encode())
        return
    console = Console()
    for key, (title, column) in titles.items():
        table = Table(column, "count", title=title)
        for name, count in found[key]:
            table.add_row(shorten(name), str(count))
        console.print(table)
