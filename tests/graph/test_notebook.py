"""The notebook API (``alliancegraph.connect``): the README's section run as a doctest
against the real graph built in a temp dir, through the local store and through a running
``alliancegraph serve``; typed columns; errors; pandas stays optional."""

from __future__ import annotations

import doctest
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from alliancegraph import CANONICAL_BASE
from alliancegraph.errors import BadRequest, ParseError, StoreUnavailable
from alliancegraph.graph.build import build_store
from alliancegraph.graph.notebook import connect, examples
from alliancegraph.graph.queries import load_examples

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="session")
def graph_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real graph, built from the bundled sources (no ontology docs: a few seconds)."""
    data_dir = tmp_path_factory.mktemp("notebook") / "data"
    build_store(data_dir, base_iri=CANONICAL_BASE, progress=False, docs=False)
    return data_dir


@pytest.fixture(scope="session")
def endpoint(start_server, graph_dir: Path) -> str:
    """``alliancegraph serve`` over the same store (stopped at the end of the session)."""
    return start_server(graph_dir).url + "/sparql"


def readme_block() -> str:
    section = README.read_text(encoding="utf-8").split("\n## In a notebook\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def run_doctest(source: str) -> str:
    test = doctest.DocTestParser().get_doctest(source, {}, "README: In a notebook",
                                              str(README), 0)
    output: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test, out=output.append)
    assert runner.failures == 0 and runner.tries > 5, "".join(output)
    return "".join(output)


def test_the_readme_section_runs_on_the_local_store(graph_dir, monkeypatch):
    monkeypatch.setenv("ALLIANCEGRAPH_DATA_DIR", str(graph_dir))
    run_doctest(readme_block())


@pytest.mark.slow
def test_the_readme_section_gives_the_same_through_an_endpoint(endpoint):
    block = readme_block()
    assert "alliancegraph.connect()" in block
    run_doctest(block.replace("alliancegraph.connect()", f"alliancegraph.connect({endpoint!r})"))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["security-numeric-facts", "scholarly-works-per-type",
                                  "paper-a-events-before-2000", "security-memberships"])
def test_local_and_endpoint_frames_are_equal(graph_dir, endpoint, name):
    local, remote = connect(graph_dir).example(name), connect(endpoint).example(name)
    assert len(local) > 0
    pd.testing.assert_frame_equal(local, remote)


def test_columns_are_typed(graph_dir):
    frame = connect(graph_dir).select("""
        SELECT ?n ?d ?f ?b ?day ?when ?year ?iri ?label ?plain ?none ?mixed ?zones WHERE {
          VALUES (?n ?d ?f ?b ?day ?when ?year ?iri ?label ?plain ?mixed ?zones) {
            (1 2.5 "1e3"^^xsd:double true "2001-09-11"^^xsd:date
             "2001-09-11T08:46:00Z"^^xsd:dateTime "1990"^^xsd:gYear agid:paper-a
             "Japan"@en "x" 1 "2001-09-11T08:46:00Z"^^xsd:dateTime)
            (UNDEF 3 UNDEF false UNDEF "2006-10-09T01:35:00+09:00"^^xsd:dateTime UNDEF
             <urn:x> "日本"@ja UNDEF "one" "2006-10-09T01:35:00"^^xsd:dateTime)
          }
        }""")
    dtypes = frame.dtypes.astype(str).to_dict()
    assert dtypes["n"] == "Int64" and frame["n"].isna().tolist() == [False, True]
    assert dtypes["d"] == dtypes["f"] == "float64" and frame["f"][0] == 1000.0
    assert dtypes["b"] == "boolean" and frame["b"].tolist() == [True, False]
    assert frame.loc[0, "day"] == pd.Timestamp("2001-09-11") and pd.isna(frame.loc[1, "day"])
    assert str(frame["when"].dt.tz) == "UTC"
    assert frame.loc[1, "when"] == pd.Timestamp("2006-10-08T16:35:00Z")
    assert dtypes["year"] == "Int64" and frame.loc[0, "year"] == 1990
    assert frame["iri"].tolist() == [f"{CANONICAL_BASE}id/paper-a", "urn:x"]
    assert frame["label"].tolist() == ["Japan", "日本"]
    assert frame["label@lang"].tolist() == ["en", "ja"]
    assert "plain@lang" not in frame.columns and frame.loc[0, "plain"] == "x"
    assert frame["none"].isna().all() and dtypes["none"] == "object"
    assert frame["mixed"].tolist() == ["1", "one"]  # no one type: the values' text
    assert frame.loc[1, "zones"] == "2006-10-09T01:35:00"  # zoned and not: text
    assert list(frame.columns) == ["n", "d", "f", "b", "day", "when", "year", "iri", "label",
                                   "label@lang", "plain", "none", "mixed", "zones"]


def test_select_star_keeps_the_query_order_and_empty_results_have_columns(graph_dir):
    graph = connect(graph_dir)
    frame = graph.select("SELECT * WHERE { VALUES (?zeta ?alpha) { (1 2) } BIND(3 AS ?mid) }")
    assert list(frame.columns) == ["zeta", "alpha", "mid"]
    empty = graph.select("SELECT ?s ?label WHERE { ?s rdfs:label ?label FILTER(false) }")
    assert list(empty.columns) == ["s", "label"] and len(empty) == 0


def test_ask_construct_query_and_examples(graph_dir):
    graph = connect(graph_dir)
    assert graph.ask("ASK { agid:paper-a ?p ?o }") is True
    assert graph.query("ASK { agid:no-such-thing ?p ?o }") is False
    described = graph.query("DESCRIBE agid:paper-a")
    assert len(described) > 0 and dict(described.namespaces())["ag"].endswith("ontology#")
    assert [e.name for e in examples()] == [e.name for e in load_examples()]
    period = next(e for e in examples() if e.name == "security-events-in-a-period")
    assert period.parameters == {"from": ("1990",), "to": ("1999",)}
    papers = graph.example("scholarly-papers", params={"paper": "agid:paper-b"})
    assert set(papers["paper"]) == {f"{CANONICAL_BASE}id/paper-b"}


def test_errors(graph_dir):
    graph = connect(graph_dir)
    with pytest.raises(ParseError) as caught:
        graph.select("SELECT * WHERE {\n  ?s a foo:State }")
    assert (caught.value.line, caught.value.column) == (2, 8)
    assert caught.value.message.splitlines() == [
        "2:8: prefix 'foo:' is not declared (add PREFIX foo: <…>)",
        "    ?s a foo:State }", "         ^"]
    with pytest.raises(ParseError) as caught:  # line 1: not shifted by the added prefixes
        graph.ask("ASK { ?s ?p ?o } }")
    assert caught.value.column == 18 and caught.value.reason == "'}' closes nothing"
    with pytest.raises(BadRequest, match=r"an ASK query: use \.ask\(\)"):
        graph.select("ASK {}")
    with pytest.raises(BadRequest, match=r"no parameter \?year \(its parameters: \?from, \?to\)"):
        graph.example("security-events-in-a-period", params={"year": 2001})
    with pytest.raises(BadRequest, match="not one SPARQL term"):
        graph.example("security-events-in-a-period", params={"from": "2001 } }"})


def test_a_missing_store_is_refused_and_not_created(tmp_path):
    with pytest.raises(FileNotFoundError, match="run 'alliancegraph build'"):
        connect(tmp_path / "typo")
    assert not (tmp_path / "typo").exists()


@pytest.mark.slow
def test_endpoint_errors(endpoint, server_tools):
    graph = connect(endpoint)
    with pytest.raises(ParseError) as caught:
        graph.select("SELECT * WHERE { ?s a ag:State ; foo:bar ?x }")
    assert caught.value.message.splitlines()[0].startswith("1:34: prefix 'foo:'")
    with pytest.raises(BadRequest, match="SERVICE"):
        graph.select("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    with pytest.raises(StoreUnavailable, match="cannot reach"):
        connect(f"http://127.0.0.1:{server_tools.free_port()}/sparql", timeout=5).ask("ASK {}")


def test_importing_alliancegraph_imports_no_pandas():
    code = ("import sys, alliancegraph; alliancegraph.connect; alliancegraph.examples()\n"
            "assert 'alliancegraph.graph.notebook' in sys.modules\n"
            "print(sorted(m for m in ('pandas', 'rdflib') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def test_select_without_pandas_names_the_extra(graph_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas -> ImportError
    with pytest.raises(ImportError, match=re.escape("pip install 'alliancegraph[notebook]'")):
        connect(graph_dir).select("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
