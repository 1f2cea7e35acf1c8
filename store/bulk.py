"""Bulk load: RDF files (N-Quads, TriG and every triple syntax) into the store in one write.

Two steps, so that bad input never reaches the store:

* :func:`stage` (files, ``-`` for standard input) and :func:`stage_stream` (an HTTP body)
  stream-parse every input with Oxigraph's parser into ONE N-Quads file, the *staging
  file*, in ``directory`` (the data directory of an embedded store, else a temporary
  one). A syntax error anywhere is a ParseError naming the file, line and column before
  anything is written (the staging file is removed). Blank nodes get fresh labels per
  input, so a blank node shared between the graphs of one TriG file stays one node and
  ``_:b`` in two files are two nodes. Memory stays constant (batches of
  :data:`_BATCH` quads); RDF/XML is read whole first, for the DOCTYPE checks of
  :mod:`alliancegraph.store.rdfxml`.
* :func:`load` appends the OWL 2 RL entailments of the loaded data with the bundled
  ontology (the build's rules, run by :func:`alliancegraph.graph.inference.entail_in_store`
  on an in-memory store that staging fills batch by batch, so only the new triples come
  back through Python) as quads of ``graph/inferred`` (merged: nothing there is removed)
  to the staging file, so they are part of its one write, and writes the file as
  one change. Unvalidated: a :class:`BulkFile` (the embedded backend runs
  ``Store.bulk_load`` over it, all-or-nothing through its undo journal). Validated, or
  ``replace``: the file read into one :class:`QuadDelta`, through the policy when
  validated (validation on write checks what is stored).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import operator
import os
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

import pyoxigraph as ox
from alliancegraph.errors import BadRequest, ParseError, PayloadTooLarge
from alliancegraph.store import formats
from alliancegraph.store.base import Applied, BulkFile, QuadDelta, Store
from alliancegraph.store.engine import graph_term, parse_error
from alliancegraph.store.rdfxml import check_rdf_xml

__all__ = ["LoadReport", "Staged", "bundled_ontology", "load", "stage", "stage_stream",
           "staging_directory", "syntax_of"]

#: quads serialised at a time into the staging file
_BATCH = 50_000
#: bytes read at a time (the progress bar moves by this much)
_CHUNK = 1 << 20
#: the name of standard input among the files
STDIN = "-"


@dataclass
class Staged:
    """A staging file: its path, quads per graph (``None``: the default graph) and the bytes
    read to make it. A context manager: the file is removed on exit."""

    path: Path
    graphs: dict[str | None, int] = field(default_factory=dict)
    bytes_read: int = 0
    #: the staged quads in memory, labels as in the file, for the inference (None: not kept)
    scratch: ox.Store | None = None

    @property
    def quads(self) -> int:
        return sum(self.graphs.values())

    def __enter__(self) -> Staged:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.scratch = None
        self.path.unlink(missing_ok=True)


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

    def as_json(self) -> dict[str, Any]:
        """The report as the HTTP bulk path answers it (the default graph under ``""``)."""
        return {"graphs": {name or "": count for name, count in self.graphs.items()},
                "quads": self.total, "inferred": self.inferred, "bytes": self.bytes_read,
                "generation": self.generation, "validated": self.validated}


def staging_directory(store: Store) -> Path:
    """Where a staging file goes: beside an embedded store (same disk, which has room for
    the data anyway), else the temporary directory."""
    data_dir = getattr(store.backend, "data_dir", None)
    return Path(data_dir) if data_dir is not None else Path(tempfile.gettempdir())


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


class _Counted(io.RawIOBase):
    """A binary stream that reports the bytes read and refuses more than ``limit``."""

    def __init__(self, raw: IO[bytes], on_bytes: Callable[[int], None], limit: int | None,
                 what: str):
        self.raw, self.on_bytes, self.limit, self.what = raw, on_bytes, limit, what
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(min(len(buffer), _CHUNK))
        size = len(data)
        buffer[:size] = data
        self.count += size
        if self.limit is not None and self.count > self.limit:
            raise PayloadTooLarge(f"{self.what} is larger than the limit of {self.limit} "
                                  "bytes (setting max_load_bytes); nothing was written")
        self.on_bytes(size)
        return size


def stage(names: Sequence[str], directory: Path, *, syntax: str | None = None,
          graph: str | None = None, base_iri: str | None = None,
          on_bytes: Callable[[int], None] = lambda n: None, infer: bool = True) -> Staged:
    """Parse every input into one staging file in ``directory``. Triples of a graph syntax
    (and the default graph of a dataset syntax) go into ``graph`` (None: the default
    graph); named graphs of TriG/N-Quads are kept. ``infer``: the quads are also kept in
    memory (:attr:`Staged.scratch`) for :func:`load`'s inference. Raises ParseError
    (file, line, column), BadRequest, UnsupportedMediaType; then no staging file is
    left."""
    if not names:
        raise BadRequest("no file to load")
    if list(names).count(STDIN) > 1:
        raise BadRequest("standard input (-) can be read only once")
    fmts = [syntax_of(name, syntax) for name in names]  # every syntax known before reading
    for name in names:
        if name != STDIN and not Path(name).is_file():
            raise BadRequest(f"{name}: no such file")
    with _staging(directory, infer) as (out, staged):
        for name, fmt in zip(names, fmts, strict=True):
            source = "<stdin>" if name == STDIN else name
            with _opened(name) as raw:
                reader = _Counted(raw, on_bytes, None, source)
                _write_source(out, staged, reader, fmt, graph=graph, base_iri=base_iri,
                              source=source)
                staged.bytes_read += reader.count
    return staged


def stage_stream(stream: IO[bytes], fmt: formats.Format, directory: Path, *,
                 graph: str | None = None, base_iri: str | None = None,
                 source: str = "the request body", limit: int | None = None,
                 infer: bool = True) -> Staged:
    """:func:`stage` of one stream (an HTTP body) in ``fmt``; more than ``limit`` bytes is
    PayloadTooLarge (413), wherever the stream ends (a chunked body has no length)."""
    with _staging(directory, infer) as (out, staged):
        reader = _Counted(stream, lambda n: None, limit, source)
        _write_source(out, staged, reader, fmt, graph=graph, base_iri=base_iri, source=source)
        staged.bytes_read = reader.count
    return staged


@contextlib.contextmanager
def _staging(directory: Path, infer: bool) -> Iterator[tuple[BinaryIO, Staged]]:
    """A new staging file, open for writing (and, ``infer``, its in-memory copy); removed
    if the block raises."""
    directory.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=directory, prefix=".alliancegraph-load-",
                                    suffix=".nq")
    staged = Staged(Path(name), scratch=ox.Store() if infer else None)
    try:
        with os.fdopen(handle, "wb") as out:
            yield out, staged
    except BaseException:
        staged.path.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _opened(name: str) -> Iterator[IO[bytes]]:
    """A named input (``-``: standard input, left open) as a binary stream."""
    if name == STDIN:
        yield sys.stdin.buffer
        return
    with open(name, "rb") as handle:
        yield handle


def _write_source(out: BinaryIO, staged: Staged, reader: _Counted, fmt: formats.Format, *,
                  graph: str | None, base_iri: str | None, source: str) -> None:
    """Parse one input into the staging file, counting quads per graph."""
    syntax = fmt.oxigraph
    assert isinstance(syntax, ox.RdfFormat)  # formats.rdf_input gives RDF syntaxes
    data: IO[bytes] | bytes = reader
    if syntax == ox.RdfFormat.RDF_XML:  # checked whole before a parser sees it
        data = reader.read()
        check_rdf_xml(data, source=source)
    parsed = ox.parse(data, syntax, base_iri=base_iri, rename_blank_nodes=True)
    try:
        while batch := list(itertools.islice(parsed, _BATCH)):
            if graph is not None:
                batch = _into(batch, graph_term(graph))
            _count_graphs(staged.graphs, batch)
            ox.serialize(batch, out, ox.RdfFormat.N_QUADS)
            if staged.scratch is not None:  # the terms as written: same blank-node labels
                staged.scratch.bulk_extend(batch)
    except SyntaxError as exc:
        raise parse_error(exc, source=source) from None
    except UnicodeDecodeError as exc:
        raise ParseError(f"the input is not valid UTF-8 text: {exc}", source=source) from None
    except ValueError as exc:  # pyoxigraph's own "not UTF-8"
        raise ParseError(f"the input cannot be read as {fmt.name}: {exc}",
                         source=source) from None


def _count_graphs(counts: dict[str | None, int], batch: list[ox.Quad]) -> None:
    """Add the batch's quads per graph to ``counts`` (the default graph: None). The
    counting runs in C (Counter over the graph terms): a Python loop per quad cost a
    third of the staging time at 10^6."""
    for name, count in Counter(map(_GRAPH_NAME, batch)).items():
        key = None if isinstance(name, ox.DefaultGraph) else \
            name.value if isinstance(name, ox.NamedNode) else str(name)
        counts[key] = counts.get(key, 0) + count


def _into(batch: list[ox.Quad], target: ox.NamedNode) -> list[ox.Quad]:
    """The batch with its default-graph quads moved into ``target``."""
    default = ox.DefaultGraph()
    return [ox.Quad(q.subject, q.predicate, q.object, target) if q.graph_name == default
            else q for q in batch]


_GRAPH_NAME = operator.attrgetter("graph_name")


# ---------------------------------------------------------------------- inference


def bundled_ontology(base_iri: str) -> list[ox.Triple]:
    """The ontology's triples as the build loads them (under ``base_iri``)."""
    from alliancegraph.graph.sources import iter_sources, parse_source

    return [q.triple for graph, path in iter_sources() if graph == "ontology"
            for q in parse_source(path, graph, base_iri)]


