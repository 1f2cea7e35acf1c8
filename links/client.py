"""A well-behaved client of a remote SPARQL endpoint, for link discovery and enrichment.

Wikidata and DBpedia are shared public services: a client says who it is (a descriptive
User-Agent), gives up after a timeout, retries with exponential back-off when the service is
busy or briefly down (429, 500, 502, 503, 504, a dropped connection, a timeout), waits as
long as a ``Retry-After`` asks (seconds or an HTTP date, capped), never retries a request the
service refused for what it is (any other 4xx), never follows a redirect (the endpoint
setting names the endpoint, not wherever it points), and keeps every answer in an on-disk
cache so a re-run repeats no request.

Requests are built by SPARQLWrapper (GET for short queries, POST for long ones, JSON
results). Answers come as pyoxigraph terms, the terms of the store, so callers never see
SPARQL JSON. Failures are :class:`~alliancegraph.errors.RemoteServiceError` (502) or
:class:`~alliancegraph.errors.RemoteServiceTimeout` (504), naming the endpoint and the last
status.
"""

from __future__ import annotations

import datetime
import email.utils
import hashlib
import http.client
import json
import logging
import os
import socket
import ssl
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox
import SPARQLWrapper as sparqlwrapper
from alliancegraph import user_agent
from alliancegraph.config import Settings
from alliancegraph.errors import BadRequest, RemoteServiceError, RemoteServiceTimeout

__all__ = ["USER_AGENT", "Answer", "EndpointClient", "RemoteTerm", "batched", "cache_dir_for",
           "endpoint_for"]

log = logging.getLogger(__name__)
T = TypeVar("T")
RemoteTerm = ox.NamedNode | ox.Literal | ox.BlankNode

USER_AGENT = user_agent("link discovery and enrichment",
                        f"SPARQLWrapper/{sparqlwrapper.__version__}")

#: statuses that say "busy or briefly down, try again later"
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
#: a query whose GET URL would be longer than this goes by POST (servers and proxies cap
#: URL lengths around 8 KB; GET answers are the ones a CDN such as Wikidata's can cache)
MAX_GET_URL = 2000
#: bump when the cache file layout changes: older files are then ignored, not misread
CACHE_FORMAT = 1
#: most bytes of an error body quoted in a message
QUOTED_BYTES = 200


@dataclass(frozen=True)
class Answer:
    """The solutions of one SELECT and when the endpoint gave them (the first time, for an
    answer served from the cache): the retrieval time of every fact read from it."""

    rows: list[dict[str, RemoteTerm]]
    retrieved: datetime.datetime
    from_cache: bool


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as the HTTP error it is instead of being followed."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Any, newurl: str) -> None:
        return None


class _Wrapper(sparqlwrapper.SPARQLWrapper):
    """SPARQLWrapper builds the request; it is sent by an opener that follows no redirect,
    and every HTTP error reaches the client whole (status, headers), where SPARQLWrapper
    would turn some into exceptions without their headers (a 500's Retry-After). One per
    request: a SPARQLWrapper holds its query, so a shared one could not serve two threads."""

    def __init__(self, endpoint: str, *, agent: str, timeout: float):
        super().__init__(endpoint, agent=agent, returnFormat=sparqlwrapper.JSON)
        # not setTimeout: it keeps whole seconds only (0.5 would become 0, no timeout at all)
        self.timeout = timeout  # type: ignore[assignment]
        self._opener = urllib.request.build_opener(_NoRedirect)

    def send(self, query: str) -> tuple[bytes, str]:
        """The body and media type of the answer; urllib's errors as they come."""
        self.setQuery(query)
        long_query = len(urllib.parse.quote(query)) + len(self.endpoint) > MAX_GET_URL
        self.setMethod(sparqlwrapper.POST if long_query else sparqlwrapper.GET)
        request = self._createRequest()
        with self._opener.open(request, timeout=self.timeout) as response:
            return response.read(), response.headers.get_content_type()


