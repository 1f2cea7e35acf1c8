"""Bulk load: every syntax parsed first, named graphs and shared blank nodes kept, inferences
merged into graph/inferred, one write (validated or not) on the memory and embedded
backends, and nothing written when a file does not parse or validation refuses."""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph import CANONICAL_BASE
from alliancegraph.config import load_settings
from alliancegraph.errors import BadRequest, ParseError, UnsupportedMediaType, ValidationFailed
from alliancegraph.graph.vocabulary import INFERRED, graph_iri
from alliancegraph.store import Store, open_store
from alliancegraph.store.bulk import Staged, load, stage, stage_stream, staging_directory

EX = "http://example.org/"
AG = CANONICAL_BASE + "ontology#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
INFERRED_IRI = graph_iri(INFERRED, CANONICAL_BASE)

TRIG = f"""@prefix ex: <{EX}> .
ex:s ex:p "in the default graph" .
ex:g1 {{ ex:a ex:knows _:shared . }}
ex:g2 {{ _:shared ex:name "shared" . }}
"""


def read_sources(names: list[str], **options) -> Staged:
    """The inputs staged in the temporary directory."""
    return stage(names, Path(tempfile.gettempdir()), **options)


def open_memory(validate: bool = False) -> Store:
    return open_store(load_settings(environ={}, overrides={
        "store": "memory", "validate_on_write": validate}))


@pytest.fixture(params=["memory", "embedded"])
def store(request, tmp_path):
    made = open_store(load_settings(environ={}, overrides={
        "store": request.param, "data_dir": str(tmp_path / "d"), "validate_on_write": False}))
    yield made
    made.close()


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def graph(store: Store, name: str | None) -> set[ox.Quad]:
    return set(store.quads(graph=name))


def test_trig_keeps_named_graphs_and_a_blank_node_shared_between_them(store, tmp_path):
    sources = read_sources([write(tmp_path / "a.trig", TRIG)], graph=EX + "target")
    report = load(store, sources, base_iri=CANONICAL_BASE, infer=False, validate=False)
    assert report.graphs == {EX + "target": 1, EX + "g1": 1, EX + "g2": 1}
    (knows,) = graph(store, EX + "g1")
    (name,) = graph(store, EX + "g2")
    assert isinstance(knows.object, ox.BlankNode) and knows.object == name.subject
    assert {q.subject.value for q in graph(store, EX + "target")} == {EX + "s"}


def test_triple_syntaxes_go_into_the_graph_given_or_the_default_graph(store, tmp_path):
    turtle = write(tmp_path / "a.ttl", f"<{EX}a> <{EX}p> <{EX}b> .\n")
    ntriples = write(tmp_path / "b.nt", f"<{EX}c> <{EX}p> _:x .\n")
    load(store, read_sources([turtle, ntriples], graph=EX + "g"), base_iri=CANONICAL_BASE,
         infer=False, validate=False)
    assert {q.subject.value for q in graph(store, EX + "g")} == {EX + "a", EX + "c"}
    load(store, read_sources([turtle]), base_iri=CANONICAL_BASE, infer=False, validate=False)
    assert {q.subject.value for q in graph(store, None)} == {EX + "a"}


def test_the_same_blank_node_label_in_two_files_is_two_nodes(store, tmp_path):
    first = write(tmp_path / "a.nq", f"_:b <{EX}p> \"1\" <{EX}g> .\n")
    second = write(tmp_path / "b.nq", f"_:b <{EX}p> \"2\" <{EX}g> .\n")
    load(store, read_sources([first, second]), base_iri=CANONICAL_BASE, infer=False,
         validate=False)
    assert len({q.subject for q in graph(store, EX + "g")}) == 2


def test_merge_adds_and_replace_empties_the_graphs_the_files_fill(store, tmp_path):
    one = write(tmp_path / "one.nq", f"<{EX}a> <{EX}p> \"1\" <{EX}g> .\n")
    two = write(tmp_path / "two.nq", f"<{EX}a> <{EX}p> \"2\" <{EX}g> .\n")
    other = write(tmp_path / "o.nq", f"<{EX}a> <{EX}p> \"3\" <{EX}other> .\n")
    for path in (one, other):
        load(store, read_sources([path]), base_iri=CANONICAL_BASE, infer=False,
             validate=False)
    load(store, read_sources([two]), base_iri=CANONICAL_BASE, infer=False, validate=False)
    assert {q.object.value for q in graph(store, EX + "g")} == {"1", "2"}
    load(store, read_sources([two]), base_iri=CANONICAL_BASE, infer=False, validate=False,
         replace=True)
    assert {q.object.value for q in graph(store, EX + "g")} == {"2"}
    assert len(graph(store, EX + "other")) == 1  # a graph the files do not fill stays


