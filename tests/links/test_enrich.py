"""Enrichment end to end: a built store whose links point at items of the Wikidata-shaped
Oxigraph server (``external_sparql``) is enriched; the facts land in the external graph
only, each with its provenance; a re-run from the cache changes nothing; ``--refresh``
replaces changed facts; a failure mid-run writes nothing; queries join local and external
facts with no network; entity pages show them in their own section; the command prints a
summary and fails with exit 2. The pieces (queries, best rank, dates, fact IRIs) are tested
on their own."""

from __future__ import annotations

import datetime
import json
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph.cli import main
from alliancegraph.errors import BadRequest, RemoteServiceError
from alliancegraph.graph.queries import example
from alliancegraph.graph.vocabulary import EXTERNAL, graph_iri
from alliancegraph.links import enrich as enrich_module
from alliancegraph.links.client import EndpointClient
from alliancegraph.links.discover import discover
from alliancegraph.links.enrich import (
    ExternalFact,
    enrich,
    fact_iri,
    fact_quads,
    facts_query,
    population_query,
    read_facts,
)
from alliancegraph.service import create_app
from alliancegraph.shapes.validate import validate
from alliancegraph.store import open_store
from alliancegraph.store.base import QuadDelta
from click.testing import CliRunner

BASE = "https://w3id.org/alliancegraph/"
AG = BASE + "ontology#"
EXTERNAL_GRAPH = graph_iri(EXTERNAL, BASE)
JAPAN = BASE + "id/state/japan"
WD = "http://www.wikidata.org/entity/"
WDT = "http://www.wikidata.org/prop/direct/"
Q17, Q884, Q7804 = WD + "Q17", WD + "Q884", WD + "Q7804"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"


FIXTURE = Path(__file__).parents[1] / "fixtures" / "external" / "wikidata.ttl"
WIKIBASE = "http://wikiba.se/ontology#"


@pytest.fixture(scope="module")
def source() -> ox.Store:
    """The Wikidata-shaped fixture itself, to compute what enrichment should find."""
    store = ox.Store()
    store.load(FIXTURE.read_bytes(), ox.RdfFormat.TURTLE)
    return store


def truthy(source: ox.Store, item: str, predicate: str, language: str | None = None) -> set:
    return {q.object for q in source.quads_for_pattern(ox.NamedNode(item),
                                                       ox.NamedNode(predicate), None, None)
            if language is None or getattr(q.object, "language", None) == language}


def best_population(source: ox.Store, item: str) -> tuple[ox.Literal, datetime.date]:
    """The population of the fixture's preferred statement of ``item``, and its date."""
    [row] = source.query(f"""SELECT ?v ?t WHERE {{ <{item}> <http://www.wikidata.org/prop/P1082>
        ?s . ?s <{WIKIBASE}rank> <{WIKIBASE}PreferredRank> ;
        <http://www.wikidata.org/prop/statement/P1082> ?v ;
        <http://www.wikidata.org/prop/qualifier/P585> ?t }}""")
    return row["v"], datetime.date.fromisoformat(row["t"].value[:10])


def no_wait(seconds: float) -> None:
    """An injected sleep: retries go at once."""


@pytest.fixture(scope="module")
def enriched(tmp_path_factory, settings_for):
    """A store enriched once from the Wikidata-shaped server, with the run's report and
    the time around it (for tests that only read)."""
    settings = settings_for(tmp_path_factory.mktemp("enriched"))
    store = open_store(settings)
    before = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    report = enrich(store, settings, progress=False)
    after = datetime.datetime.now(datetime.UTC)
    yield store, settings, report, (before, after)
    store.close()


def facts_by(facts: list[ExternalFact], item: str, predicate: str) -> list[ExternalFact]:
    return [f for f in facts if f.item == item and f.predicate == predicate]


def external_quads(store) -> set[ox.Quad]:
    return set(store.quads(graph=EXTERNAL_GRAPH))


# ---------------------------------------------------------------------- the facts


SKOS_ALT_LABEL = "http://www.w3.org/2004/02/skos/core#altLabel"
#: one linked item per kind of fact (state, organisation, place, person, journal)
SAMPLES = {Q17: ("P297", "P36"), Q7804: ("P571",), WD + "Q1490": ("P625",),
           WD + "Q23505": ("P569", "P570")}


