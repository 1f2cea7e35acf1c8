"""Answers that cannot change until the next write, computed once per store generation.

Every committed write changes the store's generation. A request reads it once, with the
time of the commit that made it (:meth:`Store.state`, one call: the pair belongs to one
commit). An answer computed from the store is therefore the same for every request that
sees the same generation, and is kept, per process, in a small LRU (:class:`AnswerCache`)
under ``(generation, key)``; the key names what else the answer depends on (the view,
the negotiated media type, the query text …). The same pair makes a strong ``ETag``, so a
client that sends it back in ``If-None-Match`` gets a 304 without anything being computed,
and any write makes every earlier ETag stale.

In a view::

    key = f"void\\0{fmt.media_type}"
    if (response := cache.not_modified(key)) is not None:
        return response
    body = cache.cached(key, lambda: serialise(void_triples()))
    return cache.finish(Response(body, content_type=fmt.content_type), key)

A cached value is shared by every request that hits it: cache immutable values (bytes,
str, tuples, frozen dataclasses), never a list or dict a caller may change. Only values up
to :attr:`AnswerCache.max_entry_bytes` are kept (a large result is computed each time).

The commit time is the store's own (the generation file's time on disk, the SPARQL
server's clock for a remote store, this process's clock in memory), so every worker and
every instance on one store sends the same ``Last-Modified`` and ``ETag`` (the ETag hashes
the time too: a store built again starts its generations anew). ``If-Modified-Since`` is
answered from it, to the exact time. A store that never recorded a time (written only by
an older version) tells 0.0: then no ``Last-Modified`` is sent and ``If-Modified-Since``
never gives a 304.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from typing import Any, TypeVar

from alliancegraph import __version__
from flask import Flask, Response, current_app, g, request

T = TypeVar("T")

_KEY = "alliancegraph.cache"
_GENERATION = "alliancegraph_generation"
_COMMITTED = "alliancegraph_committed_at"
#: the commit time of a store that recorded none
_UNKNOWN = 0.0

#: the largest answer kept, as a share of the byte bound: one answer never evicts all others
ENTRY_SHARE = 16


class AnswerCache:
    """A thread-safe LRU bounded by entries and by (estimated) bytes, whose entries belong
    to one store generation: when a request reads a new generation, every older entry goes
    at once. Concurrent requests for the same missing key compute it once."""

    def __init__(self, *, max_entries: int, max_bytes: int):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_bytes // ENTRY_SHARE
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._generation: int | None = None
        self._computing: dict[Hashable, threading.Lock] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return self._bytes

    def see_generation(self, generation: int) -> None:
        """The store is at ``generation``: drop what was computed at any other."""
        with self._lock:
            if generation != self._generation:
                self._generation = generation
                self._entries.clear()
                self._bytes = 0

    def get_or_compute(self, generation: int, key: str, compute: Callable[[], T]) -> T:
        full = (generation, key)
        with self._lock:
            if full in self._entries:
                self._entries.move_to_end(full)
                return self._entries[full][0]
            running = self._computing.get(full)
            if running is None:
                running = self._computing[full] = threading.Lock()
                running.acquire()
                leader = True
            else:
                leader = False
        if not leader:
            with running:  # wait for the request computing it, then look again
                pass
            with self._lock:
                if full in self._entries:
                    self._entries.move_to_end(full)
                    return self._entries[full][0]
            return compute()  # it failed or was too large to keep: compute our own
        try:
            value = compute()
            self._put(generation, full, value)
            return value
        finally:
            with self._lock:
                del self._computing[full]
            running.release()

    def _put(self, generation: int, full: tuple[int, str], value: Any) -> None:
        size = estimate_size(value) + len(full[1])
        with self._lock:
            # an answer of an older generation (a write came meanwhile) is never asked again
            if generation != self._generation or size > self.max_entry_bytes:
                return
            self._entries[full] = (value, size)
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped


def estimate_size(value: Any) -> int:
    """Roughly the bytes ``value`` holds: exact for bytes and str, an estimate (content
    plus a small overhead per object) for containers, dataclasses and RDF terms."""
    if isinstance(value, bytes | bytearray | memoryview):
        return len(value)
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    if value is None or isinstance(value, bool | int | float):
        return 8
    if isinstance(value, dict):
        return 64 + sum(estimate_size(k) + estimate_size(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return 56 + sum(estimate_size(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return 56 + sum(estimate_size(getattr(value, f.name)) for f in dataclasses.fields(value))
    return 56 + len(str(value))  # an RDF term, a date …: its text


# ---------------------------------------------------------------------- per app


def init_app(app: Flask) -> None:
    app.extensions[_KEY] = AnswerCache(
        max_entries=app.config["SETTINGS"].cache_max_entries,
        max_bytes=app.config["SETTINGS"].cache_max_bytes)


def answer_cache() -> AnswerCache:
    """The cache of the current app."""
    return current_app.extensions[_KEY]


def generation() -> int:
    """The store's generation, read once per request (a request answers from one state)."""
    if _GENERATION not in g:
        from alliancegraph.service.resources import get_store

        value, committed = get_store().state()
        answer_cache().see_generation(value)
        setattr(g, _GENERATION, value)
        setattr(g, _COMMITTED, committed)
    return getattr(g, _GENERATION)


