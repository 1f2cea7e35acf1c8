"""Where the bundled RDF sources are, and which named graph each goes to.

The folder decides the graph: ``ontology/src`` → ``graph/ontology``,
``graph/sources/<name>`` → ``graph/<name>`` (the names: :mod:`alliancegraph.graph.vocabulary`).
Sources are minted under :data:`alliancegraph.CANONICAL_BASE`; :func:`load_sources` can
rebase them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from alliancegraph import CANONICAL_BASE
from alliancegraph.errors import ParseError
from alliancegraph.graph.vocabulary import SOURCE_GRAPHS, graph_iri, rebase
from alliancegraph.ontology import source_files as ontology_files

SOURCE_ROOT = Path(__file__).parent / "sources"


def iter_sources() -> Iterator[tuple[str, Path]]:
    """(graph name, file) for every bundled source, ontology first, in a stable order."""
    for path in ontology_files():
        yield "ontology", path
    for name in SOURCE_GRAPHS:
        for path in sorted((SOURCE_ROOT / name).glob("*.ttl")):
            yield name, path


def parse_source(path: Path, graph: str, base: str = CANONICAL_BASE) -> list[ox.Quad]:
    """Parse one Turtle source into quads of its named graph; ParseError names file:line:col."""
    text = rebase(path.read_text(encoding="utf-8"), base)
    target = ox.NamedNode(graph_iri(graph, base))
    try:
        triples = list(ox.parse(text, ox.RdfFormat.TURTLE, base_iri=base))
    except SyntaxError as exc:
        line, column = _position(exc)
        raise ParseError(str(exc.msg if hasattr(exc, "msg") else exc),
                         source=str(path), line=line, column=column) from exc
    relabel = _stable_blank_nodes(f"{graph}_{path.stem}")
    return [ox.Quad(relabel(t.subject), t.predicate, relabel(t.object), target)
            for t in triples]


def _stable_blank_nodes(prefix: str) -> Callable[[Any], Any]:
    """Label blank nodes by file and order of appearance instead of pyoxigraph's random
    labels, so two builds of the same sources give byte-identical stores and dumps."""
    prefix = re.sub(r"[^A-Za-z0-9]", "_", prefix)
    labels: dict[ox.BlankNode, ox.BlankNode] = {}

    def relabel(term: Any) -> Any:
        if not isinstance(term, ox.BlankNode):
            return term
        if term not in labels:
            labels[term] = ox.BlankNode(f"{prefix}_{len(labels) + 1}")
        return labels[term]

    return relabel


def _position(exc: SyntaxError) -> tuple[int | None, int | None]:
    # pyoxigraph reports 1-based line and column in SyntaxError.lineno/offset
    return getattr(exc, "lineno", None), getattr(exc, "offset", None)


def load_sources(store: ox.Store, base: str = CANONICAL_BASE) -> dict[str, int]:
    """Load every bundled source into ``store``; returns quads loaded per graph."""
    counts: dict[str, int] = {}
    for graph, path in iter_sources():
        quads = parse_source(path, graph, base)
        store.extend(quads)
        counts[graph] = counts.get(graph, 0) + len(quads)
    return counts