def test_linked_items_get_their_facts_with_provenance(enriched, external_sparql, source):
    store, _, report, (before, after) = enriched
    facts = read_facts(store, BASE)
    for item, properties in SAMPLES.items():
        for prop in properties:
            found = facts_by(facts, item, WDT + prop)
            assert {f.value for f in found} == truthy(source, item, WDT + prop), (item, prop)
            assert found and all(f.source_property == WD + prop for f in found)
    for fact in facts:
        assert fact.endpoint == external_sparql.wikidata
        assert before <= fact.retrieved <= after
    for language in ("en", "ja", "ko", "zh", "fr", "de"):
        assert {f.value for f in facts_by(facts, Q17, RDFS_LABEL)
                if f.value.language == language} == truthy(source, Q17, RDFS_LABEL, language)
    assert {f.value for f in facts_by(facts, Q884, SKOS_ALT_LABEL)} == \
        truthy(source, Q884, SKOS_ALT_LABEL)
    # only the chosen facts: no types, no descriptions, no other properties
    assert not facts_by(facts, Q17, WDT + "P31") and not facts_by(facts, Q17, WDT + "P1448")
    assert report.items >= len(SAMPLES) and report.entities >= len(SAMPLES)
    assert report.facts == len([f for f in facts if f.item.startswith(WD + "Q")])


def test_journals_get_their_issn(tmp_path, settings_for, source):
    # no journal of the built graph links to Wikidata yet: link one to a fixture journal
    # (written as the build writes, unvalidated: the link's own shapes are not this test's)
    settings = settings_for(tmp_path, validate_on_write=False)
    store = open_store(settings)
    try:
        journal = WD + "Q990000302"
        link = ox.Quad(ox.NamedNode(BASE + "id/journal/test-journal"),
                       ox.NamedNode(OWL + "sameAs"), ox.NamedNode(journal),
                       ox.NamedNode(graph_iri("links", BASE)))
        store.apply(QuadDelta(added=(link,)))
        enrich(store, settings, progress=False)
        found = facts_by(read_facts(store, BASE), journal, WDT + "P236")
    finally:
        store.close()
    assert {f.value for f in found} == truthy(source, journal, WDT + "P236") != set()


def test_population_is_the_best_ranked_statement_with_its_point_in_time(enriched, source):
    store, *_ = enriched
    value, when = best_population(source, Q17)
    # the fixture also has a normal-rank population of another year and value
    others = list(source.query(f"""SELECT ?v WHERE {{ <{Q17}> <http://www.wikidata.org/prop/P1082>
        ?s . ?s <http://www.wikidata.org/prop/statement/P1082> ?v FILTER(?v != {value}) }}"""))
    assert others
    [population] = facts_by(read_facts(store, BASE), Q17, WDT + "P1082")
    assert (population.value, population.point_in_time) == (value, when)
    assert population.source_property == WD + "P1082"


def test_each_fact_is_the_truthy_triple_and_an_annotation_axiom(enriched, external_sparql):
    store, *_ = enriched
    graph = ox.NamedNode(EXTERNAL_GRAPH)
    jp = ox.Literal("JP")
    assert ox.Quad(ox.NamedNode(Q17), ox.NamedNode(WDT + "P297"), jp, graph) \
        in external_quads(store)
    axiom = ox.NamedNode(fact_iri(Q17, WDT + "P297", jp, BASE))
    props = {(q.predicate.value, q.object) for q in store.quads(subject=axiom,
                                                                 graph=EXTERNAL_GRAPH)}
    assert {("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", ox.NamedNode(OWL + "Axiom")),
            ("http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
             ox.NamedNode(AG + "ExternalFact")),
            (OWL + "annotatedSource", ox.NamedNode(Q17)),
            (OWL + "annotatedProperty", ox.NamedNode(WDT + "P297")),
            (OWL + "annotatedTarget", jp),
            (PROV + "wasDerivedFrom", ox.NamedNode(Q17)),
            (AG + "sourceProperty", ox.NamedNode(WD + "P297")),
            (DCTERMS + "source", ox.NamedNode(external_sparql.wikidata))} <= props
    [time] = [o for p, o in props if p == PROV + "generatedAtTime"]
    assert time.datatype == ox.NamedNode(XSD + "dateTime")
    population = store.select(f"""SELECT ?t WHERE {{ GRAPH <{EXTERNAL_GRAPH}> {{
        ?f <{OWL}annotatedSource> <{Q17}> ; <{OWL}annotatedProperty> <{WDT}P1082> ;
           <{AG}pointInTime> ?t }} }}""")
    assert [row["t"] for row in population] == [
        ox.Literal("2020-10-01", datatype=ox.NamedNode(XSD + "date"))]


