"""What paper A argues and reports, as the graph records it (graph/sources/paper-a).

Every expected answer below was written from a reading of paper A (Hinata-Yamaguchi,
"New age in Japan-ROK relations"), not from the queries' output. The shipped queries
(graph/queries/paper-a-*.rq) run over the union of the source graphs, as the service does;
the direct checks query the statement nodes themselves (no inference).
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph import CANONICAL_BASE

QUERIES = Path(__file__).resolve().parents[2] / "graph" / "queries"
ID = f"{CANONICAL_BASE}id/"
SCHEME = f"{CANONICAL_BASE}scheme/"
PAPER_A_GRAPH = f"{CANONICAL_BASE}graph/paper-a"
PREFIXES = f"""
PREFIX ag: <{CANONICAL_BASE}ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX org: <http://www.w3.org/ns/org#>
"""

ALIGNMENT = "agreement/japan-rok-security-alignment-proposal"
JAPAN, ROK = "state/japan", "state/south-korea"
CONCERN, LOW = "perception-intensity/concern", "perception-intensity/low-priority"
MAJOR = "perception-intensity/major-threat"


def _short(term: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> str | None:
    """IRIs without the id/ or scheme/ base; literals as their lexical value."""
    if term is None:
        return None
    value = term.value
    if isinstance(term, ox.NamedNode):
        for base in (ID, SCHEME):
            if value.startswith(base):
                return value[len(base) :]
    return value


def run(store: ox.Store, name: str) -> list[tuple]:
    """Rows of a shipped query as tuples of short strings, in the query's order."""
    text = (QUERIES / f"{name}.rq").read_text(encoding="utf-8")
    result = store.query(text, use_default_graph_as_union=True)
    variables = [v.value for v in result.variables]
    return [tuple(_short(row[v]) for v in variables) for row in result]


def select(store: ox.Store, query: str) -> list[tuple]:
    """Run a query whose ``agid:kind/slug`` names (not valid SPARQL prefixed names) are expanded."""
    query = re.sub(r"agid:([A-Za-z0-9/-]+)", lambda m: f"<{ID}{m.group(1)}>", query)
    result = store.query(PREFIXES + query, use_default_graph_as_union=True)
    variables = [v.value for v in result.variables]
    return [tuple(_short(row[v]) for v in variables) for row in result]


# ---------------------------------------------------------------- the shipped queries


def test_cooperation_areas_and_what_they_contain(source_store):
    rows = run(source_store, "paper-a-cooperation-areas")
    assert len(rows) == 13
    c = "paper-a/cooperation/"
    assert {(r[0], r[2]) for r in rows} == {
        (c + "dprk", c + "dprk-deterrence"),
        (c + "dprk", c + "dprk-engagement-and-development"),
        (c + "dprk", c + "dprk-over-reaction-control"),
        (c + "dprk", c + "korean-unification"),
        (c + "counter-terrorism", c + "terrorism-intelligence-sharing"),
        (c + "counter-terrorism", c + "terrorism-root-causes-research"),
        (c + "counter-terrorism", c + "counter-terrorism-ideas-exchange"),
        (c + "transnational-crime", c + "police-coordination"),
        (c + "transnational-crime", c + "coast-guard-coordination"),
        (c + "non-traditional-security", c + "search-and-rescue-and-disaster-relief"),
        (c + "non-traditional-security", c + "sloc-security"),
        (c + "non-traditional-security", c + "joint-eez-surveys"),
        (c + "china", c + "deterring-china"),
    }
    by_part = {r[2]: (set((r[4] or "").split()), set((r[5] or "").split())) for r in rows}
    threat, body = f"{ID}threat/", f"{ID}body/"
    # police coordination targets the five crimes paper A lists, through both police agencies
    assert by_part[c + "police-coordination"] == (
        {
            threat + t
            for t in (
                "illegal-immigration",
                "drug-trafficking",
                "illegal-employment",
                "prostitution",
                "piracy",
            )
        },
        {body + "japan-national-police-agency", body + "korean-national-police-agency"},
    )
    assert by_part[c + "coast-guard-coordination"] == (
        {threat + "maritime-intrusions"},
        {body + "japan-coast-guard", body + "korea-coast-guard"},
    )
    assert by_part[c + "search-and-rescue-and-disaster-relief"] == (
        {threat + "natural-disasters"},
        {f"{ID}agreement/japan-rok-joint-search-and-rescue"},
    )
    assert by_part[c + "sloc-security"][0] == {
        threat + "energy-supply-disruption",
        threat + "slocs-attack",
    }


