"""The W3C SHACL test suite (core and SPARQL), run through ``POST /validate`` of a real
server (``alliancegraph serve``, gunicorn, on a free loopback port), spoken to over HTTP.

Each ``sht:Validate`` entry's data graph and shapes graph are uploaded as a multipart form
(``data`` and ``shapes`` files, named as in the suite so relative IRIs resolve alike); the
Turtle report that comes back must have the expected ``sh:conforms`` and, after the
suite's normalisation (README of ../shared/conformance), the expected results. Blank nodes
are compared as "some blank node" (not as an isomorphism).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import requests
from alliancegraph.shapes.validate import render_path
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import SH, XSD

SHACL_SUITE = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "shacl"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")

#: Tests that cannot apply, with the reason. Nothing else is skipped.
NOT_APPLICABLE: dict[str, str] = {}

#: Where pySHACL 0.40.1 (the engine behind the endpoint) departs from the suite and our layer
#: (alliancegraph.shapes.compat, the exact literals of alliancegraph.shapes.validate) cannot
#: correct it. These would run as strict expected failures. None is left.
ENGINE_GAPS: dict[str, str] = {}

KEPT = (SH.focusNode, SH.resultPath, SH.resultSeverity, SH.sourceConstraint,
        SH.sourceConstraintComponent, SH.sourceShape, SH.value)


def _test_files() -> list[Path]:
    found, todo, seen = [], [SHACL_SUITE / "manifest.ttl"], set()
    while todo:
        manifest = todo.pop()
        if manifest in seen:
            continue
        seen.add(manifest)
        graph = Graph().parse(manifest, format="turtle")
        includes = [Path(str(i).removeprefix("file://")) for i in graph.objects(None, MF.include)]
        if (None, RDF.type, SHT.Validate) in graph:
            found.append(manifest)
        todo.extend(includes)
    return sorted(found)


HAVE_SUITE = SHACL_SUITE.is_dir()
pytestmark = pytest.mark.skipif(not HAVE_SUITE, reason=f"not run: the W3C SHACL suite is not "
                                f"at {SHACL_SUITE} (../shared/ is absent; CI has it)")
TEST_FILES = _test_files() if HAVE_SUITE else []


def _test_id(path: Path) -> str:
    return str(path.relative_to(SHACL_SUITE).with_suffix(""))


@pytest.fixture(scope="module")
def server(start_server, tmp_path_factory) -> str:
    """``alliancegraph serve`` on an empty data dir (it builds the graph); its base URL."""
    return start_server(tmp_path_factory.mktemp("w3c-shacl-store")).url


def _upload_base(server: str) -> str:
    return f"{server}/validate/upload/"


def _local(iri: URIRef, test_file: Path, base: str) -> Path:
    """The suite file an action names (relative IRIs were resolved against the upload base)."""
    name = str(iri).removeprefix(base).split("#")[0]
    return test_file.parent / (name or test_file.name)


def _term(node, graph: Graph, key) -> str:
    if key == SH.resultPath:
        return render_path(node, graph) if not isinstance(node, URIRef) else node.n3()
    if isinstance(node, BNode):
        return "_:"
    if isinstance(node, Literal) and node.datatype is None and not node.language:
        return Literal(str(node), datatype=XSD.string).n3()  # RDF 1.1: the same literal
    return node.n3()


def normalise(graph: Graph, report, keep_messages: set[str]) -> tuple[bool, Counter]:
    conforms = bool(graph.value(report, SH.conforms).toPython())
    results: Counter = Counter()
    for result in graph.objects(report, SH.result):
        fields = [(str(p), _term(o, graph, p)) for p in KEPT for o in graph.objects(result, p)]
        fields += [("message", str(m)) for m in graph.objects(result, SH.resultMessage)
                   if str(m) in keep_messages]
        results[tuple(sorted(fields))] += 1
    return conforms, results


def test_the_whole_suite_is_found():
    assert len(TEST_FILES) == 120


def _run(server: str, test_file: Path) -> tuple[Graph, URIRef, requests.Response]:
    """(the manifest, its test entry, the endpoint's answer for the test's files)."""
    base = _upload_base(server)
    manifest = Graph().parse(test_file, format="turtle", publicID=base + test_file.name)
    (test,) = manifest.subjects(RDF.type, SHT.Validate)
    action = manifest.value(test, MF.action)
    data_file = _local(manifest.value(action, SHT.dataGraph), test_file, base)
    shapes_file = _local(manifest.value(action, SHT.shapesGraph), test_file, base)
    response = requests.post(server + "/validate", headers={"Accept": "text/turtle"}, files={
        "data": (data_file.name, data_file.read_bytes(), "text/turtle"),
        "shapes": (shapes_file.name, shapes_file.read_bytes(), "text/turtle"),
    }, timeout=60)
    return manifest, test, response


@pytest.mark.parametrize("test_file", TEST_FILES, ids=_test_id)
def test_w3c_shacl(test_file: Path, server: str, request):
    if _test_id(test_file) in NOT_APPLICABLE:
        pytest.skip(NOT_APPLICABLE[_test_id(test_file)])
    if _test_id(test_file) in ENGINE_GAPS:
        request.applymarker(pytest.mark.xfail(reason=ENGINE_GAPS[_test_id(test_file)],
                                              strict=True))
    manifest, test, response = _run(server, test_file)
    expected = manifest.value(test, MF.result)
    if expected == SHT.Failure:
        assert 400 <= response.status_code < 500, response.text[:500]
        return
    assert response.status_code == 200, response.text[:500]
    actual = Graph().parse(data=response.text, format="turtle")
    (actual_report,) = actual.subjects(RDF.type, SH.ValidationReport)
    messages = {str(m) for m in manifest.objects(None, SH.resultMessage)}
    want = normalise(manifest, expected, messages)
    got = normalise(actual, actual_report, messages)
    assert got[0] == want[0], "sh:conforms differs"
    assert got[1] == want[1]
