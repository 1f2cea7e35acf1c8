"""The SPARQL policy's tokenizer (store/sparql_guard.py): the query form, refusals of
SERVICE and LOAD not allowed by the setting ``federation_endpoints`` and of ``file:``
FROM/USING in the spellings SPARQL allows, the SERVICE blocks and LOAD operations found for
federation, the graphs a query's dataset clauses name, and the protocol's using-graph-uri
added to an update."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from alliancegraph.errors import BadRequest, ParseError
from alliancegraph.store import Dataset, sparql_guard
from alliancegraph.store.sparql_guard import (
    Refused,
    add_using,
    check_query,
    check_update,
    load_allowed,
    read_prologue,
)

EX = "http://example.org/"


@pytest.mark.parametrize(("text", "form"), [
    ("SELECT * WHERE { ?s ?p ?o }", "SELECT"),
    ("prefix ex: <http://example.org/>\nask { ex:a ?p ?o }", "ASK"),
    ("# SELECT in a comment\nCONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
    ("BASE <http://example.org/> DESCRIBE <a>", "DESCRIBE"),
    ('ASK { ?s ?p "SELECT" }', "ASK"),
])
def test_the_query_form_is_the_first_form_keyword_outside_strings_and_comments(text, form):
    assert sparql_guard.query_form(text) == form


def test_text_without_a_query_form_is_a_parse_error():
    with pytest.raises(ParseError, match="not a SPARQL query"):
        sparql_guard.query_form("INSERT DATA { <a> <b> <c> }")
    with pytest.raises(ParseError):
        check_query('PREFIX ex: <http://example.org/> # SELECT\n"ASK"')


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "select * where { service silent <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SeRvIcE ?endpoint { ?s ?p ?o } }",
    "PREFIX ex: <http://example.org/>\nSELECT * WHERE { SERVICE ex:sparql { ?s ?p ?o } }",
    "SELECT * WHERE {SERVICE<http://example.org/sparql>{?s ?p ?o}}",
])
@pytest.mark.parametrize("endpoints", [(), ("http://example.org/other",)])
def test_service_is_refused_in_every_spelling(text, endpoints):
    with pytest.raises(Refused, match=r"^SPARQL SERVICE .* is not allowed") as caught:
        check_query(text, endpoints=endpoints)
    assert caught.value.status == 400
    assert "the setting federation_endpoints" in caught.value.message


def test_a_refused_service_names_the_endpoint_and_what_is_allowed():
    with pytest.raises(Refused) as caught:
        check_query("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
                    endpoints=("http://example.org/other",))
    assert "<http://example.org/sparql>" in caught.value.message
    assert "allowed: http://example.org/other" in caught.value.message
    with pytest.raises(Refused, match=r"SERVICE \?endpoint .* not a variable"):
        check_query("SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
                    endpoints=("http://example.org/sparql",))


ALLOWED = ("http://example.org/sparql",)


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "select * where { service silent <http://example.org/sparql> { ?s ?p ?o } }",
    "PREFIX ex: <http://example.org/>\nSELECT * WHERE { SERVICE ex:sparql { ?s ?p ?o } }",
    "BASE <http://example.org/a/b>\nSELECT * WHERE {SERVICE<../sparql>{?s ?p ?o}}",
    "SELECT * WHERE { SERVICE <http://example.org/\\u0073parql> { ?s ?p ?o } }",
])
def test_a_service_of_an_allowed_endpoint_is_found_in_every_spelling(text):
    found = check_query(text, endpoints=ALLOWED)
    [service] = found.services
    assert service.endpoint == ALLOWED[0]
    assert service.silent == ("silent" in text)
    assert service.body.strip() == "?s ?p ?o"
    assert service.variables == ("s", "p", "o")
    assert text[service.start:service.end].upper().startswith("SERVICE")
    assert text[service.start:service.end].endswith("}")


def test_a_service_block_is_found_whole_with_its_prologue():
    text = ('BASE <http://example.org/>\nPREFIX ex: <x/>\n'
            'SELECT * WHERE { ?a ex:p ?b . SERVICE <sparql> { ?b ex:q "}" . '
            '{ ?b ex:r ?c } # } a comment\n OPTIONAL { ?c ex:s $d } } ?b ex:t ?e }')
    [service] = check_query(text, endpoints=ALLOWED).services
    assert service.prologue == "BASE <http://example.org/>\nPREFIX ex: <x/>"
    assert service.body.startswith(' ?b ex:q "}" .') and service.body.endswith("$d } ")
    assert service.variables == ("b", "c", "d")
    assert text[service.end:] == " ?b ex:t ?e }"


def test_a_nested_service_is_refused_even_when_both_are_allowed():
    text = ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o "
            "SERVICE <http://example.org/sparql> { ?o ?p ?x } } }")
    with pytest.raises(Refused, match=r"inside SERVICE .* not nested"):
        check_query(text, endpoints=ALLOWED)


@pytest.mark.parametrize("text", [
    "SELECT * WHERE { SERVICE nope:x { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { { ?s ?p ?o }",
    "SELECT * WHERE { SERVICE { ?s ?p ?o } }",
])
def test_a_malformed_service_is_the_engines_syntax_error(text):
    with pytest.raises(ParseError):
        check_query(text, endpoints=ALLOWED)


@pytest.mark.parametrize("text", [
    'SELECT ("SERVICE" AS ?x) WHERE { <http://example.org/SERVICE> ?p ?o }',
    "# SERVICE <http://example.org/>\nSELECT * WHERE { ?service ?p ?o }",
    "SELECT * WHERE { ?s <http://example.org/LOAD> '''LOAD <file:///etc/passwd>''' }",
])
def test_keywords_inside_strings_iris_comments_or_variables_are_not_refused(text):
    assert check_query(text).form == "SELECT"


@pytest.mark.parametrize("text", [
    "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
    "SELECT * FROM<file:///etc/passwd>WHERE{?s ?p ?o}",
    "SELECT * FROM NAMED <FILE:///etc/passwd> WHERE { ?s ?p ?o }",
    "PREFIX f: <file:///etc/>\nSELECT * FROM f:passwd WHERE { ?s ?p ?o }",
    "PREFIX : <file:///etc/>\nSELECT * FROM :passwd WHERE { ?s ?p ?o }",
    "BASE <file:///etc/>\nSELECT * FROM <passwd> WHERE { ?s ?p ?o }",
    "SELECT * FROM # a comment between\n <file:///etc/passwd> WHERE { ?s ?p ?o }",
    # an IRI may spell any character as \\uXXXX; Oxigraph reads it as "file:"
    "SELECT * FROM <\\u0066ile:///etc/passwd> WHERE { ?s ?p ?o }",
])
def test_a_file_from_is_refused_in_every_spelling(text):
    with pytest.raises(Refused, match=r"reads no local files.*setting federation_endpoints"):
        check_query(text, endpoints=("file:///etc/",))


@pytest.mark.parametrize("call", [
    "<bif:http_get>('http://127.0.0.1:9/')",
    "bif:http_get('http://127.0.0.1:9/')",  # Virtuoso's own prefix, undeclared
    "b:http_get('x')",  # PREFIX b: <bif:>
    "s:DB_PROC(1)",  # PREFIX s: <sql:>
    "<BIF:contains>(?o, 'x')",
    "<\\u0062if:file_to_string>('/etc/passwd')",  # an escape the engine decodes
])
def test_a_servers_own_function_schemes_are_refused_in_every_spelling(call):
    prologue = "PREFIX b: <bif:>\nPREFIX s: <sql:>\n"
    with pytest.raises(Refused, match="own procedures"):
        check_query(f"{prologue}SELECT ({call} AS ?x) WHERE {{ ?s ?p ?o }}")
    with pytest.raises(Refused, match="own procedures"):
        check_update(f"{prologue}INSERT {{ <{EX}s> <{EX}p> ?x }} WHERE {{ ?s ?p ?o "
                     f"BIND({call} AS ?x) }}")


@pytest.mark.parametrize("text", [
    'SELECT * WHERE { ?s <urn:bif:x> "bif:http_get" }',  # another scheme; a string
    "SELECT * WHERE { ?s ?p <http://example.org/bif:x> } # <bif:x> in a comment",
])
def test_the_function_schemes_are_only_refused_as_iris(text):
    assert check_query(text).form == "SELECT"


def test_a_file_base_given_by_the_caller_counts_too():
    with pytest.raises(Refused):
        check_query("SELECT * FROM <passwd> WHERE { ?s ?p ?o }", "file:///etc/")


def test_the_dataset_graphs_are_found_resolved_against_prefixes_and_base():
    found = check_query(
        "BASE <http://example.org/base/>\nPREFIX ex: <http://example.org/>\n"
        "SELECT * FROM ex:g1 FROM <relative> FROM NAMED <http://example.org/g3> "
        "from named ex:g\\-4 WHERE { ?s ?p ?o }")
    assert found.default_graphs == [EX + "g1", EX + "base/relative"]
    assert found.named_graphs == [EX + "g3", EX + "g-4"]
    assert found.dataset_graphs == found.default_graphs + found.named_graphs
    assert check_query("SELECT * WHERE { ?s ?p ?o }", EX).dataset_graphs == []


def test_the_dataset_graphs_are_the_iris_the_engine_reads():
    """Whatever the spelling, the graph found is the one Oxigraph will select: otherwise
    the store's check that a FROM graph exists looks at another graph."""
    text = "SELECT ?o FROM <http://example.org/g\\u0031> WHERE { ?s ?p ?o }"
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.Literal("in g1"),
                      ox.NamedNode(EX + "g1")))
    assert [s["o"].value for s in store.query(text)] == ["in g1"]
    assert check_query(text).default_graphs == [EX + "g1"]