def test_cq9_dprk_claims_with_footnotes_works_and_pages(source_store):
    rows = run(source_store, "paper-a-dprk-claims-evidence")
    assert len(rows) == 6
    w = "work/"
    snyder, izumi = w + "snyder-2005-south-koreas-squeeze-play", w + "izumi-2003-round-table"
    soeya = w + "soeya-1998-japan-normative-constraints"
    mo = w + "mo-1999-korean-unification-and-korea-japan-security-cooperation"
    assert {(r[0], r[1], r[2], r[3], r[6], r[7]) for r in rows} == {
        (
            "paper-a/claim/dprk-still-a-military-threat",
            "paper-a/section/4-1",
            "28",
            snyder,
            "93",
            "93",
        ),
        (
            "paper-a/claim/synchronise-with-engagement-policy",
            "paper-a/section/4-1",
            "29",
            izumi,
            "20",
            "20",
        ),
        (
            "paper-a/claim/unification-cooperation-different-justifications",
            "paper-a/section/4-1",
            "30",
            soeya,
            "207",
            "207",
        ),
        (
            "paper-a/claim/unification-cooperation-different-justifications",
            "paper-a/section/4-1",
            "31",
            mo,
            "74",
            "74",
        ),
        (
            "paper-a/challenge/diverging-views-on-the-dprk",
            "paper-a/section/4-1",
            "30",
            soeya,
            "207",
            "207",
        ),
        (
            "paper-a/challenge/diverging-views-on-the-dprk",
            "paper-a/section/4-1",
            "31",
            mo,
            "74",
            "74",
        ),
    }


# fact: (value, unit code, supporting footnote, unsupported, the number as printed in the quote)
NUMERIC_FACTS = {
    "japan-rok-trade-value": ("70000000000", None, "16", None, "70 billion"),
    "japan-rok-combined-population": ("175000000", "IE", None, "true", "175million"),
    "capital-city-population": ("10000000", "IE", None, "true", "10 million"),
    "city-population-threshold": ("1000000", "IE", None, "true", "over a million"),
    "people-crossing": ("10000", "IE", None, "true", "10,000 people"),
    "korean-share-of-foreign-criminals": ("11.1", "P1", "34", None, "11.1%"),
    "korean-rank-among-foreign-criminals": (
        "2",
        None,
        "34",
        None,
        "second behind Chinese nationals",
    ),
    "diplomatic-history-length": ("40", "ANN", None, "true", "40 years"),
    "troubled-relations-period": ("18", "MON", None, "true", "18 months"),
}


def test_cq10_numeric_facts_with_provenance(source_store):
    rows = run(source_store, "paper-a-numeric-facts")
    found = {r[0].removeprefix("paper-a/fact/"): (r[1], r[3], r[8], r[9]) for r in rows}
    assert found == {name: spec[:4] for name, spec in NUMERIC_FACTS.items()}
    assert len(rows) == len(NUMERIC_FACTS)  # one evidence each, no reference date printed
    for fact, _value, _unit, _code, _measured, date, _section, quote, _fn, _flag in rows:
        assert date is None
        assert NUMERIC_FACTS[fact.removeprefix("paper-a/fact/")][4] in quote


