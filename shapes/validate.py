"""Validate RDF against the Alliance Graph shapes (or any shapes) with pySHACL.

The public surface is small: :func:`validate` runs pySHACL and returns a :class:`Report`;
:func:`parse_rdf` turns bytes or files into an in-memory pyoxigraph store (pySHACL reads an
Oxigraph store natively, which is several times faster than a plain rdflib graph), and
:func:`bundled_shapes` loads ``shapes/*.ttl``. ``owl:imports`` are never followed.

Conformance here means *no* ``sh:Violation``: warnings and infos are reported but do not make
a graph non-conforming (pySHACL's ``allow_warnings``).
"""

from __future__ import annotations

import decimal
import functools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal as TypingLiteral

import owlrl
import pyoxigraph as ox
import rdflib
from alliancegraph import CANONICAL_BASE
from alliancegraph.errors import BadRequest
from alliancegraph.graph.vocabulary import shapes_iri
from alliancegraph.shapes.compat import prepare_shapes, with_shapes_graph
from alliancegraph.store.formats import rdf_input
from alliancegraph.store.rdf_input import parse_rdf as parse_quads
from alliancegraph.store.sparql_guard import tokenize
from pyparsing import ParseResults
from pyparsing.exceptions import ParseException
from pyshacl import validate as pyshacl_validate
from pyshacl.errors import ReportableRuntimeError, ValidationFailure
from rdflib import RDF, BNode, Graph, URIRef
from rdflib.namespace import OWL, SH, XSD
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

__all__ = [
    "SHAPES_DIR",
    "SHAPES_IRI",
    "Report",
    "Result",
    "ShapesError",
    "bundled_shapes",
    "bundled_shapes_graph",
    "format_for",
    "parse_rdf",
    "parse_rdf_graph",
    "render_path",
    "report_from_graph",
    "run_pyshacl",
    "shape_files",
    "skolemised_store",
    "split_shapes",
    "to_ox",
    "to_rdflib",
    "to_rdflib_graph",
    "validate",
    "validate_files",
    "with_bundled_ontology",
]

SHAPES_DIR = Path(__file__).parent / "src"
SHAPES_IRI = shapes_iri()
SHAPES_NS = SHAPES_IRI + "#"
Inference = TypingLiteral["none", "rdfs", "owlrl"]
INFERENCE_CHOICES = ("none", "rdfs", "owlrl")
SEVERITIES = ("Violation", "Warning", "Info")
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def format_for(*, name: str | None = None, path: str | Path | None = None,
               media_type: str | None = None) -> ox.RdfFormat:
    """The RDF syntax named by ``--format``, a media type or a file suffix (the first
    given), from the format table :mod:`alliancegraph.store.formats`.

    Raises UnsupportedMediaType (415) when it names no syntax that is read (N3 among them)."""
    fmt = rdf_input(name=name, media_type=media_type, path=path).oxigraph
    assert isinstance(fmt, ox.RdfFormat)  # an RDF entry of the table
    return fmt


def parse_rdf(data: bytes, fmt: ox.RdfFormat, *, source: str = "<input>",
              base_iri: str | None = None, into: ox.Store | None = None) -> ox.Store:
    """Parse RDF bytes (by :func:`alliancegraph.store.rdf_input.parse_rdf`, the one upload
    parser) into an (in-memory) pyoxigraph store; the graphs of a dataset syntax are kept.

    Beware: an Oxigraph store keeps some typed literals by value, not as written
    ("55"^^xsd:byte comes back as "55"^^xsd:integer, "01"^^xsd:integer as "1"; Oxigraph
    issue 1413). Data to validate is best read with :func:`parse_rdf_graph`.

    Raises ParseError naming ``source``, line and column, and BadRequest for a DOCTYPE."""
    store = into if into is not None else ox.Store()
    store.extend(parse_quads(data, fmt, source=source, base_iri=base_iri,
                             allow_named_graphs=True))
    return store


