"""Persistent worker processes that a caller can really stop, and the pool of them.

A :class:`Worker` is one process that keeps state between calls (the embedded store keeps
its Oxigraph store open in it) and runs one operation at a time: a picklable
``(function, args)`` pair, called as ``function(state, *args)``. Over its time limit the
worker is killed (SIGKILL: pyoxigraph cannot cancel a query) and the caller gets
:class:`~alliancegraph.errors.QueryTimeout`; a worker that dies (a Rust panic, a segfault,
its memory cap) is told apart as :mod:`alliancegraph.store.limits` does for one-off
children, from its standard error, which goes to a file.

Workers are started from the multiprocessing fork server, never forked from the caller:
a fork of a process that runs RocksDB threads hangs, and the caller (a threaded gunicorn
worker) may well have some. They end with their caller: the parent-death signal (the fork
server is their parent), a lifeline pipe whose only write end the caller holds (its EOF
ends the worker even while it computes), and the end of their command pipe.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import multiprocessing
import multiprocessing.forkserver
import os
import pickle
import queue
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from alliancegraph.errors import AllianceGraphError, InternalError, StoreUnavailable
from alliancegraph.store import limits

log = logging.getLogger(__name__)

#: modules every worker needs, imported once by the fork server; the CLI too, as a worker
#: runs the main script again (multiprocessing's rule), and ``alliancegraph``'s imports it
PRELOAD = ["alliancegraph.store.embedded", "alliancegraph.cli"]
#: how long a new worker may take to set itself up (open the store)
START_TIMEOUT = 60.0
_context_lock = threading.Lock()
_context: Any = None
#: the error for an operation over its limit: (limit in seconds, whether it only waited
#: for a free worker) -> error
OnTimeout = Callable[[float, bool], AllianceGraphError]


class WorkerGone(Exception):
    """The worker had ended before it took the call (the call did not run)."""


def context() -> Any:
    """The fork-server context, its server preloading :data:`PRELOAD`."""
    global _context
    with _context_lock:
        if _context is None:
            _context = multiprocessing.get_context("forkserver")
            _context.set_forkserver_preload(PRELOAD)
        return _context


def _forget_forkserver() -> None:
    """In a child forked from a process that started workers: start a fork server of our
    own, and forget the parent's workers. The inherited server is not our child
    (multiprocessing would fail on waiting for it), and our workers must end with us, not
    with the process we were forked from."""
    server = multiprocessing.forkserver._forkserver
    if server._forkserver_pid is not None:
        if server._forkserver_alive_fd is not None:
            os.close(server._forkserver_alive_fd)
        server._forkserver_pid = server._forkserver_address = None
        server._forkserver_alive_fd = None
    # the parent's processes are not ours: multiprocessing's exit handler would end them
    multiprocessing.process._children.clear()  # type: ignore[attr-defined]


os.register_at_fork(after_in_child=_forget_forkserver)


class Worker:
    """One persistent worker process. ``setup(*setup_args, progress=…)`` builds its state in
    the worker (``progress()`` tells the caller that the call in progress may no longer be
    stopped at its time limit); ``what`` names the work in messages ("query");
    ``on_timeout`` makes the error for a call over its limit; ``memory_mb`` caps what one
    call may add to the worker's memory."""

    def __init__(self, setup: Callable[..., Any], setup_args: tuple[Any, ...], *,
                 what: str, on_timeout: OnTimeout, memory_mb: int | None,
                 start_timeout: float = START_TIMEOUT):
        self.what, self.on_timeout, self.memory_mb = what, on_timeout, memory_mb
        ctx = context()
        self._stderr = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept for the worker's life
            prefix="alliancegraph-worker-", suffix=".err", delete=False)
        self._conn, child_conn = ctx.Pipe(duplex=True)
        lifeline_r, self._lifeline = ctx.Pipe(duplex=False)
        self.process = ctx.Process(
            target=_worker_main, daemon=True, name=f"alliancegraph-{what}",
            args=(child_conn, lifeline_r, self._stderr.name, setup, setup_args))
        try:
            self.process.start()
        finally:
            child_conn.close()
            lifeline_r.close()
        self.pid: int = self.process.pid  # type: ignore[assignment]
        try:
            self._answer(start_timeout, None, None, start=-1)
        except BaseException:
            self.kill()
            raise
        finally:
            # the worker holds the file open: its name is no longer needed
            os.unlink(self._stderr.name)
        #: the worker asked to be replaced (it grew past its memory budget)
        self.retired = False

    @property
    def alive(self) -> bool:
        """Whether the worker can take a call. An idle worker never writes to its pipe, so
        a readable pipe means it ended (EOF), even before its parent has reaped it."""
        if self._conn.closed:
            return False
        try:
            return not self._conn.poll(0) and self.process.is_alive()
        except OSError:
            return False

    def call(self, function: Callable[..., Any], args: tuple[Any, ...], *,
             timeout: float | None, label: str | None = None, capped: bool = True,
             limit: float | None = None) -> Any:
        """``function(state, *args)`` in the worker, within ``timeout`` seconds (None: no
        limit; ``limit``: the limit to name in the error, when the caller already waited
        part of it). Over the limit, or when the worker dies, it is killed and this raises;
        the worker is then unusable (see :attr:`alive`)."""
        memory_mb = self.memory_mb if capped else None
        start = self._stderr.seek(0, os.SEEK_END)
        try:
            self._conn.send((function, args, memory_mb))
        except (BrokenPipeError, ConnectionResetError):
            self.kill()
            raise WorkerGone() from None
        return self._answer(timeout, memory_mb, label, limit, start)

    def _answer(self, timeout: float | None, memory_mb: int | None, label: str | None,
                limit: float | None = None, start: int = 0) -> Any:
        deadline = None if timeout is None else time.monotonic() + timeout
        taken = start < 0  # the start-up handshake has no "taken"
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not self._conn.poll(remaining):
                self.kill()
                raise self.on_timeout(limit or timeout or 0.0, False)
            try:
                message = self._conn.recv()
            except (EOFError, OSError):
                self.process.join(5)  # it has ended or is ending: its pipe is closed
                output = self._output(start)
                self.kill()
                if not taken:
                    raise WorkerGone() from None
                raise limits.death(self.process.exitcode, output, self.what,
                                   memory_mb, label) from None
            if message[0] == "taken":
                taken = True
                continue
            if message[0] == "progress":  # past the point of no return: no time limit now
                deadline = None
                continue
            break
        status, payload, retire = message
        self.retired = retire
        output = self._output(start)
        if status == "ok":
            limits.relay(output, self.what, label)
            return payload
        error = limits.unpack_error(payload, self.what, memory_mb, label, output)
        if payload[0] == "memory":
            self.retired = True  # a MemoryError may have left the worker in a poor state
        if not isinstance(error, InternalError):
            limits.relay(output, self.what, label)
        raise error

    def _output(self, start: int) -> bytes:
        start = max(start, 0)
        if self._stderr.seek(0, os.SEEK_END) == start:
            return b""
        return limits.read_output(self._stderr, start)

    def kill(self) -> None:
        """End the worker now (SIGKILL) and wait for it."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self._release()

    def stop(self, grace: float = 2.0) -> None:
        """End the worker: it exits when its pipe closes; killed after ``grace`` seconds
        (it may be running an operation)."""
        self._release()
        self.process.join(grace)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()

    def abandon(self) -> None:
        """In a process forked from the worker's owner: let go of the inherited handles
        without touching the worker (it still serves its owner)."""
        self._release()

    def _release(self) -> None:
        for handle in (self._conn, self._lifeline, self._stderr):
            with contextlib.suppress(OSError):
                handle.close()


# ---------------------------------------------------------------------- worker side


def _worker_main(conn: Connection, lifeline: Connection, stderr_path: str,
                 setup: Callable[..., Any], setup_args: tuple[Any, ...]) -> None:
    fd = os.open(stderr_path, os.O_WRONLY | os.O_APPEND)
    limits.enter_child(None, fd)
    os.close(fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is for the caller to handle
    threading.Thread(target=_watch, args=(lifeline,), daemon=True,
                     name="lifeline").start()
    # The work runs in a thread started here: pyoxigraph draws blank-node labels from a
    # per-thread generator, which a fork copies; a new thread seeds its own from the OS.
    server = threading.Thread(target=_serve, args=(conn, setup, setup_args), name="work")
    server.start()
    server.join()
    os._exit(0)


def _watch(lifeline: Connection) -> None:
    """End this process when the caller is gone, even in the middle of an operation."""
    with contextlib.suppress(EOFError, OSError):
        lifeline.recv()
    os._exit(0)


def _serve(conn: Connection, setup: Callable[..., Any], setup_args: tuple[Any, ...]) -> None:
    def progress() -> None:
        conn.send(("progress",))

    try:
        state = setup(*setup_args, progress=progress)
    except BaseException as exc:
        limits.send_answer(conn, ("error", limits.pack_error(exc), True))
        return
    budget = limits.data_size()
    conn.send(("ok", os.getpid(), False))
    while True:
        try:
            request = conn.recv_bytes()
            conn.send(("taken",))
        except (EOFError, OSError):
            return  # the caller closed the pipe
        try:  # a call this process cannot unpickle (its function's module is not importable
            # here) is the caller's bug, answered as one: the worker stays
            function, args, memory_mb = pickle.loads(request)
        except Exception as exc:
            limits.send_answer(conn, ("error", limits.pack_error(exc), False))
            continue
        try:
            limits.cap_memory(memory_mb)
            message: tuple[Any, ...] = ("ok", function(state, *args))
        except BaseException as exc:
            message = ("error", limits.pack_error(exc))
            del exc  # its traceback's frames may hold the store
        limits.cap_memory(None)
        # retire when this process has grown by half its budget since it started (caches,
        # fragmentation): a fresh one takes its place
        grown = memory_mb is not None and (
            limits.data_size() - budget > memory_mb * 1024 * 1024 // 2)
        limits.send_answer(conn, (*message, grown))
        del message



class FairSlots:
    """Free slots, handed to waiting callers in the order they came (the pool's workers;
    with one slot, a first-come-first-served lock: store/remote_lock.py). A
    :class:`queue.Queue` lets a caller that has just put a worker back take it again at
    once, ahead of one that has been waiting (which then can wait its whole time limit
    while two others call back to back): here a slot put back goes to the oldest waiter."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._free: collections.deque[Worker | None] = collections.deque()
        self._waiting: collections.deque[_Waiter] = collections.deque()

    def put(self, slot: Worker | None) -> None:
        with self._lock:
            if not self._waiting:
                self._free.append(slot)
                return
            waiter = self._waiting.popleft()
        waiter.slot = [slot]
        waiter.handed.set()

    def get(self, timeout: float | None) -> Worker | None:
        """The next free slot, waiting at most ``timeout`` s (then :class:`queue.Empty`)."""
        with self._lock:
            if self._free and not self._waiting:
                return self._free.popleft()
            if timeout == 0:
                raise queue.Empty
            waiter = _Waiter()
            self._waiting.append(waiter)
        if not waiter.handed.wait(timeout):
            with self._lock:
                if waiter in self._waiting:
                    self._waiting.remove(waiter)
                    raise queue.Empty
        waiter.handed.wait()  # handed over just as the wait ended: it is being set
        return waiter.slot[0]


