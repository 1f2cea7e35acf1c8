"""Validation on write, incremental: :class:`ShapesWriteGuard`.

The policy (:mod:`alliancegraph.store.policy`) calls the guard on a read view of the store
(any :class:`~alliancegraph.store.base.ReadView`, never written to) before a write. The guard

1. works out the write's *delta* (quads added and removed) without applying it
   (:mod:`alliancegraph.store.delta`: explicit for the Graph Store Protocol; for SPARQL
   Update, pattern operations are evaluated by Oxigraph, the rest by rdflib over a
   read-through overlay);
2. collects the *affected* nodes (see :func:`affected_nodes`);
3. validates only those nodes, each against the shapes that target it in the after-state
   (the store plus the delta, seen as one union graph), with pySHACL's own shape objects;
4. raises :class:`~alliancegraph.errors.ValidationFailed` (422) with the report when a
   violation involves an affected node, and otherwise returns the report (warnings).

The policy then applies exactly the delta that was validated.

The cost grows with the write and the degree of the nodes it touches, not with the store
(bench/validation_scaling.py measures it: bench/results/validation-scaling.md).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
import rdflib
import rdflib.plugins.sparql
from alliancegraph.errors import ValidationFailed
from alliancegraph.graph.vocabulary import shapes_namespace
from alliancegraph.shapes.compat import prepare_shapes
from alliancegraph.shapes.validate import (
    Report,
    bundled_shapes,
    report_from_graph,
    to_rdflib,
)
from alliancegraph.store.base import ReadView
from alliancegraph.store.delta import (
    UNION_ID,
    Delta,
    OverlayStore,
    drop_delta,
    graph_delta,
    update_delta,
    where_predicates,
)
from pyshacl.graph_abstraction import RdfLibDataGraph
from pyshacl.pytypes import SHACLExecutor
from pyshacl.shapes_graph import ShapesGraph
from pyshacl.validator import Validator
from rdflib import RDF, RDFS, Graph, URIRef, Variable
from rdflib.extras.shacl import parse_shacl_path
from rdflib.namespace import SH
from rdflib.plugins.sparql.evaluate import evalBGP
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.processor import prepareQuery

__all__ = ["BUNDLED", "Delta", "Dependencies", "OverlayStore", "ShapesWriteGuard",
           "affected_nodes", "dependencies", "drop_delta", "graph_delta", "guard_for",
           "shapes_key", "update_delta"]

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------- affected nodes


AGS = shapes_namespace()  # the shapes' own terms; shapes are never rebased
UNIQUE_KEY = URIRef(AGS + "uniqueKey")
RECHECK_VIA = URIRef(AGS + "recheckVia")

#: A shape whose result can depend on any triple of a neighbour (see :func:`dependencies`).
ANY = None
#: SHACL links from a shape to the shapes and constraints it is made of.
_PARTS = (SH.property, SH.node, SH.qualifiedValueShape, SH.sparql, SH["and"], SH["or"],
          SH.xone, SH["not"], RDF.first, RDF.rest)
#: Constraints that, on a property shape, look at the value nodes' own data.
_VALUE_SHAPES = (SH.node, SH.qualifiedValueShape, SH.property, SH["and"], SH["or"], SH.xone,
                 SH["not"])


@dataclass(frozen=True)
class Dependencies:
    """What links one node's data to another node's validation result, read off the shapes.

    ``by_shape``: for each shape, the predicates through which a *neighbour's* change can
    alter its result on a node — rdf:type and rdfs:subClassOf when it uses ``sh:class``,
    every predicate of its complex paths (inverse, sequence…) and of its
    ``sh:targetObjectsOf``, every IRI its SPARQL names — or ANY when it checks its
    value nodes against shapes (``sh:node`` on a property shape, …). ``keys``: predicate →
    shapes that compare its literal values across nodes (``ags:uniqueKey``). ``rechecks``:
    (shape, the IRIs its SPARQL names, a path from a changed node back to its focus nodes)
    for shapes that look further than one link (``ags:recheckVia``)."""

    by_shape: dict[URIRef, frozenset[URIRef] | None]
    keys: dict[URIRef, frozenset[URIRef]]
    rechecks: tuple[tuple[URIRef, frozenset[URIRef], Any], ...] = ()
    #: per shape, the predicates it can follow from its focus node to a neighbour (ANY: all)
    edges: dict[URIRef, frozenset[URIRef] | None] = field(default_factory=dict)

    def crossing(self, shapes: frozenset[URIRef], edge: URIRef) -> frozenset[URIRef]:
        """Those of ``shapes`` that can follow ``edge`` from a focus node to its neighbour."""
        return frozenset(s for s in shapes
                         if self.edges.get(s, ANY) is ANY or edge in self.edges[s])

    def shapes_watching(self, predicate: URIRef) -> frozenset[URIRef]:
        return frozenset(shape for shape, watched in self.by_shape.items()
                         if watched is ANY or predicate in watched)


def dependencies(shapes: Graph) -> Dependencies:
    prefixes = {str(shapes.value(d, SH.prefix)): str(shapes.value(d, SH.namespace))
                for d in shapes.objects(None, SH.declare)}
    nodes = _shape_nodes(shapes)
    by_shape = {shape: _watched(shapes, shape, prefixes) for shape in nodes}
    edges = {shape: _edges(shapes, shape, prefixes) for shape in nodes}
    keys: dict[URIRef, set[URIRef]] = {}
    for shape, key in shapes.subject_objects(UNIQUE_KEY):
        keys.setdefault(key, set()).add(shape)
    rechecks = tuple((shape, by_shape.get(shape) or frozenset(),
                      parse_shacl_path(shapes, path))
                     for shape, path in shapes.subject_objects(RECHECK_VIA))
    return Dependencies(by_shape, {k: frozenset(v) for k, v in keys.items()}, rechecks, edges)


def _shape_nodes(shapes: Graph) -> set:
    found = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(RDF.type,
                                                                                SH.PropertyShape))
    for target in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf):
        found |= set(shapes.subjects(target, None))
    return found


def _parts(shapes: Graph, shape) -> set:
    parts, todo = set(), [shape]
    while todo:
        node = todo.pop()
        if node not in parts:
            parts.add(node)
            todo.extend(o for p in _PARTS for o in shapes.objects(node, p)
                        if not isinstance(o, rdflib.Literal))
    return parts


def _edges(shapes: Graph, shape, prefixes: dict[str, str]) -> frozenset[URIRef] | None:
    """The predicates a shape can follow from its focus node to a neighbour: those of its
    paths and those its SPARQL names; ANY when its SPARQL has a variable predicate (or a
    negated property set), or when it checks value nodes' own data."""
    found: set[URIRef] = set()
    header = "".join(f"PREFIX {p}: <{n}>\n" for p, n in prefixes.items())
    for part in _parts(shapes, shape):
        if (part, SH.path, None) in shapes and _checks_value_data(shapes, part):
            return ANY
        for path in shapes.objects(part, SH.path):
            found |= {path} if isinstance(path, URIRef) else _path_iris(shapes, path)
        for query in shapes.objects(part, SH.select):
            text = header + str(query).replace("$", "?")
            predicates = where_predicates(prepareQuery(text).algebra)
            if predicates is None:
                return ANY
            # rdflib's algebra can hide a pattern nested in EXISTS: every IRI named counts
            found |= predicates | _named_iris(str(query), prefixes)
    return frozenset(found)


