"""Validation on write, incremental: :class:`ShapesWriteGuard` (``alliancegraph.store.WriteGuard``).

The store calls the guard inside its exclusive write lock, before it applies a write, with the
open read-write pyoxigraph store. The guard

1. works out the write's *delta* (quads added and removed) without applying it. For the Graph
   Store Protocol the delta is explicit. For SPARQL Update, rdflib's update engine evaluates
   the request over :class:`OverlayStore`, an rdflib store that reads through to pyoxigraph
   (index lookups, ``quads_for_pattern``) and records adds and removes instead of writing;
   later operations of one request see the effect of earlier ones, as SPARQL requires;
2. collects the *affected* nodes (see :func:`affected_nodes`);
3. validates only those nodes, each against the shapes that target it in the after-state
   (the store plus the delta, seen as one union graph), with pySHACL's own shape objects;
4. raises :class:`~alliancegraph.errors.ValidationFailed` (422) with the report when a
   violation involves an affected node, and otherwise returns the report (warnings).

The cost grows with the write and the degree of the nodes it touches, not with the store.

rdflib and Oxigraph evaluate the same update; they can differ where SPARQL lets them: fresh
blank nodes (``BNODE()``, blank nodes in INSERT templates get other labels, same structure),
``NOW()``, ``RAND()``, ``UUID()``/``STRUUID()``, and corner cases of ill-typed literals. The
store applies Oxigraph's result, so a write whose outcome depends on such a function is
validated on rdflib's reading of it.
"""

from __future__ import annotations

import functools
import logging
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
import rdflib
import rdflib.plugins.sparql
from alliancegraph.errors import BadRequest, ParseError, ValidationFailed
from alliancegraph.shapes.validate import (
    Report,
    _bundled_shapes_cached,
    report_from_graph,
    to_ox,
    to_rdflib,
)
from alliancegraph.store import Dataset
from pyshacl.graph_abstraction import RdfLibDataGraph
from pyshacl.pytypes import SHACLExecutor
from pyshacl.shapes_graph import ShapesGraph
from pyshacl.validator import Validator
from rdflib import RDF, RDFS, BNode, Graph, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import SH
from rdflib.plugins.sparql.algebra import BGP, Join, translateUpdate
from rdflib.plugins.sparql.algebra import Graph as algebra_graph
from rdflib.plugins.sparql.parser import parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.processor import prepareQuery
from rdflib.plugins.sparql.update import evalUpdate
from rdflib.store import Store as RdflibStore

__all__ = ["Delta", "OverlayStore", "ShapesWriteGuard", "affected_nodes", "dependency_predicates",
           "update_delta"]

log = logging.getLogger(__name__)

#: The identifier of the union view over every graph of an overlay (the validation view).
UNION_ID = URIRef("urn:x-alliancegraph:union")


@dataclass
class Delta:
    """What a write adds and removes (quads), computed before it is applied."""

    added: set[ox.Quad] = field(default_factory=set)
    removed: set[ox.Quad] = field(default_factory=set)
    created_graphs: set[ox.NamedNode] = field(default_factory=set)
    dropped_graphs: set[ox.NamedNode] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.added) + len(self.removed)


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

    def __init__(self, base: ox.Store, delta: Delta | None = None):
        super().__init__()
        self.base = base
        self.delta = delta or Delta()
        self._namespaces: dict[str, URIRef] = {}

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
        for quad in self.delta.added:
            if _matches(quad, ps, pp, po, graph):
                yield quad

    def triples(self, triple_pattern, context=None):
        s, p, o = triple_pattern
        if isinstance(p, rdflib.paths.Path):  # rdflib passes paths to stores that accept them
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
        quad = ox.Quad(*(to_ox(t) for t in triple), graph)
        if quad in self.delta.removed:
            self.delta.removed.discard(quad)
        elif not _in_base(self.base, quad):
            self.delta.added.add(quad)

    def addN(self, quads):
        for s, p, o, context in quads:
            self.add((s, p, o), context)

    def remove(self, triple, context=None):
        s, p, o = triple
        graph = _graph_term(context)
        for quad in list(self._quads(s, p, o, graph)):
            if quad in self.delta.added:
                self.delta.added.discard(quad)
            else:
                self.delta.removed.add(quad)

    def add_graph(self, graph):
        term = _graph_term(graph)
        if isinstance(term, ox.NamedNode | ox.BlankNode):
            self.delta.dropped_graphs.discard(term)
            self.delta.created_graphs.add(term)

    def remove_graph(self, graph):
        term = _graph_term(graph)
        self.remove((None, None, None), graph)
        if isinstance(term, ox.NamedNode | ox.BlankNode):
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