def test_external_facts_and_paper_statements_never_share_a_graph(enriched):
    store, *_ = enriched
    fact_nodes = {q.subject for q in store.quads(
        predicate=ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
        object=ox.NamedNode(AG + "ExternalFact"))}
    items = {q.object for q in store.quads(predicate=ox.NamedNode(OWL + "annotatedSource"),
                                           graph=EXTERNAL_GRAPH)}
    assert fact_nodes and items
    for quad in store.quads():
        in_external = quad.graph_name == ox.NamedNode(EXTERNAL_GRAPH)
        about_facts = quad.subject in fact_nodes or (
            quad.subject in items and quad.predicate.value.startswith(WDT))
        if about_facts:
            assert in_external, quad
        if in_external:
            # the external graph holds facts about external items and their axioms only
            assert quad.subject in fact_nodes or quad.subject in items, quad
            assert not quad.subject.value.startswith(BASE + "id/state/"), quad


def test_the_other_graphs_are_untouched(enriched, settings_for, tmp_path):
    store, *_ = enriched
    settings = settings_for(tmp_path)
    plain = open_store(settings)
    try:
        for name in plain.graph_names():
            assert set(plain.quads(graph=name)) == set(store.quads(graph=name)), name
        assert EXTERNAL_GRAPH not in plain.graph_names()
        assert EXTERNAL_GRAPH in store.graph_names()
    finally:
        plain.close()


def test_the_external_graph_conforms_to_the_shapes(enriched):
    store, *_ = enriched
    alone = ox.Store()
    alone.extend(external_quads(store))
    report = validate(alone)
    assert report.conforms, [r.message for r in report.violations]
    # and the write itself ran under validation on write (the setting's default)
    assert enriched[1].validate_on_write


def test_a_join_of_local_and_external_facts_needs_no_network(enriched, flaky_endpoint):
    store, *_ = enriched
    rows = store.select(f"""
        PREFIX owl: <{OWL}> PREFIX wdt: <{WDT}> PREFIX ag: <{AG}>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?state ?iso ?ja WHERE {{
            GRAPH <{graph_iri("links", BASE)}> {{ ?state owl:sameAs ?item }}
            GRAPH <{EXTERNAL_GRAPH}> {{ ?item wdt:P297 ?iso .
                OPTIONAL {{ ?item rdfs:label ?ja FILTER(LANG(?ja) = "ja") }} }}
            ?state a ag:State .
        }}""")
    found = {(row["state"].value, row["iso"].value, row["ja"].value) for row in rows}
    assert (JAPAN, "JP", "日本") in found
    assert (BASE + "id/state/south-korea", "KR", "大韓民国") in found
    assert flaky_endpoint.requests == []  # (the store reached no endpoint)


def test_the_shipped_population_query_reads_the_external_facts(enriched, source):
    """graph/queries/links-external-populations.rq: local states joined with the
    populations enrich fetched, with the date each holds for."""
    store, *_ = enriched
    rows = {row["state"].value: row for row in store.select(
        example("links-external-populations").text)}
    value, when = best_population(source, Q17)
    assert rows[JAPAN]["population"] == value
    assert rows[JAPAN]["pointInTime"].value == when.isoformat()
    assert rows[JAPAN]["item"].value == Q17