def _watched(shapes: Graph, shape, prefixes: dict[str, str]) -> frozenset[URIRef] | None:
    found: set[URIRef] = set()
    for part in _parts(shapes, shape):
        if (part, SH.path, None) in shapes and _checks_value_data(shapes, part):
            return ANY
        if (part, SH["class"], None) in shapes:
            found |= {RDF.type, RDFS.subClassOf}
        for path in shapes.objects(part, SH.path):
            if not isinstance(path, URIRef):  # inverse, sequence, alternative…: all of them
                found |= _path_iris(shapes, path)
        found |= {p for p in shapes.objects(part, SH.targetObjectsOf) if isinstance(p, URIRef)}
        for query in shapes.objects(part, SH.select):
            found |= _named_iris(str(query), prefixes)
    return frozenset(found)


def _path_iris(shapes: Graph, path) -> set[URIRef]:
    """Every predicate named anywhere in a complex SHACL path."""
    found, todo, seen = set(), [path], set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        if isinstance(node, URIRef):
            found.add(node)
        elif not isinstance(node, rdflib.Literal):
            todo.extend(shapes.objects(node, None))
    return found - {RDF.first, RDF.rest, RDF.nil}


def _checks_value_data(shapes: Graph, property_shape) -> bool:
    """Does a property shape check its value nodes' own triples (a nested shape with a path,
    SPARQL or a further sh:node), not only the values themselves (datatype, pattern…)?"""
    todo = [o for p in _VALUE_SHAPES for o in shapes.objects(property_shape, p)]
    seen = set()
    while todo:
        node = todo.pop()
        if node in seen or isinstance(node, rdflib.Literal):
            continue
        seen.add(node)
        if any((node, p, None) in shapes for p in (SH.path, SH.sparql, SH.node)):
            return True
        todo.extend(o for p in (RDF.first, RDF.rest, *_VALUE_SHAPES)
                    for o in shapes.objects(node, p))
    return False


