"""Run work in a child process that the caller can really stop.

pyoxigraph's ``Store.query`` has no timeout and cannot be cancelled, pySHACL and rdflib
cannot be interrupted either, and a Rust panic or a segfault ends the whole process. So
everything a request can make the service compute runs in a forked child:

* over the time limit the child is killed (SIGKILL) and the caller gets
  :class:`~alliancegraph.errors.QueryTimeout` naming the limit and its setting;
* the child's data memory is capped at what it had when forked plus ``memory_mb``
  (``RLIMIT_DATA``: private writable mappings, so the address space that thread arenas and
  RocksDB reserve but do not use is not counted); past it, an allocation fails (Python
  raises MemoryError, Rust aborts) and the caller gets
  :class:`~alliancegraph.errors.MemoryLimitExceeded`;
* a child that dies any other way (an engine panic, a segfault) is an
  :class:`~alliancegraph.errors.EngineFailure`, logged with the request's fingerprint and
  the first lines the engine printed; nothing of it reaches the client;
* an unexpected Python exception in the child is logged with its traceback and becomes
  :class:`~alliancegraph.errors.InternalError`, again without internals in the message.

The child's standard error goes to a temporary file the parent reads afterwards, so it can
tell an allocation failure from a panic and pass on what the child logged.

The pieces are public so that the persistent workers of :mod:`alliancegraph.store.pool`
set themselves up and have their failures told apart the same way: :func:`enter_child`,
:func:`cap_memory`, :func:`pack_error` in the child; :func:`unpack_error`, :func:`death`,
:func:`timeout_error`, :func:`read_output` and :func:`relay` in the parent.
"""

from __future__ import annotations

import ctypes
import faulthandler
import hashlib
import logging
import multiprocessing
import os
import pickle
import resource
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from alliancegraph.errors import (
    AllianceGraphError,
    EngineFailure,
    InternalError,
    MemoryLimitExceeded,
    QueryTimeout,
)

T = TypeVar("T")
log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
#: what an allocation failure prints: Rust's handler, and the C library's
_OUT_OF_MEMORY = (b"memory allocation of", b"MemoryError", b"Cannot allocate memory",
                  b"std::bad_alloc")
_STDERR_KEPT = 4096


def fingerprint(text: str | bytes) -> str:
    """A short, stable fingerprint of a query, an update or a body, for the logs (never the
    text itself)."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:16]


def run_in_child(work: Callable[[], T], *, timeout: float, memory_mb: int | None,
                 what: str, timeout_setting: str = "query_timeout",
                 label: str | None = None, alarm: int | None = None) -> T:
    """``work()`` in a forked child, its result pickled back.

    ``what`` names the work in messages ("query", "validation", "write"); ``label`` (a
    fingerprint) identifies it in the log; ``alarm`` makes the child end itself that many
    seconds after it starts, should the parent die before it can kill it."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    with tempfile.TemporaryFile(prefix="alliancegraph-child-") as stderr:
        child = context.Process(
            target=_child_main, daemon=True,
            args=(sender, work, os.getpid(), alarm, memory_mb, stderr.fileno()))
        child.start()
        sender.close()
        try:
            if not receiver.poll(timeout):
                raise timeout_error(what, timeout, timeout_setting)
            try:
                status, payload = receiver.recv()
            except EOFError:
                status, payload = "died", None
        finally:
            receiver.close()
            if child.is_alive():
                child.kill()
            child.join()
        output = read_output(stderr)
    if status == "died":
        raise death(child.exitcode, output, what, memory_mb, label)
    if status == "ok":
        relay(output, what, label)
        return payload
    error = unpack_error(payload, what, memory_mb, label, output)
    if not isinstance(error, InternalError):
        relay(output, what, label)
    raise error


def timeout_error(what: str, timeout: float, setting: str) -> QueryTimeout:
    return QueryTimeout(f"the {what} ran longer than the limit of {timeout:g} s "
                        f"(setting {setting}) and was stopped")


# ---------------------------------------------------------------------- child side


def _child_main(sender: Connection, work: Callable[[], Any], parent: int,
                alarm: int | None, memory_mb: int | None, stderr_fd: int) -> None:
    enter_child(parent, stderr_fd)
    if alarm is not None:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)  # no handler inherited: it ends us
        signal.alarm(alarm)
    if memory_mb is not None:
        cap = data_size() + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))
    try:
        message: tuple[str, Any] = ("ok", work())
    except BaseException as exc:
        message = ("error", pack_error(exc))
    send_answer(sender, message)
    sender.close()


def enter_child(parent: int | None, stderr_fd: int) -> None:
    """Set up a child process: it dies with its parent (``parent``: the pid it must still
    have, None when the parent is a fork server) and writes its standard error to
    ``stderr_fd``."""
    if sys.platform == "linux":
        # the kernel kills this process when its parent dies: an orphan never keeps a lock
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if parent is not None and os.getppid() != parent:  # the parent died before prctl
            os._exit(1)
    os.dup2(stderr_fd, 2)
    if faulthandler.is_enabled():  # a crash's Python traceback goes with the rest
        faulthandler.enable(file=2)  # the descriptor: sys.stderr may be a wrapper


