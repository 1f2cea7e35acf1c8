"""The store interface: what every backend does, and the changes a write can make.

Two layers, so that the rules are written once:

* a :class:`Backend` runs queries and applies changes. It knows its engine (in memory,
  Oxigraph on disk, later a remote SPARQL server) and nothing of policy;
* a :class:`Store` (:class:`alliancegraph.store.policy.PolicyStore`) wraps any backend with
  the SPARQL policy (no SERVICE, LOAD or fetched FROM; protocol datasets turned into USING),
  the row limit, and validation on write. The service, the CLI and the notebook use a Store,
  built from the settings in one place (:func:`alliancegraph.store.open_store`).

Reads come typed (:class:`Solutions`, ``bool``, triples and quads as pyoxigraph terms) or,
for the protocol endpoint, raw (:class:`QueryOutcome`: the engine's own serialisation).
Every write is one atomic :meth:`Backend.apply` of a :data:`Change`. A backend counts its
writes: :meth:`Backend.generation` changes with every committed write, so answers can be
cached per generation, and a validated delta is applied only if nothing was written since
it was computed (``if_generation``).

Nothing here knows of Flask. Every method may raise
:class:`alliancegraph.errors.AllianceGraphError` subclasses, each with its HTTP status.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

import pyoxigraph as ox

QueryForm = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
T = TypeVar("T")


@dataclass(frozen=True)
class Dataset:
    """The dataset a query runs on.

    ``default_graphs``/``named_graphs``: a SPARQL protocol dataset (``default-graph-uri`` /
    ``named-graph-uri``); ``None`` for a field means "not given". ``union_default``: when no
    protocol dataset is given, the default graph is the union of all graphs (the policy
    sets it for queries without FROM when the setting ``union_default_graph`` is on).
    """

    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    union_default: bool = False

    @property
    def given(self) -> bool:
        """Whether a protocol dataset is given (it overrides the query's FROM)."""
        return self.default_graphs is not None or self.named_graphs is not None


@dataclass(frozen=True)
class QueryOutcome:
    """A finished query, serialised by the engine in the requested media type."""

    form: QueryForm
    media_type: str
    body: bytes
    #: solutions or triples in the body (1 for ASK)
    count: int


@dataclass(frozen=True)
class Solutions:
    """The solutions of a SELECT: variable names and rows of terms (``None``: unbound)."""

    variables: tuple[str, ...]
    rows: tuple[tuple[Term | None, ...], ...]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Term]]:
        """Each solution as a dict of its bound variables."""
        for row in self.rows:
            yield {v: t for v, t in zip(self.variables, row, strict=True) if t is not None}

    def column(self, variable: str) -> list[Term | None]:
        index = self.variables.index(variable)
        return [row[index] for row in self.rows]


# ---------------------------------------------------------------------- changes


@dataclass(frozen=True)
class Update:
    """A SPARQL Update, applied as one transaction (all operations or none). The policy has
    already checked it and turned a protocol dataset into USING clauses."""

    sparql: str
    base_iri: str | None = None


@dataclass(frozen=True)
class ReplaceGraph:
    """Graph Store PUT: the graph (``None``: the default graph) becomes exactly ``quads``."""

    graph: str | None
    quads: tuple[ox.Quad, ...]


@dataclass(frozen=True)
class MergeGraph:
    """Graph Store POST: ``quads`` are added to the graph, which is created if missing."""

    graph: str | None
    quads: tuple[ox.Quad, ...]


@dataclass(frozen=True)
class DropGraph:
    """Graph Store DELETE: a named graph is removed (NotFound when missing); the default
    graph is emptied."""

    graph: str | None


@dataclass(frozen=True)
class QuadDelta:
    """An explicit delta: ``removed`` quads go, then ``added`` quads come, at once. What
    validation on write checked is applied as one of these, blank nodes as they are."""

    removed: tuple[ox.Quad, ...] = ()
    added: tuple[ox.Quad, ...] = ()
    #: named graphs to create even if no quad is added to them (CREATE GRAPH, PUT of nothing)
    created_graphs: tuple[str, ...] = ()
    #: named graphs that no longer exist afterwards (DROP GRAPH), emptied first
    dropped_graphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReplaceGraphs:
    """The build: each named graph in ``graphs`` is dropped and refilled with its quads (the
    quads' own graph names are used). Graphs not named here are left alone."""

    graphs: Mapping[str, Sequence[ox.Quad]] = field(default_factory=dict)


