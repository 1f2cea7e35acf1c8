"""The pyoxigraph engine code every Oxigraph backend shares (in memory, embedded on disk).

Plain functions over an open pyoxigraph ``Store`` (``view`` below: any
:class:`~alliancegraph.store.base.ReadView`), with no locking, no process and no policy: the
backend calls them where it keeps its store (in-process under a lock, or in a worker
process), and they return plain, picklable data.

Reads
  :func:`run` (a raw result, errors mapped), :func:`select` → :class:`Solutions`,
  :func:`ask` → ``bool``, :func:`construct` → ``list[Triple]``, :func:`query` →
  :class:`QueryOutcome` (the engine's own serialisation in a media type),
  :func:`result_format` (NotAcceptable before the query runs), :func:`quads`,
  :func:`graph_names`, :func:`graph_exists`, :func:`get_graph`, :func:`count`,
  :func:`status`, :func:`dump` (into a binary file object). Every bounded read raises
  ResultTooLarge past its limit, never truncates (:func:`bounded`).
Writes
  :func:`apply_change` applies any :data:`~alliancegraph.store.base.Change` to a
  read-write ``Store`` as ONE pyoxigraph transaction (one ``Store.update``), blank nodes
  kept exactly as given; it returns an :class:`Effect` (created, counts) from which the
  backend makes its :class:`Applied` with its own generation.
Errors
  :func:`call` runs a pyoxigraph call with pyoxigraph's ``SyntaxError`` turned into
  :class:`ParseError` (line and column taken from the exception or from Oxigraph's
  "error at L:C" message) and ``RuntimeError`` (an update operation that fails: CREATE of
  an existing graph, DROP of a missing one) into :class:`BadRequest`;
  :func:`parse_error` does the first alone; :func:`check_update_syntax` and
  :func:`check_query_syntax` parse without touching any store.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Literal, TypeVar

import pyoxigraph as ox
from alliancegraph.errors import (
    AllianceGraphError,
    BadRequest,
    NotAcceptable,
    NotFound,
    ParseError,
    ResultTooLarge,
)
from alliancegraph.store.base import (
    Change,
    Dataset,
    DropGraph,
    MergeGraph,
    QuadDelta,
    QueryForm,
    QueryOutcome,
    ReadView,
    ReplaceGraph,
    ReplaceGraphs,
    Solutions,
    Term,
    Update,
)

T = TypeVar("T")
GraphSelector = str | None | Literal["*"]
_ERROR_AT = re.compile(r"error at (\d+):(\d+)")
#: how pyoxigraph's RDF parsers start a message whose place is also in lineno/offset
_RDF_AT = re.compile(r"^Parser error at line \d+ (?:column \d+|between columns \d+ and \d+): ")

__all__ = [
    "Effect",
    "apply_change",
    "ask",
    "bounded",
    "call",
    "check_query_syntax",
    "check_update_syntax",
    "construct",
    "count",
    "dump",
    "get_graph",
    "graph_exists",
    "graph_names",
    "graph_term",
    "parse_error",
    "quads",
    "query",
    "query_options",
    "rdf_format",
    "result_format",
    "run",
    "select",
    "status",
]


# ---------------------------------------------------------------------- errors


def parse_error(exc: SyntaxError, text: str | None = None,
                source: str | None = None) -> ParseError:
    """pyoxigraph's SyntaxError as a ParseError with its line and column."""
    message = str(exc.msg if exc.msg else exc)
    line, column = exc.lineno, exc.offset
    found = _ERROR_AT.search(message)
    if line is None and found:
        line, column = int(found.group(1)), int(found.group(2))
        message = message[found.end():].lstrip(": ")
    elif line is not None:
        message = _RDF_AT.sub("", message)
    return ParseError(message, source=source, line=line, column=column, text=text)


