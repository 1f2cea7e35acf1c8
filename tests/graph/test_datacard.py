"""The data card (graph/README.md): its counts match the data, its sections are all there.

The expected numbers below come from the papers and the modelling contract (41 and 6
footnotes, 26 bibliography entries, the fixed section lists, the twelve states the papers
name), not from the code's output.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
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
from alliancegraph.graph.vocabulary import LINK_DATASETS
from alliancegraph.links.model import Link, Origin, link_quads

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


LINK_PREDICATES = ("http://www.w3.org/2002/07/owl#sameAs",
                   "http://www.w3.org/2004/02/skos/core#exactMatch",
                   "http://www.w3.org/2004/02/skos/core#closeMatch",
                   "http://www.w3.org/2004/02/skos/core#relatedMatch")


def test_link_counts_match_the_link_sources(source_store):
    """Every link of graph/sources/links/ (read here with rdflib, not the card's query) is
    counted once, under its target dataset."""
    graph = rdflib.Graph()
    for path in sorted((ROOT / "graph" / "sources" / "links").glob("*.ttl")):
        graph.parse(path, format="turtle")
    counts = compute_counts(source_store).links
    for dataset in LINK_DATASETS:
        expected = sum(1 for _, p, o in graph if str(p) in LINK_PREDICATES
                       and isinstance(o, rdflib.URIRef) and str(o).startswith(dataset.prefix))
        assert sum(counts[dataset.title].values()) == expected, dataset.title
    assert sum(counts["Wikidata"].values()) > 0


def test_link_counts_by_origin(source_store):
    store = ox.Store()
    store.extend(source_store)
    before = compute_counts(store).links
    ag_id = f"{CANONICAL_BASE}id/"
    day = datetime.date(2026, 12, 2)
    semapv = "https://w3id.org/semapv/vocab/"
    discovered = Link(ag_id + "org/imf", LINK_PREDICATES[1], "http://www.wikidata.org/entity/Q7804",
                      Origin.DISCOVERED, semapv + "LexicalMatching", day, confidence=0.9,
                      tool="alliancegraph link")
    reviewed = Link(ag_id + "place/seoul", LINK_PREDICATES[3], "https://sws.geonames.org/1835848/",
                    Origin.REVIEWED, semapv + "LexicalMatching", day, confidence=0.8,
                    reviewer="https://orcid.org/0000-0002-1825-0097")
    for link in (discovered, reviewed):
        store.extend(link_quads(link, CANONICAL_BASE))
    links = ox.NamedNode(graph_iri("links"))
    same_as = ox.NamedNode(LINK_PREDICATES[0])
    kim = ox.NamedNode(ag_id + "person/kim")
    store.add(ox.Quad(kim, same_as, ox.NamedNode("https://orcid.org/0000-0001-5109-3700"), links))
    # not counted: a link in another graph, a target in no link dataset, a literal
    store.add(ox.Quad(kim, same_as, ox.NamedNode("http://viaf.org/viaf/1"),
                      ox.NamedNode(graph_iri("inferred"))))
    store.add(ox.Quad(kim, same_as, ox.NamedNode("http://example.org/kim"), links))
    store.add(ox.Quad(kim, same_as, ox.Literal("http://viaf.org/viaf/2"), links))
    after = compute_counts(store).links

    def changed(title: str) -> dict[Origin, int]:
        return {o: after[title][o] - before[title][o] for o in Origin
                if after[title][o] != before[title][o]}

    assert changed("Wikidata") == {Origin.DISCOVERED: 1}
    assert changed("GeoNames") == {Origin.REVIEWED: 1}
    assert changed("ORCID") == {Origin.CURATED: 1}  # no axiom: hand-written, curated
    assert changed("VIAF") == {} and changed("DBpedia") == {}
    table = counts_markdown(compute_counts(store))
    assert "| links out | curated | discovered | reviewed | all |" in table
    wikidata = after["Wikidata"]
    assert (f"| to Wikidata | {wikidata[Origin.CURATED]} | 1 | 0 | "
            f"{sum(wikidata.values())} |") in table
