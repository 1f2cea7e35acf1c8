"""HTML documentation and release files of the ontology (``alliancegraph docs``).

The edit sources (``ontology/src/*.ttl``) are merged into one graph; the release files are
that graph in four syntaxes, stamped with the version IRI of this package's version, and
the HTML page is rendered from it by pyLODE. Every function takes the ``base_iri`` the
graph is served under (the build passes the setting): the sources are minted under the
canonical base and rebased to it.
"""

from __future__ import annotations

import functools
import importlib
import logging
import re
import warnings
from pathlib import Path

import click
from alliancegraph import CANONICAL_BASE, __version__
from alliancegraph.errors import AllianceGraphError, ParseError
from alliancegraph.graph.vocabulary import ontology_iri, prefixes, rebase
from alliancegraph.ontology import source_files
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

log = logging.getLogger(__name__)

#: release file name -> rdflib serialisation format
RELEASE_FORMATS = {
    "alliancegraph.ttl": "turtle",
    "alliancegraph.nt": "nt",
    "alliancegraph.owl": "xml",  # RDF/XML, what most OWL tools open
    "alliancegraph.jsonld": "json-ld",
}


def doc_prefixes(base_iri: str = CANONICAL_BASE) -> dict[str, str]:
    """The prefixes the documentation and release files bind: the project's table without
    ``agid`` (the ontology names no entity), with ``vann``."""
    table = {name: iri for name, iri in prefixes(base_iri).items() if name != "agid"}
    return {**table, "vann": "http://purl.org/vocab/vann/"}


def version_iri(version: str = __version__, base_iri: str = CANONICAL_BASE) -> URIRef:
    """The version IRI of a release: the ontology IRI followed by ``/<version>``."""
    return URIRef(f"{ontology_iri(base_iri)}/{version}")


def merged_ontology(base_iri: str = CANONICAL_BASE) -> Graph:
    """Every ontology source parsed into one rdflib graph (prefixes bound), its IRIs under
    ``base_iri``.

    Raises :class:`ParseError` naming the file when a source does not parse.
    """
    graph = Graph()
    for prefix, namespace in doc_prefixes(base_iri).items():
        graph.bind(prefix, namespace, override=True)
    for path in source_files():
        text = rebase(path.read_text(encoding="utf-8"), base_iri)
        try:
            graph.parse(data=text, format="turtle", publicID=path.resolve().as_uri())
        except SyntaxError as exc:  # rdflib's BadSyntax is a SyntaxError
            raise ParseError(str(exc), source=str(path)) from exc
    return graph


def stamped(graph: Graph, version: str = __version__,
            base_iri: str = CANONICAL_BASE) -> Graph:
    """The graph with its owl:Ontology carrying this release's version IRI and info."""
    ontology = URIRef(ontology_iri(base_iri))
    if (ontology, RDF.type, OWL.Ontology) not in graph:
        raise AllianceGraphError(f"the ontology sources declare no owl:Ontology <{ontology}>")
    graph.set((ontology, OWL.versionIRI, version_iri(version, base_iri)))
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


@functools.cache
def import_pylode() -> type:
    """pyLODE's ``OntPub``, imported only when needed (it is slow to import) and without
    its side effect: pyLODE calls ``logging.basicConfig(level=DEBUG)`` at import, which would
    flood the caller's log with ``INFO:root:`` and ``DEBUG:asyncio:`` lines. basicConfig does
    nothing when the root logger has a handler, so one is there for the import and then
    removed: the caller's root logger is left exactly as it was. Once per process."""
    placeholder = logging.NullHandler()
    logging.root.addHandler(placeholder)
    try:
        module = importlib.import_module("pylode")
    finally:
        logging.root.removeHandler(placeholder)
    return module.OntPub


def render_html(graph: Graph) -> str:
    """The HTML documentation page pyLODE renders for the ontology, its table of contents
    sorted by label."""
    ontpub = import_pylode()

    class SortedContents(ontpub):  # type: ignore[misc, valid-type]
        def _make_toc(self) -> None:
            for entries in self.toc.values():  # (anchor, title) pairs, in graph order
                entries.sort(key=lambda entry: _text(entry[1]).casefold())
            super()._make_toc()

    # pyLODE adds its background ontologies to the graph it is given: hand it a copy.
    copy = Graph()
    for prefix, namespace in graph.namespaces():
        copy.bind(prefix, namespace, override=True)
    for triple in graph:
        copy.add(triple)
    _other_languages_as_a_note(copy)
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
        page = SortedContents(ontology=copy).make_html()
    # pyLODE writes <html> without a language; screen readers need it to pick a voice
    return re.sub(r"<html(?![^>]*\blang=)", '<html lang="en"', page, count=1)


def _text(title: object) -> str:
    """A contents entry's title as text (pyLODE keeps a list of literals, or a string)."""
    return " ".join(map(str, title)) if isinstance(title, list) else str(title)


#: the labels pyLODE runs together into one title when a term has several languages
_LABELS = (RDFS.label, SKOS.prefLabel)


def _other_languages_as_a_note(graph: Graph) -> None:
    """For pyLODE only: a term's labels in other languages than English become one
    ``skos:note`` ("Labels in other languages: 脚注引用 (ja), 각주 인용 (ko)"), which it
    shows in the term's table; its title and contents entry stay the English label."""
    for predicate in _LABELS:
        for subject in set(graph.subjects(predicate, None)):
            labels = list(graph.objects(subject, predicate))
            if not any(getattr(label, "language", None) == "en" for label in labels):
                continue
            others = sorted((label for label in labels
                             if getattr(label, "language", None) not in ("en", None)),
                            key=lambda label: label.language)
            for label in others:
                graph.remove((subject, predicate, label))
            if others:
                text = ", ".join(f"{label} ({label.language})" for label in others)
                graph.add((subject, SKOS.note,
                           Literal(f"Labels in other languages: {text}", lang="en")))


def build_docs(out_dir: str | Path, *, base_iri: str = CANONICAL_BASE) -> Path:
    """Write ``index.html`` and the release files into ``out_dir``, the ontology's IRIs
    under ``base_iri``; returns the HTML path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    graph = stamped(merged_ontology(base_iri), base_iri=base_iri)
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
@click.option("--base-iri", default=None,
              help="Base of the graph's IRIs (setting base_iri; default: the canonical base).")
def docs_command(out_dir: Path, base_iri: str | None) -> None:
    """Generate the ontology's HTML documentation (pyLODE) and its release files."""
    from alliancegraph.config import load_settings

    settings = load_settings(overrides={"base_iri": base_iri})
    try:
        index = build_docs(out_dir, base_iri=settings.base_iri)
    except AllianceGraphError as exc:
        raise click.ClickException(exc.message) from exc
    except OSError as exc:
        raise click.ClickException(f"{out_dir}: cannot write documentation: {exc}") from exc
    click.echo(f"Wrote {index} and {', '.join(RELEASE_FORMATS)} to {out_dir}")
