"""One family of project errors, each with a message and an HTTP status.

The library raises these; the service turns them into HTTP answers and the CLI into
exit codes. Nothing here imports Flask.
"""

from __future__ import annotations

import copy
import re


class AllianceGraphError(Exception):
    """Base class: a problem the user can act on."""

    status: int = 500
    spec: str | None = None

    def __init__(self, message: str, *, status: int | None = None, spec: str | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if spec is not None:
            self.spec = spec

    def __reduce__(self) -> tuple:
        # whole, attributes and all, across a process boundary (a backend may run the work
        # elsewhere); the default would call the class with the message alone
        return _rebuild, (type(self), self.args, self.__dict__)


def _rebuild(cls: type[AllianceGraphError], args: tuple, state: dict) -> AllianceGraphError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class ConfigError(AllianceGraphError):
    """A setting is missing, unknown or has a bad value."""

    status = 500


class BadRequest(AllianceGraphError):
    """The request or input is malformed (syntax error, bad parameter)."""

    status = 400


class ParseError(BadRequest):
    """RDF or SPARQL text that does not parse; carries where it failed.

    ``message`` is the parser's own text. pyoxigraph's SPARQL parser answers with the set of
    tokens it could have read (``expected one of LATERAL, SERVICE, ['A' ..= 'Z' | …], [_]``);
    that is shortened into :attr:`reason`, one readable line. Given ``text`` (the document
    that failed), the rendered :attr:`message` also quotes the offending line with a caret
    under the column, so a terminal and an HTTP error body show the same thing::

        1:23: prefix 'foo:' is not declared (add PREFIX foo: <…>)
          SELECT * WHERE { ?s a foo:State }
                                ^

    :attr:`detail` keeps the parser's message as given.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
        text: str | None = None,
    ):
        reason, line, column = _readable(message, text, line, column)
        super().__init__(_render(reason, source, line, column, text))
        self.source, self.line, self.column = source, line, column
        self.reason, self.detail, self.text = reason, message, text

    def moved(self, text: str, *, columns: int = 0) -> ParseError:
        """The same error told against ``text``, what the user wrote, when the parsed text
        had ``columns`` more characters in front of its first line (declarations the
        client added): same reason, column moved, excerpt from ``text``."""
        line, column = self.line, self.column
        if line == 1 and column is not None:
            column = max(1, column - columns)
        moved = copy.copy(self)
        moved.message = _render(self.reason, self.source, line, column, text)
        moved.args = (moved.message,)
        moved.line, moved.column, moved.text = line, column, text
        return moved


def _render(reason: str, source: str | None, line: int | None, column: int | None,
            text: str | None) -> str:
    where = ":".join(str(x) for x in (source, line, column) if x is not None)
    return (f"{where}: {reason}" if where else reason) + _excerpt(text, line, column)


# ---------------------------------------------------------------- ParseError's reason

#: one item of pyoxigraph's "expected one of …" list: a character class, a quoted token,
#: or a bare keyword or sentence ("Prefix not found")
_ITEM = re.compile(r"""\[(?:'(?:[^'\\]|\\.)*'|[^\]'])*\]|"(?:[^"\\]|\\.)*"|[^,\["][^,]*""")
#: the parser's own message: "expected one of A, B" or "expected A" (one class, token, keyword
#: or sentence); not a reason written here ("expected a number", "expected A or B")
_EXPECTED = re.compile(r"""(?:error\ at\ \d+:\d+:\ )?expected\ (?:one\ of\ (?P<items>.+)
                           |(?P<item>\[.*\]|".*"|[A-Z](?:(?!\ or\ )[^,])*))""",
                       re.DOTALL | re.VERBOSE)
#: quoted tokens the parser lists -> what to call them (None: noise, never a useful hint)
_TOKENS: dict[str, str | None] = {
    "?": "a variable", "$": "a variable", "<": "an IRI", ":": "a prefixed name",
    '"': "a string", "'": "a string", '"""': "a string", "'''": "a string",
    "_:": "a blank node", "[": "a blank node", "true": "a literal", "false": "a literal",
    "+": None, "-": None, "<<": None, "<<(": None, "{|": None, "~": None,
    "\\": None, "\\u": None, "\\U": None,
}
#: keywords the parser lists as artefacts of reading a name: built-in function names,
#: OPTIONAL (listed where it cannot follow), LATERAL and SERVICE (an Oxigraph extension,
#: and refused here anyway)
_NOISE_KEYWORDS = frozenset((
    "ABS", "AVG", "BNODE", "BOUND", "CEIL", "COALESCE", "CONCAT", "CONTAINS", "COUNT", "DATATYPE",
    "DAY", "ENCODE_FOR_URI", "EXISTS", "FLOOR", "GROUP_CONCAT", "HOURS", "IF", "IN", "IRI",
    "LANG", "LANGMATCHES", "LCASE", "MAX", "MD5", "MIN", "MINUTES", "MONTH", "NOT", "NOW",
    "PREDICATE", "RAND", "REGEX", "REPLACE", "ROUND", "SAMETERM", "SAMPLE", "SECONDS", "SHA1",
    "SHA256", "SHA384", "SHA512", "STR", "STRAFTER", "STRBEFORE", "STRDT", "STRENDS", "STRLANG",
    "STRLEN", "STRSTARTS", "STRUUID", "SUBJECT", "OBJECT", "SUBSTR", "SUM", "TIMEZONE", "TZ",
    "UCASE", "URI", "UUID", "YEAR", "isBLANK", "isIRI", "isLITERAL", "isNUMERIC", "isTRIPLE",
    "isURI", "LATERAL", "OPTIONAL", "SERVICE",
))
_NO_HINT = "syntax error here"
_NO_HINT_AT_END = "syntax error: the query ends before it is complete"
_PNAME_BEFORE = re.compile(r"(?P<prefix>[A-Za-z_\u00C0-\uFFFF][\w\-.\u00B7-\uFFFF]*)?:"
                           r"[\w\-.:%\\\u00B7-\uFFFF]*$")


