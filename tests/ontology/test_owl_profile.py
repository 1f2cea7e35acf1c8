"""The merged ontology is in the OWL 2 DL profile, as the OWL API's profile checker says."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def test_merged_ontology_is_in_the_owl2_dl_profile(owl_profile_checker, merged_ontology_file):
    code, violations = owl_profile_checker(merged_ontology_file)
    assert violations == []
    assert code == 0


def test_the_profile_checker_reports_violations(owl_profile_checker):
    code, violations = owl_profile_checker(FIXTURES / "reasoning" / "not-owl2-dl.ttl")
    assert code == 1
    report = "\n".join(violations)
    assert "Use of undeclared datatype: xsd:gYear" in report  # not in the OWL 2 datatype map
    assert "https://example.org/not-dl#NeverDeclared" in report  # undeclared class