def test_the_entity_page_shows_the_facts_in_their_own_section(enriched, source):
    store, settings, *_ = enriched
    app = create_app({"data_dir": settings.data_dir, "base_iri": BASE, "TESTING": True,
                      "STORE": store})
    page = app.test_client().get("/id/state/japan.html").get_data(as_text=True)
    section = page.split('id="from-linked-datasets"', 1)[1].split("</section>", 1)[0]
    assert "From linked datasets" in section and f'href="{Q17}"' in section
    value, when = best_population(source, Q17)
    assert "JP" in section and "日本" in section and when.isoformat() in section
    assert value.value in section
    # the entity's own statements do not list them
    before = page.split('id="from-linked-datasets"', 1)[0]
    assert value.value not in before and "Japon" not in before and "Japon" in section
    # nor does the RDF document about the entity: they are the linked item's, in their graph
    turtle = app.test_client().get("/id/state/japan.ttl").get_data(as_text=True)
    assert value.value not in turtle and "Japon" not in turtle and "P297" not in turtle


# ---------------------------------------------------------------------- re-runs


def test_a_rerun_from_the_cache_sends_nothing_and_writes_nothing(fresh):
    store, settings = fresh
    first = enrich(store, settings, progress=False)
    assert first.requests_sent == 3 and first.added > 0  # facts, population, property labels
    generation, quads = store.generation(), external_quads(store)
    again = enrich(store, settings, progress=False)
    assert again.requests_sent == 0 and again.cache_hits == 3
    assert (again.added, again.removed) == (0, 0)
    assert store.generation() == generation and external_quads(store) == quads


def test_refresh_fetches_again_and_replaces_changed_facts(fresh, flaky_endpoint, step):
    store, settings = fresh
    enrich(store, settings, target=flaky_endpoint.url, progress=False)
    old = read_facts(store, BASE)
    assert facts_by(old, Q17, WDT + "P297")[0].value == ox.Literal("JP")
    changed = {"head": {"vars": ["item", "p", "v"]}, "results": {"bindings": [
        {"item": {"type": "uri", "value": Q17}, "p": {"type": "uri", "value": WDT + "P297"},
         "v": {"type": "literal", "value": "JA"}},
        {"item": {"type": "uri", "value": Q17}, "p": {"type": "uri", "value": RDFS_LABEL},
         "v": {"type": "literal", "value": "Nippon", "xml:lang": "en"}}]}}
    flaky_endpoint.script(step.body(200, "application/sparql-results+json",
                                    json.dumps(changed)))
    sent = len(flaky_endpoint.requests)
    report = enrich(store, settings, target=flaky_endpoint.url, refresh=True, progress=False)
    assert report.requests_sent == 3 and len(flaky_endpoint.requests) == sent + 3
    new = read_facts(store, BASE)
    assert [f.value for f in facts_by(new, Q17, WDT + "P297")] == [ox.Literal("JA")]
    assert [f.value for f in facts_by(new, Q17, RDFS_LABEL)] == [
        ox.Literal("Nippon", language="en")]
    assert facts_by(new, Q884, WDT + "P297") == []  # no longer in the answer: gone
    # the old fact's triple and axiom are both gone
    assert not store.quads(subject=ox.NamedNode(fact_iri(Q17, WDT + "P297", ox.Literal("JP"),
                                                         BASE)))
    assert not store.quads(ox.NamedNode(Q17), ox.NamedNode(WDT + "P297"), ox.Literal("JP"))
    # the population came again (passed through), retrieved anew
    [population] = facts_by(new, Q17, WDT + "P1082")
    assert population.retrieved >= facts_by(old, Q17, WDT + "P1082")[0].retrieved
    assert report.removed > 0 and report.added > 0


def test_an_unknown_value_is_no_fact(fresh, flaky_endpoint, step):
    store, settings = fresh
    answer = {"head": {"vars": ["item", "p", "v"]}, "results": {"bindings": [
        {"item": {"type": "uri", "value": Q17}, "p": {"type": "uri", "value": WDT + "P36"},
         "v": {"type": "bnode", "value": "b0"}},  # Wikidata's "unknown value"
        {"item": {"type": "uri", "value": Q17}, "p": {"type": "uri", "value": WDT + "P297"},
         "v": {"type": "literal", "value": "JP"}}]}}
    flaky_endpoint.script(step.body(200, "application/sparql-results+json", json.dumps(answer)))
    enrich(store, settings, target=flaky_endpoint.url, progress=False)
    facts = read_facts(store, BASE)
    assert [f.value for f in facts_by(facts, Q17, WDT + "P297")] == [ox.Literal("JP")]
    assert facts_by(facts, Q17, WDT + "P36") == []
    assert not any(isinstance(q.object, ox.BlankNode) for q in external_quads(store))


