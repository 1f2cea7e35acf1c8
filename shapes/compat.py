"""Where pySHACL 0.40.1 departs from SHACL, corrected in our layer (never in pySHACL itself).

:func:`prepare_shapes` rewrites a copy of the shapes graph before pySHACL reads it:

* ``sh:uniqueLang``: SHACL switches the constraint on only for the literal ``true``
  (the W3C suite, ``core/property/uniqueLang-002``: ``"1"^^xsd:boolean`` does not); pySHACL
  reads the value as a Python bool, so ``"1"`` would switch it on. The other well-formed
  booleans (``"1"``, ``"0"``, ``"false"``) are dropped: none of them activates the constraint.
  Ill-typed values are left for pySHACL to refuse.
* ``sh:prefixes``: SHACL collects the prefix declarations along
  ``sh:prefixes/owl:imports*/sh:declare`` (SHACL 5.2.1); pySHACL stops at ``sh:prefixes``.
  The declarations of the nodes reached by ``owl:imports`` *inside the shapes graph* are
  copied onto the ``sh:prefixes`` node. Nothing is fetched: an import that names a graph
  outside the shapes graph adds nothing.

Both run on every path that hands shapes to pySHACL (see :mod:`alliancegraph.shapes.validate`).

``$shapesGraph`` (optional in SHACL 5.3.1; pySHACL refuses any query that names it) is
supported where the data is an rdflib graph: :func:`prepare_shapes` with
``shapes_graph_variable=True`` renames the variable in ``sh:select``/``sh:ask`` to a private
name pySHACL does not look for, and :func:`with_shapes_graph` wraps the data in a pySHACL data
graph that pre-binds that name to :data:`SHAPES_GRAPH` and runs such a query over a dataset
whose default graph is the data and whose graph :data:`SHAPES_GRAPH` is the shapes graph. The
two go together: renamed without the wrapper, the variable would silently be unbound. Where
they are not used (the Oxigraph path), pySHACL still reports the failure SHACL requires.
(``$currentShape`` pySHACL pre-binds itself.)
"""

from __future__ import annotations

from alliancegraph.store.sparql_guard import tokenize
from pyshacl.graph_abstraction import RdfLibDataGraph
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import OWL, SH, XSD

__all__ = ["SHAPES_GRAPH", "ShapesGraphAware", "prepare_shapes", "rename_variable",
           "with_shapes_graph"]

#: the name of the shapes graph in the dataset a ``$shapesGraph`` query runs on
SHAPES_GRAPH = URIRef("urn:x-alliancegraph:shapes-graph")
#: what ``$shapesGraph`` is renamed to (pySHACL refuses a query naming ``shapesGraph``)
_SHAPES_GRAPH_VAR = "alliancegraph_shapesGraph"

#: the well-formed xsd:boolean lexical forms that do not say ``true``
_NOT_TRUE = ("false", "0", "1")


def prepare_shapes(shapes: Graph, *, shapes_graph_variable: bool = False) -> Graph:
    """A copy of ``shapes`` with the corrections above; ``shapes`` is left untouched.

    ``shapes_graph_variable``: rename ``$shapesGraph`` for :func:`with_shapes_graph`, which
    the data must then be wrapped in."""
    prepared = Graph()
    for prefix, namespace in shapes.namespaces():
        prepared.bind(prefix, namespace)
    for triple in shapes:
        prepared.add(triple)
    _drop_unique_lang_not_true(prepared)
    _declare_imported_prefixes(prepared)
    if shapes_graph_variable:
        _rename_shapes_graph_variable(prepared)
    return prepared


def _drop_unique_lang_not_true(shapes: Graph) -> None:
    for shape, value in list(shapes.subject_objects(SH.uniqueLang)):
        if isinstance(value, Literal) and value.datatype == XSD.boolean \
                and str(value) in _NOT_TRUE:
            shapes.remove((shape, SH.uniqueLang, value))


