"""The suite's own server fixtures: the readiness wait of the product's server survives a
server that answers late (a loaded machine) and never leaves a process behind when the
server does not start; the Wikidata- and DBpedia-shaped SPARQL servers answer; the flaky
proxy in front of them records requests and answers as scripted; the outbound canary
counts connections."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from SPARQLWrapper import JSON, SPARQLWrapper

#: a /healthz that takes longer than the probe's time-out for its first answers, then works
LATE_SERVER = textwrap.dedent("""
    import http.server, sys, time
    answered = 0
    class Late(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            global answered
            answered += 1
            if answered <= int(sys.argv[2]):
                time.sleep(float(sys.argv[3]))  # the client's read times out first
            self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
        def log_message(self, *args): pass
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Late).serve_forever()
""")


def _late(port: int, slow_answers: int, delay: float, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-c", LATE_SERVER, str(port),
                                 str(slow_answers), str(delay)], stdout=out,
                                stderr=subprocess.STDOUT)


def test_the_wait_takes_read_timeouts_as_not_yet(tmp_path, request, server_tools):
    port, log = server_tools.free_port(), tmp_path / "late.log"
    process = _late(port, slow_answers=3, delay=1.0, log=log)
    request.addfinalizer(lambda: (process.kill(), process.wait()))
    started = time.monotonic()
    server_tools.wait_ready(f"http://127.0.0.1:{port}", process, log, timeout=60,
                            probe_timeout=0.3)
    assert time.monotonic() - started >= 0.9  # it did meet the slow answers first


def test_a_server_that_never_answers_in_time_is_an_error_not_a_hang(tmp_path, request,
                                                                    server_tools):
    port, log = server_tools.free_port(), tmp_path / "late.log"
    process = _late(port, slow_answers=10**6, delay=5.0, log=log)
    request.addfinalizer(lambda: (process.kill(), process.wait()))
    with pytest.raises(RuntimeError, match="did not answer within 2 s"):
        server_tools.wait_ready(f"http://127.0.0.1:{port}", process, log, timeout=2,
                                probe_timeout=0.3)


def test_a_server_that_fails_to_start_is_stopped_and_reported(tmp_path, server_tools):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with pytest.raises(RuntimeError, match="server exited"):
        server_tools.Server(data_dir, {"ALLIANCEGRAPH_THREADS": "x"})  # serve refuses it


# ---------------------------------------------------------- external SPARQL endpoints

SPARQL_JSON = "application/sparql-results+json"
LABELLED = ("SELECT ?item WHERE {{ ?item <http://www.w3.org/2000/01/rdf-schema#label> "
            "{label} }}")
#: the fixture also holds a band labelled "Japan" (the wrong-type case): ask for a country
JAPAN = ('SELECT ?item WHERE { ?item <http://www.w3.org/2000/01/rdf-schema#label> "Japan"@en ;'
         ' <http://www.wikidata.org/prop/direct/P31> <http://www.wikidata.org/entity/Q6256> }')


def _items(url: str, query: str, *, method: str = "GET", **headers: str) -> set[str]:
    """The ``?item`` IRIs a SPARQL endpoint answers ``query`` with."""
    headers = {"Accept": SPARQL_JSON, **headers}
    if method == "GET":
        answer = requests.get(url, params={"query": query}, headers=headers, timeout=30)
    else:
        answer = requests.post(url, data={"query": query}, headers=headers, timeout=30)
    answer.raise_for_status()
    assert answer.headers["Content-Type"].startswith(SPARQL_JSON)
    return {row["item"]["value"] for row in answer.json()["results"]["bindings"]}


def test_the_wikidata_shaped_server_answers_with_the_item(external_sparql):
    query = LABELLED.format(label='"日本"@ja')
    assert _items(external_sparql.wikidata, query) == {"http://www.wikidata.org/entity/Q17"}


def test_the_dbpedia_shaped_server_answers_with_the_resource(external_sparql):
    query = ("SELECT ?item WHERE { ?item a <http://dbpedia.org/ontology/Country> ; "
             '<http://www.w3.org/2000/01/rdf-schema#label> "Japan"@en }')
    assert _items(external_sparql.dbpedia, query) == {"http://dbpedia.org/resource/Japan"}


def test_the_servers_are_read_only(external_sparql):
    update = "INSERT DATA { <urn:a> <urn:b> <urn:c> }"
    for url in (external_sparql.wikidata, external_sparql.dbpedia):
        answer = requests.post(url.removesuffix("/query") + "/update", data=update,
                               headers={"Content-Type": "application/sparql-update"},
                               timeout=30)
        assert answer.status_code >= 400
    assert not _items(external_sparql.wikidata, "SELECT ?item { ?item <urn:b> <urn:c> }")


def test_the_settings_point_everything_at_the_two_servers(external_sparql):
    settings = external_sparql.settings(federation_timeout=3)
    assert settings["wikidata_endpoint"] == external_sparql.wikidata
    assert settings["dbpedia_endpoint"] == external_sparql.dbpedia
    assert settings["federation_endpoints"].split() == [external_sparql.wikidata,
                                                        external_sparql.dbpedia]
    assert settings["federation_timeout"] == 3


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_proxy_forwards_and_records_user_agent_and_query(flaky_endpoint, external_sparql,
                                                            method):
    query = JAPAN
    found = _items(flaky_endpoint.url, query, method=method, **{"User-Agent": "probe/1.0"})
    assert found == {"http://www.wikidata.org/entity/Q17"}
    (seen,) = flaky_endpoint.requests
    assert (seen.method, seen.query, seen.user_agent) == (method, query, "probe/1.0")
    assert seen.headers["user-agent"] == "probe/1.0"  # any spelling of the name
    assert flaky_endpoint.upstream == external_sparql.wikidata


def test_the_proxy_decodes_a_direct_sparql_query_body(flaky_endpoint):
    query = LABELLED.format(label='"IMF"@en')
    answer = requests.post(flaky_endpoint.url, data=query.encode(),
                           headers={"Content-Type": "application/sparql-query",
                                    "Accept": SPARQL_JSON}, timeout=30)
    assert answer.status_code == 200
    assert flaky_endpoint.requests[0].query == query
    assert flaky_endpoint.requests[0].body == query.encode()


def test_the_proxy_answers_429_with_retry_after_then_passes(flaky_endpoint):
    step = flaky_endpoint.Step
    flaky_endpoint.script(step.status(429, retry_after="1"), step.status(500))
    query = JAPAN
    first = requests.get(flaky_endpoint.url, params={"query": query}, timeout=30)
    assert (first.status_code, first.headers["Retry-After"]) == (429, "1")
    assert requests.get(flaky_endpoint.url, params={"query": query}, timeout=30).status_code \
        == 500
    assert _items(flaky_endpoint.url, query) == {"http://www.wikidata.org/entity/Q17"}
    assert [seen.query for seen in flaky_endpoint.requests] == [query] * 3
    assert flaky_endpoint.pending == 0


def test_the_proxy_redirects_without_forwarding(flaky_endpoint, canary):
    flaky_endpoint.script(flaky_endpoint.Step.redirect(canary.url))
    answer = requests.get(flaky_endpoint.url, params={"query": "ASK {}"}, timeout=30,
                          allow_redirects=False)
    assert (answer.status_code, answer.headers["Location"]) == (302, canary.url)
    assert canary.connections == 0


def test_the_canary_counts_every_connection_and_answers_its_marker(canary):
    # the control of every "zero connections" assertion: a canary that never counts
    # would make them all pass
    assert canary.connections == 0
    answer = requests.get(canary.url + "x", timeout=10)
    assert canary.marker in answer.text
    requests.get(canary.url, timeout=10, allow_redirects=False)
    assert canary.connections == 2


def test_the_proxy_serves_a_scripted_body(flaky_endpoint):
    flaky_endpoint.script(flaky_endpoint.Step.body(200, "text/html", "<html>busy</html>"))
    answer = requests.get(flaky_endpoint.url, params={"query": "ASK {}"}, timeout=30)
    assert (answer.status_code, answer.headers["Content-Type"], answer.text) == \
        (200, "text/html", "<html>busy</html>")


def test_the_proxy_delays_long_enough_for_a_client_timeout(flaky_endpoint):
    flaky_endpoint.script(flaky_endpoint.Step.delay(3))
    query = JAPAN
    with pytest.raises(requests.Timeout):
        requests.get(flaky_endpoint.url, params={"query": query}, timeout=0.5)
    # the delayed answer does not block the next request, which passes
    assert _items(flaky_endpoint.url, query) == {"http://www.wikidata.org/entity/Q17"}
    assert len(flaky_endpoint.requests) == 2


def test_a_delayed_request_still_gets_its_answer(flaky_endpoint):
    flaky_endpoint.script(flaky_endpoint.Step.delay(0.3))
    query = JAPAN
    assert _items(flaky_endpoint.url, query) == {"http://www.wikidata.org/entity/Q17"}


def test_the_proxy_factory_fronts_any_upstream(flaky_proxy, external_sparql):
    proxy = flaky_proxy(external_sparql.dbpedia)
    query = "SELECT ?item { ?item a <http://dbpedia.org/ontology/Country> }"
    assert "http://dbpedia.org/resource/Japan" in _items(proxy.url, query)
    assert proxy.upstream == external_sparql.dbpedia


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_proxy_understands_sparqlwrapper(flaky_endpoint, method):
    client = SPARQLWrapper(flaky_endpoint.url, agent="AllianceGraph-test/0")
    client.setMethod(method)
    client.setReturnFormat(JSON)
    query = 'SELECT ?item { ?item <http://www.w3.org/2000/01/rdf-schema#label> "일본"@ko }'
    client.setQuery(query)
    rows = client.queryAndConvert()["results"]["bindings"]
    assert [row["item"]["value"] for row in rows] == ["http://www.wikidata.org/entity/Q17"]
    (seen,) = flaky_endpoint.requests
    assert (seen.method, seen.query, seen.user_agent) == (method, query, "AllianceGraph-test/0")


# ------------------------------------------- the fixture data holds what its README says
# A deliberately plain reference matcher (exact label or alias, with its language tag, on
# either side; the type through P31/P279* or rdf:type), so the expectations of
# tests/fixtures/external/README.md are checked against the data and against our graph.

WD, AG = "http://www.wikidata.org/entity/", "https://w3id.org/alliancegraph/id/"
DBR, DBO = "http://dbpedia.org/resource/", "http://dbpedia.org/ontology/"
OUR_LABELS = ("http://www.w3.org/2000/01/rdf-schema#label",
              "http://www.w3.org/2004/02/skos/core#prefLabel",
              "http://www.w3.org/2004/02/skos/core#altLabel",
              "http://purl.org/dc/terms/title")
WIKIDATA_TYPES = {"state": "Q6256", "organisation": "Q43229", "person": "Q5",
                  "journal": "Q1002697", "event": "Q1190554", "place": None,
                  "book": "Q571", "article": "Q13442814"}
DBPEDIA_TYPES = {"state": "Country", "organisation": "Organisation", "person": "Person",
                 "journal": "PeriodicalLiterature", "event": "Event", "place": "Place"}

#: (our entity, kind, the items a plain exact matcher finds in wikidata.ttl), as in README.md
WIKIDATA_EXPECTED = [
    ("state/japan", "state", {"Q17"}),                  # not the band Q990000601
    ("state/south-korea", "state", {"Q884"}),
    ("state/north-korea", "state", {"Q423"}),
    ("state/united-states", "state", {"Q30"}),          # not the city "Washington, D.C."
    ("state/china", "state", {"Q148"}),
    ("org/imf", "organisation", {"Q7804"}),
    ("org/osce", "organisation", {"Q81299"}),
    ("org/asean", "organisation", {"Q7768"}),
    ("org/apec", "organisation", {"Q990000001"}),
    ("org/asean-regional-forum", "organisation", {"Q990000002"}),
    ("org/kedo", "organisation", {"Q990000003"}),
    ("org/tcog", "organisation", set()),
    ("actor/chongryon", "organisation", {"Q990000005"}),
    ("event/cold-war", "event", {"Q8683"}),
    ("event/end-of-cold-war", "event", {"Q990000103"}),
    ("event/dissolution-of-the-soviet-union", "event", set()),
    ("event/tokyo-sarin-attack-1995", "event", {"Q990000101"}),     # Japanese label only
    ("event/korean-air-bombing-1987", "event", {"Q990000102"}),     # Korean label only
    ("event/september-11-attacks", "event", {"Q10806"}),
    ("event/hallym-university-conference-1996", "event", set()),
    ("person/roh-moo-hyun", "person", {"Q990000203"}),
    ("person/thomas-c-schelling", "person", {"Q990000201"}),        # alias only
    ("person/stephen-m-walt", "person", {"Q990000202"}),
    ("person/hisahiko-okazaki", "person", {"Q990000204"}),
    ("person/barry-buzan", "person", {"Q990000205"}),
    ("person/john-h-miller", "person", {"Q990000206", "Q990000207"}),  # ambiguous
    ("person/scott-snyder", "person", {"Q990000208", "Q990000209"}),   # ambiguous
    ("person/bill-clinton", "person", {"Q1124"}),
    ("person/leo-hinata-yamaguchi", "person", set()),
    ("journal/world-policy-journal", "journal", {"Q990000301"}),
    ("journal/the-national-interest", "journal", {"Q990000302"}),  # not the film Q990000303
    ("journal/asia-pacific-review", "journal", {"Q990000304"}),
    ("journal/asian-perspective", "journal", {"Q990000305", "Q990000306"}),  # ambiguous
    ("journal/gaiko-forum", "journal", set()),          # only a company of that name
    ("place/tokyo", "place", {"Q1490"}),
    ("place/vladivostok", "place", {"Q959"}),
    ("place/cambridge-ma", "place", {"Q49111", "Q990000403"}),  # 2nd by our alias only
    ("place/takeshima-dokdo", "place", {"Q990000404"}),
    ("place/korean-peninsula", "place", {"Q990000406"}),
    ("work/schelling-1960-the-strategy-of-conflict", "book", set()),  # only case-folded
    ("work/walt-1997-why-alliances-endure-or-collapse", "article", set()),
]

#: entities that match only when labels are compared case-insensitively (README.md)
WIKIDATA_CASEFOLDED = [
    ("work/schelling-1960-the-strategy-of-conflict", "book", {"Q990000501"}),
    ("work/walt-1997-why-alliances-endure-or-collapse", "article", {"Q990000502"}),
]

#: the same for dbpedia.ttl (resource names after dbr:)
DBPEDIA_EXPECTED = [
    ("state/japan", "state", {"Japan"}),
    ("state/south-korea", "state", {"South_Korea"}),
    ("state/north-korea", "state", {"North_Korea"}),
    ("state/united-states", "state", {"United_States"}),
    ("state/china", "state", {"China"}),
    ("org/united-nations", "organisation", {"United_Nations"}),
    ("org/imf", "organisation", {"International_Monetary_Fund"}),
    ("org/apec", "organisation", {"Asia-Pacific_Economic_Cooperation"}),
    ("org/asean-regional-forum", "organisation", {"ASEAN_Regional_Forum"}),
    ("org/osce", "organisation", {"Organization_for_Security_and_Co-operation_in_Europe"}),
    ("org/asean", "organisation", {"Association_of_Southeast_Asian_Nations"}),
    ("org/kedo", "organisation", {"Korean_Peninsula_Energy_Development_Organization"}),
    ("actor/chongryon", "organisation", {"General_Association_of_Korean_Residents_in_Japan"}),
    ("org/tcog", "organisation", set()),
    ("event/cold-war", "event", {"Cold_War"}),
    ("event/tokyo-sarin-attack-1995", "event", {"Tokyo_subway_sarin_attack"}),
    ("person/roh-moo-hyun", "person", {"Roh_Moo-hyun"}),
    ("person/thomas-c-schelling", "person", {"Thomas_Schelling"}),   # redirect only
    ("person/scott-snyder", "person", {"Scott_Snyder", "Scott_Snyder_(political_scientist)"}),
    ("person/bill-clinton", "person", {"Bill_Clinton"}),
    ("person/john-h-miller", "person", set()),
    ("journal/world-policy-journal", "journal", {"World_Policy_Journal"}),
    ("journal/the-national-interest", "journal", set()),   # only the film
    ("place/vladivostok", "place", {"Vladivostok"}),
    ("place/tokyo", "place", {"Tokyo"}),
    ("place/seoul", "place", {"Seoul"}),
]


def _our_labels(store, entity: str) -> list[str]:
    """Our entity's language-tagged labels, as SPARQL literals."""
    rows = store.query(
        f"SELECT DISTINCT ?l WHERE {{ GRAPH ?g {{ {ox.NamedNode(AG + entity)} ?p ?l }} "
        f"FILTER(LANG(?l) != '') VALUES ?p {{ {' '.join(f'<{p}>' for p in OUR_LABELS)} }} }}")
    return [str(row["l"]) for row in rows]


