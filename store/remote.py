"""The remote backend: any SPARQL 1.1 server over the protocol (tested on Oxigraph server).

Queries go to ``query_url``, writes to ``update_url``, through one ``requests.Session`` (a
keep-alive pool), with HTTP basic or bearer credentials. Results come back as SPARQL JSON
or N-Triples/N-Quads and are parsed into pyoxigraph terms, so callers see the same types as
with the in-process backends.

Generations: the store's version lives in a reserved graph (:data:`VERSION_GRAPH`): a
number, and one mark per committed write, which holds the server's NOW() as it committed
(:meth:`RemoteBackend.state` reads the number and that time in one query: every instance
sees the same commit time). Every write is ONE SPARQL update whose operations are all
conditional on the expected version, and whose last operation moves the version on and
leaves a mark of this write; reading the mark back tells a committed write
from a no-op (WriteConflict). An update text is applied the same way, as the delta worked
out on a read view (so CREATE of an existing graph, DROP of a missing one… fail as they do
on the other backends, before anything is sent). Creating and dropping empty graphs cannot
be conditional in SPARQL: they follow the committed write.

The reserved graph is hidden: from the pattern reads (``quads``, ``graph_names``,
``count``, ``dump``, ``status``) and from every query sent, whose ``GRAPH ?var`` groups
exclude it (:func:`hide_reserved`); its quads use reserved IRIs only, so only a pattern with
a variable predicate over the union default graph can still meet them.

Blank nodes: the server mints its own on every write path (SPARQL and Graph Store alike), so
a label is the server's, the same in every read, never the one a write gave. SPARQL cannot
name a stored blank node; so the reserved graph keeps each one's label as a literal
(:data:`_NODE_ID`), and a write names a blank node through it (:func:`_node`). A write that
makes blank nodes keys them by its own labels first (:data:`_PENDING`) and reads the
server's back once committed (:meth:`RemoteBackend._settle_blank_nodes`).

Graph Store (``graph_store_url``, optional): ``get_graph``, ``dump`` and bulk loads use it,
streamed; without it the same goes through SPARQL, streamed too.

Server-specific behaviour is kept in small methods (:meth:`RemoteBackend.dataset_params`,
:meth:`RemoteBackend.server_error`) so that a dialect subclass (Virtuoso) can change how a
dataset is sent and how errors are read.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import functools
import io
import itertools
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import pyoxigraph as ox
import requests
from alliancegraph.errors import (
    BadRequest,
    NotFound,
    ParseError,
    QueryTimeout,
    ResultTooLarge,
    StoreUnavailable,
    WriteConflict,
    WriteTimeout,
)
from alliancegraph.store import engine
from alliancegraph.store.base import (
    Applied,
    BulkFile,
    Change,
    Dataset,
    DropGraph,
    MergeGraph,
    QuadDelta,
    QueryOutcome,
    ReplaceGraph,
    ReplaceGraphs,
    Solutions,
    Term,
    Update,
)
from alliancegraph.store.remote_lock import write_lock
from alliancegraph.store.remote_view import RemoteView, read_consistently
from alliancegraph.store.sparql_guard import closing, query_form, read_prologue, tokenize

T = TypeVar("T")
VERSION_GRAPH = "urn:alliancegraph:store-version"
_SUBJECT = "<urn:alliancegraph:store>"
_NUMBER = "<urn:alliancegraph:generation>"
#: on a write's mark, the server's NOW() when it committed (one clock for every instance)
_TIME = "<urn:alliancegraph:committed-at>"
#: the commit time of a store no write of this version has changed: the same everywhere
NO_TIME = 0.0
_JSON = "application/sparql-results+json"
_NQUADS = "application/n-quads"
_NTRIPLES = "application/n-triples"
#: in the reserved graph, a stored blank node's server label: SPARQL cannot name a stored
#: blank node, so a write finds it by this literal (``GRAPH <reserved> { ?b _NODE_ID "…" }``)
_NODE_ID = "<urn:alliancegraph:blank-node>"
#: a blank node a write created, keyed by the label the write gave it, until its server
#: label is read back and kept under _NODE_ID (right after the write commits)
_PENDING = "<urn:alliancegraph:new-blank-node>"
_CHUNK = 64 * 1024
#: how Oxigraph server ends an answer it cut at its --timeout-s (the status was 200 already)
_CANCELLED = b"The SPARQL operation has been cancelled"
#: quads serialised at once when a dump is streamed
_BATCH = 10_000
_ERROR_AT = re.compile(r"error at (\d+):(\d+)")
#: Oxigraph server's 500s that are the query's fault, not the server's (the embedded store
#: raises them as the same 400): a function call to an IRI no engine implements
_QUERY_FAULT = re.compile(r"^The custom function <[^>]*> is not supported")
#: conflicting writes retried by apply_prepared before WriteConflict is raised
RETRIES = 5
#: marks of committed writes kept in the reserved graph (older ones are removed)
MARKS_KEPT = 100
_NO_DATASET = Dataset()


def _sparql_term(term: Any) -> str:
    """A pyoxigraph term in SPARQL syntax (its N-Triples form; RDF-star as ``<< >>``)."""
    return str(term)


def _quad_block(quads: Sequence[ox.Quad]) -> str:
    parts = []
    for q in quads:
        triple = (f"{_sparql_term(q.subject)} {_sparql_term(q.predicate)} "
                  f"{_sparql_term(q.object)} .")
        if isinstance(q.graph_name, ox.DefaultGraph):
            parts.append(triple)
        else:
            parts.append(f"GRAPH {_sparql_term(q.graph_name)} {{ {triple} }}")
    return " ".join(parts)


def _literal(label: str) -> str:
    return json.dumps(label)


def _node(var: str, label: str) -> str:
    """A pattern binding ``?var`` to the stored blank node ``label`` (a string literal or a
    variable bound to one) names: its server label, or the label of the write that made it
    until that write has read the server's back."""
    return f"GRAPH <{VERSION_GRAPH}> {{ ?{var} {_NODE_ID}|{_PENDING} {label} }}"


