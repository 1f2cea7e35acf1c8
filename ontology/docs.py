"""HTML documentation and release files of the ontology (``alliancegraph docs``).

The edit sources (``ontology/src/*.ttl``) are merged into one graph; the release files are
that graph in four syntaxes, stamped with the version IRI of this package's version, and
the HTML page is rendered from it by pyLODE.
"""

from __future__ import annotations

import importlib
import logging
import warnings
from pathlib import Path

import click
from alliancegraph import __version__
from alliancegraph.errors import AllianceGraphError, ParseError
from alliancegraph.graph.queries import prefixes
from alliancegraph.ontology import NAMESPACE, ONTOLOGY_IRI, source_files
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, SKOS

log = logging.getLogger(__name__)

#: release file name -> rdflib serialisation format
RELEASE_FORMATS = {
    "alliancegraph.ttl": "turtle",
    "alliancegraph.nt": "nt",
    "alliancegraph.owl": "xml",  # RDF/XML, what most OWL tools open
    "alliancegraph.jsonld": "json-ld",
}
PREFIXES = {
    **{name: iri for name, iri in prefixes().items() if name != "agid"},
    "ag": NAMESPACE,
    "vann": "http://purl.org/vocab/vann/",
}


def version_iri(version: str = __version__) -> URIRef:
    """The version IRI of a release: the ontology IRI followed by ``/<version>``."""
    return URIRef(f"{ONTOLOGY_IRI}/{version}")


def merged_ontology() -> Graph:
    """Every ontology source parsed into one rdflib graph (prefixes bound).

    Raises :class:`ParseError` naming the file when a source does not parse.
    """
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True)
    for path in source_files():
        try:
            graph.parse(path, format="turtle")
        except SyntaxError as exc:  # rdflib's BadSyntax is a SyntaxError
            raise ParseError(str(exc), source=str(path)) from exc
    return graph


def stamped(graph: Graph, version: str = __version__) -> Graph:
    """The graph with its owl:Ontology carrying this release's version IRI and info."""
    ontology = URIRef(ONTOLOGY_IRI)
    if (ontology, RDF.type, OWL.Ontology) not in graph:
        raise AllianceGraphError(f"the ontology sources declare no owl:Ontology <{ONTOLOGY_IRI}>")
    graph.set((ontology, OWL.versionIRI, version_iri(version)))
    graph.set((ontology, OWL.versionInfo, Literal(version)))
    return graph


def write_release(graph: Graph, out_dir: Path) -> list[Path]:
    """Write the release files into ``out_dir``; returns their paths."""
    written = []
    for name, fmt in RELEASE_FORMATS.items():
        path = out_dir / name
        graph.serialize(destination=path, format=fmt, encoding="utf-8")
        written.append(path)
    return written


def _import_pylode() -> type:
    """pyLODE's ``OntPub``, imported only when needed (it is slow to import) and without
    its side effect: pyLODE calls ``logging.basicConfig(level=DEBUG)`` at import, which would
    flood the caller's log with ``INFO:root:`` and ``DEBUG:asyncio:`` lines. basicConfig does
    nothing when the root logger has a handler, so one is there for the import and then
    removed: the caller's root logger is left exactly as it was."""
    placeholder = logging.NullHandler()
    logging.root.addHandler(placeholder)
    try:
        module = importlib.import_module("pylode")
    finally:
        logging.root.removeHandler(placeholder)
    return module.OntPub


def render_html(graph: Graph) -> str:
    """The HTML documentation page pyLODE renders for the ontology."""
    ontpub = _import_pylode()

    # pyLODE adds its background ontologies to the graph it is given: hand it a copy.
    copy = Graph()
    for prefix, namespace in graph.namespaces():
        copy.bind(prefix, namespace, override=True)
    for triple in graph:
        copy.add(triple)
    # pyLODE titles the page with the last title (label, prefLabel…) of any ontology *or
    # concept scheme* and runs them all into its heading: show the schemes to it as plain
    # individuals (their concepts and labels stay documented).
    for scheme in set(copy.subjects(RDF.type, SKOS.ConceptScheme)):
        if (scheme, RDF.type, OWL.Ontology) not in copy:
            copy.remove((scheme, RDF.type, SKOS.ConceptScheme))
            copy.add((scheme, RDF.type, OWL.NamedIndividual))
    with warnings.catch_warnings():
        # pyLODE 3.3 reads its stylesheet with an unclosed open() (ontpub.py, _make_head);
        # ignore only that ResourceWarning, which CPython raises as the file is dropped.
        warnings.filterwarnings("ignore", message=r".*pylode\.css", category=ResourceWarning)
        return ontpub(ontology=copy).make_html()


def build_docs(out_dir: str | Path) -> Path:
    """Write ``index.html`` and the release files into ``out_dir``; returns the HTML path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    graph = stamped(merged_ontology())
    write_release(graph, out)
    index = out / "index.html"
    index.write_text(render_html(graph), encoding="utf-8")
    log.info("wrote ontology documentation and release files to %s", out)
    return index


@click.command("docs")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, writable=True, path_type=Path),
    help="Directory to write index.html and the release files (Turtle, N-Triples, "
    "RDF/XML, JSON-LD) into; created if missing.",
)
def docs_command(out_dir: Path) -> None:
    """Generate the ontology's HTML documentation (pyLODE) and its release files."""
    try:
        index = build_docs(out_dir)
    except AllianceGraphError as exc:
        raise click.ClickException(exc.message) from exc
    except OSError as exc:
        raise click.ClickException(f"{out_dir}: cannot write documentation: {exc}") from exc
    click.echo(f"Wrote {index} and {', '.join(RELEASE_FORMATS)} to {out_dir}")
