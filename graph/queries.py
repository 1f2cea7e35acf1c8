"""The shipped example queries (``graph/queries/*.rq``) and what every client (CLI, notebook)
does to a query's text before it runs it (the prefixes of
:func:`alliancegraph.graph.vocabulary.prefixes` declared, parameters bound).

Each file starts with comment lines naming it::

    # title: Threats Japan perceives
    # description: Every threat perception whose perceiver is Japan, with its evidence.
    PREFIX ag: <https://w3id.org/alliancegraph/ontology#>
    SELECT …

The query UI offers them as named examples; the index page lists them; ``alliancegraph
query --example NAME`` and :func:`alliancegraph.connect` run them by name.

Parameters: the files declare none in their headers; where a query is meant to be adapted it
says "change the VALUES line". So a *parameter* is a variable that a ``VALUES`` clause
binds, in a clause with one variable or one row; :func:`bind` replaces its values.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from importlib import resources

from alliancegraph import CANONICAL_BASE
from alliancegraph.errors import BadRequest, NotFound, ParseError
from alliancegraph.graph.vocabulary import prefix_declarations, prefixes
from alliancegraph.store.sparql_guard import Token, query_form, tokenize

__all__ = ["Example", "Parameters", "Prepared", "bind", "example", "load_examples",
           "parameters", "parse_example", "prefix_declarations", "prefixes", "prepare",
           "star_order", "term"]

_HEADER = re.compile(r"^#\s*(title|description)\s*:\s*(.*?)\s*$", re.IGNORECASE)


class Parameters(dict[str, tuple[str, ...]]):
    """Parameter -> its values as the query has them; read-only, since the examples are
    read once and shared by the whole process."""

    def _read_only(self, *args: object, **kwargs: object) -> None:
        raise TypeError("an example's parameters are read-only: copy them with dict()")

    __setitem__ = __delitem__ = __ior__ = _read_only  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _read_only  # type: ignore[assignment]

    def __copy__(self) -> Parameters:
        return self

    def __deepcopy__(self, memo: object) -> Parameters:
        return self

    def __reduce__(self) -> tuple[type, tuple[dict[str, tuple[str, ...]]]]:
        return (Parameters, (dict(self),))


@dataclass(frozen=True)
class Example:
    """One shipped query: ``name`` is the file name without ``.rq``."""

    name: str
    title: str
    description: str
    text: str
    #: parameter -> its values as the file has them (see :func:`parameters`)
    parameters: Parameters = field(default_factory=Parameters)

    @property
    def topic(self) -> str:
        """What the query is about, from the start of its file name (``paper-a-…``)."""
        return next((topic for prefix, topic in TOPICS.items()
                     if self.name.startswith(prefix + "-")), "other")

    @property
    def tags(self) -> tuple[str, ...]:
        """The topic, the query form, and ``counts`` for an aggregate: what the query UI
        filters the examples by."""
        form = query_form(self.text).lower()
        counts = ("counts",) if _AGGREGATE.search(self.text) else ()
        return (self.topic, form, *counts)


#: the examples' topics, by the start of their file names (in the order the UI lists them)
TOPICS = {"security": "security relations", "paper-a": "paper A",
          "scholarly": "scholarly record", "links": "links out"}
_AGGREGATE = re.compile(r"\b(COUNT|SUM|AVG|MIN|MAX|GROUP_CONCAT|SAMPLE)\s*\(|\bGROUP\s+BY\b",
                        re.IGNORECASE)


def parse_example(name: str, text: str) -> Example:
    """Read the ``# title:`` / ``# description:`` lines at the top of a query.

    A description may run over several ``#`` lines after its first; the header ends at
    the first line that is not a comment. A query without a title is named by its file.
    """
    fields: dict[str, str] = {}
    current: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("#"):
            if stripped:
                break
            continue
        match = _HEADER.match(stripped)
        if match:
            current = match.group(1).lower()
            fields[current] = match.group(2)
        elif current == "description":
            fields[current] = f"{fields[current]} {stripped.lstrip('#').strip()}".strip()
    return Example(
        name=name,
        title=fields.get("title") or name.replace("-", " ").replace("_", " "),
        description=fields.get("description", ""),
        text=text,
        parameters=Parameters((name, tuple(values))
                              for name, values in parameters(text).items()),
    )


@functools.cache
def load_examples() -> tuple[Example, ...]:
    """Every shipped ``.rq`` file, sorted by file name: read once per process (they are
    package data, which does not change while it runs)."""
    folder = resources.files("alliancegraph.graph").joinpath("queries")
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".rq")),
        key=lambda entry: entry.name,
    )
    return tuple(parse_example(entry.name[: -len(".rq")], entry.read_text(encoding="utf-8"))
                 for entry in files)


def example(name: str) -> Example:
    """The shipped query ``name``; NotFound naming the closest names otherwise."""
    examples = {e.name: e for e in load_examples()}
    if name in examples:
        return examples[name]
    import difflib

    close = difflib.get_close_matches(name, examples, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise NotFound(f"no example query named {name!r}; {hint}"
                   "'alliancegraph query --list' lists them")


# ---------------------------------------------------------------------- prefixes


@dataclass(frozen=True)
class Prepared:
    """A query as it is sent (the project's prefixes declared in front of its first line)
    and as it was written, to report errors against the written text."""

    text: str
    written: str
    #: characters added in front of the written line 1
    shift: int

    def relocate(self, error: ParseError) -> ParseError:
        """``error`` (from running :attr:`text`) with its position in :attr:`written`,
        rendered with the offending line of it."""
        # the reason is worked out on the text that ran (it declares the added prefixes),
        # by the raiser when it had that text (the embedded store), else here
        sent = error if error.text == self.text else ParseError(
            error.detail, source=error.source, line=error.line, column=error.column,
            text=self.text)
        return sent.moved(self.written, columns=self.shift)


def prepare(sparql: str, *, base_iri: str = CANONICAL_BASE,
            params: Mapping[str, Sequence[str]] | None = None) -> Prepared:
    """Bind ``params`` (:func:`bind`), then declare every project prefix the query does not
    declare itself.

    The declarations go on the query's first line, not on lines of their own, so the line
    numbers the engine reports are the user's; only columns of line 1 shift, by
    :attr:`Prepared.shift`. (pyoxigraph's ``Store.query(prefixes=…)`` would avoid even
    that, but the store runs queries in a child process from text, and a remote endpoint
    only takes text.)
    """
    written = bind(sparql, params) if params else sparql
    tokens = tokenize(written)
    declared = {tokens[i + 1].text[:-1] for i, t in enumerate(tokens[:-1])
                if t.keyword == "PREFIX" and tokens[i + 1].kind == "pname"}
    prologue = "".join(f"PREFIX {name}: <{iri}> " for name, iri in prefixes(base_iri).items()
                       if name not in declared)
    return Prepared(prologue + written, written, len(prologue))


def star_order(sparql: str, variables: Sequence[str]) -> list[str]:
    """The result variables of ``SELECT *`` in order of first appearance in the query.

    pyoxigraph sorts them by name (``?label ?s`` for ``?s … ?label``); a person reads the
    query's order. Explicit projections are returned unchanged."""
    tokens = tokenize(sparql)
    start = next((i for i, t in enumerate(tokens) if t.keyword == "SELECT"), None)
    if start is None:
        return list(variables)
    rest = tokens[start + 1:]
    while rest and rest[0].keyword in ("DISTINCT", "REDUCED"):
        rest = rest[1:]
    if not rest or rest[0].text != "*":
        return list(variables)
    seen = list(dict.fromkeys(t.text[1:] for t in rest if t.kind == "var"))
    return sorted(variables, key=lambda v: seen.index(v) if v in seen else len(seen))


# ---------------------------------------------------------------------- parameters

#: one RDF term as SPARQL writes it in a VALUES row
_TERM = re.compile(r"""
    <[^<>"{}|^`\\\x00-\x20]*>                                   # IRI
  | (?:"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')                # string …
    (?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^(?:<[^<>\s]*>|[\w.-]*:[^\s(){}]*))?  # … tagged
  | [+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?                        # number
  | true | false | UNDEF
  | (?:[A-Za-z][\w.-]*)?:[^\s(){}"'<>,;]*                             # prefixed name
""", re.VERBOSE)
_BARE_IRI = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|urn:)\S+$")
_XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass(frozen=True)
class _Values:
    """One VALUES clause: its variables, its rows of terms, and where it is in the text."""

    variables: list[str]
    rows: list[list[str]]
    start: int
    end: int


