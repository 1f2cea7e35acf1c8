"""Footnotes, bibliography, citations and scholarly terms, checked against the papers."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph import CANONICAL_BASE

ID = f"{CANONICAL_BASE}id/"
PREFIXES = f"""
PREFIX ag: <{CANONICAL_BASE}ontology#>
PREFIX agid: <{ID}>
PREFIX cito: <http://purl.org/spar/cito/>
PREFIX biro: <http://purl.org/spar/biro/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
"""


def rows(store: ox.Store, query: str) -> list[ox.QuerySolution]:
    return list(store.query(PREFIXES + query, use_default_graph_as_union=True))


def footnotes(store: ox.Store, paper: str) -> list[ox.QuerySolution]:
    return rows(
        store,
        f"""SELECT ?fn ?number ?label ?section ?text {{
        ?fn a ag:Footnote ; ag:ofPaper agid:{paper} ; ag:footnoteNumber ?number ;
            ag:footnoteLabel ?label ;
            ag:inSection ?s ; ag:fullText ?text .
        ?s ag:ofPaper agid:{paper} ; ag:sectionNumber ?section }}""",
    )


# The section in which each footnote's marker stands, read from the papers.
A_SECTIONS = {
    **{n: "2" for n in range(1, 5)},
    **{n: "3" for n in range(5, 12)},
    12: "3-1",
    13: "3-1",
    **{n: "3-2" for n in range(14, 18)},
    **{n: "3-3" for n in range(18, 23)},
    **{n: "3-4" for n in range(23, 28)},
    **{n: "4-1" for n in range(28, 32)},
    32: "4-2",
    33: "4-2",
    34: "4-3",
    35: "4-3",
    36: "4-4",
    **{n: "4-5" for n in range(37, 42)},
}
B_FOOTNOTES = {
    "1": ("1", "2-1"),
    "2": ("2", "3-2"),
    "3": ("3", "3-3"),
    "4a": ("4", "5"),
    "5": ("5", "5-1"),
    "4b": ("4", "5-1"),
}
SPLIT = {"4", "7", "19"}  # paper A footnotes continued after a page break


def test_paper_a_has_each_footnote_number_exactly_once(source_store):
    found = footnotes(source_store, "paper-a")
    numbers = Counter(r["number"].value for r in found)
    assert numbers == Counter(str(n) for n in range(1, 42))
    assert {int(r["number"].value): r["section"].value for r in found} == A_SECTIONS
    assert all(r["label"].value == r["number"].value for r in found)
    assert all(r["fn"].value == f"{ID}paper-a/footnote/{r['number'].value}" for r in found)


def test_paper_b_prints_the_number_4_twice(source_store):
    found = footnotes(source_store, "paper-b")
    assert Counter(r["number"].value for r in found) == Counter(["1", "2", "3", "4", "4", "5"])
    assert {r["label"].value: (r["number"].value, r["section"].value) for r in found} == B_FOOTNOTES
    duplicated = rows(source_store, "SELECT ?n { agid:paper-b ag:duplicatedFootnoteNumber ?n }")
    assert [r["n"].value for r in duplicated] == ["4"]
    notes = rows(source_store, "SELECT ?fn { ?fn a ag:ContentNote }")
    assert {r["fn"].value for r in notes} == {f"{ID}paper-b/footnote/4b", f"{ID}paper-b/footnote/5"}


@pytest.mark.parametrize("paper", ["paper-a", "paper-b"])
def test_footnote_texts_are_printed_in_the_paper(source_store, paper_texts, paper):
    found = footnotes(source_store, paper)
    assert found
    for row in found:
        text = row["text"].value
        if paper == "paper-a" and row["number"].value in SPLIT:
            continue  # joined across a page break: test_scholarly checks the joined text
        assert text in paper_texts[paper], row["label"].value
        assert not text.startswith(row["number"].value + " ")


def test_split_footnotes_are_marked(source_store):
    found = rows(source_store, "SELECT ?n { ?fn ag:splitAcrossPages true ; ag:footnoteNumber ?n }")
    assert {r["n"].value for r in found} == SPLIT


def test_paper_a_bibliography_has_26_entries_in_order(source_store, paper_texts):
    found = rows(
        source_store,
        """SELECT ?entry ?k ?text ?work {
        agid:paper-a\\/bibliography a biro:ReferenceList ; ag:hasEntry ?entry .
        ?entry a ag:BibliographyEntry ; ag:entryNumber ?k ; ag:fullText ?text ;
               biro:references ?work ;
               ag:ofPaper agid:paper-a }""",
    )
    assert sorted(int(r["k"].value) for r in found) == list(range(1, 27))
    texts = {int(r["k"].value): r["text"].value for r in found}
    assert (
        texts[1] == 'Auslin, Michael R., "Japan and South Korea: The new East Asian core", '
        "Orbis, 49:3, Summer 2005,"
    )
    assert (
        texts[20] == "ROK Ministry of National Defense, \uad6d\ubc29\uacc4\ud68d 2020, "
        "Ministry of National Defence,."
    )
    for k, text in texts.items():
        assert k == 1 or text in paper_texts["paper-a"], k
    # printed order is alphabetical by the first word printed, as in the paper
    assert texts[4].startswith("Buzan, Barry in Alagappa") and texts[26].startswith(
        "Walt, Stephen M."
    )
    works = [r["work"].value for r in found]
    assert len(set(works)) == 26


def test_41_footnotes_cite_the_26_bibliography_works_one_to_one(source_store):
    cited = rows(
        source_store,
        """SELECT ?fn ?work { ?fn ag:ofPaper agid:paper-a ; a ag:Footnote ; ag:citesWork ?work }""",
    )
    per_footnote = Counter(r["fn"].value for r in cited)
    assert len(per_footnote) == 41 and set(per_footnote.values()) == {1}
    entries = rows(
        source_store,
        """SELECT ?entry ?work { ?entry a ag:BibliographyEntry ; biro:references ?work }""",
    )
    per_work = Counter(r["work"].value for r in entries)
    assert set(per_work.values()) == {1}
    assert set(per_work) == {r["work"].value for r in cited}
    assert len(per_work) == 26


def test_citations_agree_with_their_footnotes(source_store):
    """Each citation's pointer is a footnote of the citing paper that cites the cited work."""
    found = rows(
        source_store,
        """SELECT ?c ?paper ?work ?fn ?fnPaper ?start ?end {
        ?c a cito:Citation ; cito:hasCitingEntity ?paper ; cito:hasCitedEntity ?work ;
           ag:hasInTextPointer ?fn .
        ?fn ag:ofPaper ?fnPaper .
        FILTER EXISTS { ?fn ag:citesWork ?work }
        OPTIONAL { ?c ag:pageStart ?start ; ag:pageEnd ?end } }""",
    )
    everything = rows(source_store, "SELECT ?c { ?c a cito:Citation }")
    assert len(found) == len(everything) == 41 + 5
    for row in found:
        assert row["paper"] == row["fnPaper"]
        if row["start"] is not None:
            assert int(row["start"].value) <= int(row["end"].value)


