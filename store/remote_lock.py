"""The remote backend's write lock, kept in the remote store itself: :class:`WriteLock`.

Several service instances (and several worker processes of one instance) write to one
SPARQL server. The version guard of each write (:mod:`alliancegraph.store.remote`) is not a
compare-and-set on every server: Oxigraph server evaluates an update's WHERE on a snapshot
and does not detect write-write conflicts, so two updates conditional on the same version
can both commit. The lock needs less than that from the server: that a single update, once
answered, is seen by every query that starts afterwards (each committed update is
linearizable). Oxigraph server and Virtuoso do (tests/store/test_remote_lock.py); a read
replica that lags its primary does not (store/README.md, "Isolation").

Claim and check. A writer (that has seen no live claim of another: else it waits first)

1. INSERTs a claim — a fresh IRI with its expiry time and holder — into the reserved graph
   (``INSERT DATA``: no WHERE, nothing read);
2. reads every claim back (a query that starts after its insert was answered);
3. holds the lock iff its claim is the only live one; otherwise it deletes its claim, waits
   a random, growing time and starts again.

Safety: of two writers whose claims overlap in time, the one whose insert committed later
runs its read after the other's insert committed, so it sees the other's claim (still
there: a claim is deleted only by its owner after step 3, or once expired) and backs off.
Two writers can both back off (then random waits part them), never both hold. A holder's
writes are answered before it deletes its claim, and the next holder's check saw that claim
gone: every read the next holder makes comes after every write of the one before.

Leases. A claim expires ``lease`` seconds after it was made (setting ``remote_write_lease``;
0: twice ``write_timeout``), so a writer that crashed while holding the lock blocks the
others only until then: they delete an expired claim and go on. Expiry is read on each
writer's own clock: instances must keep their clocks in step (NTP), to much less than the
lease. A holder sends its update only while its lease runs, with a client timeout that
ends with the lease (:meth:`Held.budget`); a write that would start later is refused
(WriteTimeout, nothing written). The guarded update keeps its version condition too: a
second check, against a writer that moved the version without the lock.
A claim also names its holder's machine and pid namespace (as a digest: readers of the
store see no host name), so a writer on the same machine breaks at once the claim of a
process there that is gone (an instance killed with SIGKILL) instead of waiting out the
lease.

Fairness. Claim and check alone is a scramble: whoever happens to look first after a
release wins, and a writer whose random waits have grown long loses to fresh ones, so under
steady contention one writer could lose every round until its ``write_timeout`` ended (16
clients on two instances: 1-7 WriteTimeouts a minute, write p99 8 s). So a writer that has
tried for ``PATIENCE`` seconds joins a *line* kept in the reserved graph: a ticket with the
time it joined (on its clock), an expiry at the end of its own wait, and its holder. While
any live ticket is older than a writer's own (or it has none), that writer does not try;
the first in line looks again every few milliseconds. A writer takes its ticket away when
it gives up, and with its claim when it releases. So no writer waits more than its
patience plus the turns of those ahead of it, and uncontended or briefly contended writes
pay nothing for the line (an update per ticket and slower hand-overs halved throughput
when every waiter queued at once). The line orders who *tries*; claim and check still
decides who *holds*, so a ticket not yet visible to a rival (or clocks out of step) can
cost a retry, never safety. A crashed waiter's ticket is broken like a crashed holder's
claim: at once on its machine, else when its wait would have ended.

Within one process the lock is also a thread lock, first come first served: the threads
of one backend never race one another over HTTP. It is re-entrant: ``apply_prepared``
calls ``apply`` while holding it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import queue
import random
import socket
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from alliancegraph.errors import WriteTimeout
from alliancegraph.store.pool import FairSlots

log = logging.getLogger(__name__)

#: the lock's terms (in the backend's reserved graph, hidden from user reads)
CLAIM_PREFIX = "urn:alliancegraph:write-lock:"
TICKET_PREFIX = "urn:alliancegraph:write-queue:"
EXPIRES = "urn:alliancegraph:lock-expires"
HOLDER = "urn:alliancegraph:lock-holder"
QUEUED = "urn:alliancegraph:lock-queued"
#: before joining the line: the first and the longest wait between two tries (seconds;
#: each wait is random up to the bound, so rivals that collided part)
FIRST_WAIT, LONGEST_WAIT = 0.02, 0.5
#: how long a writer tries on its own before it joins the line (seconds): the line costs
#: an update and slower hand-overs, so it is for those that lost for a while
PATIENCE = 1.0
#: in the line: the longest wait between two looks, for the first in line and the others
FIRST_IN_LINE_WAIT, IN_LINE_WAIT = 0.01, 0.15
#: a holder does not start an update with less lease than this left (seconds)
MIN_BUDGET = 0.5


class LockStore(Protocol):
    """What the lock needs of a remote backend."""

    write_timeout: float

    def _update(self, sparql: str, timeout: float | None = None) -> None: ...

    def _solutions(self, sparql: str, **options: object) -> object: ...


@dataclass(frozen=True)
class Claim:
    """A claim of the lock, or a ticket in the line for it (``queued`` set)."""

    iri: str
    expires: float  # seconds since the epoch, on the claimant's clock
    holder: str
    queued: float | None = None  # a ticket's place in the line (seconds since the epoch)

    @property
    def place(self) -> tuple[float, str]:
        return (self.queued or 0.0, self.iri)


@dataclass(frozen=True)
class Held:
    """The lock as held by this thread: its claim (and the ticket it waited with)."""

    claim: Claim
    ticket: Claim | None = None

    def budget(self, wanted: float) -> float:
        """A client timeout for the next request: ``wanted``, cut to the lease left.
        WriteTimeout when too little is left to start it (nothing is sent)."""
        left = self.claim.expires - time.time()
        if left < MIN_BUDGET:
            raise WriteTimeout(f"the write lock's lease ran out ({left:.1f} s left) before "
                               "the write could be sent; nothing was written")
        return min(wanted, left)


class WriteLock:
    """The store-wide write lock of one backend (see the module)."""

    def __init__(self, store: LockStore, graph: str, lease: float) -> None:
        self.store, self.graph = store, graph
        self.lease = lease if lease > 0 else 2 * store.write_timeout
        self._threads = FairSlots()
        self._threads.put(None)
        self._local = threading.local()

    @property
    def held(self) -> Held | None:
        """This thread's hold on the lock, if it has one."""
        return getattr(self._local, "held", None)

    @contextlib.contextmanager
    def hold(self, timeout: float) -> Iterator[Held]:
        """Hold the lock (waiting up to ``timeout`` seconds, else WriteTimeout); re-entrant
        in one thread. Released when the block ends, whatever happens in it."""
        held = self.held
        if held is not None:  # this thread holds it already (apply inside apply_prepared)
            yield held
            return
        deadline = time.monotonic() + timeout
        try:
            self._threads.get(max(timeout, 0.0))
        except queue.Empty:
            raise self._timed_out(timeout) from None
        try:
            held = self._local.held = self._acquire(deadline, timeout)
            try:
                yield held
            finally:
                self._local.held = None
                self._release(held.claim, held.ticket)
        finally:
            self._threads.put(None)

    # ------------------------------------------------------------------ claim and check

    def _acquire(self, deadline: float, timeout: float) -> Held:
        ticket, started, wait = None, time.monotonic(), FIRST_WAIT
        try:
            while True:
                claims, tickets = self._live(exclude=ticket)
                ahead = [t for t in tickets if ticket is None or t.place < ticket.place]
                if not claims and not ahead:
                    claim = self._claim_and_check()
                    if claim is not None:
                        return Held(claim, ticket)
                if ticket is None and time.monotonic() - started >= PATIENCE:
                    ticket = self._enqueue(deadline)  # waited long enough: join the line
                    continue
                left = deadline - time.monotonic()
                if left <= 0:
                    holders = ", ".join(sorted({c.holder for c in claims + ahead}))
                    raise self._timed_out(timeout, holders)
                if ticket is None:
                    bound, wait = wait, min(wait * 2, LONGEST_WAIT)
                else:
                    bound = IN_LINE_WAIT if ahead else FIRST_IN_LINE_WAIT
                time.sleep(min(random.uniform(0, bound), left))
        except BaseException:
            if ticket is not None:
                self._release(ticket)
            raise

    def _claim_and_check(self) -> Claim | None:
        """Our claim if it is the only live one; else None (our claim deleted again)."""
        claim = self._claim()
        try:
            others, _ = self._live(exclude=claim)
        except BaseException:
            self._release(claim)
            raise
        if not others:
            return claim
        self._delete(claim)
        return None

    def _enqueue(self, deadline: float) -> Claim:
        """Our ticket: in line from now until our wait ends (then it is broken, if we
        crashed and could not take it away ourselves)."""
        # in whole milliseconds, as stored: every writer must order the line alike (a
        # finer own place than the rivals read would put each behind the other)
        now = int(time.time() * 1000) / 1000
        return self._insert(Claim(TICKET_PREFIX + uuid.uuid4().hex,
                                  now + max(deadline - time.monotonic(), 0.0) + 1.0,
                                  _holder(), now))

    def _claim(self) -> Claim:
        return self._insert(Claim(CLAIM_PREFIX + uuid.uuid4().hex, time.time() + self.lease,
                                  _holder()))

    def _insert(self, entry: Claim) -> Claim:
        """Write a claim or a ticket (``INSERT DATA``: no WHERE, nothing read)."""
        queued = "" if entry.queued is None else f"<{QUEUED}> {int(entry.queued * 1000)} ; "
        self.store._update(
            f"INSERT DATA {{ GRAPH <{self.graph}> {{ <{entry.iri}> <{EXPIRES}> "
            f"{int(entry.expires * 1000)} ; {queued}<{HOLDER}> {_string(entry.holder)} }} }}",
            self._request_timeout())
        return entry

    def claims(self) -> list[Claim]:
        """Every claim of the lock in the store, live or expired."""
        return [c for c in self._entries() if c.iri.startswith(CLAIM_PREFIX)]

    def line(self) -> list[Claim]:
        """Every ticket in the line, live or expired, first in line first."""
        return sorted((c for c in self._entries() if c.iri.startswith(TICKET_PREFIX)),
                      key=lambda c: c.place)

    def _entries(self) -> list[Claim]:
        rows = self.store._solutions(
            f"SELECT ?c ?e ?h ?q WHERE {{ GRAPH <{self.graph}> {{ ?c <{EXPIRES}> ?e "
            f"OPTIONAL {{ ?c <{HOLDER}> ?h }} OPTIONAL {{ ?c <{QUEUED}> ?q }} }} }}",
            timeout=self._request_timeout())
        return [Claim(r["c"].value, int(r["e"].value) / 1000,
                      r["h"].value if r["h"] is not None else "?",
                      int(r["q"].value) / 1000 if r["q"] is not None else None)
                for r in rows]

    def _live(self, exclude: Claim | None) -> tuple[list[Claim], list[Claim]]:
        """The live claims and tickets other than ``exclude``, in one read; expired ones,
        and those of a process here that is gone, are deleted on the way."""
        now, claims, tickets = time.time(), [], []
        for entry in self._entries():
            if exclude is not None and entry.iri == exclude.iri:
                continue
            what = "ticket" if entry.iri.startswith(TICKET_PREFIX) else "write lock"
            if entry.expires <= now:
                log.warning("breaking the expired %s of %s (expired %.1f s ago)", what,
                            entry.holder, now - entry.expires)
                self._delete(entry)
            elif holder_is_dead(entry.holder):
                log.warning("breaking the %s of %s: that process is gone", what,
                            entry.holder)
                self._delete(entry)
            else:
                (tickets if what == "ticket" else claims).append(entry)
        return claims, tickets

    def _release(self, *entries: Claim | None) -> None:
        """Delete our claim and ticket, in one update; a failure is logged, not raised:
        what ran under the lock is done (a committed write stays committed) and both
        expire."""
        mine = [e for e in entries if e is not None]
        try:
            self._delete(*mine)
        except Exception:
            log.exception("could not release the remote write lock (%s); other writers "
                          "wait until it expires (%.0f s from now)",
                          ", ".join(e.iri for e in mine), mine[0].expires - time.time())

    def _delete(self, *entries: Claim) -> None:
        # by pattern (a server may give the number back in another lexical form), in the
        # long form: not every server takes the DELETE WHERE shorthand with GRAPH
        patterns = [f"GRAPH <{self.graph}> {{ <{e.iri}> ?p ?o }}" for e in entries]
        self.store._update(" ;\n".join(f"DELETE {{ {p} }} WHERE {{ {p} }}" for p in patterns),
                           self._request_timeout())

    def _request_timeout(self) -> float:
        return min(self.store.write_timeout, max(self.lease / 4, 5.0))

    def _timed_out(self, timeout: float, holders: str = "") -> WriteTimeout:
        by = f" (held by {holders})" if holders else ""
        return WriteTimeout(f"the remote store's write lock was not free within {timeout:g} s"
                            f"{by}; nothing was written")


