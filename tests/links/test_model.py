"""Links, candidates and activities as data (links/model.py), on the memory and the embedded
backend: stable keys, the quads in the right graphs, faithful round trips, one write each,
curated links never overwritten, decided candidates never reopened."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from alliancegraph import CANONICAL_BASE
from alliancegraph.config import load_settings
from alliancegraph.errors import BadRequest, NotFound
from alliancegraph.graph.vocabulary import LINK_REVIEW, graph_iri
from alliancegraph.links.model import (
    LINK_PREDICATES,
    Candidate,
    Link,
    Origin,
    Status,
    activity_quads,
    add_links,
    candidate_iri,
    curator_agent,
    kept_link_quads,
    link_iri,
    link_quads,
    linked_objects,
    read_activities,
    read_candidates,
    read_links,
    save_candidates,
    set_status,
)
from alliancegraph.store import QuadDelta, Store, open_store

BASE = CANONICAL_BASE
OTHER = "http://localhost:8000/"
SAME, EXACT, CLOSE = LINK_PREDICATES[0], LINK_PREDICATES[1], LINK_PREDICATES[2]
WD = "http://www.wikidata.org/entity/"
SEMAPV = "https://w3id.org/semapv/vocab/"
JAPAN, KOREA = f"{BASE}id/state/japan", f"{BASE}id/state/south-korea"
LINKS = graph_iri("links", BASE)
REVIEW = graph_iri(LINK_REVIEW, BASE)
ACTIVITY = f"{BASE}id/activity/link-wikidata-20261202T031500Z"
DAY = datetime.date(2026, 12, 2)
WHEN = datetime.datetime(2026, 12, 2, 3, 15, 0, 250000, tzinfo=datetime.UTC)


def discovered(subject: str = JAPAN, object: str = WD + "Q17", **more) -> Link:
    fields = dict(subject=subject, predicate=SAME, object=object, origin=Origin.DISCOVERED,
                  justification=SEMAPV + "LexicalMatching", date=DAY, confidence=0.93,
                  tool="alliancegraph link 0.1.0", evidence="label 'Japan'@en; type country",
                  activity=ACTIVITY, subject_label="Japan", object_label="Japan")
    return Link(**(fields | more))


def curated(subject: str = JAPAN, object: str = WD + "Q17") -> Link:
    return Link(subject, SAME, object, Origin.CURATED, SEMAPV + "ManualMappingCuration", DAY,
                author=curator_agent(BASE))


def candidate(object: str = WD + "Q17", **more) -> Candidate:
    fields = dict(subject=JAPAN, predicate=SAME, object=object, score=0.875, rank=1,
                  evidence=("label 'Japan'@en", "type country (Q6256)", "label '日本'@ja"),
                  kind="state", target="wikidata", subject_label="Japan",
                  object_label="Japan", created=WHEN, activity=ACTIVITY)
    return Candidate(**(fields | more))


@pytest.fixture(scope="module", params=["memory", "embedded"])
def opened(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    settings = load_settings(environ={}, overrides={
        "store": request.param, "data_dir": str(tmp_path_factory.mktemp("model")),
        "validate_on_write": False})
    made = open_store(settings)
    yield made
    made.close()


@pytest.fixture
def store(opened: Store) -> Store:
    """The module's store, emptied."""
    opened.apply(QuadDelta(removed=tuple(opened.quads()),
                           dropped_graphs=tuple(opened.graph_names())))
    return opened


class CountingStore:
    """A store that counts its writes (each must be one apply)."""

    def __init__(self, inner: Store) -> None:
        self.inner, self.writes = inner, 0

    def apply(self, change):
        self.writes += 1
        return self.inner.apply(change)

    def __getattr__(self, name):
        return getattr(self.inner, name)


# ---------------------------------------------------------------------- keys and quads


