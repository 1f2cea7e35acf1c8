"""``alliancegraph build``: the bundled sources into the persistent store.

1. Parse every source (ontology + ``graph/sources/<graph>/*.ttl``) completely; a file that
   does not parse stops the build, naming file, line and column, before the store is
   touched.
2. Materialise the OWL 2 RL entailments of :mod:`alliancegraph.graph.inference` over the union
   of the bundled graphs.
3. In the store the settings name (:func:`alliancegraph.store.open_store`), one atomic
   write (:class:`alliancegraph.store.ReplaceGraphs`): the bundled graphs and
   ``graph/inferred`` (:data:`alliancegraph.graph.vocabulary.GRAPHS`) are replaced by the
   new ones. ``graph/links`` keeps the links ``alliancegraph link`` discovered or had
   accepted (origin ``ag:DiscoveredLink``/``ag:ReviewedLink``, with their axioms and
   activities), read in the writer on the committed state, so no write comes between; a
   curated link of the sources wins over a discovered one with the same subject, predicate
   and object. Graphs written under other names survive, ``graph/link-review`` and
   ``graph/external`` among them: the build never touches them.
4. Write the ontology documentation, its IRIs under the configured base, to
   ``<data_dir>/release/ontology/`` (the service serves it from there).

Blank nodes get labels from their file and position, so building twice gives the same
store, byte for byte in a sorted N-Quads dump.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import click
import pyoxigraph as ox
from alliancegraph.config import Settings, load_settings
from alliancegraph.errors import AllianceGraphError, BadRequest
from alliancegraph.graph.inference import entailments
from alliancegraph.graph.search import fields
from alliancegraph.graph.sources import iter_sources, parse_source
from alliancegraph.graph.textindex import TextIndex, index_path
from alliancegraph.graph.vocabulary import CANONICAL_BASE, GRAPHS, INFERRED, graph_iri
from alliancegraph.links.model import kept_link_quads_in, merge_links
from alliancegraph.ontology.docs import build_docs
from alliancegraph.store import ReadView, ReplaceGraphs, open_store
from rich.console import Console
from rich.progress import Progress
from rich.table import Table


@dataclass
class BuildReport:
    """What a build wrote: quads per named graph (:data:`GRAPHS`), and where."""

    store_path: Path
    graphs: dict[str, int] = field(default_factory=dict)
    files: int = 0
    docs_dir: Path | None = None

    @property
    def total(self) -> int:
        return sum(self.graphs.values())


def build_store(data_dir: str | Path, *, base_iri: str = CANONICAL_BASE,
                progress: bool = True, docs: bool = True, console: Console | None = None,
                settings: Settings | None = None) -> BuildReport:
    """Build the store in ``data_dir`` from the bundled sources; see the module doc.
    ``settings`` (default: :func:`load_settings`) name the backend; ``data_dir`` and
    ``base_iri`` override theirs. ``docs=False`` skips the ontology documentation.

    Raises ParseError (a source does not parse; nothing changed in the store).
    """
    console = console or Console(stderr=True, quiet=not progress)
    # the bundled graphs are the project's own data: validating them on every build would
    # only repeat what the suite checks (tests/shapes: the bundled graph conforms)
    settings = (settings or load_settings()).replace(
        data_dir=str(data_dir), base_iri=base_iri, validate_on_write=False)
    report = BuildReport(Path(settings.data_dir))
    sources = list(iter_sources())
    quads: list[ox.Quad] = []
    with Progress(console=console, transient=True, disable=not progress) as bar:
        task = bar.add_task("parsing sources", total=len(sources))
        for graph, path in sources:
            quads.extend(parse_source(path, graph, base_iri))
            bar.advance(task)
        report.files = len(sources)
        task = bar.add_task("inferring (OWL 2 RL rules)", total=None)
        inferred_graph = ox.NamedNode(graph_iri(INFERRED, base_iri))
        quads += [ox.Quad(t.subject, t.predicate, t.object, inferred_graph)
                  for t in entailments(q.triple for q in quads)]
        bar.update(task, total=1, completed=1)
        task = bar.add_task("writing the store", total=None)
        names = {graph_iri(name, base_iri): name for name in GRAPHS}
        by_graph: dict[str, list[ox.Quad]] = {iri: [] for iri in names}
        for quad in quads:
            by_graph[quad.graph_name.value].append(quad)
        store = open_store(settings)
        try:
            # validation is off (above): the writer reads what to keep and replaces the
            # graphs in one step of the backend
            applied, _ = store.backend.apply_prepared(_keeping_links, by_graph, base_iri)
            if settings.text_index:  # the first search finds it ready
                TextIndex(index_path(settings.data_dir)).rebuild(store, fields(base_iri))
        finally:
            store.close()
        bar.update(task, total=1, completed=1)
    report.graphs = {names[iri]: applied.counts[iri] for iri in names}
    if docs:
        report.docs_dir = write_docs(Path(settings.data_dir) / "release" / "ontology",
                                     base_iri)
    return report


def _keeping_links(view: ReadView, by_graph: dict[str, list[ox.Quad]], base_iri: str
                   ) -> tuple[ReplaceGraphs, None]:
    """The build's write, on the committed state: the new graphs, ``links`` with the
    discovered and reviewed links the store holds (runs in the writer: module level, so
    that it pickles)."""
    links = graph_iri("links", base_iri)
    kept = kept_link_quads_in(view, base_iri)
    return ReplaceGraphs({**by_graph, links: merge_links(by_graph[links], kept, base_iri)}), None


def write_docs(out_dir: Path, base_iri: str) -> Path:
    """The ontology documentation for ``base_iri`` into ``out_dir``, whole: written beside
    it and then swapped in, so the service never serves half a folder."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    old = out_dir.with_name(f".{out_dir.name}-old")
    try:
        build_docs(fresh, base_iri=base_iri)
        fresh.chmod(0o755)  # mkdtemp makes it private; the docs are public
        shutil.rmtree(old, ignore_errors=True)
        if out_dir.exists():
            out_dir.rename(old)
        fresh.rename(out_dir)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return out_dir