def _wikidata_matches(url: str, labels: list[str], kind: str, *,
                      casefold: bool = False) -> set[str]:
    wdt = WD.replace("entity", "prop/direct")
    wanted = WIKIDATA_TYPES[kind]
    typed = (f"?item <{wdt}P31>/<{wdt}P279>* <{WD}{wanted}> ." if wanted
             else f"?item <{wdt}P625> ?where .")
    named = (f"{{ ?item <{OUR_LABELS[0]}> ?l }} UNION {{ ?item <{OUR_LABELS[2]}> ?l }}"
             if not casefold else
             f"{{ ?item <{OUR_LABELS[0]}> ?name }} UNION {{ ?item <{OUR_LABELS[2]}> ?name }} "
             "FILTER(LCASE(STR(?name)) = LCASE(STR(?l)) && LANG(?name) = LANG(?l))")
    query = (f"SELECT DISTINCT ?item WHERE {{ VALUES ?l {{ {' '.join(labels)} }} "
             f"{named} {typed} }}")
    return {iri.removeprefix(WD) for iri in _items(url, query)}


def _dbpedia_matches(url: str, labels: list[str], kind: str) -> set[str]:
    query = (f"SELECT DISTINCT ?item WHERE {{ VALUES ?l {{ {' '.join(labels)} }} "
             f"{{ ?item <{OUR_LABELS[0]}> ?l }} UNION "
             f"{{ ?alias <{OUR_LABELS[0]}> ?l ; <{DBO}wikiPageRedirects> ?item }} "
             f"?item a <{DBO}{DBPEDIA_TYPES[kind]}> }}")
    return {iri.removeprefix(DBR) for iri in _items(url, query)}