@pytest.mark.parametrize("paper", ["paper-a", "paper-b"])
def test_characterisation_cues_are_quoted_from_the_paper(source_store, paper_texts, paper):
    found = rows(
        source_store,
        f"SELECT ?cue {{ ?c cito:hasCitingEntity agid:{paper} ; ag:characterizationCue ?cue }}",
    )
    assert found
    for row in found:
        assert row["cue"].value in paper_texts[paper]


def test_korean_title_kept_in_its_script(source_store):
    found = rows(
        source_store,
        """SELECT ?title {
        agid:work\\/rok-ministry-of-national-defense-gukbang-gaehyeok-2020
            dcterms:title ?title }""",
    )
    assert [(r["title"].value, r["title"].language) for r in found] == [
        ("\uad6d\ubc29\uac1c\ud601 2020", "ko")
    ]


def test_a_person_cited_by_both_papers_is_one_node_in_both_graphs(source_store):
    found = rows(
        source_store,
        f"""SELECT ?g ?record {{
        GRAPH ?g {{ <{ID}person/yoshihide-soeya> ag:describedIn ?record }} }}""",
    )
    by_graph = {(r["g"].value.rsplit("/", 1)[1], r["record"].value[len(ID) :]) for r in found}
    assert by_graph == {
        ("paper-a", "paper-a/footnote/30"),
        ("paper-a", "paper-a/bibliography/23"),
        ("paper-b", "paper-b/footnote/3"),
    }


def test_every_scholarly_node_has_a_label(source_store):
    found = rows(
        source_store,
        """SELECT DISTINCT ?s {
        { ?s ag:describedIn ?r } UNION { ?s a ag:Footnote } UNION { ?s a ag:BibliographyEntry }
        UNION { ?s a cito:Citation } UNION { ?s a ag:Discrepancy } UNION { ?s a ag:DateBound }
        UNION { ?x ag:describedIn ?r ; dcterms:creator|ag:editor|dcterms:publisher|ag:discrepancyOf|
                  <http://purl.org/vocab/frbr/core#partOf>|<https://schema.org/locationCreated> ?s }
        FILTER (isIRI(?s))
        FILTER NOT EXISTS { ?s rdfs:label|skos:prefLabel ?label }
    }""",
    )
    assert [r["s"].value for r in found] == []


def test_every_paper_graph_node_of_the_scholarly_layer_names_its_record(source_store):
    """Works, containers, persons and citations say which footnote or entry prints them."""
    found = rows(
        source_store,
        """SELECT DISTINCT ?s {
        { ?c cito:hasCitedEntity ?s } UNION { ?c a cito:Citation . BIND(?c AS ?s) }
        UNION { ?w ag:describedIn ?r ; <http://purl.org/vocab/frbr/core#partOf>+ ?s }
        FILTER NOT EXISTS { ?s ag:describedIn ?record }
    }""",
    )
    assert [r["s"].value for r in found] == []