def test_a_500_mid_run_writes_nothing(fresh, flaky_endpoint, step, tmp_path):
    store, settings = fresh
    enrich(store, settings, progress=False)
    generation, quads = store.generation(), external_quads(store)
    # batches of 5 items: the fourth request (the second batch's population) fails for good
    flaky_endpoint.script(step.passthrough(), step.passthrough(), step.passthrough(),
                          *[step.status(500)] * 3)
    client = EndpointClient(flaky_endpoint.url, cache_dir=tmp_path / "other-cache",
                            retries=2, sleep=no_wait)
    with pytest.raises(RemoteServiceError, match="500"):
        enrich(store, settings, client=client, refresh=True, progress=False, batch_size=5)
    assert client.requests_sent == 6
    assert store.generation() == generation and external_quads(store) == quads


def test_a_failure_on_the_first_run_creates_no_graph(fresh, flaky_endpoint, step, tmp_path):
    store, settings = fresh
    flaky_endpoint.script(step.passthrough(), *[step.status(503)] * 2)
    client = EndpointClient(flaky_endpoint.url, cache_dir=None, retries=1, sleep=no_wait)
    with pytest.raises(RemoteServiceError):
        enrich(store, settings, client=client, progress=False)
    assert EXTERNAL_GRAPH not in store.graph_names()


def test_link_targets_in_the_data_are_never_dereferenced(fresh, canary):
    """Enrichment and discovery ask their endpoint about linked IRIs; an IRI in the data
    (a link, a seeAlso, a page) on another host is never contacted."""
    store, settings = fresh
    links = ox.NamedNode(graph_iri("links", BASE))
    planted = [(OWL + "sameAs", canary.url + "entity/Q17"),
               ("http://www.w3.org/2000/01/rdf-schema#seeAlso", canary.url + "page"),
               ("http://xmlns.com/foaf/0.1/page", canary.url + "doc.ttl"),
               ("http://www.w3.org/2004/02/skos/core#exactMatch", canary.url + "sparql")]
    store.apply(QuadDelta(added=tuple(ox.Quad(ox.NamedNode(JAPAN), ox.NamedNode(p),
                                              ox.NamedNode(o), links) for p, o in planted)))
    enrich(store, settings, progress=False)
    discover(store, settings, target="wikidata", progress=False)
    time.sleep(0.3)  # the canary accepts in its own thread
    assert canary.connections == 0


def test_only_wikidata_shaped_targets(fresh):
    store, settings = fresh
    for target in ("dbpedia", "geonames"):
        with pytest.raises(BadRequest, match="Wikidata-shaped"):
            enrich(store, settings, target=target, progress=False)


# ---------------------------------------------------------------------- the command


def test_the_command_prints_a_summary(tmp_path, settings_for, external_sparql):
    settings = settings_for(tmp_path)
    env = {"ALLIANCEGRAPH_WIKIDATA_ENDPOINT": external_sparql.wikidata,
           "ALLIANCEGRAPH_LINK_CACHE_DIR": str(tmp_path / "cache")}
    result = CliRunner().invoke(main, ["enrich", "--data-dir", settings.data_dir], env=env)
    assert result.exit_code == 0, result.output
    assert "wdt:P297" in result.output and "facts" in result.output
    assert "3 requests, 0 from the cache" in result.output
    again = CliRunner().invoke(main, ["enrich", "--data-dir", settings.data_dir, "--quiet"],
                               env=env)
    assert again.exit_code == 0 and again.output == ""
    refreshed = CliRunner().invoke(main, ["enrich", "--data-dir", settings.data_dir,
                                          "--refresh"], env=env)
    assert refreshed.exit_code == 0 and "3 requests, 0 from the cache" in refreshed.output