def _named_iris(query: str, prefixes: dict[str, str]) -> set[URIRef]:
    found = {URIRef(iri) for iri in re.findall(r"<([^<>\s]+)>", query)}
    for prefix, local in re.findall(r"\b([A-Za-z][\w-]*):([A-Za-z_][\w-]*)", query):
        if prefix in prefixes:
            found.add(URIRef(prefixes[prefix] + local))
    return found


#: The focus of an incremental check: each node, with the shapes to check it against
#: (ANY: every shape that targets it).
Focus = dict[Any, set[URIRef] | None]


def affected_nodes(view: Graph, delta: Delta, deps: Dependencies,
                   before: Graph | None = None) -> Focus:
    """The nodes a write can change the validation result of, each with the shapes to
    re-check it against.

    * every subject of an added or removed triple: against every shape; every IRI or
      blank-node object: against the shapes that watch the predicate (below);
    * the 1-hop neighbours, both directions, of the subject in the after-state: against the
      shapes that watch the changed triple's predicate (``sh:class`` on a value whose type
      changed, a SPARQL constraint that follows one link, such as the parties of an
      agreement);
    * for a unique key (``ags:uniqueKey``: ISO codes), every other subject with the same
      predicate and literal: against the shapes declaring it;
    * for a shape that looks further (``ags:recheckVia``, such as ags:EventAfterPaperShape:
      event → evidence → paper → its date; or the footnotes of the same paper for footnote
      numbers and labels, unique within a paper: a key store-wide would re-check one
      footnote per paper, a number growing with the store), the nodes its path reaches
      from the subject, in the after-state and in the ``before`` state: against that shape.

    Neighbours and paths are walked once per changed subject.

    Complete for shapes that look at most one link from the focus node, at nodes sharing a
    literal with it, or that declare the way back with ``ags:recheckVia``: all bundled
    shapes (tests/shapes/test_guard.py checks writes of each kind against full validation).
    """
    focus: Focus = {}

    def add(nodes, shapes: frozenset[URIRef] | None) -> None:
        for node in nodes:
            if shapes is ANY or focus.get(node, set()) is ANY:
                focus[node] = ANY
            elif shapes:
                focus.setdefault(node, set()).update(shapes)

    quads = delta.added | delta.removed
    add({to_rdflib(q.subject) for q in quads}, ANY)
    states = [view] if before is None else [view, before]
    # per changed subject, what its changes call for: neighbours and paths are then walked
    # once per subject, not once per changed quad (a new node comes with many quads)
    watched: dict[Any, set[URIRef]] = {}
    rechecked: dict[Any, set[int]] = {}
    for quad in quads:
        predicate, subject = to_rdflib(quad.predicate), to_rdflib(quad.subject)
        watching = deps.shapes_watching(predicate)
        if not isinstance(quad.object, ox.Literal):
            # the object's own data did not change: only shapes that look back along this
            # predicate (inverse paths, SPARQL, sh:targetObjectsOf) can judge it otherwise
            add({to_rdflib(quad.object)}, watching)
        if predicate in deps.keys and isinstance(quad.object, ox.Literal):
            add(view.subjects(predicate, to_rdflib(quad.object)), deps.keys[predicate])
        rechecked.setdefault(subject, set()).update(
            i for i, (_, named, _) in enumerate(deps.rechecks) if predicate in named)
        watched.setdefault(subject, set()).update(watching)
    for subject, indexes in rechecked.items():
        for i in indexes:
            shape, _, path = deps.rechecks[i]
            add({n for state in states for n in state.objects(subject, path)},
                frozenset({shape}))
    for subject, watching in watched.items():
        if watching:  # neighbours whose shapes can follow the link to the changed subject
            for neighbour, edge in view.subject_predicates(subject):
                add({neighbour}, deps.crossing(frozenset(watching), edge))
            for edge, neighbour in view.predicate_objects(subject):
                if not isinstance(neighbour, rdflib.Literal):
                    add({neighbour}, deps.crossing(frozenset(watching), edge))
    return focus


# ---------------------------------------------------------------------- validation


