"""bench/generate.py: the scale-up generator is exact, deterministic, streamed, shaped like
the bundled graph, and its output conforms to the bundled shapes and loads through
validation on write."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from collections import Counter
from pathlib import Path

import generate
import pyoxigraph as ox
import pytest
from alliancegraph.config import load_settings
from alliancegraph.errors import ValidationFailed
from alliancegraph.graph.sources import load_sources
from alliancegraph.shapes.validate import validate
from alliancegraph.store import open_store
from alliancegraph.store.base import QuadDelta

SCRIPT = Path(__file__).parents[2] / "bench" / "generate.py"


AG, GEN = generate.AG, generate.GEN


def _store(lines) -> ox.Store:
    store = ox.Store()
    store.load("".join(lines).encode(), format=ox.RdfFormat.N_QUADS)
    return store


@pytest.fixture(scope="module")
def ten_thousand() -> ox.Store:
    return _store(generate.quads(10_000, seed=7))


def _count_of_type(store: ox.Store, cls: str) -> int:
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    return sum(1 for _ in store.quads_for_pattern(None, rdf_type, ox.NamedNode(cls)))


@pytest.mark.parametrize("count", [0, 1, 37, 2_345, 10_000])
def test_exactly_the_quads_asked_for_each_one_distinct(count):
    lines = list(generate.quads(count, seed=2))
    assert len(lines) == count
    assert len(_store(lines)) == count  # no duplicate, every line parses


def test_the_same_seed_gives_the_same_graph_and_another_seed_another(tmp_path):
    first = generate.write(tmp_path / "a.nq", 4_000, seed=3).read_bytes()
    assert first == generate.write(tmp_path / "b.nq", 4_000, seed=3).read_bytes()
    assert first != generate.write(tmp_path / "c.nq", 4_000, seed=4).read_bytes()


def test_a_prefix_of_a_larger_graph_is_the_smaller_graph_but_its_filler():
    # the stream does not depend on the size asked for: only the cut differs
    small = [line for line in generate.quads(3_000, seed=5) if "Filler" not in line]
    large = list(generate.quads(6_000, seed=5))
    assert large[:len(small)] == small


def test_every_kind_of_the_real_graph_is_generated(ten_thousand):
    kinds = ("Footnote", "Citation", "Claim", "ThreatPerception", "Party", "Agreement",
             "Event", "Threat", "State", "Evidence")
    for kind in kinds:
        assert _count_of_type(ten_thousand, AG + kind) > 0, kind
    for cls in ("http://purl.org/spar/doco/Section", "http://xmlns.com/foaf/0.1/Person",
                "http://www.w3.org/2002/07/owl#Axiom", "http://www.w3.org/ns/prov#Activity"):
        assert _count_of_type(ten_thousand, cls) > 0, cls
    pages = ox.NamedNode(AG + "pageStart")
    assert any(ten_thousand.quads_for_pattern(None, pages, None))


def test_graphs_are_per_paper_and_iris_stay_in_the_generated_namespace(ten_thousand):
    graphs = {str(name.value) for name in ten_thousand.named_graphs()}
    papers = {g for g in graphs if g.startswith(generate.BASE + "graph/gen-p")}
    assert len(papers) >= 2
    assert graphs - papers == {generate.BASE + "graph/gen-background",
                               generate.BASE + "graph/gen-links"}
    minted = {quad.subject.value for quad in ten_thousand
              if isinstance(quad.subject, ox.NamedNode)}
    # every generated subject is under agid:gen/ but the links' axioms (agid:mapping/<key>)
    outside = {iri for iri in minted if not iri.startswith(GEN)}
    assert outside and all(iri.startswith(generate.ID + "mapping/") for iri in outside)


def test_claims_are_about_the_bundled_states_too(ten_thousand):
    about = ox.NamedNode(AG + "about")
    japan = ox.NamedNode(generate.ID + "state/japan")
    assert any(ten_thousand.quads_for_pattern(None, about, japan))


def test_a_generated_graph_conforms_to_the_bundled_shapes(ten_thousand):
    report = validate(ten_thousand)
    assert report.conforms, report.summary()
    assert report.counts()["Warning"] == 0


@pytest.mark.long
def test_the_validation_would_see_a_broken_generated_graph(ten_thousand):
    # the check above can fail: drop every quote and the evidence no longer conforms
    quote = ox.NamedNode(AG + "quote")
    broken = ox.Store()
    broken.extend(quad for quad in ten_thousand if quad.predicate != quote)
    messages = Counter(str(result.path) for result in validate(broken).violations)
    assert messages[f"<{AG}quote>"] > 0  # the evidence shape
    assert messages["<http://www.w3.org/ns/prov#wasDerivedFrom>"] > 0  # attribution


@pytest.mark.long
def test_it_loads_through_validation_on_write(tmp_path):
    settings = load_settings(environ={}, overrides={
        "data_dir": str(tmp_path), "store": "memory", "validate_on_write": True})
    store = open_store(settings)
    try:
        # on the built store, as a user would load it: the bundled graphs (ontology and
        # schemes included) are there first, loaded as the build does, unvalidated
        sources = ox.Store()
        load_sources(sources)
        store.backend.apply(QuadDelta(added=tuple(sources)))
        quads = tuple(_store(generate.quads(10_000, seed=1)))
        store.apply(QuadDelta(added=quads))
        assert store.ask(f"ASK {{ GRAPH ?g {{ ?claim a <{AG}Claim> }} }}")
        count = store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        assert int(next(iter(count))["n"].value) == 10_000 + len(sources)
        # and validation on write is really on: a claim without evidence is refused
        bad = ox.NamedNode(GEN + "p0/claim/bad")
        graph = ox.NamedNode(generate.BASE + "graph/gen-p0")
        with pytest.raises(ValidationFailed):
            store.apply(QuadDelta(added=(
                ox.Quad(bad, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                        ox.NamedNode(AG + "Claim"), graph),)))
    finally:
        store.close()


def test_memory_stays_flat_whatever_the_size():
    def peak(count: int) -> int:
        tracemalloc.start()
        for _ in generate.quads(count, seed=1):
            pass
        size = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return size

    small, large = peak(5_000), peak(100_000)
    assert large < 2 * small + 200_000  # streamed: 20x the quads, not 20x the memory


def test_cli_writes_the_file_and_refuses_a_fraction(tmp_path):
    out = tmp_path / "g.nq"
    done = subprocess.run([sys.executable, str(SCRIPT), "--quads", "1e3", "--seed", "2",
                           "--out", str(out)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert out.read_text().splitlines(keepends=True) == list(generate.quads(1_000, seed=2))
    bad = subprocess.run([sys.executable, str(SCRIPT), "--quads", "10.5"],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "--quads" in bad.stderr