def call(work: Callable[[], T], text: str | None = None) -> T:
    """Run a pyoxigraph call, its errors turned into project errors (see the module)."""
    try:
        return work()
    except SyntaxError as exc:
        raise parse_error(exc, text) from None
    except RuntimeError as exc:  # an update operation that fails (CREATE of an existing graph…)
        raise BadRequest(str(exc)) from None


def check_query_syntax(sparql: str, base_iri: str | None) -> None:
    """ParseError (Oxigraph's message, line and column) when ``sparql`` is no valid query.
    An empty store parses it; what its evaluation there raises (a function this engine
    lacks, in a query whose WHERE is empty) is not a syntax error: a remote server may
    have that function."""
    try:
        ox.Store().query(sparql, base_iri=base_iri)
    except SyntaxError as exc:
        raise parse_error(exc, sparql) from None
    except RuntimeError:
        pass


def check_update_syntax(sparql: str, base_iri: str | None) -> None:
    """ParseError when ``sparql`` is no valid update. pyoxigraph has no parse-only call: the
    update runs on an empty in-memory store, so only its syntax errors count here (DROP of a
    missing graph and the like are properties of the real store)."""
    try:
        ox.Store().update(sparql, base_iri=base_iri)
    except SyntaxError as exc:
        raise parse_error(exc, sparql) from None
    except RuntimeError:
        pass  # not a syntax error: decided against the real store, see the docstring


# ---------------------------------------------------------------------- queries


def query_options(dataset: Dataset) -> dict[str, Any]:
    """pyoxigraph ``query`` keywords for a dataset (see :class:`Dataset`)."""
    if dataset.given:
        return {"default_graph": [ox.NamedNode(g) for g in dataset.default_graphs or ()],
                "named_graphs": [ox.NamedNode(g) for g in dataset.named_graphs or ()]}
    return {"use_default_graph_as_union": True} if dataset.union_default else {}


def run(view: ReadView, sparql: str, *, dataset: Dataset, base_iri: str | None) -> Any:
    """The raw pyoxigraph result (lazy for SELECT and CONSTRUCT); ParseError."""
    return call(lambda: view.query(sparql, base_iri=base_iri, **query_options(dataset)), sparql)


def bounded(items: Iterable[T], limit: int, what: str, *, unique: bool = False) -> list[T]:
    """All of ``items`` (``unique``: each once, in order), or ResultTooLarge when there are
    more than ``limit``; read no further than that."""
    kept: dict[T, None] = {}
    listed: list[T] = []
    for item in items:
        if unique:
            kept[item] = None
        else:
            listed.append(item)
        if len(kept) + len(listed) > limit:
            raise ResultTooLarge(f"the result has more than {limit} {what}, the limit; add "
                                 "LIMIT or narrow the query (results are never truncated)")
    return list(kept) if unique else listed


def consume(results: Any, read: Callable[[Any], T]) -> T:
    """``read(results)``; a project error it raises leaves without ``results``.

    pyoxigraph's query results may be dropped only by the thread that made them (they are
    "unsendable"). An error's traceback keeps the frames it passed, and their locals; kept
    in a reference cycle (a frame that stores the error, as ``pytest.raises`` does), the
    results would be dropped by the garbage collector of whatever thread runs it next, and
    fail there. So: pass ``results`` straight from the call that makes them."""
    try:
        return read(results)
    except AllianceGraphError as exc:
        error = exc
    del results
    raise detached(error)


def detached(error: AllianceGraphError) -> AllianceGraphError:
    """``error`` without the frames it came through nor the error it replaced (see
    :func:`consume`): a project error says all it needs in its message."""
    error.__traceback__ = error.__context__ = error.__cause__ = None
    return error


def select(view: ReadView, sparql: str, *, dataset: Dataset, base_iri: str | None,
           max_rows: int) -> Solutions:
    return consume(run(view, sparql, dataset=dataset, base_iri=base_iri),
                   lambda results: call(lambda: _solutions(results, max_rows), sparql))


