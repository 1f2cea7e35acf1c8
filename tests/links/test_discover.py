"""Link discovery end to end: a built store asks the Wikidata- and DBpedia-shaped Oxigraph
servers (``external_sparql``, through the scripted proxy ``flaky_endpoint`` where the test
counts or disturbs requests) and gets candidates: one match, ambiguous pairs ranked and
flagged, no wrong-type item, matches by a Japanese or Korean label only, by an alias or a
redirect, by a title whose case differs, context (ISSN, dates, authors) in the score. The
client's manners show up in a whole run: 429 with Retry-After, a 500, a timeout, a re-run
from the cache with no request, batches of many entities per query. A rejected candidate
stays rejected on the next run. The pieces (casings, the score's parts) are tested alone."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from alliancegraph.errors import RemoteServiceError, RemoteServiceTimeout
from alliancegraph.graph.vocabulary import LINK_REVIEW, graph_iri
from alliancegraph.links.client import EndpointClient
from alliancegraph.links.discover import (
    AGREES,
    ALIAS,
    AMBIGUITY_MARGIN,
    CASE_FOLDED,
    CONTRADICTS,
    ISSN_EQUAL,
    LABEL,
    MAX_LANGUAGES,
    PER_LANGUAGE,
    PREDICATE,
    TOOL,
    TYPE,
    Entity,
    Label,
    _Context,
    _Match,
    ambiguous,
    casings,
    discover,
    read_entities,
    score,
)
from alliancegraph.links.model import (
    Status,
    candidate_iri,
    read_activities,
    read_candidates,
    set_status,
)
from alliancegraph.links.targets import WIKIDATA, target_for
from alliancegraph.store import open_store

BASE = "https://w3id.org/alliancegraph/"
ID = BASE + "id/"
WD = "http://www.wikidata.org/entity/"
DBR = "http://dbpedia.org/resource/"

KEDO = ID + "org/kedo"
SNYDER = ID + "person/scott-snyder"
MILLER = ID + "person/john-h-miller"
SCHELLING = ID + "person/thomas-c-schelling"
ROH = ID + "person/roh-moo-hyun"
NATIONAL_INTEREST = ID + "journal/the-national-interest"
GAIKO_FORUM = ID + "journal/gaiko-forum"
ASIAN_PERSPECTIVE = ID + "journal/asian-perspective"
SARIN = ID + "event/tokyo-sarin-attack-1995"
KAL = ID + "event/korean-air-bombing-1987"
CHONGRYON = ID + "actor/chongryon"
ASEAN = ID + "org/asean"
STRATEGY = ID + "work/schelling-1960-the-strategy-of-conflict"
JAPAN = ID + "state/japan"


def no_wait(seconds: float) -> None:
    """An injected sleep: retries go at once."""


@pytest.fixture(scope="module")
def discovered(tmp_path_factory, settings_for):
    """One discovery run against the Wikidata-shaped server, on a store of its own; tests
    only read it."""
    tmp_path = tmp_path_factory.mktemp("discovered")
    settings = settings_for(tmp_path)
    store = open_store(settings)
    run = discover(store, settings, target="wikidata", progress=False)
    yield store, settings, run
    store.close()


def of(candidates, subject):
    """The candidates of one subject, best first."""
    return sorted((c for c in candidates if c.subject == subject), key=lambda c: c.rank)


def client_for(url: str, tmp_path: Path, **options) -> EndpointClient:
    options.setdefault("sleep", no_wait)
    return EndpointClient(url, cache_dir=tmp_path / "proxy-cache", **options)


# ---------------------------------------------------------------------- what is found


def test_one_match_with_its_evidence(discovered):
    _, _, run = discovered
    [kedo] = of(run.candidates, KEDO)
    assert kedo.object == WD + "Q990000003"
    assert (kedo.predicate, kedo.rank, kedo.kind, kedo.target) == (PREDICATE, 1, "organisation",
                                                                   "wikidata")
    assert "label 'Korean Peninsula Energy Development Organization'@en = rdfs:label" \
        in kedo.evidence
    assert "3 languages agree (en, ja, ko)" in kedo.evidence
    assert any(reason.startswith("type organisation (Q43229)") for reason in kedo.evidence)
    assert kedo.subject_label == "Korean Peninsula Energy Development Organization"
    assert kedo.object_label == "Korean Peninsula Energy Development Organization"


def test_candidates_are_saved_with_the_activity_that_found_them(discovered):
    store, settings, run = discovered
    saved = read_candidates(store, settings.base_iri, target="wikidata")
    assert {(c.subject, c.object) for c in saved} == {(c.subject, c.object)
                                                      for c in run.candidates}
    assert all(c.status == Status.PENDING and c.activity == run.activity for c in saved)
    assert run.counts["saved"] == len(run.candidates)
    [activity] = [a for a in read_activities(store, graph_iri(LINK_REVIEW, BASE))
                  if a.iri == run.activity]
    assert activity.endpoint == settings.wikidata_endpoint
    assert activity.tool == TOOL
    assert activity.started <= activity.ended
    assert run.activity.startswith(ID + "activity/link-wikidata-")


def test_two_items_of_the_same_label_and_type_are_both_ranked_and_flagged(discovered):
    _, _, run = discovered
    for subject, items in ((SNYDER, {"Q990000208", "Q990000209"}),
                           (MILLER, {"Q990000206", "Q990000207"})):
        found = of(run.candidates, subject)
        assert {c.object for c in found} == {WD + q for q in items}
        assert [c.rank for c in found] == [1, 2]
        assert found[0].score >= found[1].score
        assert abs(found[0].score - found[1].score) <= AMBIGUITY_MARGIN
        for candidate in found:
            [flag] = [r for r in candidate.evidence if r.startswith("ambiguous:")]
            other = ({c.object for c in found} - {candidate.object}).pop()
            assert other.removeprefix(WD) in flag and "not accepted automatically" in flag
        assert {(c.subject, c.predicate, c.object) for c in found} <= ambiguous(run.candidates)
    assert run.counts["ambiguous"] >= 4


def test_an_item_of_the_wrong_type_is_never_proposed(discovered):
    _, _, run = discovered
    # the film "The National Interest" (Q990000303) has the journal's label
    assert [c.object for c in of(run.candidates, NATIONAL_INTEREST)] == [WD + "Q990000302"]
    # the only "Gaiko Forum" is a company: no candidate at all
    assert of(run.candidates, GAIKO_FORUM) == []
    # and the same-label band "Japan" is no state (Japan is linked: not even looked up)
    assert all(c.object != WD + "Q990000601" for c in run.candidates)


@pytest.mark.parametrize(("subject", "item", "language"), [
    (SARIN, "Q990000101", "ja"), (KAL, "Q990000102", "ko")])
def test_a_match_by_a_japanese_or_korean_label_only(discovered, subject, item, language):
    _, _, run = discovered
    [found] = of(run.candidates, subject)
    assert found.object == WD + item
    [label] = [r for r in found.evidence if r.startswith("label ")]
    assert label.endswith(f"'@{language} = rdfs:label")
    assert not any("languages agree" in r for r in found.evidence)


def test_an_alias_counts_less_than_a_label(discovered):
    _, _, run = discovered
    [schelling] = of(run.candidates, SCHELLING)
    assert schelling.object == WD + "Q990000201"
    assert "label 'Thomas C. Schelling'@en = skos:altLabel (an alias there)" \
        in schelling.evidence
    [roh] = of(run.candidates, ROH)  # its English name is the item's label
    assert "label 'Roh Moo-hyun'@en = rdfs:label" in roh.evidence
    # each is its label part plus the type; Roh also agrees in Korean
    assert schelling.score < roh.score


def test_a_title_whose_case_differs_matches_with_less_weight(discovered):
    _, _, run = discovered
    [strategy] = of(run.candidates, STRATEGY)
    assert strategy.object == WD + "Q990000501"
    assert ("label 'The Strategy of conflict'@en = rdfs:label 'The Strategy of Conflict' "
            "with case ignored") in strategy.evidence
    # context agrees: the book's date and its author's surname
    assert "dates agree (1960)" in strategy.evidence
    assert "author agrees (schelling)" in strategy.evidence
    assert CASE_FOLDED < 0 and LABEL + CASE_FOLDED < ALIAS


def test_context_ranks_the_item_with_the_believed_issn_first(discovered):
    _, _, run = discovered
    first, second = of(run.candidates, ASIAN_PERSPECTIVE)
    assert first.object == WD + "Q990000305"
    assert any("0258-9184 equal" in r for r in first.evidence)
    assert any(r.startswith("ISSN differs") and "2288-1506" in r for r in second.evidence)
    assert first.score - second.score > AMBIGUITY_MARGIN  # context resolves it: not flagged
    assert not any(r.startswith("ambiguous:") for r in first.evidence)


def test_a_place_is_any_item_with_coordinates(discovered):
    _, _, run = discovered
    # its class (an island group) reaches no place class; its P625 makes it a place
    [takeshima] = of(run.candidates, ID + "place/takeshima-dokdo")
    assert takeshima.object == WD + "Q990000404"
    assert "type a place (has coordinates, P625)" in takeshima.evidence
    assert "label '竹島'@ja = rdfs:label" in takeshima.evidence  # a name beats our aliases
    assert "3 languages agree (en, ja, ko)" in takeshima.evidence


def test_no_looser_match_than_a_label(discovered):
    _, _, run = discovered
    # "demise of the Soviet Union" is no label of "dissolution of the Soviet Union"
    assert of(run.candidates, ID + "event/dissolution-of-the-soviet-union") == []
    assert all(c.object != WD + "Q990000104" for c in run.candidates)


def test_entities_linked_to_the_target_are_not_looked_up(fresh):
    store, settings = fresh
    wikidata = {e.iri for e in read_entities(store, BASE, target_for("wikidata", settings))[0]}
    dbpedia = {e.iri for e in read_entities(store, BASE, target_for("dbpedia", settings))[0]}
    assert JAPAN not in wikidata and JAPAN not in dbpedia  # linked to both
    assert ASEAN not in wikidata and ASEAN in dbpedia  # linked to Wikidata only
    assert KEDO in wikidata


def test_every_language_of_an_entity_is_asked(fresh):
    store, settings = fresh
    entities = read_entities(store, BASE, target_for("wikidata", settings))[0]
    [kedo] = [e for e in entities if e.iri == KEDO]
    assert {label.language for label in kedo.labels} == {"en", "ja", "ko"}
    assert any(label.alias and label.text == "KEDO" for label in kedo.labels)


def test_dbpedia_aliases_come_through_redirects(fresh):
    store, settings = fresh
    run = discover(store, settings, target="dbpedia", progress=False)
    [schelling] = of(run.candidates, SCHELLING)
    assert schelling.object == DBR + "Thomas_Schelling"
    assert "label 'Thomas C. Schelling'@en = dbo:wikiPageRedirects (an alias there)" \
        in schelling.evidence
    [asean] = of(run.candidates, ASEAN)
    assert asean.object == DBR + "Association_of_Southeast_Asian_Nations"
    assert any(r.startswith("type dbo:Organisation") for r in asean.evidence)
    [vladivostok] = of(run.candidates, ID + "place/vladivostok")
    assert vladivostok.object == DBR + "Vladivostok"
    assert "country agrees (dbr:Russia)" in vladivostok.evidence  # our inState, their dbo:country
    assert all(c.target == "dbpedia" and c.object.startswith(DBR) for c in run.candidates)


def test_a_url_target_with_the_dbpedia_shape(fresh, external_sparql):
    store, settings = fresh
    target = target_for(external_sparql.dbpedia, settings, shape="dbpedia")
    run = discover(store, settings, target=target, progress=False)
    assert {c.target for c in run.candidates} == {external_sparql.dbpedia}
    assert DBR + "Association_of_Southeast_Asian_Nations" in {c.object for c in run.candidates}


def test_limit_caps_the_entities(fresh):
    store, settings = fresh
    run = discover(store, settings, target="wikidata", limit=3, progress=False)
    assert run.counts["entities"] == 3
    assert len({c.subject for c in run.candidates}) <= 3


# ---------------------------------------------------------------------- a client's manners


def run_through(proxy, store, settings, tmp_path, **options):
    target = target_for(proxy.url, settings)
    client = client_for(proxy.url, tmp_path, **options)
    return discover(store, settings, target=target, client=client, progress=False), client


def test_batches_hold_many_entities_per_query(fresh, flaky_endpoint, tmp_path):
    store, settings = fresh
    run, client = run_through(flaky_endpoint, store, settings, tmp_path)
    queries = [r.query for r in flaky_endpoint.requests]
    assert len(queries) == client.requests_sent == run.counts["requests"]
    assert len(queries) < run.counts["entities"] / 3
    label_queries = [q for q in queries if "VALUES (?entity ?label)" in q]
    most = max(len(set(re.findall(r"\(<(https://w3id\.org/[^>]+)>", q))) for q in label_queries)
    assert most > 10
    # the type constraint is in the query, and contexts come in a query of their own
    assert all("P31" in q and "P279" in q for q in label_queries)
    assert any("VALUES ?item" in q for q in queries)


def test_a_429_with_retry_after_then_success(fresh, flaky_endpoint, tmp_path, step):
    store, settings = fresh
    waits: list[float] = []
    flaky_endpoint.script(step.status(429, retry_after="3"))
    run, _ = run_through(flaky_endpoint, store, settings, tmp_path, sleep=waits.append)
    assert waits == [3.0]
    first, second = flaky_endpoint.requests[:2]
    assert first.step.kind == "status" and second.step.kind == "passthrough"
    assert first.query == second.query  # the same query, asked again
    assert of(run.candidates, KEDO)[0].object == WD + "Q990000003"
    assert run.counts["requests"] == len(flaky_endpoint.requests)


def test_a_500_then_success(fresh, flaky_endpoint, tmp_path, step):
    store, settings = fresh
    waits: list[float] = []
    flaky_endpoint.script(step.status(500), step.status(503))
    run, _ = run_through(flaky_endpoint, store, settings, tmp_path, sleep=waits.append,
                         backoff=0.5)
    assert waits == [0.5, 1.0]  # exponential back-off
    assert of(run.candidates, KEDO)[0].object == WD + "Q990000003"


def test_a_timeout_then_success(fresh, flaky_endpoint, tmp_path, step):
    store, settings = fresh
    flaky_endpoint.script(step.delay(3))
    run, _ = run_through(flaky_endpoint, store, settings, tmp_path, timeout=0.5, retries=1)
    assert of(run.candidates, KEDO)[0].object == WD + "Q990000003"


def test_a_timeout_for_good_writes_nothing(fresh, flaky_endpoint, tmp_path, step):
    store, settings = fresh
    before = store.count(graph_iri(LINK_REVIEW, BASE)) if store.graph_exists(
        graph_iri(LINK_REVIEW, BASE)) else 0
    flaky_endpoint.script(step.delay(3), step.delay(3))
    with pytest.raises(RemoteServiceTimeout) as caught:
        run_through(flaky_endpoint, store, settings, tmp_path, timeout=0.5, retries=1)
    assert flaky_endpoint.url in caught.value.message
    after = store.count(graph_iri(LINK_REVIEW, BASE)) if store.graph_exists(
        graph_iri(LINK_REVIEW, BASE)) else 0
    assert after == before


def test_an_endpoint_that_keeps_failing_is_an_error_naming_it(fresh, flaky_endpoint, tmp_path,
                                                              step):
    store, settings = fresh
    flaky_endpoint.script(*[step.status(502)] * 3)
    with pytest.raises(RemoteServiceError) as caught:
        run_through(flaky_endpoint, store, settings, tmp_path, retries=2)
    assert flaky_endpoint.url in caught.value.message and "502" in caught.value.message
    assert read_candidates(store, BASE) == []


def test_a_rerun_is_served_from_the_cache(fresh, flaky_endpoint, tmp_path):
    store, settings = fresh
    first, _ = run_through(flaky_endpoint, store, settings, tmp_path)
    sent = len(flaky_endpoint.requests)
    assert sent > 0
    second, client = run_through(flaky_endpoint, store, settings, tmp_path)
    assert len(flaky_endpoint.requests) == sent  # the proxy saw no new request
    assert client.requests_sent == 0 and second.counts["cache_hits"] == sent
    assert [(c.subject, c.object, c.score) for c in second.candidates] == \
        [(c.subject, c.object, c.score) for c in first.candidates]
    # refresh asks again
    third, _ = run_through(flaky_endpoint, store, settings, tmp_path, refresh=True)
    assert len(flaky_endpoint.requests) == 2 * sent
    assert len(third.candidates) == len(first.candidates)


def test_solutions_that_answer_nothing_asked_are_left_out(fresh, flaky_endpoint, tmp_path,
                                                         step):
    store, settings = fresh
    # the first label query is answered with an entity never asked about, a literal never
    # asked and a row missing its class; nothing of it becomes a candidate
    rows = [{"entity": {"type": "uri", "value": ID + "state/atlantis"},
             "label": {"type": "literal", "value": "Atlantis", "xml:lang": "en"},
             "item": {"type": "uri", "value": WD + "Q1"},
             "property": {"type": "uri", "value": "http://www.w3.org/2000/01/rdf-schema#label"},
             "class": {"type": "uri", "value": WD + "Q5"}},
            {"entity": {"type": "uri", "value": SNYDER},
             "label": {"type": "literal", "value": "Scott Snyder", "xml:lang": "en"},
             "item": {"type": "uri", "value": WD + "Q2"},
             "property": {"type": "uri", "value": "http://www.w3.org/2000/01/rdf-schema#label"}}]
    body = json.dumps({"head": {"vars": ["entity", "label", "item", "property", "class"]},
                       "results": {"bindings": rows}})
    flaky_endpoint.script(step.body(200, "application/sparql-results+json", body))
    run, _ = run_through(flaky_endpoint, store, settings, tmp_path)
    assert {WD + "Q1", WD + "Q2"}.isdisjoint({c.object for c in run.candidates})
    assert ID + "state/atlantis" not in {c.subject for c in run.candidates}


# ---------------------------------------------------------------------- decisions stay


def test_a_rejected_candidate_stays_rejected_on_the_next_run(fresh):
    store, settings = fresh
    first = discover(store, settings, target="wikidata", progress=False)
    best, other = of(first.candidates, SNYDER)
    rejected = candidate_iri(best.subject, best.predicate, best.object, BASE)
    set_status(store, {rejected: Status.REJECTED}, BASE)
    second = discover(store, settings, target="wikidata", progress=False, refresh=True)
    assert second.counts["kept"] >= 1
    # the rejected item is out of the ranking: the other one is first, and alone
    [left] = of(second.candidates, SNYDER)
    assert left.object == other.object and left.rank == 1
    assert not any(r.startswith("ambiguous:") for r in left.evidence)
    stored = {c.object: c for c in read_candidates(store, BASE, target="wikidata")
              if c.subject == SNYDER}
    assert stored[best.object].status == Status.REJECTED
    assert stored[best.object].activity == first.activity  # its record is the old one


# ---------------------------------------------------------------------- the pieces


def test_casings_ask_the_usual_ways_a_title_is_written():
    assert casings("The Strategy of conflict") == [
        "The Strategy of conflict", "the strategy of conflict", "The Strategy of Conflict",
        "The Strategy Of Conflict", "The strategy of conflict", "THE STRATEGY OF CONFLICT"]
    assert casings("日本") == ["日本"]  # no case: asked once
    assert casings("NATO")[0] == "NATO" and "Nato" in casings("NATO")


def test_the_score_adds_up_as_its_reasons_say():
    rdfs_label = "http://www.w3.org/2000/01/rdf-schema#label"
    en, ja = Label("Orbis", "en", False), Label("オービス", "ja", False)
    match = _Match(exact={("en", en, rdfs_label), ("ja", ja, rdfs_label)},
                   classes={WD + "Q1002697"})
    entity = Entity(ID + "journal/orbis", "journal", [en, ja], years={1957})
    value, reasons = score(entity, match, _Context(years={1957}), WIKIDATA)
    assert value == pytest.approx(LABEL + PER_LANGUAGE + TYPE + AGREES)
    assert reasons == ["label 'Orbis'@en = rdfs:label", "2 languages agree (en, ja)",
                       "type periodical (Q1002697)", "dates agree (1957)"]
    assert PER_LANGUAGE <= MAX_LANGUAGES
    # dates far apart contradict; a year apart neither helps nor hurts
    low, said = score(entity, match, _Context(years={1990}), WIKIDATA)
    assert low == pytest.approx(LABEL + PER_LANGUAGE + TYPE + CONTRADICTS)
    assert "dates contradict: ours 1957, theirs 1990" in said
    near, said = score(entity, match, _Context(years={1958}), WIKIDATA)
    assert near == pytest.approx(LABEL + PER_LANGUAGE + TYPE)
    # the same ISSN is near certain, a different one costs much
    entity.issns = {"00304387"}
    assert score(entity, match, _Context(issns={"00304387"}), WIKIDATA)[0] == ISSN_EQUAL
    other, said = score(entity, match, _Context(issns={"12345679"}), WIKIDATA)
    assert other < LABEL and "ISSN differs: ours 0030-4387, theirs 1234-5679" in said
    # never below 0
    entity.countries = {WD + "Q17"}
    worst, _ = score(entity, match, _Context(issns={"12345679"}, years={1800},
                                             countries={WD + "Q30"}), WIKIDATA)
    assert worst == 0.0