def send_answer(sender: Connection, message: tuple[Any, ...]) -> None:
    """Send ``(status, payload, *rest)``; a payload that does not pickle becomes an
    InternalError (``rest`` is kept)."""
    try:
        sender.send(message)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        sender.send(("error", pack_error(InternalError(
            f"cannot send the result back: {exc}")), *message[2:]))
    except MemoryError:
        sender.send(("error", ("memory",), *message[2:]))


def data_size() -> int:
    """Bytes of private writable memory this process has mapped now (``VmData``, what
    ``RLIMIT_DATA`` counts; the data field of ``/proc/self/statm``, one short line)."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[5]) * resource.getpagesize()


def cap_memory(memory_mb: int | None) -> None:
    """Let this process map at most ``memory_mb`` more private memory than it has now (only
    the soft limit, so a later call can set a new cap; None lifts the cap)."""
    hard = resource.getrlimit(resource.RLIMIT_DATA)[1]
    soft = hard if memory_mb is None else data_size() + memory_mb * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


def pack_error(exc: BaseException) -> tuple[Any, ...]:
    """An exception raised in a child, in a form that crosses the pipe (see
    :func:`unpack_error`)."""
    if isinstance(exc, MemoryError):
        return ("memory",)
    if isinstance(exc, AllianceGraphError):
        # an attribute that does not pickle (a guard's report object) travels as text
        attributes = {key: value if _picklable(value) else str(value)
                      for key, value in exc.__dict__.items()}
        return ("project", pickle.dumps((type(exc), exc.args, attributes)))
    return ("bug", "".join(traceback.format_exception(exc)))


def _picklable(value: Any) -> bool:
    try:
        pickle.dumps(value)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return False
    return True


# ---------------------------------------------------------------------- parent side


def unpack_error(payload: tuple[Any, ...], what: str, memory_mb: int | None,
                 label: str | None, output: bytes) -> AllianceGraphError:
    """The project error a child's :func:`pack_error` stands for; a bug is logged with its
    traceback and becomes an InternalError without internals."""
    kind = payload[0]
    if kind == "memory":
        return memory_error(what, memory_mb)
    if kind == "project":
        cls, args, attributes = pickle.loads(payload[1])
        error = cls.__new__(cls)
        Exception.__init__(error, *args)
        error.__dict__.update(attributes)
        return error
    log.error("unexpected error in the %s process%s:\n%s%s", what, _tag(label), payload[1],
              _describe_output(output))
    return InternalError(f"the {what} failed on an internal error; it has been logged"
                         + (f" as {label}" if label else ""))


def death(exitcode: int | None, output: bytes, what: str, memory_mb: int | None,
          label: str | None) -> AllianceGraphError:
    """The error for a child that ended without an answer: out of memory, or a crash."""
    if memory_mb is not None and any(sign in output for sign in _OUT_OF_MEMORY):
        log.warning("the %s process%s ran out of its memory cap", what, _tag(label))
        return memory_error(what, memory_mb)
    how = _how_it_ended(exitcode)
    log.error("the %s process%s %s%s", what, _tag(label), how, _describe_output(output))
    hint = ""
    if b"does not correctly implement a total order" in output:
        # pyoxigraph 0.5.13 aborts on ORDER BY over values it cannot order consistently
        hint = ("; this happens when ORDER BY compares values of different kinds, e.g. "
                "plain strings and xsd:decimal numbers: order by STR(?x), or by "
                "DATATYPE(?x) first")
    return EngineFailure(f"the engine failed on this {what} ({how}){hint}; the store is "
                         "unaffected" + (f" (logged as {label})" if label else ""))


def memory_error(what: str, memory_mb: int | None) -> MemoryLimitExceeded:
    return MemoryLimitExceeded(f"the {what} needed more memory than the limit of "
                               f"{memory_mb} MiB (setting max_memory_mb) and was stopped")


def _how_it_ended(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"ended on signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"ended on signal {-exitcode}"
    return f"exited with code {exitcode} without an answer"


def read_output(stderr: Any, start: int = 0) -> bytes:
    """The start and the end of what the child wrote (after offset ``start``): a panic's
    message comes first, then a long backtrace; an allocation failure may come last."""
    size = stderr.seek(0, os.SEEK_END)
    stderr.seek(start)
    if size - start <= 2 * _STDERR_KEPT:
        return stderr.read()
    head = stderr.read(_STDERR_KEPT)
    stderr.seek(size - _STDERR_KEPT)
    return head + b"\n...\n" + stderr.read()


def relay(output: bytes, what: str, label: str | None) -> None:
    """Pass on what a child that finished normally wrote to standard error (its logs)."""
    if output.strip():
        log.warning("the %s process%s wrote:\n%s", what, _tag(label),
                    output.decode("utf-8", "replace").rstrip())


def _describe_output(output: bytes) -> str:
    lines = [line for line in output.decode("utf-8", "replace").splitlines()
             if line.strip() and not line.startswith(" ")][:6]
    return (":\n" + "\n".join(lines)) if lines else ""


def _tag(label: str | None) -> str:
    return f" ({label})" if label else ""
