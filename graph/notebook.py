"""Alliance Graph from Python (Jupyter): SELECT results as pandas DataFrames.

:func:`connect` opens the local store (an existing data dir: ``alliancegraph build``
creates it) or a SPARQL endpoint by URL; both give a :class:`Connection` whose methods
declare the project's prefixes (as the CLI and the query UI do) and return:

* ``select`` — a :class:`pandas.DataFrame`, one typed column per variable (see
  :func:`frame` for the conversions);
* ``construct`` — an :class:`rdflib.Graph` (CONSTRUCT and DESCRIBE);
* ``ask`` — a ``bool``;
* ``query`` / ``example`` — whichever fits the query's form; ``example`` runs a shipped
  query by name, with ``params`` for its VALUES parameters.

pandas is optional (``pip install 'alliancegraph[notebook]'``) and only imported by
``select``; rdflib only by ``construct``. This module imports neither at import time.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import pyoxigraph as ox
from alliancegraph import CANONICAL_BASE, __version__
from alliancegraph.errors import AllianceGraphError, BadRequest, ParseError, StoreUnavailable
from alliancegraph.graph.queries import (
    Example,
    Prepared,
    example,
    load_examples,
    prepare,
    star_order,
)
from alliancegraph.graph.vocabulary import prefixes
from alliancegraph.store.base import Solutions, Term
from alliancegraph.store.sparql_guard import query_form

if TYPE_CHECKING:  # only for annotations: importing them is what this module avoids
    import pandas
    import rdflib
    from alliancegraph.store import Store

__all__ = ["Connection", "connect", "examples", "frame"]

_SPARQL_JSON = "application/sparql-results+json"
_N_TRIPLES = "application/n-triples"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGERS = {f"{_XSD}{name}" for name in (
    "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
    "negativeInteger", "nonPositiveInteger", "unsignedLong", "unsignedInt", "unsignedShort",
    "unsignedByte")}
_FLOATS = {f"{_XSD}decimal", f"{_XSD}double", f"{_XSD}float"}
_DATETIMES = {f"{_XSD}date", f"{_XSD}dateTime", f"{_XSD}dateTimeStamp"}
_TIMEZONE = re.compile(r"(?:Z|[+-]\d\d:\d\d)$")
_INSTALL = "pip install 'alliancegraph[notebook]'"


def connect(where: str | os.PathLike[str] | None = None, *, base_iri: str | None = None,
            timeout: float = 60.0) -> Connection:
    """A connection to the graph.

    ``where`` is an ``http(s)://`` SPARQL endpoint URL (``alliancegraph serve`` answers
    at ``http://127.0.0.1:8000/sparql``), or the data dir of a local store; ``None`` is
    the configured one (``ALLIANCEGRAPH_DATA_DIR``, default ``~/.local/share/alliancegraph``).
    A local store must exist: FileNotFoundError tells to run ``alliancegraph build`` (a
    read would otherwise create an empty store and answer nothing).

    ``base_iri`` places the ``ag:``/``agid:``/``agsch:`` prefixes (default: the local
    store's setting, or the canonical ``https://w3id.org/alliancegraph/`` for a URL);
    ``timeout`` is in seconds, for an endpoint (a local store has its ``query_timeout``).
    """
    if where is not None and re.match(r"https?://", str(where)):
        url = str(where)
        return Connection(url, _Endpoint(url, timeout), base_iri or CANONICAL_BASE)
    from alliancegraph.cli import missing_store
    from alliancegraph.config import load_settings
    from alliancegraph.store import open_store

    settings = load_settings(overrides={"data_dir": None if where is None else str(where)})
    message = missing_store(settings)
    if message is not None:
        raise FileNotFoundError(message)
    return Connection(settings.data_dir, open_store(settings), base_iri or settings.base_iri)


def examples() -> list[Example]:
    """The shipped example queries (name, title, description, text, parameters);
    ``pandas.DataFrame(examples())`` makes a table of them."""
    return list(load_examples())


class _Reader(Protocol):
    """What a connection reads through: a store (:class:`alliancegraph.store.Store`) or
    an endpoint (:class:`_Endpoint`)."""

    def select(self, sparql: str) -> Solutions: ...

    def ask(self, sparql: str) -> bool: ...

    def construct(self, sparql: str) -> list[ox.Triple]: ...

    def close(self) -> None: ...


class Connection:
    """Queries against one store or endpoint; made by :func:`connect`.

    Every method takes SPARQL text and optional ``params`` (parameter -> value, or a list
    of values): the values of the query's ``VALUES`` clauses to use instead of its own
    (:func:`alliancegraph.graph.queries.bind`; values as in
    :func:`alliancegraph.graph.queries.term`:
    Python numbers, booleans, dates, rdflib terms, or SPARQL text such as ``"ag:State"``).
    Errors are :class:`alliancegraph.errors.AllianceGraphError`: ParseError (line, column
    and a caret in its message), BadRequest, QueryTimeout, ResultTooLarge …
    """

    def __init__(self, where: str, reader: Store | _Reader, base_iri: str):
        self.where = where
        self._reader = reader
        self._base_iri = base_iri

    def __repr__(self) -> str:
        return f"<alliancegraph.Connection {self.where}>"

    def close(self) -> None:
        """Release the store (its reader processes); the connection is unusable after."""
        self._reader.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def select(self, sparql: str, params: Mapping[str, Any] | None = None) -> pandas.DataFrame:
        """A SELECT query's solutions as a DataFrame (column types: :func:`frame`)."""
        _pandas()  # first, so a missing pandas is said before the query runs
        prepared = self._prepare(sparql, params, "SELECT")
        solutions = self._call(self._reader.select, prepared)
        return frame(solutions, star_order(prepared.written, solutions.variables))

    def construct(self, sparql: str, params: Mapping[str, Any] | None = None) -> rdflib.Graph:
        """A CONSTRUCT or DESCRIBE query's triples as an rdflib Graph, with the project's
        prefixes bound for serialising."""
        import rdflib

        prepared = self._prepare(sparql, params, "CONSTRUCT", "DESCRIBE")
        triples = self._call(self._reader.construct, prepared)
        graph = rdflib.Graph()
        # N-Triples carries each literal as written (rdflib would normalise built terms)
        graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
        for name, namespace in prefixes(self._base_iri).items():
            graph.bind(name, namespace, override=True, replace=True)
        return graph

    def ask(self, sparql: str, params: Mapping[str, Any] | None = None) -> bool:
        """An ASK query's answer."""
        prepared = self._prepare(sparql, params, "ASK")
        return self._call(self._reader.ask, prepared)

    def query(self, sparql: str,
              params: Mapping[str, Any] | None = None) -> pandas.DataFrame | rdflib.Graph | bool:
        """Whichever of :meth:`select`, :meth:`construct`, :meth:`ask` fits the query."""
        form = query_form(sparql)
        if form == "SELECT":
            return self.select(sparql, params)
        if form == "ASK":
            return self.ask(sparql, params)
        return self.construct(sparql, params)

    def example(self, name: str,
                params: Mapping[str, Any] | None = None) -> pandas.DataFrame | rdflib.Graph | bool:
        """Run the shipped query ``name`` (see :func:`examples`; each lists its
        ``parameters`` with their values)."""
        return self.query(example(name).text, params)

    def _prepare(self, sparql: str, params: Mapping[str, Any] | None,
                 *forms: str) -> Prepared:
        prepared = prepare(sparql, base_iri=self._base_iri, params=params)
        form = query_form(prepared.text)
        if form not in forms:
            method = {"SELECT": "select", "ASK": "ask"}.get(form, "construct")
            article = "an" if form == "ASK" else "a"
            raise BadRequest(f"this is {article} {form} query: use .{method}() or .query()")
        return prepared

    def _call(self, read: Any, prepared: Prepared) -> Any:
        try:
            return read(prepared.text)
        except ParseError as exc:  # told against the text as written, without our prefixes
            raise prepared.relocate(exc) from None


# ---------------------------------------------------------------------- endpoints


class _Endpoint:
    """A SPARQL 1.1 Protocol endpoint: form-encoded POSTs (any endpoint takes them) by the
    standard library, so talking to an endpoint needs no extra package; the answers are
    read into the same typed results as a store's."""

    def __init__(self, url: str, timeout: float):
        self.url = url
        self.timeout = timeout

    def close(self) -> None:
        """Nothing to release: every request has its own connection."""

    def select(self, sparql: str) -> Solutions:
        results = ox.parse_query_results(self._post(sparql, _SPARQL_JSON),
                                         ox.QueryResultsFormat.JSON)
        if not isinstance(results, ox.QuerySolutions):
            raise AllianceGraphError(f"{self.url} answered a SELECT with a boolean")
        variables = tuple(v.value for v in results.variables)
        return Solutions(variables, tuple(tuple(s[v] for v in variables) for s in results))

    def ask(self, sparql: str) -> bool:
        results = ox.parse_query_results(self._post(sparql, _SPARQL_JSON),
                                         ox.QueryResultsFormat.JSON)
        if not isinstance(results, ox.QueryBoolean):
            raise AllianceGraphError(f"{self.url} answered an ASK with solutions")
        return bool(results)

    def construct(self, sparql: str) -> list[ox.Triple]:
        body = self._post(sparql, _N_TRIPLES)
        return [q.triple for q in ox.parse(body, ox.RdfFormat.N_TRIPLES)]

    def _post(self, sparql: str, media_type: str) -> bytes:
        import urllib.error
        import urllib.parse
        import urllib.request

        request = urllib.request.Request(
            self.url, data=urllib.parse.urlencode({"query": sparql}).encode(),
            headers={"Accept": media_type, "User-Agent": f"alliancegraph/{__version__}",
                     "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            raise _http_error(self.url, exc.code, exc.read()) from None
        except (urllib.error.URLError, TimeoutError) as exc:
            raise StoreUnavailable(f"cannot reach {self.url}: "
                                   f"{getattr(exc, 'reason', exc)}") from None


def _http_error(url: str, status: int, body: bytes) -> AllianceGraphError:
    """The endpoint's error as a project error. Alliance Graph answers JSON
    ``{"error": "ParseError", "message": "3:7: reason…"}``; other servers plain text."""
    try:
        found = json.loads(body)
        kind, message = str(found["error"]), str(found["message"])
    except (ValueError, KeyError, TypeError):
        kind, message = "", body.decode("utf-8", "replace").strip()[:2000]
    at = re.match(r"(\d+):(\d+): (.*)", message)
    if kind == "ParseError" and at:  # rebuilt, so it can be told against the written text
        return ParseError(at.group(3), line=int(at.group(1)), column=int(at.group(2)))
    if 400 <= status < 500:
        return BadRequest(f"{url} refused the query ({status}): {message}", status=status)
    return AllianceGraphError(f"{url} failed ({status}): {message}", status=status)


# ---------------------------------------------------------------------- DataFrames


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(f"DataFrames need pandas: {_INSTALL}") from exc
    return pandas


def frame(solutions: Solutions, columns: list[str] | None = None) -> pandas.DataFrame:
    """SELECT solutions (:class:`alliancegraph.store.Solutions`) as a DataFrame.

    One column per variable, in ``columns`` order (default: the solutions' variables).
    A column gets one type when all its bound values have it, else it holds the values'
    text (lexical forms, IRIs):

    ========================================================  =============================
    values                                                    column
    ========================================================  =============================
    xsd:integer and its sub-types, xsd:gYear (a plain year)   ``Int64`` (nullable integers)
    xsd:decimal, xsd:double, xsd:float (with integers)        ``float64`` — a decimal becomes
                                                              a float (nearest double)
    xsd:boolean                                               ``boolean`` (nullable)
    xsd:date, xsd:dateTime                                    ``datetime64``: naive, or UTC
                                                              when every value has a zone
    IRIs, strings, blank nodes (``_:b0``), other datatypes    strings
    ========================================================  =============================

    Unbound values are missing (``<NA>``, ``NaN``, ``NaT``, ``None``). A column holding a
    language-tagged string is followed by ``<var>@lang`` with each value's tag (``"en"``,
    ``"ja"``; missing for a value without one).
    """
    pd = _pandas()
    variables = list(columns if columns is not None else solutions.variables)
    data: dict[str, Any] = {}
    for var in variables:
        terms = solutions.column(var)
        data[var] = _column(terms, pd)
        if any(isinstance(t, ox.Literal) and t.language for t in terms):
            data[f"{var}@lang"] = [t.language if isinstance(t, ox.Literal) else None
                                   for t in terms]
    return pd.DataFrame(data, index=pd.RangeIndex(len(solutions)))


def _kind(term: Term) -> str:
    if not isinstance(term, ox.Literal):
        return "text"
    datatype = term.datatype.value
    if datatype in _INTEGERS or (datatype == f"{_XSD}gYear"
                                 and re.fullmatch(r"-?\d{4,}", term.value)):
        return "integer"
    return {**dict.fromkeys(_FLOATS, "float"), **dict.fromkeys(_DATETIMES, "datetime"),
            f"{_XSD}boolean": "boolean"}.get(datatype, "text")


def _column(terms: list[Term | None], pd: Any) -> Any:
    bound = [t for t in terms if t is not None]
    kinds = {_kind(t) for t in bound}
    values = [None if t is None else _text(t) for t in terms]
    try:
        if kinds == {"integer"}:
            return pd.array([None if v is None else int(v) for v in values], dtype="Int64")
        if kinds and kinds <= {"integer", "float"}:
            return pd.array([None if v is None else float(v) for v in values],
                            dtype="float64")
        if kinds == {"boolean"}:
            return pd.array([None if v is None else v.strip() in ("true", "1")
                             for v in values], dtype="boolean")
        if kinds == {"datetime"}:
            zoned = {bool(_TIMEZONE.search(v)) for v in values if v is not None}
            if len(zoned) == 1:  # all with a zone, or none: a mix stays text
                return pd.to_datetime(values, format="ISO8601", utc=zoned == {True})
    except (ValueError, OverflowError):  # out of pandas' range (year 1677-2262), odd forms
        pass
    if not bound:  # nothing to infer from: not pandas' float64 of an empty list
        return pd.array([None] * len(terms), dtype=object)
    return values


def _text(term: Term) -> str:
    """A value's text: an IRI or a lexical form as it is, ``_:b0``, ``<< s p o >>``."""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Triple):
        return f"<< {term} >>"
    return term.value
