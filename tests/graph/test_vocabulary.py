"""The graph's names said once (graph/vocabulary.py): they match the sources they name, and
no product code spells the base IRI itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph import CANONICAL_BASE
from alliancegraph.graph.sources import SOURCE_ROOT
from alliancegraph.graph.vocabulary import (
    BUNDLED_GRAPHS,
    GRAPHS,
    INFERRED,
    LINK_DATASETS,
    SOURCE_GRAPHS,
    graph_iri,
    graph_name,
    link_dataset,
    prefix_declarations,
    prefixes,
    rebase,
)

ROOT = Path(__file__).resolve().parents[2]
#: the package's folders (tests, benchmarks and the venv are not the product)
PRODUCT = [p for p in ROOT.glob("*.py")] + [
    p for room in ("graph", "store", "service", "shapes", "ontology", "links")
    for p in (ROOT / room).rglob("*.py")]
OTHER = "http://localhost:8000/"


def test_the_project_prefixes_follow_the_base():
    table = prefixes(OTHER)
    assert table["ag"] == f"{OTHER}ontology#"
    assert table["agid"] == f"{OTHER}id/" and table["agsch"] == f"{OTHER}scheme/"
    assert prefixes()["ag"] == f"{CANONICAL_BASE}ontology#"
    assert table["owl"] == "http://www.w3.org/2002/07/owl#"
    table["mine"] = "urn:x:"  # a copy: the next caller gets the table unchanged
    assert "mine" not in prefixes(OTHER)


def test_prefix_declarations_parse_and_declare_every_prefix():
    declarations = prefix_declarations(OTHER)
    store = ox.Store()
    (row,) = store.query(declarations + "SELECT (ag:State AS ?s) (agid:x AS ?x) {}")
    assert row["s"] == ox.NamedNode(f"{OTHER}ontology#State")
    assert row["x"] == ox.NamedNode(f"{OTHER}id/x")
    assert declarations.count("PREFIX ") == len(prefixes())


def test_the_source_graphs_are_the_source_folders():
    folders = {p.name for p in SOURCE_ROOT.iterdir() if p.is_dir() and any(p.glob("*.ttl"))}
    assert set(SOURCE_GRAPHS) == folders
    assert ("ontology", *SOURCE_GRAPHS) == BUNDLED_GRAPHS
    assert (*BUNDLED_GRAPHS, INFERRED) == GRAPHS


@pytest.mark.parametrize("name", GRAPHS)
def test_graph_names_and_iris_map_both_ways(name):
    assert graph_iri(name) == f"{CANONICAL_BASE}graph/{name}"
    assert graph_name(graph_iri(name, OTHER), OTHER) == name
    assert graph_name(graph_iri(name, OTHER)) is None  # another base: not one of ours


def test_other_graphs_have_no_name():
    assert graph_name(graph_iri("mine")) is None
    assert graph_name("https://example.org/graph/links") is None


def test_every_link_of_the_links_graph_goes_to_a_known_dataset(source_store):
    links = ox.NamedNode(graph_iri("links"))
    targets = {q.object.value for q in source_store.quads_for_pattern(None, None, None, links)
               if isinstance(q.object, ox.NamedNode)
               and not q.object.value.startswith(CANONICAL_BASE)
               and q.predicate.value in (f"{prefixes()['owl']}sameAs",
                                         f"{prefixes()['skos']}exactMatch")}
    assert targets
    assert {t for t in targets if link_dataset(t) is None} == set()
    # the curated links reach these; discovery may add links to the others (GeoNames, VIAF,
    # ORCID) later
    assert {link_dataset(t).name for t in targets} == {"wikidata", "dbpedia", "issn"}
    assert {"wikidata", "dbpedia", "issn"} <= {d.name for d in LINK_DATASETS}


def test_link_datasets_have_distinct_names_and_prefixes():
    assert len({d.name for d in LINK_DATASETS}) == len(LINK_DATASETS)
    assert len({d.prefix for d in LINK_DATASETS}) == len(LINK_DATASETS)
    assert link_dataset("http://www.wikidata.org/entity/Q17").title == "Wikidata"
    assert link_dataset("https://example.org/x") is None


def test_rebase_moves_every_canonical_iri():
    text = f"<{CANONICAL_BASE}id/x> <{CANONICAL_BASE}ontology#p> <https://example.org/y> ."
    assert rebase(text, OTHER) == f"<{OTHER}id/x> <{OTHER}ontology#p> <https://example.org/y> ."
    assert rebase(text, CANONICAL_BASE) == text


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """String constants of a module, docstrings left out (they may name the base)."""
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef
                                | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings]


def test_no_product_code_spells_the_base_iri():
    """The base is :data:`alliancegraph.CANONICAL_BASE` (or the setting): said once."""
    spelt = "w3id.org/alliancegraph"
    found = [f"{path.relative_to(ROOT)}:{line}" for path in PRODUCT
             for line, text in _strings(ast.parse(path.read_text(encoding="utf-8")))
             if spelt in text]
    assert found == ["__init__.py:21"]