def hide_reserved(sparql: str) -> str:
    """``sparql`` with each ``GRAPH ?var { … }`` as ``{ GRAPH ?var { … } FILTER(?var !=
    <reserved>) }``, so that no graph variable ranges over the reserved graph. (Its quads use
    reserved IRIs only, so only a pattern with a variable predicate in the union default
    graph can still meet them.)"""
    tokens = tokenize(sparql)
    inserts: list[tuple[int, str]] = []
    for i, token in enumerate(tokens[:-2]):
        if token.keyword != "GRAPH" or tokens[i + 1].kind != "var" or tokens[i + 2].text != "{":
            continue
        end = closing(tokens, i + 2)
        if end is not None:  # else a syntax error, which the server reports
            inserts += [(token.start, "{ "), (tokens[end].start + 1,
                         f" FILTER({tokens[i + 1].text} != <{VERSION_GRAPH}>) }}")]
    for at, text in sorted(inserts, reverse=True):
        sparql = sparql[:at] + text + sparql[at:]
    return sparql


@dataclass
class _Plan:
    """A write: its guarded operations, and what follows once they are committed."""

    ops: list[str]
    drop: list[str] = field(default_factory=list)
    create: list[str] = field(default_factory=list)
    #: the write makes blank nodes, whose server labels are read back afterwards
    blank_nodes: bool = False
    created: bool = False
    counts: dict[str, int] = field(default_factory=dict)


def _as_delta(view: Any, change: Update) -> QuadDelta:
    from alliancegraph.store.delta import change_delta

    return change_delta(view, change).as_change()


def _data_delta(sparql: str, base_iri: str | None) -> QuadDelta | None:
    """The delta of an update made of INSERT DATA / DELETE DATA operations only, worked
    out here (the text names every quad: no read of the store, no round trip per quad);
    None for any other update. Each operation's data is read by pyoxigraph on an empty
    store (a DELETE DATA as the INSERT DATA of the same block), so its blank nodes are
    fresh per operation, as SPARQL says."""
    operations = _data_operations(tokenize(sparql))
    if operations is None:
        return None
    engine.check_update_syntax(sparql, base_iri)  # Oxigraph's message, line and column
    added: dict[ox.Quad, None] = {}
    removed: dict[ox.Quad, None] = {}
    for prologue, inserts, start, end in operations:
        scratch = ox.Store()
        text = f"{prologue}\nINSERT DATA {sparql[start:end]}"
        engine.call(functools.partial(scratch.update, text, base_iri=base_iri), text)
        for quad in scratch:
            (added if inserts else removed)[quad] = None
            (removed if inserts else added).pop(quad, None)
    return QuadDelta(removed=tuple(removed), added=tuple(added))


def _data_operations(tokens: list[Any]) -> list[tuple[str, bool, int, int]] | None:
    """(prologue in force, INSERT?, start and end of the data block) per operation, when
    every operation is INSERT DATA or DELETE DATA; else None."""
    found: list[tuple[str, bool, int, int]] = []
    prologue: list[str] = []
    declarations, i = read_prologue(tokens)
    while i < len(tokens):
        prologue += [declared.text for declared in declarations]
        word = tokens[i].keyword
        if word not in ("INSERT", "DELETE") or i + 2 >= len(tokens) \
                or tokens[i + 1].keyword != "DATA" or tokens[i + 2].text != "{":
            return None
        end = closing(tokens, i + 2)
        if end is None:
            return None
        found.append(("\n".join(prologue), word == "INSERT", tokens[i + 2].start,
                      tokens[end].start + 1))
        i = end + 1
        if i < len(tokens) and tokens[i].text == ";":
            i += 1
        declarations, i = read_prologue(tokens, i)
    return found or None


def prune_times(guard: str) -> str:
    """The operation removing the commit times of marks already pruned (after the prune of
    their numbers, in the same update)."""
    return (f"DELETE {{ GRAPH <{VERSION_GRAPH}> {{ ?m {_TIME} ?t }} }} WHERE {{ {guard} "
            f"GRAPH <{VERSION_GRAPH}> {{ ?m {_TIME} ?t FILTER NOT EXISTS {{ ?m {_NUMBER} ?k }} "
            "} }")


