"""The error family (errors.py): each error's HTTP status, ParseError's one readable reason
with the offending line and a caret under the column, ``moved`` for text the user did not
write, and errors that cross a process boundary whole (``__reduce__``)."""

from __future__ import annotations

import pickle
import re

import pyoxigraph as ox
import pytest
from alliancegraph import errors
from alliancegraph.errors import (
    AllianceGraphError,
    BadRequest,
    ParseError,
    QueryTimeout,
    ValidationFailed,
)


def oxigraph_error(text: str) -> ParseError:
    """The ParseError for what pyoxigraph's own parser says about ``text`` (its message
    starts "error at L:C: ")."""
    with pytest.raises(SyntaxError) as caught:
        ox.Store().query(text)
    found = re.match(r"error at (\d+):(\d+): (.*)", caught.value.msg, re.DOTALL)
    assert found, caught.value.msg
    return ParseError(found.group(3), line=int(found.group(1)), column=int(found.group(2)),
                      text=text)


def test_every_error_has_an_http_error_status():
    family = [c for c in vars(errors).values()
              if isinstance(c, type) and issubclass(c, AllianceGraphError)]
    assert len(family) > 10
    for cls in family:
        assert 400 <= cls("x").status <= 599, cls
    assert ParseError("x").status == BadRequest.status == 400  # bad input is a 4xx
    custom = AllianceGraphError("x", status=409, spec="https://example.org/spec")
    assert (custom.status, custom.spec, AllianceGraphError("x").status) == (
        409, "https://example.org/spec", 500)


def test_an_undeclared_prefix_is_named_and_pointed_at():
    error = oxigraph_error("SELECT * WHERE { ?s a foo:State }")
    assert error.message == ("1:23: prefix 'foo:' is not declared (add PREFIX foo: <…>)\n"
                             "  SELECT * WHERE { ?s a foo:State }\n"
                             "                        ^")
    assert (error.line, error.column) == (1, 23)  # the start of foo:, not where Oxigraph stopped
    assert error.detail.startswith("expected one of Prefix not found")


@pytest.mark.parametrize(("text", "reason", "place"), [
    ('SELECT * WHERE { ?s ?p "abc }', "a string is not closed (no closing quote)", (1, 30)),
    ("SELECT * WHERE { ?s ?p ?o } }", "'}' closes nothing", (1, 29)),
    ("SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o = }", "'(' is never closed", (3, 9)),
    ("ASK { <http://example.org/a b> ?p ?o }",
     "an IRI is not valid (IRIs hold no spaces, quotes, braces or '<>')", None),
])
def test_a_syntax_error_gets_one_readable_reason(text, reason, place):
    error = oxigraph_error(text)
    assert error.reason == reason
    if place is not None:
        assert (error.line, error.column) == place


def test_parse_error_messages_are_plain_text_without_the_text_too():
    raw = ("expected one of Prefix not found, ['%'], ['-' | '0' ..= '9' | '\\u{00B7}'], ['.'], "
           "[':'], ['A' ..= 'Z' | 'a' ..= 'z' | '\\u{00C0}'..='\\u{00D6}'\n| '\\u{00D8}'], ['_']")
    error = ParseError(raw, line=1, column=31)
    assert error.message == "1:31: a prefix is not declared (add PREFIX name: <…>)"
    assert error.detail == raw and error.status == 400
    classes = ParseError("expected one of \"$\", \"(\", \":\", \"<\", \"?\", ['A' ..= 'Z' | "
                         "'a' ..= 'z'], [_]", line=2, column=5)
    assert classes.reason == "expected a variable, '(' or a prefixed name or IRI"
    turtle = ParseError("Parser error at line 3 between columns 7 and 11: A dot is expected",
                        source="bad.ttl", line=3, column=7)
    assert turtle.message == ("bad.ttl:3:7: Parser error at line 3 between columns 7 and 11: "
                              "A dot is expected")


def test_the_excerpt_keeps_tabs_so_the_caret_lines_up():
    error = ParseError("a reason", line=2, column=3, text="ASK {\n\t\tx }")
    assert error.message == "2:3: a reason\n  \t\tx }\n  \t\t^"


def test_a_long_line_is_shown_around_the_column():
    text = "SELECT * WHERE { " + "?s ?p ?o . " * 20 + "BAD " + "?s ?p ?o . " * 20 + "}"
    column = text.index("BAD") + 1
    error = ParseError("a reason", line=1, column=column, text=text)
    _, shown, caret = error.message.split("\n")
    assert shown.startswith("  …") and shown.endswith("…")
    assert len(shown) == 2 + 1 + 120 + 1  # 60 characters either side, and the two ellipses
    assert shown[caret.index("^"):].startswith("BAD")


def test_without_the_text_the_message_is_one_line_with_its_place():
    assert ParseError("A dot is expected", source="data.ttl", line=3, column=7).message == (
        "data.ttl:3:7: A dot is expected")
    assert ParseError("no place at all").message == "no place at all"
    # a line number past the text shows no excerpt rather than a wrong line
    assert ParseError("x", line=9, column=1, text="ASK {}").message == "9:1: x"


def test_moved_tells_the_error_against_what_the_user_wrote():
    added = "PREFIX ex: <http://example.org/> "
    wrote = "SELECT * WHERE { ?s a foo:State }"
    error = oxigraph_error(added + wrote)
    moved = error.moved(wrote, columns=len(added))
    assert moved.message == ("1:23: prefix 'foo:' is not declared (add PREFIX foo: <…>)\n"
                             f"  {wrote}\n" + " " * 24 + "^")
    assert (moved.line, moved.column, moved.text, moved.args) == (
        1, 23, wrote, (moved.message,))
    assert error.column == 23 + len(added) and error.text == added + wrote  # left as it was
    below = ParseError("a reason", line=2, column=4, text="PREFIX a: <x>\nASK ]")
    assert below.moved("PREFIX a: <x>\nASK ]", columns=99).column == 4  # other lines stay


@pytest.mark.parametrize("error", [
    ParseError("a reason", source="q.rq", line=2, column=3, text="ASK {\n  ] }"),
    ValidationFailed("the write breaks 2 shapes", report={"violations": 2}),
    QueryTimeout("stopped after 10 s", status=504, spec="https://example.org/limits"),
    BadRequest("plain"),
], ids=lambda e: type(e).__name__)
def test_an_error_crosses_a_process_boundary_whole(error):
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error)
    assert back.args == error.args and str(back) == str(error)
    assert vars(back) == vars(error)  # message, status, spec, line, column, report …


def test_a_pickled_parse_error_keeps_its_place_and_its_excerpt():
    error = oxigraph_error("SELECT * WHERE { ?s a foo:State }")
    back = pickle.loads(pickle.dumps(error))
    assert (back.line, back.column, back.reason, back.detail, back.message) == (
        error.line, error.column, error.reason, error.detail, error.message)
    assert back.moved("x", columns=0).reason == error.reason  # still a working ParseError
