"""Bulk load: RDF files (N-Quads, TriG and every triple syntax) into the store in one write.

:func:`read_sources` reads and parses every file completely first, through THE upload
parser (:func:`alliancegraph.store.rdf_input.parse_rdf`): a syntax error anywhere is a
ParseError naming the file, line and column before the store is touched. Blank nodes get
fresh labels per file, so a blank node shared between the graphs of one TriG file stays one
node and ``_:b`` in two files are two nodes.

:func:`load` then writes the loaded quads and, unless told not to, the OWL 2 RL
entailments of the loaded data with the bundled ontology
(:func:`alliancegraph.graph.inference.entailments`, as the build does) merged into
``graph/inferred``, as ONE change through the store interface, so it works on every
backend and nothing is ever half-written:

* validated (the default when validation on write is on): ``store.apply(QuadDelta)``, which
  the policy validates on the committed state;
* not validated: ``backend.apply_prepared`` computes, in the writer on the committed state,
  a :class:`ReplaceGraphs` of each touched named graph (its old content kept unless
  ``replace``) — the embedded backend bulk-loads that change rather than running one
  SPARQL transaction. Quads in the default graph make it a :class:`QuadDelta` instead
  (ReplaceGraphs names named graphs only).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
from alliancegraph.errors import BadRequest
from alliancegraph.store import formats
from alliancegraph.store.base import Change, QuadDelta, ReadView, ReplaceGraphs, Store
from alliancegraph.store.rdf_input import parse_rdf

__all__ = ["LoadReport", "Source", "entailed_quads", "load", "read_sources"]

#: bytes read at a time (the progress bar moves by this much)
_CHUNK = 1 << 20
#: the name of standard input among the files
STDIN = "-"


@dataclass(frozen=True)
class Source:
    """One parsed input: its name, its size in bytes and its quads."""

    name: str
    size: int
    quads: list[ox.Quad]


@dataclass
class LoadReport:
    """What a load wrote: quads read per graph (``None``: the default graph), the inferred
    quads merged into ``graph/inferred``, and the store's generation after the write."""

    graphs: dict[str | None, int] = field(default_factory=dict)
    inferred: int = 0
    bytes_read: int = 0
    generation: int = 0
    validated: bool = False

    @property
    def total(self) -> int:
        return sum(self.graphs.values())


def _read_bytes(name: str, on_bytes: Callable[[int], None]) -> bytes:
    """The whole input (``-``: standard input), reported chunk by chunk."""
    if name == STDIN:
        return _drain(sys.stdin.buffer, on_bytes)
    path = Path(name)
    if not path.is_file():
        raise BadRequest(f"{name}: no such file")
    with path.open("rb") as handle:
        return _drain(handle, on_bytes)


def _drain(handle: BinaryIO, on_bytes: Callable[[int], None]) -> bytes:
    parts = []
    while chunk := handle.read(_CHUNK):
        parts.append(chunk)
        on_bytes(len(chunk))
    return b"".join(parts)


def syntax_of(name: str, given: str | None) -> formats.Format:
    """The syntax of one input: ``given`` (``--format``: a short name or a media type) or
    the file's suffix. UnsupportedMediaType (415) when neither names a readable syntax;
    BadRequest for standard input without a format."""
    if given:
        by_media_type = "/" in given
        return formats.rdf_input(media_type=given) if by_media_type else \
            formats.rdf_input(name=given)
    if name == STDIN:
        raise BadRequest("standard input (-) has no file name: give --format")
    return formats.rdf_input(path=name)


def read_sources(names: Sequence[str], *, syntax: str | None = None, graph: str | None = None,
                 base_iri: str | None = None,
                 on_bytes: Callable[[int], None] = lambda n: None) -> list[Source]:
    """Read and parse every input completely. Triples of a graph syntax (and the default
    graph of a dataset syntax) go into ``graph`` (None: the default graph); named graphs
    of TriG/N-Quads are kept. Raises ParseError (file, line, column), BadRequest,
    UnsupportedMediaType; nothing is written."""
    if not names:
        raise BadRequest("no file to load")
    if list(names).count(STDIN) > 1:
        raise BadRequest("standard input (-) can be read only once")
    sources = []
    for name in names:
        fmt = syntax_of(name, syntax)
        data = _read_bytes(name, on_bytes)
        quads = parse_rdf(data, fmt.media_type, graph=graph, base_iri=base_iri,
                          source="<stdin>" if name == STDIN else name,
                          allow_named_graphs=True, rename_blank_nodes=True)
        sources.append(Source(name, len(data), quads))
    return sources