def test_challenges_paper_a_names(source_store):
    rows = run(source_store, "paper-a-challenges")
    c, s = "paper-a/cooperation/", "paper-a/section/"
    found = {
        r[0].removeprefix("paper-a/challenge/"): (
            r[2],
            set(r[3].split()),
            set((r[4] or "").split()),
        )
        for r in rows
    }
    sec = {
        name: {f"{ID}{s}{n}" for n in numbers}
        for name, numbers in {
            "distrust-and-resentment": ["3"],
            "nationalism": ["1", "3"],
            "sovereignty-disputes": ["3-1"],
            "domestic-politics": ["3-2"],
            "mutual-suspicion-over-arms-modernisation": ["3-3"],
            "hostile-rhetoric": ["3-3"],
            "us-alliance-framework": ["3-4"],
            "diverging-views-on-the-dprk": ["4-1"],
            "sovereignty-limits-counter-terrorism": ["4-2"],
            "coast-guard-mismatches": ["4-3"],
            "china-hostile-reaction": ["4-5"],
        }.items()
    }
    assert found == {
        "distrust-and-resentment": (ALIGNMENT, sec["distrust-and-resentment"], {"6"}),
        "nationalism": (ALIGNMENT, sec["nationalism"], set()),
        "sovereignty-disputes": (ALIGNMENT, sec["sovereignty-disputes"], {"12"}),
        "domestic-politics": (ALIGNMENT, sec["domestic-politics"], {"14"}),
        "mutual-suspicion-over-arms-modernisation": (
            ALIGNMENT,
            sec["mutual-suspicion-over-arms-modernisation"],
            {"18", "19", "20"},
        ),
        "hostile-rhetoric": (ALIGNMENT, sec["hostile-rhetoric"], set()),
        "us-alliance-framework": (ALIGNMENT, sec["us-alliance-framework"], {"27"}),
        "diverging-views-on-the-dprk": (
            c + "dprk",
            sec["diverging-views-on-the-dprk"],
            {"30", "31"},
        ),
        "sovereignty-limits-counter-terrorism": (
            c + "counter-terrorism",
            sec["sovereignty-limits-counter-terrorism"],
            set(),
        ),
        "coast-guard-mismatches": (c + "transnational-crime", sec["coast-guard-mismatches"], set()),
        "china-hostile-reaction": (ALIGNMENT, sec["china-hostile-reaction"], {"40"}),
    }


def test_events_paper_a_dates_before_2000(source_store):
    rows = run(source_store, "paper-a-events-before-2000")
    assert [(r[0], r[2], r[3]) for r in rows] == [
        ("event/korean-air-bombing-1987", "1987", None),
        ("event/tokyo-sarin-attack-1995", "1995", "place/tokyo"),
    ]


def test_threats_both_states_perceive(source_store):
    rows = run(source_store, "paper-a-shared-threats")
    assert len(rows) == 9
    assert {(r[0].removeprefix("threat/"), r[2], r[3]) for r in rows} == {
        ("north-korea-nuclear-programme", CONCERN, CONCERN),
        ("north-korean-threat", CONCERN, CONCERN),
        ("dprk-abductions-espionage", CONCERN, CONCERN),
        ("terrorism", CONCERN, CONCERN),
        ("slocs-attack", CONCERN, CONCERN),
        ("transnational-crime", CONCERN, CONCERN),
        ("natural-disasters", CONCERN, CONCERN),
        ("energy-supply-disruption", CONCERN, CONCERN),
        ("china-regional-hegemony", CONCERN, LOW),
    }
    china = next(r for r in rows if r[0] == "threat/china-regional-hegemony")
    assert china[5] == "low on the priority list for the ROK"


def test_threats_only_one_state_perceives(source_store):
    rows = run(source_store, "paper-a-one-sided-threats")
    assert len(rows) == 4
    assert {(r[0], r[1].removeprefix("threat/"), r[3]) for r in rows} == {
        (JAPAN, "unified-korea-anti-japanese-front", MAJOR),
        (JAPAN, "korean-unification-spillover", CONCERN),
        (JAPAN, "rok-military-modernisation", CONCERN),
        (ROK, "japan-military-expansion", CONCERN),
    }


def test_agreements_with_the_united_states(source_store):
    rows = run(source_store, "paper-a-us-agreements")
    assert len(rows) == 5
    assert {(r[0], r[2], r[3], r[4], r[5]) for r in rows} == {
        (
            "org/tcog",
            "party-role/member",
            "agreement-status/defunct",
            None,
            "at the turn of the millennium",
        ),
        (
            "agreement/us-japan-alliance",
            "party-role/party",
            "agreement-status/in-force",
            None,
            None,
        ),
        ("agreement/us-rok-alliance", "party-role/party", "agreement-status/in-force", None, None),
        (
            "agreement/us-japan-rok-trilateral",
            "party-role/member",
            "agreement-status/incomplete",  # "the third leg" is missing
            None,
            None,
        ),
        ("agreement/us-hub-and-spokes-system", "party-role/member", None, None, None),
    }