def test_keys_are_stable_and_differ_by_subject_predicate_and_object():
    key = link_iri(JAPAN, SAME, WD + "Q17", BASE)
    assert key == link_iri(JAPAN, SAME, WD + "Q17", BASE)
    assert key.startswith(f"{BASE}id/mapping/") and len(key.rsplit("/", 1)[1]) == 16
    others = {link_iri(KOREA, SAME, WD + "Q17", BASE), link_iri(JAPAN, EXACT, WD + "Q17", BASE),
              link_iri(JAPAN, SAME, WD + "Q884", BASE)}
    assert key not in others and len(others) == 3
    assert candidate_iri(JAPAN, SAME, WD + "Q17", BASE).startswith(f"{BASE}id/candidate/")
    assert candidate_iri(JAPAN, SAME, WD + "Q17", BASE).rsplit("/", 1)[1] == key.rsplit("/")[-1]


def test_a_key_is_the_same_at_another_base():
    """The sources name axioms under the canonical base; rebased, they must still match."""
    here = link_iri(JAPAN, SAME, WD + "Q17", BASE).rsplit("/", 1)[1]
    there = link_iri(JAPAN.replace(BASE, OTHER), SAME, WD + "Q17", OTHER)
    assert there == f"{OTHER}id/mapping/{here}"


