"""A small SPARQL tokenizer for what must be known before a query or update runs.

It finds the query form (for content negotiation), refuses what could make the store
reach outside the process (``SERVICE``, ``LOAD``, ``FROM``/``USING`` with a ``file:`` IRI),
collects the graphs named by ``FROM``/``FROM NAMED``/``USING``/``USING NAMED`` so the
store can check they exist, and adds the protocol's ``using-graph-uri`` to an update.

Strings, IRIs and comments are skipped as whole tokens, so ``"SERVICE"`` in a literal,
``<http://x/LOAD>`` or ``# LOAD`` in a comment are not keywords. Syntax errors are left
to the engine: this is not a parser, it only reads the tokens that matter.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from alliancegraph.errors import BadRequest, ParseError
from alliancegraph.store import Dataset, QueryForm

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
              |"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
  | (?P<var>[?$][\w\u00B7-\uFFFF]+)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<pname>(?:[A-Za-z_\u00C0-\uFFFF][\w\-.\u00B7-\uFFFF]*)?:(?:[\w\-.:%\\\u00B7-\uFFFF]*))
  | (?P<name>[A-Za-z_\u00C0-\uFFFF][\w\-\u00B7-\uFFFF]*)
  | (?P<punct>\^\^|&&|\|\||!=|<=|>=|.)
    """,
    re.VERBOSE | re.DOTALL,
)

QUERY_FORMS: tuple[QueryForm, ...] = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
#: a codepoint escape, which the engine decodes inside IRIs (``<\u0066ile:…>`` is ``file:``)
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


class Refused(BadRequest):
    """A well-formed request this store refuses by policy (400): SERVICE, LOAD, a
    ``file:`` IRI, FROM/USING of a graph the store does not hold."""


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int

    @property
    def keyword(self) -> str:
        """Upper-cased text of a bare name (keywords are case-insensitive), else ''."""
        return self.text.upper() if self.kind == "name" else ""


def tokenize(text: str) -> list[Token]:
    """Significant tokens of ``text`` (white space and comments dropped)."""
    # one request reads its text several times (form, policy, cacheability): a query-sized
    # text is tokenized once; a large one (an update carrying data) is not kept
    return list(_cached_tokens(text) if len(text) <= _CACHED_TEXT else _tokens(text))


#: the longest text whose tokens are kept for the next reader of the same text
_CACHED_TEXT = 16 * 1024


def _tokens(text: str) -> tuple[Token, ...]:
    return tuple(Token(match.lastgroup or "punct", match.group(), match.start())
                 for match in _TOKEN.finditer(text)
                 if (match.lastgroup or "punct") not in ("ws", "comment"))


_cached_tokens = functools.lru_cache(maxsize=256)(_tokens)


@dataclass
class Analysis:
    """What the tokens of one query or update say."""

    tokens: list[Token]
    form: QueryForm | None = None
    #: graphs named by FROM / USING (the default graph) and FROM NAMED / USING NAMED
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    has_with: bool = False
    has_load: bool = False
    has_service: bool = False

    @property
    def dataset_graphs(self) -> list[str]:
        return self.default_graphs + self.named_graphs


def analyse(text: str, base_iri: str | None = None) -> Analysis:
    """Tokenize ``text`` and collect the form, dataset clauses and risky keywords."""
    tokens = tokenize(text)
    result = Analysis(tokens)
    prefixes: dict[str, str] = {}
    base = base_iri
    for i, token in enumerate(tokens):
        word = token.keyword
        if word == "BASE" and _kind(tokens, i + 1) == "iri":
            base = _resolve(_iri_text(tokens[i + 1]), base)
        elif word == "PREFIX" and _kind(tokens, i + 1) == "pname" and _kind(tokens, i + 2) == "iri":
            prefixes[tokens[i + 1].text[:-1]] = _resolve(_iri_text(tokens[i + 2]), base)
        elif word in QUERY_FORMS and result.form is None:
            result.form = word  # type: ignore[assignment]
        elif word == "SERVICE":
            result.has_service = True
        elif word == "LOAD":
            result.has_load = True
        elif word == "WITH":
            result.has_with = True
        elif word in ("FROM", "USING"):
            named = _upper(tokens, i + 1) == "NAMED"
            iri = _iri_at(tokens, i + 2 if named else i + 1, prefixes, base)
            if iri is not None:
                (result.named_graphs if named else result.default_graphs).append(iri)
    return result


