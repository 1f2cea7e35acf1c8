"""The security queries (graph/queries/security-*.rq) answer from paper B what the paper says.

Every expected answer below was written from a reading of paper B (and, for background
facts, from ISO 3166 and the papers' own wording), not copied from the queries' output.
Queries run over the union of the source graphs, without inference, as the service does.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph import CANONICAL_BASE

QUERIES = Path(__file__).resolve().parents[2] / "graph" / "queries"
SHORT = {
    f"{CANONICAL_BASE}id/": "",
    f"{CANONICAL_BASE}scheme/": "",
    f"{CANONICAL_BASE}ontology#": "ag:",
}
B = "paper-b"


def _short(term: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> str | None:
    if term is None:
        return None
    value = term.value
    if isinstance(term, ox.NamedNode):
        for long, short in SHORT.items():
            if value.startswith(long):
                return short + value[len(long) :]
    return value


def run(store: ox.Store, name: str, *, replace: tuple[str, str] | None = None) -> list[tuple]:
    """Rows of a shipped query as tuples of short strings, in the query's order."""
    text = (QUERIES / f"{name}.rq").read_text(encoding="utf-8")
    if replace is not None:
        assert replace[0] in text
        text = text.replace(*replace)
    result = store.query(text, use_default_graph_as_union=True)
    variables = [v.value for v in result.variables]
    return [tuple(_short(row[v]) for v in variables) for row in result]


# --- CQ 4 -------------------------------------------------------------------------------------


def test_cq4_threats_japan_and_the_rok_perceive_in_paper_b(source_store):
    big, major, concern, less = (
        "perception-intensity/" + s
        for s in ("biggest-threat", "major-threat", "concern", "less-concerned")
    )
    assert set(run(source_store, "security-shared-threat-perceptions")) == {
        # "the biggest one being North Korea" / "North Korea remains as the biggest threat"
        ("threat/north-korean-threat", "both", big, big),
        # 5-1: "build-up of conventional weapons and missiles, the nuclear program, ... collapse"
        ("threat/north-korea-missiles", "both", concern, concern),
        ("threat/north-korea-nuclear-programme", "both", concern, concern),
        ("threat/north-korea-conventional-build-up", "both", concern, concern),
        ("threat/north-korea-regime-collapse", "both", concern, concern),
        # "both governments independently devise several solutions for the ... refugee problem"
        ("threat/north-korean-refugee-influx", "both", concern, concern),
        # food and energy shortages: "a negative impact on Japanese security"
        ("threat/north-korea-instability", "japan only", concern, None),
        # "Japan's other major security threat comes from China" / Korea "less concerned"
        ("threat/china-military-power", "both", major, less),
        # Korea shares "Japan's interest in preventing China from becoming a regional
        # hegemonic power"
        ("threat/china-regional-hegemony", "both", concern, concern),
        # Japan's growing role "attracted the attention of neighboring countries,
        # including that of Korea"
        ("threat/japan-military-expansion", "south-korea only", None, concern),
        # 2-3: the Cold War relationship was "geared towards deterring a North Korean
        # invasion of South Korea"
        ("threat/north-korean-invasion", "south-korea only", None, concern),
    }


# --- CQ 5 -------------------------------------------------------------------------------------


