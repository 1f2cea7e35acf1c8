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
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from alliancegraph import CANONICAL_BASE, __version__
from alliancegraph.errors import AllianceGraphError, BadRequest, ParseError, StoreUnavailable
from alliancegraph.graph.queries import (
    Example,
    Prepared,
    example,
    load_examples,
    prefixes,
    prepare,
    star_order,
)
from alliancegraph.store.sparql_guard import query_form

if TYPE_CHECKING:  # only for annotations: importing them is what this module avoids
    import pandas
    import rdflib
    from alliancegraph.store.embedded import EmbeddedStore

__all__ = ["Connection", "connect", "examples", "frame"]

_SPARQL_JSON = "application/sparql-results+json"
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
        return Connection(url, _http_runner(url, timeout), base_iri or CANONICAL_BASE)
    from alliancegraph.config import load_settings
    from alliancegraph.graph.query import missing_store_message
    from alliancegraph.store.embedded import EmbeddedStore

    settings = load_settings(overrides={"data_dir": None if where is None else str(where)})
    store = EmbeddedStore(settings.data_dir, query_timeout=settings.query_timeout,
                          max_rows=settings.max_rows, base_iri=settings.base_iri)
    if not store.exists():
        raise FileNotFoundError(missing_store_message(settings.data_dir))
    return Connection(str(store.data_dir), _store_runner(store),
                      base_iri or settings.base_iri)


def examples() -> list[Example]:
    """The shipped example queries (name, title, description, text, parameters);
    ``pandas.DataFrame(examples())`` makes a table of them."""
    return load_examples()


#: runs a query text for a media type and returns the body
_Runner = Callable[[str, str], bytes]


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

    def __init__(self, where: str, run: _Runner, base_iri: str):
        self.where = where
        self._run = run
        self._base_iri = base_iri

    def __repr__(self) -> str:
        return f"<alliancegraph.Connection {self.where}>"

    def select(self, sparql: str, params: Mapping[str, Any] | None = None) -> pandas.DataFrame:
        """A SELECT query's solutions as a DataFrame (column types: :func:`frame`)."""
        _pandas()  # first, so a missing pandas is said before the query runs
        prepared = self._prepare(sparql, params, "SELECT")
        results = json.loads(self._call(prepared, _SPARQL_JSON))
        return frame(results, star_order(prepared.written, results["head"]["vars"]))

    def construct(self, sparql: str, params: Mapping[str, Any] | None = None) -> rdflib.Graph:
        """A CONSTRUCT or DESCRIBE query's triples as an rdflib Graph, with the project's
        prefixes bound for serialising."""
        import rdflib

        prepared = self._prepare(sparql, params, "CONSTRUCT", "DESCRIBE")
        graph = rdflib.Graph()
        graph.parse(data=self._call(prepared, "application/n-triples"), format="nt")
        for name, namespace in prefixes(self._base_iri).items():
            graph.bind(name, namespace, override=True, replace=True)
        return graph

    def ask(self, sparql: str, params: Mapping[str, Any] | None = None) -> bool:
        """An ASK query's answer."""
        prepared = self._prepare(sparql, params, "ASK")
        return bool(json.loads(self._call(prepared, _SPARQL_JSON))["boolean"])

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

    def _call(self, prepared: Prepared, media_type: str) -> bytes:
        try:
            return self._run(prepared.text, media_type)
        except ParseError as exc:  # told against the text as written, without our prefixes
            raise prepared.relocate(exc) from None


# ---------------------------------------------------------------------- transports


def _store_runner(store: EmbeddedStore) -> _Runner:
    def run(sparql: str, media_type: str) -> bytes:
        return store.query(sparql, media_type=media_type).body

    return run


def _http_runner(url: str, timeout: float) -> _Runner:
    """SPARQL 1.1 Protocol: a form-encoded POST (any endpoint takes it), by the standard
    library, so talking to an endpoint needs no extra package."""
    import urllib.error
    import urllib.parse
    import urllib.request

    def run(sparql: str, media_type: str) -> bytes:
        request = urllib.request.Request(
            url, data=urllib.parse.urlencode({"query": sparql}).encode(),
            headers={"Accept": media_type, "User-Agent": f"alliancegraph/{__version__}",
                     "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            raise _http_error(url, exc.code, exc.read()) from None
        except (urllib.error.URLError, TimeoutError) as exc:
            raise StoreUnavailable(f"cannot reach {url}: "
                                   f"{getattr(exc, 'reason', exc)}") from None

    return run


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


def frame(results: Mapping[str, Any], columns: list[str] | None = None) -> pandas.DataFrame:
    """SPARQL JSON results (``application/sparql-results+json``) as a DataFrame.

    One column per variable, in ``columns`` order (default: the results' ``head.vars``).
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
    variables = list(columns if columns is not None else results["head"]["vars"])
    rows = results["results"]["bindings"]
    data: dict[str, Any] = {}
    for var in variables:
        terms = [row.get(var) for row in rows]
        data[var] = _column(terms, pd)
        if any(t is not None and "xml:lang" in t for t in terms):
            data[f"{var}@lang"] = [None if t is None else t.get("xml:lang") for t in terms]
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows)))


def _kind(term: dict[str, Any]) -> str:
    if term["type"] not in ("literal", "typed-literal"):
        return "text"
    datatype = term.get("datatype")
    if datatype in _INTEGERS or (datatype == f"{_XSD}gYear"
                                 and re.fullmatch(r"-?\d{4,}", term["value"])):
        return "integer"
    return {**dict.fromkeys(_FLOATS, "float"), **dict.fromkeys(_DATETIMES, "datetime"),
            f"{_XSD}boolean": "boolean"}.get(datatype or "", "text")


def _column(terms: list[dict[str, Any] | None], pd: Any) -> Any:
    bound = [t for t in terms if t is not None]
    kinds = {_kind(t) for t in bound}
    try:
        if kinds == {"integer"}:
            return pd.array([None if t is None else int(t["value"]) for t in terms],
                            dtype="Int64")
        if kinds and kinds <= {"integer", "float"}:
            return pd.array([None if t is None else float(t["value"]) for t in terms],
                            dtype="float64")
        if kinds == {"boolean"}:
            return pd.array([None if t is None else t["value"].strip() in ("true", "1")
                             for t in terms], dtype="boolean")
        if kinds == {"datetime"}:
            zoned = {bool(_TIMEZONE.search(t["value"])) for t in bound}
            if len(zoned) == 1:  # all with a zone, or none: a mix stays text
                return pd.to_datetime([None if t is None else t["value"] for t in terms],
                                      format="ISO8601", utc=zoned == {True})
    except (ValueError, OverflowError):  # out of pandas' range (year 1677-2262), odd forms
        pass
    if not bound:  # nothing to infer from: not pandas' float64 of an empty list
        return pd.array([None] * len(terms), dtype=object)
    return [None if t is None else _text(t) for t in terms]


def _text(term: dict[str, Any]) -> str:
    if term["type"] == "bnode":
        return f"_:{term['value']}"
    if term["type"] == "triple":
        parts = term["value"]
        inner = " ".join(_ntriples(parts[k]) for k in ("subject", "predicate", "object"))
        return f"<< {inner} >>"
    return str(term["value"])


def _ntriples(term: dict[str, Any]) -> str:
    if term["type"] == "uri":
        return f"<{term['value']}>"
    if term["type"] == "literal":
        return json.dumps(term["value"], ensure_ascii=False)
    return _text(term)
