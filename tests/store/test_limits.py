"""``alliancegraph.store.limits``: work in a child process that really stops at the time limit and
the memory cap, and whose crashes are told apart from everything else."""

from __future__ import annotations

import logging
import os
import time

import pyoxigraph as ox
import pytest
from alliancegraph.errors import (
    BadRequest,
    EngineFailure,
    InternalError,
    MemoryLimitExceeded,
    QueryTimeout,
)
from alliancegraph.store import limits


def _run(work, **options):
    settings = {"timeout": 20.0, "memory_mb": 512, "what": "query"} | options
    return limits.run_in_child(work, **settings)


def test_the_result_comes_back():
    assert _run(lambda: os.getpid()) != os.getpid()


def test_a_child_over_the_time_limit_is_stopped():
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"limit of 0.5 s \(setting query_timeout\)"):
        _run(lambda: time.sleep(30), timeout=0.5)
    assert time.monotonic() - started < 10


def test_python_over_the_memory_cap_is_a_clear_503():
    with pytest.raises(MemoryLimitExceeded, match=r"64 MiB \(setting max_memory_mb\)") as info:
        _run(lambda: bytearray(512 * 1024 * 1024), memory_mb=64)
    assert info.value.status == 503


def test_the_engine_over_the_memory_cap_is_a_clear_503():
    """A cross product with ORDER BY grows without bound; Rust aborts on the failed
    allocation, and the caller still gets the memory error, not a crash."""
    store = ox.Store()
    store.extend(ox.Quad(ox.NamedNode(f"http://a/{i}"), ox.NamedNode("http://a/p"),
                         ox.Literal(str(i)), ox.DefaultGraph()) for i in range(3000))
    query = "SELECT * WHERE { ?a ?p ?b . ?c ?q ?d } ORDER BY ?b ?d"
    with pytest.raises(MemoryLimitExceeded):
        _run(lambda: len(list(store.query(query))), memory_mb=256)


def test_an_engine_crash_is_an_engine_failure_not_store_unavailable(caplog, sort_panic_query):
    label = limits.fingerprint(sort_panic_query)
    with caplog.at_level(logging.ERROR, logger="alliancegraph.store.limits"), \
            pytest.raises(EngineFailure) as info:
        _run(lambda: list(ox.Store().query(sort_panic_query)), label=label)
    message = info.value.message
    assert info.value.status == 500
    assert "SIGABRT" in message and "ORDER BY" in message and label in message
    assert "smallsort.rs" not in message  # the engine's own words stay in the log
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert label in logged and "total order" in logged


def test_a_segfault_is_an_engine_failure():
    with pytest.raises(EngineFailure, match="SIGSEGV"):
        _run(lambda: os.kill(os.getpid(), 11))


def test_a_project_error_crosses_with_its_status():
    def refuse():
        raise BadRequest("no")

    with pytest.raises(BadRequest, match="no"):
        _run(refuse)


def test_a_bug_is_logged_with_its_traceback_and_answered_without_internals(caplog):
    def bug():
        return {}["missing-key"]

    with caplog.at_level(logging.ERROR, logger="alliancegraph.store.limits"), \
            pytest.raises(InternalError) as info:
        _run(bug, what="validation", label="abc123")
    assert "missing-key" not in info.value.message and "KeyError" not in info.value.message
    assert "abc123" in info.value.message
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Traceback" in logged and "KeyError: 'missing-key'" in logged


def test_what_a_child_writes_to_stderr_reaches_the_parent_log(caplog):
    def noisy():
        os.write(2, b"a warning in the child\n")
        return 1

    with caplog.at_level(logging.WARNING, logger="alliancegraph.store.limits"):
        assert _run(noisy) == 1
    assert any("a warning in the child" in r.getMessage() for r in caplog.records)