def _posix_time(term: Any) -> float:
    """A commit time the server wrote (an ``xsd:dateTime``) in seconds since the epoch; one
    without a time zone is read as UTC (the same in every instance)."""
    try:
        moment = datetime.datetime.fromisoformat(term.value)
    except (AttributeError, ValueError):
        raise StoreUnavailable(f"the store's commit time {term} is not an xsd:dateTime"
                               ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def _labels(quads: Sequence[ox.Quad]) -> list[str]:
    return sorted({t.value for q in quads for t in (q.subject, q.object)
                   if isinstance(t, ox.BlankNode)})


def _delta_ops(removed: Sequence[ox.Quad], added: Sequence[ox.Quad], guard: str, *,
               clear: Sequence[str] = (), clear_default: bool = False) -> list[str]:
    """Guarded operations: ``removed`` go, ``clear`` graphs are emptied, ``added`` come. A
    blank node is named by its label: one a write has not stored yet is made first (a fresh
    node of the server's, keyed by that label in the reserved graph)."""
    _refuse_reserved([*clear, *(q.graph_name.value for q in (*removed, *added)
                                if isinstance(q.graph_name, ox.NamedNode))])
    ops = _quad_ops("DELETE", removed, guard)
    ops += [f"DELETE {{ GRAPH <{g}> {{ ?s ?p ?o }} }} WHERE {{ {guard} "
            f"GRAPH <{g}> {{ ?s ?p ?o }} }}" for g in clear]
    if clear_default:
        ops.append(f"DELETE {{ ?s ?p ?o }} WHERE {{ {guard} ?s ?p ?o }}")
    labels = _labels(added)
    if labels:
        ops.append(f"INSERT {{ GRAPH <{VERSION_GRAPH}> {{ _:n {_PENDING} ?l }} }} WHERE {{ "
                   f"{guard} VALUES ?l {{ {' '.join(map(_literal, labels))} }} FILTER NOT "
                   f"EXISTS {{ GRAPH <{VERSION_GRAPH}> {{ ?x {_NODE_ID}|{_PENDING} ?l }} }} }}")
    return ops + _quad_ops("INSERT", added, guard)


def _refuse_reserved(graphs: Iterable[str | None]) -> None:
    if VERSION_GRAPH in graphs:
        raise BadRequest(f"the graph <{VERSION_GRAPH}> is reserved: it holds the store's "
                         "version and cannot be written")


def _quad_ops(verb: str, quads: Sequence[ox.Quad], guard: str) -> list[str]:
    """``DELETE``/``INSERT`` of explicit quads from a VALUES table, one operation per shape
    (which of subject and object are blank nodes; default or named graph)."""
    groups: dict[tuple[bool, bool, bool], list[ox.Quad]] = {}
    for q in quads:
        if any(isinstance(t, ox.Triple) and "_:" in str(t) for t in (q.subject, q.object)):
            raise BadRequest("the remote backend cannot store a triple term with a blank "
                             f"node in it: {q}")
        key = (isinstance(q.subject, ox.BlankNode), isinstance(q.object, ox.BlankNode),
               isinstance(q.graph_name, ox.DefaultGraph))
        groups.setdefault(key, []).append(q)
    ops = []
    for (s_blank, o_blank, default), part in groups.items():
        names = ["?sl" if s_blank else "?s", "?p", "?ol" if o_blank else "?o"]
        names += [] if default else ["?g"]
        rows = " ".join("(" + " ".join(_cell(t) for t in _positions(q, default)) + ")"
                        for q in part)
        nodes = (_node("s", "?sl") if s_blank else "") + (_node("o", "?ol") if o_blank else "")
        template = "?s ?p ?o" if default else "GRAPH ?g { ?s ?p ?o }"
        ops.append(f"{verb} {{ {template} }} WHERE {{ {guard} VALUES ({' '.join(names)}) "
                   f"{{ {rows} }} {nodes} }}")
    return ops


def _positions(quad: ox.Quad, default: bool) -> tuple[Any, ...]:
    terms = (quad.subject, quad.predicate, quad.object)
    return terms if default else (*terms, quad.graph_name)


def _cell(term: Any) -> str:
    """A VALUES cell: a blank node as its label (a string), any other term as itself."""
    return _literal(term.value) if isinstance(term, ox.BlankNode) else _sparql_term(term)


class _Body(io.RawIOBase):
    """A streamed HTTP body as a raw file (for pyoxigraph's parsers); ``keep``: what was
    read is kept (:meth:`content`). The last bytes read stay in ``tail``."""

    def __init__(self, answer: requests.Response, *, keep: bool = False) -> None:
        self._chunks = answer.iter_content(_CHUNK)
        self._rest = b""
        self._kept: list[bytes] | None = [] if keep else None
        self.tail = b""

    def content(self) -> bytes:
        return b"".join(self._kept or ())

    def drain(self) -> None:
        while self.readinto(bytearray(_CHUNK)):
            pass

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._rest:
            self._rest = next(self._chunks, b"")
            if not self._rest:
                return 0
            self.tail = (self.tail + self._rest)[-len(_CANCELLED) - 8:]
            if self._kept is not None:
                self._kept.append(self._rest)
        size = min(len(buffer), len(self._rest))
        buffer[:size], self._rest = self._rest[:size], self._rest[size:]
        return size


@contextlib.contextmanager
def _server_answer(body: _Body) -> Iterator[None]:
    """Reading ``body``: an answer that does not parse is the server's failure, not the
    caller's (an answer Oxigraph server cut at its ``--timeout-s`` ends, with status 200,
    in "The SPARQL operation has been cancelled": QueryTimeout)."""
    try:
        yield
    except SyntaxError as exc:
        if _CANCELLED in body.tail:
            raise QueryTimeout("the SPARQL server stopped the query at its own time limit "
                               "(the answer was cut off)") from None
        raise StoreUnavailable(f"the SPARQL server's answer does not parse: {exc}") from None
    except (requests.RequestException, OSError) as exc:
        raise StoreUnavailable(f"the SPARQL server stopped answering in the middle of a "
                               f"read ({type(exc).__name__}); the answer is incomplete"
                               ) from None


class ReadSolutions(list):
    """Solutions read whole, with their ``variables``. pyoxigraph's QuerySolutions may be
    dropped only by the thread that made it ("unsendable"): one left half-read in a
    suspended generator is collected by whichever thread the garbage collector runs in,
    and fails there (seen with two writers validating at once). Rows may cross threads."""

    def __init__(self, results: ox.QuerySolutions) -> None:
        super().__init__(results)
        self.variables = results.variables


def read_whole(body: bytes) -> ReadSolutions | ox.QueryBoolean:
    """A SPARQL JSON answer parsed and read whole (see :class:`ReadSolutions`)."""
    results = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
    return ReadSolutions(results) if isinstance(results, ox.QuerySolutions) else results


class _Streamed:
    """SPARQL JSON results read as they stream: ``variables`` (None for a boolean) and the
    solutions. An iterator of its own, not a generator: :meth:`close` (at the end, or by
    the reader) drops the parser in this thread, where a suspended generator would keep it
    for the garbage collector of any thread (see :class:`ReadSolutions`)."""

    def __init__(self, answer: requests.Response) -> None:
        self._answer, self._body = answer, _Body(answer)
        with _server_answer(self._body):
            self._results: Any = ox.parse_query_results(
                io.BufferedReader(self._body, _CHUNK), ox.QueryResultsFormat.JSON)
        self.variables = getattr(self._results, "variables", None)

    def __iter__(self) -> _Streamed:
        return self

    def __next__(self) -> ox.QuerySolution:
        if self._results is None:
            raise StopIteration
        try:
            with _server_answer(self._body):
                return next(self._results)
        except BaseException:  # the end, or a failure: the parser goes in this thread
            self.close()
            raise

    def close(self) -> None:
        self._results = None
        self._answer.close()


def _count(items: Iterator[Any], limit: int) -> int:
    """How many ``items`` there are, counting no further than ``limit + 1``."""
    return sum(1 for _ in itertools.islice(items, limit + 1))


def _answered(body: _Body, items: Iterator[Any], limit: int) -> int:
    """:func:`_count` of an answer's items, its failures as the project's errors."""
    with _server_answer(body):
        return _count(items, limit)


def _too_large(limit: int) -> ResultTooLarge:
    return ResultTooLarge(f"the result has more than {limit} rows, the limit; add LIMIT or "
                          "narrow the query (results are never truncated)")


def _reading(items: Iterator[T]) -> Iterator[T]:
    """``items`` with a connection lost mid-stream raised as StoreUnavailable."""
    try:
        yield from items
    except (requests.RequestException, OSError) as exc:
        raise StoreUnavailable(f"the SPARQL server stopped answering in the middle of a "
                               f"read ({type(exc).__name__}); the answer is incomplete"
                               ) from None


def _serialised(quads: Iterator[ox.Quad], output: ox.RdfFormat) -> Iterator[bytes]:
    """``quads`` written in ``output``, a batch at a time where the syntax allows it
    (N-Quads, TriG: batches simply follow one another), else all at once."""
    if output not in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
        yield ox.serialize(quads, format=output)
        return
    batch: list[ox.Quad] = []
    for quad in quads:
        batch.append(quad)
        if len(batch) == _BATCH:
            yield ox.serialize(batch, format=output)
            batch = []
    yield ox.serialize(batch, format=output) if batch else b""


def _label_unkeyed(guard: str) -> str:
    """An operation giving every stored blank node without a key a pending one (a new
    UUID): for data written to the server by other means (a scan of the whole store)."""
    seen = ("{ ?b ?p ?o } UNION { ?s ?p ?b } UNION { GRAPH ?g { ?b ?p ?o } } "
            "UNION { GRAPH ?g { ?s ?p ?b } }")
    return (f"INSERT {{ GRAPH <{VERSION_GRAPH}> {{ ?b {_PENDING} ?c }} }} WHERE {{ {guard} "
            f"{{ SELECT DISTINCT ?b WHERE {{ {seen} FILTER(isBlank(?b)) FILTER NOT EXISTS "
            f"{{ GRAPH <{VERSION_GRAPH}> {{ ?b ?k ?l }} }} }} }} BIND(STRUUID() AS ?c) }}")


_RESERVED = ox.NamedNode(VERSION_GRAPH)
_PENDING_NODE = ox.NamedNode(_PENDING[1:-1])


def _keyed_batches(path: Any) -> Iterator[list[ox.Quad]]:
    """A bulk file's quads, read a batch at a time, each blank node followed by its
    pending key (the file's label): the server renames the file's blank nodes, but
    consistently within the one request, so each key lands on its node (a key repeated for
    each use of a node is one quad)."""
    with open(path, "rb") as file:
        batch: list[ox.Quad] = []
        try:
            for quad in ox.parse(file, format=ox.RdfFormat.N_QUADS):
                batch.append(quad)
                batch += [ox.Quad(t, _PENDING_NODE, ox.Literal(t.value), _RESERVED)
                          for t in (quad.subject, quad.object) if isinstance(t, ox.BlankNode)]
                if len(batch) >= _BATCH:
                    yield batch
                    batch = []
        except SyntaxError as exc:  # the request stops unfinished: the server applies nothing
            raise engine.parse_error(exc, source=str(path)) from None
        yield batch


def _nquads_file(path: Any) -> Iterator[bytes]:
    for batch in _keyed_batches(path):
        yield ox.serialize(batch, format=ox.RdfFormat.N_QUADS)


def _insert_file(path: Any, guard: str) -> Iterator[bytes]:
    """``INSERT { …every quad of an N-Quads file… } WHERE { guard }``, streamed (its blank
    nodes are fresh nodes of this one template)."""
    yield b"INSERT { "
    for batch in _keyed_batches(path):
        yield (_quad_block(batch) + "\n").encode()
    yield f"}} WHERE {{ {guard} }}".encode()


def _chained(first: Iterator[bytes], last: bytes) -> Iterator[bytes]:
    yield from first
    yield last


class RemoteBackend:
    """:class:`alliancegraph.store.base.Backend` over a SPARQL 1.1 server."""

    name = "remote"
    #: the client stops waiting; whether the server stops the query depends on the server
    stops_runaway_queries = False

    def __init__(self, query_url: str, update_url: str, graph_store_url: str | None = None,
                 *, user: str | None = None, password: str | None = None,
                 token: str | None = None, timeout: float = 30.0,
                 write_timeout: float = 600.0, write_lease: float = 0.0) -> None:
        self.query_url, self.update_url = query_url, update_url
        self.graph_store_url = graph_store_url
        self.timeout, self.write_timeout = timeout, write_timeout
        #: seconds the write lock may be held (0: twice write_timeout; store/remote_lock.py)
        self.write_lease = write_lease
        self._session = requests.Session()
        # the server is configured, not found: no proxies or netrc from the environment
        # (and no per-request lookup of them)
        self._session.trust_env = False
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"
        elif user:
            self._session.auth = (user, password or "")

    # ------------------------------------------------------------------ the protocol

    def dataset_params(self, dataset: Dataset) -> list[tuple[str, str]]:
        """Protocol parameters for a dataset. Oxigraph server takes ``union-default-graph``
        per request; a dialect subclass overrides this."""
        if dataset.given:
            return ([("default-graph-uri", g) for g in dataset.default_graphs or ()]
                    + [("named-graph-uri", g) for g in dataset.named_graphs or ()])
        return [("union-default-graph", "")] if dataset.union_default else []

    def server_error(self, answer: requests.Response, text: str) -> Exception:
        """The project error for a server's 4xx/5xx answer (a dialect subclass may read its
        server's error bodies better)."""
        message = answer.text.strip()[:2000] or answer.reason
        if answer.status_code == 400:
            found = _ERROR_AT.search(message)
            if found:  # Oxigraph: "error at L:C: …" for SPARQL, and so for RDF syntaxes
                return ParseError(message[found.end():].lstrip(": ") or message, text=text,
                                  line=int(found.group(1)), column=int(found.group(2)))
            return ParseError(message, text=text) if "rror" in message else BadRequest(message)
        if answer.status_code in (401, 403):
            return StoreUnavailable(f"the SPARQL server refused our credentials "
                                    f"({answer.status_code}): {message}")
        if answer.status_code == 404:
            return NotFound(message)
        if _QUERY_FAULT.search(message):  # Oxigraph answers 500 for what the query asks
            return BadRequest(f"the SPARQL server cannot evaluate this: {message}")
        return StoreUnavailable(f"the SPARQL server answered {answer.status_code}: {message}")

    def _post(self, url: str, text: str, *, data: Any, accept: str | None,
              timeout: float | None, **options: Any) -> requests.Response:
        return self._request("POST", url, text, data=data, accept=accept, timeout=timeout,
                             **options)

    def _request(self, method: str, url: str, text: str, *, accept: str | None,
                 timeout: float | None, headers: dict[str, str] | None = None,
                 **options: Any) -> requests.Response:
        """One HTTP request; every failure as the project's error (see the module)."""
        headers = {**({"Accept": accept} if accept else {}), **(headers or {})}
        try:
            answer = self._session.request(method, url, headers=headers,
                                           timeout=(5.0, timeout or self.timeout), **options)
        except requests.Timeout:
            raise QueryTimeout(f"the SPARQL server did not answer within "
                               f"{timeout or self.timeout:g} s") from None
        except requests.ConnectionError as exc:
            raise StoreUnavailable(f"the SPARQL server at {url} cannot be reached "
                                   f"({type(exc).__name__}); is it running?") from None
        if answer.status_code >= 400:
            raise self.server_error(answer, text)
        return answer

    def _query(self, sparql: str, *, accept: str, dataset: Dataset = _NO_DATASET,
               base_iri: str | None = None, timeout: float | None = None,
               stream: bool = False) -> requests.Response:
        text = f"BASE <{base_iri}>\n{sparql}" if base_iri else sparql
        data = [("query", hide_reserved(text)), *self.dataset_params(dataset)]
        try:
            return self._post(self.query_url, text, data=data, accept=accept, timeout=timeout,
                              stream=stream)
        except ParseError:
            # the server saw a BASE line and hide_reserved's groups: the place in the text as
            # given comes from the same parser here (Oxigraph's); else the server's answer
            engine.check_query_syntax(sparql, base_iri)
            raise

    def _update(self, sparql: str, timeout: float | None = None) -> None:
        try:
            self._post(self.update_url, sparql, data={"update": sparql}, accept=None,
                       timeout=timeout or self.write_timeout)
        except QueryTimeout:
            raise WriteTimeout(f"the SPARQL server did not confirm the write within "
                               f"{timeout or self.write_timeout:g} s; the server may still "
                               "apply it (read the generation to know)") from None

    def _solutions(self, sparql: str, *, stream: bool = False, **options: Any) -> Any:
        """A query's results as pyoxigraph parses them; read whole (the store's own small
        queries, ASK), or ``stream``: as they come (:class:`_Streamed`)."""
        if stream:
            return _Streamed(self._query(sparql, accept=_JSON, stream=True, **options))
        body = self._query(sparql, accept=_JSON, **options).content
        if body.endswith(_CANCELLED):
            raise QueryTimeout("the SPARQL server stopped the query at its own time limit "
                               "(the answer was cut off)")
        try:
            return read_whole(body)
        except SyntaxError as exc:
            raise StoreUnavailable(f"the SPARQL server's answer does not parse: {exc}"
                                   ) from None

    # ------------------------------------------------------------------ generations

    def _version(self) -> int:
        found = list(self._solutions(
            f"SELECT ?n WHERE {{ GRAPH <{VERSION_GRAPH}> {{ {_SUBJECT} {_NUMBER} ?n }} }}"))
        return int(found[0]["n"].value) if found else 0

    def generation(self) -> int:
        """The server's version (one small query: other instances write too)."""
        return self._version()

    def committed_at(self) -> float:
        return self.state()[1]

    def state(self) -> tuple[int, float]:
        """The version and its commit time, read together (one query): the time is on the
        mark of the write that made the version (:data:`NO_TIME` when that write left none:
        a store written by an older version, or never written)."""
        rows = list(self._solutions(
            f"SELECT ?n ?t WHERE {{ GRAPH <{VERSION_GRAPH}> {{ {_SUBJECT} {_NUMBER} ?n "
            f"OPTIONAL {{ ?m {_NUMBER} ?n ; {_TIME} ?t }} }} }}"))
        if not rows:
            return 0, NO_TIME
        times = [_posix_time(row["t"]) for row in rows if row["t"] is not None]
        return int(rows[0]["n"].value), max(times, default=NO_TIME)

    # ------------------------------------------------------------------ queries

    def select(self, sparql: str, *, dataset: Dataset, base_iri: str | None, max_rows: int,
               timeout: float | None = None) -> Solutions:
        """Read as it streams, and no further than ``max_rows`` (then ResultTooLarge)."""
        results = self._solutions(sparql, dataset=dataset, base_iri=base_iri, timeout=timeout,
                                  stream=True)
        if getattr(results, "variables", None) is None:
            raise BadRequest("not a SELECT query")
        variables = tuple(v.value for v in results.variables)
        try:
            rows = engine.bounded(results, max_rows, "solutions")
        finally:
            if isinstance(results, _Streamed):
                results.close()
        return Solutions(variables, tuple(tuple(r[v] for v in variables) for r in rows))

    def ask(self, sparql: str, *, dataset: Dataset, base_iri: str | None,
            timeout: float | None = None) -> bool:
        results = self._solutions(sparql, dataset=dataset, base_iri=base_iri, timeout=timeout)
        if not isinstance(results, ox.QueryBoolean):
            raise BadRequest("not an ASK query")
        return bool(results)

    def construct(self, sparql: str, *, dataset: Dataset, base_iri: str | None, max_rows: int,
                  timeout: float | None = None) -> list[ox.Triple]:
        if query_form(sparql) not in ("CONSTRUCT", "DESCRIBE"):
            raise BadRequest("not a CONSTRUCT or DESCRIBE query")
        answer = self._query(sparql, accept=_NTRIPLES, dataset=dataset, base_iri=base_iri,
                             timeout=timeout, stream=True)
        body = _Body(answer)
        with answer, _server_answer(body):
            found: dict[ox.Triple, None] = {}
            for quad in ox.parse(io.BufferedReader(body, _CHUNK),
                                 format=ox.RdfFormat.N_TRIPLES):
                found[quad.triple] = None
                if len(found) > max_rows:
                    raise _too_large(max_rows)
        return list(found)

    def query(self, sparql: str, *, media_type: str, dataset: Dataset, base_iri: str | None,
              max_rows: int, timeout: float | None = None) -> QueryOutcome:
        """The server's own serialisation, relayed; counted as it streams, and read no
        further than ``max_rows`` results (then ResultTooLarge)."""
        form = query_form(sparql)
        output = engine.result_format(form, media_type)
        answer = self._query(sparql, accept=output.media_type, dataset=dataset,
                             base_iri=base_iri, timeout=timeout, stream=True)
        body = _Body(answer, keep=True)
        with answer, _server_answer(body):
            reader = io.BufferedReader(body, _CHUNK)
            if form == "ASK":
                count = _count(iter([ox.parse_query_results(reader, output)]), max_rows)
            elif output == ox.QueryResultsFormat.CSV:  # pyoxigraph reads no CSV; a value
                count = _count(itertools.islice(csv.reader(io.TextIOWrapper(
                    reader, "utf-8", newline="")), 1, None), max_rows)
            elif form == "SELECT":  # solutions: see engine.consume
                count = engine.consume(ox.parse_query_results(reader, output),
                                       lambda items: _answered(body, items, max_rows))
            else:
                count = _count(ox.parse(reader, format=output), max_rows)
            if count > max_rows:
                raise _too_large(max_rows)
            body.drain()  # what the parser left unread (a closing bracket…)
        return QueryOutcome(form, output.media_type, body.content(), count)

    # ------------------------------------------------------------------ reads

    def _user_quads(self, where: str, timeout: float | None = None) -> Iterator[ox.Quad]:
        """Quads of a ``?s ?p ?o ?g`` pattern, the reserved graph left out."""
        sparql = (f"SELECT ?s ?p ?o ?g WHERE {{ {where} "
                  f"FILTER(!BOUND(?g) || ?g != <{VERSION_GRAPH}>) }}")
        for row in self._solutions(sparql, timeout=timeout):
            graph = row["g"] if row["g"] is not None else ox.DefaultGraph()
            yield ox.Quad(row["s"], row["p"], row["o"], graph)

    @staticmethod
    def _pattern(subject: Term | None, predicate: ox.NamedNode | None, object: Term | None,
                 graph: str | Literal["*"] | None) -> str:
        """A ``?s ?p ?o ?g`` pattern; a blank node is found by its label (:func:`_node`)."""
        binds = " ".join(_node(v, _literal(t.value)) if isinstance(t, ox.BlankNode) else
                         f"BIND({_sparql_term(t)} AS ?{v})" for v, t in
                         (("s", subject), ("p", predicate), ("o", object)) if t is not None)
        triple = f"{binds} ?s ?p ?o ." if binds else "?s ?p ?o ."
        if graph is None:
            return triple
        if graph == "*":
            return f"{{ {triple} }} UNION {{ GRAPH ?g {{ {triple} }} }}"
        return f"BIND(<{graph}> AS ?g) GRAPH ?g {{ {triple} }}"

    def quads(self, subject: Term | None = None, predicate: ox.NamedNode | None = None,
              object: Term | None = None, graph: str | Literal["*"] | None = "*", *,
              limit: int) -> list[ox.Quad]:
        found = self._user_quads(self._pattern(subject, predicate, object, graph))
        return engine.bounded(found, limit, "quads")

    def graph_names(self) -> list[str]:
        # Oxigraph server lists empty named graphs too, through GRAPH ?g {}
        rows = self._solutions("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
        return sorted(r["g"].value for r in rows if r["g"].value != VERSION_GRAPH)

    def graph_exists(self, name: str | None) -> bool:
        return name is None or name in self.graph_names()

    def count(self, graph: str | Literal["*"] | None = "*") -> int:
        where = self._pattern(None, None, None, graph)
        (row,) = self._solutions(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} "
                                 f"FILTER(!BOUND(?g) || ?g != <{VERSION_GRAPH}>) }}")
        return int(row["n"].value)

    def _stream(self, answer: requests.Response) -> io.BufferedReader:
        """A streamed answer's body as a file (the parsers read it as it comes)."""
        return io.BufferedReader(_Body(answer), _CHUNK)

    def _graph_triples(self, name: str | None) -> Iterator[ox.Triple]:
        """One graph's triples: a Graph Store GET where there is one, else a CONSTRUCT."""
        if self.graph_store_url:
            params = {"default": ""} if name is None else {"graph": name}
            answer = self._request("GET", self.graph_store_url, f"GET {name}", params=params,
                                   accept=_NTRIPLES, timeout=self.write_timeout, stream=True)
        else:
            where = "?s ?p ?o" if name is None else f"GRAPH <{name}> {{ ?s ?p ?o }}"
            answer = self._query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {where} }}",
                                 accept=_NTRIPLES, timeout=self.write_timeout, stream=True)
        for quad in ox.parse(self._stream(answer), format=ox.RdfFormat.N_TRIPLES):
            yield quad.triple

    def _dataset_quads(self) -> Iterator[ox.Quad]:
        """Every quad but the reserved graph's: the Graph Store's N-Quads where there is
        one, else a SELECT; streamed either way."""
        if self.graph_store_url:
            answer = self._request("GET", self.graph_store_url, "GET the dataset",
                                   accept=_NQUADS, timeout=self.write_timeout, stream=True)
            reserved = ox.NamedNode(VERSION_GRAPH)
            for quad in ox.parse(self._stream(answer), format=ox.RdfFormat.N_QUADS):
                if quad.graph_name != reserved:
                    yield quad
            return
        answer = self._query(f"SELECT ?s ?p ?o ?g WHERE {{ {self._pattern(None, None, None, '*')} "
                             f"FILTER(!BOUND(?g) || ?g != <{VERSION_GRAPH}>) }}", accept=_JSON,
                             timeout=self.write_timeout, stream=True)
        for row in ox.parse_query_results(self._stream(answer), ox.QueryResultsFormat.JSON):
            graph = row["g"] if row["g"] is not None else ox.DefaultGraph()
            yield ox.Quad(row["s"], row["p"], row["o"], graph)

    def get_graph(self, name: str | None, *, media_type: str) -> bytes:
        output = engine.rdf_format(media_type)
        if not self.graph_exists(name):
            raise NotFound(f"no graph named <{name}> in the store")
        triples = _reading(self._graph_triples(name))
        if not output.supports_datasets:
            return ox.serialize(triples, format=output)
        target = engine.graph_term(name)
        return ox.serialize((ox.Quad(t.subject, t.predicate, t.object, target)
                             for t in triples), format=output)

    def dump(self, *, media_type: str) -> Iterator[bytes]:
        """Streamed: a dataset syntax from the whole dataset (:meth:`_dataset_quads`), a
        graph syntax as the server writes a CONSTRUCT over every graph."""
        output = engine.rdf_format(media_type)
        if output.supports_datasets:
            return _serialised(_reading(self._dataset_quads()), output)
        answer = self._query("CONSTRUCT { ?s ?p ?o } WHERE { { ?s ?p ?o } UNION "
                             "{ GRAPH ?g { ?s ?p ?o } } }", accept=output.media_type,
                             timeout=self.write_timeout, stream=True)
        return _reading(answer.iter_content(_CHUNK))

    def status(self) -> dict[str, Any]:
        try:
            rows = self._solutions("SELECT ?g (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION "
                                   "{ GRAPH ?g { ?s ?p ?o } } } GROUP BY ?g")
            graphs = {("" if r["g"] is None else r["g"].value): int(r["n"].value)
                      for r in rows}
            for name in self.graph_names():  # empty named graphs exist too
                graphs.setdefault(name, 0)
            return {"ok": True, "quads": sum(graphs.values()), "graphs": graphs,
                    "backend": self.name, "generation": self.generation()}
        except StoreUnavailable as exc:
            return {"ok": False, "error": exc.message}

    def read_view(self, work: Callable[..., T], *args: Any,
                  timeout: float | None = None) -> tuple[T, int]:
        """``work`` on a :class:`~alliancegraph.store.remote_view.RemoteView` (pattern
        queries to the server, no copy), between two equal version reads (else done again,
        a few times)."""
        return read_consistently(self, work, args, retries=RETRIES, timeout=timeout)

    # ------------------------------------------------------------------ writes

    def _operations(self, change: Change, guard: str) -> _Plan:
        """The guarded operations of a change and what follows once it is committed."""
        if isinstance(change, QuadDelta):
            _refuse_reserved(change.created_graphs)
            refilled = {q.graph_name.value for q in change.added
                        if isinstance(q.graph_name, ox.NamedNode)}
            return _Plan(_delta_ops(change.removed, change.added, guard,
                                    clear=change.dropped_graphs),
                         drop=[g for g in change.dropped_graphs if g not in refilled
                               and g not in change.created_graphs],
                         create=list(change.created_graphs),
                         blank_nodes=_labels(change.added) != [])
        if isinstance(change, ReplaceGraph | MergeGraph):
            name = change.graph
            target = ox.DefaultGraph() if name is None else ox.NamedNode(name)
            new = [ox.Quad(q.subject, q.predicate, q.object, target) for q in change.quads]
            replace = isinstance(change, ReplaceGraph)
            ops = _delta_ops((), new, guard, clear=[name] if replace and name else [],
                             clear_default=replace and name is None)
            return _Plan(ops, create=[name] if name else [], blank_nodes=_labels(new) != [],
                         created=name is not None and not self.graph_exists(name))
        if isinstance(change, DropGraph):
            if not self.graph_exists(change.graph):
                raise NotFound(f"no graph named <{change.graph}> in the store")
            if change.graph is None:
                return _Plan(_delta_ops((), (), guard, clear_default=True))
            return _Plan(_delta_ops((), (), guard, clear=[change.graph]), drop=[change.graph])
        if isinstance(change, ReplaceGraphs):
            added = [q for quads in change.graphs.values() for q in quads]
            return _Plan(_delta_ops((), added, guard, clear=list(change.graphs)),
                         create=list(change.graphs), blank_nodes=_labels(added) != [],
                         counts={g: len(set(quads)) for g, quads in change.graphs.items()})
        raise TypeError(f"not a store change: {change!r}")

    def apply(self, change: Change, *, if_generation: int | None = None,
              timeout: float | None = None) -> Applied:
        """:meth:`_apply_held` under the store-wide write lock (re-entrant: apply_prepared
        holds it already); its request ends with the lock's lease."""
        limit = timeout or self.write_timeout
        started = time.monotonic()
        with write_lock(self, VERSION_GRAPH).hold(limit) as held:
            left = limit - (time.monotonic() - started)
            return self._apply_held(change, if_generation=if_generation,
                                    timeout=held.budget(left))

    def _apply_held(self, change: Change, *, if_generation: int | None = None,
                    timeout: float | None = None) -> Applied:
        """One SPARQL update, conditional on the version (``if_generation`` or the one read
        now); WriteConflict when another writer came first. An update text is applied as
        its delta, worked out on a read view: so it is conditional like any other change,
        and the blank nodes it names are found by their labels."""
        if isinstance(change, Update):
            data = _data_delta(change.sparql, change.base_iri)
            if data is not None:
                change, expected = data, self._version()
            else:
                change, expected = self.read_view(_as_delta, change, timeout=timeout)
        else:
            expected = self._version()
        if if_generation is not None and if_generation != expected:
            raise WriteConflict(f"the store changed (generation {expected}, expected "
                                f"{if_generation}); nothing was written")
        if isinstance(change, BulkFile):
            return self._load_file(change, expected, timeout)
        plan = self._operations(change, self._guard(expected))
        self._commit(plan.ops, expected, timeout)
        self._after(plan, timeout)
        return Applied(expected + 1, created=plan.created, counts=plan.counts)

    def _commit(self, ops: list[str], expected: int, timeout: float | None,
                first: Iterator[bytes] | None = None) -> None:
        """``ops`` and the version's step to ``expected + 1`` as one update, all conditional
        on the version still being ``expected``; WriteConflict when it was not. ``first``:
        a streamed operation (a bulk file's INSERT) that comes before ``ops``."""
        token = uuid.uuid4().hex
        guard = self._guard(expected)
        mark = f"<urn:alliancegraph:write:{token}>"
        # the number moves on; a mark of this write stays, so that reading it back tells a
        # committed write from a no-op even when another writer came right after (marks
        # older than MARKS_KEPT generations go)
        bump = (f"DELETE {{ GRAPH <{VERSION_GRAPH}> {{ {_SUBJECT} {_NUMBER} ?n }} }} "
                f"INSERT {{ GRAPH <{VERSION_GRAPH}> {{ {_SUBJECT} {_NUMBER} {expected + 1} . "
                f"{mark} {_NUMBER} {expected + 1} ; {_TIME} ?now }} }} WHERE {{ {guard} "
                f"OPTIONAL {{ GRAPH <{VERSION_GRAPH}> {{ {_SUBJECT} {_NUMBER} ?n }} }} "
                "BIND(NOW() AS ?now) }")
        prune = (f"DELETE {{ GRAPH <{VERSION_GRAPH}> {{ ?m {_NUMBER} ?k }} }} WHERE {{ {guard} "
                 f"GRAPH <{VERSION_GRAPH}> {{ ?m {_NUMBER} ?k }} "
                 f"FILTER(?m != {_SUBJECT} && ?k <= {expected + 1 - MARKS_KEPT}) }}")
        rest = " ;\n".join([*ops, prune, prune_times(guard), bump])
        if first is None:
            self._update(rest, timeout)
        else:
            self._post(self.update_url, "the bulk update", accept=None,
                       data=_chained(first, f" ;\n{rest}".encode()),
                       timeout=timeout or self.write_timeout,
                       headers={"Content-Type": "application/sparql-update"})
        if not bool(self._solutions(f"ASK {{ GRAPH <{VERSION_GRAPH}> {{ {mark} ?p ?o }} }}")):
            raise WriteConflict(f"another writer changed the store (generation {expected}); "
                                "nothing was written")

    def _after(self, plan: _Plan, timeout: float | None) -> None:
        """Once a write is committed: graphs it emptied are dropped, graphs it made are
        created (neither can be conditional in SPARQL), and the server labels of the blank
        nodes it made are kept (:meth:`_settle_blank_nodes`)."""
        ops = ([f"DROP SILENT GRAPH <{g}>" for g in plan.drop]
               + [f"CREATE SILENT GRAPH <{g}>" for g in plan.create])
        if ops:
            self._update(" ;\n".join(ops), timeout)
        if plan.blank_nodes:
            self._settle_blank_nodes(timeout)

    def _load_file(self, change: BulkFile, expected: int, timeout: float | None) -> Applied:
        """A bulk load as one request, streamed from disk, its blank nodes keyed on the way
        (:func:`_keyed_batches`). With a Graph Store: POSTed to the dataset as N-Quads (one
        server transaction), then the version steps on in a second update (a reader may see
        the quads a moment before the new generation). With SPARQL only: one streamed
        update, its INSERT and the version's step together, conditional on the version."""
        if self.graph_store_url:
            self._post(self.graph_store_url, f"the bulk file {change.path}",
                       data=_nquads_file(change.path), accept=None,
                       timeout=timeout or self.write_timeout,
                       headers={"Content-Type": _NQUADS})
            try:
                self._commit([], expected, timeout)
            except WriteConflict:  # another writer skipped the lock: the quads are in
                expected = self._version()
                self._commit([], expected, timeout)
        else:
            self._commit([], expected, timeout,
                         first=_insert_file(change.path, self._guard(expected)))
        self._settle_blank_nodes(timeout)
        return Applied(expected + 1)

    def key_blank_nodes(self, timeout: float | None = None) -> None:
        """Give a key to every stored blank node that has none: once after data was written
        to the server by other means (``oxigraph load``…), so that writes through this
        backend can name its blank nodes. A scan of the whole store."""
        self._update(_label_unkeyed(""), timeout)
        self._settle_blank_nodes(timeout)


    def _settle_blank_nodes(self, timeout: float | None = None) -> None:
        """Each blank node a write made (keyed by the label the write gave it) gets its
        server label as its key: the label every read shows."""
        rows = self._solutions(f"SELECT ?b ?c WHERE {{ GRAPH <{VERSION_GRAPH}> "
                               f"{{ ?b {_PENDING} ?c }} }}")
        pairs = " ".join(f"({_literal(r['c'].value)} {_literal(r['b'].value)})" for r in rows)
        if pairs:
            self._update(f"DELETE {{ GRAPH <{VERSION_GRAPH}> {{ ?b {_PENDING} ?c }} }} "
                         f"INSERT {{ GRAPH <{VERSION_GRAPH}> {{ ?b {_NODE_ID} ?id }} }} "
                         f"WHERE {{ VALUES (?c ?id) {{ {pairs} }} "
                         f"GRAPH <{VERSION_GRAPH}> {{ ?b {_PENDING} ?c }} }}", timeout)

    @staticmethod
    def _guard(expected: int) -> str:
        if expected == 0:
            return (f"FILTER NOT EXISTS {{ GRAPH <{VERSION_GRAPH}> {{ {_SUBJECT} {_NUMBER} "
                    "?n } }")
        return f"GRAPH <{VERSION_GRAPH}> {{ {_SUBJECT} {_NUMBER} {expected} }}"

    def apply_prepared(self, prepare: Callable[..., tuple[Change | None, Any]], *args: Any,
                       timeout: float | None = None) -> tuple[Applied | None, Any]:
        """``prepare`` on a view of the committed state and its change applied, both under
        the store-wide write lock (:mod:`~alliancegraph.store.remote_lock`): no write of any
        instance comes in between. The version guard stays as a second check: a version
        that moved meanwhile means a write without the lock; then prepared again, a few
        times."""
        limit = timeout or self.write_timeout
        started = time.monotonic()
        with write_lock(self, VERSION_GRAPH).hold(limit) as held:
            for _ in range(RETRIES):
                seen = self._version()
                change, payload = prepare(RemoteView(self, timeout=limit), *args)
                if change is None:
                    return None, payload
                left = limit - (time.monotonic() - started)
                if left <= 0:
                    raise WriteTimeout(f"the write was not prepared within {limit:g} s; "
                                       "nothing was written")
                try:
                    return self.apply(change, if_generation=seen,
                                      timeout=held.budget(left)), payload
                except WriteConflict:
                    continue
        raise WriteConflict(f"the store kept changing; the write was tried {RETRIES} times "
                            "and nothing was written")

    def close(self) -> None:
        self._session.close()
