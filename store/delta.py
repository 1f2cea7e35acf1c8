"""What a write would change, worked out before it is applied: :class:`Delta`.

For the Graph Store Protocol the delta is explicit (:func:`graph_delta`, :func:`drop_delta`).
For SPARQL Update (:func:`update_delta`) the request is taken operation by operation, in
order, over :class:`OverlayStore` (the store plus the delta so far, never written to):

* a pattern operation (``DELETE/INSERT … WHERE``, ``DELETE WHERE``) has its WHERE clause
  evaluated by Oxigraph, on the store itself, as a ``SELECT *`` with the operation's
  dataset (``WITH``/``USING``), and its templates instantiated with the solutions — when no
  earlier operation of the request changed anything the WHERE could match
  (:func:`_independent`). The cost is Oxigraph's, following the solutions, not the store;
* every other operation (``INSERT DATA``, ``DELETE DATA``, ``CLEAR``, ``DROP``, ``ADD``,
  ``COPY``, ``MOVE``) and a pattern operation that depends on an earlier one is evaluated by
  rdflib's update engine over the overlay, whose cost follows the data the operation names or
  the graphs it copies (and, for the dependent pattern case only, the store).

The delta carries everything the update does: quads removed and added, graphs created
(``CREATE GRAPH``, even left empty) and dropped, and the errors Oxigraph would raise (a
syntax error with Oxigraph's line and column, CREATE of an existing graph, DROP, CLEAR or
MOVE of a missing one without SILENT). The policy applies exactly this delta
(:meth:`Delta.as_change`), so fresh blank nodes and ``NOW()``, ``RAND()``, ``UUID()``… are
stored as they were validated. Everything here reads a
:class:`~alliancegraph.store.base.ReadView` and never writes to it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import pyoxigraph as ox
import rdflib
import rdflib.plugins.sparql
from alliancegraph.errors import BadRequest, NotFound, ParseError
from alliancegraph.shapes.validate import to_ox, to_rdflib
from alliancegraph.store.base import (
    Change,
    DropGraph,
    MergeGraph,
    QuadDelta,
    ReadView,
    ReplaceGraph,
    ReplaceGraphs,
)
from alliancegraph.store.base import Update as UpdateChange
from alliancegraph.store.engine import check_update_syntax
from alliancegraph.store.sparql_guard import Token, read_prologue, tokenize
from pyparsing.exceptions import ParseException
from rdflib import BNode, Graph, URIRef, Variable
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.paths import NegatedPath, Path
from rdflib.plugins.sparql import update as rdflib_update
from rdflib.plugins.sparql.algebra import BGP, Join, translateUpdate
from rdflib.plugins.sparql.algebra import Graph as algebra_graph
from rdflib.plugins.sparql.parser import parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import QueryContext, Update
from rdflib.store import Store as RdflibStore

__all__ = ["UNION_ID", "Delta", "OverlayStore", "change_delta", "drop_delta", "graph_delta",
           "split_operations", "update_delta", "where_predicates"]

log = logging.getLogger(__name__)

#: The identifier of the union view over every graph of an overlay (the validation view).
UNION_ID = URIRef("urn:x-alliancegraph:union")


@dataclass
class Delta:
    """What a write adds and removes (quads), computed before it is applied.

    ``evaluated_by`` lists, per update operation, which engine worked out its effect
    ("oxigraph" or "rdflib"): the benchmark and the tests read it."""

    added: set[ox.Quad] = field(default_factory=set)
    removed: set[ox.Quad] = field(default_factory=set)
    created_graphs: set[ox.NamedNode] = field(default_factory=set)
    dropped_graphs: set[ox.NamedNode] = field(default_factory=set)
    evaluated_by: list[str] = field(default_factory=list)
    #: bumped on every recorded change of ``added``, so readers know when to re-index it
    version: int = 0

    def __len__(self) -> int:
        return len(self.added) + len(self.removed)

    def record_add(self, base: ReadView, quad: ox.Quad) -> None:
        if quad in self.removed:
            self.removed.discard(quad)
        elif not _in_base(base, quad):
            self.added.add(quad)
            self.version += 1

    def record_remove(self, base: ReadView, quad: ox.Quad) -> None:
        if quad in self.added:
            self.added.discard(quad)
            self.version += 1
        elif _in_base(base, quad):
            self.removed.add(quad)

    def graph_exists(self, base: ReadView, graph: ox.NamedNode) -> bool:
        """Does the named graph exist in the after-state?"""
        if any(q.graph_name == graph for q in self.added):
            return True
        if graph in self.dropped_graphs:
            return False
        return graph in self.created_graphs or base.contains_named_graph(graph)

    def as_change(self) -> QuadDelta:
        """This delta as the change a backend applies (what was validated is stored)."""
        refilled = {q.graph_name for q in self.added}
        return QuadDelta(
            removed=tuple(self.removed), added=tuple(self.added),
            created_graphs=tuple(sorted(g.value for g in self.created_graphs
                                        if isinstance(g, ox.NamedNode))),
            dropped_graphs=tuple(sorted(g.value for g in self.dropped_graphs - refilled
                                        if isinstance(g, ox.NamedNode))))


# ---------------------------------------------------------------------- the overlay store


def _graph_term(context: Any) -> ox.NamedNode | ox.BlankNode | ox.DefaultGraph | None:
    """The pyoxigraph graph of an rdflib context; None for the union of all graphs."""
    if context is None:
        return None
    identifier = getattr(context, "identifier", context)
    if identifier == UNION_ID:
        return None
    if identifier == DATASET_DEFAULT_GRAPH_ID:
        return ox.DefaultGraph()
    if isinstance(identifier, BNode):
        return ox.BlankNode(str(identifier))
    return ox.NamedNode(str(identifier))


def _context_id(graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> URIRef | BNode:
    if isinstance(graph, ox.DefaultGraph):
        return DATASET_DEFAULT_GRAPH_ID
    return to_rdflib(graph)


class OverlayStore(RdflibStore):
    """A read-through, write-recording rdflib store over an open pyoxigraph store.

    Reads see ``base`` plus ``delta.added`` minus ``delta.removed``; writes only change the
    delta. The base store is never written to.
    """

    context_aware = True
    graph_aware = True
    formula_aware = False
    transaction_aware = False

    def __init__(self, base: ReadView, delta: Delta | None = None):
        super().__init__()
        self.base = base
        self.delta = delta or Delta()
        self._namespaces: dict[str, URIRef] = {}
        self._index_key: tuple[int, int, int] | None = None
        self._index: dict[tuple[int, Any], list[ox.Quad]] = {}

    def _added_matching(self, s, p, o) -> list[ox.Quad] | set[ox.Quad]:
        """The added quads that may match: those sharing the pattern's subject and
        predicate, or predicate and object, else its subject, object or predicate (in that
        order of selectivity). Validation looks patterns up once per focus node and shape:
        scanning every added quad each time made a large write quadratic (2,000 facts took
        minutes), and so did scanning every quad into a node such as a paper (hundreds)
        to find the few of one predicate."""
        added = self.delta.added
        key = (id(added), len(added), self.delta.version)
        if key != self._index_key:  # the delta changed (or was replaced): index it again
            self._index = {}
            for quad in added:
                s_, p_, o_ = quad.subject, quad.predicate, quad.object
                for index_key in ((0, s_), (1, p_), (2, o_), (3, (s_, p_)), (4, (p_, o_))):
                    self._index.setdefault(index_key, []).append(quad)
            self._index_key = key
        if s is not None and p is not None:
            return self._index.get((3, (s, p)), [])
        if p is not None and o is not None:
            return self._index.get((4, (p, o)), [])
        for position, term in ((0, s), (2, o), (1, p)):
            if term is not None:
                return self._index.get((position, term), [])
        return added

    # --- reads
    def _quads(self, s, p, o, graph) -> Iterator[ox.Quad]:
        if isinstance(s, rdflib.Literal) or isinstance(p, rdflib.Literal | BNode):
            return  # nothing matches a literal subject or a non-IRI predicate
        ps, pp, po = (None if t is None else to_ox(t) for t in (s, p, o))
        base = self.base.quads_for_pattern(ps, pp, po, graph)
        removed = self.delta.removed
        for quad in base:
            if quad not in removed:
                yield quad
        for quad in self._added_matching(ps, pp, po):
            if _matches(quad, ps, pp, po, graph):
                yield quad

    def triples(self, triple_pattern, context=None):
        s, p, o = triple_pattern
        if isinstance(p, Path):  # rdflib passes paths to stores that accept them
            raise NotImplementedError
        graph = _graph_term(context)
        if graph is None:
            seen: set[tuple] = set()
            for quad in self._quads(s, p, o, None):
                key = (quad.subject, quad.predicate, quad.object)
                if key in seen:
                    continue
                seen.add(key)
                triple = tuple(to_rdflib(t) for t in key)
                yield triple, iter(())
        else:
            for quad in self._quads(s, p, o, graph):
                yield tuple(to_rdflib(t) for t in (quad.subject, quad.predicate, quad.object)), \
                    iter(())

    def __len__(self, context=None) -> int:
        """An estimate. rdflib and pySHACL ask for a graph's length to test that it is not
        empty; counting an Oxigraph store is a full scan, which would make every check cost
        as much as the store. So: the delta's added quads, plus one if the base has a quad."""
        base_has_any = any(True for _ in self.base.quads_for_pattern(None, None, None, None))
        return len(self.delta.added) + int(base_has_any)

    def contexts(self, triple=None):
        graphs = {g for g in self.base.named_graphs()} | self.delta.created_graphs
        graphs |= {q.graph_name for q in self.delta.added
                   if not isinstance(q.graph_name, ox.DefaultGraph)}
        graphs -= self.delta.dropped_graphs
        for graph in sorted(graphs, key=str):
            if triple is None or any(True for _ in self.triples(triple, _context_id(graph))):
                yield Graph(store=self, identifier=_context_id(graph))

    # --- writes (recorded, never applied)
    def add(self, triple, context, quoted=False):
        graph = _graph_term(context) or ox.DefaultGraph()
        self.delta.record_add(self.base, ox.Quad(*(to_ox(t) for t in triple), graph))

    def addN(self, quads):
        for s, p, o, context in quads:
            self.add((s, p, o), context)

    def remove(self, triple, context=None):
        s, p, o = triple
        for quad in list(self._quads(s, p, o, _graph_term(context))):
            self.delta.record_remove(self.base, quad)

    def add_graph(self, graph):
        term = _graph_term(graph)
        if isinstance(term, ox.NamedNode | ox.BlankNode):
            self.delta.dropped_graphs.discard(term)
            self.delta.created_graphs.add(term)

    def remove_graph(self, graph):
        term = _graph_term(graph)
        exists = isinstance(term, ox.NamedNode) and self.delta.graph_exists(self.base, term)
        self.remove((None, None, None), graph)
        if exists:  # (DROP SILENT of a missing graph changes nothing)
            self.delta.created_graphs.discard(term)
            self.delta.dropped_graphs.add(term)

    # --- namespaces (kept in memory, for rdflib's serialisers)
    def bind(self, prefix, namespace, override=True):
        self._namespaces[prefix] = URIRef(namespace)

    def namespace(self, prefix):
        return self._namespaces.get(prefix)

    def prefix(self, namespace):
        for prefix, value in self._namespaces.items():
            if value == namespace:
                return prefix
        return None

    def namespaces(self):
        yield from self._namespaces.items()