def _solutions(results: Any, max_rows: int) -> Solutions:
    if not isinstance(results, ox.QuerySolutions):
        raise BadRequest("not a SELECT query")
    variables = tuple(v.value for v in results.variables)
    rows = bounded(results, max_rows, "solutions")
    return Solutions(variables, tuple(tuple(row[v] for v in variables) for row in rows))


def ask(view: ReadView, sparql: str, *, dataset: Dataset, base_iri: str | None) -> bool:
    results = run(view, sparql, dataset=dataset, base_iri=base_iri)
    if not isinstance(results, ox.QueryBoolean):  # a boolean may be dropped anywhere
        raise BadRequest("not an ASK query")
    return bool(results)


def construct(view: ReadView, sparql: str, *, dataset: Dataset, base_iri: str | None,
              max_rows: int) -> list[ox.Triple]:
    """CONSTRUCT or DESCRIBE: the triples, duplicates removed, in the engine's order."""
    return consume(run(view, sparql, dataset=dataset, base_iri=base_iri),
                   lambda results: call(lambda: _triples(results, max_rows), sparql))


def _triples(results: Any, max_rows: int) -> list[ox.Triple]:
    if not isinstance(results, ox.QueryTriples):
        raise BadRequest("not a CONSTRUCT or DESCRIBE query")
    return bounded(results, max_rows, "triples", unique=True)


def result_format(form: QueryForm, media_type: str) -> ox.QueryResultsFormat | ox.RdfFormat:
    """The syntax a result of ``form`` is written in; NotAcceptable when it cannot be."""
    if form in ("SELECT", "ASK"):
        found = ox.QueryResultsFormat.from_media_type(media_type)
        if found is None:
            raise NotAcceptable(f"{form} results cannot be written as {media_type}; use "
                                "SPARQL JSON, XML, CSV or TSV")
        if form == "ASK" and found in (ox.QueryResultsFormat.CSV, ox.QueryResultsFormat.TSV):
            raise NotAcceptable("an ASK result is written as SPARQL JSON or XML, not CSV/TSV")
        return found
    rdf = ox.RdfFormat.from_media_type(media_type)
    if rdf is None:
        raise NotAcceptable(f"{form} results are RDF; {media_type} is not an RDF syntax")
    return rdf


def rdf_format(media_type: str) -> ox.RdfFormat:
    found = ox.RdfFormat.from_media_type(media_type)
    if found is None:
        raise NotAcceptable(f"{media_type} is not an RDF syntax this store can write")
    return found


def query(view: ReadView, sparql: str, *, form: QueryForm, media_type: str, dataset: Dataset,
          base_iri: str | None, max_rows: int) -> QueryOutcome:
    """Any query form, serialised by the engine in ``media_type``."""
    output = result_format(form, media_type)
    body, count_ = consume(run(view, sparql, dataset=dataset, base_iri=base_iri),
                           lambda results: call(lambda: _serialise(results, output, max_rows),
                                                sparql))
    return QueryOutcome(form, output.media_type, body, count_)


def _serialise(results: Any, output: Any, max_rows: int) -> tuple[bytes, int]:
    if isinstance(results, ox.QueryBoolean):
        return results.serialize(format=output), 1
    # solutions: pyoxigraph's, or already read (store/remote.py ReadSolutions)
    if isinstance(results, ox.QuerySolutions) or hasattr(results, "variables"):
        variables = [v.value for v in results.variables]
        rows = bounded(results, max_rows, "solutions")
        # only as many solutions as allowed are kept; pyoxigraph re-reads them from a
        # SPARQL-JSON buffer and writes the requested format with its own serialiser
        buffer = json.dumps({"head": {"vars": variables},
                             "results": {"bindings": [_json_row(r, variables) for r in rows]}})
        solutions = ox.parse_query_results(buffer.encode(), ox.QueryResultsFormat.JSON)
        return solutions.serialize(format=output), len(rows)
    triples = bounded(results, max_rows, "triples")
    return ox.serialize(triples, format=output), len(triples)