def test_the_command_fails_with_exit_2(tmp_path, settings_for, external_sparql):
    settings = settings_for(tmp_path)
    result = CliRunner().invoke(main, ["enrich", "--data-dir", settings.data_dir,
                                       "--target", "geonames"])
    assert result.exit_code == 2 and "Wikidata-shaped" in result.output
    # an endpoint that is not there (404, not retried): the error names it, nothing written
    wrong = external_sparql.wikidata.replace("/query", "/no-such-endpoint")
    env = {"ALLIANCEGRAPH_WIKIDATA_ENDPOINT": wrong,
           "ALLIANCEGRAPH_LINK_CACHE_DIR": str(tmp_path / "cache")}
    result = CliRunner().invoke(main, ["enrich", "--data-dir", settings.data_dir, "--quiet"],
                                env=env)
    assert result.exit_code == 2
    assert wrong in result.output and "404" in result.output
    assert "nothing was written" in result.output and "Traceback" not in result.output
    missing = CliRunner().invoke(main, ["enrich", "--data-dir", str(tmp_path / "none")])
    assert missing.exit_code == 2 and "alliancegraph build" in missing.output


# ---------------------------------------------------------------------- the pieces


def test_queries_batch_items_in_one_values_block():
    items = [Q17, Q884]
    for query in (facts_query(items), population_query(items)):
        assert query.count("VALUES") == 1 and f"<{Q17}> <{Q884}>" in query
        assert "ORDER BY" not in query  # (an Oxigraph server may panic sorting mixed terms)
    assert '"ja"' in facts_query(items) and '"zh"' in facts_query(items)


def rank(name: str) -> ox.NamedNode:
    return ox.NamedNode(f"http://wikiba.se/ontology#{name}Rank")


def dt(text: str) -> ox.Literal:
    return ox.Literal(text, datatype=ox.NamedNode(XSD + "dateTime"))


def test_the_best_ranked_latest_population_is_chosen():
    item = ox.NamedNode(Q17)
    rows = [
        {"item": item, "v": ox.Literal("1"), "time": dt("2022-01-01T00:00:00Z"),
         "rank": rank("Deprecated")},
        {"item": item, "v": ox.Literal("2"), "time": dt("2021-01-01T00:00:00Z"),
         "rank": rank("Normal")},
        {"item": item, "v": ox.Literal("3"), "time": dt("2010-01-01T00:00:00Z"),
         "rank": rank("Preferred")},
        {"item": item, "v": ox.Literal("4"), "time": dt("2005-01-01T00:00:00Z"),
         "rank": rank("Preferred")},
    ]
    chosen = enrich_module._populations(rows)
    assert chosen == {Q17: (ox.Literal("3"), datetime.date(2010, 1, 1))}
    normal = enrich_module._populations([*rows[:2], {"item": item, "v": ox.Literal("5")}])
    assert normal == {Q17: (ox.Literal("2"), datetime.date(2021, 1, 1))}
    assert enrich_module._populations(rows[:1]) == {}  # deprecated only: no population


@pytest.mark.parametrize(("text", "expected"), [
    ("2020-10-01T00:00:00Z", datetime.date(2020, 10, 1)),
    ("1945-12-27", datetime.date(1945, 12, 27)),
    ("-0500-01-01T00:00:00Z", None),  # before year 1: Python has no such date
    ("2020-13-01T00:00:00Z", None),
    ("sometime", None),
])
def test_dates_of_points_in_time(text, expected):
    assert enrich_module._date(dt(text)) == expected


def test_fact_iris_are_stable_and_tell_values_apart():
    jp = fact_iri(Q17, WDT + "P297", ox.Literal("JP"), BASE)
    assert jp == fact_iri(Q17, WDT + "P297", ox.Literal("JP"), BASE)
    assert jp.startswith(BASE + "id/fact/")
    assert jp != fact_iri(Q17, WDT + "P297", ox.Literal("JP", language="en"), BASE)
    assert jp != fact_iri(Q884, WDT + "P297", ox.Literal("JP"), BASE)


def test_fact_quads_are_all_in_the_external_graph():
    when = datetime.datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=datetime.UTC)
    fact = ExternalFact(Q17, WDT + "P1082", ox.Literal("1"), WD + "P1082", when,
                        "http://127.0.0.1:1/query", datetime.date(2020, 1, 1))
    quads = fact_quads(fact, BASE)
    assert {q.graph_name for q in quads} == {ox.NamedNode(EXTERNAL_GRAPH)}
    times = {q.predicate.value: q.object for q in quads}
    assert times[PROV + "generatedAtTime"].value == "2026-01-02T03:04:05Z"
    assert times[AG + "pointInTime"] == ox.Literal("2020-01-01",
                                                    datatype=ox.NamedNode(XSD + "date"))
