"""Federation: ``SERVICE`` and ``LOAD`` of allow-listed endpoints, evaluated above every
backend, so that no backend ever makes an outbound request itself.

The setting ``federation_endpoints`` lists the endpoints (exact IRIs) a query may call
(:class:`Federation`, built once from the settings). :mod:`alliancegraph.store.sparql_guard`
refuses every other ``SERVICE`` IRI, ``SERVICE ?var``, a nested SERVICE and ``LOAD`` of an
IRI not under a listed endpoint, before any connection. For the allowed ones,
:meth:`Federation.evaluate` rewrites the text the backend then runs:

* ``SERVICE [SILENT] <e> { body }`` → the endpoint is sent ``<BASE and PREFIX in force>
  SELECT * WHERE { body } LIMIT <federation_max_rows + 1>`` (POST, ``query=``; JSON
  results), and the block is replaced by ``{ VALUES (?v1 …) { (… UNDEF …) … } }`` holding its
  solutions (no solution: ``VALUES (?v1 …) { }``, which matches nothing). A blank node of the
  remote becomes the IRI ``urn:alliancegraph:service-bnode:<hash>`` (the hash of the
  endpoint, the query sent and the remote's label: the same node within one answer is the
  same IRI; the IRIs never clash with local data, and they survive a CONSTRUCT or an update).
* ``LOAD [SILENT] <iri> [INTO GRAPH <g>]`` → the document is fetched (GET, an RDF syntax
  by its Content-Type, read by THE upload parser :func:`alliancegraph.store.rdf_input.
  parse_rdf`) and the operation replaced by ``INSERT DATA { [GRAPH <g> {] … [}] }``: the
  whole update stays one atomic write, validated as any other.

Every call: ``requests`` with no redirect followed, ``federation_timeout`` for connecting,
for each read and for the whole answer, at most ``max_body_bytes`` bytes. A redirect, an
HTTP error, an answer that is no SPARQL JSON result (or no RDF), more than
``federation_max_rows`` rows: :class:`~alliancegraph.errors.RemoteServiceError` (502); too
slow: :class:`~alliancegraph.errors.RemoteServiceTimeout` (504). ``SILENT`` turns either
into one empty solution (``VALUES () { () }``) for SERVICE, into nothing for LOAD.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pyoxigraph as ox
from alliancegraph import user_agent
from alliancegraph.errors import (
    BadRequest,
    ConfigError,
    RemoteServiceError,
    RemoteServiceTimeout,
    UnsupportedMediaType,
)
from alliancegraph.store import sparql_guard
from alliancegraph.store.sparql_guard import Analysis, LoadCall, Refused, ServiceCall

if TYPE_CHECKING:
    import requests
    from alliancegraph.config import Settings

__all__ = ["BNODE_PREFIX", "USER_AGENT", "Federation", "inert_text"]

log = logging.getLogger(__name__)

USER_AGENT = user_agent("federated SPARQL query", f"python-requests/{version('requests')}")
#: the IRIs a remote's blank nodes become
BNODE_PREFIX = "urn:alliancegraph:service-bnode:"
#: what LOAD asks for: the RDF syntaxes the upload parser reads
_RDF_ACCEPT = ("text/turtle, application/n-triples;q=0.9, application/rdf+xml;q=0.8, "
               "application/ld+json;q=0.7, application/n-quads;q=0.5, application/trig;q=0.5")
_RESULTS = "application/sparql-results+json"


@dataclass(frozen=True)
class Federation:
    """Which endpoints SERVICE and LOAD may reach, and the limits of each call.

    The default allows nothing: a :class:`~alliancegraph.store.policy.PolicyStore` built
    without one makes no outbound request at all."""

    endpoints: tuple[str, ...] = ()
    timeout: float = 10.0
    max_rows: int = 10_000
    max_bytes: int = 10 * 1024 * 1024
    user_agent: str = USER_AGENT

    @classmethod
    def from_settings(cls, settings: Settings) -> Federation:
        """The settings ``federation_endpoints`` (space-separated; each an absolute http(s)
        IRI, else ConfigError), ``federation_timeout``, ``federation_max_rows`` and
        ``max_body_bytes`` (the most bytes one answer may have)."""
        endpoints = tuple(dict.fromkeys(settings.federation_endpoints.split()))
        for endpoint in endpoints:
            parts = urlsplit(endpoint)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
                raise ConfigError(f"setting federation_endpoints: {endpoint!r} is not an "
                                  "absolute http or https IRI without a fragment")
        if settings.federation_timeout <= 0 or settings.federation_max_rows < 0:
            raise ConfigError("settings federation_timeout must be positive and "
                              "federation_max_rows zero or more")
        return cls(endpoints, float(settings.federation_timeout),
                   int(settings.federation_max_rows), int(settings.max_body_bytes))

    def evaluate(self, text: str, found: Analysis, base_iri: str | None, *,
                 query: bool) -> str:
        """``text`` with every SERVICE block and LOAD operation replaced by what the remote
        answered (see the module); ``text`` itself when it has none. ``found`` is
        ``text``'s analysis, already checked (:func:`sparql_guard.check_query` or
        :func:`~sparql_guard.check_update` with :attr:`endpoints`). The syntax is checked
        before any request (ParseError)."""
        if not found.services and not found.loads:
            return text
        from alliancegraph.store import engine

        (engine.check_query_syntax if query else engine.check_update_syntax)(
            inert_text(text, found), base_iri)
        replacements = [(s.start, s.end, self._service_block(s, base_iri))
                        for s in found.services]
        replacements += [(load.start, load.end, self._insert_data(load))
                         for load in found.loads]
        for start, end, new in sorted(replacements, reverse=True):
            text = f"{text[:start]}{new}{text[end:]}"
        again = sparql_guard.analyse(text, base_iri)
        if again.has_service or again.has_load:  # never hand an outbound call to a backend
            raise Refused("SPARQL SERVICE or LOAD is not allowed here: the federated text "
                          "still calls out")
        return text

    # ------------------------------------------------------------------ SERVICE

    def _service_block(self, service: ServiceCall, base_iri: str | None) -> str:
        assert service.endpoint is not None  # check_query refused SERVICE ?var
        sent = (f"{f'BASE <{base_iri}>' if base_iri else ''}\n{service.prologue}\n"
                f"SELECT * WHERE {{\n{service.body}\n}} LIMIT {self.max_rows + 1}")
        try:
            return self._solutions(service.endpoint, sent, service.variables)
        except (RemoteServiceError, RemoteServiceTimeout) as exc:
            if not service.silent:
                raise
            log.info("SERVICE SILENT <%s>: %s; one empty solution instead",
                     service.endpoint, exc.message)
            return values_block(service.variables, [()])

    def _solutions(self, endpoint: str, sent: str, variables: tuple[str, ...]) -> str:
        import requests  # only a store that calls out pays for importing it

        what = f"SERVICE <{endpoint}>"
        body, _ = self._fetch(what, lambda: requests.post(
            endpoint, data={"query": sent}, timeout=self.timeout, stream=True,
            allow_redirects=False,
            headers={"Accept": _RESULTS, "User-Agent": self.user_agent}))
        names, terms, problem = _read_solutions(body, self.max_rows + 1)
        if problem:
            raise RemoteServiceError(f"{what} failed: the endpoint answered {problem}")
        if len(terms) > self.max_rows:
            raise RemoteServiceError(
                f"{what} failed: the endpoint answered more than federation_max_rows "
                f"({self.max_rows}) rows; nothing is truncated, narrow the pattern inside "
                "SERVICE")
        # only the block's own variables: a remote cannot bind any other of the query
        kept = [i for i, name in enumerate(names) if name in variables]
        rows = [tuple(_local(row[i], endpoint, sent, what) for i in kept) for row in terms]
        log.info("%s: %d row(s)", what, len(rows))
        return values_block([names[i] for i in kept], rows)

    # ------------------------------------------------------------------ LOAD

    def _insert_data(self, load: LoadCall) -> str:
        assert load.source is not None  # check_update refused an unresolved name
        try:
            triples = self._document(load)
        except (RemoteServiceError, RemoteServiceTimeout) as exc:
            if not load.silent:
                raise
            log.info("LOAD SILENT <%s>: %s; nothing loaded", load.source, exc.message)
            return "INSERT DATA { }"
        lines = " .\n".join(triples)
        if load.graph is None:
            return f"INSERT DATA {{\n{lines}\n}}"
        try:
            graph = str(ox.NamedNode(load.graph))
        except ValueError:
            raise BadRequest(f"LOAD … INTO GRAPH <{load.graph}>: not an IRI") from None
        return f"INSERT DATA {{ GRAPH {graph} {{\n{lines}\n}} }}"

    def _document(self, load: LoadCall) -> list[str]:
        """The triples of the document LOAD reads, each as SPARQL text."""
        import requests
        from alliancegraph.store.rdf_input import parse_rdf

        source = load.source or ""
        what = f"LOAD <{source}>"
        body, media_type = self._fetch(what, lambda: requests.get(
            source, timeout=self.timeout, stream=True, allow_redirects=False,
            headers={"Accept": _RDF_ACCEPT, "User-Agent": self.user_agent}))
        if not media_type:
            raise RemoteServiceError(f"{what} failed: the answer has no Content-Type")
        try:
            quads = parse_rdf(body, media_type, base_iri=source, source=what)
        except (BadRequest, UnsupportedMediaType) as exc:  # ParseError is a BadRequest
            raise RemoteServiceError(f"{what} failed: the document is not RDF this store "
                                     f"reads: {exc.message}") from None
        for quad in quads:
            if any(isinstance(t, ox.Triple) for t in (quad.subject, quad.object)):
                raise RemoteServiceError(f"{what} failed: the document holds triple terms, "
                                         "which LOAD does not store")
        log.info("%s: %d triple(s)", what, len(quads))
        return [f"{q.subject} {q.predicate} {q.object}" for q in quads]

    # ------------------------------------------------------------------ HTTP

    def _fetch(self, what: str, send: Callable[[], requests.Response]) -> tuple[bytes, str]:
        """The body (at most :attr:`max_bytes`) and media type of a 2xx answer."""
        import requests
        import urllib3

        deadline = time.monotonic() + self.timeout
        try:
            with send() as response:
                _check_status(what, response)
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > self.max_bytes:
                    raise self._too_large(what)
                chunks, size = [], 0
                for chunk in response.iter_content(64 * 1024):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise self._too_large(what)
                    if time.monotonic() > deadline:
                        raise self._timeout(what)
                    chunks.append(chunk)
                media_type = response.headers.get("Content-Type", "")
        except requests.Timeout:
            raise self._timeout(what) from None
        except requests.ConnectionError as exc:
            # a read that times out while streaming is reported as a ConnectionError
            if exc.args and isinstance(exc.args[0], urllib3.exceptions.ReadTimeoutError):
                raise self._timeout(what) from None
            raise RemoteServiceError(f"{what} failed: the endpoint could not be reached "
                                     "(connection refused or broken)") from None
        except requests.RequestException as exc:
            raise RemoteServiceError(f"{what} failed: the HTTP exchange with the endpoint "
                                     f"failed ({type(exc).__name__})") from None
        return b"".join(chunks), media_type.split(";")[0].strip()

    def _timeout(self, what: str) -> RemoteServiceTimeout:
        return RemoteServiceTimeout(f"{what} failed: the endpoint did not answer within "
                                    f"federation_timeout ({self.timeout:g} s)")

    def _too_large(self, what: str) -> RemoteServiceError:
        return RemoteServiceError(f"{what} failed: the answer is larger than max_body_bytes "
                                  f"({self.max_bytes} bytes)")


def _read_solutions(body: bytes, limit: int) -> tuple[list[str], list[tuple], str]:
    """(variable names, at most ``limit`` rows of terms, '' or what is wrong with ``body``).

    pyoxigraph's result objects must be dropped by the thread that made them: none of
    them outlives this call, not even in a traceback."""
    results = None
    try:
        results = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
        if not isinstance(results, ox.QuerySolutions):
            return [], [], "a boolean, not solutions"
        names = [v.value for v in results.variables]
        rows: list[tuple] = []
        for solution in results:
            rows.append(tuple(solution[name] for name in names))
            if len(rows) >= limit:
                break
        return names, rows, ""
    except SyntaxError as exc:
        return [], [], f"something that is not SPARQL JSON results ({exc})"
    finally:
        results = None


def _check_status(what: str, response: requests.Response) -> None:
    status = response.status_code
    if 300 <= status < 400:
        target = urlsplit(response.headers.get("Location", "")).netloc or "elsewhere"
        raise RemoteServiceError(f"{what} failed: the endpoint answered a redirect (HTTP "
                                 f"{status} to {target}), and redirects are never followed; "
                                 "list the endpoint's final IRI in federation_endpoints")
    if status >= 400 or status < 200:
        detail = ""
        if response.headers.get("Content-Type", "").startswith("text/plain"):
            # the remote's own one-line reason (a syntax error…), never more
            first = next(response.iter_content(512), b"").decode("utf-8", "replace")
            detail = ": " + " ".join(first.split())[:200] if first.strip() else ""
        raise RemoteServiceError(f"{what} failed: the endpoint answered HTTP {status} "
                                 f"{response.reason or ''}".rstrip() + detail)


def _local(term: ox.NamedNode | ox.Literal | ox.BlankNode | ox.Triple | None, endpoint: str,
           sent: str, what: str) -> ox.NamedNode | ox.Literal | None:
    """A remote's term as it can stand in this store's query (blank node → skolem IRI)."""
    if isinstance(term, ox.BlankNode):
        digest = hashlib.sha256(f"{endpoint}\0{sent}\0{term.value}".encode()).hexdigest()
        return ox.NamedNode(BNODE_PREFIX + digest[:32])
    if isinstance(term, ox.Triple):
        raise RemoteServiceError(f"{what} failed: the endpoint answered a triple term, which "
                                 "this store cannot join")
    return term


def values_block(variables: tuple[str, ...] | list[str],
                 rows: list[tuple[ox.NamedNode | ox.Literal | None, ...]] | list[tuple[()]]
                 ) -> str:
    """``{ VALUES (?a ?b) { (<x> UNDEF) … } }``: ``rows`` (terms in ``variables``' order,
    None unbound) as an inline group. A row ``()`` of no terms is the empty solution: every
    variable UNDEF. No rows match nothing."""
    head = " ".join(f"?{name}" for name in variables)
    cells = "\n".join("(" + " ".join(str(term) if term is not None else "UNDEF"
                                     for term in (row or (None,) * len(variables))) + ")"
                      for row in rows)
    return f"{{ VALUES ({head}) {{\n{cells}\n}} }}"


def inert_text(text: str, found: Analysis) -> str:
    """``text`` with no outbound call left, for a parse-only syntax check (the engine would
    call out for SERVICE, and its update check runs LOAD): ``SERVICE [SILENT] <e>`` blanked
    to spaces (the block is then a plain group), each LOAD an empty INSERT DATA. Offsets
    and lines stay where they were, so a syntax error points at the same place."""
    spans = [(s.start, s.start + len(text[s.start:s.end].split("{", 1)[0]), "")
             for s in found.services]
    spans += [(load.start, load.end, "INSERT DATA{}") for load in found.loads]
    for start, end, word in sorted(spans, reverse=True):
        blank = re.sub(r"[^\n]", " ", text[start:end])
        text = f"{text[:start]}{word}{blank[len(word):]}{text[end:]}"
    return text