def _values_clauses(text: str) -> list[_Values]:
    tokens = tokenize(text)
    found = []
    for i, token in enumerate(tokens):
        if token.keyword != "VALUES" or i + 1 >= len(tokens):
            continue
        j = i + 1
        if tokens[j].kind == "var":
            variables, j = [tokens[j].text[1:]], j + 1
        elif tokens[j].text == "(":
            close = _next(tokens, j, ")")
            variables, j = [t.text[1:] for t in tokens[j + 1:close] if t.kind == "var"], close + 1
        else:
            continue
        if j >= len(tokens) or tokens[j].text != "{" or (end := _next(tokens, j, "}")) < 0:
            continue
        body = text[tokens[j].start + 1: tokens[end].start]
        if len(variables) == 1 and tokens[i + 1].kind == "var":
            rows = [[term] for term in _terms(body)]
        else:
            rows = [_terms(row) for row in re.findall(r"\(([^()]*)\)", body)]
        found.append(_Values(variables, rows, token.start, tokens[end].start + 1))
    return found


def _next(tokens: list[Token], start: int, text: str) -> int:
    return next((k for k in range(start, len(tokens)) if tokens[k].text == text), -1)


def _terms(text: str) -> list[str]:
    return [m.group() for m in _TERM.finditer(text)]