def test_cq5_agreements_with_the_united_states_in_paper_b(source_store):
    rows = {
        row[:5]
        for row in run(source_store, "security-agreements-of-the-united-states")
        if row[5] == B
    }
    in_force, proposed, envisaged, defunct = (
        "agreement-status/" + s for s in ("in-force", "proposed", "envisaged", "defunct")
    )
    label = {row[0]: row[1] for row in rows}
    assert {(a, role, status, signed) for a, _, role, status, signed in rows} == {
        ("agreement/us-japan-alliance", "party-role/party", in_force, None),
        ("agreement/us-rok-alliance", "party-role/party", in_force, None),
        (
            "agreement/us-japan-security-declaration-1996",
            "party-role/signatory",
            in_force,
            "1996-04",
        ),
        ("agreement/us-japan-acsa", "party-role/party", in_force, None),
        ("agreement/east-asia-strategic-initiative", "party-role/proposer", defunct, None),
        ("agreement/tmd", "party-role/participant", in_force, None),
        ("agreement/quadripartite-meeting-proposal", "party-role/proposer", proposed, None),
        ("agreement/quadripartite-meeting-proposal", "party-role/participant", proposed, None),
        (
            "agreement/multilateral-security-system-proposal",
            "party-role/participant",
            envisaged,
            None,
        ),
    }
    assert label["agreement/us-japan-acsa"] == "US-Japan Acquisition and Cross-Servicing Agreement"


def test_quadripartite_meeting_parties(source_store):
    rows = source_store.query(
        f"""
        PREFIX ag: <{CANONICAL_BASE}ontology#>
        SELECT ?actor ?role {{
          ?p ag:partyOf <{CANONICAL_BASE}id/agreement/quadripartite-meeting-proposal> ;
             ag:party ?actor ; ag:partyRole ?role }}""",
        use_default_graph_as_union=True,
    )
    got = {(_short(r["actor"]), _short(r["role"])) for r in rows}
    # "proposed by South Korea and the U.S.";
    # "attended by North and South Korea, the U.S. and China"
    assert got == {
        ("state/south-korea", "party-role/proposer"),
        ("state/united-states", "party-role/proposer"),
        ("state/north-korea", "party-role/participant"),
        ("state/south-korea", "party-role/participant"),
        ("state/united-states", "party-role/participant"),
        ("state/china", "party-role/participant"),
    }


# --- CQ 6 -------------------------------------------------------------------------------------


def test_cq6_three_levels_and_their_areas(source_store):
    rows = run(source_store, "security-cooperation-levels")
    levels = {(n, label) for n, _, label, *_ in rows}
    assert levels == {
        ("1", "countering North Korea"),
        ("2", "reinforcing confidence in mutual relations"),
        ("3", "establishing regional and global security and prosperity"),
    }
    areas = {
        (n, area.removeprefix("paper-b/cooperation/"), mode) for n, _, _, area, _, mode in rows
    }
    assert areas == {
        ("1", "confronting-north-korean-threats", "proposed"),
        (
            "1",
            "kedo-cooperation",
            "observed",
        ),  # "Their cooperation at KEDO has been a great success"
        ("1", "tmd-cooperation", "observed"),  # "... the TMD plan ... has also proceeded well"
        ("1", "refugee-policy-cooperation", "proposed"),
        ("1", "economic-assistance-to-north-korea", "proposed"),
        ("1", "normalisation-quadripartite-linkage", "proposed"),
        ("1", "chongryon-control", "proposed"),
        ("2", "japanese-apology", "proposed"),
        ("2", "security-policy-transparency", "proposed"),
        ("2", "mutual-understanding-of-foreign-relations", "proposed"),
        ("2", "north-south-korea-relations", "proposed"),
        ("3", "multilateral-security-system", "proposed"),
        ("3", "persuading-china", "proposed"),
        ("3", "arf-regional-security", "proposed"),  # what it reports as done is existing-arf-use
        ("3", "un-peacekeeping", "proposed"),
    }
    assert [row[0] for row in rows] == sorted(row[0] for row in rows)


# --- CQ 7 -------------------------------------------------------------------------------------


def _events(rows):
    return {
        (event, date, place, frozenset((who or "").split()))
        for event, _, date, place, who, paper in rows
        if paper == B
    }


def test_cq7_paper_b_events_in_the_1990s(source_store):
    assert _events(run(source_store, "security-events-in-a-period")) == {
        (
            "event/korean-navy-vladivostok-visit-1993",
            "1993-09",
            "place/vladivostok",
            frozenset({"body/korean-navy", "state/south-korea", "state/russia"}),
        ),
        (
            "event/us-japan-security-declaration-1996",
            "1996-04",
            None,
            frozenset({"state/united-states", "state/japan"}),
        ),
    }