def append_entailments(staged: Staged, ontology: Sequence[ox.Triple],
                       inferred_graph: str) -> int:
    """Append the OWL 2 RL entailments of the staged quads (over the union of their
    graphs) with the ``ontology`` to the staging file, as quads of ``inferred_graph``;
    their number. The rules run on :attr:`Staged.scratch` (filled from the file when the
    quads were staged without it), which is dropped afterwards. Blank nodes keep the
    staging file's labels, so they are the loaded nodes."""
    from alliancegraph.graph.inference import entail_in_store

    scratch, staged.scratch = staged.scratch, None  # its memory goes before the write
    if scratch is None:
        scratch = ox.Store()
        scratch.bulk_extend(_read(staged.path))
    # a graph of its own: no loaded graph can have this name
    schema = ox.NamedNode(f"urn:uuid:{uuid.uuid4()}")
    scratch.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, schema) for t in ontology)
    target = ox.NamedNode(inferred_graph)
    inferred = [ox.Quad(t.subject, t.predicate, t.object, target)
                for t in entail_in_store(scratch)]
    with staged.path.open("ab") as out:
        ox.serialize(inferred, out, ox.RdfFormat.N_QUADS)
    return len(inferred)


def _read(path: Path) -> Iterator[ox.Quad]:
    """The quads of a staging file, labels as written."""
    return ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS, lenient=True)