def _json_row(solution: ox.QuerySolution, variables: list[str]) -> dict[str, Any]:
    return {v: json_term(solution[v]) for v in variables if solution[v] is not None}


def json_term(term: Any) -> dict[str, Any]:
    """One RDF term as SPARQL JSON writes it (RDF-star triples as ``"type": "triple"``)."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        if term.language:
            return {"type": "literal", "value": term.value, "xml:lang": term.language}
        if term.datatype.value == "http://www.w3.org/2001/XMLSchema#string":
            return {"type": "literal", "value": term.value}
        return {"type": "literal", "value": term.value, "datatype": term.datatype.value}
    return {"type": "triple", "value": {"subject": json_term(term.subject),
                                        "predicate": json_term(term.predicate),
                                        "object": json_term(term.object)}}


# ---------------------------------------------------------------------- pattern reads


def graph_term(name: str | None) -> ox.NamedNode | ox.DefaultGraph:
    return ox.DefaultGraph() if name is None else ox.NamedNode(name)


def _graph_pattern(graph: GraphSelector) -> Any:
    return None if graph == "*" else graph_term(graph)


def quads(view: ReadView, subject: Term | None, predicate: ox.NamedNode | None,
          object: Term | None, graph: GraphSelector, *, limit: int) -> list[ox.Quad]:
    found = view.quads_for_pattern(subject, predicate, object, _graph_pattern(graph))
    return bounded(found, limit, "quads")


def graph_names(view: ReadView) -> list[str]:
    return sorted(g.value for g in view.named_graphs() if isinstance(g, ox.NamedNode))


def graph_exists(view: ReadView, name: str | None) -> bool:
    return name is None or view.contains_named_graph(ox.NamedNode(name))


def get_graph(view: ReadView, name: str | None, *, media_type: str) -> bytes:
    """One graph in an RDF syntax; NotFound for a named graph the store lacks."""
    output = rdf_format(media_type)
    if not graph_exists(view, name):
        raise NotFound(f"no graph named <{name}> in the store")
    found = view.quads_for_pattern(None, None, None, graph_term(name))
    if output.supports_datasets:
        return ox.serialize(found, format=output)
    return ox.serialize((q.triple for q in found), format=output)


def count(view: ReadView, graph: GraphSelector = "*") -> int:
    if graph == "*":
        return len(view)
    return sum(1 for _ in view.quads_for_pattern(None, None, None, graph_term(graph)))


def status(view: ReadView) -> dict[str, Any]:
    """Quads per graph (the default graph under ``""``) and in all."""
    graphs: dict[str, int] = {}
    for quad in view:
        key = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else ""
        graphs[key] = graphs.get(key, 0) + 1
    for name in graph_names(view):  # empty named graphs exist too
        graphs.setdefault(name, 0)
    return {"ok": True, "quads": sum(graphs.values()), "graphs": graphs}


def dump(view: ReadView, output: IO[bytes], *, media_type: str) -> None:
    """Every graph (a dataset syntax) or the union of all graphs (a graph syntax)."""
    rdf = rdf_format(media_type)
    if rdf.supports_datasets:
        ox.serialize(iter(view), output, format=rdf)
    else:
        union = view.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
                           use_default_graph_as_union=True)
        ox.serialize(union, output, format=rdf)


# ---------------------------------------------------------------------- writes


@dataclass(frozen=True)
class Effect:
    """What :func:`apply_change` did, for the backend's :class:`Applied`."""

    created: bool = False
    counts: dict[str, int] = field(default_factory=dict)


