"""A small SPARQL tokenizer for what must be known before a query or update runs.

It finds the query form (for content negotiation), refuses what could make the store
reach outside the process (``SERVICE`` and ``LOAD`` unless their IRI is allowed by the
setting ``federation_endpoints``, ``FROM``/``USING`` with a ``file:`` IRI), finds each
``SERVICE`` block and ``LOAD`` operation (:class:`ServiceCall`, :class:`LoadCall`) for
:mod:`alliancegraph.store.federation` to evaluate, collects the graphs named by
``FROM``/``FROM NAMED``/``USING``/``USING NAMED`` so the store can check they exist, and adds
the protocol's ``using-graph-uri`` to an update.

Strings, IRIs and comments are skipped as whole tokens, so ``"SERVICE"`` in a literal,
``<http://x/LOAD>`` or ``# LOAD`` in a comment are not keywords. Syntax errors are left
to the engine: this is not a parser, it only reads the tokens that matter.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
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
  | (?P<pname>(?:[A-Za-z_\u00C0-\uFFFF][\w\-.\u00B7-\uFFFF]*)?:
              (?:[\w\-.:%\u00B7-\uFFFF]|\\[_~.\-!$&'()*+,;=/?\#@%])*)
  | (?P<name>[A-Za-z_\u00C0-\uFFFF][\w\-\u00B7-\uFFFF]*)
  | (?P<punct>\^\^|&&|\|\||!=|<=|>=|.)
    """,
    re.VERBOSE | re.DOTALL,
)

QUERY_FORMS: tuple[QueryForm, ...] = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
#: a codepoint escape, which the engine decodes inside IRIs (``<\u0066ile:…>`` is ``file:``)
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


class Refused(BadRequest):
    """A well-formed request this store refuses by policy (400): SERVICE or LOAD of an IRI
    the setting ``federation_endpoints`` does not allow, a ``file:`` IRI, FROM/USING of a
    graph the store does not hold."""

#: the setting refusals name (the one way to allow an outbound request)
SETTING = "federation_endpoints"
#: IRI schemes a SPARQL server maps to its own procedures: Virtuoso runs ``<bif:f>(…)`` as
#: its built-in ``f`` (``bif:http_get`` fetches any URL) and ``<sql:p>(…)`` as the stored
#: procedure ``DB.DBA.p``; an undeclared ``bif:f`` prefixed name is the same to it
ENGINE_SCHEMES = frozenset({"bif", "sql"})


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


@dataclass(frozen=True)
class Declaration:
    """One ``BASE <iri>`` or ``PREFIX name: <iri>`` of a prologue, as its tokens."""

    keyword: str  # "BASE" or "PREFIX"
    iri: Token
    #: the PREFIX's name token (``ex:``); None for BASE
    name: Token | None = None

    @property
    def text(self) -> str:
        """The declaration as written (the engine reads it again in front of a part)."""
        if self.name is None:
            return f"BASE {self.iri.text}"
        return f"PREFIX {self.name.text} {self.iri.text}"


def read_prologue(tokens: list[Token], start: int = 0) -> tuple[list[Declaration], int]:
    """The BASE and PREFIX declarations that follow one another from ``tokens[start]``, and
    the index of the first token after them. A malformed one (no IRI token, a PREFIX
    name that is not ``name:``) ends the prologue there: the engine reports it."""
    found: list[Declaration] = []
    i = start
    while i < len(tokens):
        word = tokens[i].keyword
        if word == "BASE" and _kind(tokens, i + 1) == "iri":
            found.append(Declaration("BASE", tokens[i + 1]))
            i += 2
        elif word == "PREFIX" and _kind(tokens, i + 1) == "pname" \
                and tokens[i + 1].text.endswith(":") and _kind(tokens, i + 2) == "iri":
            found.append(Declaration("PREFIX", tokens[i + 2], tokens[i + 1]))
            i += 3
        else:
            break
    return found, i


@dataclass(frozen=True)
class ServiceCall:
    """One ``SERVICE [SILENT] <endpoint> { … }`` block of a query or update, as written.

    Offsets are into the text: ``start`` is the SERVICE keyword, ``end`` just after the
    block's closing brace, ``body`` the text between its braces."""

    start: int
    end: int
    body: str
    #: the endpoint IRI (resolved against PREFIX and BASE); None for ``SERVICE ?var`` or a
    #: prefixed name whose prefix is not declared
    endpoint: str | None
    spelled: str  # the endpoint as written
    silent: bool
    #: the BASE and PREFIX declarations before the block, as written, in order
    prologue: str
    #: the names (no ``?``) of the variables the block mentions, in order
    variables: tuple[str, ...]