def _in_base(base: ReadView, quad: ox.Quad) -> bool:
    return any(True for _ in base.quads_for_pattern(
        quad.subject, quad.predicate, quad.object, quad.graph_name))


def _resolve_bases(tree: CompValue, base_iri: str | None) -> None:
    """Resolve each ``BASE <iri>`` of the update against the one before it (and the first
    against ``base_iri``), as SPARQL and Oxigraph do; rdflib takes a relative BASE as it
    is, and its IRIs would then differ from the ones Oxigraph stores."""
    current = base_iri
    for prologue in tree.get("prologue") or []:
        for declaration in prologue:
            if isinstance(declaration, CompValue) and declaration.name == "Base":
                resolved = urljoin(current, str(declaration["iri"])) if current else None
                if resolved:
                    declaration["iri"] = rdflib.URIRef(resolved)
                current = resolved or str(declaration["iri"])


def _matches(quad: ox.Quad, s, p, o, graph) -> bool:
    return ((s is None or quad.subject == s) and (p is None or quad.predicate == p)
            and (o is None or quad.object == o)
            and (graph is None or quad.graph_name == graph))


# ---------------------------------------------------------------------- SPARQL Update


def update_delta(store: ReadView, sparql: str, *, base_iri: str | None = None) -> Delta:
    """The quads a SPARQL Update would add and remove, operation by operation (see the
    module's docstring for which engine evaluates what).

    Raises ParseError (400) for a syntax error, BadRequest for an operation Oxigraph would
    refuse on this store (CREATE of an existing graph; DROP, CLEAR or MOVE of a missing one
    without SILENT) and for LOAD or SERVICE (the policy refuses those first; this is a second
    lock on the door)."""
    check_update_syntax(sparql, base_iri)  # Oxigraph's message, line and column
    try:
        tree = parseUpdate(sparql)
        _resolve_bases(tree, base_iri)
        parsed = translateUpdate(tree, base=base_iri)
    except ParseException as exc:
        # Oxigraph has parsed it: what rdflib's parser cannot read cannot be validated
        raise ParseError(f"the update does not parse for the validator's SPARQL parser "
                         f"(RDF-star quoted triples, for one, cannot be validated on write): "
                         f"{exc}") from exc
    if not isinstance(parsed, Update):  # no operation at all: a valid, empty update
        return Delta()
    for request in parsed.algebra:
        if request.name == "Load" or _has_service(request):
            raise BadRequest("LOAD and SERVICE are not allowed in an update")
    texts = split_operations(sparql)
    if len(texts) != len(parsed.algebra):  # not expected: then rdflib does every operation
        log.warning("update split into %d operations, rdflib found %d; evaluating all on "
                    "rdflib", len(texts), len(parsed.algebra))
        texts = [None] * len(parsed.algebra)
    overlay = OverlayStore(store)
    for operation, text in zip(parsed.algebra, texts, strict=True):
        _check_graphs(store, overlay.delta, operation)
        if operation.name == "Create":
            # CREATE adds no triple, and rdflib cannot evaluate it ("Create not
            # implemented"): record the graph, which later operations can see (GRAPH ?g);
            # CREATE SILENT of an existing graph changes nothing
            if not overlay.delta.graph_exists(store, ox.NamedNode(str(operation.graphiri))):
                overlay.add_graph(operation.graphiri)
            overlay.delta.evaluated_by.append("recorded")
            continue
        if operation.name == "DeleteWhere":
            operation = _as_modify(operation)
        if operation.name == "Modify" and text is not None \
                and _independent(operation, overlay.delta):
            _modify_on_oxigraph(store, overlay.delta, operation, text, base_iri)
            overlay.delta.evaluated_by.append("oxigraph")
        else:
            _evaluate_on_rdflib(overlay, operation)
            overlay.delta.evaluated_by.append("rdflib")
    return overlay.delta