def parse_rdf_graph(data: bytes, fmt: ox.RdfFormat, *, source: str = "<input>",
                    base_iri: str | None = None, into: Graph | None = None) -> Graph:
    """Parse RDF bytes into an rdflib graph (every graph of a dataset syntax merged), each
    literal exactly as written. Raises as :func:`parse_rdf`."""
    graph = into if into is not None else Graph()
    for quad in parse_quads(data, fmt, source=source, base_iri=base_iri,
                            allow_named_graphs=True):
        graph.add(tuple(to_rdflib(t) for t in (quad.subject, quad.predicate, quad.object)))
    return graph


def shape_files(directory: Path = SHAPES_DIR) -> list[Path]:
    """The bundled shapes, one Turtle file per topic, in a stable order."""
    return sorted(directory.glob("*.ttl"))


class ReadOnlyGraph(Graph):
    """An rdflib graph whose triples cannot be added or removed: what a cache hands out to
    every caller of the process."""

    def _read_only(self, *args: object, **kwargs: object) -> None:
        raise TypeError("this graph is shared and read-only: use a copy (bundled_shapes())")

    add = addN = remove = _read_only  # type: ignore[assignment]


@functools.cache
def bundled_shapes_graph() -> ReadOnlyGraph:
    """The bundled shapes graph, read once per process and shared: read-only (adding or
    removing a triple raises TypeError). :func:`bundled_shapes` gives a copy to change."""
    graph = Graph()
    for path in shape_files():
        graph.parse(path, format="turtle")
    return ReadOnlyGraph(store=graph.store, identifier=graph.identifier,
                         namespace_manager=graph.namespace_manager)


def bundled_shapes() -> Graph:
    """The bundled shapes graph, a fresh copy: callers may change it."""
    shared = bundled_shapes_graph()
    copy = Graph()
    for prefix, namespace in shared.namespaces():
        copy.bind(prefix, namespace)
    for triple in shared:
        copy.add(triple)
    return copy


def _shapes_graph(shapes: Graph | str | Path | Sequence[Path] | None) -> Graph:
    if shapes is None:
        return bundled_shapes_graph()
    if isinstance(shapes, Graph):
        return shapes
    paths = [Path(shapes)] if isinstance(shapes, (str, Path)) else [Path(p) for p in shapes]
    graph = Graph()
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise BadRequest(f"{path}: cannot read shapes file: {exc.strerror}") from exc
        parse_rdf_graph(data, format_for(path=path), source=str(path), into=graph)
    return graph


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> rdflib.term.Node:
    """An Oxigraph term as rdflib's, each literal as written; BadRequest for an RDF-star
    quoted triple, which rdflib (and so pySHACL and the write guard) cannot hold."""
    if isinstance(term, ox.Triple):
        raise BadRequest("RDF-star quoted triples (<< … >>) are not accepted here: the shapes "
                         f"and validation work on plain RDF; found << {term} >>")
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == _XSD_STRING:
        # RDF 1.1: "a" and "a"^^xsd:string are one literal, but rdflib tells them apart and
        # its SPARQL parser reads "a" without a datatype: keep it so, or BGPs never match.
        return rdflib.Literal(term.value)
    # normalize=False: rdflib would rewrite "01"^^xsd:integer as "1" and "none"^^xsd:boolean
    # as "false"; validation (sh:in, sh:hasValue, the report's sh:value) needs the data's own.
    return rdflib.Literal(term.value, datatype=URIRef(term.datatype.value), normalize=False)


@functools.lru_cache(maxsize=1)
def _ontology_quads() -> tuple[ox.Quad, ...]:
    # The bundled ontology: subclass axioms for sh:targetClass/sh:class, and the SKOS concepts.
    from alliancegraph.graph.sources import parse_source
    from alliancegraph.ontology import source_files

    return tuple(q for path in source_files() for q in parse_source(path, "ontology"))


# ------------------------------------------------------------------ the report

@dataclass(frozen=True)
class Result:
    """One ``sh:ValidationResult``, with its terms as N-Triples-like strings."""

    focus_node: str
    path: str | None
    value: str | None
    source_shape: str
    component: str
    severity: str  # Violation, Warning or Info
    messages: tuple[str, ...]

    def key(self) -> tuple[str, str | None, str, str]:
        """(focus node, path, source shape, severity): what an example's manifest states."""
        return (self.focus_node, self.path, self.source_shape, self.severity)