class _FocusedValidator:
    """pySHACL's shapes, harvested once, run on chosen focus nodes only."""

    def __init__(self, shapes: Graph):
        self.shapes_graph = ShapesGraph(prepare_shapes(shapes))
        self.targeted = []
        for shape in self.shapes_graph.shapes:
            nodes, classes, implicit, objects_of, subjects_of = shape.target()
            if nodes or classes or implicit or objects_of or subjects_of:
                self.targeted.append((shape, set(nodes), set(classes) | set(implicit),
                                      set(objects_of), set(subjects_of)))

    def run(self, view: Graph, focus: Focus) -> tuple[Graph, dict]:
        data = _PreparedQueryGraph(view.store, impl=view)
        executor = SHACLExecutor(validator=None, allow_warnings=True)
        types = {node: _all_types(view, node) for node in focus}
        links: dict[tuple, bool] = {}  # (node, predicate, direction) -> is there such a triple

        def linked(node, predicate, out: bool) -> bool:
            key = (node, predicate, out)
            if key not in links:
                links[key] = ((node, predicate, None) if out else (None, predicate, node)) in view
            return links[key]

        reports: list = []
        conforms = True
        checked: dict[str, list[str]] = {}
        for shape, nodes, classes, objects_of, subjects_of in self.targeted:
            chosen = [n for n, only in focus.items()
                      if (only is ANY or shape.node in only)
                      and (n in nodes or types[n] & classes
                           or any(linked(n, p, True) for p in subjects_of)
                           or any(linked(n, p, False) for p in objects_of))]
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
    query = prepareQuery(text)
    _push_bindings(query.algebra)
    return query


def _evaluate_in_order(ctx: Any, part: CompValue) -> Any:
    """rdflib's evaluation of a basic graph pattern over the overlay, with its patterns
    ordered most bound first, step by step (:func:`_greedy_order`). rdflib sorts them once
    by what is bound before the first one runs, so a pattern binding a variable never moves
    the ones using it forward: in ags:LinkProvenanceShape's NOT EXISTS it began with
    ``?axiom owl:annotatedProperty ?path``, a scan of every link axiom of the store per
    focus node, where ``$this … ?source . ?axiom owl:annotatedSource ?source`` finds the
    one. The order of a join does not change its solutions, only its cost. Other stores
    keep rdflib's own evaluation (NotImplementedError hands the part back to it)."""
    if part.name != "BGP" or not isinstance(getattr(ctx.graph, "store", None), OverlayStore):
        raise NotImplementedError
    known = {t for triple in part.triples for t in triple
             if isinstance(t, Variable | rdflib.BNode) and ctx[t] is not None}
    return evalBGP(ctx, _greedy_order(part.triples, known))


rdflib.plugins.sparql.CUSTOM_EVALS["alliancegraph-guard-bgp-order"] = _evaluate_in_order


def _greedy_order(triples: list, known: set) -> list:
    """Triple patterns, most bound first, step by step: each one chosen binds its variables
    for the next choice. Ties: a bound subject, then a bound object, then written order."""
    known, left, ordered = set(known), list(triples), []

    def cost(triple: tuple) -> tuple[int, bool, bool]:
        free = [isinstance(t, Variable | rdflib.BNode) and t not in known for t in triple]
        return sum(free), free[0], free[2]

    while left:
        best = min(left, key=cost)  # min keeps the first of equals: the written order
        left.remove(best)
        ordered.append(best)
        known |= {t for t in best if isinstance(t, Variable | rdflib.BNode)}
    return ordered


def _push_bindings(node: Any) -> None:
    """Make rdflib evaluate a join by pushing the left side's bindings into the right side
    (its "lazy" join) wherever that gives the same solutions, not only where rdflib's own
    rule allows it (never below another join). Without it, a constraint such as
    ags:EventAfterPaperShape's ``… ?paper . { ?paper ?p ?published } UNION {…}`` matched
    every triple of the store once per focus node (seconds each)."""
    todo = [node]
    while todo:
        current = todo.pop()
        if isinstance(current, CompValue):
            if current.name == "Join" and not current.get("lazy") and _pushable(current.p2):
                current["lazy"] = True
            todo.extend(_children(current))
        elif isinstance(current, list):
            todo.extend(current)


def _children(node: CompValue) -> list:
    """The parts of an algebra node, including the graph pattern of an EXISTS: rdflib keeps
    its translated pattern as an attribute of the node, not as one of its items (the item
    still holds the parse tree), and evaluates the attribute."""
    parts = list(node.values())
    if node.name in ("Builtin_EXISTS", "Builtin_NOTEXISTS"):
        parts += [v for k, v in vars(node).items() if k == "graph"]
    return [v for v in parts if isinstance(v, CompValue | list)]