def committed_at() -> float:
    """When the generation this request answers from was committed (0.0: not known)."""
    generation()
    return getattr(g, _COMMITTED)


def cached(key: str, compute: Callable[[], T]) -> T:
    """``compute()``'s value for this store generation, computed once per generation (and
    per process) while it stays in the cache. ``key`` names all else the value depends on;
    the value must be immutable (it is shared)."""
    return answer_cache().get_or_compute(generation(), key, compute)


def etag(key: str) -> str:
    """The strong entity tag of the answer ``key`` at this generation: the generation and
    its commit time (a store built again starts its generations anew), the key, the
    software version and the settings that shape answers (a new release or a new public URL
    changes pages without a write)."""
    app = current_app
    digest = hashlib.sha256("\0".join((
        __version__, app.config["BASE_IRI"], str(app.config.get("PUBLIC_URL")),
        str(app.config["HOST"]), str(app.config["PORT"]),
        str(bool(app.config.get("WRITE_TOKEN")) and not app.config.get("READ_ONLY")),
        str(generation()), repr(committed_at()), key)).encode("utf-8", "surrogatepass"))
    return f"g{generation()}-{digest.hexdigest()[:20]}"


def not_modified(key: str) -> Response | None:
    """A 304 when the request's ``If-None-Match`` names the current ETag of ``key`` (call
    it before computing anything); otherwise None. Only GET and HEAD are conditional."""
    if request.method not in ("GET", "HEAD"):
        return None
    if request.if_none_match:  # RFC 9110: If-None-Match decides when it is sent
        if not request.if_none_match.contains_weak(etag(key)):  # weak comparison for 304
            return None
    elif request.if_modified_since is None or not _unchanged_since(request.if_modified_since):
        return None
    return finish(Response(status=304), key)


def _unchanged_since(since: datetime) -> bool:
    """HTTP dates have whole seconds: compare the exact commit time, so that two writes
    within one second never give a wrong 304 (at worst an answer that was not needed). An
    unknown time is never older than anything."""
    committed = committed_at()
    return committed != _UNKNOWN and committed <= since.timestamp()


def finish(response: Response, key: str) -> Response:
    """Mark ``response`` as the answer ``key`` at this generation: a strong ``ETag``, the
    generation's commit time as ``Last-Modified``, ``Cache-Control: no-cache`` (a cache may
    keep it but must ask again: a write may come at any time) and ``Vary: Accept``."""
    response.set_etag(etag(key))
    if committed_at() != _UNKNOWN:
        response.last_modified = datetime.fromtimestamp(int(committed_at()), tz=UTC)
    response.cache_control.no_cache = True
    response.vary.add("Accept")
    return response
