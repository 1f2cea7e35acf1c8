"""``alliancegraph docs`` writes pyLODE HTML and release files stamped with the version IRI."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph import __version__
from alliancegraph.cli import main
from alliancegraph.errors import ParseError
from alliancegraph.ontology import ONTOLOGY_IRI
from alliancegraph.ontology.docs import (
    RELEASE_FORMATS,
    build_docs,
    merged_ontology,
    version_iri,
)
from click.testing import CliRunner
from rdflib import URIRef
from rdflib.namespace import DCTERMS, OWL


@pytest.fixture(scope="module")
def docs_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "site"  # does not exist yet: build_docs creates it
    index = build_docs(out)
    assert index == out / "index.html"
    return out


def test_html_documents_the_ontology_and_its_terms(docs_dir: Path):
    html = (docs_dir / "index.html").read_text(encoding="utf-8")
    assert "<html" in html
    assert "Alliance Graph ontology" in html
    for label in ("numeric fact", "has evidence", "supporting footnote"):
        assert label in html
    assert f"{ONTOLOGY_IRI}/{__version__}" in html


def contents(html: str) -> dict[str, list[str]]:
    """The table of contents: each section's entry titles, in page order."""
    toc = html[html.index('<div id="toc">'):]
    toc = toc[:toc.index("</div>")]
    sections = re.split(r'<h4>\s*<a href="#[^"]*">', toc)[1:]
    return {section.split("<", 1)[0]: re.findall(r'<li>\s*<a href="#[^"]*">([^<]*)</a>',
                                                   section) for section in sections}


def test_the_contents_are_sorted_and_each_entry_is_one_english_label(docs_dir: Path):
    """Found in a browser: the contents ran in graph order, and a term labelled in three
    languages was one entry "각주 인용脚注引用footnote citation"."""
    html = (docs_dir / "index.html").read_text(encoding="utf-8")
    sections = contents(html)
    assert len(sections["Classes"]) > 50 and "Object Properties" in sections
    for name, titles in sections.items():
        assert titles == sorted(titles, key=str.casefold), name
    assert "footnote citation" in sections["Classes"]
    for title in sections["Classes"]:
        assert not re.search(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]", title), title
    # the other languages are still documented, in the term's own table
    assert "Labels in other languages: 脚注引用 (ja), 각주 인용 (ko)" in html


def test_the_page_is_titled_with_the_ontology_title(docs_dir: Path):
    """Regression: pyLODE took the last dcterms:title of any concept scheme ("Alignment
    forms") as the page title and ran every scheme title into its heading."""
    title = str(merged_ontology().value(URIRef(ONTOLOGY_IRI), DCTERMS.title))
    html = (docs_dir / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<title>(.*?)</title>", html).group(1) == title
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", html, flags=re.S).group(1)
    assert re.sub(r"<[^>]+>", "", heading).strip() == title


OXIGRAPH_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES,
                    "xml": ox.RdfFormat.RDF_XML, "json-ld": ox.RdfFormat.JSON_LD}


@pytest.mark.parametrize(("name", "fmt"), RELEASE_FORMATS.items())
def test_release_file_holds_the_merged_ontology_with_its_version_iri(docs_dir, name, fmt):
    # read back with pyoxigraph: a second implementation, not the writer's own parser
    triples = list(ox.parse(path=docs_dir / name, format=OXIGRAPH_FORMATS[fmt]))
    assert len(triples) == len(merged_ontology())
    ontology = ox.NamedNode(ONTOLOGY_IRI)
    about = {(t.predicate.value, t.object.value) for t in triples if t.subject == ontology}
    assert (str(OWL.versionIRI), str(version_iri())) in about
    assert (str(OWL.versionInfo), __version__) in about


def test_the_cli_writes_the_documentation(tmp_path: Path):
    result = CliRunner().invoke(main, ["docs", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        ["index.html", *RELEASE_FORMATS])


def test_the_cli_requires_an_output_directory():
    result = CliRunner().invoke(main, ["docs"])
    assert result.exit_code == 2
    assert "--out" in result.output


def test_the_cli_reports_an_unwritable_output_directory(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    result = CliRunner().invoke(main, ["docs", "--out", str(blocker / "sub")])
    assert result.exit_code == 1
    assert "cannot write documentation" in result.output


def test_a_source_that_does_not_parse_is_reported_with_its_file(tmp_path: Path, monkeypatch):
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix ag: <https://w3id.org/alliancegraph/ontology#> .\nag:X a ;\n",
                      encoding="utf-8")
    monkeypatch.setattr("alliancegraph.ontology.docs.source_files", lambda: [broken])
    with pytest.raises(ParseError, match=r"broken\.ttl"):
        merged_ontology()


def test_importing_pylode_leaves_the_callers_logging_alone():
    """pyLODE calls logging.basicConfig(DEBUG) when imported; the docs module imports it so
    that the caller's root logger keeps its level and handlers, and nothing floods stderr."""
    import subprocess
    import sys

    code = ("import logging\n"
            "from alliancegraph.ontology.docs import import_pylode\n"
            "before = (logging.root.level, list(logging.root.handlers))\n"
            "import_pylode()\n"
            "logging.getLogger('asyncio').debug('a debug line')\n"
            "logging.getLogger('x').info('an info line')\n"
            "assert (logging.root.level, list(logging.root.handlers)) == before\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "INFO:root" not in done.stderr and "DEBUG:" not in done.stderr


def test_the_ontology_is_documented_at_the_configured_base():
    other = "http://localhost:8000/"
    graph = merged_ontology(other)
    ontology = URIRef(f"{other}ontology")
    assert any(graph.triples((ontology, None, None)))
    assert not any(str(t).startswith(ONTOLOGY_IRI) for triple in graph for t in triple)
    assert version_iri("1.0", other) == URIRef(f"{other}ontology/1.0")
    assert dict(graph.namespaces())["ag"] == URIRef(f"{other}ontology#")