def test_cq7_a_period_matches_an_interval_event(source_store):
    rows = run(source_store, "security-events-in-a-period", replace=("(1990 1999)", "(1920 1930)"))
    assert _events(rows) == {
        (
            "event/japanese-occupation-of-korea",
            "1910/1945",
            "place/korean-peninsula",
            frozenset({"state/japan"}),
        ),
    }


# --- CQ 10 ------------------------------------------------------------------------------------


def test_cq10_numeric_facts_of_paper_b_with_provenance(source_store):
    rows = {
        (fact, value, unit, section, footnotes)
        for paper, fact, value, unit, _, _, section, _, footnotes in run(
            source_store, "security-numeric-facts"
        )
        if paper == B
    }
    f, s = "paper-b/fact/", "paper-b/section/"
    assert rows == {
        (f + "us-troops-east-asia", "100000", "troops", s + "2-1", "unsupported"),
        (f + "russian-aircraft-carriers", "2", "aircraft carriers", s + "2-3", "unsupported"),
        (
            f + "chongryon-hard-currency",
            "600000000",
            "US dollars per year (at least)",
            s + "5-1",
            f"{CANONICAL_BASE}id/paper-b/footnote/4b",
        ),
        (
            f + "north-korean-refugees-to-japan",
            "3000",
            "refugees (or more)",
            s + "5-1",
            f"{CANONICAL_BASE}id/paper-b/footnote/5",
        ),
    }


def test_numeric_facts_without_footnote_support(source_store):
    rows = {
        fact
        for paper, fact, _ in run(source_store, "security-unsupported-numeric-facts")
        if paper == B
    }
    assert rows == {"paper-b/fact/us-troops-east-asia", "paper-b/fact/russian-aircraft-carriers"}


# --- more questions a researcher asks ------------------------------------------------------------


def test_transnational_threats(source_store):
    rows = {
        threat
        for category, _, threat, _ in run(source_store, "security-threats-by-category")
        if category == "threat-category/transnational"
    }
    assert rows == {
        "threat/" + t
        for t in (
            "terrorism",
            "slocs-attack",
            "transnational-crime",
            "piracy",
            "drug-trafficking",
            "illegal-immigration",
            "illegal-employment",
            "prostitution",
            "theft",
        )
    }


def test_threats_posed_by_china_and_kinds_of_the_north_korean_threat(source_store):
    rows = run(source_store, "security-threats-posed-by-actor")
    assert {t for actor, _, t, _ in rows if actor == "state/china"} == {
        "threat/china-military-power",
        "threat/china-regional-hegemony",
    }
    kinds = {t for actor, _, t, broader in rows if broader == "threat/north-korean-threat"}
    assert {
        "threat/north-korea-missiles",
        "threat/north-korea-nuclear-programme",
        "threat/north-korea-conventional-build-up",
        "threat/north-korea-regime-collapse",
    } <= kinds


def test_memberships_according_to_paper_b(source_store):
    rows = {row[:3] for row in run(source_store, "security-memberships") if row[3] == B}
    member = "party-role/member"
    assert rows == {
        ("state/japan", "org/kedo", member),
        ("state/south-korea", "org/kedo", member),
        ("state/japan", "org/asean-regional-forum", member),
        ("state/south-korea", "org/asean-regional-forum", member),
        ("state/south-korea", "org/un-security-council", "party-role/non-permanent-member"),
        ("state/united-states", "org/apec", member),
    }