@dataclass(frozen=True)
class OperationText:
    """One operation of an update request: the prologue in force and its WHERE clause."""

    prologue: str
    where: str | None


def split_operations(sparql: str) -> list[OperationText]:
    """The operations of an update request, in order (split at ``;`` outside braces).

    Each carries every ``PREFIX``/``BASE`` declared up to it (a later operation sees the
    earlier ones, as the grammar's nested Prologue says) and, when it has one, the text of
    its WHERE clause (the first ``WHERE`` outside braces; for ``DELETE WHERE`` the quad
    pattern, which reads the same as a group graph pattern)."""
    found: list[OperationText] = []
    prologue: list[str] = []
    for segment_tokens, end in _segments(sparql):
        body = _skip_prologue(segment_tokens, prologue)
        if not body:
            continue  # an empty operation after a trailing ';'
        where = next((i for i, (token, depth) in enumerate(body)
                      if depth == 0 and token.keyword == "WHERE"), None)
        where_text = None
        if where is not None and where + 1 < len(body):
            where_text = sparql[body[where + 1][0].start:end]
        found.append(OperationText("\n".join(prologue), where_text))
    return found


def _segments(sparql: str) -> Iterator[tuple[list[tuple[Token, int]], int]]:
    """Token lists (each with its brace depth) between top-level ``;``, and where each ends."""
    depth = 0
    current: list[tuple[Token, int]] = []
    for token in tokenize(sparql):
        if token.text == ";" and depth == 0:
            yield current, token.start
            current = []
            continue
        if token.text == "}":
            depth -= 1
        current.append((token, depth))
        if token.text == "{":
            depth += 1
    yield current, len(sparql)