def _holder() -> str:
    return f"instance pid {os.getpid()} on {_machine()}"


@functools.cache
def _machine() -> str:
    """This process's machine and pid namespace, as a digest of its host name, boot id and
    the namespace's inode: a pid names one process only within them (containers may share
    a host name). A digest, because claims sit in the store, where a query over the union
    default graph with a variable predicate can read them: no host name or boot id is
    shown to readers."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return "unknown"
    seen = f"{socket.gethostname()}/{boot}/{namespace}".encode()
    return "machine-" + hashlib.sha256(seen).hexdigest()[:16]


def holder_is_dead(holder: str) -> bool:
    """Whether a claim's holder is a process of this machine and pid namespace that no
    longer runs: its lock need not wait out the lease (an instance killed while writing).
    A pid reused since is taken for alive: then the lease decides, as for other hosts."""
    head, _, machine = holder.rpartition(" on ")
    pid_text = head.rpartition(" pid ")[2]
    if not pid_text.isdigit() or machine in ("", "unknown") or machine != _machine():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_LOCKS: weakref.WeakKeyDictionary[object, WriteLock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def write_lock(backend: LockStore, graph: str) -> WriteLock:
    """The write lock of ``backend`` (one per backend object, made on first use); its lease
    is the backend's ``write_lease`` (0 or missing: twice its write timeout)."""
    with _LOCKS_GUARD:
        lock = _LOCKS.get(backend)
        if lock is None:
            lock = _LOCKS[backend] = WriteLock(backend, graph,
                                               float(getattr(backend, "write_lease", 0) or 0))
        return lock
