"""The SPARQL 1.1 Protocol at /sparql: query and update requests, datasets, negotiation,
errors, the write token, CORS, and what /sparql answers without a query (the service
description itself is tested in test_describe.py, request logs in test_logs.py)."""

from __future__ import annotations

import csv
import io

import pyoxigraph as ox
import pytest
import rdflib
from alliancegraph.service import create_app

PREF_LABEL = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
LABELS = f"SELECT ?label WHERE {{ ?s {PREF_LABEL} ?label }} ORDER BY ?label"


def labels(response) -> list[str]:
    assert response.status_code == 200, response.data
    return [row["label"]["value"] for row in response.get_json()["results"]["bindings"]]


# --- the three ways to ask a query -----------------------------------------------------

def test_query_by_get(client):
    assert labels(client.get("/sparql", query_string={"query": LABELS})) == ["Japan", "South Korea"]


def test_query_by_post_form(client):
    assert labels(client.post("/sparql", data={"query": LABELS})) == ["Japan", "South Korea"]


def test_query_by_post_direct(client):
    response = client.post("/sparql", data=LABELS.encode(),
                           content_type="application/sparql-query")
    assert labels(response) == ["Japan", "South Korea"]


def test_default_graph_uri_restricts_the_default_graph(client, fixture_data):
    response = client.get("/sparql", query_string={
        "query": LABELS, "default-graph-uri": fixture_data.graph_b})
    assert labels(response) == ["South Korea"]


def test_named_graph_uri_builds_the_named_graphs(client, fixture_data):
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    response = client.post("/sparql", data={
        "query": query, "named-graph-uri": fixture_data.graph_a})
    graphs = [r["g"]["value"] for r in response.get_json()["results"]["bindings"]]
    assert graphs == [fixture_data.graph_a]


def test_protocol_dataset_overrides_from(client, fixture_data):
    query = f"SELECT ?label FROM <{fixture_data.graph_a}> WHERE {{ ?s {PREF_LABEL} ?label }}"
    response = client.get("/sparql", query_string={
        "query": query, "default-graph-uri": fixture_data.graph_b})
    assert labels(response) == ["South Korea"]


# --- negotiation -------------------------------------------------------------------------

