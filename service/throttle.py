"""Per-client limits: the lockout after failed write authentications (setting
``auth_failure_limit``) and the read rate limit (setting ``read_rate_limit``), both
answered 429 with ``Retry-After``.

A limit is ``count/second|minute|hour`` over a sliding window: a client may have at most
``count`` events in any window of that length. The client is ``request.remote_addr``;
``X-Forwarded-For`` is not trusted.

The counters live in the memory of one worker process (guarded by a lock, as a worker
serves requests from several threads). They are not shared between gunicorn workers, so
with W workers a client can get up to W times a limit, and they start empty on a restart.
That still turns hundreds of token guesses a second into a handful a minute. Counting across
workers needs shared storage (e.g. Redis), which this service does not otherwise need.

Flask-Limiter is not used: it checks its limits before the view runs, keyed by route.
Here, whether a request is a write or a read is known only inside the view (``POST
/sparql`` may be a query or an update), and only a failed authentication counts. Its
in-memory backend (``limits``) also starts a timer thread to expire entries.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from alliancegraph.errors import AllianceGraphError, ConfigError
from flask import Flask, current_app, request

_UNITS = {"second": 1.0, "minute": 60.0, "hour": 3600.0}
_RATE = re.compile(r"\s*(\d+)\s*/\s*(second|minute|hour)s?\s*", re.IGNORECASE)
#: Blueprints never limited: probes must see the process, however busy a client is.
_EXEMPT_BLUEPRINTS = {"health"}
_READ_METHODS = {"GET", "HEAD", "OPTIONS"}
_EXTENSION = "alliancegraph.throttle"


class TooManyRequests(AllianceGraphError):
    """A client went over a limit; ``Retry-After`` says when it may try again."""

    status = 429

    def __init__(self, message: str, *, retry_after: float):
        super().__init__(message)
        # whole seconds (RFC 9110), rounded up so a client that waits is let through
        self.retry_after = max(1, math.ceil(retry_after))
        self.headers = {"Retry-After": str(self.retry_after)}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: float
    text: str


def parse_rate(text: str | None, *, setting: str) -> Rate | None:
    """``"10/minute"`` as a :class:`Rate`; None when empty (the limit is off)."""
    if text is None or not text.strip():
        return None
    match = _RATE.fullmatch(text)
    if not match or int(match.group(1)) < 1:
        raise ConfigError(f"setting {setting}: {text!r} is not a limit like '10/minute' "
                          "(count/second|minute|hour, count at least 1; empty for none)")
    return Rate(int(match.group(1)), _UNITS[match.group(2).lower()], text.strip())


class SlidingWindow:
    """The times of each key's last ``rate.count`` events, and whether one more fits.

    Thread-safe. Memory is bounded by ``count`` timestamps per key seen in the last window:
    keys idle for a whole window are swept out (at most once a window).
    """

    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._swept = clock()

    def retry_after(self, key: str) -> float:
        """0 when ``key`` may have one more event now, else the seconds until it may."""
        with self._lock:
            return self._wait(key, self._clock())

    def record(self, key: str) -> None:
        """Count one event of ``key`` now (whether or not it was within the limit)."""
        with self._lock:
            now = self._clock()
            self._sweep(now)
            self._events.setdefault(key, deque(maxlen=self.rate.count)).append(now)

    def hit(self, key: str) -> float:
        """Count one event if it fits, in one step (no race between check and count):
        0 when it was counted, else the seconds until one fits (nothing counted)."""
        with self._lock:
            now = self._clock()
            wait = self._wait(key, now)
            if wait == 0:
                self._sweep(now)
                self._events.setdefault(key, deque(maxlen=self.rate.count)).append(now)
            return wait

    def _wait(self, key: str, now: float) -> float:
        events = self._events.get(key)
        if events is None or len(events) < self.rate.count:
            return 0.0
        # full: the oldest of the last `count` events must leave the window first
        return max(0.0, events[0] + self.rate.seconds - now)

    def _sweep(self, now: float) -> None:
        if now - self._swept < self.rate.seconds:
            return
        self._swept = now
        stale = [k for k, events in self._events.items() if events[-1] <= now - self.rate.seconds]
        for key in stale:
            del self._events[key]


@dataclass
class Throttles:
    """The app's limits (None: off), in ``app.extensions``."""

    auth_failures: SlidingWindow | None
    reads: SlidingWindow | None


def _throttles() -> Throttles:
    return current_app.extensions[_EXTENSION]


def _client() -> str:
    return request.remote_addr or "unknown"


def check_write_lockout() -> None:
    """429 while this client has had too many failed write authentications, even if it
    now sends the right token: otherwise the lockout would only slow guessing down."""
    window = _throttles().auth_failures
    if window is None:
        return
    wait = window.retry_after(_client())
    if wait > 0:
        raise TooManyRequests(
            f"too many failed write authentications from this address (more than "
            f"{window.rate.text}, setting auth_failure_limit); writes are refused for now",
            retry_after=wait)


def record_auth_failure() -> None:
    window = _throttles().auth_failures
    if window is not None:
        window.record(_client())


def limit_read() -> None:
    """Count a read by this client; 429 beyond ``read_rate_limit`` (off by default)."""
    window = _throttles().reads
    if window is None or request.blueprint in _EXEMPT_BLUEPRINTS:
        return
    wait = window.hit(_client())
    if wait > 0:
        raise TooManyRequests(f"too many requests from this address (more than "
                              f"{window.rate.text}, setting read_rate_limit)", retry_after=wait)


def _limit_read_methods() -> None:
    # POST queries are counted by the view (security.mark_cors_read): only it knows that
    # the POST is a query and not an update
    if request.method in _READ_METHODS:
        limit_read()


def init_app(app: Flask) -> None:
    """Read the limits from the settings (a malformed one stops the app at start) and
    count reads before anything else runs for the request."""
    auth = parse_rate(app.config.get("AUTH_FAILURE_LIMIT"), setting="auth_failure_limit")
    reads = parse_rate(app.config.get("READ_RATE_LIMIT"), setting="read_rate_limit")
    app.extensions[_EXTENSION] = Throttles(
        auth_failures=SlidingWindow(auth) if auth else None,
        reads=SlidingWindow(reads) if reads else None)
    app.before_request(_limit_read_methods)