def _declare_imported_prefixes(shapes: Graph) -> None:
    for node in set(shapes.objects(None, SH.prefixes)):
        for imported in _imports(shapes, node):
            for declaration in list(shapes.objects(imported, SH.declare)):
                shapes.add((node, SH.declare, declaration))


def _imports(shapes: Graph, node) -> set:
    """The nodes reached from ``node`` by one or more ``owl:imports`` in ``shapes``."""
    seen: set = set()
    todo = list(shapes.objects(node, OWL.imports))
    while todo:
        current = todo.pop()
        if current in seen or current == node:
            continue
        seen.add(current)
        todo.extend(shapes.objects(current, OWL.imports))
    return seen


# ---------------------------------------------------------------------- $shapesGraph


def rename_variable(query: str, old: str, new: str) -> str:
    """``query`` with every variable ``?old``/``$old`` written ``?new``; strings, IRIs and
    comments are left alone (they are whole tokens to the tokenizer)."""
    pieces, last = [], 0
    for token in tokenize(query):
        if token.kind == "var" and token.text[1:] == old:
            pieces += [query[last:token.start], "?" + new]
            last = token.start + len(token.text)
    return "".join(pieces) + query[last:]


def _rename_shapes_graph_variable(shapes: Graph) -> None:
    for prop in (SH.select, SH.ask):
        for node, text in list(shapes.subject_objects(prop)):
            renamed = rename_variable(str(text), "shapesGraph", _SHAPES_GRAPH_VAR)
            if renamed != str(text):
                shapes.remove((node, prop, text))
                shapes.add((node, prop, Literal(renamed, lang=text.language,
                                                datatype=text.datatype)))


class ShapesGraphAware(RdfLibDataGraph):
    """pySHACL's rdflib data graph; a query that uses the renamed ``$shapesGraph`` runs over
    the data plus the shapes graph (named :data:`SHAPES_GRAPH`), with the variable pre-bound
    as pySHACL pre-binds ``$this``. Other queries run on the data as before."""

    shapes_graph: Graph
    _view: Dataset | None = None

    def query(self, query_object, processor="sparql", result="sparql", initNs=None,
              initBindings=None, use_store_provided=True, **kwargs):
        if not (isinstance(query_object, str) and "?" + _SHAPES_GRAPH_VAR in query_object):
            return super().query(query_object, processor, result, initNs, initBindings,
                                 use_store_provided, **kwargs)
        bindings = {**(initBindings or {}), _SHAPES_GRAPH_VAR: SHAPES_GRAPH}
        return self._dataset().query(query_object, processor, result, initNs, bindings,
                                     use_store_provided, **kwargs)

    def clone(self, destination=None, identifier=None) -> ShapesGraphAware:
        # pySHACL clones the data before RDFS inference; the clone must stay aware
        return with_shapes_graph(super().clone(destination, identifier).impl, self.shapes_graph)

    def _dataset(self) -> Dataset:
        """Built once, on the first such query (after any inference): a copy, so that
        neither the data nor the shapes are changed."""
        if self._view is None:
            view = _Dataset()
            default = view.default_graph
            for triple in self.impl.triples((None, None, None)):
                default.add(triple)
            named = view.graph(SHAPES_GRAPH)
            for triple in self.shapes_graph:
                named.add(triple)
            self._view = view
        return self._view


class _Dataset(Dataset):
    """rdflib 7.6's SPARQL engine reads ``Dataset.default_context``, which rdflib deprecated
    (a warning on every query; warnings are errors in the tests): the same graph, quietly."""

    @property
    def default_context(self) -> Graph:
        return self.default_graph

    @default_context.setter
    def default_context(self, value: Graph) -> None:
        self.default_graph = value


def with_shapes_graph(data: Graph, shapes: Graph) -> ShapesGraphAware:
    """``data`` (an rdflib graph or dataset) as a pySHACL data graph that supports the
    ``$shapesGraph`` of shapes prepared with ``shapes_graph_variable=True``."""
    wrapped = ShapesGraphAware.from_rdflib(data)
    wrapped.shapes_graph = shapes
    return wrapped