def test_recommendations_by_section(source_store):
    rows = run(source_store, "paper-a-recommendations")
    assert len(rows) == 16
    found = {
        (r[0].removeprefix("paper-a/section/"), r[1].removeprefix("paper-a/claim/")) for r in rows
    }
    assert found == {
        ("2", "focus-first-on-non-traditional-security-and-intelligence"),
        ("2", "build-government-level-forum"),
        ("3", "australia-japan-model"),
        ("3-1", "sovereignty-codes-of-conduct"),
        ("3-2", "grass-roots-and-economic-foundation"),
        ("3-2", "establish-fta"),
        ("3-3", "clarify-military-modernisation"),
        ("3-3", "start-with-non-traditional-security"),
        ("3-4", "stay-within-us-framework"),
        ("4-1", "synchronise-with-engagement-policy"),
        ("4-2", "cooperate-on-counter-terrorism"),
        ("4-3", "increase-police-coordination"),
        ("4-3", "coast-guard-intrusion-measures"),
        ("4-4", "continue-joint-search-and-rescue"),
        ("4-4", "sloc-security-shared-theme"),
        ("5", "joint-efforts-against-non-state-threats"),
    }
    footnotes = {r[1].removeprefix("paper-a/claim/"): set((r[5] or "").split()) for r in rows}
    assert footnotes["start-with-non-traditional-security"] == {"21", "22"}
    assert footnotes["clarify-military-modernisation"] == {"18", "19", "20"}
    assert footnotes["sovereignty-codes-of-conduct"] == set()


# ---------------------------------------------------------------- direct checks on statement nodes


def test_the_proposed_alignment_is_a_bonding_alliance_of_japan_and_the_rok(source_store):
    rows = select(
        source_store,
        f"""
        SELECT ?status ?form ?party ?role {{
          GRAPH <{PAPER_A_GRAPH}> {{
            agid:{ALIGNMENT} ag:status ?status ; ag:alignmentForm ?form .
            ?p ag:partyOf agid:{ALIGNMENT} ; ag:party ?party ; ag:partyRole ?role .
          }} }}""",
    )
    assert set(rows) == {
        (
            "agreement-status/proposed",
            "alignment-form/bonding-alliance",
            JAPAN,
            "party-role/member",
        ),
        ("agreement-status/proposed", "alignment-form/bonding-alliance", ROK, "party-role/member"),
    }


def test_paper_a_lists_the_four_alignment_forms(source_store):
    rows = select(
        source_store,
        f"""
        SELECT ?form {{ GRAPH <{PAPER_A_GRAPH}> {{ ?form ag:evidence ?e }}
                        FILTER STRSTARTS(STR(?form), "{SCHEME}alignment-form/") }}""",
    )
    assert {r[0] for r in rows} == {
        f"alignment-form/{f}" for f in ("alignment", "alliance", "coalition", "bonding-alliance")
    }


@pytest.mark.parametrize(
    ("agreement", "status"),
    [
        ("agreement/east-asian-security-forum-proposal", "agreement-status/proposed"),
        ("agreement/japan-rok-fta-proposal", "agreement-status/proposed"),
        (
            "agreement/regional-multilateral-security-institution-prospect",
            "agreement-status/envisaged",
        ),
        ("agreement/japan-rok-joint-survey-agreement", "agreement-status/in-force"),
        ("agreement/japan-rok-joint-search-and-rescue", "agreement-status/in-force"),
        ("org/tcog", "agreement-status/defunct"),
    ],
)
def test_status_paper_a_gives(source_store, agreement, status):
    rows = select(
        source_store, f"SELECT ?s {{ GRAPH <{PAPER_A_GRAPH}> {{ agid:{agreement} ag:status ?s }} }}"
    )
    assert rows == [(status,)]


def test_the_joint_survey_agreement_of_9_september_2006(source_store):
    rows = select(
        source_store,
        """
        SELECT ?date ?signed ?place {
          agid:event/japan-rok-joint-survey-agreement-2006 ag:date ?date ; ag:place ?place ;
              ag:produced ?agreement .
          ?agreement ag:signedOn ?signed }""",
    )
    assert rows == [("2006-09-09", "2006-09-09", "place/takeshima-dokdo-eez")]