def _in_base(base: ox.Store, quad: ox.Quad) -> bool:
    return any(True for _ in base.quads_for_pattern(
        quad.subject, quad.predicate, quad.object, quad.graph_name))


def _matches(quad: ox.Quad, s, p, o, graph) -> bool:
    return ((s is None or quad.subject == s) and (p is None or quad.predicate == p)
            and (o is None or quad.object == o)
            and (graph is None or quad.graph_name == graph))


# ---------------------------------------------------------------------- deltas


def update_delta(store: ox.Store, sparql: str, *, base_iri: str | None = None) -> Delta:
    """The quads a SPARQL Update would add and remove, evaluated by rdflib over an overlay.

    Raises ParseError (400) for a syntax error and BadRequest for LOAD or SERVICE (the store
    refuses those before the guard runs; this is a second lock on the door)."""
    try:
        parsed = translateUpdate(parseUpdate(sparql), base=base_iri)
    except Exception as exc:  # pyparsing and rdflib raise several unrelated types
        raise ParseError(f"the update does not parse: {exc}") from exc
    for request in parsed.algebra:
        if request.name == "Load" or _has_service(request):
            raise BadRequest("LOAD and SERVICE are not allowed in an update")
    # CREATE adds no triple, and rdflib cannot evaluate it ("Create not implemented"):
    # Oxigraph applies it for real after the check.
    parsed.algebra = [_as_modify(r) if r.name == "DeleteWhere" else r
                      for r in parsed.algebra if r.name != "Create"]
    overlay = OverlayStore(store)
    dataset = rdflib.Dataset(store=overlay, default_union=False)
    sparql_module = rdflib.plugins.sparql
    saved = sparql_module.SPARQL_LOAD_GRAPHS, sparql_module.SPARQL_DEFAULT_GRAPH_UNION
    # USING <g> must select a stored graph, never make rdflib fetch or read <g>; and an
    # update works on the real default graph (as Oxigraph does), not on the union.
    sparql_module.SPARQL_LOAD_GRAPHS = sparql_module.SPARQL_DEFAULT_GRAPH_UNION = False
    try:
        with warnings.catch_warnings():
            # rdflib's own SPARQL code still calls Dataset.default_context and .contexts
            warnings.filterwarnings("ignore", category=DeprecationWarning,
                                    module=r"rdflib\.plugins\.sparql")
            evalUpdate(dataset, parsed)
    except Exception as exc:  # rdflib's update evaluator raises plain Exception
        if type(exc) is not Exception:
            raise
        raise BadRequest(f"the update cannot be applied: {exc}") from exc
    finally:
        sparql_module.SPARQL_LOAD_GRAPHS, sparql_module.SPARQL_DEFAULT_GRAPH_UNION = saved
    return overlay.delta


def _as_modify(request: CompValue) -> CompValue:
    """DELETE WHERE {P} as DELETE {P} WHERE {P} (the same by the spec): rdflib's own
    DELETE WHERE cannot take a variable graph name (GRAPH ?g)."""
    where = BGP(request.triples or [])
    for graph, triples in (request.quads or {}).items():
        where = Join(where, algebra_graph(graph, BGP(triples)))
    delete = CompValue("DeleteClause", triples=request.triples or [], quads=request.quads or {})
    return CompValue("Modify", delete=delete, insert=None, where=where, using=None,
                     withClause=None)


def _has_service(node: Any) -> bool:
    if getattr(node, "name", None) == "ServiceGraphPattern":
        return True
    if isinstance(node, dict):
        return any(_has_service(v) for v in node.values())
    if isinstance(node, list | tuple):
        return any(_has_service(v) for v in node)
    return False


def graph_delta(store: ox.Store, graph: str | None, quads: Iterable[ox.Quad], *,
                replace: bool) -> Delta:
    """The delta of a Graph Store PUT (``replace``) or POST into ``graph``."""
    target = ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
    new = {ox.Quad(q.subject, q.predicate, q.object, target) for q in quads}
    delta = Delta()
    if replace:
        old = set(store.quads_for_pattern(None, None, None, target))
        delta.removed = old - new
        delta.added = new - old
    else:
        delta.added = {q for q in new if not _in_base(store, q)}
    return delta