@pytest.mark.parametrize(("entity", "kind", "expected"), WIKIDATA_EXPECTED,
                         ids=[row[0] for row in WIKIDATA_EXPECTED])
def test_the_wikidata_fixture_holds_what_its_readme_says(external_sparql, source_store,
                                                         entity, kind, expected):
    labels = _our_labels(source_store, entity)
    assert labels, f"{entity} is no longer in our graph (or has no label): update README.md"
    assert _wikidata_matches(external_sparql.wikidata, labels, kind) == expected


@pytest.mark.parametrize(("entity", "kind", "expected"), WIKIDATA_CASEFOLDED,
                         ids=[row[0] for row in WIKIDATA_CASEFOLDED])
def test_the_wikidata_fixture_has_case_only_title_matches(external_sparql, source_store,
                                                          entity, kind, expected):
    labels = _our_labels(source_store, entity)
    assert _wikidata_matches(external_sparql.wikidata, labels, kind, casefold=True) == expected


@pytest.mark.parametrize(("entity", "kind", "expected"), DBPEDIA_EXPECTED,
                         ids=[row[0] for row in DBPEDIA_EXPECTED])
def test_the_dbpedia_fixture_holds_what_its_readme_says(external_sparql, source_store,
                                                        entity, kind, expected):
    labels = _our_labels(source_store, entity)
    assert labels, f"{entity} is no longer in our graph (or has no label): update README.md"
    assert _dbpedia_matches(external_sparql.dbpedia, labels, kind) == expected


