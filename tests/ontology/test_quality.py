"""The ODK-style quality checks return nothing on the ontology, and do report what they
are meant to catch (run over a small ontology that breaks each rule on purpose)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alliancegraph.errors import ParseError
from alliancegraph.ontology.quality import (
    check_files,
    quality_dataset,
    run_check,
    run_checks,
    terms_named_in,
)
from rdflib.namespace import RDF

AG = "https://w3id.org/alliancegraph/ontology#"
BAD = Path(__file__).parent / "fixtures" / "quality"
CHECK_NAMES = {
    "duplicate-label-violation", "missing-definition-violation",
    "missing-isdefinedby-violation", "missing-label-violation",
    "missing-multilingual-label-violation", "missing-source-violation",
    "unused-term-violation",
}


def test_every_rule_has_a_check():
    assert {path.stem for path in check_files()} == CHECK_NAMES


@pytest.fixture(scope="module")
def dataset():
    return quality_dataset()


@pytest.mark.parametrize("check", check_files(), ids=lambda p: p.stem)
def test_check_finds_no_violation_in_the_ontology(dataset, check: Path):
    assert run_check(dataset, check) == []


@pytest.fixture(scope="module")
def bad_results() -> dict[str, list[dict[str, str]]]:
    store = quality_dataset(
        ontology=[BAD / "bad-ontology.ttl"],
        sources=[("paper-a", BAD / "source.ttl")],
        competency=[BAD / "cq01-example.rq"],
    )
    return run_checks(store)


def _terms(rows: list[dict[str, str]]) -> set[str]:
    return {row["term"].removeprefix(AG) for row in rows}


def test_missing_label_is_reported(bad_results):
    assert _terms(bad_results["missing-label-violation"]) == {
        "NoLabel", "https://w3id.org/alliancegraph/scheme/test/unlabelled"}


def test_missing_english_definition_is_reported(bad_results):
    assert _terms(bad_results["missing-definition-violation"]) == {"NoDefinition"}


def test_missing_is_defined_by_is_reported(bad_results):
    assert _terms(bad_results["missing-isdefinedby-violation"]) == {"NoIsDefinedBy"}


def test_missing_source_is_reported(bad_results):
    assert _terms(bad_results["missing-source-violation"]) == {"NoSource"}


def test_duplicate_label_is_reported_once_per_pair(bad_results):
    rows = bad_results["duplicate-label-violation"]
    assert [(r["term"], r["other"]) for r in rows] == [(AG + "DupA", AG + "dupB")]


def test_missing_japanese_and_korean_labels_of_core_classes_are_reported(bad_results):
    found = {(r["term"].rsplit("#", 1)[-1].rsplit("/", 1)[-1], r["language"])
             for r in bad_results["missing-multilingual-label-violation"]}
    absent = {(cls, lang) for cls in ("Threat", "Agreement", "Citation")
              for lang in ("en", "ja", "ko")}
    assert found == {("State", "ko")} | absent


def test_unused_terms_are_reported(bad_results):
    assert _terms(bad_results["unused-term-violation"]) == {
        "NoLabel", "NoDefinition", "NoIsDefinedBy", "NoSource", "DupA", "dupB", "State",
        "SeeAlsoOnly"}


def test_terms_named_in_a_query_expand_prefixes_and_paths():
    query = """PREFIX ag: <https://w3id.org/alliancegraph/ontology#>
               PREFIX agid: <https://w3id.org/alliancegraph/id/>
               SELECT * { ?a (ag:p1/^ag:p2)|ag:p3* ?b . ?b a <https://example.org/C> .
                          ?b ag:in agid:paper-a\\/section\\/2 }"""
    assert terms_named_in(query) == {
        AG + "p1", AG + "p2", AG + "p3", AG + "in", "https://example.org/C", str(RDF.type),
        "https://w3id.org/alliancegraph/id/paper-a/section/2"}


def test_a_query_that_does_not_parse_is_a_parse_error():
    with pytest.raises(ParseError, match=r"cq99\.rq"):
        terms_named_in("SELECT WHERE {", source="cq99.rq")