def parameters(text: str) -> dict[str, list[str]]:
    """Variables a query can be given values for: those of a ``VALUES`` clause with one
    variable (every value) or with one row, mapped to the values the text has."""
    found: dict[str, list[str]] = {}
    for clause in _values_clauses(text):
        if len(clause.variables) == 1:
            found.setdefault(clause.variables[0], [row[0] for row in clause.rows])
        elif len(clause.rows) == 1 and len(clause.rows[0]) == len(clause.variables):
            for name, value in zip(clause.variables, clause.rows[0], strict=True):
                found.setdefault(name, [value])
    return found


def term(value: object) -> str:
    """A value as one SPARQL term: text is taken as SPARQL (``1990``, ``ag:State``,
    ``"Japan"@en``, ``<https://…>``; a bare ``https://…`` or ``urn:`` IRI gets its angle
    brackets); Python numbers, booleans, dates and rdflib terms are written as literals/IRIs.
    ValueError when text is not exactly one term."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        kind = "dateTime" if isinstance(value, datetime) else "date"
        return f'"{value.isoformat()}"^^<{_XSD}{kind}>'
    if hasattr(value, "n3") and not isinstance(value, str):  # an rdflib term
        return str(value.n3())
    text = str(value).strip()
    if _BARE_IRI.match(text):
        text = f"<{text}>"
    if not _TERM.fullmatch(text):
        raise ValueError(f"{value!r} is not one SPARQL term (1990, ag:State, \"Japan\"@en, "
                         "<https://…>)")
    return text


def bind(text: str, params: Mapping[str, Sequence[object] | object]) -> str:
    """``text`` with the values of each parameter (see :func:`parameters`) replaced.

    A value is a single value or a list of them (several only for a one-variable clause);
    each goes through :func:`term`. BadRequest names an unknown parameter or a bad value."""
    known = parameters(text)
    values: dict[str, list[str]] = {}
    for name, given in params.items():
        name = name.lstrip("?$")
        if name not in known:
            listed = ", ".join(f"?{n}" for n in known) or "none"
            raise BadRequest(f"the query has no parameter ?{name} (its parameters: {listed})")
        items = list(given) if isinstance(given, list | tuple) else [given]
        try:
            values[name] = [term(item) for item in items]
        except ValueError as exc:
            raise BadRequest(f"parameter ?{name}: {exc}") from None
    for clause in reversed(_values_clauses(text)):
        if not values.keys() & set(clause.variables):
            continue
        if len(clause.variables) == 1:
            rows = [[v] for v in values[clause.variables[0]]]
        elif len(clause.rows) == 1:
            rows = [list(clause.rows[0])]
            for k, name in enumerate(clause.variables):
                if name in values:
                    if len(values[name]) != 1:
                        raise BadRequest(f"parameter ?{name} takes one value: it shares a "
                                         "VALUES row with " + ", ".join(
                                             f"?{v}" for v in clause.variables if v != name))
                    rows[0][k] = values[name][0]
        else:
            continue  # several rows of several variables: not a parameter (see above)
        heads = " ".join(f"?{v}" for v in clause.variables)
        head = heads if len(clause.variables) == 1 else f"({heads})"
        body = " ".join(r[0] if len(clause.variables) == 1 else f"({' '.join(r)})"
                        for r in rows)
        text = f"{text[:clause.start]}VALUES {head} {{ {body} }}{text[clause.end:]}"
    return text
