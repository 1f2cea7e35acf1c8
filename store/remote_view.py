"""A read view of a remote SPARQL store, answered by pattern queries: :class:`RemoteView`.

Validation on write and dry runs read the store through a
:class:`~alliancegraph.store.base.ReadView` (pyoxigraph's read API). On the remote backend
that view asks the server for what is read — no copy of the store — so a validated write
costs with the nodes it touches, not with the store:

* a pattern with a subject fetches every quad of that subject once (every graph; most
  subjects have a few dozen), and every later pattern on it is answered from those; the
  same for a pattern with an object and no subject (the links into a node). A node with
  more than :data:`NODE_CAP` such quads (a class, a much-cited state) is asked pattern by
  pattern, each pattern once;
* other patterns (a whole graph, a predicate everywhere) are asked each time: the first
  :data:`FIRST_PAGE` quads come first, so a caller that only wants to know whether there
  is any quad (rdflib's ``len``) never fetches the store;
* ``query`` (the WHERE of an update's pattern operations) runs on the server.

What the view keeps is only right while the store does not change: it is used under the
remote write lock (``apply_prepared``: no other instance writes meanwhile) or between two
equal version reads (:func:`read_consistently`, for ``read_view``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import Any, Literal, Protocol, TypeVar

import pyoxigraph as ox
from alliancegraph.errors import WriteConflict
from alliancegraph.store.base import Dataset, Solutions, Term

T = TypeVar("T")
#: a subject (or object) with more quads than this is read pattern by pattern, not whole
NODE_CAP = 2_000
#: quads fetched (and kept) before the rest of an unselective pattern
FIRST_PAGE = 100
GraphArg = ox.NamedNode | ox.DefaultGraph | None


class RemoteReads(Protocol):
    """What the view uses of :class:`~alliancegraph.store.remote.RemoteBackend`."""

    def _version(self) -> int: ...

    def _user_quads(self, where: str, timeout: float | None = None) -> Iterator[ox.Quad]: ...

    @staticmethod
    def _pattern(subject: Term | None, predicate: ox.NamedNode | None, object: Term | None,
                 graph: str | Literal["*"] | None) -> str: ...

    def graph_names(self) -> list[str]: ...

    def count(self, graph: str | Literal["*"] | None = "*") -> int: ...

    def select(self, sparql: str, *, dataset: Dataset, base_iri: str | None, max_rows: int,
               timeout: float | None = None) -> Solutions: ...


class _Solution(dict):
    """A solution as pyoxigraph gives it: ``solution["x"]`` is None when ``x`` is unbound."""

    def __missing__(self, key: str) -> None:
        return None


class RemoteView:
    """:class:`~alliancegraph.store.base.ReadView` over a remote backend (see the module)."""

    def __init__(self, backend: RemoteReads, *, timeout: float | None = None) -> None:
        self.backend = backend
        self.timeout = timeout
        self._subjects: dict[Term, list[ox.Quad] | None] = {}
        self._objects: dict[Term, list[ox.Quad] | None] = {}
        self._patterns: dict[tuple[Any, ...], list[ox.Quad]] = {}
        self._first_pages: dict[tuple[Any, ...], list[ox.Quad]] = {}
        self._graphs: frozenset[str] | None = None
        #: requests sent to the server and quads received (the tests read them)
        self.requests = self.fetched = 0

    # ------------------------------------------------------------------ patterns

    def quads_for_pattern(self, subject: Any, predicate: Any, object: Any,
                          graph_name: GraphArg = None) -> Iterator[ox.Quad]:
        """As pyoxigraph's: ``graph_name`` None is every graph, DefaultGraph the default."""
        if isinstance(subject, ox.Literal) or isinstance(graph_name, ox.BlankNode):
            return iter(())  # neither is ever stored on the server
        found = None
        if subject is not None:
            found = self._whole(self._subjects, subject, None)
        elif object is not None:
            found = self._whole(self._objects, None, object)
        if found is not None:
            return (q for q in found if _matches(q, subject, predicate, object, graph_name))
        key = (subject, predicate, object, graph_name)
        if subject is None and object is None:
            return self._paged(*key)
        if key not in self._patterns:  # a node too large to keep whole: this pattern only
            self._patterns[key] = list(self._ask(*key))
        return iter(self._patterns[key])

    def _whole(self, kept: dict[Term, list[ox.Quad] | None], subject: Term | None,
               object: Term | None) -> list[ox.Quad] | None:
        """Every quad of a subject (or of an object), fetched once; None above NODE_CAP."""
        node = subject if subject is not None else object
        if node not in kept:
            found = list(self._ask(subject, None, object, None, limit=NODE_CAP + 1))
            kept[node] = found if len(found) <= NODE_CAP else None
        return kept[node]

    def _paged(self, subject: Any, predicate: Any, object: Any,
               graph_name: GraphArg) -> Iterator[ox.Quad]:
        key = (subject, predicate, object, graph_name)
        if key not in self._first_pages:  # rdflib asks "any quad at all?" again and again
            self._first_pages[key] = list(self._ask(subject, predicate, object, graph_name,
                                                    limit=FIRST_PAGE + 1))
        first = self._first_pages[key]
        yield from first[:FIRST_PAGE]
        if len(first) <= FIRST_PAGE:
            return
        # the rest only for a caller that reads on; quads are unique, pages need no order
        seen = set(first[:FIRST_PAGE])
        yield from (q for q in self._ask(subject, predicate, object, graph_name)
                    if q not in seen)

    def _ask(self, subject: Any, predicate: Any, object: Any, graph_name: GraphArg, *,
             limit: int | None = None) -> Iterator[ox.Quad]:
        where = self.backend._pattern(subject, predicate, object, _graph_arg(graph_name))
        if limit is not None:
            where = f"{{ SELECT * WHERE {{ {where} }} LIMIT {limit} }}"
        self.requests += 1
        for quad in self.backend._user_quads(where, timeout=self.timeout):
            self.fetched += 1
            yield quad

    # ------------------------------------------------------------------ the rest

    def query(self, query: str, *, base_iri: str | None = None, default_graph: Any = None,
              named_graphs: Any = None, **options: Any) -> Iterator[_Solution]:
        """A SELECT on the server, with pyoxigraph's dataset arguments (the WHERE of an
        update's pattern operation); its solutions as pyoxigraph's (unbound: None). The
        backend keeps its reserved graph out of reach of ``GRAPH ?g``."""
        if options:
            raise TypeError(f"the remote view does not take {sorted(options)}")
        dataset = Dataset()
        if default_graph is not None or named_graphs is not None:
            dataset = Dataset(_names(default_graph), _names(named_graphs))
        self.requests += 1
        found = self.backend.select(query, dataset=dataset, base_iri=base_iri,
                                    max_rows=sys.maxsize, timeout=self.timeout)
        return iter([_Solution(zip(found.variables, row, strict=True)) for row in found.rows])

    def named_graphs(self) -> Iterator[ox.NamedNode]:
        return (ox.NamedNode(name) for name in sorted(self._graph_names()))

    def contains_named_graph(self, graph_name: Any) -> bool:
        return isinstance(graph_name, ox.NamedNode) and graph_name.value in self._graph_names()

    def _graph_names(self) -> frozenset[str]:
        if self._graphs is None:
            self.requests += 1
            self._graphs = frozenset(self.backend.graph_names())
        return self._graphs

    def __len__(self) -> int:
        self.requests += 1
        return self.backend.count("*")

    def __iter__(self) -> Iterator[ox.Quad]:
        return self.quads_for_pattern(None, None, None, None)