@click.command("build")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Directory of the embedded store (setting data_dir, "
                   "ALLIANCEGRAPH_DATA_DIR; default ~/.local/share/alliancegraph).")
@click.option("--base-iri", default=None,
              help=f"Base of the graph's IRIs (setting base_iri; default {CANONICAL_BASE}).")
@click.option("--quiet", is_flag=True, help="No progress display.")
@click.option("--no-docs", is_flag=True, help="Do not write the ontology documentation.")
def build_command(data_dir: str | None, base_iri: str | None, quiet: bool,
                  no_docs: bool) -> None:
    """Load the ontology and the graph sources into the store, with inferences."""
    settings = load_settings(overrides={"data_dir": data_dir, "base_iri": base_iri})
    console = Console()
    try:
        report = build_store(settings.data_dir, base_iri=settings.base_iri,
                             progress=not quiet, docs=not no_docs, settings=settings)
    except BadRequest as exc:  # a source that does not parse: bad input
        click.echo(f"build refused, the store is unchanged: {exc.message}", err=True)
        raise SystemExit(2) from None
    except AllianceGraphError as exc:
        click.echo(f"build failed: {exc.message}", err=True)
        raise SystemExit(1) from None
    table = Table(title=f"Built {report.store_path} from {report.files} files")
    table.add_column("graph")
    table.add_column("quads", justify="right")
    for graph, count in report.graphs.items():
        table.add_row(graph_iri(graph, settings.base_iri), str(count))
    table.add_row("total", str(report.total))
    console.print(table)
    if report.docs_dir:
        console.print(f"ontology documentation: {report.docs_dir}")
