"""``alliancegraph build``: bundled sources into the store, inferences, idempotence."""

from __future__ import annotations

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
from alliancegraph.graph.vocabulary import GRAPHS, graph_iri
from alliancegraph.store import Store, open_store
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


def test_inferred_graph_holds_only_new_triples(built):
    with open_built(built[0]) as store:
        rows = select(store, f"""SELECT (COUNT(*) AS ?n) WHERE {{
            GRAPH <{graph_iri('inferred')}> {{ ?s ?p ?o }}
            GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{graph_iri('inferred')}>) }}""")
    assert rows == [{"n": "0"}]


def _closed(store: Store, where: str) -> None:
    """No solution of ``where`` (a rule's premise with its conclusion missing) is left."""
    rows = select(store, f"""PREFIX owl: <{OWL}>
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


def test_every_property_chain_of_the_ontology_is_materialised(built):
    ontology = ox.Store()
    ontology.extend(ox.Quad(q.subject, q.predicate, q.object)  # into the default graph
                    for g, path in iter_sources() if g == "ontology"
                    for q in parse_source(path, g))
    rules = chain_rules(ontology)
    assert rules, "the ontology has property chains (ag:hasParty, ag:perceivesThreat)"
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