def test_agreements_by_status_in_paper_b(source_store):
    by_status: dict[str, set[str]] = {}
    for paper, status, agreement, _ in run(source_store, "security-agreements-by-status"):
        if paper == B:
            by_status.setdefault(status.removeprefix("agreement-status/"), set()).add(
                agreement.removeprefix("agreement/")
            )
    assert by_status == {
        "proposed": {"quadripartite-meeting-proposal"},
        "envisaged": {
            "multilateral-security-system-proposal",
            "japan-north-korea-normalisation",
        },
        "defunct": {"east-asia-strategic-initiative"},  # "abandoned Bush's EASI"
        "in-force": {
            "us-japan-alliance",
            "us-rok-alliance",
            "korea-japan-security-relationship",
            "us-japan-security-declaration-1996",
            "us-japan-acsa",
            "tmd",
            "un-peacekeeping-operations",
            "us-hub-and-spokes-system",
            "rok-russia-security-cooperation",
        },
    }


def test_claims_cover_every_running_text_section_of_paper_b(source_store):
    rows = run(source_store, "security-claims-per-section-paper-b")
    sections = {
        s.removeprefix("paper-b/section/"): (int(c), int(r), int(ch)) for s, c, r, ch in rows
    }
    # every section with running text has claims; the three umbrella headings have none
    assert set(sections) == {
        "1",
        "2-1",
        "2-2",
        "2-3",
        "3-1",
        "3-2",
        "3-3",
        "4-1",
        "4-2",
        "4-3",
        "5",
        "5-1",
        "5-2",
        "5-3",
        "6",
    }
    # recommendations belong to the "Direction" part and the conclusion ...
    assert {s for s, (_, r, _) in sections.items() if r} == {"5", "5-1", "5-2", "5-3", "6"}
    # ... limits to "Limits of Korea-Japan Security Cooperation" and the two pending problems of 5-1
    assert {s for s, (_, _, ch) in sections.items() if ch} == {"4-1", "4-2", "4-3", "5-1"}


def test_limits_of_cooperation_named_by_paper_b(source_store):
    rows = {
        (s.removeprefix("paper-b/section/"), c.removeprefix("paper-b/challenge/"), h)
        for paper, s, c, _, h in run(source_store, "security-limits-of-cooperation")
        if paper == B
    }
    assert {c for _, c, _ in rows} == {
        "reparations-not-carried-out",
        "apology-officially-denied",
        "japanese-nationalism",
        "korean-distrust-of-japan",
        "korean-dual-attitude",
        "japanese-indifference",
        "japanese-peninsula-ambitions",
        "collective-defence-ban",
        "neighbours-anxiety-over-japan",
        "pending-japan-north-korea-normalisation",
        "chongryon-problem",
    }
    assert ("4-3", "collective-defence-ban", "agreement/korea-japan-security-relationship") in rows


def test_recommendations_of_paper_b(source_store):
    rows = {
        (r.removeprefix("paper-b/claim/"), sections, footnotes)
        for paper, r, _, _, sections, footnotes in run(source_store, "security-recommendations")
        if paper == B
    }
    assert {r for r, _, _ in rows} == {
        "japan-should-consult-korea",
        "korea-should-emphasise-regional-security",
        "cooperate-against-north-korean-threats",
        "joint-aid-for-soft-landing",
        "link-normalisation-with-quadripartite-meeting",
        "control-chongryon",
        "apology-must-precede-cooperation",
        "secure-policy-transparency",
        "multilateral-system-most-important",
        "collaborate-in-pkos",
        "establish-and-reinforce-security-relations",
        "lead-north-korea-to-soft-landing",
        "stabilise-regional-order",
    }
    # footnote 4 (the second one) backs the call to control Chongryon; 4a the call to consult Korea
    assert ("control-chongryon", "5-1", "4b") in rows
    assert ("japan-should-consult-korea", "5", "4a") in rows


def test_states_and_organisations_without_links(source_store):
    assert {e for e, _, _ in run(source_store, "security-entities-without-links")} == {
        "org/tcog",
    }