# ---------------------------------------------------------------------- the write


def load(store: Store, staged: Staged, *, base_iri: str, replace: bool = False,
         infer: bool = True, validate: bool = True,
         on_stage: Callable[[str], None] = lambda stage: None) -> LoadReport:
    """Write ``staged`` into ``store`` in one change (see the module). ``replace``: each
    graph the inputs fill is emptied first (the default graph too, when they fill it);
    otherwise the quads are added. ``validate``: through the policy (validated when the
    store validates on write); otherwise straight to the backend, unvalidated. Raises
    BadRequest (a load into graph/inferred), ValidationFailed (422), WriteTimeout and the
    other store errors; then nothing was written."""
    from alliancegraph.graph.vocabulary import INFERRED, graph_iri

    report = LoadReport(graphs=dict(staged.graphs), bytes_read=staged.bytes_read)
    inferred_iri = graph_iri(INFERRED, base_iri)
    if inferred_iri in report.graphs:
        raise BadRequest(f"<{inferred_iri}> holds the inferences: load into another graph")
    if infer:
        on_stage("inferring (OWL 2 RL rules)")
        report.inferred = append_entailments(staged, bundled_ontology(base_iri), inferred_iri)
    staged.scratch = None  # not needed for the write: its memory goes first
    on_stage("writing the store")
    validated = validate and getattr(store, "validate_on_write", False)
    applied = _write(store, staged, report, validated=validated, replace=replace)
    report.validated = validated
    report.generation = applied.generation
    return report


def _write(store: Store, staged: Staged, report: LoadReport, *, validated: bool,
           replace: bool) -> Applied:
    """The one change: a BulkFile, or a QuadDelta (validated, or replacing graphs)."""
    if not validated and not replace:
        return store.backend.apply(BulkFile(staged.path, report.total + report.inferred))
    removed: tuple[ox.Quad, ...] = ()
    targets = tuple(report.graphs) if replace else ()
    if None in targets:  # a QuadDelta names what it removes from the default graph
        removed, _ = store.backend.read_view(_default_graph)
    delta = QuadDelta(removed=removed, added=tuple(_read(staged.path)),
                      dropped_graphs=tuple(g for g in targets if g is not None))
    return store.apply(delta) if validated else store.backend.apply(delta)


def _default_graph(view: Any) -> tuple[ox.Quad, ...]:
    return tuple(view.quads_for_pattern(None, None, None, ox.DefaultGraph()))
