"""The described resource as library code, used without Flask on an in-memory store: IRI and
path mapping, the description (statements with their graphs, blank nodes to a depth,
references up to a limit, labels, evidence), the RDF document, and how many store calls a
description takes."""

from __future__ import annotations

import datetime
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph.errors import NotFound
from alliancegraph.graph import entity
from alliancegraph.links.enrich import ExternalFact, fact_quads
from alliancegraph.store.base import QuadDelta
from alliancegraph.store.memory import MemoryBackend
from alliancegraph.store.policy import PolicyStore

FIXTURE = Path(__file__).parents[1] / "service" / "fixtures" / "linkeddata.trig"
BASE = "https://w3id.org/alliancegraph/"
JAPAN = BASE + "id/state/japan"
PERCEPTION = BASE + "id/paper-b/perception/japan-north-korea"
SECTION = BASE + "id/paper-b/section/3-2"
DEEP = BASE + "id/test/deep-blanks"
AG = BASE + "ontology#"
RDF_VALUE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#value"


def fixture_quads(base: str = BASE) -> list[ox.Quad]:
    text = FIXTURE.read_text(encoding="utf-8").replace(BASE, base)
    return list(ox.parse(text.encode(), ox.RdfFormat.TRIG))


def memory_store(quads: list[ox.Quad]) -> PolicyStore:
    store = PolicyStore(MemoryBackend(), base_iri=BASE, max_rows=100_000, query_timeout=None,
                        validate_on_write=False)
    store.apply(QuadDelta(added=tuple(quads)))
    return store


@pytest.fixture(scope="module")
def quads() -> list[ox.Quad]:
    return fixture_quads()


@pytest.fixture(scope="module")
def store(quads) -> PolicyStore:
    return memory_store(quads)


@pytest.fixture(scope="module")
def reference(quads) -> ox.Store:
    """The same quads (blank nodes and all) in a plain pyoxigraph store, to compute
    expectations from the data."""
    memory = ox.Store()
    memory.extend(quads)
    return memory


class Counting:
    """A store that counts the calls made to it."""

    def __init__(self, store: PolicyStore):
        self.store, self.calls = store, []

    def __getattr__(self, name: str):
        method = getattr(self.store, name)

        def call(*args, **kwargs):
            self.calls.append(name)
            return method(*args, **kwargs)
        return call


def test_iris_map_to_paths_under_the_base() -> None:
    base = "http://localhost:8080/ag/"
    assert entity.iri_for_path("/id/state/japan", base_iri=base) == base + "id/state/japan"
    assert entity.path_for_iri(base + "id/state/japan", base_iri=base) == "id/state/japan"
    assert entity.path_for_iri("http://www.wikidata.org/entity/Q17", base_iri=base) is None
    assert entity.can_be_iri(JAPAN)
    for text in (JAPAN + "> ?p ?o } #", 'a"b', "a b", "a\\b"):
        assert not entity.can_be_iri(text)
        with pytest.raises(NotFound):
            entity.sparql_iri(text)


def test_the_description_holds_the_statements_and_their_graphs(store, reference) -> None:
    description = entity.describe(store, JAPAN, base_iri=BASE)
    assert description is not None and description.iri == JAPAN
    node = ox.NamedNode(JAPAN)
    expected: dict[tuple, set[str]] = {}
    for quad in reference.quads_for_pattern(node, None, None, None):
        obj = None if isinstance(quad.object, ox.BlankNode) else quad.object
        expected.setdefault((quad.predicate, obj), set()).add(quad.graph_name.value)
    found = {(s.predicate, None if isinstance(s.object, ox.BlankNode) else s.object):
             set(s.graphs) for s in description.statements}
    assert found == expected
    assert {s.predicate.value for s in description.values(entity.LABEL_PROPERTIES[0])} == {
        entity.LABEL_PROPERTIES[0]}
    assert len(description.values(entity.LABEL_PROPERTIES[0])) == 3  # en, ja, ko


def test_blank_nodes_are_described_with_their_statements(store) -> None:
    description = entity.describe(store, PERCEPTION, base_iri=BASE)
    [evidence] = description.evidence()
    assert isinstance(evidence.node, ox.BlankNode)
    assert [q.value for q in evidence.quotes] == ["the biggest one being North Korea"]
    assert [p.value for p in evidence.papers] == [BASE + "id/paper-b"]
    assert [s.value for s in evidence.sections] == [SECTION]
    assert [f.value for f in evidence.footnotes] == [BASE + "id/paper-b/footnote/2"]
    assert not evidence.unsupported and evidence.other == ()
    statements = description.subjects[evidence.node.value]
    assert {s.graphs for s in statements} == {(BASE + "graph/paper-b",)}