ISO = {
    "japan": ("JP", "JPN"),
    "south-korea": ("KR", "KOR"),
    "north-korea": ("KP", "PRK"),
    "united-states": ("US", "USA"),
    "china": ("CN", "CHN"),
    "russia": ("RU", "RUS"),
    "taiwan": ("TW", "TWN"),
    "australia": ("AU", "AUS"),
    "france": ("FR", "FRA"),
    "germany": ("DE", "DEU"),
    "india": ("IN", "IND"),
    "soviet-union": (None, None),
}


def test_states_iso_codes_labels_and_aliases(source_store):
    rows = {
        row[0].removeprefix("state/"): row[1:]
        for row in run(source_store, "security-state-labels-and-aliases")
    }
    assert {s: (a2, a3) for s, (a2, a3, *_) in rows.items()} == ISO
    assert all(en and ja and ko for _, _, en, ja, ko, _ in rows.values())
    aliases = {s: set((row[5] or "").split(" | ")) for s, row in rows.items()}
    assert {"ROK", "Republic of Korea (ROK)", "South Korea", "Korea", "Seoul"} <= aliases[
        "south-korea"
    ]
    assert {"DPRK", "North Korea", "Pyongyang"} <= aliases["north-korea"]
    assert {"US", "U.S.", "United States(US)", "America", "Washington"} <= aliases["united-states"]
    assert {"China", "Beijing"} <= aliases["china"] and "Tokyo" in aliases["japan"]


def test_soft_landing_policy_issuers_and_target(source_store):
    rows = {
        (issuer, target)
        for policy, _, issuer, _, target in run(source_store, "security-policies-and-issuers")
        if policy == "policy/soft-landing-policy"
    }
    assert rows == {
        ("state/japan", "state/north-korea"),
        ("state/south-korea", "state/north-korea"),
    }


def test_paper_b_cooperation_through_institutions(source_store):
    rows = {
        (a.removeprefix("paper-b/cooperation/"), i)
        for a, _, i, _ in run(source_store, "security-cooperation-through-institutions")
        if a.startswith("paper-b/") and i is not None
    }
    assert rows == {
        ("kedo-cooperation", "org/kedo"),
        ("tmd-cooperation", "agreement/tmd"),
        ("economic-assistance-to-north-korea", "policy/soft-landing-policy"),
        ("normalisation-quadripartite-linkage", "agreement/quadripartite-meeting-proposal"),
        (
            "multilateral-security-system",
            "agreement/multilateral-security-system-proposal",
        ),
        ("arf-regional-security", "org/asean-regional-forum"),
        ("existing-arf-use", "org/asean-regional-forum"),  # observed, apart from the proposal
        ("un-peacekeeping", "agreement/un-peacekeeping-operations"),
        ("information-and-kedo-cost-sharing", "org/kedo"),
    }


# --- provenance of paper B's domain statements ----------------------------------------------------


@pytest.mark.parametrize(
    "kind", ["perception", "party", "membership", "fact", "cooperation", "challenge", "claim"]
)
def test_every_paper_b_statement_quotes_paper_b(source_store, paper_texts, kind):
    rows = list(
        source_store.query(f"""
        PREFIX ag: <{CANONICAL_BASE}ontology#>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?node ?paper ?section ?quote {{
          GRAPH <{CANONICAL_BASE}graph/paper-b> {{
            ?node ag:evidence ?e .
            OPTIONAL {{ ?e prov:entity ?paper ; ag:inSection ?section ; ag:quote ?quote }}
          }}
          FILTER STRSTARTS(STR(?node), "{CANONICAL_BASE}id/paper-b/{kind}/")
        }}""")
    )
    assert rows, kind
    for row in rows:
        assert row["paper"] == ox.NamedNode(f"{CANONICAL_BASE}id/paper-b"), row["node"]
        assert row["section"].value.startswith(f"{CANONICAL_BASE}id/paper-b/section/"), row["node"]
        assert row["quote"].value in paper_texts["paper-b"], (row["node"], row["quote"].value)