@dataclass(frozen=True)
class LoadCall:
    """One ``LOAD [SILENT] <source> [INTO GRAPH <g>]`` operation of an update; ``start`` and
    ``end`` are offsets into the text (the keyword, just after the last IRI)."""

    start: int
    end: int
    source: str | None  # None: a prefixed name whose prefix is not declared
    spelled: str
    silent: bool
    graph: str | None  # the INTO GRAPH target; None: the default graph


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
    services: list[ServiceCall] = field(default_factory=list)
    loads: list[LoadCall] = field(default_factory=list)
    #: a SERVICE or LOAD keyword not followed by what the grammar wants (a syntax error)
    malformed: bool = False
    #: IRIs in a server's own function namespaces (Virtuoso's ``bif:`` and ``sql:``)
    engine_functions: list[str] = field(default_factory=list)

    @property
    def dataset_graphs(self) -> list[str]:
        return self.default_graphs + self.named_graphs


def analyse(text: str, base_iri: str | None = None) -> Analysis:
    """Tokenize ``text`` and collect the form, dataset clauses and risky keywords."""
    tokens = tokenize(text)
    result = Analysis(tokens)
    prefixes: dict[str, str] = {}
    base = base_iri
    prologue: list[str] = []
    i = 0
    while i < len(tokens):
        declarations, after = read_prologue(tokens, i)
        for declared in declarations:
            base = _declare(declared, prefixes, base)
            prologue.append(declared.text)
        if declarations:
            i = after
            continue
        token = tokens[i]
        word = token.keyword
        if token.kind in ("iri", "pname"):
            iri = _iri_at(tokens, i, prefixes, base) or token.text
            if iri.split(":", 1)[0].lower() in ENGINE_SCHEMES:
                result.engine_functions.append(iri)
        if word in QUERY_FORMS and result.form is None:
            result.form = word  # type: ignore[assignment]
        elif word == "SERVICE":
            result.has_service = True
            service = _service_at(text, tokens, i, prefixes, base, "\n".join(prologue))
            if service is None:
                result.malformed = True
            else:
                result.services.append(service)
        elif word == "LOAD":
            result.has_load = True
            load = _load_at(tokens, i, prefixes, base)
            if load is None:
                result.malformed = True
            else:
                result.loads.append(load)
        elif word == "WITH":
            result.has_with = True
        elif word in ("FROM", "USING"):
            named = _upper(tokens, i + 1) == "NAMED"
            iri = _iri_at(tokens, i + 2 if named else i + 1, prefixes, base)
            if iri is not None:
                (result.named_graphs if named else result.default_graphs).append(iri)
        i += 1
    return result


def _declare(declared: Declaration, prefixes: dict[str, str], base: str | None) -> str | None:
    """Record a PREFIX in ``prefixes`` (its IRI resolved); the base in force after it."""
    iri = _resolve(_iri_text(declared.iri), base)
    if declared.name is None:
        return iri
    prefixes[declared.name.text[:-1]] = iri
    return base


def query_form(text: str) -> QueryForm:
    """SELECT, ASK, CONSTRUCT or DESCRIBE; ParseError when the text is no query."""
    form = analyse(text).form
    if form is None:
        raise ParseError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE found")
    return form


def check_query(text: str, base_iri: str | None = None,
                endpoints: Collection[str] = ()) -> Analysis:
    """Refuse what a query must not do here; returns the analysis (form, FROM graphs, the
    SERVICE blocks). ``endpoints``: the SERVICE endpoints allowed (exact IRIs)."""
    found = analyse(text, base_iri)
    if found.malformed:
        _syntax(text, base_iri, query=True)
    _refuse_services(found, endpoints)
    if found.form is None:
        raise ParseError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE found")
    _refuse_file_iris(found.dataset_graphs, "FROM")
    _refuse_engine_functions(found)
    return found


def check_update(text: str, base_iri: str | None = None,
                 endpoints: Collection[str] = ()) -> Analysis:
    """Refuse LOAD and SERVICE of IRIs ``endpoints`` does not allow (:func:`load_allowed`),
    and file: IRIs in USING; returns the analysis."""
    found = analyse(text, base_iri)
    if found.malformed:
        _syntax(text, base_iri, query=False)
    for load in found.loads:
        if load.source is None:
            _syntax(text, base_iri, query=False)
        if not load_allowed(load.source or "", endpoints):
            raise Refused(f"SPARQL LOAD <{load.source}> is not allowed: this endpoint reads "
                          f"documents only from under an endpoint listed in the setting "
                          f"{SETTING} ({_listed(endpoints)}); upload data through the graph "
                          "store instead")
    _refuse_services(found, endpoints)
    _refuse_file_iris(found.dataset_graphs, "USING")
    _refuse_engine_functions(found)
    return found


def load_allowed(iri: str, endpoints: Collection[str]) -> bool:
    """Whether LOAD may read ``iri``: an allowed endpoint itself, or an IRI under one (the
    endpoint followed by ``?`` or ``/``, such as a CONSTRUCT query in its query string)."""
    for endpoint in endpoints:
        if iri == endpoint or iri.startswith(endpoint + "?"):
            return True
        under = endpoint.rstrip("/") + "/"
        if iri.startswith(under):
            # a client removes dot segments: <endpoint/../admin> would leave the endpoint
            path = re.split(r"[?#]", iri[len(under):], maxsplit=1)[0]
            return not any(part.lower() in (".", "..", "%2e", "%2e%2e", ".%2e", "%2e.")
                           for part in path.split("/"))
    return False


