"""The remote write lock (store/remote_lock.py) under real concurrency, on a real writable
Oxigraph server (which does not detect write-write conflicts between updates): no lost
update, a stale claim broken, the lease enforced, writers served in the order they came
(across backends through the line in the store, within one through the thread lock), a
crashed waiter's ticket broken, and — the decisive case — two writes that are each valid
but jointly break a shape, sent at once through two backends: exactly one commits, the
other is refused with 422."""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pyoxigraph as ox
import pytest
from alliancegraph.errors import ValidationFailed, WriteTimeout
from alliancegraph.store import remote_lock
from alliancegraph.store.base import QuadDelta
from alliancegraph.store.policy import PolicyStore
from alliancegraph.store.remote import VERSION_GRAPH, RemoteBackend
from alliancegraph.store.remote_lock import (
    CLAIM_PREFIX,
    EXPIRES,
    HOLDER,
    QUEUED,
    TICKET_PREFIX,
    write_lock,
)
from rdflib import Graph

EX = "http://example.org/"
VALUE = ox.NamedNode(EX + "value")
COUNTERS = EX + "counters"  # a named graph (Virtuoso writes no unnamed default graph)
SHAPES = f"""
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <{EX}> .
ex:OneHolder a sh:NodeShape ;
    sh:targetSubjectsOf ex:holder ;
    sh:property [ sh:path ex:holder ; sh:maxCount 1 ] .
"""


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           external_tools: SimpleNamespace) -> Iterator[Callable[..., RemoteBackend]]:
    """One real server for the module (Oxigraph server, then Virtuoso): a factory of fresh
    backends on it, each a separate client (they race over HTTP)."""
    with contextlib.ExitStack() as running:
        if request.param == "oxigraph":
            oxigraph = external_tools.OxigraphServer(None, tmp_path_factory.mktemp("lock"),
                                                     writable=True)
            running.callback(oxigraph.stop)
            urls, kind, extra = (oxigraph.query_url, oxigraph.update_url), RemoteBackend, {}
        else:
            import virtuoso  # bench/virtuoso.py
            from alliancegraph.store.virtuoso import VirtuosoBackend

            if reason := virtuoso.unavailable():
                pytest.skip(reason)
            found = virtuoso.Virtuoso(tmp_path_factory.mktemp("lock-virtuoso"))
            running.callback(found.stop)
            urls, kind = (found.query_url, found.update_url), VirtuosoBackend
            extra = {"user": found.user, "password": found.password}

        def make(**attributes: float) -> RemoteBackend:
            """A new client on the server (``attributes`` set on it, e.g. write_lease)."""
            backend = kind(*urls, timeout=30.0, write_timeout=30.0, **extra)
            running.callback(backend.close)
            for name, value in attributes.items():
                setattr(backend, name, value)
            return backend

        make.extra = extra  # type: ignore[attr-defined]  # the credentials, for a child
        yield make


@pytest.fixture
def counter() -> ox.NamedNode:
    """A node of this test's own (the server is shared by the module)."""
    return ox.NamedNode(f"{EX}counter-{uuid.uuid4().hex}")


def counter_values(backend: RemoteBackend, counter: ox.NamedNode) -> list[int]:
    return sorted(int(q.object.value) for q in backend.quads(counter, VALUE, None, COUNTERS,
                                                             limit=100))


def read_counter(backend: RemoteBackend, counter: ox.NamedNode, *, strict: bool = True) -> int:
    """The counter; strict: it must have one value (with the lock, it always has)."""
    values = counter_values(backend, counter)
    assert not strict or len(values) <= 1, values
    return values[-1] if values else 0


def write_counter(backend: RemoteBackend, counter: ox.NamedNode, old: int, new: int) -> None:
    """Unconditional, on purpose: only the lock keeps two of these apart."""
    triple = f"<{counter.value}> <{VALUE.value}>"
    backend._update(f"DELETE DATA {{ GRAPH <{COUNTERS}> {{ {triple} {old} }} }} ; "
                    f"INSERT DATA {{ GRAPH <{COUNTERS}> {{ {triple} {new} }} }}")


def increment(backend: RemoteBackend, counter: ox.NamedNode, *, strict: bool) -> None:
    value = read_counter(backend, counter, strict=strict)
    time.sleep(0.005)  # a window for another writer to slip in
    write_counter(backend, counter, value, value + 1)


