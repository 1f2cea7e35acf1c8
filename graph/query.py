"""``alliancegraph query`` and ``alliancegraph stats``: SPARQL from the command line.

Both open the store the settings name (:func:`alliancegraph.cli.open_existing_store`;
``--data-dir`` or ``ALLIANCEGRAPH_DATA_DIR``) and refuse one that does not exist: only
``build`` and ``serve`` create a store, so a mistyped directory is an error, not an empty
answer. ``query`` declares the project's prefixes
(:func:`alliancegraph.graph.vocabulary.prefixes`, the query UI's) that a query does not
declare itself, and runs the shipped examples by name.
Errors go to stderr: exit status 2 for bad input (a syntax error, a refused query, a missing
file or store), 1 for anything else.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import click
import pyoxigraph as ox
from alliancegraph.cli import CommandError, open_existing_store
from alliancegraph.config import Settings, load_settings
from alliancegraph.errors import AllianceGraphError, ParseError
from alliancegraph.graph.queries import example, load_examples, prepare, star_order
from alliancegraph.graph.vocabulary import prefixes
from alliancegraph.store import Solutions, Store
from alliancegraph.store.base import Term
from alliancegraph.store.engine import json_term
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

#: prefixes used to shorten IRIs in tables: the project's, under the canonical base unless
#: a command passes the configured one
SHORT_PREFIXES = prefixes()


@contextmanager
def reading(data_dir: str | None) -> Iterator[tuple[Store, Settings]]:
    """The existing store of the settings, closed afterwards; exit 2 when there is none."""
    settings = load_settings(overrides={"data_dir": data_dir})
    store = open_existing_store(settings)
    try:
        yield store, settings
    finally:
        store.close()


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
    with reading(data_dir) as (store, settings):
        try:
            prepared = prepare(sparql, base_iri=settings.base_iri, params=_params(params))
        except AllianceGraphError as exc:
            raise _fail(exc) from None
        try:
            form = store.query_form(prepared.text)
            if form == "SELECT":
                solutions = store.select(prepared.text)
            elif form == "ASK" and output_format == "table":
                click.echo("true" if store.ask(prepared.text) else "false")
                return
            elif form == "ASK":
                body = store.query(prepared.text,
                                   media_type=RESULT_MEDIA_TYPES[output_format]).body
            elif output_format in GRAPH_MEDIA_TYPES:
                body = store.query(prepared.text,
                                   media_type=GRAPH_MEDIA_TYPES[output_format]).body
            else:
                raise CommandError(f"a {form} query gives RDF: use --format table (Turtle) "
                                   "or json (JSON-LD), not CSV/TSV", 2)
        except ParseError as exc:
            raise _fail(prepared.relocate(exc)) from None
        except AllianceGraphError as exc:
            raise _fail(exc) from None
    if form == "SELECT":
        # SELECT * in the query's variable order (pyoxigraph sorts them by name)
        variables = star_order(prepared.written, solutions.variables)
        if output_format == "table":
            _print_solutions(solutions, variables, prefixes(settings.base_iri))
            return
        body = json.dumps(sparql_json(solutions, variables), ensure_ascii=False,
                          separators=(",", ":")).encode()
        if output_format in ("csv", "tsv"):
            results = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
            body = results.serialize(format=ox.QueryResultsFormat.from_media_type(
                RESULT_MEDIA_TYPES[output_format]))
    _write(body)


def sparql_json(solutions: Solutions, variables: list[str]) -> dict[str, Any]:
    """SELECT solutions as SPARQL 1.1 JSON results, the variables in the order given."""
    return {"head": {"vars": variables},
            "results": {"bindings": [{v: json_term(t) for v, t in row.items()
                                      if v in variables} for row in solutions]}}


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


def _print_solutions(solutions: Solutions, variables: list[str],
                     table_prefixes: dict[str, str]) -> None:
    rows = list(solutions)
    table = Table(*variables, caption=f"{len(rows)} solution{'s' * (len(rows) != 1)}")
    for row in rows:
        table.add_row(*(_cell(row.get(v), table_prefixes) for v in variables))
    Console().print(table)


def _cell(term: Term | None, table_prefixes: dict[str, str]) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return shorten(term.value, table_prefixes)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        return f"{term.value}@{term.language}" if term.language else term.value
    return str(term)  # a triple term, in N-Triples


def shorten(iri: str, table_prefixes: dict[str, str] = SHORT_PREFIXES) -> str:
    """``ag:Claim`` for an IRI under a known prefix, else the IRI."""
    for prefix, namespace in table_prefixes.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


# ---------------------------------------------------------------------- stats

CLASS_COUNTS = """SELECT ?class (COUNT(DISTINCT ?s) AS ?n)
WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n) ?class"""

GRAPH_COUNTS = """SELECT ?g (COUNT(*) AS ?n)
WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"""

LINKS_OUT = f"""SELECT DISTINCT ?s ?p ?o
WHERE {{ VALUES ?p {{ <{SHORT_PREFIXES["owl"]}sameAs> <{SHORT_PREFIXES["skos"]}exactMatch> }}
        ?s ?p ?o FILTER(isIRI(?o)) }}"""


def link_target(iri: str) -> str:
    """The dataset an outgoing link points into, by host (``wikidata.org``) or, for a URN,
    by namespace (``urn:issn``): any target, not only the known link datasets."""
    parts = urlsplit(iri)
    if parts.scheme == "urn":
        return "urn:" + parts.path.split(":", 1)[0].lower()
    host = (parts.hostname or parts.scheme).lower()
    return host.removeprefix("www.")


def stats(store: Store, base_iri: str) -> dict[str, list[tuple[str, int]]]:
    """Counts by class, by named graph and links out per target dataset."""

    def counts(sparql: str, key: str) -> list[tuple[str, int]]:
        return [(str(row[key].value), int(row["n"].value)) for row in store.select(sparql)]

    targets = Counter(
        link_target(row["o"].value) for row in store.select(LINKS_OUT)
        if not row["o"].value.startswith(base_iri)
    )
    return {"classes": counts(CLASS_COUNTS, "class"), "graphs": counts(GRAPH_COUNTS, "g"),
            "links": sorted(targets.items())}


@click.command("stats")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]),
              default="table", show_default=True,
              help="Tables, or one JSON object: {graphs: [{graph, count}], classes: "
                   "[{class, count}], links: [{target, count}]}.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Directory of the embedded store (setting data_dir, ALLIANCEGRAPH_DATA_DIR).")
def stats_command(output_format: str, data_dir: str | None) -> None:
    """Counts by class, by named graph, and links out per target dataset."""
    with reading(data_dir) as (store, settings):
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
            table.add_row(shorten(name, prefixes(settings.base_iri)), str(count))
        console.print(table)
