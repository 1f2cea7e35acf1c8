"""``alliancegraph.store.pool``: persistent workers that keep state, are stopped for real at
their time limit, are told apart when they die, and are replaced."""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import threading
import time
import types
from pathlib import Path

import pytest
from alliancegraph.errors import (
    BadRequest,
    EngineFailure,
    InternalError,
    MemoryLimitExceeded,
    QueryTimeout,
)
from alliancegraph.store.pool import Pool, Worker

# the workers import this module by name to find the functions below
ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


class Counter:
    """A worker's state: counts the calls it served."""

    def __init__(self, start: int, *, progress):
        self.calls = start
        self.progress = progress


def count(state: Counter) -> tuple[int, int]:
    state.calls += 1
    return os.getpid(), state.calls


def sleep(state: Counter, seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def progress_then_sleep(state: Counter, seconds: float) -> str:
    state.progress()
    time.sleep(seconds)
    return "finished"


def refuse(state: Counter) -> None:
    raise BadRequest("refused in the worker")


def bug(state: Counter) -> None:
    return {}["missing-key"]


def crash(state: Counter) -> None:
    ctypes.string_at(0)  # a real segfault, in this thread


def allocate(state: Counter, megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def noisy(state: Counter) -> int:
    os.write(2, b"a warning in the worker\n")
    return 1


def timeout_error(limit: float, waited: bool) -> QueryTimeout:
    return QueryTimeout(f"{'waited' if waited else 'ran'} over {limit:g} s")


def start(memory_mb: int | None = 256) -> Worker:
    return Worker(Counter, (0,), what="query", on_timeout=timeout_error, memory_mb=memory_mb)


@pytest.fixture
def pool():
    made = Pool(2, start, on_timeout=timeout_error)
    made.warm()
    yield made
    made.close()


def test_a_worker_keeps_its_state_between_calls():
    worker = start()
    try:
        assert [worker.call(count, (), timeout=10) for _ in range(3)] == [
            (worker.pid, 1), (worker.pid, 2), (worker.pid, 3)]
        assert worker.pid != os.getpid()
    finally:
        worker.stop()
    assert not worker.alive


def test_a_call_over_its_time_limit_kills_the_worker_and_the_next_is_served_by_another(pool):
    first, second = pool.call(count, (), timeout=10), pool.call(count, (), timeout=10)
    running = {first[0], second[0]}
    assert len(running) == 2
    with pytest.raises(QueryTimeout, match=r"ran over 0\.3 s"):
        pool.call(sleep, (30,), timeout=0.3)
    pids = set(pool.pids())
    assert len(pids) == 2 and len(pids & running) == 1  # one killed and replaced
    # the worker that was not killed is handed out first: no start-up on this call
    assert pool.call(count, (), timeout=10)[0] in running


def test_waiting_for_a_free_worker_counts_against_the_time_limit():
    single = Pool(1, start, on_timeout=timeout_error)
    try:
        busy = threading.Thread(target=single.call, args=(sleep, (2,)),
                                kwargs={"timeout": 10})
        single.call(count, (), timeout=10)  # started: the thread gets a warm worker
        busy.start()
        time.sleep(0.2)
        with pytest.raises(QueryTimeout, match=r"waited over 0\.2 s"):
            single.call(count, (), timeout=0.2)
        busy.join()
        assert single.call(count, (), timeout=10)[1] == 2  # the same worker, not killed
    finally:
        single.close()


def test_a_waiting_caller_is_served_before_one_that_calls_back_to_back():
    single = Pool(1, start, on_timeout=timeout_error)
    done: list[str] = []

    def back_to_back() -> None:
        for _ in range(8):
            single.call(sleep, (0.1,), timeout=30)
            done.append("busy")

    try:
        single.warm()
        busy = threading.Thread(target=back_to_back)
        busy.start()
        while not done:  # the busy caller is on its second call
            time.sleep(0.01)
        single.call(count, (), timeout=30)
        done.append("waiting")
        busy.join()
    finally:
        single.close()
    # served when the call in progress ended, not after every call the busy one made
    assert done.index("waiting") <= 2, done


def test_after_progress_the_time_limit_no_longer_applies(pool):
    assert pool.call(progress_then_sleep, (1.0,), timeout=0.3) == "finished"


def test_project_errors_cross_and_the_worker_stays(pool):
    pid = pool.call(count, (), timeout=10)[0]
    with pytest.raises(BadRequest, match="refused in the worker"):
        pool.call(refuse, (), timeout=10)
    assert pid in pool.pids() and len(pool.pids()) == 2


def test_a_bug_is_logged_with_its_traceback_and_answered_without_internals(pool, caplog):
    with caplog.at_level(logging.ERROR, logger="alliancegraph.store.limits"), \
            pytest.raises(InternalError) as info:
        pool.call(bug, (), timeout=10, label="abc123")
    assert "missing-key" not in info.value.message and "abc123" in info.value.message
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Traceback" in logged and "KeyError: 'missing-key'" in logged


def test_a_call_the_worker_cannot_unpickle_is_a_bug_and_the_worker_stays(pool, caplog):
    # a function of a module that exists only in this process pickles here by reference
    # and cannot be imported in the worker
    only_here = types.ModuleType("alliancegraph_only_in_the_caller")
    exec("def read(state):\n    return 1\n", only_here.__dict__)
    sys.modules[only_here.__name__] = only_here
    try:
        pids = set(pool.pids())
        with caplog.at_level(logging.ERROR, logger="alliancegraph.store.limits"), \
                pytest.raises(InternalError) as info:
            pool.call(only_here.read, (), timeout=10)
    finally:
        del sys.modules[only_here.__name__]
    assert "alliancegraph_only_in_the_caller" not in info.value.message
    assert "ModuleNotFoundError" in "\n".join(r.getMessage() for r in caplog.records)
    assert set(pool.pids()) == pids and pool.call(count, (), timeout=10)[1] >= 1


def test_a_worker_that_crashes_is_an_engine_failure_and_is_replaced(pool):
    pids = {pool.call(count, (), timeout=10)[0], pool.call(count, (), timeout=10)[0]}
    with pytest.raises(EngineFailure, match="SIGSEGV"):
        pool.call(crash, (), timeout=10)
    assert len(set(pool.pids()) & pids) == 1 and len(pool.pids()) == 2
    assert pool.call(count, (), timeout=10)[1] >= 1


def test_memory_over_the_cap_is_a_clear_503_and_the_worker_is_replaced(pool):
    pid = pool.call(count, (), timeout=10)[0]
    while pool.call(count, (), timeout=10)[0] == pid:
        pass  # the next call goes to the other worker: the first one is next in line
    with pytest.raises(MemoryLimitExceeded, match=r"256 MiB \(setting max_memory_mb\)"):
        pool.call(allocate, (1024,), timeout=10)
    assert pid not in pool.pids()  # it may be in a poor state: retired
    assert pool.call(allocate, (64,), timeout=10) == 64 * 1024 * 1024


def test_an_uncapped_call_may_use_more(pool):
    assert pool.call(allocate, (300,), timeout=20, capped=False) == 300 * 1024 * 1024


def test_what_a_worker_writes_to_stderr_reaches_the_log(pool, caplog):
    with caplog.at_level(logging.WARNING, logger="alliancegraph.store.limits"):
        assert pool.call(noisy, (), timeout=10) == 1
    assert any("a warning in the worker" in r.getMessage() for r in caplog.records)


class Broken:
    """A worker state that cannot be set up."""

    def __init__(self, *, progress):
        raise BadRequest("cannot start")


def test_a_worker_that_cannot_start_raises_and_the_slot_is_tried_again():
    calls = []

    def flaky() -> Worker:
        calls.append(1)
        if len(calls) == 1:
            return Worker(Broken, (), what="query", on_timeout=timeout_error, memory_mb=None)
        return start()

    single = Pool(1, flaky, on_timeout=timeout_error)
    try:
        with pytest.raises(BadRequest, match="cannot start"):
            single.call(count, (), timeout=10)
        assert single.call(count, (), timeout=10)[1] == 1
        assert len(calls) == 2
    finally:
        single.close()


def test_close_ends_every_worker(pool):
    pool.call(count, (), timeout=10)
    pool.call(count, (), timeout=10)
    pids = pool.pids()
    pool.close()
    assert all(not _alive(pid) for pid in pids)


def _alive(pid: int, wait: float = 10.0) -> bool:
    """Whether ``pid`` still runs after up to ``wait`` seconds (a zombie counts as gone)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split(")")[-1].split()[0] == "Z":
                    return False
        except FileNotFoundError:
            return False
        time.sleep(0.05)
    return True