@dataclass
class Report:
    """A validation report: the pySHACL report graph and its results, easy to read."""

    graph: Graph
    results: tuple[Result, ...]
    shapes: Graph | None = field(default=None, repr=False)
    #: for an incremental check: shape -> the focus nodes it was run on
    checked: dict[str, list[str]] | None = None

    @property
    def conforms(self) -> bool:
        """True when no result has severity sh:Violation (the project's rule: warnings and
        infos never block). The report graph's ``sh:conforms`` is SHACL's own: false as
        soon as there is any result (:attr:`shacl_conforms`)."""
        return not self.violations

    @property
    def shacl_conforms(self) -> bool:
        """SHACL's ``sh:conforms``: no result of any severity."""
        return not self.results

    @property
    def violations(self) -> tuple[Result, ...]:
        return tuple(r for r in self.results if r.severity == "Violation")

    @property
    def warnings(self) -> tuple[Result, ...]:
        return tuple(r for r in self.results if r.severity != "Violation")

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for r in self.results if r.severity == s) for s in SEVERITIES}

    def serialize(self, fmt: str = "turtle") -> str:
        """The sh:ValidationReport in ``turtle``, ``json-ld``, ``xml`` or ``nt``."""
        if fmt != "turtle":
            return self.graph.serialize(format=fmt)
        # rdflib's Turtle writer abbreviates by the literal's value: "1"^^xsd:boolean comes
        # out as 1 (an integer), "none"^^xsd:boolean as none (not Turtle). Oxigraph's writer
        # keeps each literal as written; N-Triples (full forms) carries it across.
        quads = list(ox.parse(self.graph.serialize(format="nt").encode(),
                              ox.RdfFormat.N_TRIPLES))
        iris = {t.value for q in quads for t in (q.subject, q.predicate, q.object)
                if isinstance(t, ox.NamedNode)}
        iris |= {q.object.datatype.value for q in quads if isinstance(q.object, ox.Literal)}
        prefixes = {p: str(n) for p, n in self.graph.namespaces()
                    if p and any(iri.startswith(str(n)) for iri in iris)}
        reports = {q.subject for q in quads if q.object == ox.NamedNode(str(SH.ValidationReport))}
        quads.sort(key=lambda q: (q.subject not in reports, str(q.subject), str(q.predicate),
                                  str(q.object)))  # the report first, each node in one block
        return ox.serialize(quads, format=ox.RdfFormat.TURTLE, prefixes=prefixes).decode()

    def by_shape(self) -> list[dict]:
        """Results grouped by source shape, the largest group first."""
        groups: dict[tuple[str, str], list[Result]] = {}
        for result in self.results:
            groups.setdefault((result.source_shape, result.severity), []).append(result)
        rows = []
        for (shape, severity), results in sorted(
                groups.items(), key=lambda kv: (SEVERITIES.index(kv[0][1]), -len(kv[1]), kv[0][0])):
            rows.append({
                "shape": shape,
                "label": self._label(shape),
                "severity": severity,
                "count": len(results),
                "message": results[0].messages[0] if results[0].messages else None,
                "focus_nodes": sorted({r.focus_node for r in results})[:5],
                "paths": sorted({r.path for r in results if r.path}),
            })
        return rows

    def summary(self) -> dict:
        """A JSON-ready summary: conformance, counts by severity, results grouped by shape."""
        summary = {"conforms": self.conforms, "shacl_conforms": self.shacl_conforms,
                   "counts": self.counts(), "shapes": self.by_shape(),
                   "results": [r.__dict__ | {"messages": list(r.messages)}
                               for r in self.results]}
        if self.checked is not None:
            summary["checked"] = self.checked
        return summary

    def summary_json(self) -> str:
        return json.dumps(self.summary(), indent=2, ensure_ascii=False)

    def text(self, *, first: int = 5) -> str:
        """A human summary grouped by shape with counts and the first offending nodes."""
        counts = self.counts()
        head = "Conforms" if self.conforms else "Does not conform"
        lines = [f"{head}: {counts['Violation']} violation(s), {counts['Warning']} warning(s), "
                 f"{counts['Info']} info(s)"]
        for row in self.by_shape():
            label = f" ({row['label']})" if row["label"] else ""
            lines.append(f"\n{row['severity']} x {row['count']}: {row['shape']}{label}")
            if row["message"]:
                lines.append(f"  {row['message']}")
            for node in row["focus_nodes"][:first]:
                lines.append(f"  - {node}")
            if row["count"] > len(row["focus_nodes"][:first]):
                lines.append(f"  … {row['count'] - len(row['focus_nodes'][:first])} more")
        return "\n".join(lines)

    def _label(self, shape: str) -> str | None:
        if self.shapes is None or not shape.startswith("<"):
            return None
        label = self.shapes.value(URIRef(shape[1:-1]), rdflib.RDFS.label)
        return str(label) if label is not None else None