SCHOLARLY_TERMS = """SELECT ?term ?p ?o { GRAPH <%sgraph/ontology> {
    ?term rdfs:isDefinedBy <%sontology> .
    FILTER (?term IN (%s)) ?term ?p ?o } }"""
TERMS = [
    "Citation",
    "Footnote",
    "ContentNote",
    "BibliographyEntry",
    "Interview",
    "GovernmentDocument",
    "EditedVolume",
    "Discrepancy",
    "VariantForm",
    "DateBound",
    "hasInTextPointer",
    "quotedPerson",
    "editor",
    "citesWork",
    "hasEntry",
    "interviewee",
    "interviewer",
    "presentedAt",
    "discrepancyOf",
    "hasVariantForm",
    "printedIn",
    "datedDocument",
    "footnoteNumber",
    "footnoteLabel",
    "fullText",
    "splitAcrossPages",
    "duplicatedFootnoteNumber",
    "entryNumber",
    "sectionOrder",
    "citedPages",
    "pages",
    "pageStart",
    "pageEnd",
    "accessDate",
    "season",
    "imprint",
    "publicationPlace",
    "seriesTitle",
    "accessedThrough",
    "characterizationCue",
    "aspect",
    "formText",
    "affiliationAsPrinted",
    "notBefore",
]


def test_scholarly_terms_are_documented_and_aligned(source_store):
    iris = ", ".join(f"ag:{t}" for t in TERMS)
    found = rows(source_store, SCHOLARLY_TERMS % (CANONICAL_BASE, CANONICAL_BASE, iris))
    props: dict[str, dict[str, list]] = {}
    for r in found:
        props.setdefault(r["term"].value.split("#")[1], {}).setdefault(r["p"].value, []).append(
            r["o"]
        )
    assert set(props) == set(TERMS)
    rdfs, skos = "http://www.w3.org/2000/01/rdf-schema#", "http://www.w3.org/2004/02/skos/core#"
    for term, p in props.items():
        assert any(o.language == "en" for o in p.get(rdfs + "label", [])), term
        assert p.get(skos + "definition"), term
        assert p.get("http://purl.org/dc/terms/source") or p.get(rdfs + "seeAlso"), term
    languages = {o.language for o in props["Citation"][rdfs + "label"]}
    assert {"en", "ja", "ko"} <= languages
    assert props["Citation"][rdfs + "subClassOf"] == [
        ox.NamedNode("http://purl.org/spar/cito/Citation")
    ]
    assert props["Footnote"][rdfs + "subClassOf"] == [
        ox.NamedNode("http://purl.org/spar/doco/Footnote")
    ]


def test_scholarly_terms_used_in_the_paper_graphs_are_defined(source_store):
    found = rows(
        source_store,
        f"""SELECT DISTINCT ?term {{
        GRAPH ?g {{ {{ ?s ?term ?o }} UNION {{ ?s a ?term }} }}
        FILTER (?g IN (<{CANONICAL_BASE}graph/paper-a>, <{CANONICAL_BASE}graph/paper-b>))
        FILTER (STRSTARTS(STR(?term), "{CANONICAL_BASE}ontology#"))
        FILTER NOT EXISTS {{ GRAPH <{CANONICAL_BASE}graph/ontology> {{ ?term a ?kind }} }}
    }}""",
    )
    assert [r["term"].value for r in found] == []


def test_cited_things_are_linked_or_listed_for_review(source_store):
    """Journals, newspapers, websites, works and persons of the scholarly layer either have a
    link out (graph/links) or a row in graph/sources/links/review.csv."""
    review = Path(__file__).resolve().parents[2] / "graph" / "sources" / "links" / "review.csv"
    with review.open(encoding="utf-8", newline="") as handle:
        listed = {row["iri"] for row in csv.DictReader(handle)}
    found = rows(
        source_store,
        f"""SELECT DISTINCT ?s {{
        ?s ag:describedIn ?record .
        FILTER (REGEX(STR(?s), "^{ID}(journal|newspaper|website|work|person)/[^/]+$"))
        FILTER NOT EXISTS {{ GRAPH <{CANONICAL_BASE}graph/links> {{ ?s ?p ?o }} }}
    }}""",
    )
    assert len(found) > 50
    assert sorted(r["s"].value for r in found if r["s"].value not in listed) == []
    linked = rows(
        source_store,
        f"""SELECT ?s ?issn {{ GRAPH <{CANONICAL_BASE}graph/links> {{
            ?s <https://schema.org/issn> ?issn }} }}""",
    )
    assert {(r["s"].value[len(ID) :], r["issn"].value) for r in linked} == {
        ("journal/survival", "0039-6338"),
        ("journal/orbis", "0030-4387"),
        ("journal/the-washington-quarterly", "0163-660X"),
    }
