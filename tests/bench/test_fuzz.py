"""The suite's sample of bench/fuzz.py: hypothesis draws the generators' random streams
(shrinking a failure to its smallest stream) and every case is sent to the application;
no 5xx, no answer over the limit, no traceback or internal path. The same over raw sockets
to the served service for the kinds whose bytes on the wire are the point (framing lies,
headers, parameters), with worker deaths watched and smuggled requests looked for. Plus
the generators, the judge and the socket driver themselves. The 10,000-case-per-kind
campaigns are ``bench/fuzz.py`` (in process) and ``bench/fuzz.py --backends ...``."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from collections.abc import Iterator

import fuzz
import pytest
import requests
import stress
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

#: the suite's hang: the campaign's 10 s, tripled for a loaded 2-core CI machine (the
#: slowest sample, a /validate with inference, takes 1.6 s on an idle one)
SUITE_HANG_SECONDS = 3 * fuzz.HANG_SECONDS


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    fuzz.SEEDS["queries"] = fuzz.seed_queries()
    return fuzz.make_client(tmp_path_factory.mktemp("fuzz"))


@pytest.mark.parametrize("kind", [k for k in fuzz.KINDS if k not in fuzz.WIRE_ONLY])
def test_no_generated_case_is_a_5xx_a_hang_or_a_leak(client, kind):
    # derandomize: the same draws each run, so the suite does not flake; the campaign
    # (bench/fuzz.py, 10,000 per kind) is where new inputs are found
    @settings(max_examples=25, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.randoms(use_true_random=False))
    def check(rng: random.Random) -> None:
        case = fuzz.KINDS[kind](rng)
        status, body, seconds = fuzz.send(client, case)
        faults = fuzz.judge(status, body, seconds, hang_seconds=SUITE_HANG_SECONDS)
        assert not faults, (faults, seconds, case, status, body[:500])

    check()


def test_the_generators_are_deterministic_and_mix_mutated_and_generated():
    fuzz.SEEDS["queries"] = fuzz.seed_queries()
    for kind, generate in fuzz.KINDS.items():
        first = [generate(random.Random(f"7:{kind}:{i}")) for i in range(40)]
        again = [generate(random.Random(f"7:{kind}:{i}")) for i in range(40)]
        assert first == again, kind
        assert {case.how for case in first} == {"mutated", "generated"}, kind
        distinct = {(c.method, c.path, c.body, str(c.args), str(c.headers)) for c in first}
        assert len(distinct) > 20, kind


def test_the_judge_sees_a_5xx_a_hang_and_a_leak():
    traceback = b'Traceback (most recent call last):\n  File "/x/app.py", line 3'
    assert fuzz.judge(500, b"", 0.1) == ["5xx"]
    assert fuzz.judge(200, b"", fuzz.HANG_SECONDS + 1) == ["hang"]
    assert fuzz.judge(400, traceback, 0.1) == ["leak"]
    assert fuzz.judge(400, str(fuzz.ROOT / "store" / "x.py").encode(), 0.1) == ["leak"]
    # an IRI path is not an internal one
    assert fuzz.judge(200, b"<https://w3id.org/alliancegraph/id/work/x>", 0.1) == []


def test_a_run_writes_its_table_and_replays_its_failures(tmp_path, monkeypatch):
    out = tmp_path / "fuzz"
    assert fuzz.main(["--cases", "20", "--kinds", "query", "update", "--out", str(out)]) == 0
    table = out.with_suffix(".md").read_text()
    counts = json.loads(out.with_suffix(".json").read_text())
    assert counts["query"]["mutated"] + counts["query"]["generated"] == 20
    assert "| query | " in table and "| update | " in table
    # a failure recorded by a run is sent again by --replay, and still judged
    monkeypatch.setattr(fuzz, "judge", lambda status, body, seconds, framed, **_: ["5xx"])
    failures = tmp_path / "failures.json"
    case = fuzz.gen_query(random.Random(1))
    failures.write_text(json.dumps([{"case": fuzz._jsonable(case)}]))
    assert fuzz.main(["--replay", str(failures)]) == 1


def test_the_socket_driver_frames_a_case_as_told():
    case = fuzz.Case("x", "generated", "POST", "/sparql", {"a": "\ud800", "b": "\udcff"},
                     {"Content-Type": "text/turtle"}, b"body")
    data = fuzz.request_bytes(case, "h:1")
    head, _, body = data.partition(b"\r\n\r\n")
    # a lone surrogate as its invalid UTF-8, a surrogate escape as the byte it stands for
    assert head.startswith(b"POST /sparql?a=%ED%A0%80&b=%FF HTTP/1.1\r\nHost: h:1\r\n")
    assert b"Content-Length: 4" in head and body == b"body"
    framed = fuzz.Case(**{**case.__dict__, "framed": True,
                          "headers": {"Transfer-Encoding": "chunked"}, "body": b"zz\r\n"})
    assert b"Content-Length" not in fuzz.request_bytes(framed, "h")
    assert fuzz.request_bytes(framed, "h").endswith(b"Transfer-Encoding: chunked\r\n\r\nzz\r\n")
    for bad in ({"X": "a\r\nInjected: 1"}, {"X": "\u65e5"}):
        assert fuzz.request_bytes(fuzz.Case(**{**case.__dict__, "headers": bad}), "h") is None


def test_the_judge_allows_a_refused_lie_to_close_and_an_unknown_coding_its_501():
    assert fuzz.judge(fuzz.CLOSED, b"", 0.1) == ["closed"]
    assert fuzz.judge(fuzz.CLOSED, b"", 0.1, framed=True) == []
    assert fuzz.judge(fuzz.NO_ANSWER, b"", 30.0, framed=True) == ["hang"]
    assert fuzz.judge(501, fuzz.UNKNOWN_CODING + b": 'x'", 0.1, framed=True) == []
    assert fuzz.judge(501, b"Not Implemented", 0.1, framed=True) == ["5xx"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[stress.Stack]:
    """The service on a seeded embedded store, with the campaign's token and limits."""
    with stress.running("embedded", tmp_path_factory.mktemp("fuzz-served"),
                        write_token=fuzz.TOKEN, query_timeout=5.0, max_rows=10_000) as stack:
        yield stack