def _n3(term: rdflib.term.Node | None, graph: Graph) -> str | None:
    if term is None:
        return None
    if isinstance(term, BNode):
        return "_:" + str(term)
    return term.n3()


def render_path(path: rdflib.term.Node, graph: Graph) -> str:
    """A SHACL path as a SPARQL property path (``<p>``, ``^<p>``, ``<p>/<q>``, …)."""
    if isinstance(path, URIRef):
        return path.n3()
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + render_path(inverse, graph)
    for prop, suffix in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"),
                         (SH.zeroOrOnePath, "?")):
        inner = graph.value(path, prop)
        if inner is not None:
            return f"({render_path(inner, graph)}){suffix}"
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        items = rdflib.collection.Collection(graph, alternatives)
        return "(" + "|".join(render_path(i, graph) for i in items) + ")"
    if graph.value(path, RDF.first) is not None:
        items = rdflib.collection.Collection(graph, path)
        return "/".join(render_path(i, graph) for i in items)
    return "_:" + str(path)


def report_from_graph(graph: Graph, shapes: Graph | None = None) -> Report:
    """Read the results of a pySHACL report graph (``sh:details`` are left out)."""
    results = []
    for report in graph.subjects(RDF.type, SH.ValidationReport):
        for node in graph.objects(report, SH.result):
            path = graph.value(node, SH.resultPath)
            severity = graph.value(node, SH.resultSeverity)
            results.append(Result(
                focus_node=_n3(graph.value(node, SH.focusNode), graph) or "",
                path=render_path(path, graph) if path is not None else None,
                value=_n3(graph.value(node, SH.value), graph),
                source_shape=_n3(graph.value(node, SH.sourceShape), graph) or "",
                component=_n3(graph.value(node, SH.sourceConstraintComponent), graph) or "",
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                messages=tuple(sorted(str(m) for m in graph.objects(node, SH.resultMessage))),
            ))
    results.sort(key=lambda r: (SEVERITIES.index(r.severity) if r.severity in SEVERITIES else 9,
                                r.source_shape, r.focus_node, r.path or ""))
    return Report(graph=graph, results=tuple(results), shapes=shapes)


def report_to_wire(report: Report) -> tuple[bytes, bytes, dict | None]:
    """The report as bytes that cross a process boundary unchanged: its graph and the labels
    of the shapes it names, in N-Triples written by Oxigraph (each literal as written)."""
    shapes = report.shapes if report.shapes is not None else Graph()
    named = {URIRef(r.source_shape[1:-1]) for r in report.results
             if r.source_shape.startswith("<")}
    labels = [(shape, rdflib.RDFS.label, label) for shape in named
              for label in shapes.objects(shape, rdflib.RDFS.label)]
    return _ntriples(report.graph), _ntriples(labels), report.checked


def report_from_wire(wire: tuple[bytes, bytes, dict | None]) -> Report:
    """The :class:`Report` that :func:`report_to_wire` wrote."""
    report_nt, labels_nt, checked = wire
    report = report_from_graph(_from_ntriples(report_nt), _from_ntriples(labels_nt))
    report.checked = checked
    return report