@pytest.mark.parametrize("depth", [0, 1, 2, 4, 6])
def test_blank_nodes_are_followed_to_the_depth_asked(store, depth: int) -> None:
    description = entity.describe(store, DEEP, base_iri=BASE, blank_node_depth=depth)
    # the fixture nests five blank nodes: the IRI and min(depth, 5) of them are described
    assert len(description.subjects) == 1 + min(depth, 5)
    document = entity.document(store, DEEP, blank_node_depth=depth)
    assert sum(isinstance(t.subject, ox.BlankNode) for t in document) == min(depth, 5)


def test_references_name_the_iri_holding_a_blank_referrer(store) -> None:
    description = entity.describe(store, SECTION, base_iri=BASE)
    by_subject = {r.subject.value: r for r in description.references}
    assert set(by_subject) == {JAPAN, PERCEPTION, BASE + "id/paper-b"}
    perception = by_subject[PERCEPTION]
    assert perception.predicate.value == AG + "evidence"
    assert perception.via.value == AG + "inSection"
    assert perception.quote == "the biggest one being North Korea"
    assert perception.graphs == (BASE + "graph/paper-b",)
    paper = by_subject[BASE + "id/paper-b"]
    assert paper.via is None and paper.predicate.value == AG + "hasSection"
    assert not description.references_truncated


def test_references_stop_at_the_limit_and_say_so() -> None:
    target = BASE + "id/state/target"
    quads = [ox.Quad(ox.NamedNode(f"{BASE}id/claim/{i}"), ox.NamedNode(AG + "about"),
                     ox.NamedNode(target), ox.NamedNode(BASE + "graph/claims"))
             for i in range(12)]
    store = memory_store(quads)
    for limit, truncated in ((5, True), (11, True), (12, False), (100, False)):
        description = entity.describe(store, target, base_iri=BASE, referenced_by_limit=limit)
        assert len(description.references) == min(limit, 12)
        assert description.references_truncated is truncated
    # listed in a stable order: by property, then referrer
    listed = [r.subject.value for r in entity.describe(store, target, base_iri=BASE).references]
    assert listed == sorted(listed)


def test_every_iri_named_gets_its_preferred_label(store) -> None:
    description = entity.describe(store, PERCEPTION, base_iri=BASE)
    labels = description.labels
    assert labels[PERCEPTION] == "Japan perceives North Korean missiles as its biggest threat"
    assert labels[JAPAN] == "Japan"  # English first of "Japan"@en, "日本"@ja, "일본"@ko
    assert labels[BASE + "scheme/perception-intensity/biggest-threat"] == "biggest threat"
    assert labels[AG + "perceiver"] == "perceiver"  # predicates are labelled too
    assert labels[BASE + "id/paper-b"].startswith("The Changing Security Environment")


def test_preferred_labels_rank_property_then_language() -> None:
    skos_pref, rdfs_label = entity.LABEL_PROPERTIES[0], entity.LABEL_PROPERTIES[1]

    def row(prop: str, value: str, language: str | None = None) -> dict:
        return {"r": ox.NamedNode("urn:x"), "p": ox.NamedNode(prop),
                "l": ox.Literal(value, language=language)}

    assert entity.preferred_labels([row(rdfs_label, "label"), row(skos_pref, "Pref", "ja")]) \
        == {"urn:x": "Pref"}
    assert entity.preferred_labels([row(skos_pref, "日本", "ja"), row(skos_pref, "plain"),
                                    row(skos_pref, "Japan", "en-GB")]) == {"urn:x": "Japan"}
    assert entity.preferred_labels([row(skos_pref, "日本", "ja"), row(skos_pref, "plain")]) \
        == {"urn:x": "plain"}


def test_the_labels_query_has_one_values_clause() -> None:
    """Two VALUES (IRIs and properties) made Oxigraph scan the whole store."""
    query = entity.labels_query([JAPAN, PERCEPTION])
    assert query.count("VALUES") == 1 and "FILTER(?p IN (" in query


def test_a_description_takes_two_store_calls(store) -> None:
    counting = Counting(store)
    assert entity.describe(counting, JAPAN, base_iri=BASE) is not None  # type: ignore[arg-type]
    assert counting.calls == ["select", "select"]
    counting.calls.clear()
    assert entity.describe(counting, BASE + "id/state/atlantis",  # type: ignore[arg-type]
                           base_iri=BASE) is None
    assert counting.calls == ["select"]  # nothing found: no labels to look up


def test_unknown_iris_are_not_described(store) -> None:
    assert entity.describe(store, BASE + "id/state/atlantis", base_iri=BASE) is None
    assert not entity.exists(store, BASE + "id/state/atlantis")
    assert not entity.exists(store, 'a"b')
    assert entity.exists(store, JAPAN)
    assert entity.exists(store, BASE + "id/paper-b/footnote/2")
    assert entity.document(store, BASE + "id/state/atlantis") == []