def _readable(message: str, text: str | None, line: int | None,
              column: int | None) -> tuple[str, int | None, int | None]:
    """A one-line reason for ``message`` and the (possibly moved) position it names."""
    found = _EXPECTED.fullmatch(message.strip())
    if found is None and message not in (_NO_HINT, _NO_HINT_AT_END):
        return message, line, column  # prose already: the RDF parsers, our own checks
    # (a reason of ours without a hint, made without the text, e.g. by a server: the text
    # can still tell more)
    listed = "" if found is None else found.group("items") or found.group("item")
    items = [item.strip() for item in _ITEM.findall(listed)]
    sentences = [i for i in items if " " in i and not i.startswith(("[", '"'))]
    if "Prefix not found" in sentences:
        return _undeclared_prefix(text, line, column)
    if "IRI parsing failed" in sentences:  # before prefixes: `<http://a b>` reads as `http:`
        return "an IRI is not valid (IRIs hold no spaces, quotes, braces or '<>')", line, column
    undeclared = _first_undeclared_prefix(text) if text is not None else None
    if undeclared and (line is None or column is None or undeclared[1:] <= (line, column)):
        return undeclared  # reached by the parser, which often names something else then
    if sentences:
        return sentences[0][0].lower() + sentences[0][1:], line, column
    if {'"\\\\"', '"\\\\u"'} <= set(items):  # only a string's escapes fit: it never ends
        return "a string is not closed (no closing quote)", line, column
    hints = list(dict.fromkeys(h for h in map(_hint, items) if h))
    hints.sort(key=lambda h: h.isupper())  # what to write ("a variable") before keywords
    if {"an IRI", "a prefixed name", "a name"} & set(hints):
        name = "a prefixed name or IRI" if "an IRI" in hints else "a prefixed name"
        hints = [name if h in ("an IRI", "a prefixed name", "a name") else h for h in hints]
        hints = list(dict.fromkeys(hints))
    at_end = _at_end(text, line, column)
    if (at_end or not hints) and text is not None and (bracket := _unbalanced(text)):
        return bracket
    if not hints:
        return _NO_HINT_AT_END if at_end else _NO_HINT, line, column
    if len(hints) > 8:
        hints = [*hints[:7], "…"]
    listed = hints[0] if len(hints) == 1 else f"{', '.join(hints[:-1])} or {hints[-1]}"
    return (f"unexpected end of the query: expected {listed}" if at_end
            else f"expected {listed}"), line, column


