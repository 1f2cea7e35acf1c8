"""``alliancegraph build``: bundled sources into the store, inferences, idempotence."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph import CANONICAL_BASE
from alliancegraph.errors import ParseError
from alliancegraph.graph import build
from alliancegraph.graph.build import build_command, build_store
from alliancegraph.graph.inference import InferenceError, chain_rules, entailments
from alliancegraph.graph.sources import graph_iri, iter_sources, parse_source
from alliancegraph.store.embedded import EmbeddedStore
from click.testing import CliRunner

JSON = "application/sparql-results+json"
OWL = "http://www.w3.org/2002/07/owl#"


def open_built(data_dir: Path, base: str = CANONICAL_BASE) -> EmbeddedStore:
    return EmbeddedStore(data_dir, query_timeout=30, max_rows=100_000, base_iri=base)


def select(store: EmbeddedStore, sparql: str) -> list[dict]:
    rows = json.loads(store.query(sparql, media_type=JSON).body)["results"]["bindings"]
    return [{k: v["value"] for k, v in row.items()} for row in rows]


def sorted_dump(store: EmbeddedStore) -> bytes:
    dump = b"".join(store.dump(media_type="application/n-quads"))
    return b"".join(sorted(dump.splitlines(keepends=True)))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, build.BuildReport]:
    data_dir = tmp_path_factory.mktemp("built")
    report = build_store(data_dir, base_iri=CANONICAL_BASE, progress=False, docs=False)
    return data_dir, report


# ---------------------------------------------------------------------- inference rules


def _entail(turtle: str) -> set[str]:
    prefixes = ("@prefix owl: <http://www.w3.org/2002/07/owl#> . "
                "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . "
                "@prefix : <http://example.org/> .\n")
    triples = [q.triple for q in ox.parse(prefixes + turtle, ox.RdfFormat.TURTLE)]
    return {str(t).replace("http://example.org/", ":") for t in entailments(triples)}


def test_subclass_closure_types_instances():
    found = _entail(":A rdfs:subClassOf :B . :B rdfs:subClassOf :C . :x a :A .")
    assert found == {
        "<:A> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <:C>",
        "<:x> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <:B>",
        "<:x> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <:C>",
    }


def test_subproperty_equivalence_inverse_symmetric_transitive():
    found = _entail("""
        :p rdfs:subPropertyOf :q . :x :p :y .
        :E owl:equivalentClass :F . :e a :E .
        :r owl:equivalentProperty :s . :x :s :z .
        :child owl:inverseOf :parent . :x :child :w .
        :near a owl:SymmetricProperty . :x :near :v .
        :in a owl:TransitiveProperty . :a :in :b . :b :in :c . :c :in :d .
    """)
    for expected in ("<:x> <:q> <:y>", "<:x> <:r> <:z>", "<:w> <:parent> <:x>",
                     "<:v> <:near> <:x>", "<:a> <:in> <:c>", "<:a> <:in> <:d>",
                     "<:b> <:in> <:d>"):
        assert expected in found
    assert "<:e> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <:F>" in found


def test_property_chains_of_any_length_with_inverse_steps():
    found = _entail("""
        :perceivesThreat owl:propertyChainAxiom ( [ owl:inverseOf :perceiver ] :threat ) .
        :n :perceiver :japan ; :threat :missiles .
        :uncle owl:propertyChainAxiom ( :parent :parent :brother ) .
        :a :parent :b . :b :parent :c . :c :brother :d .
    """)
    assert "<:japan> <:perceivesThreat> <:missiles>" in found
    assert "<:a> <:uncle> <:d>" in found


def test_only_new_triples_are_returned_and_nothing_is_invented():
    assert _entail(":A rdfs:subClassOf :B . :x a :A, :B .") == set()
    # an inverse of a literal value would put a literal in subject position
    assert _entail(':p owl:inverseOf :q . :x :p "text" .') == set()


def test_a_malformed_chain_is_an_error():
    with pytest.raises(InferenceError):
        _entail(":p owl:propertyChainAxiom ( :q ) .")


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
    assert set(report.graphs) == {"ontology", "background", "paper-a", "paper-b", "links",
                                  "inferred"}
    store = open_built(data_dir)
    for graph, count in report.graphs.items():
        assert store.count(graph_iri(graph)) == count, graph
    assert report.graphs["inferred"] > 0


def test_inferred_graph_holds_only_new_triples(built):
    store = open_built(built[0])
    rows = select(store, f"""SELECT (COUNT(*) AS ?n) WHERE {{
        GRAPH <{graph_iri('inferred')}> {{ ?s ?p ?o }}
        GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{graph_iri('inferred')}>) }}""")
    assert rows == [{"n": "0"}]


def _closed(store: EmbeddedStore, where: str) -> None:
    """No solution of ``where`` (a rule's premise with its conclusion missing) is left."""
    rows = select(store, f"""PREFIX owl: <{OWL}>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT * WHERE {{ {where} }} LIMIT 5""")
    assert rows == [], rows


def test_the_built_graph_is_closed_under_the_rules(built):
    store = open_built(built[0])
    _closed(store, "?x a ?c . ?c rdfs:subClassOf ?d FILTER(isIRI(?d)) "
                   "FILTER NOT EXISTS { ?x a ?d }")
    _closed(store, "?p rdfs:subPropertyOf ?q . ?x ?p ?y FILTER(isIRI(?q)) "
                   "FILTER NOT EXISTS { ?x ?q ?y }")
    _closed(store, "?p owl:inverseOf ?q . ?x ?p ?y FILTER(isIRI(?p) && isIRI(?q) && "
                   "!isLiteral(?y)) FILTER NOT EXISTS { ?y ?q ?x }")
    _closed(store, "?p a owl:TransitiveProperty . ?x ?p ?y . ?y ?p ?z "
                   "FILTER NOT EXISTS { ?x ?p ?z }")


def test_every_property_chain_of_the_ontology_is_materialised(built):
    store = open_built(built[0])
    ontology = ox.Store()
    ontology.extend(ox.Quad(q.subject, q.predicate, q.object)  # into the default graph
                    for g, path in iter_sources() if g == "ontology"
                    for q in parse_source(path, g))
    rules = chain_rules(ontology)
    assert rules, "the ontology has property chains (ag:hasParty, ag:perceivesThreat)"
    for _name, rule in rules:
        head, _, body = rule.partition(" WHERE ")
        conclusion = head.removeprefix("INSERT { ").removesuffix(" }")
        _closed(store, f"{body.strip()[1:-1]} FILTER NOT EXISTS {{ {conclusion} }}")


def test_a_rebuild_gives_the_same_store_and_keeps_graphs_written_by_users(built, tmp_path):
    build_store(tmp_path, base_iri=CANONICAL_BASE, progress=False, docs=False)
    store = open_built(tmp_path)
    first = sorted_dump(store)
    assert first == sorted_dump(open_built(built[0]))  # two fresh builds: same bytes
    store.put_graph("http://example.org/mine", b"<http://a> <http://b> 1 .",
                    media_type="text/turtle")
    store.update(f"INSERT DATA {{ GRAPH <{graph_iri('paper-a')}> {{ <http://x> <http://y> 1 }} }}")
    build_store(tmp_path, base_iri=CANONICAL_BASE, progress=False, docs=False)
    assert store.count("http://example.org/mine") == 1
    store.delete_graph("http://example.org/mine")
    assert sorted_dump(store) == first  # the bundled graphs are replaced, not merged


def test_another_base_iri_rewrites_graph_names_and_ids(tmp_path):
    base = "http://localhost:8000/"
    report = build_store(tmp_path, base_iri=base, progress=False, docs=False)
    store = open_built(tmp_path, base)
    names = store.graph_names()
    assert f"{base}graph/ontology" in names
    assert not [n for n in names if n.startswith(CANONICAL_BASE)]
    leaked = select(store, f"""SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o
        FILTER(STRSTARTS(STR(?s), "{CANONICAL_BASE}")) }}""")
    assert leaked == [{"n": "0"}]
    assert report.total == store.count()


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
    before = sorted_dump(open_built(data_dir))
    broken, sources = _broken_sources(tmp_path)
    monkeypatch.setattr(build, "iter_sources", sources)
    with pytest.raises(ParseError) as error:
        build_store(data_dir, base_iri=CANONICAL_BASE, progress=False, docs=False)
    assert error.value.source == str(broken) and error.value.line == 3
    assert error.value.column is not None
    assert sorted_dump(open_built(data_dir)) == before


def test_build_command_prints_counts_and_refuses_bad_sources(tmp_path, monkeypatch):
    runner = CliRunner()
    result = runner.invoke(build_command, ["--data-dir", str(tmp_path / "d"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "graph/inferred" in result.stdout and "total" in result.stdout
    if importlib.util.find_spec("alliancegraph.ontology.docs") is not None:
        assert any((tmp_path / "d" / "release" / "ontology").iterdir())
    broken, sources = _broken_sources(tmp_path)
    monkeypatch.setattr(build, "iter_sources", sources)
    result = runner.invoke(build_command, ["--quiet", "--no-docs"],
                           env={"ALLIANCEGRAPH_DATA_DIR": str(tmp_path / "d")})
    assert result.exit_code == 2
    assert f"{broken}:3:" in result.stderr and "unchanged" in result.stderr


def test_missing_ontology_docs_module_is_a_notice_not_an_error(tmp_path, monkeypatch):
    real_import = build.importlib.import_module

    def without_docs(name, *args):
        if name == "alliancegraph.ontology.docs":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args)

    monkeypatch.setattr(build.importlib, "import_module", without_docs)
    report = build.BuildReport(tmp_path)
    assert build._build_docs(tmp_path / "docs", report) is None
    assert report.notices == ["ontology docs skipped: alliancegraph.ontology.docs is missing"]


def test_other_import_errors_of_the_docs_are_not_hidden(tmp_path, monkeypatch):
    def broken_docs(name, *args):
        raise ModuleNotFoundError("No module named 'pylode'", name="pylode")

    monkeypatch.setattr(build.importlib, "import_module", broken_docs)
    with pytest.raises(ModuleNotFoundError):
        build._build_docs(tmp_path / "docs", build.BuildReport(tmp_path))

