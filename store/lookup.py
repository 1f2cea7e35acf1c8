"""Queries proven cheap from their tokens: one triple pattern, nothing that sorts, groups,
joins or follows a path; or the DESCRIBE of one resource.

Such a query reads one index range of the store and streams it, so answering it costs in
proportion to the rows it returns; cut at a few rows more than it may return, it cannot
run away. The embedded backend answers these in the serving thread instead of sending
them to a reader process (:mod:`alliancegraph.store.embedded`), which is most of the cost
of a point lookup.

The test is on the tokens of :func:`alliancegraph.store.sparql_guard.tokenize`, read as
the grammar's ``SelectQuery``/``AskQuery`` with a ``WhereClause`` of one ``TriplesBlock`` of
one triple, or a ``DescribeQuery`` of one IRI and nothing else (Oxigraph streams the
description, blank nodes followed, and stops when the reader stops); anything else (a
FILTER, a number, a path, a second pattern, DISTINCT, ORDER BY, FROM, OFFSET …) is not
proven and goes the usual way.
"""

from __future__ import annotations

from collections.abc import Sequence

from alliancegraph.store.sparql_guard import Token, read_prologue, tokenize

#: term kinds that may stand in a triple pattern as one token
_TERM = frozenset({"iri", "pname", "var"})


def is_bounded_lookup(text: str) -> bool:
    """Whether ``text`` is a SELECT or ASK over one triple pattern without modifiers (but
    ``LIMIT``), or a DESCRIBE of one IRI, so that its cost is bounded by the rows it
    returns."""
    tokens = tokenize(text)
    _, at = read_prologue(tokens)
    if at >= len(tokens):
        return False
    form = tokens[at].keyword
    if form == "DESCRIBE":  # one resource: its description streams, cut at the row limit
        return len(tokens) == at + 2 and tokens[at + 1].kind in ("iri", "pname")
    if form == "SELECT":
        at = _projection(tokens, at + 1)
    elif form == "ASK":
        at += 1
    else:
        return False
    if at is None:
        return False
    if at < len(tokens) and tokens[at].keyword == "WHERE":
        at += 1
    end = _one_pattern(tokens, at)
    return end is not None and _only_limit(tokens, end)


def _projection(tokens: Sequence[Token], at: int) -> int | None:
    """Past ``*`` or plain variables; None for DISTINCT, expressions or nothing."""
    if at < len(tokens) and tokens[at].text == "*":
        return at + 1
    start = at
    while at < len(tokens) and tokens[at].kind == "var":
        at += 1
    return at if at > start else None


def _one_pattern(tokens: Sequence[Token], at: int) -> int | None:
    """Past ``{ s p o [.] }`` whose variables all differ (``?x ?p ?x`` scans everything to
    return a few rows); None otherwise."""
    if at >= len(tokens) or tokens[at].text != "{":
        return None
    at += 1
    names: list[str] = []
    for position in ("subject", "predicate", "object"):
        at = _term(tokens, at, position, names)
        if at is None:
            return None
    if at < len(tokens) and tokens[at].text == ".":
        at += 1
    if at >= len(tokens) or tokens[at].text != "}":
        return None
    return at + 1 if len(set(names)) == len(names) else None


def _term(tokens: Sequence[Token], at: int, position: str, names: list[str]) -> int | None:
    if at >= len(tokens):
        return None
    token = tokens[at]
    if token.kind in _TERM:
        if token.kind == "var":
            names.append(token.text[1:])
        return at + 1
    if position == "predicate" and token.text == "a":
        return at + 1
    if position == "object" and token.kind == "string":
        return _after_literal(tokens, at + 1)
    return None


def _after_literal(tokens: Sequence[Token], at: int) -> int | None:
    if at < len(tokens) and tokens[at].kind == "lang":
        return at + 1
    if at < len(tokens) and tokens[at].text == "^^":
        if at + 1 < len(tokens) and tokens[at + 1].kind in ("iri", "pname"):
            return at + 2
        return None
    return at


def _only_limit(tokens: Sequence[Token], at: int) -> bool:
    """Nothing after the pattern but an optional ``LIMIT`` and its digits."""
    if at == len(tokens):
        return True
    if tokens[at].keyword != "LIMIT" or at + 1 == len(tokens):
        return False
    return all(token.text.isdigit() for token in tokens[at + 1:])