@pytest.mark.parametrize("validate", [False, True])
def test_entailments_with_the_ontology_are_merged_into_the_inferred_graph(tmp_path, validate):
    store = open_memory(validate)
    try:
        kept = ox.Quad(ox.NamedNode(EX + "old"), ox.NamedNode(EX + "p"),
                       ox.NamedNode(EX + "o"), ox.NamedNode(INFERRED_IRI))
        from alliancegraph.store import QuadDelta

        store.backend.apply(QuadDelta(added=(kept,)))
        data = write(tmp_path / "a.ttl", f"<{EX}group> a <{AG}TerroristGroup> ; "
                     f"<http://www.w3.org/2000/01/rdf-schema#label> \"A group\"@en .\n")
        report = load(store, read_sources([data], graph=EX + "g"), base_iri=CANONICAL_BASE,
                      validate=validate)
        inferred = graph(store, INFERRED_IRI)
        types = {q.object.value for q in inferred if q.subject.value == EX + "group"
                 and q.predicate == RDF_TYPE}
        assert {AG + "NonStateActor", AG + "Actor"} <= types
        assert kept in inferred and report.inferred > 0  # merged, not replaced
        load(store, read_sources([data], graph=EX + "h"), base_iri=CANONICAL_BASE,
             validate=validate, infer=False)
        assert graph(store, INFERRED_IRI) == inferred  # --no-infer: nothing more
    finally:
        store.close()


def test_a_parse_error_names_file_line_and_column_before_anything_is_written(tmp_path):
    good = write(tmp_path / "good.nq", f"<{EX}a> <{EX}p> \"1\" <{EX}g> .\n")
    lines = [f"<{EX}s{i}> <{EX}p> \"{i}\" <{EX}g> .\n" for i in range(500)]
    lines[399] = f"<{EX}s> <{EX}p> \"unterminated <{EX}g> .\n"
    bad = write(tmp_path / "bad.nq", "".join(lines))
    with pytest.raises(ParseError) as error:
        read_sources([good, bad])
    assert error.value.source == bad and error.value.line == 400
    assert error.value.column is not None


def test_inputs_without_a_readable_syntax_are_refused(tmp_path, monkeypatch):
    with pytest.raises(UnsupportedMediaType):
        read_sources([write(tmp_path / "a.txt", "")])
    with pytest.raises(UnsupportedMediaType):
        read_sources([write(tmp_path / "a.nt", "")], syntax="n3")
    with pytest.raises(BadRequest, match="--format"):
        read_sources(["-"])
    with pytest.raises(BadRequest, match="no such file"):
        read_sources([str(tmp_path / "missing.nq")])
    stdin = io.TextIOWrapper(io.BytesIO(f"<{EX}a> <{EX}p> <{EX}b> .\n".encode()))
    monkeypatch.setattr(sys, "stdin", stdin)
    with read_sources(["-"], syntax="text/turtle", graph=EX + "g") as staged:
        assert staged.graphs == {EX + "g": 1}
        assert ox.parse(path=str(staged.path)).__next__().graph_name.value == EX + "g"


def test_loading_into_the_inferred_graph_is_refused(tmp_path):
    store = open_memory()
    try:
        data = write(tmp_path / "a.nt", f"<{EX}a> <{EX}p> <{EX}b> .\n")
        with pytest.raises(BadRequest, match="inferences"):
            load(store, read_sources([data], graph=INFERRED_IRI), base_iri=CANONICAL_BASE)
        assert store.count() == 0
    finally:
        store.close()


def test_validation_on_write_refuses_invalid_data_and_writes_nothing(tmp_path):
    store = open_memory(validate=True)
    try:
        valid = write(tmp_path / "ok.nt", f"<{EX}a> <{EX}p> <{EX}b> .\n")
        assert load(store, read_sources([valid], graph=EX + "g"), base_iri=CANONICAL_BASE,
                    infer=False).validated
        before = set(store.quads())
        # an organisation (by inference: a terrorist group is a non-state actor) needs a label
        invalid = write(tmp_path / "bad.ttl", f"<{EX}group> a <{AG}TerroristGroup> .\n")
        with pytest.raises(ValidationFailed, match="OrganisationShape"):
            load(store, read_sources([invalid], graph=EX + "g"), base_iri=CANONICAL_BASE)
        assert set(store.quads()) == before
        report = load(store, read_sources([invalid], graph=EX + "g"),
                      base_iri=CANONICAL_BASE, validate=False)
        assert not report.validated
        assert store.count() == len(before) + 1 + report.inferred
    finally:
        store.close()


