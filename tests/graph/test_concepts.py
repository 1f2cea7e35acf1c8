"""Issue 16's fidelity fixes over the bundled graph, by SPARQL: the concepts that used to
exist only inside claim text are entities (class, labels, definition, provenance) that the
claims about them point to; and the missing mentions and roles are recorded (Hinge's second
epigraph, the scholar behind "senior Korean scholars", the state an attack struck, paper B's
pull quotes, the two accounts of who proposed the quadripartite meeting)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from alliancegraph.ingest.markdown import parse
from alliancegraph.store import Store

BASE = "https://w3id.org/alliancegraph/"
ID = BASE + "id/"
CONCEPT = BASE + "scheme/security-concept/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PREFIXES = f"""PREFIX ag: <{BASE}ontology#> PREFIX agid: <{ID}>
PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX skos: <{SKOS}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX c4o: <http://purl.org/spar/c4o/>
"""


@dataclass(frozen=True)
class Concept:
    iri: str
    cls: str  # the class it is asserted to have (ag: local name or a full IRI)
    languages: tuple[str, ...]  # the languages of its skos:prefLabel
    papers: tuple[str, ...]  # the papers that name it
    #: claims whose paraphrase or quotes match this are about it, and must say so
    pattern: str


CONCEPTS = [
    Concept(f"{ID}policy/japan-unsc-permanent-seat-bid", "Policy", ("en",), ("paper-b",),
            r"(?<!non-)permanent (?:member of the )?UN Security Council"),
    Concept(f"{CONCEPT}codes-of-conduct", SKOS + "Concept", ("en", "ja", "ko"), ("paper-a",),
            r"codes? of conduct"),
    Concept(f"{CONCEPT}confidence-building-measures", SKOS + "Concept", ("en", "ja", "ko"),
            ("paper-a",), r"confidence.building"),
    Concept(f"{ID}event/south-china-sea-dispute", "Dispute", ("en", "ko"), ("paper-b",),
            r"South China Sea"),
    Concept(f"{CONCEPT}korean-unification", SKOS + "Concept", ("en", "ko"), ("paper-a",),
            r"unification"),
    Concept(f"{ID}place/sea-lanes-of-communication", "Place", ("en", "ja", "ko"), ("paper-a",),
            r"SLOCs?\b|sea lanes"),
    Concept(f"{CONCEPT}human-security", SKOS + "Concept", ("en", "ja", "ko"), ("paper-a",),
            r"\bhuman(?: security|,)"),
    Concept(f"{CONCEPT}preventive-diplomacy", SKOS + "Concept", ("en", "ja", "ko"),
            ("paper-a",), r"prevent\w* diplomacy"),
    Concept(f"{CONCEPT}franco-german-model", SKOS + "Concept", ("en",), ("paper-a",),
            r"Franco-German"),
    Concept(f"{CONCEPT}australia-japan-model", SKOS + "Concept", ("en",), ("paper-a",),
            r"Australia-Japan"),
    Concept(f"{CONCEPT}right-of-collective-defence", SKOS + "Concept", ("en", "ja", "ko"),
            ("paper-b",), r"collective defen[cs]e"),
    Concept(f"{CONCEPT}anti-communist-security-goal", SKOS + "Concept", ("en",), ("paper-b",),
            r"anti-communist"),
]


def _class(name: str) -> str:
    return name if "://" in name else f"{BASE}ontology#{name}"


def _ask(store: Store, query: str) -> bool:
    return store.ask(PREFIXES + query)


def _values(store: Store, query: str) -> list[dict[str, str]]:
    return [{k: v.value for k, v in row.items()} for row in store.select(PREFIXES + query)]


@pytest.mark.parametrize("concept", CONCEPTS, ids=lambda c: c.iri.rsplit("/", 1)[-1])
def test_each_concept_is_an_entity_with_class_labels_and_definition(bundled_store: Store,
                                                                    concept: Concept):
    assert _ask(bundled_store, f"ASK {{ <{concept.iri}> a <{_class(concept.cls)}> }}")
    labels = _values(bundled_store, f"""SELECT ?label (LANG(?label) AS ?lang) {{
        <{concept.iri}> skos:prefLabel ?label }}""")
    assert sorted(row["lang"] for row in labels) == sorted(concept.languages)
    definitions = _values(bundled_store, f"""SELECT ?d {{ <{concept.iri}> skos:definition ?d
        FILTER (langMatches(lang(?d), "en")) }}""")
    assert len(definitions) == 1 and len(definitions[0]["d"]) > 40
    if concept.cls == SKOS + "Concept":  # a concept of the project's scheme
        assert _ask(bundled_store, f"""ASK {{ <{concept.iri}> skos:inScheme ?scheme ;
            skos:topConceptOf ?scheme . ?scheme skos:hasTopConcept <{concept.iri}> }}""")


@pytest.mark.parametrize("concept", CONCEPTS, ids=lambda c: c.iri.rsplit("/", 1)[-1])
def test_each_concept_is_derived_from_its_papers_with_exact_quotes(bundled_store: Store,
                                                                   paper_texts, concept):
    derived = {row["paper"] for row in _values(bundled_store, f"""SELECT ?paper {{
        <{concept.iri}> prov:wasDerivedFrom ?paper }}""")}
    assert derived == {ID + paper for paper in concept.papers}
    evidence = _values(bundled_store, f"""SELECT ?paper ?section ?quote {{
        <{concept.iri}> ag:evidence [ prov:entity ?paper ; ag:inSection ?section ;
                                      ag:quote ?quote ] .
        ?section ag:ofPaper ?paper }}""")
    assert {row["paper"] for row in evidence} == derived
    for row in evidence:
        assert row["quote"] in paper_texts[row["paper"].removeprefix(ID)], row


def _claims(store: Store) -> list[dict[str, str]]:
    """Every claim (recommendations and challenges too) with its text: paraphrase, quotes."""
    return _values(store, f"""
        SELECT ?claim (GROUP_CONCAT(DISTINCT ?text; separator=" | ") AS ?texts) {{
          GRAPH <{BASE}graph/ontology> {{ ?kind rdfs:subClassOf* ag:Claim }}
          ?claim a ?kind .
          {{ ?claim ag:paraphrase ?text }} UNION {{ ?claim ag:evidence/ag:quote ?text }}
        }} GROUP BY ?claim""")


@pytest.mark.parametrize("concept", CONCEPTS, ids=lambda c: c.iri.rsplit("/", 1)[-1])
def test_every_claim_about_a_concept_points_to_it(bundled_store: Store, concept: Concept):
    about = {row["claim"] for row in _values(bundled_store, f"""SELECT ?claim {{
        ?claim ag:about <{concept.iri}> ; ag:claimedBy ?paper }}""")}
    assert about, "no claim is about it"
    mentioning = {row["claim"] for row in _claims(bundled_store)
                  if re.search(concept.pattern, row["texts"])}
    assert mentioning, "the pattern finds no claim: it is stale"
    assert sorted(mentioning - about) == []


def test_the_claim_texts_are_found(bundled_store: Store):
    """Guards the search above against a silently empty query."""
    claims = _claims(bundled_store)
    assert len(claims) > 100 and all(row["texts"] for row in claims)


# --- mentions and roles --------------------------------------------------------------------


def _mentions(store: Store, entity: str) -> list[dict[str, str]]:
    return _values(store, f"""SELECT ?section ?quote ?footnote {{
        <{entity}> ag:evidence ?e . ?e ag:inSection ?section ; ag:quote ?quote .
        OPTIONAL {{ ?e ag:supportingFootnote ?footnote }} }}""")


def test_hinges_second_epigraph_is_a_mention(bundled_store: Store):
    """Section 3 opens with a second epigraph by Alan J. Hinge, cited in footnote 5."""
    found = {(row["section"], row.get("footnote")) for row in
             _mentions(bundled_store, f"{ID}person/alan-j-hinge")}
    assert (f"{ID}paper-a/section/3", f"{ID}paper-a/footnote/5") in found
    assert (f"{ID}paper-a/section/2", f"{ID}paper-a/footnote/1") in found
    # footnote 5 cites Hinge's work: the mention is the epigraph's attribution
    assert _ask(bundled_store, """ASK { agid:paper-a\\/footnote\\/5 ag:citesWork ?w .
        ?w dcterms:creator agid:person\\/alan-j-hinge }""")


def test_senior_korean_scholars_are_the_scholar_footnote_39_names(bundled_store: Store):
    mentions = [row for row in _mentions(bundled_store, f"{ID}person/jong-ryn-mo")
                if "senior Korean scholars" in row["quote"]]
    assert [row.get("footnote") for row in mentions] == [f"{ID}paper-a/footnote/39"]
    # the footnote's work is Mo's, and the claim that quotes the phrase is about him
    assert _ask(bundled_store, """ASK { agid:paper-a\\/footnote\\/39 ag:citesWork ?w .
        ?w dcterms:creator agid:person\\/jong-ryn-mo }""")
    claims = _values(bundled_store, """SELECT ?claim {
        ?claim a ag:Claim ; ag:about agid:person\\/jong-ryn-mo ;
               ag:evidence/ag:quote ?q FILTER (CONTAINS(?q, "senior Korean scholars")) }""")
    assert claims


def test_every_attack_has_the_state_it_struck(bundled_store: Store):
    rows = _values(bundled_store, """SELECT ?attack ?state {
        ?attack a ag:Attack . OPTIONAL { ?attack ag:affected ?state . ?state a ag:State } }""")
    affected = {row["attack"].removeprefix(ID): row.get("state", "").removeprefix(ID)
                for row in rows}
    assert affected == {"event/korean-air-bombing-1987": "state/south-korea",
                        "event/tokyo-sarin-attack-1995": "state/japan",
                        "event/september-11-attacks": "state/united-states"}


def test_what_paper_a_says_of_the_attacks_is_in_its_graph(bundled_store: Store):
    """"…the Sarin gas attacks in Tokyo in 1995, and the 1987 Korean Air bombing,
    respectively": Japan's and the ROK's, so both are statements of paper A."""
    rows = _values(bundled_store, f"""SELECT ?attack ?state {{
        GRAPH <{BASE}graph/paper-a> {{ ?attack ag:affected ?state ; ag:evidence ?e }} }}""")
    assert {(r["attack"], r["state"]) for r in rows} == {
        (f"{ID}event/korean-air-bombing-1987", f"{ID}state/south-korea"),
        (f"{ID}event/tokyo-sarin-attack-1995", f"{ID}state/japan")}


