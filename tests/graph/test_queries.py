"""The shipped example queries (graph/queries/*.rq) and graph/queries.py: each query has a
title and a description, runs on the bundled graph, and has a test that checks its exact
answer; the examples are read once and cannot be changed; prefixes and parameters."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from alliancegraph.errors import ParseError
from alliancegraph.graph.queries import (
    TOPICS,
    bind,
    example,
    load_examples,
    parameters,
    parse_example,
    prepare,
)
from alliancegraph.graph.vocabulary import prefixes

QUERIES = sorted((Path(__file__).resolve().parents[2] / "graph" / "queries").glob("*.rq"))
#: every test file of the suite: a shipped query is tested where its subject is
TEST_SOURCES = "\n".join(p.read_text(encoding="utf-8")
                         for p in Path(__file__).parents[1].rglob("test_*.py"))


def test_the_examples_are_the_shipped_files():
    assert len(QUERIES) >= 30
    assert len(load_examples()) == len(QUERIES)


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_each_query_has_a_title_description_and_an_answer_test(path: Path, source_store):
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# title: ") and len(lines[0]) > 12
    assert lines[1].startswith("# description: ") and len(lines[1]) > 20
    source_store.query(path.read_text(encoding="utf-8"), use_default_graph_as_union=True)
    assert f'"{path.stem}"' in TEST_SOURCES, "no test runs this query"


def test_the_examples_are_read_once_and_cannot_be_changed():
    examples = load_examples()
    assert examples is load_examples() and isinstance(examples, tuple)
    period = example("security-events-in-a-period")
    assert period in examples
    with pytest.raises(dataclasses.FrozenInstanceError):
        period.text = "ASK {}"  # type: ignore[misc]
    with pytest.raises(TypeError, match="read-only"):
        period.parameters["from"] = ("2000",)
    assert period.parameters == {"from": ("1990",), "to": ("1999",)}
    assert dict(period.parameters) == {"from": ("1990",), "to": ("1999",)}  # a copy to change


def test_a_header_names_the_query():
    found = parse_example("x", "# title: Threats\n# description: Every threat,\n#   with "
                               "its evidence.\nSELECT * { VALUES ?t { 1 2 } }")
    assert (found.title, found.description) == ("Threats", "Every threat, with its evidence.")
    assert found.parameters == {"t": ("1", "2")}
    assert parse_example("my-query", "ASK {}").title == "my query"


def test_prepare_declares_the_missing_prefixes_on_the_first_line():
    base = "http://localhost:8000/"
    prepared = prepare("PREFIX ag: <urn:mine#>\nSELECT * { ?s a ag:X }", base_iri=base)
    assert prepared.text.count("\n") == 1 and prepared.written.startswith("PREFIX ag:")
    assert f"PREFIX agid: <{base}id/>" in prepared.text
    assert f"<{prefixes(base)['ag']}>" not in prepared.text  # the query's own ag: is kept
    moved = prepared.relocate(ParseError("x", line=1, column=prepared.shift + 5))
    assert (moved.line, moved.column) == (1, 5)


def test_parameters_replace_values_lines():
    text = example("security-events-in-a-period").text
    bound = bind(text, {"from": 2001, "to": "2002"})
    assert "VALUES (?from ?to) { (2001 2002) }" in bound
    assert parameters(bound) == {"from": ["2001"], "to": ["2002"]}
    many = bind("SELECT * { VALUES ?x { 1 } }", {"x": ["https://e.org/a", '"b"@en', True]})
    assert many == 'SELECT * { VALUES ?x { <https://e.org/a> "b"@en true } }'
    # several rows of several variables: no parameter
    assert parameters("SELECT * { VALUES (?a ?b) { (1 2) (3 4) } }") == {}


def test_each_example_has_a_topic_and_tags():
    examples = {e.name: e for e in load_examples()}
    assert {e.topic for e in examples.values()} <= {*TOPICS.values()}  # none is "other"
    assert examples["paper-a-numeric-facts"].topic == "paper A"
    assert examples["scholarly-works-per-type"].tags == ("scholarly record", "select", "counts")
    assert examples["security-memberships"].tags[:2] == ("security relations", "select")
    assert "counts" not in parse_example("x", "SELECT ?s { ?s ?p ?o }").tags
    assert parse_example("links-x", "CONSTRUCT { ?s ?p ?o } { ?s ?p ?o }").tags == (
        "links out", "construct")