def query_form(text: str) -> QueryForm:
    """SELECT, ASK, CONSTRUCT or DESCRIBE; ParseError when the text is no query."""
    form = analyse(text).form
    if form is None:
        raise ParseError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE found")
    return form


def check_query(text: str, base_iri: str | None = None) -> Analysis:
    """Refuse what a query must not do here; returns the analysis (form, FROM graphs)."""
    found = analyse(text, base_iri)
    if found.has_service:
        raise Refused("SPARQL SERVICE is not allowed: this endpoint makes no outbound "
                         "requests (federated queries are refused)")
    if found.form is None:
        raise ParseError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE found")
    _refuse_file_iris(found.dataset_graphs, "FROM")
    return found


def check_update(text: str, base_iri: str | None = None) -> Analysis:
    """Refuse LOAD, SERVICE and file: IRIs in USING; returns the analysis."""
    found = analyse(text, base_iri)
    if found.has_load:
        raise Refused("SPARQL LOAD is not allowed: this endpoint fetches no remote or "
                         "local documents; upload data through the graph store instead")
    if found.has_service:
        raise Refused("SPARQL SERVICE is not allowed: this endpoint makes no outbound "
                         "requests")
    _refuse_file_iris(found.dataset_graphs, "USING")
    return found


def add_using(text: str, found: Analysis, dataset: Dataset | None) -> str:
    """Apply the protocol's ``using-graph-uri``/``using-named-graph-uri`` to an update.

    Each DELETE/INSERT … WHERE operation gets the graphs as USING / USING NAMED
    clauses, placed just before its WHERE. An update that already has WITH or USING
    and is given a protocol dataset is refused (SPARQL 1.1 Protocol §2.2.3).
    """
    if dataset is None or (dataset.default_graphs is None and dataset.named_graphs is None):
        return text
    if found.has_with or found.dataset_graphs:
        raise BadRequest("an update with WITH or USING cannot also be given "
                         "using-graph-uri or using-named-graph-uri")
    clauses = " ".join(
        [f"USING <{iri}>" for iri in dataset.default_graphs or ()]
        + [f"USING NAMED <{iri}>" for iri in dataset.named_graphs or ()]
    )
    inserts = []
    depth = 0
    previous: Token | None = None
    for token in found.tokens:
        if token.text == "{":
            depth += 1
        elif token.text == "}":
            depth -= 1
        elif depth == 0 and token.keyword == "WHERE" and previous is not None \
                and previous.text == "}":
            # WHERE right after a template closes: a Modify operation (DELETE WHERE is not)
            inserts.append(token.start)
        previous = token
    for position in reversed(inserts):
        text = f"{text[:position]}{clauses} {text[position:]}"
    return text


def _refuse_file_iris(iris: list[str], clause: str) -> None:
    for iri in iris:
        if iri.lower().startswith("file:"):
            raise Refused(f"{clause} <{iri}> is not allowed: this endpoint reads no local "
                             "files; name a graph of the store")


def _kind(tokens: list[Token], i: int) -> str:
    return tokens[i].kind if i < len(tokens) else ""


def _upper(tokens: list[Token], i: int) -> str:
    return tokens[i].keyword if i < len(tokens) else ""


def _iri_at(tokens: list[Token], i: int, prefixes: dict[str, str], base: str | None) -> str | None:
    if i >= len(tokens):
        return None
    token = tokens[i]
    if token.kind == "iri":
        return _resolve(_iri_text(token), base)
    if token.kind == "pname":
        prefix, _, local = token.text.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + local.replace("\\", "")
    return None


def _iri_text(token: Token) -> str:
    """The IRI an IRI token names, its codepoint escapes decoded as the engine does."""
    return _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), token.text[1:-1])


def _resolve(iri: str, base: str | None) -> str:
    return urljoin(base, iri) if base else iri
