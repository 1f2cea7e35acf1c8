"""The W3C SPARQL 1.1 Protocol, Graph Store Protocol and Service Description tests,
replayed over HTTP against a real server (gunicorn on a loopback port).

The manifests (``../shared/conformance/sparql11/``) are read with rdflib. Before each test
the store is emptied through the service itself (``DROP ALL`` with the write token) and
the test's ``ut:graphData`` is put in through the Graph Store Protocol. Every request
carries the write token: authentication is outside the protocols, and the service
refuses writes without it. Tests that need a capability the service does not offer are
not run; they are listed in ``service/README.md`` (checked below).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import requests
from rdflib.collection import Collection
from rdflib.compare import isomorphic

ROOT = Path(__file__).resolve().parents[2]
SPARQL11 = ROOT.parent / "shared" / "conformance" / "sparql11"
README = ROOT / "service" / "README.md"

MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
HTS = rdflib.Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")

#: Capabilities of the graph store (mf:requires); a test needing another is not run.
CAPABILITIES = {MF.IndirectGraphIdentification, MF.DirectGraphIdentification,
                MF.POSTGraphCreation}
#: Protocol paths in the manifests → the service's paths.
PATHS = {"/sparql/": "/sparql", "/gsp": "/rdf-graph-store"}
STATUS = {HTS.OK: {200}, HTS.Created: {201}, HTS.NoContent: {204}, HTS.NotFound: {404},
          HTS.StatusCode2xx: set(range(200, 300)), HTS.StatusCode3xx: set(range(300, 400)),
          HTS.StatusCode4xx: set(range(400, 500))}
BOOLEAN_TYPES = {"application/sparql-results+json", "application/sparql-results+xml"}
TABULAR_TYPES = BOOLEAN_TYPES | {"text/csv", "text/tab-separated-values"}
RDF_TYPES = {"text/turtle", "application/n-triples", "application/ld+json",
             "application/rdf+xml", "application/trig", "application/n-quads"}


# --- reading the manifests --------------------------------------------------------------------

@dataclass
class Expected:
    statuses: set[int] = field(default_factory=set)
    boolean: bool | None = None
    format: str | None = None
    content_type: str | None = None
    body: str | None = None
    location: str | None = None


@dataclass
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    expected: Expected


@dataclass
class W3CTest:
    id: str
    name: str
    requests: list[HttpRequest]
    graph_data: list[tuple[Path, str]]
    requires: set[rdflib.URIRef]


def _list(graph: rdflib.Graph, node) -> list:
    return list(Collection(graph, node)) if node is not None else []


def _read_request(graph: rdflib.Graph, node) -> HttpRequest:
    headers = {str(graph.value(h, HT.fieldName)): str(graph.value(h, HT.fieldValue))
               for h in _list(graph, graph.value(node, HT.headers))}
    body = graph.value(node, HT.body)
    data = None
    if body is not None:
        encoding = str(graph.value(body, CNT.characterEncoding) or "UTF-8")
        data = str(graph.value(body, CNT.chars)).encode(encoding)
    response = graph.value(node, HT.resp)
    expected = Expected()
    for status in graph.objects(response, MF.expectedStatus):
        expected.statuses |= STATUS[status]
    boolean = graph.value(response, MF.expectedBoolean)
    expected.boolean = None if boolean is None else boolean.toPython()
    fmt = graph.value(response, MF.expectedFormat)
    expected.format = None if fmt is None else str(fmt)
    for header in _list(graph, graph.value(response, HT.headers)):
        if str(graph.value(header, HT.fieldName)).lower() == "content-type":
            expected.content_type = str(graph.value(header, HT.fieldValue))
    expected_body = graph.value(response, HT.body)
    if expected_body is not None:
        expected.body = str(graph.value(expected_body, CNT.chars))
    location = graph.value(response, MF.expectedLocation)
    expected.location = None if location is None else str(location)
    return HttpRequest(str(graph.value(node, HT.methodName)),
                       str(graph.value(node, HT.absolutePath)), headers, data, expected)


def _read_test(graph: rdflib.Graph, entry, folder: Path) -> W3CTest:
    action = graph.value(entry, MF.action)
    requests_ = [_read_request(graph, r) for r in _list(graph, graph.value(action, HT.requests))]
    graph_data = [(folder / Path(str(graph.value(d, UT.graph))).name,
                   str(graph.value(d, rdflib.RDFS.label)))
                  for d in graph.objects(entry, UT.graphData)]
    return W3CTest(str(entry).rsplit("#", 1)[-1], str(graph.value(entry, MF.name)), requests_,
                   graph_data, set(graph.objects(entry, MF.requires)))


def read_manifest(path: Path, *, unlisted: bool = False) -> list[W3CTest]:
    """The tests of one manifest (``unlisted``: also those typed as tests but missing
    from ``mf:entries``, such as ``head_non_existing_direct``)."""
    graph = rdflib.Graph().parse(path, format="turtle", publicID=path.as_uri())
    manifest = next(graph.subjects(rdflib.RDF.type, MF.Manifest))
    entries = _list(graph, graph.value(manifest, MF.entries))
    if unlisted:
        typed = sorted(set(graph.subjects(rdflib.RDF.type, None)) - set(entries) - {manifest})
        entries += [e for e in typed if graph.value(e, MF.action) is not None]
    return [_read_test(graph, entry, path.parent) for entry in entries]


HAVE_SUITE = SPARQL11.is_dir()
pytestmark = pytest.mark.skipif(not HAVE_SUITE, reason=f"not run: the W3C suites are not at "
                                f"{SPARQL11} (../shared/ is absent; CI has it)")
PROTOCOL_TESTS = read_manifest(SPARQL11 / "protocol" / "manifest.ttl") if HAVE_SUITE else []
GSP_TESTS = [test for name in ("manifest-indirect.ttl", "manifest-direct.ttl") if HAVE_SUITE
             for test in read_manifest(SPARQL11 / "graph-store-protocol" / name, unlisted=True)]
SD_TESTS = read_manifest(SPARQL11 / "service-description" / "manifest.ttl") if HAVE_SUITE \
    else []
NOT_APPLICABLE = {t.id: sorted(str(r) for r in t.requires - CAPABILITIES)
                  for t in GSP_TESTS if t.requires - CAPABILITIES}


# --- replaying them ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def w3c_server(start_server, make_fixture_store, fixture_data):
    """A server of its own: these tests empty its store again and again. Their data (FOAF
    persons, vCards) is not Alliance Graph data, so validation on write is off."""
    return start_server(make_fixture_store(), write_token=fixture_data.token,
                        validate_on_write=False)


@pytest.fixture
def session(w3c_server, fixture_data):
    """An HTTP session carrying the write token, over a store emptied for this test."""
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {fixture_data.token}"
    reset = http.post(w3c_server.url + "/sparql", data=b"DROP ALL",
                      headers={"Content-Type": "application/sparql-update"})
    assert reset.status_code == 204, reset.text
    return http


def load_graph_data(http: requests.Session, url: str, test: W3CTest) -> None:
    for path, name in test.graph_data:
        response = http.put(url + "/rdf-graph-store", params={"graph": name},
                            data=path.read_bytes(),
                            headers={"Content-Type": "application/n-triples"})
        assert response.status_code in (201, 204), response.text


def service_path(path: str) -> str:
    for prefix, replacement in PATHS.items():
        if path.startswith(prefix):
            return replacement + path[len(prefix):]
    raise AssertionError(f"unexpected path in a manifest: {path}")


def media_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def parse_rdf(data: bytes, media: str) -> rdflib.Graph:
    """A response body as an rdflib graph (read by pyoxigraph: any syntax the service
    writes), for isomorphism checks."""
    quads = ox.parse(data, ox.RdfFormat.from_media_type(media))
    text = ox.serialize([q.triple for q in quads], format=ox.RdfFormat.N_TRIPLES)
    return rdflib.Graph().parse(data=text, format="nt")


def read_boolean(response: requests.Response) -> bool:
    media = media_type(response)
    if media == "application/sparql-results+json":
        return json.loads(response.content)["boolean"]
    assert media == "application/sparql-results+xml", media
    element = ET.fromstring(response.content).find(
        "{http://www.w3.org/2005/sparql-results#}boolean")
    return element.text.strip() == "true"


def check_response(response: requests.Response, expected: Expected, method: str) -> None:
    where = f"{method} {response.request.url} -> {response.status_code}: {response.text[:300]}"
    assert response.status_code in expected.statuses, where
    media = media_type(response)
    if expected.format == "boolean":
        assert media in BOOLEAN_TYPES, where
    elif expected.format == "tabular":
        assert media in TABULAR_TYPES, where
    elif expected.format == "RDF":
        assert media in RDF_TYPES, where
        parse_rdf(response.content, media)
    if expected.boolean is not None:
        assert read_boolean(response) is expected.boolean, where
    if expected.content_type is not None:
        assert media == expected.content_type.split(";")[0].strip().lower(), where
    if expected.body is not None and method != "HEAD":
        wanted = rdflib.Graph().parse(data=expected.body, format="turtle")
        assert isomorphic(parse_rdf(response.content, media), wanted), where
    if expected.location is not None:
        assert response.headers.get("Location"), where


def replay(http: requests.Session, url: str, test: W3CTest) -> None:
    load_graph_data(http, url, test)
    variables: dict[str, str] = {}
    for request in test.requests:
        path, body = request.path, request.body
        for name, value in variables.items():
            path = path.replace(name, value)
            body = body.replace(name.encode(), value.encode()) if body is not None else None
        # send exactly the manifest's headers: no default Accept or Content-Type
        headers = {"Accept": None, "Accept-Encoding": None, **request.headers}
        response = http.request(request.method, url + service_path(path), data=body,
                                headers=headers, allow_redirects=False, timeout=30)
        check_response(response, request.expected, request.method)
        if request.expected.location is not None:
            variables[request.expected.location] = response.headers["Location"]


@pytest.mark.parametrize("test", PROTOCOL_TESTS, ids=lambda t: t.id)
def test_protocol(session, w3c_server, test):
    replay(session, w3c_server.url, test)


@pytest.mark.parametrize("test", [t for t in GSP_TESTS if t.id not in NOT_APPLICABLE],
                         ids=lambda t: t.id)
def test_graph_store_protocol(session, w3c_server, test):
    replay(session, w3c_server.url, test)


def test_all_tests_were_read():
    """The manifests hold what their README says: 34 protocol tests, 14 graph store
    tests (13 listed + the unlisted head_non_existing_direct), 3 service description."""
    assert len(PROTOCOL_TESTS) == 34
    assert len(GSP_TESTS) == 14
    assert "head_non_existing_direct" in {t.id for t in GSP_TESTS}
    assert {t.id for t in SD_TESTS} == {"returns-rdf", "has-endpoint-triple",
                                        "conforms-to-schema"}


def test_readme_reports_the_run():
    """service/README.md states how many tests of each suite run, and lists every test
    not run (a capability the service does not offer) with its reason."""
    readme = README.read_text(encoding="utf-8")
    for suite, tests in (("Protocol", PROTOCOL_TESTS), ("Graph Store Protocol", GSP_TESTS),
                         ("Service Description", SD_TESTS)):
        row = re.search(rf"^\| {suite} \(.*\| {len(tests)}\b.*\| all pass \|$", readme, re.M)
        assert row, f"README: no row for {suite} with {len(tests)} tests"
    if NOT_APPLICABLE:
        for test_id in NOT_APPLICABLE:
            assert re.search(rf"`{re.escape(test_id)}`[^\n]*\|", readme), test_id
    else:
        assert "Tests not applicable: none" in readme


# --- service description ------------------------------------------------------------------

def service_description(url: str) -> tuple[requests.Response, rdflib.Graph]:
    response = requests.get(url + "/sparql",
                            headers={"Accept": "text/turtle, application/rdf+xml"}, timeout=30)
    return response, parse_rdf(response.content, media_type(response))


def sd_returns_rdf(url: str) -> None:
    response, graph = service_description(url)
    assert response.status_code == 200
    assert media_type(response) in {"text/turtle", "application/rdf+xml"}
    assert len(graph) > 0


def sd_has_endpoint_triple(url: str) -> None:
    _, graph = service_description(url)
    assert list(graph.subjects(SD.endpoint, rdflib.URIRef(url + "/sparql")))


def sd_conforms_to_schema(url: str) -> None:
    _, graph = service_description(url)
    for named in graph.subjects(rdflib.RDF.type, SD.NamedGraph):
        assert graph.value(named, SD.name) is not None
    services = list(graph.subjects(rdflib.RDF.type, SD.Service))
    assert services
    known = {SD.SPARQL10Query, SD.SPARQL11Query, SD.SPARQL11Update}
    for service in services:
        languages = set(graph.objects(service, SD.supportedLanguage))
        assert languages and languages <= known
        for dataset in graph.objects(service, SD.defaultDataset):
            assert (dataset, rdflib.RDF.type, SD.Dataset) in graph
            assert graph.value(dataset, SD.defaultGraph) or graph.value(dataset, SD.namedGraph)


SD_CHECKS = {"returns-rdf": sd_returns_rdf, "has-endpoint-triple": sd_has_endpoint_triple,
             "conforms-to-schema": sd_conforms_to_schema}


@pytest.mark.parametrize("test", SD_TESTS, ids=lambda t: t.id)
def test_service_description(server, test):
    SD_CHECKS[test.id](server.url)