@pytest.mark.parametrize("text", [
    "LOAD <http://example.org/data.ttl>",
    "load silent <file:///etc/passwd> into graph <http://example.org/g>",
    "INSERT DATA { <a> <b> <c> } ;\nLoAd <http://example.org/x>",
])
def test_load_is_refused(text):
    with pytest.raises(Refused, match=r"^SPARQL LOAD <.*> is not allowed.*the setting "
                                      "federation_endpoints"):
        check_update(text, endpoints=("http://example.org/sparql",))


def test_load_of_an_allowed_iri_is_found_with_its_target_graph():
    text = ("PREFIX ex: <http://example.org/>\nINSERT DATA { ex:a ex:b ex:c } ;\n"
            "load silent <sparql?query=CONSTRUCT> into graph ex:g ; LOAD ex:sparql")
    first, second = check_update(text, EX, endpoints=ALLOWED).loads
    assert (first.source, first.silent, first.graph) == \
        ("http://example.org/sparql?query=CONSTRUCT", True, EX + "g")
    assert text[first.start:first.end] == "load silent <sparql?query=CONSTRUCT> into graph ex:g"
    assert (second.source, second.silent, second.graph) == (ALLOWED[0], False, None)


@pytest.mark.parametrize(("iri", "allowed"), [
    ("http://example.org/sparql", True),
    ("http://example.org/sparql?query=CONSTRUCT%20WHERE%20%7B%7D", True),
    ("http://example.org/sparql/data.ttl", True),
    ("http://example.org/sparql2", False),
    ("http://example.org/sparql.evil.example/x", False),
    ("http://example.org/spar", False),
    ("http://example.org/sparql/../admin", False),
    ("http://example.org/sparql/%2E%2E/admin", False),
    ("https://example.org/sparql", False),
    ("file:///etc/passwd", False),
])
def test_load_may_read_an_endpoint_or_an_iri_under_it(iri, allowed):
    assert load_allowed(iri, ALLOWED) is allowed