class _Waiter:
    def __init__(self) -> None:
        self.handed = threading.Event()
        self.slot: list[Worker | None] = []


class Pool:
    """``size`` interchangeable workers made by ``start()``, handed out one caller at a
    time. A worker that was killed, died or retired is replaced at once, so the next call
    finds a warm one; a slot whose worker could not be started is tried again by the next
    caller."""

    def __init__(self, size: int, start: Callable[[], Worker], *, on_timeout: OnTimeout):
        self._start, self._on_timeout = start, on_timeout
        self._idle = FairSlots()
        for _ in range(size):
            self._idle.put(None)
        self._workers: set[Worker] = set()
        self._lock = threading.Lock()
        self.size = size

    def call(self, function: Callable[..., Any], args: tuple[Any, ...], *,
             timeout: float | None, label: str | None = None, capped: bool = True) -> Any:
        """``function(state, *args)`` in a free worker. Waiting for one counts against
        ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise self._on_timeout(timeout or 0.0, True) from None
        if worker is None or not worker.alive:
            try:
                self._drop(worker)
                worker = self._new()
            except BaseException:
                self._idle.put(None)
                raise
        try:
            for attempt in (1, 2):
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise self._on_timeout(timeout or 0.0, True)
                try:
                    return worker.call(function, args, timeout=remaining, label=label,
                                       capped=capped, limit=timeout)
                except WorkerGone:
                    if attempt == 2:
                        raise StoreUnavailable(f"the {worker.what} process ended before it "
                                               "could take the call; try again") from None
                    self._drop(worker)
                    worker = self._new()  # it had ended while idle: the call never ran
            raise AssertionError("unreachable")
        finally:
            self._idle.put(self._keep(worker))

    def warm(self) -> None:
        """Start the workers of every empty slot now, so that no caller waits for one."""
        taken = []
        with contextlib.suppress(queue.Empty):
            while len(taken) < self.size:
                taken.append(self._idle.get(timeout=0))
        for worker in taken:
            self._idle.put(self._keep(worker))

    def _new(self) -> Worker:
        worker = self._start()
        with self._lock:
            self._workers.add(worker)
        return worker

    def _keep(self, worker: Worker | None) -> Worker | None:
        """The worker to put back: this one, or a fresh one if it is gone or retired
        (None when none can be started now: the next caller tries)."""
        if worker is not None and worker.alive and not worker.retired:
            return worker
        self._drop(worker)
        try:
            return self._new()
        except AllianceGraphError as exc:
            log.warning("a store process could not be started: %s", exc.message)
            return None

    def _drop(self, worker: Worker | None) -> None:
        if worker is not None:
            with self._lock:
                self._workers.discard(worker)
            worker.stop()

    def pids(self) -> list[int]:
        with self._lock:
            return sorted(w.pid for w in self._workers if w.alive)

    def close(self) -> None:
        """End every worker (a busy one is killed after a short grace)."""
        with self._lock:
            workers, self._workers = list(self._workers), set()
        for worker in workers:
            worker.stop(grace=1.0)

    def abandon(self) -> None:
        """In a forked child: drop the inherited handles, leave the workers to their owner."""
        with self._lock:
            workers, self._workers = list(self._workers), set()
        for worker in workers:
            worker.abandon()