def _graph_arg(graph_name: GraphArg) -> str | Literal["*"] | None:
    """pyoxigraph's graph argument as the backend's: "*" every graph, None the default."""
    if graph_name is None:
        return "*"
    if isinstance(graph_name, ox.DefaultGraph):
        return None
    return graph_name.value


def _matches(quad: ox.Quad, subject: Any, predicate: Any, object: Any,
             graph_name: GraphArg) -> bool:
    return ((subject is None or quad.subject == subject)
            and (predicate is None or quad.predicate == predicate)
            and (object is None or quad.object == object)
            and (graph_name is None or quad.graph_name == graph_name))


def _names(graphs: Any) -> tuple[str, ...] | None:
    """pyoxigraph's default_graph / named_graphs argument (one graph or a list) as IRIs."""
    if graphs is None:
        return None
    items = graphs if isinstance(graphs, list | tuple) else [graphs]
    if any(not isinstance(g, ox.NamedNode) for g in items):
        raise TypeError("the remote view names graphs by IRI only")
    return tuple(g.value for g in items)


def read_consistently(backend: RemoteReads, work: Callable[..., T], args: tuple[Any, ...], *,
                      retries: int, timeout: float | None = None) -> tuple[T, int]:
    """``work(view, *args)`` on a :class:`RemoteView` and the version it saw: the version
    is read before and after, and the work done again when a write came in between (the
    version only grows: equal reads mean no write committed meanwhile)."""
    for _ in range(retries):
        before = backend._version()
        result = work(RemoteView(backend, timeout=timeout), *args)
        if backend._version() == before:
            return result, before
    raise WriteConflict(f"the store kept changing while it was read ({retries} tries)")