def test_the_document_holds_the_statements_blank_nodes_and_referrers(store, reference) -> None:
    triples = entity.document(store, JAPAN)
    assert len(triples) == len(set(triples))
    node = ox.NamedNode(JAPAN)
    own = {q.triple for q in reference.quads_for_pattern(node, None, None, None)}
    inbound = {q.triple for q in reference.quads_for_pattern(None, None, node, None)
               if isinstance(q.subject, ox.NamedNode)}
    blank = {q.triple for b in (t.object for t in own if isinstance(t.object, ox.BlankNode))
             for q in reference.quads_for_pattern(b, None, None, None)}
    assert set(triples) == own | inbound | blank
    # and it is the result of the query the page advertises
    assert set(store.construct(entity.document_query(JAPAN))) == set(triples)


def test_the_description_is_immutable(store) -> None:
    description = entity.describe(store, JAPAN, base_iri=BASE)
    with pytest.raises(TypeError):
        description.subjects[JAPAN] = ()  # type: ignore[index]
    with pytest.raises(TypeError):
        description.labels[JAPAN] = "x"  # type: ignore[index]
    with pytest.raises(AttributeError):
        description.iri = "x"  # type: ignore[misc]


def test_another_base_iri() -> None:
    base = "http://localhost:8080/ag/"
    store = memory_store(fixture_quads(base))
    description = entity.describe(store, base + "id/paper-b/perception/japan-north-korea",
                                  base_iri=base)
    [evidence] = description.evidence()  # ag:evidence under the new base
    assert evidence.quotes[0].value == "the biggest one being North Korea"
    section = entity.describe(store, base + "id/paper-b/section/3-2", base_iri=base)
    assert {r.quote for r in section.references} >= {"the biggest one being North Korea"}


# ---------------------------------------------------------------------- external facts

Q17 = "http://www.wikidata.org/entity/Q17"
WDT = "http://www.wikidata.org/prop/direct/"
RETRIEVED = datetime.datetime(2026, 12, 1, 9, 30, tzinfo=datetime.UTC)


def external_fact(item: str, prop: str, value: ox.Literal, **more) -> ExternalFact:
    return ExternalFact(item, WDT + prop, value, "http://www.wikidata.org/entity/" + prop,
                        RETRIEVED, "http://127.0.0.1:1/query", **more)


@pytest.fixture(scope="module")
def enriched_store(quads) -> PolicyStore:
    """The fixture, plus external facts about Japan's linked item (and decoys)."""
    population = external_fact(Q17, "P1082", ox.Literal("126146099"),
                               point_in_time=datetime.date(2020, 10, 1))
    facts = [*fact_quads(external_fact(Q17, "P297", ox.Literal("JP")), BASE),
             *fact_quads(population, BASE),
             # about an item nothing here is linked to
             *fact_quads(external_fact("http://www.wikidata.org/entity/Q884", "P297",
                                       ox.Literal("KR")), BASE)]
    # the same shape in another graph is no external fact: it never shows
    elsewhere = ox.NamedNode(BASE + "graph/paper-a")
    decoy = [ox.Quad(q.subject, q.predicate, q.object, elsewhere) for q in
             fact_quads(external_fact(Q17, "P36", ox.Literal("Kyoto")), BASE)]
    return memory_store([*quads, *facts, *decoy])


def test_a_description_holds_the_external_facts_of_its_linked_items(enriched_store,
                                                                    store) -> None:
    description = entity.describe(enriched_store, JAPAN, base_iri=BASE)
    facts = {(f.item.value, f.predicate.value, f.value.value): f
             for f in description.external_facts}
    assert set(facts) == {(Q17, WDT + "P297", "JP"), (Q17, WDT + "P1082", "126146099")}
    population = facts[(Q17, WDT + "P1082", "126146099")]
    assert population.point_in_time.value == "2020-10-01"
    assert population.source_property.value == "http://www.wikidata.org/entity/P1082"
    assert population.retrieved.value == "2026-12-01T09:30:00Z"
    assert population.endpoint.value == "http://127.0.0.1:1/query"
    assert facts[(Q17, WDT + "P297", "JP")].point_in_time is None
    # and the entity's own statements are what they were
    plain = entity.describe(store, JAPAN, base_iri=BASE)
    assert description.subjects == plain.subjects and plain.external_facts == ()


def test_external_facts_cost_no_extra_store_call(enriched_store) -> None:
    counting = Counting(enriched_store)
    description = entity.describe(counting, JAPAN, base_iri=BASE)  # type: ignore[arg-type]
    assert description.external_facts and counting.calls == ["select", "select"]


def test_an_unlinked_entity_has_no_external_facts(enriched_store) -> None:
    assert entity.describe(enriched_store, PERCEPTION, base_iri=BASE).external_facts == ()


def test_the_document_holds_no_external_fact(enriched_store, store) -> None:
    triples = entity.document(enriched_store, JAPAN)
    assert triples and all(t.subject != ox.NamedNode(Q17) for t in triples)
    assert set(triples) == set(entity.document(store, JAPAN))
