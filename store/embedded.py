"""The embedded store: Oxigraph (pyoxigraph) on disk, opened per call in a child process.

The calling process keeps no store open. Every call forks a child
(``multiprocessing`` "fork" context) that takes a file lock beside the store, opens it,
does one thing and sends the answer back through a pipe:

* reads (queries, graph reads, counts, dumps) take a SHARED lock and open the store
  read-only; a query is killed (SIGKILL) when it runs over ``query_timeout`` and the
  caller gets :class:`~alliancegraph.errors.QueryTimeout`. pyoxigraph's ``Store.query``
  has no timeout and cannot be cancelled from Python, so ending the process is the only
  way to really stop it. The child's memory is capped too (``max_memory_mb``), and an
  engine crash is told apart from a store that is down (:mod:`alliancegraph.store.limits`).
* writes take an EXCLUSIVE lock, open the store read-write, call the write guard, apply
  one all-or-nothing pyoxigraph operation (a multi-operation SPARQL update is one
  transaction), flush and close. pyoxigraph forbids a read-only open while another
  process writes; the lock keeps readers out for that time.

Results are serialised in the child by pyoxigraph's own serialisers. A result with more
than ``max_rows`` solutions (or triples) is refused with
:class:`~alliancegraph.errors.ResultTooLarge` (413), never truncated.

Dataset rules:

* a query with no protocol dataset and no FROM/FROM NAMED sees the union of all graphs
  as its default graph (``union_default_graph=True``, the default); the W3C test runs
  switch that off to get the plain SPARQL dataset;
* FROM / FROM NAMED and USING / USING NAMED must name graphs that exist in the store
  (400 otherwise; a ``file:`` IRI is always refused): nothing is ever fetched;
* a protocol dataset (``default-graph-uri`` / ``named-graph-uri``) overrides FROM, and a
  graph it names that the store does not hold is an empty graph;
* an update works on the real default graph, as SPARQL Update says; a protocol
  ``using-graph-uri``/``using-named-graph-uri`` becomes USING clauses.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import math
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox
from alliancegraph.errors import (
    AllianceGraphError,
    BadRequest,
    NotAcceptable,
    NotFound,
    ParseError,
    ResultTooLarge,
    StoreUnavailable,
    UnsupportedMediaType,
)
from alliancegraph.store import (
    Dataset,
    QueryForm,
    QueryOutcome,
    WriteGuard,
    limits,
    rdfxml,
    sparql_guard,
)

T = TypeVar("T")

#: A write (or a build) waits this long at most; a write is never killed half-way
#: by the query time limit.
WRITE_TIMEOUT = 600.0
_CHUNK = 64 * 1024
_QUERY_ERROR_AT = re.compile(r"error at (\d+):(\d+)")
log = logging.getLogger(__name__)


def store_directory(data_dir: str | os.PathLike[str]) -> Path:
    """Where the Oxigraph files of the store in ``data_dir`` live."""
    return Path(data_dir) / "oxigraph"


class EmbeddedStore:
    """:class:`alliancegraph.store.Store` over a pyoxigraph store in ``data_dir``.

    The Oxigraph files are in ``<data_dir>/oxigraph/`` and the lock file is
    ``<data_dir>/oxigraph.lock``. A store that does not exist yet is created empty on
    first use.

    ``base_iri`` resolves relative IRIs in queries, updates and uploads when the caller
    gives none. ``write_guard`` (see :class:`alliancegraph.store.WriteGuard`) checks
    every write inside the exclusive lock before it is applied; its objects must not keep
    a reference to the pyoxigraph store it is given.
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        query_timeout: float,
        max_rows: int,
        base_iri: str,
        write_guard: WriteGuard | None = None,
        union_default_graph: bool = True,
        max_memory_mb: int | None = None,
    ):
        self.data_dir = Path(data_dir)
        self.path = store_directory(data_dir)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.query_timeout = query_timeout
        self.max_rows = max_rows
        self.base_iri = base_iri
        self.write_guard = write_guard
        self.union_default_graph = union_default_graph
        #: memory a query or write may add to its process (None: no cap)
        self.max_memory_mb = max_memory_mb

    # ------------------------------------------------------------------ queries

    def query_form(self, sparql: str) -> QueryForm:
        return sparql_guard.query_form(sparql)

    def query(
        self,
        sparql: str,
        *,
        media_type: str,
        dataset: Dataset | None = None,
        base_iri: str | None = None,
    ) -> QueryOutcome:
        """Run a query in a child process and return its serialised result.

        Raises ParseError (400, with line and column), BadRequest (400: SERVICE, a FROM
        graph the store does not hold, a ``file:`` IRI), NotAcceptable (406),
        QueryTimeout (503), ResultTooLarge (413).
        """
        base = base_iri or self.base_iri
        found = sparql_guard.check_query(sparql, base)
        form: QueryForm = found.form  # type: ignore[assignment]
        output = _result_format(form, media_type)
        if _has_dataset(dataset):
            required: list[str] = []  # the protocol dataset overrides FROM
        else:
            required = found.dataset_graphs
        union = self.union_default_graph and not found.dataset_graphs

        def work() -> QueryOutcome:
            store = ox.Store.read_only(str(self.path))
            options = _query_options(dataset, union)
            # parsed first, so a syntax error is reported before a missing FROM graph
            # (SELECT and CONSTRUCT are evaluated lazily, when read below)
            results = _engine(lambda: store.query(sparql, base_iri=base, **options), sparql)
            _require_graphs(store, required, "FROM")
            body, count = _engine(lambda: _serialise(results, output, self.max_rows))
            return QueryOutcome(form, output.media_type, body, count)

        return self._in_child(work, exclusive=False, timeout=self.query_timeout,
                              label=limits.fingerprint(sparql))

    # ------------------------------------------------------------------ updates

    def update(
        self,
        sparql: str,
        *,
        dataset: Dataset | None = None,
        base_iri: str | None = None,
    ) -> None:
        """Apply a SPARQL Update atomically (all operations or none).

        Raises ParseError (400), BadRequest (400: LOAD, SERVICE, USING of a graph the
        store does not hold, WITH/USING together with a protocol dataset, an operation
        that fails such as CREATE of an existing graph), ValidationFailed (422, from the
        write guard).
        """
        base = base_iri or self.base_iri
        found = sparql_guard.check_update(sparql, base)
        required = found.dataset_graphs
        sparql = sparql_guard.add_using(sparql, found, dataset)
        guard = self.write_guard

        def work(store: ox.Store) -> None:
            _require_graphs(store, required, "USING")
            if guard is not None:
                _check_update_syntax(sparql, base)  # Oxigraph's message, before the guard's parser
                guard.check_update(store, sparql, dataset=dataset, base_iri=base)
            _engine(lambda: store.update(sparql, base_iri=base), sparql)

        self._write(work)

    # ------------------------------------------------------------------ graph store

    def graph_names(self) -> list[str]:
        return self._read(lambda store: sorted(g.value for g in store.named_graphs()
                                               if isinstance(g, ox.NamedNode)))

    def graph_exists(self, name: str | None) -> bool:
        if name is None:
            return True
        return self._read(lambda store: store.contains_named_graph(ox.NamedNode(name)))

    def get_graph(self, name: str | None, *, media_type: str) -> bytes:
        """One graph in an RDF syntax; NotFound (404) for a named graph the store lacks."""
        output = _rdf_format(media_type)

        def work(store: ox.Store) -> bytes:
            graph = _graph_term(name)
            if name is not None and not store.contains_named_graph(graph):
                raise NotFound(f"no graph named <{name}> in the store")
            quads = store.quads_for_pattern(None, None, None, graph)
            if output.supports_datasets:
                return ox.serialize(quads, format=output)
            return ox.serialize((q.triple for q in quads), format=output)

        return self._read(work)

    def put_graph(self, name: str | None, data: bytes, *, media_type: str,
                  base_iri: str | None = None) -> bool:
        """Replace a graph in one transaction; True when the graph was created."""
        return self._store_graph(name, data, media_type, base_iri, replace=True)

    def post_graph(self, name: str | None, data: bytes, *, media_type: str,
                   base_iri: str | None = None) -> bool:
        """Merge into a graph in one transaction; True when the graph was created."""
        return self._store_graph(name, data, media_type, base_iri, replace=False)

    def _store_graph(self, name: str | None, data: bytes, media_type: str,
                     base_iri: str | None, *, replace: bool) -> bool:
        """Parse ``data`` fully, then (after the write guard) replace or merge into the graph
        with ONE update, so a failure leaves the old graph."""
        quads = parse_rdf(data, media_type, graph=name, base_iri=base_iri or self.base_iri)
        guard = self.write_guard

        def work(store: ox.Store) -> bool:
            created = name is not None and not store.contains_named_graph(ox.NamedNode(name))
            if guard is not None:
                check = guard.check_put if replace else guard.check_post
                check(store, name, quads)
            target = "DEFAULT" if name is None else f"GRAPH <{name}>"
            drop = f"DROP SILENT {target} ;\n" if replace else ""
            create = "" if name is None else f"CREATE SILENT GRAPH <{name}> ;\n"
            _engine(lambda: store.update(f"{drop}{create}{_insert_data(name, quads)}"))
            return created

        return self._write(work)

    def delete_graph(self, name: str | None) -> None:
        """Drop a named graph (NotFound when missing) or empty the default graph."""
        guard = self.write_guard

        def work(store: ox.Store) -> None:
            if name is not None and not store.contains_named_graph(ox.NamedNode(name)):
                raise NotFound(f"no graph named <{name}> in the store")
            if guard is not None:
                guard.check_delete(store, name)
            target = "DEFAULT" if name is None else f"GRAPH <{name}>"
            _engine(lambda: store.update(f"DROP {target}"))

        self._write(work)

    # ------------------------------------------------------------------ whole store

    def count(self, graph: str | None = None) -> int:
        """Quads in one named graph, or in the whole store with ``graph=None``."""
        if graph is None:
            return self._read(len)
        return self._read(lambda store: sum(
            1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))))

    def exists(self) -> bool:
        """Whether a store has been created at ``path``."""
        return (self.path / "CURRENT").exists()

    def status(self) -> dict[str, Any]:
        """For a readiness check: does the store open, and how much does each graph hold."""
        def work(store: ox.Store) -> dict[str, Any]:
            graphs: dict[str, int] = {}
            for quad in store:
                key = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else ""
                graphs[key] = graphs.get(key, 0) + 1
            return {"ok": True, "path": str(self.path), "quads": sum(graphs.values()),
                    "graphs": graphs}

        try:
            return self._read(work)
        except AllianceGraphError as exc:
            return {"ok": False, "path": str(self.path), "error": exc.message}

    def dump(self, *, media_type: str) -> Iterator[bytes]:
        """The whole store: every graph in a dataset syntax (N-Quads, TriG), or the union
        of all graphs in a graph syntax (Turtle, N-Triples, …). Streams from a temp file."""
        output = _rdf_format(media_type)
        handle, temp = tempfile.mkstemp(prefix="alliancegraph-dump-")
        os.close(handle)

        def work(store: ox.Store) -> None:
            if output.supports_datasets:
                store.dump(temp, format=output)
            else:
                union = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
                                    use_default_graph_as_union=True)
                ox.serialize(union, temp, format=output)

        try:
            self._read(work, timeout=max(self.query_timeout, WRITE_TIMEOUT))
            handle = open(temp, "rb")  # noqa: SIM115 - closed by the generator
        finally:
            os.unlink(temp)  # the open handle keeps the data readable
        return _stream_file(handle)

    def apply(self, work: Callable[[ox.Store], T], *, capped: bool = True) -> T:
        """Run ``work`` on the store opened read-write under the exclusive lock (in a child
        process; its result must pickle). The write guard is not called. ``capped=False``
        lifts the memory cap (the build, which no request can start)."""
        return self._write(work, capped=capped)

    # ------------------------------------------------------------------ processes

    def _read(self, work: Callable[[ox.Store], T], *, timeout: float | None = None) -> T:
        def run() -> T:
            return work(_open(str(self.path), read_only=True))

        return self._in_child(run, exclusive=False, timeout=timeout or self.query_timeout)

    def _write(self, work: Callable[[ox.Store], T], *, capped: bool = True) -> T:
        def run() -> T:
            store = _open(str(self.path), read_only=False)
            error: BaseException | None = None
            try:
                result = work(store)
                store.flush()
            except BaseException as exc:
                # drop the traceback: its frames would keep the store open
                error = exc.with_traceback(None)
                error.__context__ = error.__cause__ = None
            del store  # closes it (refcount): nothing else may hold a reference
            if error is not None:
                raise error
            return result

        return self._in_child(run, exclusive=True, timeout=WRITE_TIMEOUT, capped=capped)

    def _in_child(self, work: Callable[[], T], *, exclusive: bool, timeout: float,
                  label: str | None = None, capped: bool = True) -> T:
        _check_fork_safe()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not exclusive and not self.exists():
            self._write(lambda store: None)  # create it empty, so reads see an empty store
        lock_path = str(self.lock_path)

        def locked() -> T:
            with _locked(lock_path, exclusive):
                return _in_new_thread(work)

        return limits.run_in_child(
            locked, timeout=timeout, memory_mb=self.max_memory_mb if capped else None,
            what="write" if exclusive else "query",
            timeout_setting="write_timeout" if exclusive else "query_timeout",
            label=label,
            # a reader also ends itself a little after the limit, should it outlive us
            alarm=None if exclusive else math.ceil(timeout) + 5)


