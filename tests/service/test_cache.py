"""Answers computed once per store generation: ETags and 304s on the index, the service
description, the VoID and repeated queries; a write makes every earlier ETag stale; the
cache is bounded."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from alliancegraph.service import create_app
from alliancegraph.service.cache import AnswerCache, answer_cache
from werkzeug.http import http_date as _http_date

QUERY = "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?label }"
NEW_LABEL = '"Mongolia"@en'
WRITE = ("INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/mongolia> "
         f"<http://www.w3.org/2004/02/skos/core#prefLabel> {NEW_LABEL} }} }}")


def format_date_time(seconds: float) -> str:
    return _http_date(int(seconds))


class Counting:
    """A real store that counts the calls made to it (by method name)."""

    def __init__(self, store):
        self.store = store
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name):
        attribute = getattr(self.store, name)
        if not callable(attribute):
            return attribute

        def counted(*args, **kwargs):
            self.calls[name] += 1
            return attribute(*args, **kwargs)
        return counted


@pytest.fixture
def counting(fixture_store) -> Counting:
    return Counting(fixture_store)


@pytest.fixture
def cached_client(app_settings, counting):
    return create_app({**app_settings, "STORE": counting}).test_client()


#: (path, query string, headers) of each cached read
READS = {
    "index": ("/", {}, {"Accept": "application/json"}),
    "index page": ("/", {}, {"Accept": "text/html"}),
    "service description": ("/sparql", {}, {"Accept": "text/turtle"}),
    "void": ("/.well-known/void", {}, {"Accept": "application/n-triples"}),
    "query": ("/sparql", {"query": QUERY}, {"Accept": "application/sparql-results+json"}),
}


@pytest.mark.parametrize("name", READS)
def test_an_answer_has_an_etag_and_a_304_for_it(cached_client, name):
    path, params, headers = READS[name]
    first = cached_client.get(path, query_string=params, headers=headers)
    assert first.status_code == 200
    tag = first.headers["ETag"]
    assert tag.startswith('"') and not tag.startswith("W/")  # strong
    assert first.cache_control.no_cache
    assert "Accept" in first.vary
    again = cached_client.get(path, query_string=params, headers=headers)
    assert again.headers["ETag"] == tag and again.get_data() == first.get_data()
    unchanged = cached_client.get(path, query_string=params,
                                  headers={**headers, "If-None-Match": tag})
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    assert unchanged.headers["ETag"] == tag and "Accept" in unchanged.vary
    other = cached_client.get(path, query_string=params,
                              headers={**headers, "If-None-Match": '"something-else"'})
    assert other.status_code == 200


@pytest.mark.parametrize("name", READS)
def test_last_modified_is_the_commit_time_and_if_modified_since_gives_304(cached_client,
                                                                          counting, name):
    path, params, headers = READS[name]
    first = cached_client.get(path, query_string=params, headers=headers)
    committed = counting.store.committed_at()
    assert first.last_modified.timestamp() == int(committed)
    later = format_date_time(committed + 2)
    unchanged = cached_client.get(path, query_string=params,
                                  headers={**headers, "If-Modified-Since": later})
    assert unchanged.status_code == 304
    # the commit's own second is not enough: a second write in that second must show
    same_second = format_date_time(int(committed))
    assert cached_client.get(path, query_string=params, headers={
        **headers, "If-Modified-Since": same_second}).status_code == (
        304 if committed == int(committed) else 200)
    # If-None-Match decides when both are sent
    assert cached_client.get(path, query_string=params, headers={
        **headers, "If-Modified-Since": later, "If-None-Match": '"other"'}).status_code == 200


def test_a_write_moves_last_modified_on(cached_client, counting, auth):
    before = counting.store.committed_at()
    assert cached_client.post("/sparql", data={"update": WRITE}, headers=auth).status_code == 204
    assert counting.store.committed_at() > before
    since = format_date_time(before)
    answer = cached_client.get("/", headers={"Accept": "application/json",
                                             "If-Modified-Since": since})
    assert answer.status_code == 200


@pytest.mark.parametrize("name", READS)
def test_a_write_makes_the_old_etag_stale_and_the_answer_new(cached_client, auth, name):
    path, params, headers = READS[name]
    before = cached_client.get(path, query_string=params, headers=headers)
    written = cached_client.post("/sparql", data={"update": WRITE}, headers=auth)
    assert written.status_code == 204
    after = cached_client.get(path, query_string=params,
                              headers={**headers, "If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.get_data() != before.get_data()  # counts, a graph, a row: the write shows
    if name == "query":
        assert b"Mongolia" in after.get_data() and b"Mongolia" not in before.get_data()


def test_the_void_costs_its_queries_once_per_generation(cached_client, counting, auth):
    for accept in ("application/n-triples", "text/turtle", "application/n-triples"):
        assert cached_client.get("/.well-known/void", headers={"Accept": accept}).status_code \
            == 200
    once = counting.calls["select"]
    assert once > 0
    # a second syntax is the same triples serialised again: no new store call
    assert counting.calls["select"] == once
    cached_client.post("/sparql", data={"update": WRITE}, headers=auth)
    cached_client.get("/.well-known/void", headers={"Accept": "application/n-triples"})
    assert counting.calls["select"] == 2 * once


def test_a_repeated_query_runs_once_and_a_volatile_one_every_time(cached_client, counting):
    for _ in range(3):
        cached_client.get("/sparql", query_string={"query": QUERY})
        # the query UI posts its queries: answered from the same cache
        cached_client.post("/sparql", data={"query": QUERY})
    assert counting.calls["query"] == 1
    volatile = "SELECT (RAND() AS ?r) (NOW() AS ?t) WHERE {}"
    answers = [cached_client.get("/sparql", query_string={"query": volatile})
               for _ in range(2)]
    assert counting.calls["query"] == 3
    assert all("ETag" not in a.headers for a in answers)


def test_a_post_query_is_never_answered_304(cached_client):
    tag = cached_client.get("/sparql", query_string={"query": QUERY}).headers["ETag"]
    posted = cached_client.post("/sparql", data={"query": QUERY},
                                headers={"If-None-Match": tag})
    assert posted.status_code == 200 and posted.get_data()


def test_etags_differ_by_format_and_by_query(cached_client):
    def tag(**options):
        return cached_client.get("/sparql", **options).headers["ETag"]

    json_tag = tag(query_string={"query": QUERY}, headers={"Accept": "application/json"})
    csv_tag = tag(query_string={"query": QUERY}, headers={"Accept": "text/csv"})
    other = tag(query_string={"query": QUERY + " LIMIT 1"})
    assert len({json_tag, csv_tag, other}) == 3


def test_the_app_cache_is_bounded_by_entries(app_settings):
    app = create_app({**app_settings, "cache_max_entries": 4})
    client = app.test_client()
    for n in range(10):
        assert client.get("/sparql", query_string={"query": f"ASK {{}} LIMIT {n + 1}"}
                          ).status_code == 200
    assert len(answer_cache_of(app)) == 4


def answer_cache_of(app) -> AnswerCache:
    with app.app_context():
        return answer_cache()


# --- the cache itself -------------------------------------------------------------------

def test_the_cache_keeps_the_most_recently_used_entries():
    cache = AnswerCache(max_entries=2, max_bytes=10_000)
    cache.see_generation(1)
    for key in ("a", "b"):
        cache.get_or_compute(1, key, lambda key=key: key.encode())
    cache.get_or_compute(1, "a", lambda: b"recomputed")  # a hit: "a" is now the newest
    cache.get_or_compute(1, "c", lambda: b"c")
    assert cache.get_or_compute(1, "a", lambda: b"again") == b"a"
    assert cache.get_or_compute(1, "b", lambda: b"b computed again") == b"b computed again"
    assert len(cache) == 2


def test_the_cache_is_bounded_by_bytes_and_keeps_no_large_answer():
    cache = AnswerCache(max_entries=100, max_bytes=16_000)  # answers up to 1,000 bytes
    cache.see_generation(1)
    computed = Counter()

    def value(key: str, size: int) -> bytes:
        computed[key] += 1
        return b"x" * size

    for n in range(40):
        cache.get_or_compute(1, f"k{n}", lambda n=n: value(f"k{n}", 900))
    assert cache.bytes <= 16_000 and len(cache) < 40
    for _ in range(2):
        assert len(cache.get_or_compute(1, "big", lambda: value("big", 5_000))) == 5_000
    assert computed["big"] == 2  # too large to keep: computed each time


def test_a_new_generation_drops_the_old_answers_and_a_late_one_is_not_kept():
    cache = AnswerCache(max_entries=512, max_bytes=64 * 1024 * 1024)
    cache.see_generation(1)
    cache.get_or_compute(1, "index", lambda: b"at 1")
    cache.see_generation(2)
    assert len(cache) == 0
    # a request that read generation 1 before the write finishes after it
    assert cache.get_or_compute(1, "index", lambda: b"late") == b"late"
    assert len(cache) == 0
    assert cache.get_or_compute(2, "index", lambda: b"at 2") == b"at 2"
    assert cache.get_or_compute(2, "index", lambda: b"never") == b"at 2"


def test_concurrent_requests_for_one_answer_compute_it_once():
    cache = AnswerCache(max_entries=512, max_bytes=64 * 1024 * 1024)
    cache.see_generation(7)
    calls = Counter()
    release = threading.Event()

    def compute() -> bytes:
        calls["n"] += 1
        release.wait(10)
        return b"answer"

    results: list[bytes] = []
    threads = [threading.Thread(target=lambda: results.append(
        cache.get_or_compute(7, "void", compute))) for _ in range(8)]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(10)
    assert results == [b"answer"] * 8
    assert calls["n"] == 1


def test_a_failed_computation_is_not_kept_and_its_waiters_compute_again():
    cache = AnswerCache(max_entries=512, max_bytes=64 * 1024 * 1024)
    cache.see_generation(1)

    def fail() -> bytes:
        raise RuntimeError("the store is down")

    with pytest.raises(RuntimeError):
        cache.get_or_compute(1, "sd", fail)
    assert cache.get_or_compute(1, "sd", lambda: b"fine") == b"fine"


def test_a_store_built_again_gives_new_etags_at_the_same_generation(app_settings, make_store):
    """Generations start anew with a new store: the commit time keeps old ETags stale."""
    tags = []
    for _ in range(2):
        store = make_store(max_rows=1000, validate_on_write=False)
        store.update(WRITE)
        client = create_app({**app_settings, "STORE": store}).test_client()
        tags.append((store.generation(),
                     client.get("/", headers={"Accept": "application/json"}).headers["ETag"]))
        time.sleep(0.01)
    assert tags[0][0] == tags[1][0] and tags[0][1] != tags[1][1]


def test_a_request_reads_the_store_state_once(cached_client, counting):
    assert cached_client.get("/", headers={"Accept": "application/json"}).status_code == 200
    assert counting.calls["state"] == 1
    assert counting.calls["generation"] == counting.calls["committed_at"] == 0


@pytest.fixture
def two_instances(app_settings, writable_oxigraph):
    """Two service apps, each with its own remote backend on one Oxigraph server."""
    from alliancegraph.store.policy import PolicyStore
    from alliancegraph.store.remote import RemoteBackend

    backends = [RemoteBackend(writable_oxigraph.query_url, writable_oxigraph.update_url,
                              timeout=10.0) for _ in range(2)]
    clients = [create_app({**app_settings, "STORE": PolicyStore(
        backend, base_iri="http://example.org/", max_rows=1000, query_timeout=10.0,
        validate_on_write=False)}).test_client() for backend in backends]
    yield clients
    for backend in backends:
        backend.close()


@pytest.mark.parametrize("name", ["index", "query"])
def test_two_instances_on_one_remote_store_answer_with_one_etag(two_instances, auth, name):
    one, two = two_instances
    path, params, headers = READS[name]

    def get(client, **extra):
        return client.get(path, query_string=params, headers={**headers, **extra})

    assert one.post("/sparql", data={"update": WRITE}, headers=auth).status_code == 204
    first, second = get(one), get(two)
    assert first.status_code == second.status_code == 200
    assert first.headers["ETag"] == second.headers["ETag"]
    assert first.last_modified == second.last_modified is not None
    assert get(two, **{"If-None-Match": first.headers["ETag"]}).status_code == 304
    since = format_date_time(first.last_modified.timestamp() + 2)
    assert get(two, **{"If-Modified-Since": since}).status_code == 304
    time.sleep(0.01)
    other = WRITE.replace("Mongolia", "Mongolei")
    assert two.post("/sparql", data={"update": other}, headers=auth).status_code == 204
    # the instance that did not write knows: its old ETag is stale, the time moved on
    after = get(one, **{"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] == get(two).headers["ETag"]
    assert after.headers["ETag"] != first.headers["ETag"]
    assert get(one, **{"If-Modified-Since": format_date_time(first.last_modified.timestamp()
                                                             - 1)}).status_code == 200


def test_a_store_without_a_recorded_time_sends_no_last_modified(two_instances):
    one, two = two_instances  # an empty remote store: never written, so no commit time
    first = one.get("/", headers={"Accept": "application/json"})
    assert first.status_code == 200 and first.last_modified is None
    assert two.get("/", headers={"Accept": "application/json"}).headers["ETag"] == \
        first.headers["ETag"]
    assert two.get("/", headers={"Accept": "application/json", "If-Modified-Since":
                                 format_date_time(time.time() + 60)}).status_code == 200