def apply_change(store: ox.Store, change: Change) -> Effect:
    """Apply ``change`` to a read-write pyoxigraph store in one transaction.

    Explicit quads (a delta, a graph's new content, the build's graphs) go through one
    ``Store.update`` whose DELETE/INSERT templates take their terms from custom functions
    (SPARQL itself cannot name a given blank node: ``DELETE DATA`` refuses blank nodes and
    ``INSERT DATA`` mints fresh ones), so blank nodes are stored with their labels.
    Raises ParseError/BadRequest for a failing update, NotFound for a DropGraph of a missing
    named graph; then nothing is written."""
    if isinstance(change, Update):
        call(lambda: store.update(change.sparql, base_iri=change.base_iri), change.sparql)
        return Effect()
    if isinstance(change, QuadDelta):
        _transaction(store, removed=change.removed, added=change.added,
                     drop=change.dropped_graphs, create=change.created_graphs)
        return Effect()
    if isinstance(change, ReplaceGraph | MergeGraph):
        name = change.graph
        created = name is not None and not store.contains_named_graph(ox.NamedNode(name))
        target = graph_term(name)
        new = [ox.Quad(q.subject, q.predicate, q.object, target) for q in change.quads]
        replace = isinstance(change, ReplaceGraph)
        _transaction(store, added=new, clear=[name] if replace else [],
                     create=[name] if name is not None else [])
        return Effect(created=created)
    if isinstance(change, DropGraph):
        if not graph_exists(store, change.graph):
            raise NotFound(f"no graph named <{change.graph}> in the store")
        _transaction(store, clear=[None] if change.graph is None else [],
                     drop=[change.graph] if change.graph is not None else [])
        return Effect()
    if isinstance(change, ReplaceGraphs):
        added = [q for graph_quads in change.graphs.values() for q in graph_quads]
        _transaction(store, drop=list(change.graphs), create=list(change.graphs),
                     added=added)
        counts = {name: len(set(graph_quads)) for name, graph_quads in change.graphs.items()}
        return Effect(counts=counts)
    raise TypeError(f"not a store change: {change!r}")


_FUNCTIONS = ("s", "p", "o", "g")


def _transaction(store: ox.Store, *, removed: Sequence[ox.Quad] = (),
                 added: Sequence[ox.Quad] = (), clear: Sequence[str | None] = (),
                 drop: Sequence[str] = (), create: Sequence[str] = ()) -> None:
    """removed quads go, ``clear`` graphs are emptied, ``drop`` graphs dropped, ``create``
    graphs created, added quads come: one update, all or nothing."""
    columns: list[list[Any]] = [[], [], [], []]
    operations: list[str] = []

    def block(quads_: Sequence[ox.Quad], verb: str) -> None:
        default = [q for q in quads_ if isinstance(q.graph_name, ox.DefaultGraph)]
        named = [q for q in quads_ if not isinstance(q.graph_name, ox.DefaultGraph)]
        for part, template in ((default, "?s ?p ?o"), (named, "GRAPH ?g { ?s ?p ?o }")):
            if not part:
                continue
            start = len(columns[0])
            for quad in part:
                for column, term in zip(columns, (quad.subject, quad.predicate, quad.object,
                                                  quad.graph_name), strict=True):
                    column.append(term)
            indices = " ".join(str(i) for i in range(start, start + len(part)))
            binds = " ".join(f"BIND(<urn:x-alliancegraph:{f}>(?i) AS ?{f})"
                             for f in _FUNCTIONS if f != "g" or template.startswith("GRAPH"))
            operations.append(f"{verb} {{ {template} }} WHERE {{ VALUES ?i {{ {indices} }} "
                              f"{binds} }}")

    block(removed, "DELETE")
    operations += [f"CLEAR SILENT {'DEFAULT' if g is None else f'GRAPH <{g}>'}" for g in clear]
    operations += [f"DROP SILENT GRAPH <{g}>" for g in drop]
    operations += [f"CREATE SILENT GRAPH <{g}>" for g in create]
    block(added, "INSERT")
    if not operations:
        return
    functions = {ox.NamedNode(f"urn:x-alliancegraph:{f}"): _column(column)
                 for f, column in zip(_FUNCTIONS, columns, strict=True)}
    call(lambda: store.update(" ;\n".join(operations), custom_functions=functions))


def _column(terms: list[Any]) -> Callable[[ox.Literal], Any]:
    return lambda index: terms[int(index.value)]