@pytest.mark.parametrize(
    ("event", "date"),
    [
        ("korean-fishing-boat-intrusion-2005", "2005-05"),
        ("japan-maritime-survey-2006", "2006-04"),
        ("japan-korea-friendship-year-2005", "2005"),
    ],
)
def test_dates_paper_a_prints(source_store, event, date):
    rows = select(
        source_store, f"SELECT ?d {{ GRAPH <{PAPER_A_GRAPH}> {{ agid:event/{event} ag:date ?d }} }}"
    )
    assert rows == [(date,)]


def test_paper_a_does_not_date_september_11(source_store):
    rows = select(
        source_store,
        f"""
        SELECT ?d {{ GRAPH <{PAPER_A_GRAPH}> {{ agid:event/september-11-attacks ag:date ?d }} }}""",
    )
    assert rows == []


def test_the_states_paper_a_names(source_store):
    rows = select(
        source_store,
        f"""
        SELECT DISTINCT ?state {{
          GRAPH <{PAPER_A_GRAPH}> {{ ?state ag:evidence ?e }}
          ?state a ag:State }}""",
    )
    assert {r[0] for r in rows} == {
        f"state/{s}"
        for s in (
            "japan",
            "south-korea",
            "north-korea",
            "china",
            "united-states",
            "taiwan",
            "australia",
            "france",
            "germany",
            "india",
            "soviet-union",
        )
    }


def test_the_roh_government_plays_down_the_dprk_threat(source_store):
    rows = select(
        source_store,
        """
        SELECT ?intensity ?words {
          ?p ag:perceiver agid:body/roh-government ;
             ag:perceivedThreat agid:threat/north-korean-threat ;
             ag:intensity ?intensity ; ag:intensityText ?words }""",
    )
    assert rows == [
        ("perception-intensity/less-concerned", "the current Roh government may deny this")
    ]


def test_tanaka_hitoshi_is_a_former_mofa_official(source_store):
    rows = select(
        source_store,
        """
        SELECT ?org ?role { ?m a org:Membership ; org:member agid:person/hitoshi-tanaka ;
                             org:organization ?org ; org:role ?role }""",
    )
    assert rows == [("body/japan-ministry-of-foreign-affairs", "person-role/official")]


def test_memberships_in_oecd_and_imf_as_printed(source_store):
    rows = select(
        source_store,
        """
        SELECT ?member ?org { ?m a org:Membership ; org:member ?member ; org:organization ?org ;
                                 ag:evidence/ag:supportingFootnote agid:paper-a/footnote/16 }""",
    )
    assert set(rows) == {
        (JAPAN, "org/oecd"),
        (ROK, "org/oecd"),
        (JAPAN, "org/imf"),
        (ROK, "org/imf"),
    }


def test_every_section_of_paper_a_has_claims(source_store):
    rows = select(
        source_store,
        """
        SELECT ?section (COUNT(DISTINCT ?claim) AS ?n) {
          ?claim ag:claimedBy agid:paper-a ; ag:paraphrase ?p ; ag:evidence/ag:inSection ?section }
        GROUP BY ?section""",
    )
    counts = {r[0].removeprefix("paper-a/section/"): int(r[1]) for r in rows}
    body = {"1", "2", "3", "3-1", "3-2", "3-3", "3-4", "4", "4-1", "4-2", "4-3", "4-4", "4-5", "5"}
    assert set(counts) == body
    assert all(counts[s] >= 3 for s in body - {"4"}), counts


def test_every_footnote_named_as_support_exists(source_store):
    rows = select(
        source_store,
        f"""
        SELECT DISTINCT ?fn {{
          GRAPH <{PAPER_A_GRAPH}> {{ ?e ag:supportingFootnote ?fn }}
          FILTER NOT EXISTS {{ ?fn a ag:Footnote ; ag:ofPaper agid:paper-a }} }}""",
    )
    assert rows == []