def test_links_out_for_the_six_main_states(source_store):
    rows = source_store.query("""
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        SELECT ?s ?o { GRAPH <https://w3id.org/alliancegraph/graph/links> { ?s owl:sameAs ?o } }""")
    links = {(_short(r["s"]), r["o"].value) for r in rows}
    wd = "http://www.wikidata.org/entity/"
    for state, item in [
        ("japan", "Q17"),
        ("south-korea", "Q884"),
        ("north-korea", "Q423"),
        ("united-states", "Q30"),
        ("china", "Q148"),
        ("russia", "Q159"),
    ]:
        assert (f"state/{state}", wd + item) in links
    # one Wikidata item per linked entity
    per_entity: dict[str, set[str]] = {}
    for s, o in links:
        if o.startswith(wd):
            per_entity.setdefault(s, set()).add(o)
    assert all(len(items) == 1 for items in per_entity.values())


# --- the derived shortcut (property chain), with the build's own OWL 2 RL rules ----------------


@pytest.fixture(scope="module")
def inferred_store(source_store) -> ox.Store:
    from alliancegraph.graph.inference import entailments

    store = ox.Store()
    store.extend(source_store)
    graph = ox.NamedNode(f"{CANONICAL_BASE}graph/inferred")
    inferred = entailments(q.triple for q in source_store)
    store.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in inferred)
    return store


PAPER_B_PERCEPTIONS = {
    ("japan", t)
    for t in (
        "north-korean-threat",
        "north-korea-missiles",
        "north-korea-nuclear-programme",
        "north-korea-conventional-build-up",
        "north-korea-regime-collapse",
        "north-korean-refugee-influx",
        "north-korea-instability",
        "china-military-power",
        "china-regional-hegemony",
    )
} | {
    ("south-korea", t)
    for t in (
        "north-korean-threat",
        "north-korea-missiles",
        "north-korea-nuclear-programme",
        "north-korea-conventional-build-up",
        "north-korea-regime-collapse",
        "north-korean-refugee-influx",
        "china-regional-hegemony",
        "japan-military-expansion",
    )
}  # not China's military power: "The Korean government is less concerned with" it


def test_perceives_threat_is_derived_from_paper_b_perceptions(inferred_store):
    rows = run(inferred_store, "security-perceived-threats-derived")
    derived = {(s.removeprefix("state/"), t.removeprefix("threat/")) for s, t, _ in rows}
    assert derived >= PAPER_B_PERCEPTIONS
    # both papers name Japan's and the ROK's concern with North Korea's nuclear programme
    assert ("state/japan", "threat/north-korea-nuclear-programme", "2") in rows


def test_no_perceives_threat_without_a_perception(inferred_store):
    rows = inferred_store.query(
        f"""PREFIX ag: <{CANONICAL_BASE}ontology#>
        SELECT ?s ?t {{ GRAPH <{CANONICAL_BASE}graph/inferred> {{ ?s ag:perceivesThreat ?t }}
          FILTER NOT EXISTS {{ ?p ag:perceiver ?s ; ag:perceivedThreat ?t }} }}""",
        use_default_graph_as_union=True,
    )
    assert list(rows) == []


AG = f"{CANONICAL_BASE}ontology#"
LOW = f"{AG}perceivesLowPriorityThreat"
MAIN = f"{AG}perceivesThreat"


def _ask(store: ox.Store, pattern: str) -> bool:
    return bool(store.query(f"PREFIX ag: <{AG}> PREFIX agid: <{CANONICAL_BASE}id/> "
                            f"ASK {{ {pattern} }}", use_default_graph_as_union=True))


