"""``alliancegraph build``: bundled sources into the store, inferences, idempotence."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph import CANONICAL_BASE
from alliancegraph.config import load_settings
from alliancegraph.errors import ParseError
from alliancegraph.graph import build
from alliancegraph.graph.build import build_command, build_store
from alliancegraph.graph.inference import chain_rules
from alliancegraph.graph.sources import iter_sources, parse_source
from alliancegraph.graph.vocabulary import EXTERNAL, GRAPHS, graph_iri
from alliancegraph.links.model import (
    LINK_PREDICATES,
    Candidate,
    Link,
    Origin,
    Status,
    activity_quads,
    add_links,
    curator_agent,
    link_iri,
    link_quads,
    linked_objects,
    read_activities,
    read_candidates,
    read_links,
    save_candidates,
)
from alliancegraph.store import QuadDelta, Store, open_store
from click.testing import CliRunner

OWL = "http://www.w3.org/2002/07/owl#"


def settings(data_dir: Path, base: str = CANONICAL_BASE, **changes: object):
    return load_settings(environ={}, overrides={
        "data_dir": str(data_dir), "base_iri": base, "validate_on_write": False, **changes})


@contextmanager
def open_built(data_dir: Path, base: str = CANONICAL_BASE) -> Iterator[Store]:
    store = open_store(settings(data_dir, base))
    try:
        yield store
    finally:
        store.close()


def select(store: Store, sparql: str) -> list[dict]:
    return [{k: v.value for k, v in row.items()} for row in store.select(sparql)]


def sorted_dump(data_dir: Path) -> bytes:
    with open_built(data_dir) as store:
        dump = b"".join(store.dump(media_type="application/n-quads"))
    return b"".join(sorted(dump.splitlines(keepends=True)))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, build.BuildReport]:
    data_dir = tmp_path_factory.mktemp("built")
    report = build_store(data_dir, base_iri=CANONICAL_BASE, progress=False, docs=False,
                         settings=settings(data_dir))
    return data_dir, report


# ---------------------------------------------------------------------- the build


def test_build_loads_every_source_into_its_named_graph(built):
    data_dir, report = built
    scratch = ox.Store()  # the same canonical forms as the built store
    for graph, path in iter_sources():
        scratch.extend(parse_source(path, graph))
    expected = {g: sum(1 for _ in scratch.quads_for_pattern(None, None, None,
                                                             ox.NamedNode(graph_iri(g))))
                for g in report.graphs if g != "inferred"}
    assert {g: n for g, n in report.graphs.items() if g != "inferred"} == expected
    assert tuple(report.graphs) == GRAPHS == ("ontology", "background", "paper-a", "paper-b",
                                              "links", "inferred")
    with open_built(data_dir) as store:
        for graph, count in report.graphs.items():
            assert store.count(graph_iri(graph)) == count, graph
    assert report.graphs["inferred"] > 0


def test_the_build_leaves_a_text_index_of_what_it_wrote(built):
    from alliancegraph.graph.search import found
    from alliancegraph.graph.textindex import TextIndex, index_path

    index = TextIndex(index_path(built[0]))
    with open_built(built[0]) as store:
        assert index.generation() == store.generation()
        hits, indexed = found(store, "日米同盟", base_iri=CANONICAL_BASE, index=index)
    assert indexed and hits[0].iri == CANONICAL_BASE + "id/agreement/us-japan-alliance"


def test_inferred_graph_holds_only_new_triples(built):
    with open_built(built[0]) as store:
        rows = select(store, f"""SELECT (COUNT(*) AS ?n) WHERE {{
            GRAPH <{graph_iri('inferred')}> {{ ?s ?p ?o }}
            GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{graph_iri('inferred')}>) }}""")
    assert rows == [{"n": "0"}]


def _closed(store: Store, where: str) -> None:
    """No solution of ``where`` (a rule's premise with its conclusion missing) is left."""
    rows = select(store, f"""PREFIX owl: <{OWL}> PREFIX ag: <{CANONICAL_BASE}ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT * WHERE {{ {where} }} LIMIT 5""")
    assert rows == [], rows


def test_the_built_graph_is_closed_under_the_rules(built):
    with open_built(built[0]) as store:
        _closed_under_the_rules(store)


def _closed_under_the_rules(store: Store) -> None:
    _closed(store, "?x a ?c . ?c rdfs:subClassOf ?d FILTER(isIRI(?d)) "
                   "FILTER NOT EXISTS { ?x a ?d }")
    _closed(store, "?p rdfs:subPropertyOf ?q . ?x ?p ?y FILTER(isIRI(?q)) "
                   "FILTER NOT EXISTS { ?x ?q ?y }")
    _closed(store, "?p owl:inverseOf ?q . ?x ?p ?y FILTER(isIRI(?p) && isIRI(?q) && "
                   "!isLiteral(?y)) FILTER NOT EXISTS { ?y ?q ?x }")
    _closed(store, "?p a owl:TransitiveProperty . ?x ?p ?y . ?y ?p ?z "
                   "FILTER NOT EXISTS { ?x ?p ?z }")
    # the perception shortcut: the one its intensity names (ag:derivesShortcut), no other
    _closed(store, "?p ag:perceiver ?x ; ag:perceivedThreat ?y ; ag:intensity/ag:derivesShortcut "
                   "?s FILTER NOT EXISTS { ?x ?s ?y }")
    _closed(store, "?x ag:perceivesThreat ?y FILTER NOT EXISTS { ?p ag:perceiver ?x ; "
                   "ag:perceivedThreat ?y ; ag:intensity/ag:derivesShortcut ag:perceivesThreat }")


def test_every_property_chain_of_the_ontology_is_materialised(built):
    ontology = ox.Store()
    ontology.extend(ox.Quad(q.subject, q.predicate, q.object)  # into the default graph
                    for g, path in iter_sources() if g == "ontology"
                    for q in parse_source(path, g))
    rules = chain_rules(ontology)
    assert rules, "the ontology has property chains (ag:hasParty)"
    with open_built(built[0]) as store:
        for _name, rule in rules:
            head, _, body = rule.partition(" WHERE ")
            conclusion = head.removeprefix("INSERT { ").removesuffix(" }")
            _closed(store, f"{body.strip()[1:-1]} FILTER NOT EXISTS {{ {conclusion} }}")


def test_a_rebuild_gives_the_same_store_and_keeps_graphs_written_by_users(built, tmp_path):
    build_store(tmp_path, base_iri=CANONICAL_BASE, progress=False, docs=False,
                settings=settings(tmp_path))
    first = sorted_dump(tmp_path)
    assert first == sorted_dump(built[0])  # two fresh builds: same bytes
    with open_built(tmp_path) as store:
        store.put_graph("http://example.org/mine", b"<http://a> <http://b> 1 .",
                        media_type="text/turtle")
        store.update(f"INSERT DATA {{ GRAPH <{graph_iri('paper-a')}> "
                     "{ <http://x> <http://y> 1 } }")
    build_store(tmp_path, base_iri=CANONICAL_BASE, progress=False, docs=False,
                settings=settings(tmp_path))
    with open_built(tmp_path) as store:
        assert store.count("http://example.org/mine") == 1
        store.delete_graph("http://example.org/mine")
    assert sorted_dump(tmp_path) == first  # the bundled graphs are replaced, not merged


def test_another_base_iri_rewrites_graph_names_ids_and_the_documentation(tmp_path):
    base = "http://localhost:8000/"
    report = build_store(tmp_path, base_iri=base, progress=False,
                         settings=settings(tmp_path, base))
    with open_built(tmp_path, base) as store:
        names = store.graph_names()
        assert f"{base}graph/ontology" in names
        assert not [n for n in names if n.startswith(CANONICAL_BASE)]
        leaked = select(store, f"""SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o
            FILTER(STRSTARTS(STR(?s), "{CANONICAL_BASE}")) }}""")
        assert leaked == [{"n": "0"}]
        assert report.total == store.count()
    # the documentation the service serves is the ontology at this base, prepared here
    assert report.docs_dir == tmp_path / "release" / "ontology"
    release = (report.docs_dir / "alliancegraph.ttl").read_text(encoding="utf-8")
    assert f"<{base}ontology>" in release and CANONICAL_BASE not in release
    assert f"{base}ontology" in (report.docs_dir / "index.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in report.docs_dir.parent.iterdir()) == ["ontology"]


def test_the_build_writes_through_any_backend(tmp_path):
    report = build_store(tmp_path, base_iri=CANONICAL_BASE, progress=False, docs=False,
                         settings=settings(tmp_path, store="memory"))
    assert set(report.graphs) == set(GRAPHS) and report.graphs["inferred"] > 0
    assert not (tmp_path / "oxigraph").exists()  # nothing on disk: the memory backend


def _broken_sources(tmp_path: Path):
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:d ex:e .\n",
                      encoding="utf-8")

    def sources():
        yield from iter_sources()
        yield "paper-b", broken

    return broken, sources


def test_a_source_that_does_not_parse_stops_the_build_and_changes_nothing(
        built, tmp_path, monkeypatch):
    data_dir = built[0]
    before = sorted_dump(data_dir)
    broken, sources = _broken_sources(tmp_path)
    monkeypatch.setattr(build, "iter_sources", sources)
    with pytest.raises(ParseError) as error:
        build_store(data_dir, base_iri=CANONICAL_BASE, progress=False, docs=False,
                    settings=settings(data_dir))
    assert error.value.source == str(broken) and error.value.line == 3
    assert error.value.column is not None
    assert sorted_dump(data_dir) == before


def test_build_command_prints_counts_and_refuses_bad_sources(tmp_path, monkeypatch):
    runner = CliRunner()
    result = runner.invoke(build_command, ["--data-dir", str(tmp_path / "d"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "graph/inferred" in result.stdout and "total" in result.stdout
    assert (tmp_path / "d" / "release" / "ontology" / "index.html").is_file()
    broken, sources = _broken_sources(tmp_path)
    monkeypatch.setattr(build, "iter_sources", sources)
    result = runner.invoke(build_command, ["--quiet", "--no-docs"],
                           env={"ALLIANCEGRAPH_DATA_DIR": str(tmp_path / "d")})
    assert result.exit_code == 2
    assert f"{broken}:3:" in result.stderr and "unchanged" in result.stderr


def test_the_documentation_is_replaced_whole(tmp_path):
    out = tmp_path / "release" / "ontology"
    build.write_docs(out, CANONICAL_BASE)
    (out / "stale.html").write_text("from an older build", encoding="utf-8")
    other = "http://localhost:8000/"
    assert build.write_docs(out, other) == out
    assert not (out / "stale.html").exists()
    assert f"<{other}ontology>" in (out / "alliancegraph.ttl").read_text(encoding="utf-8")
    assert [p.name for p in out.parent.iterdir()] == ["ontology"]  # nothing left beside it


# ---------------------------------------------------------------------- links out


def _link(subject: str, object: str, origin: Origin, **more) -> Link:
    fields = dict(subject=subject, predicate=SAME_AS, object=object, origin=origin,
                  justification="https://w3id.org/semapv/vocab/LexicalMatching",
                  date=datetime.date(2026, 12, 2), confidence=0.9, tool="alliancegraph link",
                  activity=ACTIVITY)
    return Link(**(fields | more))


SAME_AS = f"{OWL}sameAs"
ID = f"{CANONICAL_BASE}id/"
ACTIVITY = f"{ID}activity/link-wikidata-20261202T031500Z"
WHEN = datetime.datetime(2026, 12, 2, 3, 15, tzinfo=datetime.UTC)


def test_every_curated_link_of_the_sources_has_its_own_axiom(built):
    """The axioms in graph/sources/links/*.ttl: one per link, keyed by its s/p/o, curated by
    the project's curators on a date, and no axiom without its link."""
    with open_built(built[0]) as store:
        links = read_links(store, CANONICAL_BASE)
        triples = {(q.subject.value, q.predicate.value, q.object.value)
                   for p in LINK_PREDICATES
                   for q in store.quads(None, ox.NamedNode(p), None, graph_iri("links"))
                   if not q.object.value.startswith(CANONICAL_BASE)}
        axioms = store.quads(None, None, ox.NamedNode(f"{OWL}Axiom"), graph_iri("links"))
    assert len(triples) > 60
    assert {(x.subject, x.predicate, x.object) for x in links} == triples
    assert len(axioms) == len(links)
    assert {(x.origin, x.justification, x.author) for x in links} == {
        (Origin.CURATED, "https://w3id.org/semapv/vocab/ManualMappingCuration",
         curator_agent(CANONICAL_BASE))}
    assert {x.date for x in links} == {datetime.date(2026, 11, 22), datetime.date(2026, 12, 2)}
    japan = next(x for x in links if x.subject == f"{ID}state/japan"
                 and x.object == "http://www.wikidata.org/entity/Q17")
    assert japan.date == datetime.date(2026, 11, 22)


def test_the_new_wikidata_links_are_curated_and_left_the_review_list(built):
    new = {f"{ID}org/imf": "Q7804", f"{ID}org/osce": "Q81299", f"{ID}event/cold-war": "Q8683"}
    with open_built(built[0]) as store:
        linked = linked_objects(store, CANONICAL_BASE, "http://www.wikidata.org/entity/")
        dates = {x.subject: x.date for x in read_links(store, CANONICAL_BASE)
                 if x.subject in new and x.object.endswith("/" + new[x.subject])}
    assert {s: linked.get(s) for s in new} == {
        s: {f"http://www.wikidata.org/entity/{q}"} for s, q in new.items()}
    assert set(dates.values()) == {datetime.date(2026, 12, 2)} and len(dates) == 3
    review = (Path(build.__file__).parent / "sources" / "links" / "review.csv").read_text(
        encoding="utf-8")
    assert not [s for s in new if f"{s}," in review]


def test_a_rebuild_keeps_discovered_and_reviewed_links_and_never_touches_review(tmp_path):
    base = CANONICAL_BASE
    build_store(tmp_path, base_iri=base, progress=False, docs=False, settings=settings(tmp_path))
    fresh = sorted_dump(tmp_path)
    accepted = _link(f"{ID}org/apec", "http://www.wikidata.org/entity/Q99000001",
                     Origin.REVIEWED, reviewer=f"{ID}agent/someone")
    discovered = _link(f"{ID}org/kedo", "http://www.wikidata.org/entity/Q99000002",
                       Origin.DISCOVERED)
    activity = activity_quads(ACTIVITY, graph=graph_iri("links"), started=WHEN, ended=WHEN,
                              endpoint="http://127.0.0.1:9/query", tool="alliancegraph link",
                              label="link discovery")
    candidate = Candidate(f"{ID}org/apec", SAME_AS, "http://www.wikidata.org/entity/Q99000003",
                          0.4, 2, ("label 'APEC'@en",), "organisation", "wikidata",
                          status=Status.REJECTED)
    external = ox.Quad(ox.NamedNode("http://www.wikidata.org/entity/Q17"),
                       ox.NamedNode("http://www.wikidata.org/prop/direct/P297"),
                       ox.Literal("JP"), ox.NamedNode(graph_iri(EXTERNAL)))
    with open_built(tmp_path) as store:
        assert add_links(store, [accepted, discovered], base, activity=activity) == 2
        save_candidates(store, [candidate], base)
        store.apply(QuadDelta(added=(external,)))
        before = sorted_dump_of(store)
    build_store(tmp_path, base_iri=base, progress=False, docs=False, settings=settings(tmp_path))
    assert sorted_dump(tmp_path) == before  # kept whole, the rest rebuilt the same
    with open_built(tmp_path) as store:
        assert read_links(store, base, origin=Origin.REVIEWED) == [accepted]
        assert read_links(store, base, origin=Origin.DISCOVERED) == [discovered]
        assert [a.iri for a in read_activities(store, graph_iri("links"))] == [ACTIVITY]
        assert read_candidates(store, base) == [candidate]
        assert store.quads(graph=graph_iri(EXTERNAL)) == [external]
    build_store(tmp_path, base_iri=base, progress=False, docs=False, settings=settings(tmp_path))
    assert sorted_dump(tmp_path) == before  # building twice: the same bytes
    assert fresh != before


def sorted_dump_of(store: Store) -> bytes:
    dump = b"".join(store.dump(media_type="application/n-quads"))
    return b"".join(sorted(dump.splitlines(keepends=True)))


def test_a_discovered_link_cannot_replace_a_curated_one(tmp_path):
    build_store(tmp_path, base_iri=CANONICAL_BASE, progress=False, docs=False,
                settings=settings(tmp_path))
    fresh = sorted_dump(tmp_path)
    japan = (f"{ID}state/japan", "http://www.wikidata.org/entity/Q17")
    with open_built(tmp_path) as store:
        (curated,) = [x for x in read_links(store, CANONICAL_BASE)
                      if (x.subject, x.object) == japan]
        # through the model: skipped
        assert add_links(store, [_link(*japan, Origin.DISCOVERED)], CANONICAL_BASE) == 0
        # written around it (the axiom replaced by hand): the rebuild restores the curated one
        axiom = ox.NamedNode(link_iri(*japan[:1], SAME_AS, japan[1], CANONICAL_BASE))
        store.apply(QuadDelta(removed=tuple(store.quads(axiom, None, None)),
                              added=tuple(link_quads(_link(*japan, Origin.DISCOVERED),
                                                     CANONICAL_BASE))))
        assert read_links(store, CANONICAL_BASE, origin=Origin.DISCOVERED) != []
    build_store(tmp_path, base_iri=CANONICAL_BASE, progress=False, docs=False,
                settings=settings(tmp_path))
    with open_built(tmp_path) as store:
        assert read_links(store, CANONICAL_BASE, origin=Origin.DISCOVERED) == []
        assert [x for x in read_links(store, CANONICAL_BASE)
                if (x.subject, x.object) == japan] == [curated]
        assert read_activities(store, graph_iri("links")) == []  # its activity went with it
    assert sorted_dump(tmp_path) == fresh