# ------------------------------------------------- the Oxigraph servers' own life cycle

SMALL = '<http://www.wikidata.org/entity/Q1> <http://www.w3.org/2000/01/rdf-schema#label> "x" .\n'


def _serving(location: Path) -> set[int]:
    """Pids of live ``oxigraph serve-read-only`` processes over ``location`` (or below)."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if command[0].endswith(b"oxigraph") and b"serve-read-only" in command and any(
                str(location).encode() in part for part in command):
            found.add(int(entry.name))
    return found


def test_a_stopped_server_is_gone(tmp_path, external_tools):
    data = tmp_path / "small.nt"
    data.write_text(SMALL, encoding="utf-8")
    server = external_tools.OxigraphServer(data, tmp_path)
    assert _items(server.url, "SELECT ?item { ?item ?p ?o }") == {
        "http://www.wikidata.org/entity/Q1"}
    server.stop()
    assert server.process.poll() is not None
    assert not _serving(tmp_path)
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url, params={"query": "ASK {}"}, timeout=5)


def test_data_oxigraph_cannot_load_is_an_error_naming_the_file(tmp_path, external_tools):
    bad = tmp_path / "bad.ttl"
    bad.write_text("<urn:a> <urn:b> .\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match=r"oxigraph load .*bad\.ttl failed"):
        external_tools.OxigraphServer(bad, tmp_path)
    assert not _serving(tmp_path)


def test_without_the_cli_the_failure_says_what_to_install(tmp_path, monkeypatch,
                                                          external_tools):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match=r"pip install -e '\.\[test\]'"):
        external_tools.oxigraph_cli()


# the plugin (this conftest) and the bench scripts it imports, as pytest's pythonpath has them
SESSION_PATH = os.pathsep.join([str(Path(__file__).parent),
                                str(Path(__file__).parents[1] / "bench")])

FAILING_SESSION = textwrap.dedent("""
    def test_uses_the_servers_then_fails(external_sparql):
        assert external_sparql.wikidata.startswith("http://127.0.0.1:")
        assert False, "on purpose"
