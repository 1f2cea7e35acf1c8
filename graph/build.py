"""``alliancegraph build``: the bundled sources into the persistent store.

1. Parse every source (ontology + ``graph/sources/<graph>/*.ttl``) completely; a file that
   does not parse stops the build, naming file, line and column, before the store is
   touched.
2. Materialise the OWL 2 RL entailments of :mod:`alliancegraph.graph.inference` over the union
   of the bundled graphs.
3. In the store (exclusive lock): drop the bundled graphs and ``graph/inferred``, then
   add the new ones. Graphs written through the service under other names survive.
4. Write the ontology documentation to ``<data_dir>/release/ontology/`` when
   :mod:`alliancegraph.ontology.docs` provides ``build_docs``.

Blank nodes get labels from their file and position, so building twice gives the same
store, byte for byte in a sorted N-Quads dump.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

import click
import pyoxigraph as ox
from alliancegraph.config import load_settings
from alliancegraph.errors import AllianceGraphError, BadRequest
from alliancegraph.graph.inference import entailments
from alliancegraph.graph.sources import SOURCE_GRAPHS, graph_iri, iter_sources, parse_source
from alliancegraph.store.embedded import WRITE_TIMEOUT, EmbeddedStore
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

BUNDLED_GRAPHS = ("ontology", *SOURCE_GRAPHS)
INFERRED = "inferred"


@dataclass
class BuildReport:
    """What a build wrote: quads per bundled graph (and ``inferred``), and where."""

    store_path: Path
    graphs: dict[str, int] = field(default_factory=dict)
    files: int = 0
    docs_dir: Path | None = None
    notices: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.graphs.values())


def build_store(data_dir: str | Path, *, base_iri: str, progress: bool = True,
                docs: bool = True, console: Console | None = None) -> BuildReport:
    """Build the store in ``data_dir`` from the bundled sources; see the module doc.
    ``docs=False`` skips the ontology documentation.

    Raises ParseError (a source does not parse; nothing changed in the store).
    """
    console = console or Console(stderr=True, quiet=not progress)
    store = EmbeddedStore(data_dir, base_iri=base_iri, query_timeout=WRITE_TIMEOUT,
                          max_rows=1)
    report = BuildReport(store.path)
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
        inferred = [ox.Quad(t.subject, t.predicate, t.object, inferred_graph)
                    for t in entailments(q.triple for q in quads)]
        bar.update(task, total=1, completed=1)
        task = bar.add_task("writing the store", total=None)
        names = {g: graph_iri(g, base_iri) for g in (*BUNDLED_GRAPHS, INFERRED)}
        counts = store.apply(lambda oxstore: _replace_graphs(oxstore, names, quads + inferred),
                             capped=False)
        bar.update(task, total=1, completed=1)
    report.graphs = counts
    if docs:
        report.docs_dir = _build_docs(Path(data_dir) / "release" / "ontology", report)
    return report


def _replace_graphs(store: ox.Store, names: dict[str, str],
                    quads: list[ox.Quad]) -> dict[str, int]:
    """Quads stored per graph (duplicates across files count once)."""
    # pyoxigraph relabels blank nodes of INSERT DATA, so the quads go in through extend
    # (one transaction) after the drop (another): a crash in between leaves the bundled
    # graphs missing until the next build, never half-written.
    store.update(" ;\n".join(f"DROP SILENT GRAPH <{iri}>" for iri in names.values()))
    store.extend(quads)
    return {name: sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(iri)))
            for name, iri in names.items()}


def _build_docs(out_dir: Path, report: BuildReport) -> Path | None:
    try:
        docs = importlib.import_module("alliancegraph.ontology.docs")
    except ModuleNotFoundError as exc:
        if exc.name != "alliancegraph.ontology.docs":
            raise
        report.notices.append("ontology docs skipped: alliancegraph.ontology.docs is missing")
        return None
    if not hasattr(docs, "build_docs"):
        report.notices.append("ontology docs skipped: alliancegraph.ontology.docs has no "
                              "build_docs")
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    docs.build_docs(out_dir)
    return out_dir


@click.command("build")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Directory of the embedded store (setting data_dir, "
                   "ALLIANCEGRAPH_DATA_DIR; default ~/.local/share/alliancegraph).")
@click.option("--base-iri", default=None,
              help="Base of the graph's IRIs (setting base_iri; default "
                   "https://w3id.org/alliancegraph/).")
@click.option("--quiet", is_flag=True, help="No progress display.")
@click.option("--no-docs", is_flag=True, help="Do not write the ontology documentation.")
def build_command(data_dir: str | None, base_iri: str | None, quiet: bool,
                  no_docs: bool) -> None:
    """Load the ontology and the graph sources into the store, with inferences."""
    settings = load_settings(overrides={"data_dir": data_dir, "base_iri": base_iri})
    console = Console()
    try:
        report = build_store(settings.data_dir, base_iri=settings.base_iri,
                             progress=not quiet, docs=not no_docs)
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
    for notice in report.notices:
        console.print(notice)
    if report.docs_dir:
        console.print(f"ontology documentation: {report.docs_dir}")
