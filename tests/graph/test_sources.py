"""Where the bundled sources are and how one is read (graph/sources.py): the folder decides
the graph, errors name file, line and column, blank nodes get stable labels, and a source
can be read under another base."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph import CANONICAL_BASE
from alliancegraph.errors import ParseError
from alliancegraph.graph.sources import SOURCE_ROOT, iter_sources, load_sources, parse_source
from alliancegraph.graph.vocabulary import BUNDLED_GRAPHS, graph_iri
from alliancegraph.ontology import source_files

OTHER = "http://localhost:8000/"


def test_every_source_file_is_read_into_the_graph_of_its_folder():
    found = list(iter_sources())
    assert [path for name, path in found if name == "ontology"] == source_files()
    for name, path in found:
        if name != "ontology":
            assert path.parent == SOURCE_ROOT / name
    assert {name for name, _ in found} == set(BUNDLED_GRAPHS)
    assert len({path for _, path in found}) == len(found) == len(
        source_files()) + len(list(SOURCE_ROOT.glob("*/*.ttl")))


def test_a_source_goes_to_its_named_graph(tmp_path: Path):
    path = tmp_path / "x.ttl"
    path.write_text(f"<{CANONICAL_BASE}id/x> <{CANONICAL_BASE}ontology#p> 1 .\n",
                    encoding="utf-8")
    (quad,) = parse_source(path, "links")
    assert quad.graph_name == ox.NamedNode(graph_iri("links"))
    (rebased,) = parse_source(path, "links", OTHER)
    assert rebased.graph_name == ox.NamedNode(graph_iri("links", OTHER))
    assert rebased.subject == ox.NamedNode(f"{OTHER}id/x")


def test_a_syntax_error_names_file_line_and_column(tmp_path: Path):
    path = tmp_path / "broken.ttl"
    path.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:d ex:e .\n",
                    encoding="utf-8")
    with pytest.raises(ParseError) as error:
        parse_source(path, "paper-b")
    assert (error.value.source, error.value.line) == (str(path), 3)
    assert error.value.column is not None


def test_blank_nodes_are_labelled_by_file_and_order(tmp_path: Path):
    path = tmp_path / "blank.ttl"
    path.write_text("<http://x> <http://p> [ <http://q> [ <http://r> 1 ] ] .\n",
                    encoding="utf-8")
    first, second = parse_source(path, "paper-a"), parse_source(path, "paper-a")
    assert first == second  # pyoxigraph alone labels them at random
    labels = sorted({t.value for q in first for t in (q.subject, q.object)
                     if isinstance(t, ox.BlankNode)})
    assert labels == ["paper_a_blank_1", "paper_a_blank_2"]


def test_loading_every_source_reports_quads_per_graph():
    store = ox.Store()
    counts = load_sources(store)
    assert set(counts) == set(BUNDLED_GRAPHS)
    for name, count in counts.items():
        held = sum(1 for _ in store.quads_for_pattern(None, None, None,
                                                       ox.NamedNode(graph_iri(name))))
        assert held <= count  # the same triple in two files is stored once
    assert len(store) > 10_000
