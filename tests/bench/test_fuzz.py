"""The suite's sample of bench/fuzz.py: hypothesis draws the generators' random streams
(shrinking a failure to its smallest stream) and every case is sent to the application;
no 5xx, no answer over the limit, no traceback or internal path. Plus the generators and
the judge themselves. The 10,000-case-per-kind campaign is ``bench/fuzz.py``."""

from __future__ import annotations

import json
import random

import fuzz
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    fuzz.SEEDS["queries"] = fuzz.seed_queries()
    return fuzz.make_client(tmp_path_factory.mktemp("fuzz"))


@pytest.mark.parametrize("kind", list(fuzz.KINDS))
def test_no_generated_case_is_a_5xx_a_hang_or_a_leak(client, kind):
    # derandomize: the same draws each run, so the suite does not flake; the campaign
    # (bench/fuzz.py, 10,000 per kind) is where new inputs are found
    @settings(max_examples=25, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.randoms(use_true_random=False))
    def check(rng: random.Random) -> None:
        case = fuzz.KINDS[kind](rng)
        status, body, seconds = fuzz.send(client, case)
        assert not fuzz.judge(status, body, seconds), (case, status, body[:500])

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
    monkeypatch.setattr(fuzz, "judge", lambda status, body, seconds: ["5xx"])
    failures = tmp_path / "failures.json"
    case = fuzz.gen_query(random.Random(1))
    failures.write_text(json.dumps([{"case": fuzz._jsonable(case)}]))
    assert fuzz.main(["--replay", str(failures)]) == 1