def _refuse_services(found: Analysis, endpoints: Collection[str]) -> None:
    for service in found.services:
        if service.endpoint is None:
            raise Refused(f"SPARQL SERVICE {service.spelled} is not allowed: the endpoint "
                          "must be an IRI listed in the setting "
                          f"{SETTING} ({_listed(endpoints)}), not a variable")
        if service.endpoint not in endpoints:
            raise Refused(f"SPARQL SERVICE <{service.endpoint}> is not allowed: that "
                          f"endpoint is not listed in the setting {SETTING} "
                          f"({_listed(endpoints)}); no request was made")
        outer = next((other for other in found.services
                      if other.start < service.start < other.end), None)
        if outer is not None:
            raise Refused(f"SPARQL SERVICE <{service.endpoint}> inside SERVICE "
                          f"<{outer.endpoint}> is not allowed: a federated query calls "
                          f"endpoints of the setting {SETTING} one at a time, not nested")


def _listed(endpoints: Collection[str]) -> str:
    return "allowed: " + " ".join(endpoints) if endpoints else "it is empty"


def _syntax(text: str, base_iri: str | None, *, query: bool) -> None:
    """The engine's ParseError for a text whose SERVICE or LOAD does not parse; a Refused
    if the engine reads it after all (this tokenizer must never be more lenient)."""
    from alliancegraph.store import engine

    (engine.check_query_syntax if query else engine.check_update_syntax)(text, base_iri)
    raise Refused("SPARQL SERVICE or LOAD is not allowed in this spelling: write the "
                  f"endpoint as an IRI listed in the setting {SETTING}")


def _service_at(text: str, tokens: list[Token], i: int, prefixes: dict[str, str],
                base: str | None, prologue: str) -> ServiceCall | None:
    """The SERVICE block whose keyword is ``tokens[i]``; None when it is malformed."""
    j = i + 1
    silent = _upper(tokens, j) == "SILENT"
    j += silent
    if _kind(tokens, j) not in ("iri", "pname", "var") or _text(tokens, j + 1) != "{":
        return None
    endpoint = None if tokens[j].kind == "var" else _iri_at(tokens, j, prefixes, base)
    close = closing(tokens, j + 1)
    if close is None or (endpoint is None and tokens[j].kind != "var"):
        return None  # unbalanced braces, an undeclared prefix: the engine says which
    inside = tokens[j + 2:close]
    names = dict.fromkeys(t.text[1:] for t in inside if t.kind == "var")
    return ServiceCall(start=tokens[i].start, end=tokens[close].start + 1,
                       body=text[tokens[j + 1].start + 1:tokens[close].start],
                       endpoint=endpoint, spelled=tokens[j].text, silent=silent,
                       prologue=prologue, variables=tuple(names))


def _load_at(tokens: list[Token], i: int, prefixes: dict[str, str],
             base: str | None) -> LoadCall | None:
    """The LOAD operation whose keyword is ``tokens[i]``; None when it is malformed."""
    j = i + 1
    silent = _upper(tokens, j) == "SILENT"
    j += silent
    if _kind(tokens, j) not in ("iri", "pname"):
        return None
    source, spelled, last, graph = _iri_at(tokens, j, prefixes, base), tokens[j].text, j, None
    if _upper(tokens, j + 1) == "INTO":
        if _upper(tokens, j + 2) != "GRAPH" or _kind(tokens, j + 3) not in ("iri", "pname"):
            return None
        graph, last = _iri_at(tokens, j + 3, prefixes, base), j + 3
        if graph is None:
            return None
    end = tokens[last].start + len(tokens[last].text)
    return LoadCall(start=tokens[i].start, end=end, source=source, spelled=spelled,
                    silent=silent, graph=graph)


def closing(tokens: list[Token], i: int) -> int | None:
    """The index of the ``}`` that closes the ``{`` at ``tokens[i]``."""
    depth = 0
    for k in range(i, len(tokens)):
        if tokens[k].text == "{" and tokens[k].kind == "punct":
            depth += 1
        elif tokens[k].text == "}" and tokens[k].kind == "punct":
            depth -= 1
            if depth == 0:
                return k
    return None


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
                          "files; name a graph of the store (remote data is reached only "
                          f"through SERVICE to an endpoint listed in the setting {SETTING})")


def _refuse_engine_functions(found: Analysis) -> None:
    if found.engine_functions:
        iri = found.engine_functions[0]
        raise Refused(f"<{iri}> is not allowed: IRIs of the schemes "
                      f"{', '.join(sorted(s + ':' for s in ENGINE_SCHEMES))} name a SPARQL "
                      "server's own procedures (Virtuoso's built-ins can read files and fetch "
                      "URLs), which no request may call")


def _kind(tokens: list[Token], i: int) -> str:
    return tokens[i].kind if i < len(tokens) else ""


def _upper(tokens: list[Token], i: int) -> str:
    return tokens[i].keyword if i < len(tokens) else ""


def _text(tokens: list[Token], i: int) -> str:
    return tokens[i].text if i < len(tokens) else ""


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