def increments_by(backend: RemoteBackend, counter: ox.NamedNode, each: int,
                  locked: bool) -> str:
    for _ in range(each):
        if locked:
            with write_lock(backend, VERSION_GRAPH).hold(60):
                increment(backend, counter, strict=True)
        else:
            increment(backend, counter, strict=False)
    return "done"


def increments(backends: list[RemoteBackend], counter: ox.NamedNode, each: int, *,
               locked: bool) -> None:
    """Each backend in two threads, each thread ``each`` read-modify-writes of the counter."""
    calls = [functools.partial(increments_by, b, counter, each, locked)
             for b in backends for _ in range(2)]
    assert at_once(*calls) == ["done"] * len(calls)


def test_the_lock_loses_no_update_of_writers_racing_over_http(server, counter):
    backends = [server() for _ in range(3)]
    increments(backends, counter, 8, locked=True)
    assert read_counter(backends[0], counter) == 3 * 2 * 8
    assert write_lock(backends[0], VERSION_GRAPH).claims() == []  # every claim released


def test_without_the_lock_the_same_writers_lose_updates(server, counter):
    """The control: the race above is real on this server."""
    backends = [server() for _ in range(3)]
    increments(backends, counter, 8, locked=False)
    values = counter_values(backends[0], counter)
    assert len(values) > 1 or values[-1] < 3 * 2 * 8, values


def insert_claim(backend: RemoteBackend, expires: float, holder: str) -> str:
    """A claim as another instance would have made it; its IRI."""
    iri = CLAIM_PREFIX + uuid.uuid4().hex
    backend._update(f'INSERT DATA {{ GRAPH <{VERSION_GRAPH}> {{ <{iri}> <{EXPIRES}> '
                    f'{int(expires * 1000)} ; <{HOLDER}> "{holder}" }} }}')
    return iri


def insert_ticket(backend: RemoteBackend, queued: float, expires: float, holder: str) -> str:
    """A ticket in the line as another instance would have put it; its IRI."""
    iri = TICKET_PREFIX + uuid.uuid4().hex
    backend._update(f'INSERT DATA {{ GRAPH <{VERSION_GRAPH}> {{ <{iri}> <{EXPIRES}> '
                    f'{int(expires * 1000)} ; <{QUEUED}> {int(queued * 1000)} ; '
                    f'<{HOLDER}> "{holder}" }} }}')
    return iri


def wait_until(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.01)


@pytest.mark.parametrize("through", ["one backend per writer", "one backend"])
def test_writers_get_the_lock_in_the_order_they_came(server, through):
    """A holds the lock; B starts waiting, then C. When A lets go and at once asks again, B
    goes first, then C, then A: each of 3 rounds (claim and check alone is a scramble: C won
    about half the time; a plain thread lock lets A take it straight back). Each waits out
    its patience before it joins the line."""
    backends = [server() for _ in range(3)] if through == "one backend per writer" else [
        server()] * 3
    locks = [write_lock(b, VERSION_GRAPH) for b in backends]
    order: list[str] = []
    for _ in range(3):
        order.clear()
        release = threading.Event()

        def take(lock, name: str, hold_until: threading.Event | None = None) -> None:
            with lock.hold(30):
                order.append(name)
                if hold_until is not None:
                    hold_until.wait(30)
            if hold_until is not None:  # back at once, behind the others
                with lock.hold(30):
                    order.append(name + " again")

        first = threading.Thread(target=take, args=(locks[0], "A", release))
        first.start()
        wait_until(lambda: order == ["A"])
        waiters = []
        for number, name in ((1, "B"), (2, "C")):
            waiter = threading.Thread(target=take, args=(locks[number], name))
            waiter.start()
            waiters.append(waiter)
            if through == "one backend per writer":
                wait_until(lambda n=number: len(locks[0].line()) == n)  # in line, in turn
            else:
                time.sleep(0.3)  # waiting on the thread lock (nothing in the store)
        release.set()
        for thread in (first, *waiters):
            thread.join(60)
        assert order == ["A", "B", "C", "A again"]
        assert locks[0].claims() == [] and locks[0].line() == []