def _hint(item: str) -> str | None:
    """What one expected item means to a person, or None for noise."""
    if item.startswith("["):
        if item == "[_]":  # "any character": the parser was inside a keyword or name
            return None
        return "a number" if item == "['0'..='9']" else "a name"
    if item.startswith('"'):
        token = item[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        return _TOKENS.get(token, f"'{token}'")
    return None if item in _NOISE_KEYWORDS else item


def _undeclared_prefix(text: str | None, line: int | None,
                       column: int | None) -> tuple[str, int | None, int | None]:
    """pyoxigraph reports an unknown prefix just after the prefixed name: name it and point
    at its start."""
    source_line = _line_of(text, line)
    if source_line is not None and column is not None:
        found = _PNAME_BEFORE.search(source_line[: column - 1])
        if found:
            prefix = found.group("prefix") or ""
            return (f"prefix '{prefix}:' is not declared (add PREFIX {prefix}: <…>)",
                    line, found.start() + 1)
    return "a prefix is not declared (add PREFIX name: <…>)", line, column


def _first_undeclared_prefix(text: str) -> tuple[str, int, int] | None:
    """The first prefixed name whose prefix the text does not declare, and where it is."""
    from alliancegraph.store.sparql_guard import tokenize  # it imports this module

    tokens = tokenize(text)
    declared = {tokens[i + 1].text[:-1] for i, t in enumerate(tokens[:-1])
                if t.keyword == "PREFIX" and tokens[i + 1].kind == "pname"}
    for token in tokens:
        prefix = token.text.partition(":")[0]
        if token.kind == "pname" and prefix != "_" and prefix not in declared:
            return (f"prefix '{prefix}:' is not declared (add PREFIX {prefix}: <…>)",
                    *_position(text, token.start))
    return None


def _unbalanced(text: str) -> tuple[str, int, int] | None:
    """The first bracket that is never closed or closes nothing, with its position."""
    from alliancegraph.store.sparql_guard import tokenize  # it imports this module

    closing = {"}": "{", ")": "(", "]": "["}
    stack = []
    for token in tokenize(text):
        if token.text in "{([":
            stack.append(token)
        elif token.text in closing:
            if not stack:
                return (f"'{token.text}' closes nothing", *_position(text, token.start))
            if stack[-1].text != closing[token.text]:
                break  # closed by the wrong bracket: the opener is the one to fix
            stack.pop()
    if stack:
        return (f"'{stack[-1].text}' is never closed", *_position(text, stack[-1].start))
    return None


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _line_of(text: str | None, line: int | None) -> str | None:
    lines = (text or "").split("\n")
    if text is None or line is None or not 1 <= line <= len(lines):
        return None
    return lines[line - 1].rstrip("\r")


def _at_end(text: str | None, line: int | None, column: int | None) -> bool:
    """Whether the position is past the last non-blank character of the text."""
    if text is None or line is None or column is None:
        return False
    lines = text.split("\n")
    rest = "\n".join([lines[line - 1][column - 1:], *lines[line:]]) if line <= len(lines) else ""
    return not rest.strip()


def _excerpt(text: str | None, line: int | None, column: int | None) -> str:
    """The line named, and a caret under the column (tabs kept, so it lines up)."""
    source_line = _line_of(text, line)
    if source_line is None or column is None:
        return ""
    at = min(max(column - 1, 0), len(source_line))
    start = max(0, at - 60)  # a long one-line query: show the 60 characters either side
    shown = source_line[start: at + 60]
    lead = "…" if start else ""
    pad = "".join(c if c == "\t" else " " for c in lead + shown[: at - start])
    return f"\n  {lead}{shown}{'…' if at + 60 < len(source_line) else ''}\n  {pad}^"


class Forbidden(AllianceGraphError):
    """The operation is refused by policy (remote IRI, file access, read-only)."""

    status = 403


class NotFound(AllianceGraphError):
    status = 404


class NotAcceptable(AllianceGraphError):
    status = 406


class PayloadTooLarge(AllianceGraphError):
    status = 413


class UnsupportedMediaType(AllianceGraphError):
    status = 415


class ValidationFailed(AllianceGraphError):
    """A write would leave the graph violating the shapes; carries the report."""

    status = 422

    def __init__(self, message: str, *, report: object | None = None):
        super().__init__(message)
        self.report = report


class QueryTimeout(AllianceGraphError):
    """A query ran over the configured time limit and was stopped."""

    status = 503


class RemoteServiceError(AllianceGraphError):
    """An allow-listed remote endpoint (SPARQL ``SERVICE``, ``LOAD``) failed: it answered an
    error, a redirect (never followed), something that is no SPARQL result, or too much."""

    status = 502


class RemoteServiceTimeout(AllianceGraphError):
    """An allow-listed remote endpoint did not answer within ``federation_timeout``."""

    status = 504


class ResultTooLarge(AllianceGraphError):
    """A result has more rows than the configured limit allows."""

    status = 413


class StoreUnavailable(AllianceGraphError):
    status = 503


class MemoryLimitExceeded(AllianceGraphError):
    """A query, validation or write needed more memory than the configured cap and was
    stopped; the service keeps serving."""

    status = 503


class EngineFailure(AllianceGraphError):
    """The engine crashed while evaluating this request (not the store being down): the
    process that ran it ended abnormally; the store is unaffected."""

    status = 500


class InternalError(AllianceGraphError):
    """A bug: logged with its traceback, answered without internals."""

    status = 500


class WriteConflict(AllianceGraphError):
    """Another write was committed since this one was validated (``if_generation`` no longer
    holds); nothing was written. The policy retries; a client sees 503 only when retries
    run out."""

    status = 503


class WriteTimeout(AllianceGraphError):
    """A write waited for the writer, or ran, longer than ``write_timeout``; nothing was
    written."""

    status = 503