def test_every_entity_paper_a_statements_name_has_a_label(source_store):
    """Paper A's statement nodes and the entities they name (perceivers, threats, places …)
    are labelled, in this graph or in the background."""
    rows = select(
        source_store,
        f"""
        SELECT DISTINCT ?node {{
          GRAPH <{PAPER_A_GRAPH}> {{ ?s ?p ?o . ?s ag:evidence ?e }}
          FILTER (?p NOT IN (rdf:type, prov:wasDerivedFrom, ag:claimedBy, ag:proposedBy))
          VALUES ?position {{ 1 2 }}
          BIND (IF(?position = 1, ?s, ?o) AS ?node)
          FILTER (isIRI(?node))
          FILTER NOT EXISTS {{ ?node rdfs:label ?l }}
          FILTER NOT EXISTS {{ ?node skos:prefLabel ?l }}
        }}""".replace("rdf:type", "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"),
    )
    assert rows == []


# Headings of paper A in reading order, as they read in the normalised text; a section runs
# from its heading to the next one (footnote text printed inside it counts as inside it).
HEADINGS = [
    ("front", ""),
    ("1", "1. Introduction"),
    ("2", "2. Definition of a bonding alignment"),
    ("3", "Challenges ahead"),
    ("3-1", "•Controlling sovereignty disputes"),
    ("3-2", "•Influence of domestic politics"),
    ("3-3", "•Confidence building measures"),
    ("3-4", "•Working within the framework of the US alliance"),
    ("4", "4. Know your ingredients"),
    ("4-1", "•Short and long term problems regarding the DPRK"),
    ("4-2", "•Counter-terrorism"),
    ("4-3", "•Combating transnational crime"),
    ("4-4", "•Non-traditional security threats"),
    ("4-5", "•Containing China"),
    ("5", "5. Conclusion"),
    ("bibliography", "Bibliography Auslin"),
]


def _section_spans(text: str) -> dict[str, tuple[int, int]]:
    starts = [(name, text.index(heading) if heading else 0) for name, heading in HEADINGS]
    ends = [start for _, start in starts[1:]] + [len(text)]
    return {name: (start, end) for (name, start), end in zip(starts, ends, strict=True)}


def _occurs_within(text: str, quote: str, start: int, end: int) -> bool:
    position = text.find(quote, start)
    return position != -1 and position + len(quote) <= end


def test_every_quote_stands_in_the_section_it_names(source_store, paper_texts):
    """Statement evidence of paper A names the section whose text contains the quote."""
    text = paper_texts["paper-a"]
    spans = _section_spans(text)
    rows = select(
        source_store,
        f"""
        SELECT ?section ?quote {{
          GRAPH <{PAPER_A_GRAPH}> {{
            ?s ag:evidence ?e . ?e ag:inSection ?section ; ag:quote ?quote }}
          FILTER NOT EXISTS {{ ?s ag:describedIn ?record }}
        }}""",
    )
    assert len(rows) > 300
    misplaced = []
    for section, quote in rows:
        start, end = spans[section.removeprefix("paper-a/section/")]
        if not _occurs_within(text, quote, start, end):
            misplaced.append((section, quote))
    assert misplaced == []


def test_intensity_words_are_printed_in_paper_a(source_store, paper_texts):
    rows = select(
        source_store,
        f"""
        SELECT ?perception ?words {{
          GRAPH <{PAPER_A_GRAPH}> {{ ?perception a ag:ThreatPerception ; ag:intensityText ?words }}
        }}""",
    )
    assert len(rows) == 23
    assert [r for r in rows if r[1] not in paper_texts["paper-a"]] == []


def test_cooperation_paper_a_observes_as_existing(source_store):
    rows = select(
        source_store,
        f"""
        SELECT ?area ?institution {{
          ?area a ag:CooperationArea ;
                ag:cooperationMode <{SCHEME}cooperation-mode/observed> ;
                ag:throughInstitution ?institution ;
                ag:evidence/prov:entity agid:paper-a }}""",
    )
    c = "paper-a/cooperation/"
    assert set(rows) == {
        (c + "existing-police-links", "body/japan-national-police-agency"),
        (c + "existing-police-links", "body/korean-national-police-agency"),
        (c + "existing-coast-guard-relations", "body/japan-coast-guard"),
        (c + "existing-coast-guard-relations", "body/korea-coast-guard"),
        (c + "existing-joint-search-and-rescue", "agreement/japan-rok-joint-search-and-rescue"),
    }