def test_service_and_file_using_are_refused_in_updates():
    with pytest.raises(Refused, match=r"SERVICE.*federation_endpoints"):
        check_update("INSERT { ?s ?p ?o } WHERE { SERVICE <http://example.org/> "
                     "{ ?s ?p ?o } }", endpoints=ALLOWED)
    allowed = check_update("INSERT { ?s ?p ?o } WHERE { SERVICE <http://example.org/sparql> "
                           "{ ?s ?p ?o } }", endpoints=ALLOWED)
    assert [s.endpoint for s in allowed.services] == list(ALLOWED)
    with pytest.raises(Refused, match="USING <file:///etc/passwd>"):
        check_update("INSERT { ?s ?p ?o } USING <file:///etc/passwd> WHERE { ?s ?p ?o }")
    found = check_update("DELETE { ?s ?p ?o } USING NAMED <http://example.org/g> "
                         "WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert found.named_graphs == [EX + "g"] and not found.has_with


MODIFY = "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }"


def test_add_using_puts_the_protocol_graphs_before_each_modify_where():
    text = (f"{MODIFY} ;\nINSERT DATA {{ <{EX}a> <{EX}b> <{EX}c> }} ;\n"
            f"DELETE WHERE {{ ?s ?p ?o }} ;\n{MODIFY}")
    dataset = Dataset(default_graphs=(EX + "g1",), named_graphs=(EX + "g2",))
    added = add_using(text, check_update(text), dataset)
    using = f"USING <{EX}g1> USING NAMED <{EX}g2> WHERE"
    assert added.count(using) == 2  # the two modify operations; DELETE WHERE has no USING
    assert added.replace(using, "WHERE") == text
    assert "DELETE WHERE { ?s ?p ?o }" in added
    ox.Store().update(added)  # still a valid update


def test_add_using_leaves_the_text_alone_without_a_protocol_dataset():
    assert add_using(MODIFY, check_update(MODIFY), None) == MODIFY
    assert add_using(MODIFY, check_update(MODIFY), Dataset(union_default=True)) == MODIFY


@pytest.mark.parametrize("text", [
    f"WITH <{EX}g> {MODIFY}",
    f"DELETE {{ ?s ?p ?o }} USING <{EX}g> WHERE {{ ?s ?p ?o }}",
])
def test_add_using_refuses_an_update_with_its_own_with_or_using(text):
    with pytest.raises(BadRequest, match="cannot also be given"):
        add_using(text, check_update(text), Dataset(default_graphs=(EX + "g1",)))


def test_tokens_keep_their_place_and_drop_comments():
    tokens = sparql_guard.tokenize('ASK # note\n{ ?s <http://x> "a}b"@en }')
    assert [(t.kind, t.text, t.start) for t in tokens] == [
        ("name", "ASK", 0), ("punct", "{", 11), ("var", "?s", 13),
        ("iri", "<http://x>", 16), ("string", '"a}b"', 27), ("lang", "@en", 32),
        ("punct", "}", 36)]
    assert tokens[0].keyword == "ASK" and tokens[2].keyword == ""


# ---------------------------------------------------------------------- the prologue reader


def prologue_of(text: str, start: int = 0) -> tuple[list[str], str]:
    """The declarations read from token ``start`` and the token after them ('' at the end)."""
    tokens = sparql_guard.tokenize(text)
    found, end = read_prologue(tokens, start)
    return [d.text for d in found], tokens[end].text if end < len(tokens) else ""


def test_the_prologue_reader_reads_base_and_prefixes_in_order():
    assert prologue_of("SELECT * {}") == ([], "SELECT")
    assert prologue_of("base <http://example.org/> ASK {}") == (
        ["BASE <http://example.org/>"], "ASK")
    text = "PREFIX ex: <x/>\n# a comment\nBASE <http://example.org/> prefix : <y#> SELECT"
    assert prologue_of(text) == (["PREFIX ex: <x/>", "BASE <http://example.org/>",
                                  "PREFIX : <y#>"], "SELECT")
    (declared,), _ = read_prologue(sparql_guard.tokenize("PREFIX ex: <x/>"))
    assert (declared.keyword, declared.name.text, declared.iri.text) == ("PREFIX", "ex:",
                                                                          "<x/>")
    assert prologue_of("PREFIX ex: <x/>") == (["PREFIX ex: <x/>"], "")


def test_the_prologue_reader_reads_declarations_between_update_operations():
    text = "PREFIX a: <a/> INSERT DATA { a:s a:p 1 } ; PREFIX b: <b/> BASE <c/> DELETE DATA {}"
    tokens = sparql_guard.tokenize(text)
    semicolon = next(i for i, t in enumerate(tokens) if t.text == ";")
    assert prologue_of(text, semicolon + 1) == (["PREFIX b: <b/>", "BASE <c/>"], "DELETE")
    # and analyse resolves what comes later against what came before
    found = sparql_guard.analyse("BASE <http://example.org/> PREFIX ex: <x/> "
                                 "SELECT * FROM ex:g WHERE {}")
    assert found.default_graphs == [EX + "x/g"]


@pytest.mark.parametrize(("text", "read", "stops_at"), [
    ("PREFIX ex <x/> SELECT", [], "PREFIX"),  # the name has no colon
    ("PREFIX ex:local <x/> SELECT", [], "PREFIX"),  # a prefixed name, not a prefix
    ("PREFIX ex: ex:x SELECT", [], "PREFIX"),  # no IRI
    ("BASE ex:x SELECT", [], "BASE"),
    ("PREFIX a: <a/> BASE", ["PREFIX a: <a/>"], "BASE"),  # cut short
])
def test_a_malformed_declaration_ends_the_prologue_for_the_engine_to_report(text, read,
                                                                           stops_at):
    assert prologue_of(text) == (read, stops_at)