def test_a_query_over_the_shortcut_tells_a_low_priority_perception_from_a_main_one(
    inferred_store,
):
    rok, china = "agid:state\\/south-korea", "agid:threat\\/china-military-power"
    # paper B: "The Korean government is less concerned with China's military threat"
    assert not _ask(inferred_store, f"{rok} ag:perceivesThreat {china}")
    assert _ask(inferred_store, f"{rok} ag:perceivesLowPriorityThreat {china}")
    # paper A ranks containing China "low on the priority list for the ROK", paper B has the
    # ROK share Japan's interest in it: both shortcuts, each from its own paper
    rows = {(s, t, paper, also) for s, t, _, paper, also in
            run(inferred_store, "security-low-priority-threats")}
    assert ("state/south-korea", "threat/china-regional-hegemony", "paper-a", "true") in rows
    assert ("state/south-korea", "threat/china-military-power", "paper-b", "false") in rows
    main = run(inferred_store, "security-perceived-threats-derived")
    assert ("state/south-korea", "threat/china-regional-hegemony", "1") in main
    assert not any(t == "threat/china-military-power" and s == "state/south-korea"
                   for s, t, _ in main)


def test_each_perception_derives_the_shortcut_its_intensity_names(inferred_store):
    found = inferred_store.query(
        f"""PREFIX ag: <{AG}>
        SELECT ?actor ?threat ?intensity {{ ?p ag:perceiver ?actor ; ag:perceivedThreat ?threat ;
          ag:intensity ?intensity }}""", use_default_graph_as_union=True)
    low = {"low-priority", "less-concerned"}
    expected: dict[str, set[tuple[str, str]]] = {MAIN: set(), LOW: set()}
    for row in found:
        name = row["intensity"].value.rsplit("/", 1)[-1]
        expected[LOW if name in low else MAIN].add((row["actor"].value, row["threat"].value))
    assert expected[LOW] and expected[MAIN]
    for shortcut, pairs in expected.items():
        got = {(q.subject.value, q.object.value) for q in inferred_store.quads_for_pattern(
            None, ox.NamedNode(shortcut), None, ox.NamedNode(f"{CANONICAL_BASE}graph/inferred"))}
        assert got == pairs, shortcut


def test_the_two_papers_multilateral_proposals_are_two_related_nodes(source_store):
    """Paper A envisages the Japan-ROK alignment growing into a regional institution; paper B
    has Korea and Japan initiate a system "which would include the U.S. and China"."""
    a = f"{CANONICAL_BASE}id/agreement/regional-multilateral-security-institution-prospect"
    b = f"{CANONICAL_BASE}id/agreement/multilateral-security-system-proposal"
    found = source_store.query(
        f"""PREFIX ag: <{AG}> PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?agreement ?paper ?party ?role {{
          VALUES ?agreement {{ <{a}> <{b}> }}
          {{ ?agreement ag:evidence/prov:entity ?paper }}
          UNION {{ ?p ag:partyOf ?agreement ; ag:party ?party ; ag:partyRole ?role ;
                     ag:evidence/prov:entity ?paper }} }}""", use_default_graph_as_union=True)
    papers: dict[str, set[str]] = {a: set(), b: set()}
    parties: dict[str, set[tuple[str, str]]] = {a: set(), b: set()}
    for row in found:
        agreement = row["agreement"].value
        papers[agreement].add(row["paper"].value.rsplit("/", 1)[-1])
        if row["party"] is not None:
            parties[agreement].add((row["party"].value.rsplit("/", 1)[-1],
                                    row["role"].value.rsplit("/", 1)[-1]))
    assert papers == {a: {"paper-a"}, b: {"paper-b"}}
    assert parties[a] == {("japan", "member"), ("south-korea", "member")}
    assert {("united-states", "participant"), ("china", "participant"),
            ("japan", "proposer"), ("south-korea", "proposer")} == parties[b]
    related = "http://www.w3.org/2004/02/skos/core#related"
    assert _ask(source_store, f"<{a}> <{related}> <{b}> . <{b}> <{related}> <{a}>")
