"""Smoke of bench/stress.py at tiny sizes on the embedded backend, asserting what each run
is for: no acknowledged write lost and none partial after a kill -9, the invariant kept by
concurrent writers, every request of a short load answered, health and queries answered
while slow clients hold connections. The long runs (20 trials per backend, 60 s, wrk at
c 64, 200 connections) are the stress target's own (bench/results/stress-*.md)."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import stress


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[stress.Stack]:
    """The service on a seeded embedded store (one for the module: each start costs)."""
    with stress.running("embedded", tmp_path_factory.mktemp("stress")) as running:
        yield running


def test_a_mixed_view_of_the_accounts_is_a_violation():
    whole = {"a": str(stress.OPENING - 3), "b": str(stress.OPENING + 3), "n": "3"}
    assert stress.state_violation([whole]) is None
    # the balances of the new state with the count of the old one: a mix
    assert stress.state_violation([{**whole, "n": "2"}]) is not None
    assert stress.state_violation([{**whole, "b": str(stress.OPENING + 4)}]) is not None
    assert stress.state_violation([whole, whole]) == "2 rows"
    assert stress.state_violation([]) == "0 rows"


def test_kill_9_loses_no_acknowledged_write_and_leaves_no_partial_group(stack):
    old = stack.service.pid
    trial = stress.crash_trial(stack, 0, random.Random(7), writers=3, kill_after=(0.3, 0.8))
    # gunicorn's master, its 2 workers and their store processes, all gone at once
    assert trial["processes_killed"] >= 3
    assert stress.session_members(old) == set()
    assert trial["acked"] > trial["acked_before_kill"] > 0  # the probe after the restart too
    assert trial["lost"] == []
    assert trial["partial"] == []
    stored = stress.stored_groups(stack.url)
    assert all(stored[w] == stress.GROUP for w in stored)


def test_concurrent_moves_keep_the_invariant_and_lose_nothing(stack):
    result = stress.concurrency_run(stack, clients=4, duration=3)
    assert result["errors"] == 0, result["error_samples"]
    assert result["violations"] == 0, result["violation_samples"]
    assert result["final_state_violation"] is None
    assert result["reads"] > 0 and result["moves_acked"] > 0 and result["marks_acked"] > 0
    assert result["final_moves"] == result["moves_acked"]
    assert result["lost_marks"] == 0
    assert result["reads_backwards"] == 0


def test_a_short_load_is_answered_without_errors(stack, tmp_path: Path):
    if shutil.which("wrk") is None and not Path("/usr/bin/wrk").exists():
        pytest.skip("wrk is not installed (Debian package wrk)")
    run = stress.wrk(stack.url, stress.LOAD_MIX, concurrency=1, duration=1, work=tmp_path)
    assert run["requests"] > len(stress.LOAD_MIX)
    assert run["statuses"] == {"200": run["requests"]}
    assert run["socket_errors"] == 0 and run["error_rate"] == 0


def test_health_and_queries_answer_while_slow_clients_hold_connections(stack):
    result = stress.slow_run(stack, connections=12, duration=3, baseline=0.5)
    assert result["by_kind"] == {kind: 4 for kind in stress.KINDS}
    for probe, seen in result["under_attack"].items():
        assert seen["attempted"] >= 5, probe
        assert seen["answered"] == seen["attempted"], (probe, seen["failures"])
    # silent for less than client_timeout, sending for less than request_read_timeout:
    # the slowloris and slow-body connections were all still open at the end
    assert result["open_at_end"] >= 8


def test_the_tables_have_a_row_per_backend(tmp_path: Path):
    run = {"concurrency": 1, "requests": 10, "per_second": 5.0, "p50_ms": 1.0, "p99_ms": 2.0,
           "non_2xx": 1, "socket_errors": 0, "error_rate": 0.1, "statuses": {"200": 9}}
    path = stress.write_results("load", {"embedded": {"runs": [run]},
                                         "virtuoso": {"skipped": "not here"}},
                                ["a note"], "python bench/stress.py load", tmp_path,
                                "2026-01-01 00:00", "a machine")
    text = path.read_text()
    assert "| embedded | 1 | 10 | 5.0 | 1.00 | 2.00 | 1 | 0 | 10.00% |" in text
    assert "- virtuoso: not run: not here" in text
    assert (tmp_path / "stress-load.json").exists()