def _skip_prologue(tokens: list[tuple[Token, int]],
                   prologue: list[str]) -> list[tuple[Token, int]]:
    """Move the leading PREFIX/BASE declarations into ``prologue``; the rest of the tokens."""
    declarations, end = read_prologue([token for token, _ in tokens])
    prologue += [declared.text for declared in declarations]
    return tokens[end:]


def _modify_on_oxigraph(store: ReadView, delta: Delta, operation: CompValue,
                        text: OperationText, base_iri: str | None) -> None:
    """Evaluate a DELETE/INSERT … WHERE on Oxigraph; record its effect in ``delta``.

    As SPARQL Update says: the WHERE's solutions are computed first, then every deleted
    triple is removed, then every inserted one added; a template triple with an unbound
    variable or a literal where an IRI must be is left out."""
    if text.where is None:
        raise ParseError("the update has a DELETE/INSERT operation without WHERE")
    default, named = _where_dataset(operation)
    query = f"{text.prologue}\nSELECT * WHERE {text.where}"
    solutions = store.query(query, base_iri=base_iri, default_graph=default,
                            named_graphs=named)
    template_graph = (ox.NamedNode(str(operation.withClause)) if operation.withClause
                      else ox.DefaultGraph())
    deleted: list[ox.Quad] = []
    inserted: list[ox.Quad] = []
    for solution in solutions:
        if operation.delete:
            deleted.extend(_fill(operation.delete, solution, template_graph, fresh={}))
        if operation.insert:
            inserted.extend(_fill(operation.insert, solution, template_graph, fresh={}))
    for quad in deleted:
        delta.record_remove(store, quad)
    for quad in inserted:
        delta.record_add(store, quad)


