"""The store interface every backend implements.

One interface for the embedded Oxigraph store (:mod:`alliancegraph.store.embedded`) and for
any SPARQL 1.1 server reached over HTTP (a later backend). Callers speak SPARQL text and
RDF bytes with media types, so a remote server can implement it without rdflib objects
crossing the boundary. Nothing here knows of Flask.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

QueryForm = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]

#: Where the graph sources go. Names are relative to the base IRI.
NAMED_GRAPHS = {
    "ontology": "graph/ontology",
    "background": "graph/background",
    "paper-a": "graph/paper-a",
    "paper-b": "graph/paper-b",
    "links": "graph/links",
    "inferred": "graph/inferred",
}


@dataclass(frozen=True)
class Dataset:
    """A SPARQL protocol dataset (``default-graph-uri`` / ``named-graph-uri``).

    ``None`` for a field means "not given": the query's own FROM clauses, or the
    store's default (the union of all graphs), apply.
    """

    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None


@dataclass(frozen=True)
class QueryOutcome:
    """A finished query, already serialised in the requested media type."""

    form: QueryForm
    media_type: str
    body: bytes
    #: solutions or triples in the body (1 for ASK)
    count: int


class Store(Protocol):
    """What the service and the CLI need of a store. Every method may raise
    :class:`alliancegraph.errors.AllianceGraphError` subclasses with an HTTP status."""

    def query(
        self,
        sparql: str,
        *,
        media_type: str,
        dataset: Dataset | None = None,
        base_iri: str | None = None,
    ) -> QueryOutcome:
        """Run a query and serialise its result; raises ParseError (400), BadRequest (400:
        SERVICE, a ``file:`` FROM or one naming no stored graph), QueryTimeout (503),
        ResultTooLarge (413), NotAcceptable (406: media type does not fit the query form)."""
        ...

    def query_form(self, sparql: str) -> QueryForm:
        """The form of a query (for content negotiation before it runs); ParseError."""
        ...

    def update(
        self,
        sparql: str,
        *,
        dataset: Dataset | None = None,
        base_iri: str | None = None,
    ) -> None:
        """Apply a SPARQL Update atomically: all of it or nothing."""
        ...

    def graph_names(self) -> list[str]: ...

    def graph_exists(self, name: str | None) -> bool:
        """``None`` is the default graph, which always exists."""
        ...

    def get_graph(self, name: str | None, *, media_type: str) -> bytes:
        """Serialise one graph; NotFound when a named graph does not exist."""
        ...

    def put_graph(self, name: str | None, data: bytes, *, media_type: str,
                  base_iri: str | None = None) -> bool:
        """Replace a graph atomically; True when it was created."""
        ...

    def post_graph(self, name: str | None, data: bytes, *, media_type: str,
                   base_iri: str | None = None) -> bool:
        """Merge into a graph atomically; True when it was created."""
        ...

    def delete_graph(self, name: str | None) -> None:
        """Drop a graph; NotFound when it does not exist."""
        ...

    def count(self, graph: str | None = None) -> int:
        """Quads in one graph, or in the whole store with ``graph=None``."""
        ...

    def dump(self, *, media_type: str) -> Iterator[bytes]:
        """The whole dataset (a quad format) or the union (a triple format)."""
        ...

    def status(self) -> dict:
        """For readiness checks: ``{"ok": bool, "quads": int, "graphs": {iri: quads}}``
        (the default graph under ``""``), or ``{"ok": False, "error": message}``."""
        ...


class WriteGuard(Protocol):
    """Checks a write before it is applied (validation on write). Each method gets the open,
    read-write pyoxigraph store inside the store's exclusive lock, raises
    :class:`alliancegraph.errors.ValidationFailed` to refuse the write, and otherwise returns
    a report (warnings) or ``None``. Graph ``None`` is the default graph."""

    def check_update(self, store: object, sparql: str, *, dataset: Dataset | None,
                     base_iri: str | None) -> object | None: ...

    def check_put(self, store: object, graph: str | None, quads: list) -> object | None: ...

    def check_post(self, store: object, graph: str | None, quads: list) -> object | None: ...

    def check_delete(self, store: object, graph: str | None) -> object | None: ...