def _pull_quotes(store: Store) -> list[dict[str, str]]:
    return _values(store, """SELECT ?pq ?content ?printedIn ?repeats ?quote {
        ?pq a ag:PullQuote ; c4o:hasContent ?content ; ag:inSection ?printedIn ;
            ag:evidence [ ag:inSection ?repeats ; ag:quote ?quote ] }""")


def test_the_pull_quotes_are_those_the_ingest_parser_finds(bundled_store: Store, seed_markdown,
                                                           normaliser):
    """The data and the code (alliancegraph.ingest.markdown) agree on paper B's pull quotes;
    paper A has none."""
    for paper in ("paper-a", "paper-b"):
        found = {(f"{ID}{paper}/section/{p.section}", normaliser(p.text))
                 for p in parse(seed_markdown[paper]).pull_quotes}
        recorded = {(row["printedIn"], row["content"]) for row in _pull_quotes(bundled_store)
                    if row["printedIn"].startswith(f"{ID}{paper}/")}
        assert recorded == found, paper
    assert len(found) == 7


def test_each_pull_quote_repeats_running_text(bundled_store: Store, paper_texts):
    """Its evidence quotes the running text it repeats: the quote is printed outside the
    pull quote too (pull quote 3 prints "multi-lateral" for the text's "multilateral")."""
    text = paper_texts["paper-b"]
    rows = _pull_quotes(bundled_store)
    assert rows
    for row in rows:
        assert row["content"] in text
        assert text.count(row["quote"]) > row["content"].count(row["quote"]), row["pq"]
        assert _ask(bundled_store, f"ASK {{ <{row['repeats']}> ag:ofPaper agid:paper-b }}")


def test_the_two_accounts_of_who_proposed_the_quadripartite_meeting(bundled_store: Store,
                                                                    paper_texts):
    forms = _values(bundled_store, """SELECT ?form ?where {
        ?d a ag:Discrepancy ; ag:discrepancyOf agid:agreement\\/quadripartite-meeting-proposal ;
           ag:hasVariantForm [ ag:formText ?form ; ag:printedIn ?where ] }""")
    assert {row["where"].removeprefix(ID) for row in forms} == {
        "paper-b/section/3-2", "paper-b/section/5-1"}
    assert all(row["form"] in paper_texts["paper-b"] for row in forms)
    # the U.S. is a proposer on the word of section 5-1 only
    sections = {row["section"].removeprefix(ID) for row in _values(bundled_store, """
        SELECT ?section { ?p ag:partyOf agid:agreement\\/quadripartite-meeting-proposal ;
            ag:party agid:state\\/united-states ;
            ag:partyRole <https://w3id.org/alliancegraph/scheme/party-role/proposer> ;
            ag:evidence/ag:inSection ?section }""")}
    assert sections == {"paper-b/section/5-1"}