def test_a_ticket_older_than_ours_is_served_first_even_with_the_lock_free(server):
    backend = server()
    lock = write_lock(backend, VERSION_GRAPH)
    elsewhere = f"instance B pid {dead_pid()} on another-boot/4026531836"
    ahead = insert_ticket(backend, time.time() - 5, time.time() + 60, elsewhere)
    try:
        with pytest.raises(WriteTimeout, match="instance B"), lock.hold(0.5):
            pass
        assert [t.iri for t in lock.line()] == [ahead]  # ours was taken away
    finally:
        lock._delete(*lock.line())
    with lock.hold(5) as held:  # B had its turn (its ticket gone): ours at once
        assert held.ticket is None and [c.iri for c in lock.claims()] == [held.claim.iri]


def test_a_crashed_waiters_ticket_is_broken(server):
    """A ticket of a process here that is gone is broken at once; one of another machine
    when its wait would have ended."""
    backend = server()
    lock = write_lock(backend, VERSION_GRAPH)
    insert_ticket(backend, time.time() - 5, time.time() + 60,
                  f"here pid {dead_pid()} on {remote_lock._machine()}")
    started = time.monotonic()
    with lock.hold(5):
        assert time.monotonic() - started < 3 and lock.line() == []
    expires = time.time() + 2
    insert_ticket(backend, time.time() - 5, expires, "elsewhere pid 7 on another-boot/1")
    with lock.hold(20) as held:
        assert time.time() >= expires and held.ticket is not None
    assert lock.line() == [] and lock.claims() == []


def test_a_claim_past_its_lease_is_broken(server):
    backend = server()
    insert_claim(backend, time.time() - 1, "a crashed instance")
    lock = write_lock(backend, VERSION_GRAPH)
    with lock.hold(5) as held:
        assert [c.iri for c in lock.claims()] == [held.claim.iri]
    assert lock.claims() == []


HOLD_AND_HANG = """
import sys, time
from alliancegraph.store.remote import VERSION_GRAPH
from alliancegraph.store.remote_lock import write_lock
backend = {kind}(*sys.argv[1:3], write_timeout=30.0, **{extra!r})
backend.write_lease = float(sys.argv[3])
with write_lock(backend, VERSION_GRAPH).hold(10):
    print("holding", flush=True)
    time.sleep(600)
"""