def _where_dataset(operation: CompValue) -> tuple[Any, Any]:
    """(default graph, named graphs) for the WHERE clause, as pyoxigraph's ``query`` takes
    them: USING/USING NAMED set both; else WITH sets the default graph; else the store's."""
    if operation.using:
        default = [ox.NamedNode(str(d.default)) for d in operation.using if d.default]
        named = [ox.NamedNode(str(d.named)) for d in operation.using if d.named]
        return default, named
    if operation.withClause:
        return ox.NamedNode(str(operation.withClause)), None
    return None, None


def _fill(template: CompValue, solution: ox.QuerySolution, default_graph: Any,
          fresh: dict) -> Iterator[ox.Quad]:
    """The quads of a DELETE or INSERT template for one solution."""
    blocks = [(None, template.triples or [])]
    blocks += list((template.quads or {}).items())
    for graph, triples in blocks:
        target = default_graph if graph is None else _bind(graph, solution, fresh)
        if not isinstance(target, ox.NamedNode | ox.DefaultGraph):
            continue
        for triple in triples:
            s, p, o = (_bind(term, solution, fresh) for term in triple)
            if isinstance(s, ox.NamedNode | ox.BlankNode) and isinstance(p, ox.NamedNode) \
                    and o is not None:
                yield ox.Quad(s, p, o, target)


def _bind(term: Any, solution: ox.QuerySolution, fresh: dict) -> Any:
    if isinstance(term, Variable):
        return solution[str(term)]
    if isinstance(term, BNode):  # a template's blank node: a fresh one per solution
        if term not in fresh:
            fresh[term] = ox.BlankNode()
        return fresh[term]
    return to_ox(term)


def _independent(operation: CompValue, delta: Delta) -> bool:
    """Can the WHERE clause be evaluated on the store as it is, ignoring the delta so far?

    Yes when nothing has changed yet, or when no graph was created or dropped and no triple
    pattern of the WHERE (including paths, EXISTS and sub-queries) can match a changed quad:
    every predicate in the WHERE is an IRI and none is the predicate of a changed quad."""
    if not len(delta) and not delta.created_graphs and not delta.dropped_graphs:
        return True
    if delta.created_graphs or delta.dropped_graphs:
        return False
    if _mentions_exists(operation.where):
        return False  # rdflib's algebra can hide a pattern nested in EXISTS: be safe
    predicates = where_predicates(operation.where)
    if predicates is None:
        return False
    changed = {to_rdflib(q.predicate) for q in delta.added | delta.removed}
    return not (predicates & changed)


def _mentions_exists(node: Any) -> bool:
    todo = [node]
    while todo:
        current = todo.pop()
        if isinstance(current, CompValue) and current.name in ("Builtin_EXISTS",
                                                               "Builtin_NOTEXISTS"):
            return True
        if isinstance(current, dict):
            todo.extend(current.values())
        elif isinstance(current, list | tuple):
            todo.extend(current)
    return False