def test_select_as_csv(client):
    response = client.get("/sparql", query_string={"query": LABELS}, headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert list(csv.reader(io.StringIO(response.data.decode()))) == [
        ["label"], ["Japan"], ["South Korea"]]


def test_select_as_xml_by_q_value(client):
    response = client.get("/sparql", query_string={"query": LABELS}, headers={
        "Accept": "application/sparql-results+json;q=0.2, application/sparql-results+xml"})
    assert response.mimetype == "application/sparql-results+xml"
    parsed = ox.parse_query_results(response.data, ox.QueryResultsFormat.XML)
    assert sorted(s["label"].value for s in parsed) == ["Japan", "South Korea"]


def test_ask_answers_boolean(client):
    response = client.get("/sparql", query_string={"query": "ASK { ?s a ?t }"},
                          headers={"Accept": "application/sparql-results+json"})
    assert response.get_json()["boolean"] is True


def test_ask_refuses_csv(client):
    response = client.get("/sparql", query_string={"query": "ASK {}"},
                          headers={"Accept": "text/csv"})
    assert response.status_code == 406


@pytest.mark.parametrize("media_type", [
    "text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml",
    "application/trig", "application/n-quads"])
def test_construct_in_every_rdf_syntax(client, media_type, fixture_data):
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    response = client.get("/sparql", query_string={"query": query},
                          headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.mimetype == media_type
    parsed = list(ox.parse(response.data, ox.RdfFormat.from_media_type(media_type)))
    assert len(parsed) == sum(fixture_data.counts.values())


def test_describe_is_rdf_not_a_result_set(client):
    query = "DESCRIBE <https://w3id.org/alliancegraph/id/state/japan>"
    response = client.get("/sparql", query_string={"query": query})
    assert response.mimetype == "text/turtle"
    graph = rdflib.Graph().parse(data=response.data, format="turtle")
    assert (None, None, rdflib.Literal("Japan", lang="en")) in graph
    refused = client.get("/sparql", query_string={"query": query},
                         headers={"Accept": "application/sparql-results+json"})
    assert refused.status_code == 406


def test_select_as_turtle_is_406(client):
    response = client.get("/sparql", query_string={"query": LABELS},
                          headers={"Accept": "text/turtle"})
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.get_json()["message"]


def test_format_parameter_overrides_accept(client):
    response = client.get("/sparql", query_string={"query": LABELS, "format": "csv"},
                          headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"


CONSTRUCT_ALL = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
#: What SPARQLWrapper sends with its default return format, whatever the query form.
SPARQLWRAPPER_XML = {"format": "xml", "output": "xml", "results": "xml"}


def test_sparqlwrapper_default_parameters_on_a_construct(client, fixture_data):
    """The 406 of the "first contact" issue: ``xml`` for a CONSTRUCT is RDF/XML."""
    response = client.get("/sparql", query_string={"query": CONSTRUCT_ALL, **SPARQLWRAPPER_XML},
                          headers={"Accept": "application/rdf+xml"})
    assert response.status_code == 200, response.data
    assert response.mimetype == "application/rdf+xml"
    assert len(rdflib.Graph().parse(data=response.data, format="xml")) == \
        sum(fixture_data.counts.values())


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_format_parameters_in_the_url_or_the_form(client, method):
    params = {"query": LABELS, "output": "csv"}
    if method == "GET":
        response = client.get("/sparql", query_string=params)
    else:
        response = client.post("/sparql", data=params)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    direct = client.post("/sparql", query_string={"results": "tsv"}, data=LABELS,
                         content_type="application/sparql-query")
    assert direct.mimetype == "text/tab-separated-values"


def test_a_format_the_form_cannot_have_falls_back_to_accept(client):
    response = client.get("/sparql", query_string={"query": CONSTRUCT_ALL, "format": "csv"},
                          headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    assert response.mimetype == "application/n-triples"
    refused = client.get("/sparql", query_string={"query": CONSTRUCT_ALL, "format": "csv"},
                         headers={"Accept": "text/csv"})
    assert refused.status_code == 406
    assert "format='csv'" in refused.get_json()["message"]


def test_a_format_parameter_naming_no_format_is_406(client):
    response = client.get("/sparql", query_string={"query": LABELS, "format": "jsn"})
    assert response.status_code == 406
    assert "'jsn'" in response.get_json()["message"]


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(("accept", "params", "expected"), [
    (BROWSER, {}, "text/html"),  # a "run" link followed: the UI runs it
    (BROWSER, {"format": "json"}, "application/sparql-results+json"),
    (BROWSER, {"output": "csv"}, "text/csv"),
    ("*/*", {}, "application/sparql-results+json"),
    (None, {}, "application/sparql-results+json"),
    ("application/sparql-results+xml", {}, "application/sparql-results+xml"),
    ("text/html, application/sparql-results+json", {}, "application/sparql-results+json"),
])
def test_a_query_link_is_the_ui_for_browsers_results_for_clients(client, accept, params,
                                                                  expected):
    response = client.get("/sparql", query_string={"query": LABELS, **params},
                          headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.mimetype == expected
    assert "Accept" in response.vary


def test_a_browser_post_gets_results_not_the_ui(client):
    response = client.post("/sparql", data={"query": LABELS}, headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.mimetype == "application/sparql-results+xml"


# --- bad requests: 4xx with a message, never 500 ---------------------------------------------

def test_syntax_error_is_400_with_line_and_column(client):
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE {\n  ?s ?p \n}"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "ParseError"
    line, column, message = body["message"].split(":", 2)
    assert (line, column.isdigit(), message.strip() != "") == ("3", True, True), body["message"]


@pytest.mark.parametrize(("kwargs", "status"), [
    ({"query_string": "query=ASK%20%7B%7D&query=ASK%20%7B%7D"}, 400),
    ({"query_string": {"update": "CLEAR ALL"}}, 400),
    ({"method": "POST", "data": b"ASK {}", "content_type": "text/plain"}, 415),
    ({"method": "POST", "data": b"ASK {}"}, 415),
    ({"method": "POST", "data": "ASK {}".encode("utf-16"),
      "content_type": "application/sparql-query; charset=UTF-16"}, 415),
    ({"method": "POST", "data": b"ASK { \xff }", "content_type": "application/sparql-query"}, 400),
    ({"method": "POST", "data": {"query": "ASK {}", "update": "CLEAR ALL"}}, 400),
    ({"method": "PUT", "query_string": {"query": "ASK {}"}}, 405),
])
def test_bad_protocol_requests(client, kwargs, status):
    response = client.open("/sparql", **kwargs)
    assert response.status_code == status, response.data
    assert response.get_json()["message"]


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
    "SELECT * FROM <http://example.org/not-here> WHERE { ?s ?p ?o }",
])
def test_outside_reaching_queries_are_400(client, query):
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code == 400
    assert "the setting federation_endpoints" in response.get_json()["message"]


def test_service_to_an_allow_listed_endpoint_is_joined(app_settings, make_store, fixture_data,
                                                       external_sparql, flaky_endpoint, canary):
    """The fixture servers stand in for Wikidata: the default allow-list is never called."""
    store = fixture_data.load(make_store(**external_sparql.settings(
        federation_endpoints=f"{external_sparql.wikidata} {flaky_endpoint.url}",
        federation_timeout=1.0)))
    client = create_app({**app_settings, "STORE": store}).test_client()
    query = ("SELECT ?s ?code WHERE {{ ?s <http://www.w3.org/2002/07/owl#sameAs> ?i "
             "SERVICE <{url}> {{ ?i <http://www.wikidata.org/prop/direct/P297> ?code }} }}")
    joined = client.get("/sparql", query_string={
        "query": query.format(url=external_sparql.wikidata)})
    assert joined.status_code == 200, joined.data
    assert [(b["s"]["value"], b["code"]["value"]) for b in
            joined.get_json()["results"]["bindings"]] == [
        (fixture_data.base + "id/state/japan", "JP")]
    Step = flaky_endpoint.Step
    for step, status in [(Step.status(500), 502), (Step.delay(3), 504),
                         (Step.redirect(canary.url), 502)]:
        flaky_endpoint.script(step)
        failed = client.get("/sparql", query_string={"query": query.format(
            url=flaky_endpoint.url)})
        assert failed.status_code == status
        assert flaky_endpoint.url in failed.get_json()["message"]
    assert canary.connections == 0


def test_a_federated_answer_is_never_served_from_the_cache(app_settings, make_store,
                                                          fixture_data, external_sparql,
                                                          flaky_endpoint):
    """The remote's data can change while our store does not: each run asks it again."""
    store = fixture_data.load(make_store(**external_sparql.settings(
        federation_endpoints=flaky_endpoint.url)))
    client = create_app({**app_settings, "STORE": store}).test_client()
    query = (f"SELECT ?code WHERE {{ SERVICE <{flaky_endpoint.url}> {{ "
             "<http://www.wikidata.org/entity/Q17> "
             "<http://www.wikidata.org/prop/direct/P297> ?code } }")
    answers = [client.get("/sparql", query_string={"query": query}) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    assert len(flaky_endpoint.requests) == 2
    assert "ETag" not in answers[1].headers


def test_the_service_description_changes_with_the_allow_list(app_settings):
    """A restart with another allow-list describes it, and an old ETag gets no 304."""
    def described(endpoints: str):
        client = create_app({**app_settings, "federation_endpoints": endpoints}).test_client()
        return client.get("/sparql", headers={"Accept": "text/turtle"})
    allowed, none = described("https://dbpedia.org/sparql"), described("")
    assert "BasicFederatedQuery" in allowed.get_data(as_text=True)
    assert "BasicFederatedQuery" not in none.get_data(as_text=True)
    assert allowed.headers["ETag"] != none.headers["ETag"]


def test_result_over_row_limit_is_refused(app_settings, make_store, fixture_data):
    # the row limit is the store's policy: a store opened with max_rows = 3
    store = fixture_data.load(make_store(max_rows=3))
    client = create_app({**app_settings, "max_rows": 3, "STORE": store}).test_client()
    response = client.get("/sparql", query_string={"query": "SELECT * { ?s ?p ?o }"})
    assert response.status_code == 413
    assert "3" in response.get_json()["message"]
    allowed = client.get("/sparql", query_string={"query": "SELECT * { ?s ?p ?o } LIMIT 3"})
    assert allowed.status_code == 200


# --- updates and the write token -----------------------------------------------------------

INSERT = ('INSERT DATA { GRAPH <http://example.org/g> '
          '{ <http://example.org/s> <http://example.org/p> "o" } }')
HAS_INSERTED = "ASK { GRAPH <http://example.org/g> { <http://example.org/s> ?p ?o } }"


def asks(client, query: str) -> bool:
    return client.get("/sparql", query_string={"query": query}).get_json()["boolean"]


def test_update_by_post_direct_with_token(client, auth):
    response = client.post("/sparql", data=INSERT, content_type="application/sparql-update",
                           headers=auth)
    assert response.status_code == 204
    assert asks(client, HAS_INSERTED)


def test_update_by_post_form_with_token(client, auth):
    response = client.post("/sparql", data={"update": INSERT}, headers=auth)
    assert response.status_code == 204
    assert asks(client, HAS_INSERTED)


def test_using_graph_uri(client, fixture_data, auth):
    update = ("INSERT { GRAPH <http://example.org/copy> { ?s ?p ?o } } "
              "WHERE { ?s ?p ?o }")
    response = client.post("/sparql", headers=auth, data={
        "update": update, "using-graph-uri": fixture_data.graph_b})
    assert response.status_code == 204
    count = client.get("/sparql", query_string={
        "query": "SELECT (COUNT(*) AS ?n) { GRAPH <http://example.org/copy> { ?s ?p ?o } }"})
    [row] = count.get_json()["results"]["bindings"]
    assert int(row["n"]["value"]) == fixture_data.counts[fixture_data.graph_b]


def test_update_without_token_is_401_with_challenge(client):
    response = client.post("/sparql", data={"update": INSERT})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert not asks(client, HAS_INSERTED)


def test_update_with_wrong_token_is_401(client):
    response = client.post("/sparql", data={"update": INSERT},
                           headers={"Authorization": "Bearer not-the-token"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert not asks(client, HAS_INSERTED)


@pytest.mark.parametrize("settings", [{"write_token": None}, {"read_only": True}])
def test_update_on_read_only_service_is_403(app_settings, settings, auth):
    client = create_app({**app_settings, **settings}).test_client()
    response = client.post("/sparql", data={"update": INSERT}, headers=auth)
    assert response.status_code == 403
    assert "read-only" in response.get_json()["message"]
    assert not asks(client, HAS_INSERTED)


def test_failing_update_changes_nothing(client, fixture_data, auth):
    # the second operation fails (the graph exists), so the first must not be applied
    update = INSERT + f" ; CREATE GRAPH <{fixture_data.graph_a}>"
    response = client.post("/sparql", data={"update": update}, headers=auth)
    assert response.status_code == 400
    assert not asks(client, HAS_INSERTED)


@pytest.mark.parametrize("update", [
    "LOAD <http://127.0.0.1:9/data.ttl>",
    "LOAD <file:///etc/passwd>",
    "INSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "CLEAR XYZ",
])
def test_bad_or_outside_reaching_updates_are_400(client, update, auth):
    response = client.post("/sparql", data={"update": update}, headers=auth)
    assert response.status_code == 400
    message = response.get_json()["message"]
    assert message
    if "XYZ" not in update:
        assert "the setting federation_endpoints" in message


# --- CORS, logs ---------------------------------------------------------------------------------

def test_cors_on_queries_not_on_updates(client, auth):
    query = client.get("/sparql", query_string={"query": "ASK {}"},
                       headers={"Origin": "https://example.net"})
    assert query.headers["Access-Control-Allow-Origin"] == "*"
    posted = client.post("/sparql", data={"query": "ASK {}"},
                         headers={"Origin": "https://example.net"})
    assert posted.headers["Access-Control-Allow-Origin"] == "*"
    update = client.post("/sparql", data={"update": INSERT},
                         headers={"Origin": "https://example.net", **auth})
    assert update.status_code == 204
    assert "Access-Control-Allow-Origin" not in update.headers


def test_cors_preflight(client):
    response = client.options("/sparql", headers={
        "Origin": "https://example.net", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert response.status_code == 200
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]
    assert "Authorization" not in response.headers["Access-Control-Allow-Headers"]


def test_cors_limited_to_configured_origins(app_settings):
    client = create_app({**app_settings, "cors_origins": "https://ok.example"}).test_client()
    good = client.get("/sparql", query_string={"query": "ASK {}"},
                      headers={"Origin": "https://ok.example"})
    assert good.headers["Access-Control-Allow-Origin"] == "https://ok.example"
    bad = client.get("/sparql", query_string={"query": "ASK {}"},
                     headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in bad.headers


@pytest.mark.parametrize(("accept", "expected"), [
    (None, "text/turtle"),
    ("*/*", "text/turtle"),  # curl: the description, not the UI
    ("application/rdf+xml", "application/rdf+xml"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
])
def test_endpoint_without_query_is_description_or_ui(client, accept, expected):
    response = client.get("/sparql", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.mimetype == expected
    assert "Accept" in response.vary


def test_large_query_by_form_up_to_the_body_limit(app_settings):
    # werkzeug's own form limit (500 kB) must not undercut max_body_bytes
    client = create_app({**app_settings, "max_body_bytes": 2_000_000}).test_client()
    padding = "#" + "x" * 600_000 + "\n"
    response = client.post("/sparql", data={"query": padding + "ASK {}"})
    assert response.status_code == 200
    assert response.get_json()["boolean"] is True
    too_large = client.post("/sparql", data={"query": padding * 4 + "ASK {}"})
    assert too_large.status_code == 413


@pytest.mark.parametrize("raw", [b"query=ASK%7B%22%FF%22%7D", b"query=ASK{\"\xff\"}"])
def test_a_query_that_is_not_utf8_is_refused_not_replaced(client, raw: bytes):
    """Werkzeug decodes bad bytes to U+FFFD; the query would run with text never sent."""
    as_get = client.get("/sparql", environ_overrides={"QUERY_STRING": raw.decode("latin-1")},
                        headers={"Accept": "application/sparql-results+json"})
    assert as_get.status_code == 400 and "UTF-8" in as_get.get_json()["message"]
    as_form = client.post("/sparql", data=raw,
                          content_type="application/x-www-form-urlencoded",
                          headers={"Accept": "application/sparql-results+json"})
    assert as_form.status_code == 400 and "UTF-8" in as_form.get_json()["message"]


def test_a_utf8_query_in_any_script_is_read(client):
    response = client.get("/sparql", query_string={"query": 'ASK { FILTER("日本" != "한국") }'},
                          headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200 and response.get_json()["boolean"] is True