def _ntriples(triples: Iterable[tuple]) -> bytes:
    return ox.serialize([ox.Triple(*(to_ox(t) for t in triple)) for triple in triples],
                        format=ox.RdfFormat.N_TRIPLES)


def _from_ntriples(data: bytes) -> Graph:
    graph = Graph()
    for quad in ox.parse(data, ox.RdfFormat.N_TRIPLES):
        graph.add(tuple(to_rdflib(t) for t in (quad.subject, quad.predicate, quad.object)))
    return graph


# ------------------------------------------------------------------ validation

DataInput = ox.Store | Graph | rdflib.Dataset


def validate(
    data: DataInput,
    *,
    shapes: Graph | str | Path | Sequence[Path] | None = None,
    inference: Inference = "none",
    with_ontology: bool | None = None,
) -> Report:
    """Validate ``data`` against ``shapes`` (default: the bundled shapes).

    ``data`` is a pyoxigraph store (every graph is validated as one union), an rdflib graph or
    dataset. ``inference`` runs RDFS or OWL-RL entailment on a copy first. With the bundled
    shapes the bundled ontology is mixed in (``with_ontology``, default on when ``shapes`` is
    None) so that ``sh:targetClass`` reaches subclasses and concepts are typed; data that
    already holds the ontology is left as it is.

    Raises BadRequest for an unknown inference option.
    """
    if inference not in INFERENCE_CHOICES:
        raise BadRequest(f"inference must be one of {INFERENCE_CHOICES}, not {inference!r}")
    shapes_graph = _shapes_graph(shapes)
    if shapes is not None:
        refuse_outbound_sparql(shapes_graph)
    if with_ontology is None:
        with_ontology = shapes is None
    if with_ontology:
        data = with_bundled_ontology(data)
    if shapes is None and inference == "none":
        return _validate_split(data, shapes_graph)
    graph = to_rdflib_graph(data) if isinstance(data, ox.Store) else data
    if inference == "owlrl":
        graph, inference = owl_rl_closure(graph), "none"
    return report_from_graph(run_pyshacl(graph, shapes_graph, inference=inference), shapes_graph)


def owl_rl_closure(data: Graph) -> Graph:
    """A copy of ``data`` (a dataset: the union of its graphs) with its OWL 2 RL
    entailments, less the reflexive ``x owl:sameAs x`` that rule eq-ref adds for every node
    and literal: it says nothing, and would trip the identity-link shapes on each literal.
    Each owl:sameAs clique is then smushed onto one IRI (:mod:`.entailment`), or the report
    would speak of one individual once per alias."""
    from alliancegraph.shapes.entailment import smush_same_as

    closure = Graph()
    triples = ((s, p, o) for s, p, o, _ in data.quads()) if isinstance(
        data, rdflib.ConjunctiveGraph) else data.triples((None, None, None))
    for triple in triples:
        closure.add(triple)
    try:
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(closure)
    except decimal.InvalidOperation as exc:  # owlrl reads xsd:decimal with Decimal() unguarded
        raise BadRequest("OWL 2 RL inference cannot run over an ill-typed literal: "
                         f"{_bad_decimal(closure)}") from exc
    for node in {s for s, o in closure.subject_objects(OWL.sameAs) if s == o}:
        closure.remove((node, OWL.sameAs, node))
    return smush_same_as(closure)


def _bad_decimal(graph: Graph) -> str:
    """The first literal typed xsd:decimal whose lexical form is no decimal, in Turtle."""
    for literal in graph.objects():
        if isinstance(literal, rdflib.Literal) and literal.datatype == XSD.decimal:
            try:
                decimal.Decimal(str(literal))
            except decimal.InvalidOperation:
                return f"\"{literal}\"^^<{literal.datatype}>"  # n3() warns on it
    return "an xsd:decimal"


_SPARQL_TEXT = (SH.select, SH.ask, SH.construct, SH.update)
#: parse-tree nodes of SPARQL that fetch or read documents
_OUTBOUND = {"ServiceGraphPattern": "SERVICE", "DatasetClause": "FROM or FROM NAMED",
             "Load": "LOAD", "UsingClause": "USING"}


