"""The remote backend: any SPARQL 1.1 server over the protocol (tested on Oxigraph server).

Queries go to ``query_url``, writes to ``update_url``, through one ``requests.Session`` (a
keep-alive pool), with HTTP basic or bearer credentials. Results come back as SPARQL JSON
or N-Triples/N-Quads and are parsed into pyoxigraph terms, so callers see the same types as
with the in-process backends.

Generations: the store's version lives in a reserved graph (:data:`VERSION_GRAPH`): a
number, and one mark per committed write. Every write is ONE SPARQL update whose
operations are all conditional on the expected version, and whose last operation moves the
version on and leaves a mark of this write; reading the mark back tells a committed write from a
no-op (WriteConflict). So several service instances on one server never apply a delta
validated against a stale state. The reserved graph is hidden from the pattern reads
(``quads``, ``graph_names``, ``count``, ``dump``, ``status``) but not from raw SPARQL.

Server-specific behaviour is kept in small methods (:meth:`RemoteBackend.dataset_params`,
:meth:`RemoteBackend.server_error`) so that a dialect subclass (Virtuoso) can change how a
dataset is sent and how errors are read.
"""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
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
)
from alliancegraph.store import engine
from alliancegraph.store.base import (
    Applied,
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
from alliancegraph.store.sparql_guard import query_form

T = TypeVar("T")
VERSION_GRAPH = "urn:alliancegraph:store-version"
_SUBJECT = "<urn:alliancegraph:store>"
_NUMBER = "<urn:alliancegraph:generation>"
_JSON = "application/sparql-results+json"
_NQUADS = "application/n-quads"
_NTRIPLES = "application/n-triples"
#: conflicting writes retried by apply_prepared before WriteConflict is raised
RETRIES = 5
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


class RemoteBackend:
    """:class:`alliancegraph.store.base.Backend` over a SPARQL 1.1 server."""

    name = "remote"
    #: the client stops waiting; whether the server stops the query depends on the server
    stops_runaway_queries = False

    def __init__(self, query_url: str, update_url: str, graph_store_url: str | None = None,
                 *, user: str | None = None, password: str | None = None,
                 token: str | None = None, timeout: float = 30.0,
                 write_timeout: float = 600.0) -> None:
        self.query_url, self.update_url = query_url, update_url
        self.graph_store_url = graph_store_url
        self.timeout, self.write_timeout = timeout, write_timeout
        self._session = requests.Session()
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"
        elif user:
            self._session.auth = (user, password or "")
        self._committed_at = time.time()

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
            return ParseError(message, text=text) if "rror" in message else BadRequest(message)
        if answer.status_code in (401, 403):
            return StoreUnavailable(f"the SPARQL server refused our credentials "
                                    f"({answer.status_code}): {message}")
        if answer.status_code == 404:
            return NotFound(message)
        return StoreUnavailable(f"the SPARQL server answered {answer.status_code}: {message}")

    def _post(self, url: str, text: str, *, data: dict[str, Any] | list[Any],
              accept: str | None, timeout: float | None) -> requests.Response:
        headers = {"Accept": accept} if accept else {}
        try:
            answer = self._session.post(url, data=data, headers=headers,
                                        timeout=(5.0, timeout or self.timeout))
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
               base_iri: str | None = None, timeout: float | None = None) -> requests.Response:
        if base_iri:
            sparql = f"BASE <{base_iri}>\n{sparql}"
        data = [("query", sparql), *self.dataset_params(dataset)]
        return self._post(self.query_url, sparql, data=data, accept=accept, timeout=timeout)

    def _update(self, sparql: str, timeout: float | None = None) -> None:
        self._post(self.update_url, sparql, data={"update": sparql}, accept=None,
                   timeout=timeout or self.write_timeout)

    def _solutions(self, sparql: str, **options: Any) -> Any:
        body = self._query(sparql, accept=_JSON, **options).content
        return ox.parse_query_results(body, ox.QueryResultsFormat.JSON)

    # ------------------------------------------------------------------ generations

    def _version(self) -> int:
        found = list(self._solutions(
            f"SELECT ?n WHERE {{ GRAPH <{VERSION_GRAPH}> {{ {_SUBJECT} {_NUMBER} ?n }} }}"))
        return int(found[0]["n"].value) if found else 0

    def generation(self) -> int:
        """The server's version (one small query: other instances write too)."""
        return self._version()

    def committed_at(self) -> float:
        return self._committed_at

    # ------------------------------------------------------------------ queries

    def select(self, sparql: str, *, dataset: Dataset, base_iri: str | None, max_rows: int,
               timeout: float | None = None) -> Solutions:
        results = self._solutions(sparql, dataset=dataset, base_iri=base_iri, timeout=timeout)
        if not isinstance(results, ox.QuerySolutions):
            raise BadRequest("not a SELECT query")
        variables = tuple(v.value for v in results.variables)
        rows = engine.bounded(results, max_rows, "solutions")
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
        body = self._query(sparql, accept=_NTRIPLES, dataset=dataset, base_iri=base_iri,
                           timeout=timeout).content
        triples = (q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
        return engine.bounded(dict.fromkeys(triples), max_rows, "triples")

    def query(self, sparql: str, *, media_type: str, dataset: Dataset, base_iri: str | None,
              max_rows: int, timeout: float | None = None) -> QueryOutcome:
        """The server's own serialisation, relayed; counted to enforce ``max_rows``."""
        form = query_form(sparql)
        output = engine.result_format(form, media_type)
        answer = self._query(sparql, accept=output.media_type, dataset=dataset,
                             base_iri=base_iri, timeout=timeout)
        body = answer.content
        if form == "ASK":
            count = 1
        elif form == "SELECT":
            count = sum(1 for _ in ox.parse_query_results(body, output))
        else:
            count = sum(1 for _ in ox.parse(body, format=output))
        if count > max_rows:
            raise ResultTooLarge(f"the result has more than {max_rows} rows, the limit; add "
                                 "LIMIT or narrow the query (results are never truncated)")
        return QueryOutcome(form, output.media_type, body, count)

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
        binds = " ".join(f"BIND({_sparql_term(t)} AS ?{v})" for v, t in
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
        return sum(1 for _ in self._user_quads(self._pattern(None, None, None, graph)))

    def _view(self) -> ox.Store:
        copy = ox.Store()
        copy.bulk_extend(self._user_quads(self._pattern(None, None, None, "*")))
        for name in self.graph_names():
            copy.add_graph(ox.NamedNode(name))
        return copy

    def get_graph(self, name: str | None, *, media_type: str) -> bytes:
        return engine.get_graph(self._view(), name, media_type=media_type)

    def dump(self, *, media_type: str) -> Iterator[bytes]:
        buffer = io.BytesIO()
        engine.dump(self._view(), buffer, media_type=media_type)
        return iter([buffer.getvalue()])

    def status(self) -> dict[str, Any]:
        try:
            return {**engine.status(self._view()), "backend": self.name,
                    "generation": self.generation()}
        except StoreUnavailable as exc:
            return {"ok": False, "error": exc.message}

    def read_view(self, work: Callable[..., T], *args: Any,
                  timeout: float | None = None) -> tuple[T, int]:
        """``work`` on an in-process pyoxigraph copy of the data (small stores only: the
        whole store crosses the wire), taken between two equal version reads."""
        for _ in range(RETRIES):
            before = self._version()
            view = self._view()
            if self._version() == before:
                return work(view, *args), before
        raise WriteConflict("the store kept changing while a read view was taken")

    # ------------------------------------------------------------------ writes

    def _operations(self, change: Change, guard: str) -> tuple[list[str], list[str], bool]:
        """(guarded operations, graphs to DROP after a committed write, created)."""
        if isinstance(change, Update):
            raise TypeError("an Update is applied as text")
        if isinstance(change, QuadDelta):
            return (self._delta_ops(change.removed, change.added, guard,
                                    clear=change.dropped_graphs),
                    list(change.dropped_graphs), False)
        if isinstance(change, ReplaceGraph | MergeGraph):
            name = change.graph
            created = name is not None and not self.graph_exists(name)
            target = ox.DefaultGraph() if name is None else ox.NamedNode(name)
            new = [ox.Quad(q.subject, q.predicate, q.object, target) for q in change.quads]
            clear = [name] if isinstance(change, ReplaceGraph) else []
            ops = self._delta_ops((), new, guard, clear=clear, clear_default=name is None
                                  and isinstance(change, ReplaceGraph))
            if name is not None:
                ops.insert(0, f"CREATE SILENT GRAPH <{name}>")
            return ops, [], created
        if isinstance(change, DropGraph):
            if not self.graph_exists(change.graph):
                raise NotFound(f"no graph named <{change.graph}> in the store")
            if change.graph is None:
                return self._delta_ops((), (), guard, clear_default=True), [], False
            return (self._delta_ops((), (), guard, clear=[change.graph]), [change.graph],
                    False)
        if isinstance(change, ReplaceGraphs):
            added = [q for quads in change.graphs.values() for q in quads]
            ops = self._delta_ops((), added, guard, clear=list(change.graphs))
            return ([f"CREATE SILENT GRAPH <{g}>" for g in change.graphs] + ops, [], False)
        raise TypeError(f"not a store change: {change!r}")

    @staticmethod
    def _delta_ops(removed: Sequence[ox.Quad], added: Sequence[ox.Quad], guard: str, *,
                   clear: Sequence[str] = (), clear_default: bool = False) -> list[str]:
        if any(isinstance(t, ox.BlankNode) for q in removed for t in (q.subject, q.object)):
            raise BadRequest("the remote backend cannot remove quads with blank nodes "
                             "(SPARQL cannot name a stored blank node)")
        ops = [f"DELETE {{ {_quad_block(removed)} }} WHERE {{ {guard} }}"] if removed else []
        ops += [f"DELETE {{ GRAPH <{g}> {{ ?s ?p ?o }} }} WHERE {{ {guard} "
                f"GRAPH <{g}> {{ ?s ?p ?o }} }}" for g in clear]
        if clear_default:
            ops.append(f"DELETE {{ ?s ?p ?o }} WHERE {{ {guard} ?s ?p ?o }}")
        if added:
            ops.append(f"INSERT {{ {_quad_block(added)} }} WHERE {{ {guard} }}")
        return ops

    def apply(self, change: Change, *, if_generation: int | None = None,
              timeout: float | None = None) -> Applied:
        """One SPARQL update, conditional on the version (``if_generation`` or the one read
        now); WriteConflict when another writer came first."""
        expected = self._version()
        if if_generation is not None and if_generation != expected:
            raise WriteConflict(f"the store changed (generation {expected}, expected "
                                f"{if_generation}); nothing was written")
        token = uuid.uuid4().hex
        guard = self._guard(expected)
        mark = f"<urn:alliancegraph:write:{token}>"
        # the number moves on; a mark of this write stays, so that reading it back tells a
        # committed write from a no-op even when another writer came right after
        bump = (f"DELETE {{ GRAPH <{VERSION_GRAPH}> {{ {_SUBJECT} {_NUMBER} ?n }} }} "
                f"INSERT {{ GRAPH <{VERSION_GRAPH}> {{ {_SUBJECT} {_NUMBER} {expected + 1} . "
                f"{mark} {_NUMBER} {expected + 1} }} }} WHERE {{ {guard} OPTIONAL {{ GRAPH "
                f"<{VERSION_GRAPH}> {{ {_SUBJECT} {_NUMBER} ?n }} }} }}")
        if isinstance(change, Update):
            if if_generation is not None:
                raise BadRequest("a SPARQL update text cannot be applied conditionally on "
                                 "the remote backend; apply its delta")
            text = change.sparql if not change.base_iri else \
                f"BASE <{change.base_iri}>\n{change.sparql}"
            ops, drops, created = [text], [], False
        else:
            ops, drops, created = self._operations(change, guard)
        self._update(" ;\n".join([*ops, bump]), timeout)
        if not bool(self._solutions(f"ASK {{ GRAPH <{VERSION_GRAPH}> {{ {mark} ?p ?o }} }}")):
            raise WriteConflict(f"another writer changed the store (generation {expected}); "
                                "nothing was written")
        for name in drops:  # emptied by the guarded write above; now removed as graphs
            self._update(f"DROP SILENT GRAPH <{name}>", timeout)
        self._committed_at = time.time()
        return Applied(expected + 1, created=created)

    @staticmethod
    def _guard(expected: int) -> str:
        if expected == 0:
            return (f"FILTER NOT EXISTS {{ GRAPH <{VERSION_GRAPH}> {{ {_SUBJECT} {_NUMBER} "
                    "?n } }")
        return f"GRAPH <{VERSION_GRAPH}> {{ {_SUBJECT} {_NUMBER} {expected} }}"

    def apply_prepared(self, prepare: Callable[..., tuple[Change | None, Any]], *args: Any,
                       timeout: float | None = None) -> tuple[Applied | None, Any]:
        """``prepare`` on a read view, its change applied only if nothing was written since;
        on a conflict, prepared again (a few times), then WriteConflict."""
        for _ in range(RETRIES):
            (change, payload), seen = self.read_view(prepare, *args, timeout=timeout)
            if change is None:
                return None, payload
            try:
                return self.apply(change, if_generation=seen, timeout=timeout), payload
            except WriteConflict:
                continue
        raise WriteConflict(f"the store kept changing; the write was tried {RETRIES} times "
                            "and nothing was written")

    def close(self) -> None:
        self._session.close()