@pytest.mark.parametrize("kind", ["framing", "headers", "params"])
def test_no_case_sent_over_a_socket_is_a_fault_or_kills_a_worker(served, kind):
    fuzz.SEEDS["queries"] = fuzz.seed_queries()
    sender, deaths = fuzz.socket_sender(served.port), fuzz.Deaths(served)
    assert len(deaths.workers) == 2  # the served defaults: two gunicorn workers

    @settings(max_examples=25, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.randoms(use_true_random=False))
    def check(rng: random.Random) -> None:
        case = fuzz.KINDS[kind](rng)
        status, body, seconds = sender(case)
        faults = fuzz.judge(status, body, seconds, case.framed,
                            hang_seconds=SUITE_HANG_SECONDS)
        assert not faults, (faults, seconds, case, status, body[:500])
        assert status != fuzz.UNSENDABLE or kind != "framing"
        assert deaths() == [], case

    check()
    assert not fuzz.smuggled(served.url)


def test_a_smuggled_write_would_be_seen(served):
    insert = "INSERT DATA { <urn:x:smuggled> <urn:x:p> 1 }"
    auth = {"Authorization": f"Bearer {fuzz.TOKEN}"}
    assert requests.post(served.url + "/sparql", data={"update": insert}, headers=auth,
                         timeout=30).status_code in (200, 204)
    try:
        assert fuzz.smuggled(served.url)
    finally:
        requests.post(served.url + "/sparql", headers=auth, timeout=30,
                      data={"update": insert.replace("INSERT", "DELETE")}).raise_for_status()
    assert not fuzz.smuggled(served.url)


def test_a_killed_worker_is_a_death_and_its_replacement_is_watched(served):
    deaths = fuzz.Deaths(served)
    victim = min(deaths.workers)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while fuzz._alive(victim) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert deaths() == [f"service worker {victim}"]
    assert victim not in deaths.workers and len(deaths.workers) == 2
    assert deaths() == []


def test_a_served_run_writes_a_row_per_backend_and_kind(tmp_path):
    out = tmp_path / "served"
    assert fuzz.main(["--cases", "6", "--kinds", "framing", "query", "--backends", "embedded",
                      "--out", str(out)]) == 0
    counts = json.loads(out.with_suffix(".json").read_text())
    assert set(counts) == {"embedded/framing", "embedded/query"}
    assert counts["embedded/framing"]["mutated"] + counts["embedded/framing"]["generated"] == 6
    assert "| embedded/framing | " in out.with_suffix(".md").read_text()


def test_framing_is_refused_in_process():
    with pytest.raises(SystemExit):
        fuzz.main(["--cases", "1", "--kinds", "framing"])