def test_link_quads_are_the_triple_and_its_axiom_in_the_links_graph():
    quads = link_quads(discovered(), BASE)
    assert {q.graph_name for q in quads} == {ox.NamedNode(LINKS)}
    assert quads[0].triple == ox.Triple(ox.NamedNode(JAPAN), ox.NamedNode(SAME),
                                        ox.NamedNode(WD + "Q17"))
    axiom = ox.NamedNode(link_iri(JAPAN, SAME, WD + "Q17", BASE))
    by_predicate = {q.predicate.value.rsplit("/", 1)[-1]: q.object for q in quads[1:]
                    if q.subject == axiom}
    assert len(quads) == 1 + len(by_predicate)
    assert by_predicate["22-rdf-syntax-ns#type"] == ox.NamedNode(
        "http://www.w3.org/2002/07/owl#Axiom")
    assert by_predicate["owl#annotatedTarget"] == ox.NamedNode(WD + "Q17")
    assert by_predicate["ontology#linkOrigin"] == ox.NamedNode(
        f"{BASE}ontology#DiscoveredLink")
    assert by_predicate["confidence"] == ox.Literal(
        "0.93", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#double"))
    assert by_predicate["mapping_date"].value == "2026-12-02"
    assert by_predicate["prov#wasGeneratedBy"] == ox.NamedNode(ACTIVITY)


@pytest.mark.parametrize("change, message", [
    ({"predicate": "http://www.w3.org/2000/01/rdf-schema#seeAlso"}, "predicate"),
    ({"object": "not an iri"}, "object"),
    ({"confidence": 1.5}, "confidence"),
])
def test_a_bad_link_is_a_clear_error(change, message):
    with pytest.raises(BadRequest, match=message):
        link_quads(discovered(**change), BASE)


# ---------------------------------------------------------------------- links in the store


def test_links_round_trip(store):
    links = [discovered(),
             discovered(KOREA, WD + "Q884", predicate=EXACT, confidence=0.5, evidence=None,
                        subject_label=None, object_label=None),
             curated(JAPAN, "http://dbpedia.org/resource/Japan"),
             discovered(KOREA, WD + "Q1", origin=Origin.REVIEWED, predicate=CLOSE,
                        reviewer=f"{BASE}id/agent/someone")]
    assert add_links(store, links, BASE) == 4
    assert read_links(store, BASE) == sorted(links, key=lambda x: (x.subject, x.predicate,
                                                                   x.object))
    assert read_links(store, BASE, origin=Origin.CURATED) == [links[2]]
    assert read_links(store, BASE, origin=Origin.REVIEWED) == [links[3]]
    assert set(store.graph_names()) == {LINKS}


def test_linked_objects_by_prefix(store):
    add_links(store, [discovered(), curated(JAPAN, "http://dbpedia.org/resource/Japan"),
                      discovered(KOREA, WD + "Q884", predicate=EXACT)], BASE)
    assert linked_objects(store, BASE, WD) == {JAPAN: {WD + "Q17"}, KOREA: {WD + "Q884"}}
    assert linked_objects(store, BASE, "http://dbpedia.org/") == {
        JAPAN: {"http://dbpedia.org/resource/Japan"}}
    assert linked_objects(store, BASE, "https://orcid.org/") == {}


def test_add_links_is_one_write_and_never_overwrites_a_curated_link(store):
    counting = CountingStore(store)
    assert add_links(counting, [curated()], BASE) == 1
    assert add_links(counting, [discovered(), discovered(KOREA, WD + "Q884")], BASE) == 1
    assert counting.writes == 2
    assert {link.origin for link in read_links(store, BASE)} == {Origin.CURATED,
                                                                  Origin.DISCOVERED}
    (japan,) = [link for link in read_links(store, BASE) if link.subject == JAPAN]
    assert japan == curated()


def test_a_discovered_link_is_replaced_whole_by_its_review(store):
    add_links(store, [discovered()], BASE)
    reviewed = discovered(origin=Origin.REVIEWED, reviewer=f"{BASE}id/agent/someone",
                          confidence=1.0, evidence=None)
    assert add_links(store, [reviewed], BASE) == 1
    assert read_links(store, BASE) == [reviewed]
    axiom = ox.NamedNode(link_iri(JAPAN, SAME, WD + "Q17", BASE))
    # no value of the old axiom is left (its evidence)
    assert len(store.quads(axiom, None, None)) == len(link_quads(reviewed, BASE)) - 1


def test_nothing_to_add_writes_nothing(store):
    counting = CountingStore(store)
    assert add_links(counting, [], BASE) == 0
    assert counting.writes == 0


def test_activities_round_trip_and_travel_with_their_links(store):
    ended = WHEN + datetime.timedelta(seconds=42)
    quads = activity_quads(ACTIVITY, graph=LINKS, started=WHEN, ended=ended,
                           endpoint="http://127.0.0.1:1234/query", tool="alliancegraph link",
                           label="link discovery against wikidata")
    assert add_links(store, [discovered()], BASE, activity=quads) == 1
    (activity,) = read_activities(store, LINKS)
    assert (activity.iri, activity.started, activity.ended, activity.endpoint,
            activity.tool) == (ACTIVITY, WHEN, ended, "http://127.0.0.1:1234/query",
                               "alliancegraph link")
    kept = kept_link_quads(store, BASE)
    assert set(kept) == set(store.quads(graph=LINKS))


def test_kept_link_quads_leave_curated_links_out(store):
    add_links(store, [curated(), discovered(KOREA, WD + "Q884")], BASE)
    kept = kept_link_quads(store, BASE)
    assert {q.subject.value for q in kept} == {
        KOREA, link_iri(KOREA, SAME, WD + "Q884", BASE)}


def test_links_at_another_base(store):
    link = discovered(JAPAN.replace(BASE, OTHER), activity=None)
    add_links(store, [link], OTHER)
    assert read_links(store, OTHER) == [link]
    assert read_links(store, BASE) == []
    assert store.graph_names() == [graph_iri("links", OTHER)]


# ---------------------------------------------------------------------- candidates


def test_candidates_round_trip_in_the_review_graph(store):
    ambiguous = [candidate(), candidate(WD + "Q99", rank=2, score=0.875, evidence=(),
                                        created=None, activity=None, object_label="")]
    other = candidate("http://dbpedia.org/resource/Japan", target="dbpedia")
    assert save_candidates(store, [*ambiguous, other], BASE) == 3
    assert store.graph_names() == [REVIEW]
    assert read_candidates(store, BASE) == [other, *ambiguous]
    assert read_candidates(store, BASE, target="wikidata") == ambiguous
    assert read_candidates(store, BASE, status=Status.REJECTED) == []


def test_evidence_keeps_its_order():
    reasons = ("z last alphabetically, first given", "a", "m")
    assert sorted(reasons) != list(reasons)
    quads = [q for q in _saved(candidate(evidence=reasons))
             if q.predicate.value.endswith("#candidateEvidence")]
    assert len(quads) == 3


def _saved(c: Candidate) -> list[ox.Quad]:
    settings = load_settings(environ={}, overrides={"store": "memory",
                                                    "validate_on_write": False})
    store = open_store(settings)
    try:
        save_candidates(store, [c], BASE)
        assert read_candidates(store, BASE) == [c]
        return store.quads(graph=REVIEW)
    finally:
        store.close()


def test_a_pending_candidate_is_replaced_a_decided_one_is_kept(store):
    save_candidates(store, [candidate(), candidate(WD + "Q99", rank=2)], BASE)
    rejected = candidate_iri(JAPAN, SAME, WD + "Q99", BASE)
    assert set_status(store, {rejected: Status.REJECTED}, BASE) == 1
    again = [candidate(score=0.5, evidence=("label 'Japan'@en",)),
             candidate(WD + "Q99", rank=1, score=0.99)]
    counting = CountingStore(store)
    assert save_candidates(counting, again, BASE) == 1
    assert counting.writes == 1
    found = {c.object: c for c in read_candidates(store, BASE)}
    assert found[WD + "Q17"] == again[0]
    assert found[WD + "Q99"] == candidate(WD + "Q99", rank=2, status=Status.REJECTED)
    assert read_candidates(store, BASE, status=Status.REJECTED) == [found[WD + "Q99"]]


def test_an_accepted_candidate_stays_accepted(store):
    save_candidates(store, [candidate()], BASE)
    iri = candidate_iri(JAPAN, SAME, WD + "Q17", BASE)
    assert set_status(store, {iri: Status.ACCEPTED}, BASE) == 1
    assert set_status(store, {iri: Status.ACCEPTED}, BASE) == 0  # already so: no write
    assert save_candidates(store, [candidate(score=0.1)], BASE) == 0
    (kept,) = read_candidates(store, BASE)
    assert (kept.status, kept.score) == (Status.ACCEPTED, 0.875)
    statuses = store.quads(ox.NamedNode(iri),
                           ox.NamedNode(f"{BASE}ontology#reviewStatus"), None)
    assert len(statuses) == 1


def test_set_status_of_no_candidate_is_not_found_and_writes_nothing(store):
    save_candidates(store, [candidate()], BASE)
    before = store.generation()
    good = candidate_iri(JAPAN, SAME, WD + "Q17", BASE)
    with pytest.raises(NotFound, match="no link candidate"):
        set_status(store, {good: Status.REJECTED, f"{BASE}id/candidate/nope": Status.REJECTED},
                   BASE)
    assert store.generation() == before
    assert read_candidates(store, BASE)[0].status is Status.PENDING


def test_save_candidates_writes_the_activity_with_them(store):
    quads = activity_quads(ACTIVITY, graph=REVIEW, started=WHEN, ended=WHEN,
                           endpoint="http://127.0.0.1:1234/query", tool="t", label="run")
    save_candidates(store, [candidate()], BASE, activity=quads)
    assert [a.iri for a in read_activities(store, REVIEW)] == [ACTIVITY]
    assert read_activities(store, LINKS) == []


@pytest.mark.parametrize("change, message", [
    ({"score": -0.1}, "score"), ({"rank": 0}, "rank"), ({"subject": "japan"}, "subject")])
def test_a_bad_candidate_is_a_clear_error_and_writes_nothing(store, change, message):
    with pytest.raises(BadRequest, match=message):
        save_candidates(store, [candidate(WD + "Q5"), candidate(**change)], BASE)
    assert store.graph_names() == []


def test_every_link_and_candidate_is_read_whatever_the_row_limit():
    """A link is about eight rows of the links graph: reading them all must not stop at the
    setting max_rows (the SSSOM export and the build read every link)."""
    settings = load_settings(environ={}, overrides={"store": "memory", "max_rows": 20,
                                                    "validate_on_write": False})
    store = open_store(settings)
    try:
        links = [discovered(f"{BASE}id/state/s{n}", f"{WD}Q{n + 1}") for n in range(10)]
        candidates = [candidate(f"{WD}Q{n + 1}") for n in range(10)]
        add_links(store, links, BASE)
        save_candidates(store, candidates, BASE)
        assert store.count(LINKS) > 20
        assert len(read_links(store, BASE)) == 10
        assert len(read_candidates(store, BASE)) == 10
    finally:
        store.close()