def drop_delta(store: ox.Store, graph: str | None) -> Delta:
    target = ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
    return Delta(removed=set(store.quads_for_pattern(None, None, None, target)))


# ---------------------------------------------------------------------- affected nodes


def dependency_predicates(shapes: Graph) -> set[URIRef]:
    """Predicates through which one node's data can change another node's result:
    rdf:type and rdfs:subClassOf (``sh:class``, targets), predicates of inverse paths, and
    every IRI named in a SPARQL constraint (an over-approximation: classes come along)."""
    found = {RDF.type, RDFS.subClassOf}
    found |= {p for p in shapes.objects(None, SH.inversePath) if isinstance(p, URIRef)}
    prefixes = {str(shapes.value(d, SH.prefix)): str(shapes.value(d, SH.namespace))
                for d in shapes.objects(None, SH.declare)}
    for query in shapes.objects(None, SH.select):
        text = str(query)
        found |= {URIRef(iri) for iri in re.findall(r"<([^<>\s]+)>", text)}
        for prefix, local in re.findall(r"\b([A-Za-z][\w-]*):([A-Za-z_][\w-]*)", text):
            if prefix in prefixes:
                found.add(URIRef(prefixes[prefix] + local))
    return found


UNIQUE_KEY = URIRef("https://w3id.org/alliancegraph/shapes#uniqueKey")


def unique_keys(shapes: Graph) -> set[URIRef]:
    """Predicates whose literal values a shape compares across nodes (``ags:uniqueKey``)."""
    return {p for p in shapes.objects(None, UNIQUE_KEY) if isinstance(p, URIRef)}


def affected_nodes(view: Graph, delta: Delta, dependencies: set[URIRef],
                   keys: set[URIRef] = frozenset()) -> set:  # type: ignore[assignment]
    """The focus nodes a write can change the validation result of.

    * every subject of an added or removed triple, and every IRI or blank-node object
      (``sh:targetObjectsOf``, inverse paths);
    * when the changed triple's predicate is a *dependency* (:func:`dependency_predicates`):
      the 1-hop neighbours, both directions, of its subject in the after-state (a shape on a
      neighbour may look at it: ``sh:class`` on a value whose type changed, a SPARQL
      constraint that follows one link, such as the parties of an agreement);
    * when the predicate is a unique key (``ags:uniqueKey`` on a shape: ISO codes, footnote
      numbers and labels), every other subject with the same predicate and literal.

    This is complete for shapes whose constraints look at most one link away from the focus
    node, or at nodes sharing a literal with it: all bundled shapes but one. The exception is
    ags:EventAfterPaperShape (event → evidence → paper → its date, three links), a warning:
    changing only a paper's date is not re-checked against the events it reports. A full
    ``alliancegraph validate`` checks everything.
    """
    quads = delta.added | delta.removed
    nodes = {to_rdflib(q.subject) for q in quads}
    nodes |= {to_rdflib(q.object) for q in quads if not isinstance(q.object, ox.Literal)}
    for quad in quads:
        predicate = to_rdflib(quad.predicate)
        if predicate in keys and isinstance(quad.object, ox.Literal):
            nodes |= set(view.subjects(predicate, to_rdflib(quad.object)))
        if predicate not in dependencies:
            continue
        subject = to_rdflib(quad.subject)
        nodes |= {s for s, _ in view.subject_predicates(subject)}
        nodes |= {o for _, o in view.predicate_objects(subject)
                  if not isinstance(o, rdflib.Literal)}
    return nodes


# ---------------------------------------------------------------------- validation