def entailed_quads(quads: Iterable[ox.Quad], ontology: Iterable[ox.Triple],
                   inferred_graph: str) -> list[ox.Quad]:
    """The OWL 2 RL entailments of ``quads`` (over the union of their graphs) with the
    ``ontology``, as quads of ``inferred_graph``."""
    from alliancegraph.graph.inference import entailments

    triples = [q.triple for q in quads]
    target = ox.NamedNode(inferred_graph)
    return [ox.Quad(t.subject, t.predicate, t.object, target)
            for t in entailments([*ontology, *triples])]


def bundled_ontology(base_iri: str) -> list[ox.Triple]:
    """The ontology's triples as the build loads them (under ``base_iri``)."""
    from alliancegraph.graph.sources import iter_sources, parse_source

    return [q.triple for graph, path in iter_sources() if graph == "ontology"
            for q in parse_source(path, graph, base_iri)]


def load(store: Store, sources: Sequence[Source], *, base_iri: str, replace: bool = False,
         infer: bool = True, validate: bool = True,
         on_stage: Callable[[str], None] = lambda stage: None) -> LoadReport:
    """Write ``sources`` into ``store`` in one change (see the module). ``replace``: each
    graph the sources fill is emptied first (the default graph too, when they fill it);
    otherwise the quads are added. ``validate``: through the policy (validated when the
    store validates on write); otherwise straight to the backend, unvalidated. Raises
    ValidationFailed (422), WriteTimeout and the other store errors; then nothing was
    written."""
    from alliancegraph.graph.vocabulary import INFERRED, graph_iri

    report = LoadReport(bytes_read=sum(s.size for s in sources))
    loaded = [q for s in sources for q in s.quads]
    for quad in loaded:
        key = None if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name.value
        report.graphs[key] = report.graphs.get(key, 0) + 1
    inferred_iri = graph_iri(INFERRED, base_iri)
    if inferred_iri in report.graphs:
        raise BadRequest(f"<{inferred_iri}> holds the inferences: load into another graph")
    inferred: list[ox.Quad] = []
    if infer:
        on_stage("inferring (OWL 2 RL rules)")
        inferred = entailed_quads(loaded, bundled_ontology(base_iri), inferred_iri)
    report.inferred = len(inferred)
    on_stage("writing the store")
    targets = tuple(report.graphs)
    if validate:
        change = _delta(store, loaded, inferred, targets if replace else ())
        report.validated = getattr(store, "validate_on_write", False)
        report.generation = store.apply(change).generation
    else:
        applied, _ = store.backend.apply_prepared(
            _prepare, _pack(loaded), _pack(inferred), inferred_iri,
            targets if replace else ())
        assert applied is not None  # _prepare always gives a change
        report.generation = applied.generation
    return report


def _delta(store: Store, loaded: list[ox.Quad], inferred: list[ox.Quad],
           replaced: tuple[str | None, ...]) -> QuadDelta:
    """The validated path's change: replaced named graphs dropped, a replaced default graph
    emptied (its quads read here: a QuadDelta names what it removes), the rest added."""
    removed: tuple[ox.Quad, ...] = ()
    if None in replaced:
        removed, _ = store.backend.read_view(_default_graph)
    named = tuple(g for g in replaced if g is not None)
    return QuadDelta(removed=removed, added=(*loaded, *inferred), dropped_graphs=named)


def _default_graph(view: ReadView) -> tuple[ox.Quad, ...]:
    return tuple(view.quads_for_pattern(None, None, None, ox.DefaultGraph()))


def _prepare(view: ReadView, loaded: bytes, inferred: bytes, inferred_iri: str,
             replaced: tuple[str | None, ...]) -> tuple[Change, None]:
    """In the writer, on the committed state: the unvalidated load as one change (module
    level and bytes in, so that it pickles cheaply)."""
    by_graph: dict[str | None, list[ox.Quad]] = {}
    for quad in [*_unpack(loaded), *_unpack(inferred)]:
        key = None if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name.value
        by_graph.setdefault(key, []).append(quad)
    if None in by_graph:  # ReplaceGraphs cannot name the default graph
        removed = _default_graph(view) if None in replaced else ()
        added = tuple(q for quads in by_graph.values() for q in quads)
        named = tuple(g for g in replaced if g is not None)
        return QuadDelta(removed=removed, added=added, dropped_graphs=named), None
    graphs: dict[str, list[ox.Quad]] = {}
    for name, quads in by_graph.items():
        assert name is not None
        kept = [] if name in replaced else \
            list(view.quads_for_pattern(None, None, None, ox.NamedNode(name)))
        graphs[name] = kept + quads
    return ReplaceGraphs(graphs), None


def _pack(quads: Sequence[ox.Quad]) -> bytes:
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""


def _unpack(data: bytes) -> list[ox.Quad]:
    return list(ox.parse(data, ox.RdfFormat.N_QUADS)) if data else []
