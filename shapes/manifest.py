"""Read SHACL test manifests: the W3C suite's ``sht:Validate`` entries and our examples.

Each example in ``shapes/examples/invalid/`` states what it expects in the same vocabulary as
the W3C SHACL test suite (``mf:result [ a sh:ValidationReport ; sh:result [...] ]``), so one
reader serves both. A result is compared by its key: focus node, path, source shape, severity
(see :meth:`alliancegraph.shapes.validate.Result.key`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alliancegraph.shapes.validate import render_path
from rdflib import RDF, BNode, Graph, Namespace
from rdflib.namespace import SH

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")
EXAMPLES_DIR = Path(__file__).parent / "examples"

Key = tuple[str, str | None, str, str]


@dataclass(frozen=True)
class Expectation:
    """What one ``sht:Validate`` entry expects."""

    test: str
    failure: bool  # mf:result sht:Failure: the validator must signal an error
    conforms: bool | None
    keys: frozenset[Key]
    report: Graph | None  # the expected report as a graph of its own (None for failures)


def _n3(term) -> str | None:
    if term is None:
        return None
    return "_:" + str(term) if isinstance(term, BNode) else term.n3()


def expected_keys(graph: Graph, report) -> frozenset[Key]:
    keys = set()
    for result in graph.objects(report, SH.result):
        path = graph.value(result, SH.resultPath)
        severity = graph.value(result, SH.resultSeverity) or SH.Violation
        keys.add((
            _n3(graph.value(result, SH.focusNode)) or "",
            render_path(path, graph) if path is not None else None,
            _n3(graph.value(result, SH.sourceShape)) or "",
            str(severity).rsplit("#", 1)[-1],
        ))
    return frozenset(keys)


def _subgraph(graph: Graph, root) -> Graph:
    """Everything reachable from ``root`` through blank nodes (the expected report)."""
    out, todo, seen = Graph(), [root], set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in graph.predicate_objects(node):
            out.add((node, p, o))
            if isinstance(o, BNode):
                todo.append(o)
    return out


def read_expectations(graph: Graph) -> list[Expectation]:
    """Every ``sht:Validate`` entry in a parsed manifest file."""
    found = []
    for test in sorted(graph.subjects(RDF.type, SHT.Validate)):
        result = graph.value(test, MF.result)
        if result == SHT.Failure:
            found.append(Expectation(str(test), True, None, frozenset(), None))
            continue
        conforms = graph.value(result, SH.conforms)
        found.append(Expectation(
            test=str(test),
            failure=False,
            conforms=None if conforms is None else bool(conforms.toPython()),
            keys=expected_keys(graph, result),
            report=_subgraph(graph, result),
        ))
    return found


def example_files(kind: str) -> list[Path]:
    """The bundled examples of one kind: ``valid`` or ``invalid``."""
    return sorted((EXAMPLES_DIR / kind).glob("*.ttl"))


def read_example(path: Path) -> Expectation:
    graph = Graph().parse(path, format="turtle", publicID=path.resolve().as_uri())
    (expectation,) = read_expectations(graph)
    return expectation


__all__ = ["EXAMPLES_DIR", "Expectation", "example_files", "expected_keys",
           "read_example", "read_expectations"]