def refuse_outbound_sparql(shapes: Graph) -> None:
    """Raise ShapesError when any SPARQL text of the shapes (constraints, SPARQL-based
    targets and constraint components, rules) uses SERVICE, FROM/FROM NAMED, LOAD or USING,
    however it is spelt: the text is parsed and its parse tree searched. rdflib cannot fetch
    anyway (:mod:`alliancegraph.store.offline`); this gives the user a clear error first."""
    for prop in _SPARQL_TEXT:
        for node, text in shapes.subject_objects(prop):
            try:
                tree = (parseUpdate if prop == SH.update else parseQuery)(str(text))
            except ParseException as exc:
                where = f"{prop.n3(shapes.namespace_manager)} of {_n3(node, shapes)}"
                raise ShapesError(f"the shapes cannot be used: the {where} does not parse: "
                                  f"{exc}") from exc
            found = sorted({_OUTBOUND[name] for name in _node_names(tree) if name in _OUTBOUND})
            if found:
                raise ShapesError(f"the shapes' SPARQL uses {' and '.join(found)}, which "
                                  "validation refuses: it never fetches or reads documents")


def _node_names(tree: object) -> Iterator[str]:
    """The names of every parse-tree node (rdflib's CompValue) under ``tree``."""
    todo = [tree]
    while todo:
        current = todo.pop()
        if isinstance(current, CompValue):
            yield current.name
            todo.extend(current.values())
        elif isinstance(current, list | tuple | ParseResults):
            todo.extend(current)


class ShapesError(BadRequest):
    """The shapes cannot be used (not well-formed SHACL, a SPARQL constraint that does not
    parse, a pre-bound variable misused…): the validator signals an error, not a report."""


#: prefixes pySHACL declares in front of every SPARQL query of the shapes
_PYSHACL_PREFIXES = frozenset({"rdf", "rdfs", "owl"})


def refuse_undeclared_prefixes(shapes: Graph) -> None:
    """Raise ShapesError when a SPARQL text of the shapes uses a prefix that neither the
    text nor its ``sh:prefixes`` declare (SHACL 5.2.1, as pySHACL collects them: the
    declarations of each ``sh:prefixes`` node, of the shapes graph and of its ontologies).
    Checked before pySHACL runs, since rdflib reports an undeclared prefix with a bare
    ``Exception`` that cannot be told from a bug."""
    ontologies = set(shapes.subjects(RDF.type, OWL.Ontology))
    shared = set(shapes.objects(shapes.identifier, SH.declare))
    shared |= {d for o in ontologies for d in shapes.objects(o, SH.declare)}
    for prop in _SPARQL_TEXT:
        for node, text in shapes.subject_objects(prop):
            declarations = set()
            for prefixes in shapes.objects(node, SH.prefixes):
                declarations |= shared | set(shapes.objects(prefixes, SH.declare))
            declared = _PYSHACL_PREFIXES | {str(p) for d in declarations
                                            for p in shapes.objects(d, SH.prefix)}
            tokens = tokenize(str(text))
            declared |= {tokens[i + 1].text[:-1] for i, t in enumerate(tokens[:-1])
                         if t.keyword == "PREFIX" and tokens[i + 1].kind == "pname"}
            used = {t.text.split(":", 1)[0] for t in tokens if t.kind == "pname"}
            if used - declared:
                where = f"{prop.n3(shapes.namespace_manager)} of {_n3(node, shapes)}"
                missing = ", ".join(f"{p}:" for p in sorted(used - declared))
                raise ShapesError(f"the shapes cannot be used: a SPARQL query uses an "
                                  f"undeclared prefix ({missing}) in the {where}")


