"""``alliancegraph validate``: files in any syntax, the store, outputs and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph.cli import main
from alliancegraph.shapes.manifest import example_files
from click.testing import CliRunner
from rdflib import Graph
from rdflib.namespace import SH

VALID = example_files("valid")
INVALID = {p.name: p for p in example_files("invalid")}


def run(*args: str):
    return CliRunner().invoke(main, ["validate", *args])


def test_valid_file_exits_0():
    result = run(str(VALID[0]))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Conforms")


def test_violations_exit_1_with_a_summary_grouped_by_shape():
    result = run(str(INVALID["links.ttl"]))
    assert result.exit_code == 1
    shape = "<https://w3id.org/alliancegraph/shapes#WikidataItemShape>"
    assert f"Violation x 2: {shape}" in result.output
    assert "- <https://example.org/wikidata-page>" in result.output


def test_warnings_alone_exit_0(tmp_path: Path):
    data = tmp_path / "warning.ttl"
    data.write_text(
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<https://example.org/p> a foaf:Person ; rdfs:label \"P\"@en ; foaf:name \"A\" , \"B\" .\n")
    result = run(str(data))
    assert result.exit_code == 0, result.output
    assert "Warning x 1: <https://w3id.org/alliancegraph/shapes#PersonShape-name>" in result.output


def test_syntax_error_exits_2_naming_file_line_and_column(tmp_path: Path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://e/> .\nex:a ex:b\n ex:c ex:d .\n")
    result = run(str(bad))
    assert result.exit_code == 2
    assert f"{bad}:3:7:" in result.output


def test_missing_file_and_unknown_syntax_exit_2(tmp_path: Path):
    assert run(str(tmp_path / "missing.ttl")).exit_code == 2
    odd = tmp_path / "data.unknown"
    odd.write_text("")
    result = run(str(odd))
    assert result.exit_code == 2 and "--format" in result.output


@pytest.mark.parametrize("fmt,suffix", [("nt", ".nt"), ("xml", ".rdf"), ("json-ld", ".jsonld"),
                                        ("trig", ".trig")])
def test_other_syntaxes_by_extension_and_by_format(tmp_path: Path, fmt: str, suffix: str):
    graph = Graph().parse(INVALID["links.ttl"])
    by_suffix = tmp_path / f"links{suffix}"
    by_suffix.write_text(graph.serialize(format=fmt))
    assert run(str(by_suffix)).exit_code == 1
    renamed = tmp_path / "links.data"
    renamed.write_text(graph.serialize(format=fmt))
    result = run("--format", fmt, str(renamed))
    assert result.exit_code == 1
    assert "WikidataItemShape" in result.output


def test_rdfxml_doctype_is_refused(tmp_path: Path):
    evil = tmp_path / "evil.rdf"
    evil.write_text('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]>'
                    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>')
    result = run(str(evil))
    assert result.exit_code == 2 and "DOCTYPE" in result.output


def test_turtle_output_is_a_validation_report():
    result = run("--output", "turtle", str(INVALID["links.ttl"]))
    report = Graph().parse(data=result.output, format="turtle")
    assert len(list(report.objects(None, SH.result))) == 8  # 7 violations, 1 info


def test_json_ld_and_json_outputs():
    jsonld = run("--output", "json-ld", str(INVALID["links.ttl"]))
    quads = list(ox.parse(jsonld.output.encode(), ox.RdfFormat.JSON_LD))
    results = sum(1 for q in quads if q.predicate.value == str(SH.result))
    assert results == 8  # 7 violations, 1 info
    summary = json.loads(run("--output", "json", str(INVALID["links.ttl"])).output)
    assert summary["conforms"] is False and summary["counts"]["Violation"] == 7


def test_other_shapes(tmp_path: Path):
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "<urn:s> a sh:NodeShape ; sh:targetNode <https://example.org/x> ;\n"
        "  sh:property [ sh:path <urn:p> ; sh:minCount 1 ] .\n")
    data = tmp_path / "data.ttl"
    data.write_text("<https://example.org/x> <urn:q> 1 .\n")
    result = run("--shapes", str(shapes), str(data))
    assert result.exit_code == 1 and "<urn:s>" not in result.output.split("\n")[0]
    assert "Violation x 1" in result.output


def test_inference_rdfs_changes_the_outcome(tmp_path: Path):
    # with RDFS, ex:x becomes an ag:State by the domain of ag:iso3166Alpha2 (in the data)
    shapes_free = tmp_path / "data.ttl"
    shapes_free.write_text(
        "@prefix ag: <https://w3id.org/alliancegraph/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "ag:iso3166Alpha2 rdfs:domain ag:State .\n"
        "<https://example.org/x> ag:iso3166Alpha2 \"XZ\" .\n")
    assert run(str(shapes_free)).exit_code == 0
    result = run("--inference", "rdfs", str(shapes_free))
    assert result.exit_code == 1
    assert "StateShape" in result.output


def test_no_file_validates_the_store(tmp_path: Path):
    from alliancegraph.config import load_settings
    from alliancegraph.store import QuadDelta, open_store

    store = open_store(load_settings(environ={}, overrides={
        "data_dir": str(tmp_path), "store": "embedded", "validate_on_write": False}))
    quads = list(ox.parse(INVALID["links.ttl"].read_bytes(), ox.RdfFormat.TURTLE,
                          base_iri=INVALID["links.ttl"].resolve().as_uri()))
    store.apply(QuadDelta(added=tuple(quads)))
    store.close()
    result = run("--data-dir", str(tmp_path))
    assert result.exit_code == 1
    assert "WikidataItemShape" in result.output


def test_no_file_and_no_store_exits_2(tmp_path: Path):
    """Unusable input, as the help says (it exited 1, the code for violations)."""
    result = run("--data-dir", str(tmp_path / "empty"))
    assert result.exit_code == 2
    assert result.stderr == (f"Error: no store in {tmp_path / 'empty'}: run 'alliancegraph "
                             "build' or name files\n")
    assert not (tmp_path / "empty").exists()


@pytest.mark.long
def test_inference_owlrl_keeps_valid_data_valid():
    """Regression: OWL-RL's reflexive owl:sameAs (one per node and literal) made every
    valid example fail the identity-link shape (about 1,000 violations)."""
    for path in example_files("valid"):
        result = run("--inference", "owlrl", str(path))
        assert result.exit_code == 0, (path.name, result.output[:500])
    assert run("--inference", "owlrl", str(INVALID["links.ttl"])).exit_code == 1
