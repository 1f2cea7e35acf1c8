"""ODK-style quality checks: SPARQL queries that return the terms breaking a rule.

Each ``checks/*-violation.rq`` must return no rows. The checks run over a dataset whose
default graph is the merged ontology and whose named graphs are the graph sources
(``graph/<name>``) plus one graph listing the terms named by the competency questions
(``ontology/competency``) and by the graph's named queries (``graph/queries``)
(:data:`COMPETENCY_GRAPH`), which the unused-term check consults.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox
from alliancegraph.errors import ParseError
from alliancegraph.graph.sources import SOURCE_ROOT, iter_sources, parse_source
from alliancegraph.ontology import source_files
from pyparsing import ParseBaseException
from rdflib import URIRef
from rdflib.paths import Path as PropertyPath
from rdflib.plugins.sparql import prepareQuery

CHECK_DIR = Path(__file__).parent / "checks"
COMPETENCY_DIR = Path(__file__).parent / "competency"
QUERY_DIR = SOURCE_ROOT.parent / "queries"
#: named graph of ``<query file> dcterms:references <term>`` for every shipped query
COMPETENCY_GRAPH = "urn:alliancegraph:competency-questions"
_REFERENCES = ox.NamedNode("http://purl.org/dc/terms/references")
_LOCAL_ESCAPE = re.compile(r"\\([_~.\-!$&'()*+,;=/?#@%])")


def check_files() -> list[Path]:
    """The quality-check queries, in a stable order."""
    return sorted(CHECK_DIR.glob("*-violation.rq"))


def competency_files() -> list[Path]:
    """The competency-question queries (``cqNN-*.rq``), in order."""
    return sorted(COMPETENCY_DIR.glob("cq*.rq"))


def shipped_queries() -> list[Path]:
    """The competency questions plus the named queries the graph ships (graph/queries)."""
    return [*competency_files(), *sorted(QUERY_DIR.glob("*.rq"))]


def terms_named_in(query: str, *, source: str = "<query>") -> set[str]:
    """Every IRI a SPARQL query names (prefixes expanded), read from its algebra."""
    try:
        algebra = prepareQuery(query).algebra
    except ParseBaseException as exc:
        raise ParseError(f"SPARQL does not parse: {exc}", source=source) from exc
    # rdflib keeps PN_LOCAL escapes (agid:paper-a\/section\/2) in the IRIs it builds
    return {_LOCAL_ESCAPE.sub(r"\1", str(term)) for term in _iris(algebra)}


def _iris(node: object) -> Iterator[URIRef]:
    if isinstance(node, URIRef):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _iris(value)
    elif isinstance(node, list | tuple | set | frozenset):
        for value in node:
            yield from _iris(value)
    elif isinstance(node, PropertyPath):
        # SequencePath/AlternativePath keep .args, InvPath .arg, MulPath .path
        for attr in ("args", "arg", "path"):
            yield from _iris(getattr(node, attr, None))


def default_sources() -> list[tuple[str, Path]]:
    """(graph name, file) of every graph source, as :mod:`alliancegraph.graph.sources`
    loads them."""
    return [(name, path) for name, path in iter_sources() if name != "ontology"]


def quality_dataset(
    *,
    ontology: Iterable[Path] | None = None,
    sources: Iterable[tuple[str, Path]] | None = None,
    competency: Iterable[Path] | None = None,
) -> ox.Store:
    """The dataset the checks run over (see the module docstring).

    By default the bundled ontology sources, graph sources and competency questions;
    tests pass their own files.
    """
    store = ox.Store()
    for path in source_files() if ontology is None else ontology:
        quads = parse_source(path, "ontology")
        store.extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads)
    for name, path in default_sources() if sources is None else sources:
        store.extend(parse_source(path, name))
    graph = ox.NamedNode(COMPETENCY_GRAPH)
    for path in shipped_queries() if competency is None else competency:
        query_node = ox.NamedNode(path.resolve().as_uri())
        for term in sorted(terms_named_in(path.read_text(encoding="utf-8"), source=str(path))):
            store.add(ox.Quad(query_node, _REFERENCES, ox.NamedNode(term), graph))
    return store


def run_check(store: ox.Store, check: Path) -> list[dict[str, str]]:
    """Rows a check query returns, each as {variable: value}."""
    result = store.query(check.read_text(encoding="utf-8"))
    names = [v.value for v in result.variables]
    return [
        {name: row[name].value for name in names if row[name] is not None} for row in result
    ]


def run_checks(store: ox.Store | None = None) -> dict[str, list[dict[str, str]]]:
    """Run every check; maps the check's name (file stem) to its violating rows."""
    store = quality_dataset() if store is None else store
    return {check.stem: run_check(store, check) for check in check_files()}