# ---------------------------------------------------------------------- child side


def _open(path: str, *, read_only: bool) -> ox.Store:
    """Open the store; an I/O error of the storage engine (a lock it cannot take, a file
    it cannot read) is StoreUnavailable with the details in the log, not in the answer."""
    try:
        return ox.Store.read_only(path) if read_only else ox.Store(path)
    except OSError as exc:
        log.warning("cannot open the store %s: %s", path, exc)
        raise StoreUnavailable("the store cannot be opened right now (its storage engine "
                               "reported an I/O error, logged on the server); try again"
                               ) from None


def _check_fork_safe() -> None:
    """Refuse to fork when this process has used RocksDB itself (an Oxigraph store opened
    in-process, e.g. ``pyoxigraph.Store(path)``): its background threads do not exist in
    a forked child, where opening a store then hangs for ever (reproduced)."""
    tasks = Path("/proc/self/task")
    if not tasks.is_dir():
        return
    for task in tasks.iterdir():
        try:
            name = (task / "comm").read_text().strip()
        except OSError:  # the thread ended while we looked
            continue
        if name.startswith("rocksdb:"):
            raise StoreUnavailable(
                "this process has opened an Oxigraph store itself, so the store cannot "
                "fork its query and write processes; open stores only through "
                "EmbeddedStore")


