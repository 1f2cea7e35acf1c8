"""The timeline over the bundled graph (graph/timeline.py): every dated statement once, in
time order across date precisions, shown as printed, each with its sources; the paper and
kind filters, and their bad values."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from alliancegraph.errors import BadRequest
from alliancegraph.graph.timeline import KINDS, Timeline, parse_when, timeline
from alliancegraph.store import Store

BASE = "https://w3id.org/alliancegraph/"
AG = BASE + "ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"
DATE_TYPES = f"<{XSD}date> <{XSD}gYear> <{XSD}gYearMonth>"
PREFIXES = f"""PREFIX ag: <{AG}> PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX time: <http://www.w3.org/2006/time#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""


@pytest.fixture(scope="module")
def whole(bundled_store: Store) -> Timeline:
    return timeline(bundled_store, base_iri=BASE)


def literal(value: str, datatype: str) -> ox.Literal:
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))


def test_dates_of_mixed_precision_sort_a_year_before_its_months_and_days():
    dates = [literal("2005-05-01", "date"), literal("2005-05", "gYearMonth"),
             literal("2004-12-31", "date"), literal("2005", "gYear"),
             literal("2005-01", "gYearMonth")]
    ordered = sorted((parse_when(d) for d in dates), key=lambda w: w.key)
    assert [w.value for w in ordered] == ["2004-12-31", "2005", "2005-01", "2005-05",
                                          "2005-05-01"]
    assert [w.text for w in ordered] == ["31 December 2004", "2005", "January 2005",
                                         "May 2005", "1 May 2005"]
    assert [w.iso for w in ordered][1:3] == ["2005", "2005-01"]


@pytest.mark.parametrize(("value", "datatype"), [
    ("2005-13", "gYearMonth"), ("2006-02-30", "date"), ("soon", "gYear"), ("2005", "string")])
def test_what_is_no_date_is_not_placed_on_the_axis(value: str, datatype: str):
    assert parse_when(literal(value, datatype)) is None


def test_every_dated_statement_of_the_graph_is_an_item_once(bundled_store: Store, whole):
    rows = bundled_store.select(PREFIXES + f"""SELECT DISTINCT ?s ?p ?d WHERE {{
      {{ VALUES ?p {{ ag:date ag:signedOn ag:inForceFrom ag:endedOn dcterms:issued }}
         ?s ?p ?d FILTER(isIRI(?s) && DATATYPE(?d) IN ({DATE_TYPES.replace('> <', '>, <')})) }}
      UNION {{ ?s time:hasTime/time:hasBeginning/time:inXSDgYear ?d BIND(time:hasTime AS ?p) }}
    }}""")
    expected = sorted((r["s"].value, r["d"].value) for r in rows)
    assert expected, "the bundled graph has dated statements"
    assert sorted((i.iri, i.when.value) for i in whole.items) == expected


def test_the_items_are_in_time_order_and_each_year_holds_its_own(whole):
    keys = [i.when.key for i in whole.items]
    assert keys == sorted(keys)
    years = whole.by_year()
    assert [y for y, _ in years] == sorted({i.when.year for i in whole.items})
    assert all(item.when.year == year for year, items in years for item in items)
    # where the graph has a year and a month of the same year, the year comes first
    precisions = {(i.when.year, i.when.precision): n for n, i in enumerate(whole.items)}
    pairs = [(y, p) for (y, p) in precisions if p != "year" and (y, "year") in precisions]
    assert pairs, "the bundled graph mixes precisions within a year"
    first_of = {}
    for n, i in enumerate(whole.items):
        first_of.setdefault((i.when.year, i.when.precision), n)
    last_year = {i.when.year: n for n, i in enumerate(whole.items) if i.when.precision == "year"}
    assert all(last_year[y] < first_of[(y, p)] for y, p in pairs)


def test_dates_are_shown_as_precisely_as_printed(whole):
    for item in whole.items:
        text = item.when.text
        assert {"year": 0, "month": 1, "day": 2}[item.when.precision] == len(text.split()) - 1
        assert str(item.when.year) in text


def test_every_item_has_its_provenance(bundled_store: Store, whole):
    papers = {p.iri for p in whole.papers}
    assert len(papers) >= 2
    for item in (*whole.items, *whole.undated):
        assert item.sources, item.iri
        assert all(s.paper in papers and s.paper_label for s in item.sources), item.iri
    quoted = [(i, s) for i in whole.items for s in i.sources if s.via == "evidence"]
    assert quoted and all(s.quote for _, s in quoted)
    for item, source in quoted[:10]:  # the quote is the one on that entity's evidence
        assert bundled_store.ask(PREFIXES + f"""ASK {{ <{item.iri}> ag:evidence ?e .
            ?e prov:entity <{source.paper}> ; ag:quote {ox.Literal(source.quote)} }}""")


def test_entities_dated_only_in_words_are_listed_apart(bundled_store: Store, whole):
    rows = bundled_store.select(PREFIXES + """SELECT DISTINCT ?s WHERE { ?s ag:dateText ?t
      FILTER NOT EXISTS { ?s ag:date|ag:signedOn|ag:inForceFrom|ag:endedOn|dcterms:issued
                          |time:hasTime ?d } }""")
    assert sorted(i.iri for i in whole.undated) == sorted(r["s"].value for r in rows)
    assert all(i.when is None and i.date_text for i in whole.undated)


@pytest.mark.parametrize("paper_id", ["paper-a", "paper-b"])
def test_the_paper_filter_keeps_only_that_papers_items(whole, paper_id: str):
    paper = whole.paper(paper_id)
    shown = whole.filtered(paper=paper_id)
    assert 0 < len(shown.items) < len(whole.items)
    assert all(paper.iri in i.papers for i in (*shown.items, *shown.undated))
    left_out = [i for i in whole.items if i not in shown.items]
    assert left_out and all(paper.iri not in i.papers for i in left_out)


@pytest.mark.parametrize("kind", KINDS)
def test_the_kind_filter_keeps_only_that_kind(bundled_store: Store, whole, kind: str):
    shown = whole.filtered(kind=kind)
    assert shown.items or shown.undated
    assert all(i.kind == kind for i in (*shown.items, *shown.undated))
    if kind != "document":
        cls = {"event": "Event", "agreement": "Agreement", "policy": "Policy"}[kind]
        for item in shown.items:
            assert bundled_store.ask(
                PREFIXES + f"ASK {{ <{item.iri}> a/rdfs:subClassOf* ag:{cls} }}")


@pytest.mark.parametrize(("options", "parameter"), [
    ({"paper": "paper-z"}, "paper"), ({"kind": "battle"}, "kind"),
    ({"paper": "paper-a", "kind": "Event"}, "kind")])
def test_unknown_filter_values_are_refused_naming_the_parameter(whole, options, parameter):
    with pytest.raises(BadRequest, match=f"parameter {parameter}"):
        whole.filtered(**options)
