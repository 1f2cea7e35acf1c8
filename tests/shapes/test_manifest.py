"""Reading SHACL test manifests (shapes/manifest.py): the examples' expectations and the
W3C suite's vocabulary, one reader for both."""

from __future__ import annotations

from pathlib import Path

from alliancegraph.shapes.manifest import EXAMPLES_DIR, example_files, read_example

MANIFEST = """@prefix ex: <https://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix mf: <http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#> .
@prefix sht: <http://www.w3.org/ns/shacl-test#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
<#test> a sht:Validate ;
    mf:result [ a sh:ValidationReport ; sh:conforms false ;
        sh:result [ sh:focusNode ex:a ; sh:resultPath [ sh:inversePath owl:sameAs ] ;
                    sh:sourceShape ex:S ; sh:resultSeverity sh:Warning ] ,
                  [ sh:focusNode ex:b ; sh:sourceShape ex:T ] ] .
"""


def test_an_expectation_holds_the_keys_of_its_results(tmp_path: Path):
    path = tmp_path / "example.ttl"
    path.write_text(MANIFEST, encoding="utf-8")
    expectation = read_example(path)
    assert expectation.test == f"{path.resolve().as_uri()}#test"
    assert not expectation.failure and expectation.conforms is False
    assert expectation.keys == {
        ("<https://example.org/a>", "^<http://www.w3.org/2002/07/owl#sameAs>",
         "<https://example.org/S>", "Warning"),
        ("<https://example.org/b>", None, "<https://example.org/T>", "Violation")}
    assert expectation.report is not None and len(expectation.report) == 11


def test_a_failure_expects_no_report(tmp_path: Path):
    path = tmp_path / "failure.ttl"
    path.write_text("@prefix mf: <http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#> ."
                    "\n@prefix sht: <http://www.w3.org/ns/shacl-test#> .\n"
                    "<#t> a sht:Validate ; mf:result sht:Failure .\n", encoding="utf-8")
    expectation = read_example(path)
    assert expectation.failure and expectation.report is None and not expectation.keys


def test_the_examples_of_each_kind_are_the_files_of_its_folder():
    for kind in ("valid", "invalid"):
        files = example_files(kind)
        assert files == sorted((EXAMPLES_DIR / kind).glob("*.ttl")) and files
    assert all(read_example(path).keys for path in example_files("invalid"))