@dataclass(frozen=True)
class BulkFile:
    """A bulk load: every quad of an N-Quads file is added (graphs as the file names them;
    never removes anything). The loader wrote the file: it parsed cleanly and its blank
    node labels are unique to this load, so applying it twice adds nothing more (a backend
    may journal the path and redo it after a crash). The backend deletes nothing; the
    caller owns the file."""

    path: Path
    #: the number of lines (quads) in the file, for progress and reports
    quads: int


Change = Update | ReplaceGraph | MergeGraph | DropGraph | QuadDelta | ReplaceGraphs | BulkFile


@dataclass(frozen=True)
class Applied:
    """A committed write."""

    #: the backend's generation after the write
    generation: int
    #: the write created the graph it names (Graph Store: 201 rather than 204)
    created: bool = False
    #: quads per graph named by a ReplaceGraphs (the build's report)
    counts: Mapping[str, int] = field(default_factory=dict)
    #: the validation report (warnings only) when the write was validated
    report: Any = None


class ReadView(Protocol):
    """A consistent, read-only view of a backend's data, in pyoxigraph's read API (a
    pyoxigraph ``Store`` is one). Validation on write and dry runs work on it."""

    def quads_for_pattern(self, subject: Any, predicate: Any, object: Any,
                          graph_name: Any = None) -> Iterator[ox.Quad]: ...

    def query(self, query: str, **options: Any) -> Any: ...

    def contains_named_graph(self, graph_name: Any) -> bool: ...

    def named_graphs(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[ox.Quad]: ...


# ---------------------------------------------------------------------- the two layers


class Backend(Protocol):
    """What a backend does: run, read, apply. No policy: the caller (the policy store) has
    checked the text, chosen the dataset and validated the write."""

    #: a short name for logs and status: "memory", "embedded", …
    name: str
    #: whether a query over ``timeout`` is really stopped (raises QueryTimeout)
    stops_runaway_queries: bool

    def generation(self) -> int:
        """A number that changes with every committed write (cheap: no query)."""
        ...

    def committed_at(self) -> float:
        """When the current generation was committed (seconds since the epoch; for a store
        no write has changed yet, when it was opened, or 0.0 where that is not known)."""
        ...

    def state(self) -> tuple[int, float]:
        """``(generation(), committed_at())`` read together, so the two belong to one
        commit (a remote store: one query). The time is the same in every process on the
        store; one the store never recorded is a fixed value (0.0), never a guess."""
        ...

    def select(self, sparql: str, *, dataset: Dataset, base_iri: str | None,
               max_rows: int, timeout: float | None = None) -> Solutions: ...

    def ask(self, sparql: str, *, dataset: Dataset, base_iri: str | None,
            timeout: float | None = None) -> bool: ...

    def construct(self, sparql: str, *, dataset: Dataset, base_iri: str | None,
                  max_rows: int, timeout: float | None = None) -> list[ox.Triple]:
        """CONSTRUCT or DESCRIBE: the triples, duplicates removed, in the engine's order."""
        ...

    def query(self, sparql: str, *, media_type: str, dataset: Dataset,
              base_iri: str | None, max_rows: int,
              timeout: float | None = None) -> QueryOutcome:
        """Any query form, serialised by the engine in ``media_type`` (NotAcceptable when
        the form cannot be written so); more than ``max_rows`` is ResultTooLarge."""
        ...

    def quads(self, subject: Term | None = None, predicate: ox.NamedNode | None = None,
              object: Term | None = None, graph: str | Literal["*"] | None = "*", *,
              limit: int) -> list[ox.Quad]:
        """Quads matching a pattern; ``graph="*"`` any graph, ``None`` the default graph.
        More than ``limit`` is ResultTooLarge."""
        ...

    def graph_names(self) -> list[str]: ...

    def graph_exists(self, name: str | None) -> bool: ...

    def get_graph(self, name: str | None, *, media_type: str) -> bytes:
        """One graph in an RDF syntax; NotFound for a missing named graph."""
        ...

    def count(self, graph: str | Literal["*"] | None = "*") -> int:
        """Quads in one graph (``None``: the default graph) or in the whole store."""
        ...

    def dump(self, *, media_type: str) -> Iterator[bytes]:
        """Every graph (a dataset syntax) or the union of all graphs (a graph syntax)."""
        ...

    def status(self) -> dict[str, Any]:
        """``{"ok": True, "backend": name, "generation": n, "quads": n, "graphs": {iri: n}}``
        (the default graph under ``""``), or ``{"ok": False, "error": message}``."""
        ...

    def read_view(self, work: Callable[..., T], *args: Any,
                  timeout: float | None = None) -> tuple[T, int]:
        """``work(view, *args)`` on a consistent read view, and the generation it saw.
        ``work`` and its arguments must pickle (a backend may run it in another process);
        so must its result."""
        ...

    def apply(self, change: Change, *, if_generation: int | None = None,
              timeout: float | None = None) -> Applied:
        """Apply one change atomically: all of it or nothing, and never seen half-done.
        With ``if_generation``, only if the generation is still that one (otherwise
        :class:`alliancegraph.errors.WriteConflict`, nothing written)."""
        ...

    def apply_prepared(self, prepare: Callable[..., tuple[Change | None, Any]], *args: Any,
                       timeout: float | None = None) -> tuple[Applied | None, Any]:
        """``prepare(view, *args)`` returns ``(change or None, payload)``; the change is then
        applied, with no other write in between (writes queue; reads go on). Validation on
        write uses it: what was validated is what is stored, and it never conflicts.
        ``prepare``, its arguments and the payload must pickle. Over ``timeout`` (default:
        the backend's write limit) before the change is committed: WriteTimeout, nothing
        written. Returns ``(None, payload)`` when ``prepare`` gave no change."""
        ...

    def close(self) -> None:
        """Release processes and handles; the backend is unusable afterwards."""
        ...


class Store(Protocol):
    """What the service, the CLI and the notebook use: a backend under the policy."""

    backend: Backend

    def generation(self) -> int: ...

    def committed_at(self) -> float: ...

    def state(self) -> tuple[int, float]: ...

    def query_form(self, sparql: str) -> QueryForm:
        """The form of a query (for content negotiation before it runs); ParseError."""
        ...

    def query(self, sparql: str, *, media_type: str, dataset: Dataset | None = None,
              base_iri: str | None = None) -> QueryOutcome:
        """Raises ParseError (400), BadRequest (400: SERVICE, a ``file:`` FROM or one naming
        no stored graph), QueryTimeout (503), ResultTooLarge (413), NotAcceptable (406)."""
        ...

    def select(self, sparql: str, *, dataset: Dataset | None = None,
               base_iri: str | None = None) -> Solutions: ...

    def ask(self, sparql: str, *, dataset: Dataset | None = None,
            base_iri: str | None = None) -> bool: ...

    def construct(self, sparql: str, *, dataset: Dataset | None = None,
                  base_iri: str | None = None) -> list[ox.Triple]: ...

    def quads(self, subject: Term | None = None, predicate: ox.NamedNode | None = None,
              object: Term | None = None, graph: str | Literal["*"] | None = "*"
              ) -> list[ox.Quad]: ...

    def update(self, sparql: str, *, dataset: Dataset | None = None,
               base_iri: str | None = None) -> Applied:
        """A SPARQL Update, atomically; ValidationFailed (422) when validation on write
        refuses it."""
        ...

    def dry_run(self, sparql: str, *, dataset: Dataset | None = None,
                base_iri: str | None = None) -> Any:
        """The validation report the update would get, without applying it."""
        ...

    def put_graph(self, name: str | None, data: bytes, *, media_type: str,
                  base_iri: str | None = None) -> Applied: ...

    def post_graph(self, name: str | None, data: bytes, *, media_type: str,
                   base_iri: str | None = None) -> Applied: ...

    def delete_graph(self, name: str | None) -> Applied: ...

    def apply(self, change: Change) -> Applied:
        """Any change (the build's ReplaceGraphs…), validated when validation is on."""
        ...

    def graph_names(self) -> list[str]: ...

    def graph_exists(self, name: str | None) -> bool: ...

    def get_graph(self, name: str | None, *, media_type: str) -> bytes: ...

    def count(self, graph: str | Literal["*"] | None = "*") -> int: ...

    def dump(self, *, media_type: str) -> Iterator[bytes]: ...

    def status(self) -> dict[str, Any]: ...

    def close(self) -> None: ...