""")


def test_the_servers_stop_at_session_end_when_tests_fail(tmp_path):
    """A pytest session of its own (this conftest as a plugin) whose only test fails."""
    (tmp_path / "test_fail.py").write_text(FAILING_SESSION, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    basetemp = tmp_path / "basetemp"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "conftest",
         f"--basetemp={basetemp}", "test_fail.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "PYTHONPATH": SESSION_PATH})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "on purpose" in done.stdout
    assert "oxigraph-wikidata" in " ".join(p.name for p in basetemp.iterdir())
    assert not _serving(basetemp)


SLEEPING_SESSION = textwrap.dedent("""
    import time
    def test_uses_the_servers_then_hangs(external_sparql):
        time.sleep(300)
""")


def _until(condition, seconds: float) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` pass; whether it held."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_the_servers_die_with_a_killed_session(tmp_path, request):
    """A session killed with SIGKILL runs no teardown; the servers still go (PDEATHSIG)."""
    (tmp_path / "test_hang.py").write_text(SLEEPING_SESSION, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    basetemp = tmp_path / "basetemp"
    session = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "conftest",
         f"--basetemp={basetemp}", "test_hang.py"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": SESSION_PATH})
    request.addfinalizer(lambda: (session.kill(), session.wait()))
    assert _until(lambda: len(_serving(basetemp)) == 2, 120), "the servers never started"
    started = _serving(basetemp)
    session.kill()
    session.wait()
    gone = _until(lambda: not _serving(basetemp), 20)
    for pid in _serving(basetemp):  # only if the test fails: never leave them behind
        os.kill(pid, signal.SIGKILL)
    assert gone, f"servers {started} outlived their killed session"
