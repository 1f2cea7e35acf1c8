"""The data card (graph/README.md): its counts match the data, its sections are all there.

The expected numbers below come from the papers and the modelling contract (41 and 6
footnotes, 26 bibliography entries, the fixed section lists, the twelve states the papers
name), not from the code's output.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph import CANONICAL_BASE
from alliancegraph.graph.datacard import (
    BEGIN,
    END,
    README,
    compute_counts,
    counts_markdown,
    main,
    readme_counts,
    replace_counts,
)
from alliancegraph.graph.sources import graph_iri, load_sources

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_counts_match_the_current_data(source_store):
    expected = counts_markdown(compute_counts(source_store))
    assert readme_counts(README.read_text(encoding="utf-8")) == expected, (
        "graph/README.md counts are stale: run python -m alliancegraph.graph.datacard --write")


def test_the_check_command_agrees(capsys):
    assert main(["--check"]) == 0
    assert capsys.readouterr().err == ""


def test_counts_of_the_papers_match_what_they_print(source_store):
    counts = compute_counts(source_store)
    a, b = counts.papers["paper-a"], counts.papers["paper-b"]
    assert (a["footnote"], b["footnote"]) == (41, 6)  # paper B prints 4 twice
    assert (a["bibliography"], b["bibliography"]) == (26, 0)
    # MODELLING.md "Section IRIs": 14 numbered + front + bibliography; 18 numbered + front
    assert (a["section"], b["section"]) == (16, 19)
    assert counts.entities["state"] == 12
    assert a["claim"] >= a["recommendations"] > 0
    assert a["evidence"] > a["claim"] and b["evidence"] > b["claim"]


def test_counts_ignore_inferred_triples_and_do_not_depend_on_the_base(source_store):
    base = "http://example.org/ag/"
    rebased = ox.Store()
    load_sources(rebased, base=base)
    canonical = compute_counts(source_store)
    assert compute_counts(rebased, base) == canonical
    japan = ox.NamedNode(f"{base}id/state/japan")
    rebased.add(ox.Quad(ox.NamedNode(f"{base}id/state/japan-inferred"),
                        ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                        ox.NamedNode(f"{base}ontology#State"),
                        ox.NamedNode(graph_iri("inferred", base))))
    rebased.add(ox.Quad(japan, japan, japan, ox.NamedNode(graph_iri("inferred", base))))
    assert compute_counts(rebased, base) == canonical


def test_counts_see_a_new_entity(source_store):
    store = ox.Store()
    store.extend(source_store)
    before = compute_counts(store)
    store.add(ox.Quad(ox.NamedNode(f"{CANONICAL_BASE}id/state/mongolia"),
                      ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                      ox.NamedNode(f"{CANONICAL_BASE}ontology#State"),
                      ox.NamedNode(graph_iri("background"))))
    after = compute_counts(store)
    assert after.entities["state"] == before.entities["state"] + 1
    assert after.triples["background"] == before.triples["background"] + 1
    assert counts_markdown(after) != counts_markdown(before)


def test_replace_counts_rewrites_only_the_marked_block():
    text = f"# Card\n\nbefore\n\n{BEGIN}\nold\n{END}\n\nafter\n"
    replaced = replace_counts(text, "| a | 1 |\n")
    assert replaced == f"# Card\n\nbefore\n\n{BEGIN}\n| a | 1 |\n{END}\n\nafter\n"
    assert readme_counts(replaced) == "| a | 1 |\n"


def test_a_readme_without_markers_is_an_error():
    with pytest.raises(ValueError, match="datacard:counts:begin"):
        replace_counts("# Card\n", "| a | 1 |\n")


def _sections(text: str) -> list[str]:
    return re.findall(r"(?m)^## (.+)$", text)


def test_the_card_has_every_section_the_issue_asks_for():
    sections = _sections(README.read_text(encoding="utf-8"))
    for title in ("What is in the graph", "Counts", "IRI scheme", "Provenance", "Licence",
                  "How to cite"):
        assert title in sections
    text = README.read_text(encoding="utf-8")
    assert "CC BY 4.0" in text and "https://creativecommons.org/licenses/by/4.0/" in text


def test_the_iri_scheme_section_names_every_kind_in_use(source_store):
    """A new kind of IRI (``id/{kind}/…``) must be documented in the card."""
    text = README.read_text(encoding="utf-8")
    scheme = text.split("## IRI scheme", 1)[1].split("\n## ", 1)[0]
    rows = source_store.query(f"""
        SELECT DISTINCT ?x {{ ?x ?p ?o FILTER (STRSTARTS(STR(?x), "{CANONICAL_BASE}id/")) }}""",
        use_default_graph_as_union=True)
    kinds = set()
    for row in rows:
        parts = row["x"].value.removeprefix(f"{CANONICAL_BASE}id/").split("/")
        if parts[0] in ("paper-a", "paper-b"):
            if len(parts) > 1:
                kinds.add(f"id/paper-a/{parts[1]}" if parts[1] in ("section", "footnote",
                          "bibliography", "citation") else f"`{parts[1]}`")
        else:
            kinds.add(f"id/{parts[0]}/")
    assert sorted(kind for kind in kinds if kind not in scheme) == []