class EndpointClient:
    """SELECT queries against one remote endpoint, cached, retried, identified."""

    def __init__(self, endpoint: str, *, cache_dir: Path | None, timeout: float = 30.0,
                 retries: int = 4, backoff: float = 1.0, max_wait: float = 120.0,
                 refresh: bool = False, user_agent: str = USER_AGENT,
                 sleep: Callable[[float], None] = time.sleep):
        if timeout <= 0 or retries < 0 or backoff < 0 or max_wait < 0:
            raise ValueError("timeout must be positive; retries, backoff, max_wait >= 0")
        self.endpoint = endpoint
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self.max_wait, self.refresh, self.user_agent = max_wait, refresh, user_agent
        self.sleep = sleep
        #: HTTP requests actually sent (cache hits do not count; every retry does)
        self.requests_sent = 0
        #: answers served from the cache
        self.cache_hits = 0

    def __repr__(self) -> str:
        return f"EndpointClient({self.endpoint!r}, cache_dir={self.cache_dir!r})"

    def select(self, query: str) -> list[dict[str, RemoteTerm]]:
        """The solutions of a SELECT, each a dict of its bound variables."""
        return self.fetch(query).rows

    def fetch(self, query: str) -> Answer:
        """:meth:`select` with the retrieval time of the answer."""
        cached = None if self.refresh else self._read_cache(query)
        if cached is not None:
            self.cache_hits += 1
            return Answer(self._terms(cached["results"]),
                          datetime.datetime.fromisoformat(cached["retrieved"]), True)
        results = self._send(query)
        retrieved = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        rows = self._terms(results)  # before caching: an answer we cannot read is not kept
        self._write_cache(query, results, retrieved)
        return Answer(rows, retrieved, False)

    # ------------------------------------------------------------ HTTP, retried

    def _send(self, query: str) -> dict[str, Any]:
        """The SPARQL JSON results of the query, after as many attempts as allowed."""
        attempts = self.retries + 1
        for attempt in range(attempts):
            self.requests_sent += 1
            try:
                wrapper = _Wrapper(self.endpoint, agent=self.user_agent, timeout=self.timeout)
                body, media_type = wrapper.send(query)
            except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
                failure, retried, wait = self._failure(exc)
            else:
                return self._parse(body, media_type)
            if not retried:
                raise failure
            if attempt + 1 == attempts:
                failure.message = f"{failure.message} (gave up after {attempts} attempts)"
                failure.args = (failure.message,)
                raise failure
            delay = self._delay(attempt, wait)
            log.info("%s; attempt %d of %d in %.1f s", failure.message, attempt + 2, attempts,
                     delay)
            self.sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")

    def _failure(self, exc: BaseException
                 ) -> tuple[RemoteServiceError | RemoteServiceTimeout, bool, float | None]:
        """What a failed request means: the error to raise, whether another attempt may
        succeed, and how long the server asked us to wait (None: it did not say)."""
        if isinstance(exc, urllib.error.HTTPError):  # before URLError and OSError: it is both
            with exc:  # an HTTPError is also the open response: closed once read
                return (self._http_error(exc), exc.code in RETRIED_STATUSES,
                        self._retry_after(exc.headers))
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        error: RemoteServiceError | RemoteServiceTimeout
        if isinstance(reason, ssl.SSLCertVerificationError):
            # the same certificate will be refused again: no retry
            error = RemoteServiceError(f"{self.endpoint}: its TLS certificate was refused: "
                                       f"{reason}")
            error.endpoint, error.remote_status = self.endpoint, None
            return error, False, None
        if isinstance(reason, TimeoutError | socket.timeout):
            error = RemoteServiceTimeout(
                f"{self.endpoint} did not answer within {self.timeout:g} s")
        else:
            # refused, reset, closed before the answer, a short body: all may pass
            error = RemoteServiceError(f"{self.endpoint} could not be reached: {reason}")
        error.endpoint, error.remote_status = self.endpoint, None
        return error, True, None

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds before the next attempt: what the server asked, else exponential."""
        wanted = retry_after if retry_after is not None else self.backoff * 2 ** attempt
        return min(max(wanted, 0.0), self.max_wait)

    @staticmethod
    def _retry_after(headers: Any) -> float | None:
        """``Retry-After`` in seconds (from a number or an HTTP date), or None."""
        value = (headers.get("Retry-After") if headers is not None else None) or ""
        value = value.strip()
        if not value:
            return None
        try:
            return max(float(value), 0.0)
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            log.warning("ignoring a Retry-After that is neither seconds nor a date: %r", value)
            return None
        if when.tzinfo is None:  # HTTP dates are GMT; a sloppy one may not say so
            when = when.replace(tzinfo=datetime.UTC)
        return max((when - datetime.datetime.now(datetime.UTC)).total_seconds(), 0.0)

    def _http_error(self, exc: urllib.error.HTTPError) -> RemoteServiceError:
        if 300 <= exc.code < 400:
            target = exc.headers.get("Location", "?") if exc.headers is not None else "?"
            error = RemoteServiceError(
                f"{self.endpoint} answered HTTP {exc.code}, a redirect to {target}; redirects "
                f"are not followed (set the endpoint setting to the endpoint's own URL)")
            error.endpoint, error.remote_status = self.endpoint, exc.code
            return error
        try:
            quoted = exc.read()[:QUOTED_BYTES].decode("utf-8", "replace").strip()
        except (OSError, http.client.HTTPException):
            quoted = ""
        detail = f": {quoted}" if quoted else ""
        error = RemoteServiceError(f"{self.endpoint} answered HTTP {exc.code}{detail}")
        error.endpoint, error.remote_status = self.endpoint, exc.code
        return error

    def _parse(self, body: bytes, media_type: str) -> dict[str, Any]:
        """The SPARQL JSON results in a 2xx body, or RemoteServiceError (not retried: a
        service that answers something else will answer it again)."""
        try:
            results = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RemoteServiceError(
                f"{self.endpoint} answered {media_type}, not SPARQL JSON results: {exc}"
            ) from exc
        bindings = results.get("results", {}).get("bindings") if isinstance(results, dict) \
            else None
        if not isinstance(bindings, list):
            raise RemoteServiceError(
                f"{self.endpoint} answered JSON that is no SELECT result (no results.bindings)")
        return results

    # ------------------------------------------------------------ terms

    def _terms(self, results: dict[str, Any]) -> list[dict[str, RemoteTerm]]:
        try:
            return [{name: _term(value) for name, value in row.items()}
                    for row in results["results"]["bindings"]]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise RemoteServiceError(
                f"{self.endpoint} answered a SPARQL JSON term that cannot be read: {exc}"
            ) from exc

    # ------------------------------------------------------------ cache

    def cache_path(self, query: str) -> Path | None:
        """The cache file of a query's answer (None without a cache)."""
        if self.cache_dir is None:
            return None
        key = hashlib.sha256(f"{self.endpoint}\n{query}".encode()).hexdigest()
        return self.cache_dir / f"{key}.json"

    def _read_cache(self, query: str) -> dict[str, Any] | None:
        path = self.cache_path(query)
        if path is None or not path.exists():
            return None
        try:
            cached = json.loads(path.read_text(encoding="utf-8"))
            if (cached["format"] != CACHE_FORMAT or cached["endpoint"] != self.endpoint
                    or cached["query"] != query):
                raise ValueError("written for another endpoint, query or format")
            datetime.datetime.fromisoformat(cached["retrieved"])
            self._terms(cached["results"])
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError,
                RemoteServiceError) as exc:
            # a damaged file costs one request, and is rewritten with the new answer
            log.warning("ignoring the unreadable cache file %s: %s", path, exc)
            return None
        return cached

    def _write_cache(self, query: str, results: dict[str, Any],
                     retrieved: datetime.datetime) -> None:
        path = self.cache_path(query)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"format": CACHE_FORMAT, "endpoint": self.endpoint, "query": query,
                  "retrieved": retrieved.isoformat(), "results": results}
        # a temporary file beside it, renamed over it: an interrupted run leaves the old file
        # or the new one, never half of one
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(record, out, ensure_ascii=False)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _term(value: dict[str, Any]) -> RemoteTerm:
    """One SPARQL 1.1 JSON term as a pyoxigraph term (ValueError for anything else)."""
    kind, text = value["type"], value["value"]
    if kind == "uri":
        return ox.NamedNode(text)
    if kind == "bnode":
        return ox.BlankNode(text)
    if kind in ("literal", "typed-literal"):  # "typed-literal": SPARQL JSON's draft, still met
        if "xml:lang" in value:
            return ox.Literal(text, language=value["xml:lang"])
        if "datatype" in value:
            return ox.Literal(text, datatype=ox.NamedNode(value["datatype"]))
        return ox.Literal(text)
    raise ValueError(f"unknown term type {kind!r}")


def batched(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of at most ``size``, in order (for VALUES blocks)."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, got {size}")
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def cache_dir_for(settings: Settings) -> Path:
    """Where answers are cached: ``link_cache_dir``, else ``<data_dir>/link-cache``."""
    if settings.link_cache_dir:
        return Path(settings.link_cache_dir)
    return Path(settings.data_dir) / "link-cache"


#: targets known by name, and the setting that holds each one's endpoint
TARGETS = {"wikidata": "wikidata_endpoint", "dbpedia": "dbpedia_endpoint"}


def endpoint_for(target: str, settings: Settings) -> str:
    """The SPARQL endpoint of a target: a known name or an http(s) URL."""
    if target in TARGETS:
        return getattr(settings, TARGETS[target])
    parsed = urllib.parse.urlsplit(target)
    if parsed.scheme in ("http", "https") and parsed.netloc:
        return target
    raise BadRequest(f"unknown target {target!r}: expected {', '.join(TARGETS)} or the URL of "
                     f"a SPARQL endpoint (http:// or https://)")