class _FocusedValidator:
    """pySHACL's shapes, harvested once, run on chosen focus nodes only."""

    def __init__(self, shapes: Graph):
        self.shapes_graph = ShapesGraph(shapes)
        self.targeted = []
        for shape in self.shapes_graph.shapes:
            nodes, classes, implicit, objects_of, subjects_of = shape.target()
            if nodes or classes or implicit or objects_of or subjects_of:
                self.targeted.append((shape, set(nodes), set(classes) | set(implicit),
                                      set(objects_of), set(subjects_of)))

    def run(self, view: Graph, focus: set) -> tuple[Graph, dict]:
        data = _PreparedQueryGraph(view.store, impl=view)
        executor = SHACLExecutor(validator=None, allow_warnings=True)
        types = {node: _all_types(view, node) for node in focus}
        reports: list = []
        conforms = True
        checked: dict[str, list[str]] = {}
        for shape, nodes, classes, objects_of, subjects_of in self.targeted:
            chosen = [n for n in focus if n in nodes or types[n] & classes
                      or any((n, p, None) in view for p in subjects_of)
                      or any((None, p, n) in view for p in objects_of)]
            if not chosen:
                continue
            checked[str(shape.node)] = sorted(str(n) for n in chosen)
            ok, found = shape.validate(executor, data, focus=chosen)
            conforms = conforms and ok
            reports.extend(found)
        graph, _ = Validator.create_validation_report(self.shapes_graph, conforms, reports)
        return graph, checked


@functools.lru_cache(maxsize=256)
def _prepared(text: str):
    return prepareQuery(text)


class _PreparedQueryGraph(RdfLibDataGraph):
    """pySHACL's rdflib data graph, but each SPARQL constraint is parsed once, not once per
    focus node (parsing is most of the cost of a small query in rdflib)."""

    def query(self, query_object, *args, **kwargs):
        if isinstance(query_object, str):
            query_object = _prepared(query_object)
        return super().query(query_object, *args, **kwargs)


def _all_types(view: Graph, node) -> set:
    found = set()
    for cls in view.objects(node, RDF.type):
        found |= set(view.transitive_objects(cls, RDFS.subClassOf))
    return found


class ShapesWriteGuard:
    """Validation on write, incremental. Give it to ``EmbeddedStore(write_guard=…)``.

    ``shapes``: an rdflib graph of shapes (default: the bundled shapes). The shapes are
    harvested here, once: the store calls the guard in a forked child per write, which
    inherits them.
    """

    def __init__(self, shapes: Graph | None = None):
        self.shapes = shapes if shapes is not None else _bundled_shapes_cached()
        self._validator = _FocusedValidator(self.shapes)
        self._dependencies = dependency_predicates(self.shapes)
        self._keys = unique_keys(self.shapes)

    # --- the WriteGuard protocol
    def check_update(self, store: ox.Store, sparql: str, *, dataset: Dataset | None = None,
                     base_iri: str | None = None) -> Report:
        # the store has already turned a protocol dataset into USING clauses in ``sparql``
        return self.check_delta(store, update_delta(store, sparql, base_iri=base_iri))

    def check_put(self, store: ox.Store, graph: str | None, quads: list) -> Report:
        return self.check_delta(store, graph_delta(store, graph, quads, replace=True))

    def check_post(self, store: ox.Store, graph: str | None, quads: list) -> Report:
        return self.check_delta(store, graph_delta(store, graph, quads, replace=False))

    def check_delete(self, store: ox.Store, graph: str | None) -> Report:
        return self.check_delta(store, drop_delta(store, graph))

    # --- the work
    def report_for(self, store: ox.Store, delta: Delta) -> Report:
        """Validate the affected nodes of ``delta`` in the after-state; never raises 422."""
        overlay = OverlayStore(store, delta)
        view = Graph(store=overlay, identifier=UNION_ID)
        focus = affected_nodes(view, delta, self._dependencies, self._keys)
        graph, checked = self._validator.run(view, focus)
        report = report_from_graph(graph, self.shapes)
        report.checked = checked
        return report

    def check_delta(self, store: ox.Store, delta: Delta) -> Report:
        if not len(delta):
            return report_from_graph(Graph(), self.shapes)
        report = self.report_for(store, delta)
        if not report.conforms:
            shapes = sorted({r.source_shape for r in report.violations})
            nodes = sorted({r.focus_node for r in report.violations})
            raise ValidationFailed(
                f"the write would leave {len(report.violations)} violation(s) of the shapes "
                f"on {len(nodes)} node(s): {', '.join(nodes[:5])}"
                f"{' …' if len(nodes) > 5 else ''}; shapes: {', '.join(shapes[:5])}",
                report=report.summary())
        if report.results:
            log.info("write accepted with %d warning(s)", len(report.results))
        return report