def where_predicates(node: Any) -> set[URIRef] | None:
    """Every predicate IRI of the triple patterns under ``node``; None when a pattern has a
    variable predicate or a negated property set (it could match any predicate)."""
    found: set[URIRef] = set()
    todo = [node]
    while todo:
        current = todo.pop()
        if isinstance(current, CompValue) and current.name == "BGP":
            for _, predicate, _ in current.triples or ():
                if not _path_predicates(predicate, found):
                    return None
        elif isinstance(current, CompValue) and current.name == "TriplesBlock":
            # inside EXISTS rdflib keeps the parse tree: triples, paths as parse nodes
            for triple in current.triples or ():
                if not _parsed_predicates(triple[1], found):
                    return None
            continue
        if isinstance(current, dict):
            todo.extend(current.values())
        elif isinstance(current, list | tuple):
            todo.extend(current)
    return found


def _parsed_predicates(predicate: Any, found: set[URIRef]) -> bool:
    """As :func:`_path_predicates`, for a predicate or path still in rdflib's parse tree."""
    if isinstance(predicate, URIRef):
        found.add(predicate)
        return True
    if isinstance(predicate, Path):
        return _path_predicates(predicate, found)
    if not isinstance(predicate, CompValue) or predicate.name == "PathNegatedPropertySet":
        return False  # a variable, or !(…)
    parts = [v for v in predicate.values() if not isinstance(v, set | str) or
             isinstance(v, URIRef)]
    todo = [p for part in parts for p in (part if isinstance(part, list) else [part])]
    return all(_parsed_predicates(p, found) for p in todo)


def _path_predicates(predicate: Any, found: set[URIRef]) -> bool:
    if isinstance(predicate, URIRef):
        found.add(predicate)
        return True
    if isinstance(predicate, NegatedPath) or not isinstance(predicate, Path):
        return False  # a variable, or !(…) which matches every other predicate
    parts = getattr(predicate, "args", None) or [getattr(predicate, "arg", None)
                                                  or getattr(predicate, "path", None)]
    return all(_path_predicates(part, found) for part in parts)


#: rdflib's evaluator of each update operation (Create and Load never reach rdflib)
_EVALUATORS = {"Clear": rdflib_update.evalClear, "Drop": rdflib_update.evalDrop,
               "Add": rdflib_update.evalAdd, "Move": rdflib_update.evalMove,
               "Copy": rdflib_update.evalCopy, "InsertData": rdflib_update.evalInsertData,
               "DeleteData": rdflib_update.evalDeleteData,
               "DeleteWhere": rdflib_update.evalDeleteWhere,
               "Modify": rdflib_update.evalModify}


def _evaluate_on_rdflib(overlay: OverlayStore, operation: CompValue) -> None:
    """One operation by rdflib's update engine over the overlay (it records, never writes).

    The operation works on the real default graph, as in Oxigraph: its context's active
    graph is set to it here (rdflib would otherwise take the union, by a module-wide
    switch this code never touches). The errors rdflib raises for a failing operation were
    raised before by :func:`_check_graphs`, as Oxigraph words them; anything it raises now
    is a bug."""
    dataset = _UpdateDataset(overlay)
    context = QueryContext(dataset, initBindings={})
    context.prologue = operation.prologue
    context.graph = dataset.default_graph
    _EVALUATORS[operation.name](context, operation)


class _UpdateDataset(rdflib.Dataset):
    """The overlay as an rdflib dataset. The members rdflib's own SPARQL code still calls
    under their deprecated names are answered without the deprecation warning."""

    def __init__(self, store: OverlayStore):
        super().__init__(store=store, default_union=False)

    @property
    def default_context(self) -> Graph:
        return self.default_graph

    def contexts(self, triple=None):
        return self.graphs(triple)


def _check_graphs(store: ReadView, delta: Delta, operation: CompValue) -> None:
    """Raise BadRequest where Oxigraph refuses a graph operation of the request: CREATE of a
    graph that exists, DROP/CLEAR/MOVE of a named graph that does not (without SILENT)."""
    if "silent" in operation:
        return
    name = operation.name
    if name == "Create":
        graph = ox.NamedNode(str(operation.graphiri))
        if delta.graph_exists(store, graph):
            raise BadRequest(f"The graph {graph} already exists")
        return
    if name in ("Drop", "Clear"):
        target = operation.graphiri
    elif name == "Move":
        target = operation.graph[0]
    else:
        return
    if isinstance(target, URIRef):
        graph = ox.NamedNode(str(target))
        if not delta.graph_exists(store, graph):
            raise BadRequest(f"The graph {graph} does not exist")