def run_pyshacl(data, shapes: Graph, *, inference: str = "none") -> Graph:
    """pySHACL on ``data``, with the shapes corrected where pySHACL departs from SHACL
    (:mod:`alliancegraph.shapes.compat`). On an rdflib graph ``$shapesGraph`` is supported;
    on an Oxigraph store pySHACL reports the failure SHACL requires of a processor without."""
    on_rdflib = isinstance(data, Graph)
    prepared = prepare_shapes(shapes, shapes_graph_variable=on_rdflib)
    refuse_undeclared_prefixes(prepared)
    try:
        _, report_graph, _ = pyshacl_validate(
            with_shapes_graph(data, shapes) if on_rdflib else data,
            shacl_graph=prepared,
            inference=None if inference == "none" else inference,
            do_owl_imports=False,
        )
    except ReportableRuntimeError as exc:
        raise ShapesError(f"the shapes cannot be used: {exc.message}") from exc
    except (ParseException, NotImplementedError) as exc:
        raise ShapesError(f"the shapes cannot be used: {exc}") from exc
    except re.error as exc:  # pySHACL compiles each sh:pattern as it loads the shapes
        raise ShapesError(f"the shapes cannot be used: an sh:pattern is not a regular "
                          f"expression ({exc}): {exc.pattern!r}") from exc
    if isinstance(report_graph, ValidationFailure):  # pySHACL returns some failures
        raise ShapesError(f"the shapes cannot be used: {report_graph.message}")
    return report_graph


def split_shapes(shapes: Graph) -> tuple[Graph, Graph]:
    """(core shapes, SPARQL-based shapes): the shapes with sh:sparql constraints, with their
    constraint nodes and the prefix declarations, go to the second graph; the rest to the first.
    (pySHACL's ``use_shapes`` would be simpler but leaves property shapes out of its cache.)"""
    sparql_subjects = set(shapes.subjects(SH.sparql, None))
    moved: set = set()
    for shape in sparql_subjects:
        moved |= _closure(shapes, shape)
    core, sparql = Graph(), Graph()
    for prefix, namespace in shapes.namespaces():
        core.bind(prefix, namespace)
        sparql.bind(prefix, namespace)
    for s, p, o in shapes:
        (sparql if s in moved else core).add((s, p, o))
    for declaring in set(shapes.subjects(SH.declare, None)):
        for node in _closure(shapes, declaring):
            for triple in shapes.triples((node, None, None)):
                sparql.add(triple)
    return core, sparql


def _closure(graph: Graph, node) -> set:
    """``node`` and the blank nodes reachable from it."""
    seen, todo = set(), [node]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(o for o in graph.objects(current, None) if isinstance(o, BNode))
    return seen


@functools.lru_cache(maxsize=1)
def _bundled_split() -> tuple[Graph, Graph]:
    return split_shapes(bundled_shapes_graph())


def _validate_split(data: DataInput, shapes: Graph) -> Report:
    """The bundled shapes, fast: core constraints by pySHACL on an rdflib graph, SPARQL-based
    ones by pySHACL on an Oxigraph store (Oxigraph runs each query in about a millisecond,
    rdflib's engine in 20-60). pySHACL pastes ``$this`` into the query text on Oxigraph, which
    loses blank nodes, so that store gets blank nodes skolemised and the report maps them back.
    The bundled SPARQL shapes have no core constraint of their own (a test checks it), so
    skolem IRIs never meet sh:nodeKind."""
    graph = to_rdflib_graph(data) if isinstance(data, ox.Store) else data
    store = skolemised_store(data)
    core_graph, sparql_graph = _bundled_split() if shapes is bundled_shapes_graph() \
        else split_shapes(shapes)
    core = run_pyshacl(graph, core_graph)
    sparql = _unskolemise(run_pyshacl(store, sparql_graph))
    return report_from_graph(_merge_reports(core, sparql), shapes)


SKOLEM_PREFIX = f"{CANONICAL_BASE}.well-known/genid/"


def skolemised_store(data: DataInput) -> ox.Store:
    """A copy of ``data`` in an Oxigraph store, each blank node an IRI under
    :data:`SKOLEM_PREFIX` (what the SPARQL-based shapes run on)."""
    def skolem(term):
        return ox.NamedNode(SKOLEM_PREFIX + term.value) if isinstance(term, ox.BlankNode) else term

    store = ox.Store()
    if isinstance(data, ox.Store):
        store.extend(ox.Quad(skolem(q.subject), q.predicate, skolem(q.object), q.graph_name)
                     for q in data)
    else:
        store.extend(ox.Quad(skolem(to_ox(s)), to_ox(p), skolem(to_ox(o)), ox.DefaultGraph())
                     for s, p, o in data.triples((None, None, None)))
    return store