def test_a_failed_staging_leaves_no_file_and_a_loaded_one_is_removed_by_its_owner(tmp_path):
    where = tmp_path / "staging"
    good = write(tmp_path / "good.nq", f"<{EX}a> <{EX}p> \"1\" <{EX}g> .\n")
    bad = write(tmp_path / "bad.ttl", f"<{EX}a> <{EX}p> .\n")
    with pytest.raises(ParseError, match=r"bad\.ttl:1:"):
        stage([good, bad], where)
    assert list(where.iterdir()) == []
    with stage([good], where) as staged:
        assert staged.path.parent == where and staged.bytes_read == Path(good).stat().st_size
    assert list(where.iterdir()) == []


def test_a_stream_over_its_limit_is_413_and_leaves_no_file(tmp_path):
    from alliancegraph.errors import PayloadTooLarge
    from alliancegraph.store import formats

    body = io.BytesIO(f"<{EX}a> <{EX}p> \"1\" <{EX}g> .\n".encode() * 100)
    with pytest.raises(PayloadTooLarge, match="max_load_bytes") as error:
        stage_stream(body, formats.rdf_input(name="nq"), tmp_path, limit=1000)
    assert error.value.status == 413 and list(tmp_path.iterdir()) == []


def test_rdf_xml_with_a_doctype_is_refused_before_parsing(tmp_path):
    xml = write(tmp_path / "a.rdf", '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x">]>'
                '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>')
    with pytest.raises(BadRequest, match="DOCTYPE"):
        stage([xml], tmp_path / "staging")


def test_an_unvalidated_load_into_the_embedded_store_is_one_bulk_file_beside_it(tmp_path):
    store = open_store(load_settings(environ={}, overrides={
        "store": "embedded", "data_dir": str(tmp_path / "d"), "validate_on_write": False}))
    try:
        assert staging_directory(store) == tmp_path / "d"
        before = store.generation()
        lines = "".join(f"<{EX}s{i}> <{EX}p> \"{i}\" <{EX}g{i % 3}> .\n" for i in range(3000))
        with stage([write(tmp_path / "a.nq", lines)], staging_directory(store)) as staged:
            report = load(store, staged, base_iri=CANONICAL_BASE, validate=False)
        assert report.generation == before + 1 and report.total == 3000
        assert store.count(EX + "g0") == 1000 and store.count(INFERRED_IRI) == report.inferred
        assert not any(p.name.startswith(".alliancegraph-load-")
                       for p in (tmp_path / "d").iterdir())
    finally:
        store.close()


def test_inference_reaches_loaded_blank_nodes_whether_staged_with_the_scratch_or_not(
        store, tmp_path):
    # a blank node typed in one graph and named in another: the inferred types must be
    # about the node the load stored (same label in the file as in the scratch store)
    data = write(tmp_path / "a.trig", f"<{EX}g1> {{ _:n a <{AG}TerroristGroup> }} "
                 f"<{EX}g2> {{ _:n <http://www.w3.org/2000/01/rdf-schema#label> \"A\"@en }}\n")
    with_scratch = read_sources([data])
    assert with_scratch.scratch is not None and len(with_scratch.scratch) == 2
    report = load(store, with_scratch, base_iri=CANONICAL_BASE, validate=False)
    assert with_scratch.scratch is None  # dropped before the write
    without = read_sources([data], infer=False)
    assert without.scratch is None
    again = load(store, without, base_iri=CANONICAL_BASE, validate=False)
    assert report.inferred == again.inferred > 0
    labelled = {q.subject for q in graph(store, EX + "g2")}
    assert len(labelled) == 2  # two loads, two nodes
    inferred = graph(store, INFERRED_IRI)
    for node in labelled:
        types = {q.object.value for q in inferred if q.subject == node
                 and q.predicate == RDF_TYPE}
        assert {AG + "NonStateActor", AG + "Actor"} <= types