def _in_new_thread(work: Callable[[], T]) -> T:
    """Run ``work`` in a new thread of this forked child.

    pyoxigraph draws fresh blank-node labels from a per-thread random generator, and a fork
    copies the parent's: in the child's main thread, ``INSERT DATA`` would hand out the very
    labels the parent draws next, so blank nodes of separate writes merged. A new thread
    seeds its own generator from the OS."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = work()
        except BaseException as exc:  # re-raised below, in the calling thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="store-work")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


@contextlib.contextmanager
def _locked(lock_path: str, exclusive: bool) -> Iterator[None]:
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _engine(call: Callable[[], T], text: str | None = None) -> T:
    """Run a pyoxigraph call, turning its errors into project errors."""
    try:
        return call()
    except SyntaxError as exc:
        raise _parse_error(exc, text) from None
    except RuntimeError as exc:  # an update operation that fails (CREATE of an existing graph…)
        raise BadRequest(str(exc)) from None


def _check_update_syntax(sparql: str, base: str) -> None:
    """Raise ParseError (with Oxigraph's line and column) when an update does not parse.

    pyoxigraph has no parse-only call, so the update runs on an empty in-memory store:
    only its syntax errors count here; any other error (DROP of a missing graph…) is a
    property of the real store and is reported when the update runs there."""
    try:
        ox.Store().update(sparql, base_iri=base)
    except SyntaxError as exc:
        raise _parse_error(exc, sparql) from None
    except (RuntimeError, OSError, ValueError):
        pass  # not a syntax error: decided against the real store, see the docstring


def _parse_error(exc: SyntaxError, text: str | None = None) -> ParseError:
    message = str(exc.msg if exc.msg else exc)
    line, column = exc.lineno, exc.offset
    found = _QUERY_ERROR_AT.search(message)
    if line is None and found:
        line, column = int(found.group(1)), int(found.group(2))
        message = message[found.end():].lstrip(": ")
    return ParseError(message, line=line, column=column, text=text)


def _require_graphs(store: ox.Store, iris: list[str], clause: str) -> None:
    for iri in iris:
        if not store.contains_named_graph(ox.NamedNode(iri)):
            raise sparql_guard.Refused(
                f"{clause} <{iri}> names no graph of this store; FROM and USING never "
                "fetch documents, they only select stored graphs")


def _query_options(dataset: Dataset | None, union: bool) -> dict[str, Any]:
    if not _has_dataset(dataset):
        return {"use_default_graph_as_union": True} if union else {}
    assert dataset is not None
    return {
        "default_graph": [ox.NamedNode(g) for g in dataset.default_graphs or ()],
        "named_graphs": [ox.NamedNode(g) for g in dataset.named_graphs or ()],
    }


def _has_dataset(dataset: Dataset | None) -> bool:
    return dataset is not None and (
        dataset.default_graphs is not None or dataset.named_graphs is not None)


def _serialise(results: Any, output: Any, max_rows: int) -> tuple[bytes, int]:
    if isinstance(results, ox.QueryBoolean):
        return results.serialize(format=output), 1
    if isinstance(results, ox.QuerySolutions):
        variables = [v.value for v in results.variables]
        rows = _bounded(results, max_rows, "solutions")
        # Only as many solutions as allowed are kept; pyoxigraph re-reads them from a
        # SPARQL-JSON buffer and writes the requested format with its own serialiser.
        buffer = json.dumps({"head": {"vars": variables},
                             "results": {"bindings": [_json_row(r, variables) for r in rows]}})
        solutions = ox.parse_query_results(buffer.encode(), ox.QueryResultsFormat.JSON)
        return solutions.serialize(format=output), len(rows)
    triples = _bounded(results, max_rows, "triples")
    return ox.serialize(triples, format=output), len(triples)


def _bounded(items: Any, max_rows: int, what: str) -> list[Any]:
    kept = []
    for item in items:
        if len(kept) == max_rows:
            raise ResultTooLarge(f"the result has more than {max_rows} {what}, the limit; "
                                 "add LIMIT or narrow the query (results are never truncated)")
        kept.append(item)
    return kept


def _json_row(solution: ox.QuerySolution, variables: list[str]) -> dict[str, Any]:
    return {v: _json_term(solution[v]) for v in variables if solution[v] is not None}


def _json_term(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        value: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            value["xml:lang"] = term.language
        else:
            value["datatype"] = term.datatype.value
        return value
    return {"type": "triple", "value": {"subject": _json_term(term.subject),
                                        "predicate": _json_term(term.predicate),
                                        "object": _json_term(term.object)}}


# ---------------------------------------------------------------------- formats, parsing


def _result_format(form: QueryForm, media_type: str) -> Any:
    if form in ("SELECT", "ASK"):
        found = ox.QueryResultsFormat.from_media_type(media_type)
        if found is None:
            raise NotAcceptable(f"{form} results cannot be written as {media_type}; use "
                                "SPARQL JSON, XML, CSV or TSV")
        if form == "ASK" and found in (ox.QueryResultsFormat.CSV, ox.QueryResultsFormat.TSV):
            raise NotAcceptable("an ASK result is written as SPARQL JSON or XML, not CSV/TSV")
        return found
    found = ox.RdfFormat.from_media_type(media_type)
    if found is None:
        raise NotAcceptable(f"{form} results are RDF; {media_type} is not an RDF syntax")
    return found


def _rdf_format(media_type: str) -> ox.RdfFormat:
    found = ox.RdfFormat.from_media_type(media_type)
    if found is None:
        raise NotAcceptable(f"{media_type} is not an RDF syntax this store can write")
    return found


def parse_rdf(data: bytes, media_type: str, *, graph: str | None,
              base_iri: str | None) -> list[ox.Quad]:
    """Parse an upload completely into quads of ``graph`` before the store is touched.

    Refuses RDF/XML with a DOCTYPE or entity declaration before any parser sees it
    (entity expansion can take the whole process down), an unknown media type (415), a
    dataset syntax holding named graphs (400) and text that does not parse (ParseError
    with line and column).
    """
    syntax = ox.RdfFormat.from_media_type(media_type)
    if syntax is None:
        raise UnsupportedMediaType(f"cannot read {media_type}: send Turtle, N-Triples, "
                                   "N-Quads, TriG, JSON-LD or RDF/XML")
    if syntax == ox.RdfFormat.RDF_XML:
        rdfxml.check_rdf_xml(data)
    target = _graph_term(graph)
    try:
        parsed = list(ox.parse(data, syntax, base_iri=base_iri))
    except SyntaxError as exc:
        raise _parse_error(exc) from None
    except ValueError as exc:  # e.g. bytes that are not UTF-8
        raise ParseError(str(exc)) from None
    if any(not isinstance(q.graph_name, ox.DefaultGraph) for q in parsed):
        raise BadRequest("the body holds named graphs; send one graph (Turtle, N-Triples, "
                         "JSON-LD, RDF/XML) to the graph store")
    return [ox.Quad(q.subject, q.predicate, q.object, target) for q in parsed]


def _graph_term(name: str | None) -> ox.NamedNode | ox.DefaultGraph:
    return ox.DefaultGraph() if name is None else ox.NamedNode(name)


def _insert_data(name: str | None, quads: list[ox.Quad]) -> str:
    triples = "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in quads)
    if name is None:
        return f"INSERT DATA {{\n{triples}\n}}"
    return f"INSERT DATA {{ GRAPH <{name}> {{\n{triples}\n}} }}"


def _stream_file(handle: Any) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(_CHUNK):
            yield chunk