def to_ox(term: rdflib.term.Node):
    """An rdflib term as Oxigraph's; BadRequest for an IRI that is not absolute (rdflib keeps
    whatever it was given, Oxigraph stores only absolute IRIs)."""
    if isinstance(term, URIRef):
        try:
            return ox.NamedNode(str(term))
        except ValueError as exc:
            raise BadRequest(f"<{term}> is not an absolute IRI: {exc}") from None
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype:
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
    return ox.Literal(str(term))


def _unskolemise(report: Graph) -> Graph:
    def back(term):
        if isinstance(term, URIRef) and str(term).startswith(SKOLEM_PREFIX):
            return BNode(str(term)[len(SKOLEM_PREFIX):])
        if isinstance(term, rdflib.Literal) and SKOLEM_PREFIX in term:
            return rdflib.Literal(str(term).replace(SKOLEM_PREFIX, "_:"), lang=term.language,
                                  datatype=term.datatype)
        return term

    out = Graph()
    for prefix, namespace in report.namespaces():
        out.bind(prefix, namespace)
    for s, p, o in report:
        out.add((back(s), p, back(o)))
    return out


def _merge_reports(first: Graph, second: Graph) -> Graph:
    """One sh:ValidationReport holding the results of both."""
    merged = Graph()
    for prefix, namespace in first.namespaces():
        merged.bind(prefix, namespace)
    report = BNode()
    merged.add((report, RDF.type, SH.ValidationReport))
    conforms = True
    for part in (first, second):
        for old in part.subjects(RDF.type, SH.ValidationReport):
            conforms = conforms and bool(part.value(old, SH.conforms).toPython())
            for result in part.objects(old, SH.result):
                merged.add((report, SH.result, result))
        for s, p, o in part:
            if not (p in (SH.conforms, SH.result) or o == SH.ValidationReport):
                merged.add((s, p, o))
    merged.add((report, SH.conforms, rdflib.Literal(conforms)))
    return merged


def with_bundled_ontology(data: DataInput) -> DataInput:
    """``data`` with the bundled ontology mixed in (a copy), or ``data`` itself when it
    already holds the ontology."""
    from alliancegraph.ontology import ONTOLOGY_IRI

    marker = ox.NamedNode(ONTOLOGY_IRI)
    if isinstance(data, ox.Store):
        if any(True for _ in data.quads_for_pattern(marker, None, None)):
            return data
        merged = ox.Store()
        merged.extend(data)
        merged.extend(_ontology_quads())
        return merged
    if (URIRef(ONTOLOGY_IRI), None, None) in data:
        return data
    merged_graph = Graph()
    for triple in data.triples((None, None, None)):
        merged_graph.add(triple)
    for quad in _ontology_quads():
        merged_graph.add(tuple(to_rdflib(t) for t in (quad.subject, quad.predicate, quad.object)))
    return merged_graph


def to_rdflib_graph(store: ox.Store) -> Graph:
    graph = Graph()
    for quad in store:
        graph.add(tuple(to_rdflib(t) for t in (quad.subject, quad.predicate, quad.object)))
    return graph


def validate_files(paths: Iterable[Path], *, fmt: str | None = None,
                   shapes: Graph | str | Path | Sequence[Path] | None = None,
                   inference: Inference = "none") -> Report:
    """Parse files (syntax by suffix or ``fmt``) into one graph and validate it."""
    graph = Graph()
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise BadRequest(f"{path}: cannot read: {exc.strerror}") from exc
        parse_rdf_graph(data, format_for(name=fmt, path=path), source=str(path),
                        base_iri=Path(path).resolve().as_uri(), into=graph)
    return validate(graph, shapes=shapes, inference=inference)