def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_writer_killed_while_holding_the_lock_here_is_broken_at_once(server):
    """A real crash: another process of this machine takes the lock (lease 60 s) and is
    killed with SIGKILL while holding it; the next writer sees that its holder is gone and
    takes the lock long before the lease ends (an instance killed mid-write once blocked
    every write for the whole lease)."""
    backend = server()
    kind = type(backend)
    code = f"from {kind.__module__} import {kind.__name__}\n" + HOLD_AND_HANG.format(
        kind=kind.__name__, extra=server.extra)
    child = subprocess.Popen([sys.executable, "-c", code, backend.query_url,
                              backend.update_url, "60"], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "holding"
        child.kill()
        child.wait()
        lock = write_lock(backend, VERSION_GRAPH)
        (crashed,) = lock.claims()
        assert f"pid {child.pid} on " in crashed.holder
        with lock.hold(5) as held:
            assert time.time() < crashed.expires  # well within its lease
            assert [c.iri for c in lock.claims()] == [held.claim.iri]
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()


def test_a_claim_of_another_machine_blocks_others_until_its_lease_ends(server):
    """Whether a process elsewhere still runs cannot be seen from here: its claim (even
    with a pid that is dead here) is broken only once its lease is over."""
    backend = server()
    expires = time.time() + 3
    insert_claim(backend, expires, f"elsewhere pid {dead_pid()} on another-boot/4026531836")
    lock = write_lock(backend, VERSION_GRAPH)
    with pytest.raises(WriteTimeout, match="elsewhere"), lock.hold(0.5):
        pass
    with lock.hold(20) as held:
        assert time.time() >= expires
        assert [c.iri for c in lock.claims()] == [held.claim.iri]


def test_holder_is_dead_only_for_a_process_of_this_machine_that_is_gone():
    here = remote_lock._machine()
    assert here != "unknown"
    assert remote_lock.holder_is_dead(f"h pid {dead_pid()} on {here}")
    assert not remote_lock.holder_is_dead(f"h pid {os.getpid()} on {here}")
    assert not remote_lock.holder_is_dead(f"h pid {dead_pid()} on other/1")
    assert not remote_lock.holder_is_dead(f"h pid {dead_pid()}")  # an older claim's form
    assert not remote_lock.holder_is_dead("a crashed instance")


def test_a_claim_shows_readers_no_host_name_or_boot_id(monkeypatch):
    """Claims sit in the store, where a union default graph query can read them."""
    holder = remote_lock._holder()
    boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    assert socket.gethostname() not in holder and boot not in holder
    assert holder == f"instance pid {os.getpid()} on {remote_lock._machine()}"
    monkeypatch.setattr(os, "getpid", dead_pid)  # the same claim, its process gone
    assert remote_lock.holder_is_dead(remote_lock._holder())


def test_a_live_claim_of_another_instance_makes_writes_wait_then_time_out(server, counter):
    backend = server()
    lock = write_lock(backend, VERSION_GRAPH)
    busy = insert_claim(backend, time.time() + 60, "instance B pid 7")
    try:
        started = time.monotonic()
        with pytest.raises(WriteTimeout, match="instance B pid 7"):
            backend.apply(QuadDelta(added=(ox.Quad(counter, VALUE, ox.Literal("1")),)),
                          timeout=1.0)
        assert 0.9 < time.monotonic() - started < 10
        assert backend.quads(counter, None, None, "*", limit=10) == []  # nothing written
        assert [c.iri for c in lock.claims()] == [busy]  # ours was taken back
    finally:
        lock._delete(next(c for c in lock.claims() if c.iri == busy))


def test_the_lock_is_reentrant_and_released_when_the_block_fails(server):
    lock = write_lock(server(), VERSION_GRAPH)
    with pytest.raises(RuntimeError, match="inside"), lock.hold(5) as outer:
        with lock.hold(5) as inner:
            assert inner is outer and len(lock.claims()) == 1
        assert lock.held is outer
        raise RuntimeError("inside")
    assert lock.held is None and lock.claims() == []


def slow_prepare(view, counter: ox.NamedNode, seconds: float):
    time.sleep(seconds)
    return QuadDelta(added=(ox.Quad(counter, VALUE, ox.Literal("late")),)), "payload"


def test_a_write_is_not_sent_once_the_lease_has_run_out(server, counter):
    backend = server(write_lease=1.0)
    with pytest.raises(WriteTimeout, match="lease ran out"):
        backend.apply_prepared(slow_prepare, counter, 0.8)
    assert backend.quads(counter, None, None, "*", limit=10) == []
    assert write_lock(backend, VERSION_GRAPH).claims() == []
    applied, payload = backend.apply_prepared(slow_prepare, counter, 0.0)  # in time
    assert payload == "payload" and applied.generation == backend.generation()
    assert len(backend.quads(counter, None, None, "*", limit=10)) == 1


def holder(slot: str, who: str) -> str:
    return f"<{slot}> <{EX}holder> \"{who}\" ."


def at_once(*calls: Callable[[], str]) -> list[str]:
    """Run the calls in threads released together; their results (the first error of
    any is raised here)."""
    start = threading.Barrier(len(calls))
    results: list[str] = []
    errors: list[BaseException] = []

    def run(call: Callable[[], str]) -> None:
        start.wait()
        try:
            results.append(call())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def insert_holder(store: PolicyStore, slot: str, who: str) -> str:
    try:
        store.update(f"INSERT DATA {{ {holder(slot, who)} }}")
    except ValidationFailed as exc:
        assert exc.status == 422
        return "refused"
    return "committed"


def test_jointly_invalid_writes_at_once_through_two_backends_one_commits(server, counter):
    """Each write alone conforms (one holder); both together would give the slot two. Sent
    at the same moment through two policy stores on two backends, 20 times."""
    shapes = Graph().parse(data=SHAPES, format="turtle")
    stores = [PolicyStore(server(), base_iri=EX, max_rows=1000, query_timeout=30.0,
                          shapes=shapes) for _ in range(2)]
    for round_ in range(20):
        slot = f"{counter.value}-slot{round_}"
        outcomes = at_once(functools.partial(insert_holder, stores[0], slot, "alice"),
                           functools.partial(insert_holder, stores[1], slot, "bob"))
        assert sorted(outcomes) == ["committed", "refused"], (slot, outcomes)
        held = stores[0].quads(ox.NamedNode(slot), None, None, "*")
        assert len(held) == 1, (slot, held)