def _pushable(node: Any) -> bool:
    """Can bindings from the left be pushed into ``node`` without changing its solutions?
    Yes for triple patterns, unions, joins and GRAPH of those, and for a FILTER whose
    variables its own patterns bind; not for OPTIONAL, MINUS, BIND, sub-queries, … (there
    a bound variable means something else than a joined one)."""
    if not isinstance(node, CompValue):
        return False
    if node.name == "BGP":
        return True
    if node.name in ("Join", "Union"):
        return _pushable(node.p1) and _pushable(node.p2)
    if node.name == "Graph":
        return _pushable(node.p)
    if node.name == "Filter":
        return _pushable(node.p) and _variables(node.expr) <= _variables(node.p)
    return False


def _variables(node: Any) -> set[Variable]:
    found: set[Variable] = set()
    todo = [node]
    while todo:
        current = todo.pop()
        if isinstance(current, Variable):
            found.add(current)
        elif isinstance(current, CompValue | dict):
            todo.extend(current.values())
        elif isinstance(current, list | tuple):
            todo.extend(current)
    return found


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
    """Validation on write, incremental, against ``shapes`` (an rdflib graph; default: the
    bundled shapes). The shapes are harvested here, once: build one per process and reuse
    it (:func:`guard_for`)."""

    def __init__(self, shapes: Graph | None = None):
        self.shapes = shapes if shapes is not None else bundled_shapes()
        self._validator = _FocusedValidator(self.shapes)
        self._dependencies = dependencies(self.shapes)

    def report_for(self, view: ReadView, delta: Delta) -> Report:
        """Validate the affected nodes of ``delta`` in the after-state; never raises 422."""
        if not len(delta):
            report = report_from_graph(Graph(), self.shapes)
            report.checked = {}
            return report
        overlay = OverlayStore(view, delta)
        after = Graph(store=overlay, identifier=UNION_ID)
        before = Graph(store=OverlayStore(view), identifier=UNION_ID)
        focus = affected_nodes(after, delta, self._dependencies, before)
        graph, checked = self._validator.run(after, focus)
        report = report_from_graph(graph, self.shapes)
        report.checked = checked
        return report

    def check_update(self, view: ReadView, sparql: str, *,
                     base_iri: str | None = None) -> Report:
        """:meth:`check_delta` of a SPARQL Update's delta (the benchmark's entry point; the
        policy computes the delta itself, to apply exactly it)."""
        return self.check_delta(view, update_delta(view, sparql, base_iri=base_iri))

    def check_delta(self, view: ReadView, delta: Delta) -> Report:
        """The report of ``delta``; ValidationFailed (422, with the report) on a violation."""
        report = self.report_for(view, delta)
        if not report.conforms:
            raise refusal(report)
        if report.results:
            log.info("write accepted with %d warning(s)", len(report.results))
        return report


def refusal(report: Report) -> ValidationFailed:
    """The 422 for a report with violations."""
    shapes = sorted({r.source_shape for r in report.violations})
    nodes = sorted({r.focus_node for r in report.violations})
    return ValidationFailed(
        f"the write would leave {len(report.violations)} violation(s) of the shapes "
        f"on {len(nodes)} node(s): {', '.join(nodes[:5])}"
        f"{' …' if len(nodes) > 5 else ''}; shapes: {', '.join(shapes[:5])}",
        report=report.summary())


# ---------------------------------------------------------------------- one guard per process

#: the key of the bundled shapes (:func:`shapes_key`)
BUNDLED = "bundled"
_GUARDS: dict[str, ShapesWriteGuard] = {}


def shapes_key(shapes: Graph | None) -> tuple[str, str | None]:
    """(fingerprint, N-Triples text or None) naming ``shapes`` across processes: plain data
    a worker process turns back into its own cached guard (:func:`guard_for`)."""
    if shapes is None:
        return BUNDLED, None
    text = shapes.serialize(format="nt")
    return hashlib.sha256(text.encode()).hexdigest(), text


def guard_for(key: tuple[str, str | None]) -> ShapesWriteGuard:
    """This process's guard for the shapes ``key`` names, built once."""
    fingerprint, text = key
    guard = _GUARDS.get(fingerprint)
    if guard is None:
        shapes = None if text is None else _graph(text)
        guard = _GUARDS[fingerprint] = ShapesWriteGuard(shapes)
    return guard


def _graph(ntriples: str) -> Graph:
    """An rdflib graph of N-Triples, each literal as written (rdflib's parser would
    normalise "01"^^xsd:integer to "1")."""
    graph = Graph()
    for quad in ox.parse(ntriples.encode(), ox.RdfFormat.N_TRIPLES):
        graph.add(tuple(to_rdflib(t) for t in (quad.subject, quad.predicate, quad.object)))
    return graph
