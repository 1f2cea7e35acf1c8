"""The remote-endpoint client against the Wikidata-shaped Oxigraph server, through the
scripted proxy (``flaky_endpoint``): terms, User-Agent, GET and POST, retries and back-off
(429 with Retry-After in seconds and as a date, 500, timeouts, dropped connections), no
retry of other 4xx, no redirect followed, the on-disk cache (hits, refresh, corrupt files,
atomic writes), and the small helpers."""

from __future__ import annotations

import email.utils
import json
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph.config import load_settings
from alliancegraph.errors import BadRequest, RemoteServiceError, RemoteServiceTimeout
from alliancegraph.links import client as client_module
from alliancegraph.links.client import (
    USER_AGENT,
    EndpointClient,
    batched,
    cache_dir_for,
    endpoint_for,
)

JAPAN = "http://www.wikidata.org/entity/Q17"
QUERY = (f"SELECT ?p ?v WHERE {{ <{JAPAN}> ?p ?v "
         f"FILTER(?p IN (<http://www.wikidata.org/prop/direct/P297>, "
         f"<http://www.w3.org/2000/01/rdf-schema#label>)) }}")


class Waits:
    """An injected ``sleep``: records what the client would have waited."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make(url: str, tmp_path: Path | None = None, **options: object) -> tuple[EndpointClient,
                                                                             Waits]:
    waits = Waits()
    options.setdefault("sleep", waits)
    client = EndpointClient(url, cache_dir=tmp_path / "cache" if tmp_path else None,
                            **options)  # type: ignore[arg-type]
    return client, waits


# ---------------------------------------------------------------------- answers


def test_answers_come_as_pyoxigraph_terms(flaky_endpoint):
    client, _ = make(flaky_endpoint.url)
    rows = client.select(QUERY)
    values = {row["v"] for row in rows}
    assert ox.Literal("JP") in values
    assert ox.Literal("日本", language="ja") in values
    assert all(isinstance(row["p"], ox.NamedNode) for row in rows)
    assert client.requests_sent == 1 and client.cache_hits == 0


def test_typed_literals_and_blank_nodes_keep_their_kind(flaky_endpoint):
    client, _ = make(flaky_endpoint.url)
    rows = client.select(f"SELECT ?s ?v WHERE {{ <{JAPAN}> "
                         f"<http://www.wikidata.org/prop/P1082> ?s . "
                         f"?s <http://www.wikidata.org/prop/statement/P1082> ?v }}")
    assert rows, "the fixture has Japan's population as a statement node"
    assert isinstance(rows[0]["s"], ox.BlankNode)
    assert rows[0]["v"].datatype == ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")


def test_the_user_agent_says_who_asks(flaky_endpoint):
    client, _ = make(flaky_endpoint.url)
    client.select(QUERY)
    (request,) = flaky_endpoint.requests
    assert request.user_agent == USER_AGENT
    assert USER_AGENT.startswith("AllianceGraph/") and "w3id.org/alliancegraph" in USER_AGENT
    assert "SPARQLWrapper/" in USER_AGENT
    assert "sparql-results+json" in request.headers["Accept"]


def test_a_short_query_goes_by_get_a_long_one_by_post(flaky_endpoint):
    client, _ = make(flaky_endpoint.url)
    client.select(QUERY)
    long_query = QUERY + "\n# " + "x" * 3000 + "\n"
    assert client.select(long_query) == client.select(QUERY)
    methods = [r.method for r in flaky_endpoint.requests]
    assert methods == ["GET", "POST", "GET"]
    assert flaky_endpoint.requests[1].query == long_query


# ---------------------------------------------------------------------- retries


def test_429_waits_as_long_as_retry_after_says(flaky_endpoint, step):
    flaky_endpoint.script(step.status(429, retry_after="7"), step.status(429, retry_after="3"))
    client, waits = make(flaky_endpoint.url)
    assert client.select(QUERY)
    assert waits.calls == [7.0, 3.0]
    assert client.requests_sent == 3 and len(flaky_endpoint.requests) == 3


def test_retry_after_as_an_http_date(flaky_endpoint, step):
    when = email.utils.formatdate(time.time() + 60, usegmt=True)
    flaky_endpoint.script(step.status(503, retry_after=when))
    client, waits = make(flaky_endpoint.url)
    client.select(QUERY)
    (wait,) = waits.calls
    assert 50 < wait <= 60  # the date is a minute ahead, to the second


def test_retry_after_is_capped(flaky_endpoint, step):
    flaky_endpoint.script(step.status(429, retry_after="86400"))
    client, waits = make(flaky_endpoint.url, max_wait=30)
    client.select(QUERY)
    assert waits.calls == [30]


def test_500_then_success_backs_off_exponentially(flaky_endpoint, step):
    flaky_endpoint.script(step.status(500), step.status(502), step.status(504))
    client, waits = make(flaky_endpoint.url, backoff=0.5)
    assert {row["v"] for row in client.select(QUERY)} >= {ox.Literal("JP")}
    assert waits.calls == [0.5, 1.0, 2.0]
    assert client.requests_sent == 4


def test_retries_run_out_with_the_endpoint_and_status(flaky_endpoint, step):
    flaky_endpoint.script(*[step.status(503)] * 3)
    client, waits = make(flaky_endpoint.url, retries=2)
    with pytest.raises(RemoteServiceError) as caught:
        client.select(QUERY)
    assert flaky_endpoint.url in caught.value.message and "503" in caught.value.message
    assert "3 attempts" in caught.value.message
    assert caught.value.status == 502 and caught.value.remote_status == 503
    assert len(waits.calls) == 2 and len(flaky_endpoint.requests) == 3


@pytest.mark.parametrize("code", [400, 403, 404])
def test_other_4xx_is_not_retried(flaky_endpoint, step, code):
    flaky_endpoint.script(step.status(code))
    client, waits = make(flaky_endpoint.url)
    with pytest.raises(RemoteServiceError) as caught:
        client.select(QUERY)
    assert str(code) in caught.value.message and caught.value.remote_status == code
    assert waits.calls == [] and len(flaky_endpoint.requests) == 1


def test_a_query_the_endpoint_refuses_is_not_retried(flaky_endpoint):
    client, waits = make(flaky_endpoint.url)
    with pytest.raises(RemoteServiceError, match="400"):
        client.select("SELECT * WHERE { ?s ?p }")
    assert waits.calls == [] and len(flaky_endpoint.requests) == 1


def test_a_timeout_is_retried_then_reported(flaky_endpoint, step):
    flaky_endpoint.script(step.delay(3), step.delay(3))
    client, waits = make(flaky_endpoint.url, timeout=0.3, retries=1)
    with pytest.raises(RemoteServiceTimeout) as caught:
        client.select(QUERY)
    assert flaky_endpoint.url in caught.value.message and caught.value.status == 504
    assert "2 attempts" in caught.value.message
    assert len(waits.calls) == 1 and client.requests_sent == 2


def test_a_timeout_then_a_prompt_answer_succeeds(flaky_endpoint, step):
    flaky_endpoint.script(step.delay(3))
    client, waits = make(flaky_endpoint.url, timeout=0.3, retries=1)
    # first attempt times out, the second is forwarded at once
    assert client.select(QUERY)
    assert len(waits.calls) == 1


def test_a_refused_connection_is_retried_then_reported(tmp_path):
    # a port nothing listens on: bind one, close it
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client, waits = make(f"http://127.0.0.1:{port}/query", retries=2)
    with pytest.raises(RemoteServiceError, match="could not be reached"):
        client.select(QUERY)
    assert len(waits.calls) == 2


def test_a_redirect_is_not_followed(flaky_endpoint, step, external_sparql):
    flaky_endpoint.script(step.redirect(external_sparql.dbpedia))
    client, waits = make(flaky_endpoint.url)
    with pytest.raises(RemoteServiceError) as caught:
        client.select(QUERY)
    assert "redirect" in caught.value.message and external_sparql.dbpedia in caught.value.message
    assert len(flaky_endpoint.requests) == 1 and waits.calls == []


def test_a_redirect_to_another_host_makes_no_connection_there(flaky_endpoint, step, canary):
    flaky_endpoint.script(step.redirect(canary.url + "sparql"))
    client, _ = make(flaky_endpoint.url)
    with pytest.raises(RemoteServiceError, match="redirect"):
        client.select(QUERY)
    time.sleep(0.3)  # the canary accepts in its own thread
    assert canary.connections == 0


def test_a_200_that_is_no_sparql_json_is_an_error(flaky_endpoint, step):
    flaky_endpoint.script(step.body(200, "text/html", "<html>maintenance</html>"))
    client, waits = make(flaky_endpoint.url)
    with pytest.raises(RemoteServiceError, match="not SPARQL JSON"):
        client.select(QUERY)
    assert waits.calls == []


def test_json_that_is_no_select_result_is_an_error(flaky_endpoint, step):
    flaky_endpoint.script(step.body(200, "application/sparql-results+json",
                                    '{"head": {}, "boolean": true}'))
    client, _ = make(flaky_endpoint.url)
    with pytest.raises(RemoteServiceError, match="no SELECT result"):
        client.select(QUERY)


# ---------------------------------------------------------------------- cache


def test_a_cached_answer_sends_no_request(flaky_endpoint, tmp_path):
    first, _ = make(flaky_endpoint.url, tmp_path)
    rows = first.select(QUERY)
    again, _ = make(flaky_endpoint.url, tmp_path)  # a new run, the same cache
    answer = again.fetch(QUERY)
    assert answer.rows == rows and answer.from_cache
    assert again.requests_sent == 0 and again.cache_hits == 1
    assert len(flaky_endpoint.requests) == 1
    assert answer.retrieved == first.fetch(QUERY).retrieved  # when it was first fetched


def test_the_cache_is_one_json_file_per_endpoint_and_query(flaky_endpoint, tmp_path):
    client, _ = make(flaky_endpoint.url, tmp_path)
    client.select(QUERY)
    client.select(QUERY + " LIMIT 1")
    files = sorted((tmp_path / "cache").iterdir())
    assert len(files) == 2 and all(f.suffix == ".json" for f in files)
    record = json.loads(client.cache_path(QUERY).read_text(encoding="utf-8"))
    assert record["endpoint"] == flaky_endpoint.url and record["query"] == QUERY
    other, _ = make(flaky_endpoint.url.replace("/query", "/other"), tmp_path)
    assert other.cache_path(QUERY) != client.cache_path(QUERY)


def test_refresh_bypasses_the_cache_and_rewrites_it(flaky_endpoint, tmp_path, step):
    client, _ = make(flaky_endpoint.url, tmp_path)
    client.select(QUERY)
    changed = json.dumps({"head": {"vars": ["p", "v"]}, "results": {"bindings": [
        {"p": {"type": "uri", "value": "http://www.wikidata.org/prop/direct/P297"},
         "v": {"type": "literal", "value": "XX"}}]}})
    flaky_endpoint.script(step.body(200, "application/sparql-results+json", changed))
    fresh, _ = make(flaky_endpoint.url, tmp_path, refresh=True)
    assert [row["v"] for row in fresh.select(QUERY)] == [ox.Literal("XX")]
    assert fresh.requests_sent == 1 and fresh.cache_hits == 0
    cached, _ = make(flaky_endpoint.url, tmp_path)
    assert [row["v"] for row in cached.select(QUERY)] == [ox.Literal("XX")]
    assert cached.requests_sent == 0


@pytest.mark.parametrize("damage", ["{not json", '{"format": 1}', "",
                                    '{"format": 1, "endpoint": "x", "query": "y", '
                                    '"retrieved": "2026-01-01T00:00:00+00:00", '
                                    '"results": {"results": {"bindings": []}}}'])
def test_a_corrupt_cache_file_is_ignored_and_rewritten(flaky_endpoint, tmp_path, damage,
                                                       caplog):
    client, _ = make(flaky_endpoint.url, tmp_path)
    rows = client.select(QUERY)
    path = client.cache_path(QUERY)
    path.write_text(damage, encoding="utf-8")
    again, _ = make(flaky_endpoint.url, tmp_path)
    assert again.select(QUERY) == rows
    assert again.requests_sent == 1 and again.cache_hits == 0
    assert "unreadable cache file" in caplog.text
    assert json.loads(path.read_text(encoding="utf-8"))["query"] == QUERY


def test_a_failed_request_writes_no_cache_file(flaky_endpoint, tmp_path, step):
    flaky_endpoint.script(step.status(404))
    client, _ = make(flaky_endpoint.url, tmp_path)
    with pytest.raises(RemoteServiceError):
        client.select(QUERY)
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())


def test_an_interrupted_cache_write_leaves_no_file(flaky_endpoint, tmp_path, monkeypatch):
    client, _ = make(flaky_endpoint.url, tmp_path)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(client_module.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        client.select(QUERY)
    assert list((tmp_path / "cache").iterdir()) == []  # no half file, no temporary file


def test_without_a_cache_dir_every_call_is_a_request(flaky_endpoint):
    client, _ = make(flaky_endpoint.url)
    client.select(QUERY)
    client.select(QUERY)
    assert client.requests_sent == 2 and client.cache_hits == 0


# ---------------------------------------------------------------------- helpers


def test_batched():
    assert list(batched([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
    assert list(batched([], 3)) == []
    with pytest.raises(ValueError):
        list(batched([1], 0))


def test_cache_dir_for(tmp_path):
    settings = load_settings(environ={}, overrides={"data_dir": str(tmp_path)})
    assert cache_dir_for(settings) == tmp_path / "link-cache"
    chosen = settings.replace(link_cache_dir=str(tmp_path / "elsewhere"))
    assert cache_dir_for(chosen) == tmp_path / "elsewhere"


def test_endpoint_for(tmp_path):
    settings = load_settings(environ={}, overrides={
        "data_dir": str(tmp_path), "wikidata_endpoint": "http://127.0.0.1:1/wd",
        "dbpedia_endpoint": "http://127.0.0.1:1/dbp"})
    assert endpoint_for("wikidata", settings) == "http://127.0.0.1:1/wd"
    assert endpoint_for("dbpedia", settings) == "http://127.0.0.1:1/dbp"
    assert endpoint_for("https://example.org/sparql", settings) == "https://example.org/sparql"
    for bad in ("geonames", "ftp://example.org/sparql", "example.org/sparql", "http://"):
        with pytest.raises(BadRequest, match="wikidata, dbpedia"):
            endpoint_for(bad, settings)


def test_bad_options_are_refused():
    with pytest.raises(ValueError):
        EndpointClient("http://127.0.0.1:1/q", cache_dir=None, timeout=0)
    with pytest.raises(ValueError):
        EndpointClient("http://127.0.0.1:1/q", cache_dir=None, retries=-1)