def _as_modify(request: CompValue) -> CompValue:
    """DELETE WHERE {P} as DELETE {P} WHERE {P} (the same by the spec): rdflib's own
    DELETE WHERE cannot take a variable graph name (GRAPH ?g)."""
    where = BGP(request.triples or [])
    for graph, triples in (request.quads or {}).items():
        where = Join(where, algebra_graph(graph, BGP(triples)))
    delete = CompValue("DeleteClause", triples=request.triples or [], quads=request.quads or {})
    modify = CompValue("Modify", delete=delete, insert=None, where=where, using=None,
                       withClause=None)
    modify.prologue = request.prologue
    return modify


def _has_service(node: Any) -> bool:
    if getattr(node, "name", None) == "ServiceGraphPattern":
        return True
    if isinstance(node, dict):
        return any(_has_service(v) for v in node.values())
    if isinstance(node, list | tuple):
        return any(_has_service(v) for v in node)
    return False


# ---------------------------------------------------------------------- Graph Store Protocol


def graph_delta(store: ReadView, graph: str | None, quads: Iterable[ox.Quad], *,
                replace: bool) -> Delta:
    """The delta of a Graph Store PUT (``replace``) or POST into ``graph``; a named graph
    that does not exist is created, even when no quad goes into it."""
    target = ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
    new = {ox.Quad(q.subject, q.predicate, q.object, target) for q in quads}
    delta = Delta()
    if replace:
        old = set(store.quads_for_pattern(None, None, None, target))
        delta.removed = old - new
        delta.added = new - old
    else:
        delta.added = {q for q in new if not _in_base(store, q)}
    if isinstance(target, ox.NamedNode) and not store.contains_named_graph(target):
        delta.created_graphs.add(target)
    return delta


def drop_delta(store: ReadView, graph: str | None) -> Delta:
    """The delta of a Graph Store DELETE: a named graph goes (NotFound when it is missing),
    the default graph is emptied."""
    target = ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
    if isinstance(target, ox.NamedNode) and not store.contains_named_graph(target):
        raise NotFound(f"no graph named <{graph}> in the store")
    delta = Delta(removed=set(store.quads_for_pattern(None, None, None, target)))
    if isinstance(target, ox.NamedNode):
        delta.dropped_graphs.add(target)
    return delta


def quad_delta(store: ReadView, change: QuadDelta) -> Delta:
    """An explicit delta, reduced to what it changes in ``store`` (quads already there are
    not added again, quads not there are not removed)."""
    delta = Delta()
    for graph in change.dropped_graphs:
        for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            delta.record_remove(store, quad)
        delta.dropped_graphs.add(ox.NamedNode(graph))
    for quad in change.removed:
        delta.record_remove(store, quad)
    for graph in change.created_graphs:
        if not store.contains_named_graph(ox.NamedNode(graph)):
            delta.dropped_graphs.discard(ox.NamedNode(graph))
            delta.created_graphs.add(ox.NamedNode(graph))
    for quad in change.added:
        delta.record_add(store, quad)
    return delta


def replace_graphs_delta(store: ReadView, change: ReplaceGraphs) -> Delta:
    """The build's delta: each graph named becomes exactly its quads."""
    delta = Delta()
    for name, quads in change.graphs.items():
        part = graph_delta(store, name, quads, replace=True)
        delta.added |= part.added
        delta.removed |= part.removed
        delta.created_graphs |= part.created_graphs
    return delta


def change_delta(store: ReadView, change: Change) -> Delta:
    """The delta of any change against ``store``, computed without writing."""
    if isinstance(change, UpdateChange):
        return update_delta(store, change.sparql, base_iri=change.base_iri)
    if isinstance(change, ReplaceGraph | MergeGraph):
        return graph_delta(store, change.graph, change.quads,
                           replace=isinstance(change, ReplaceGraph))
    if isinstance(change, DropGraph):
        return drop_delta(store, change.graph)
    if isinstance(change, QuadDelta):
        return quad_delta(store, change)
    if isinstance(change, ReplaceGraphs):
        return replace_graphs_delta(store, change)
    raise TypeError(f"not a store change: {change!r}")
