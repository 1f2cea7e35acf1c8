"""The embedded store: queries in killable children, atomic writes, the security policy."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph.errors import (
    BadRequest,
    EngineFailure,
    MemoryLimitExceeded,
    NotAcceptable,
    NotFound,
    ParseError,
    QueryTimeout,
    ResultTooLarge,
    StoreUnavailable,
    UnsupportedMediaType,
    ValidationFailed,
)
from alliancegraph.store import Dataset, limits, sparql_guard
from alliancegraph.store.embedded import EmbeddedStore

BASE = "http://example.org/"
G1, G2 = BASE + "g1", BASE + "g2"
JSON = "application/sparql-results+json"
TTL = "text/turtle"


def _two_graphs(data_dir: Path) -> EmbeddedStore:
    store = EmbeddedStore(data_dir, query_timeout=10, max_rows=50, base_iri=BASE)
    store.put_graph(G1, b'<a> <p> "one" . <a> <q> <b> .', media_type=TTL)
    store.put_graph(G2, b'<c> <p> "two" .', media_type=TTL)
    return store


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    """A store for tests that write."""
    return _two_graphs(tmp_path / "data")


@pytest.fixture(scope="module")
def reader(tmp_path_factory) -> EmbeddedStore:
    """The same content, shared by the tests that only read."""
    return _two_graphs(tmp_path_factory.mktemp("reader") / "data")


def select(store: EmbeddedStore, sparql: str, **options) -> list[dict]:
    outcome = store.query(sparql, media_type=JSON, **options)
    rows = json.loads(outcome.body)["results"]["bindings"]
    assert outcome.count == len(rows)
    return [{k: v["value"] for k, v in row.items()} for row in rows]


def ask(store: EmbeddedStore, sparql: str, **options) -> bool:
    return json.loads(store.query(sparql, media_type=JSON, **options).body)["boolean"]


def triples(store: EmbeddedStore, name: str | None) -> set[str]:
    body = store.get_graph(name, media_type="application/n-triples").decode()
    return {line for line in body.splitlines() if line}


# ---------------------------------------------------------------------- queries


def test_select_sees_the_union_of_all_graphs_by_default(reader):
    rows = select(reader, "SELECT ?o WHERE { ?s <p> ?o } ORDER BY ?o")
    assert rows == [{"o": "one"}, {"o": "two"}]


def test_result_formats_follow_the_media_type(reader):
    csv = reader.query('SELECT ?o WHERE { ?s <p> ?o } ORDER BY ?o', media_type="text/csv")
    assert csv.form == "SELECT" and csv.body == b"o\r\none\r\ntwo\r\n" and csv.count == 2
    xml = reader.query("ASK { <a> <p> ?o }", media_type="application/sparql-results+xml")
    assert xml.form == "ASK" and b"<boolean>true</boolean>" in xml.body
    turtle = reader.query("CONSTRUCT { ?s <r> ?o } WHERE { ?s <p> ?o }", media_type=TTL)
    graph = {str(t) for t in ox.parse(turtle.body, ox.RdfFormat.TURTLE)}
    assert turtle.form == "CONSTRUCT" and turtle.count == 2 and len(graph) == 2
    described = reader.query("DESCRIBE <a>", media_type="application/n-triples")
    assert described.form == "DESCRIBE" and described.count == 2


def test_a_media_type_that_does_not_fit_the_form_is_not_acceptable(reader):
    with pytest.raises(NotAcceptable):
        reader.query("SELECT * WHERE { ?s ?p ?o }", media_type=TTL)
    with pytest.raises(NotAcceptable):
        reader.query("CONSTRUCT WHERE { ?s ?p ?o }", media_type=JSON)
    with pytest.raises(NotAcceptable):
        reader.query("ASK {}", media_type="text/csv")


def test_protocol_dataset_picks_graphs_and_overrides_from(reader):
    assert select(reader, "SELECT ?o WHERE { ?s <p> ?o }",
                  dataset=Dataset(default_graphs=(G2,))) == [{"o": "two"}]
    assert select(reader, f"SELECT ?o FROM <{G1}> WHERE {{ ?s <p> ?o }}",
                  dataset=Dataset(default_graphs=(G2,))) == [{"o": "two"}]
    rows = select(reader, "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                  dataset=Dataset(named_graphs=(G1,)))
    assert {r["g"] for r in rows} == {G1}
    # only named graphs given: the default graph is empty
    assert select(reader, "SELECT * WHERE { ?s ?p ?o }",
                  dataset=Dataset(named_graphs=(G1,))) == []


def test_protocol_dataset_naming_an_unknown_graph_is_an_empty_graph(reader):
    unknown = Dataset(default_graphs=(BASE + "data0.rdf",))
    assert ask(reader, "ASK {}", dataset=unknown) is True
    assert select(reader, "SELECT * WHERE { ?s ?p ?o }", dataset=unknown) == []


def test_from_selects_a_stored_graph(reader):
    assert select(reader, f"SELECT ?o FROM <{G1}> WHERE {{ ?s <p> ?o }}") == [{"o": "one"}]
    assert select(reader, "PREFIX ex: <http://example.org/> "
                         "SELECT ?o FROM NAMED ex:g2 WHERE { GRAPH ?g { ?s <p> ?o } }") \
        == [{"o": "two"}]


@pytest.mark.parametrize("clause", [
    "FROM <http://example.org/nowhere>",
    "FROM NAMED <http://example.org/nowhere>",
    "FROM <file:///etc/passwd>",
    "FROM <nowhere>",  # relative: resolved against the base, still no such graph
])
def test_from_naming_no_stored_graph_is_refused(reader, clause):
    with pytest.raises(BadRequest) as error:
        reader.query(f"SELECT * {clause} WHERE {{ ?s ?p ?o }}", media_type=JSON)
    assert error.value.status == 400
    assert "FROM <" in error.value.message


@pytest.mark.parametrize("sparql", [
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "select * where { service silent <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o . SERVICE ?endpoint { ?s ?p ?o } }",
])
def test_service_is_refused_in_queries(reader, sparql):
    with pytest.raises(sparql_guard.Refused) as error:
        reader.query(sparql, media_type=JSON)
    assert error.value.status == 400 and "SERVICE" in error.value.message


def test_keywords_inside_literals_iris_and_comments_are_not_refused(reader):
    rows = select(reader, 'SELECT ?x WHERE { BIND("SERVICE LOAD FROM <file:///x>" AS ?x) '
                         "?s <http://example.org/SERVICE> ?o } # SERVICE <http://evil/>\n")
    assert rows == []
    assert ask(reader, "ASK { BIND('''FROM <file:///etc/passwd>''' AS ?x) }") is True


def test_syntax_error_names_line_and_column(reader):
    with pytest.raises(ParseError) as error:
        reader.query("SELECT ?s\nWHERE { ?s ?p }", media_type=JSON)
    assert error.value.status == 400
    # the engine's own position (it points just past where the parser gave up)
    assert error.value.line == 2 and isinstance(error.value.column, int)
    message = error.value.message
    assert message.startswith(f"2:{error.value.column}: ")
    # a readable reason, then the line with a caret under the column
    reason, excerpt, caret = message.splitlines()
    assert "[_]" not in reason and "LATERAL" not in reason
    assert excerpt.strip() == "WHERE { ?s ?p }" and caret.strip() == "^"


def test_text_that_is_no_query_is_a_parse_error(reader):
    with pytest.raises(ParseError):
        reader.query_form("INSERT DATA { <a> <b> <c> }")
    assert reader.query_form("PREFIX s: <http://x/select#> # SELECT\n DESCRIBE s:a") == "DESCRIBE"


def test_results_over_the_row_limit_are_refused_not_truncated(tmp_path):
    store = EmbeddedStore(tmp_path, query_timeout=10, max_rows=3, base_iri=BASE)
    store.put_graph(None, b"<a> <p> 1, 2, 3 . <b> <p> 4 .", media_type=TTL)
    assert len(select(store, "SELECT * WHERE { ?s ?p ?o } LIMIT 3")) == 3
    for sparql, media in (("SELECT * WHERE { ?s ?p ?o }", JSON),
                          ("CONSTRUCT WHERE { ?s ?p ?o }", TTL)):
        with pytest.raises(ResultTooLarge) as error:
            store.query(sparql, media_type=media)
        assert error.value.status == 413 and "more than 3" in error.value.message


def test_a_long_query_is_killed_at_the_time_limit_and_the_store_still_works(tmp_path):
    store = EmbeddedStore(tmp_path, query_timeout=1, max_rows=10, base_iri=BASE)
    data = "".join(f"<s{i}> <p> {i} .\n" for i in range(3000)).encode()
    store.put_graph(None, data, media_type=TTL)
    started = time.monotonic()
    with pytest.raises(QueryTimeout) as error:
        store.query("SELECT ?a ?b WHERE { ?a <p> ?x . ?b <p> ?y } ORDER BY ?x ?y LIMIT 1",
                    media_type=JSON)
    assert error.value.status == 503
    assert time.monotonic() - started < 5
    assert select(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == [{"n": "3000"}]
    store.update("INSERT DATA { <after> <p> 1 }")  # the killed reader left no lock behind
    assert store.count() == 3001


def test_an_engine_crash_is_its_own_error_and_the_store_stays_available(reader,
                                                                       sort_panic_query):
    """pyoxigraph 0.5.13 aborts on some ORDER BY (a Rust sort panic): the query gets an
    EngineFailure (500) naming the query's fingerprint, not "store unavailable"."""
    with pytest.raises(EngineFailure) as error:
        reader.query(sort_panic_query, media_type=JSON)
    assert error.value.status == 500
    assert limits.fingerprint(sort_panic_query) in error.value.message
    assert "ORDER BY" in error.value.message  # and how to write it so it runs
    assert ask(reader, "ASK { ?s ?p ?o }") is True


def test_a_huge_union_that_crashes_the_engine_is_an_engine_failure(reader):
    union = " UNION ".join(f"{{ BIND({i} AS ?x) }}" for i in range(10_000))
    with pytest.raises(EngineFailure, match="the store is unaffected"):
        reader.query(f"SELECT ?x WHERE {{ {union} }}", media_type=JSON)
    assert ask(reader, "ASK { ?s ?p ?o }") is True


def test_a_query_over_the_memory_cap_is_stopped_and_the_store_still_works(tmp_path):
    store = EmbeddedStore(tmp_path, query_timeout=30, max_rows=10, base_iri=BASE,
                          max_memory_mb=256)
    data = "".join(f"<s{i}> <p> {i} .\n" for i in range(3000)).encode()
    store.put_graph(None, data, media_type=TTL)
    with pytest.raises(MemoryLimitExceeded, match="setting max_memory_mb") as error:
        store.query("SELECT ?a ?b WHERE { ?a <p> ?x . ?b <p> ?y } ORDER BY ?x ?y LIMIT 1",
                    media_type=JSON)
    assert error.value.status == 503
    assert select(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == [{"n": "3000"}]


def test_a_store_that_cannot_be_opened_says_so_without_its_paths(tmp_path, caplog):
    store = EmbeddedStore(tmp_path, query_timeout=10, max_rows=10, base_iri=BASE)
    store.update("INSERT DATA { <a> <p> 1 }")
    (store.path / "CURRENT").write_text("MANIFEST-999999\n")  # names a file that is not there
    with pytest.raises(StoreUnavailable) as error:
        store.count()
    assert str(tmp_path) not in error.value.message
    assert "oxigraph" not in error.value.message.lower().replace("storage engine", "")


def test_a_reader_waits_while_the_store_is_locked_for_writing(reader):
    with open(reader.lock_path, "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        fast = EmbeddedStore(reader.data_dir, query_timeout=0.5, max_rows=5, base_iri=BASE)
        with pytest.raises(QueryTimeout):
            fast.query("ASK {}", media_type=JSON)
        fcntl.flock(lock, fcntl.LOCK_UN)
    assert ask(reader, "ASK {}") is True


def test_the_calling_process_keeps_no_store_file_open(store):
    store.query("SELECT * WHERE { ?s ?p ?o }", media_type=JSON)
    store.update("INSERT DATA { <x> <y> <z> }")
    store.get_graph(G1, media_type=TTL)
    opened = [os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
              if os.path.exists(f"/proc/self/fd/{fd}")]
    assert not [path for path in opened if path.startswith(str(store.data_dir))]


# ---------------------------------------------------------------------- updates


def test_update_works_on_the_real_default_graph(store):
    store.update("INSERT DATA { <d> <p> 'three' }")
    assert triples(store, None) == {'<http://example.org/d> <http://example.org/p> "three" .'}
    assert store.graph_names() == [G1, G2]


def test_a_failing_update_leaves_nothing_behind(store):
    before = store.count()
    with pytest.raises(BadRequest) as error:
        store.update(f"INSERT DATA {{ <new> <p> 1 }} ; CREATE GRAPH <{G1}>")
    assert "already exists" in error.value.message
    with pytest.raises(ParseError):
        store.update("INSERT DATA { <new> <p> 1 } ; CLEAR XYZ")
    assert store.count() == before
    assert not ask(store, "ASK { <new> ?p ?o }")


@pytest.mark.parametrize("sparql", [
    "LOAD <http://example.org/data.ttl>",
    "LOAD SILENT <file:///etc/passwd> INTO GRAPH <http://example.org/g>",
    "INSERT { ?s ?p ?o } WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "INSERT { ?s <p> 1 } USING <file:///etc/passwd> WHERE { ?s ?p ?o }",
    "INSERT { ?s <p> 1 } USING <http://example.org/nowhere> WHERE { ?s ?p ?o }",
])
def test_updates_that_could_reach_outside_are_refused(store, sparql):
    before = store.count()
    with pytest.raises(sparql_guard.Refused) as error:
        store.update(sparql)
    assert error.value.status == 400
    assert store.count() == before


def test_load_inside_a_literal_is_data(store):
    store.update('INSERT DATA { <e> <p> "LOAD <http://example.org/x>" }')
    assert ask(store, 'ASK { <e> <p> "LOAD <http://example.org/x>" }')


def test_protocol_using_graphs_become_using_clauses(store):
    store.update("INSERT { GRAPH <http://example.org/out> { ?s <copied> ?o } } "
                 "WHERE { ?s <p> ?o }", dataset=Dataset(default_graphs=(G1,)))
    assert triples(store, BASE + "out") == {
        '<http://example.org/a> <http://example.org/copied> "one" .'}
    store.update("DELETE { GRAPH ?g { ?s <p> ?o } } WHERE { GRAPH ?g { ?s <p> ?o } }",
                 dataset=Dataset(named_graphs=(G2,)))
    assert triples(store, G2) == set()
    assert len(triples(store, G1)) == 2


def test_protocol_using_graphs_with_with_or_using_in_the_update_are_refused(store):
    with pytest.raises(BadRequest):
        store.update(f"WITH <{G1}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
                     dataset=Dataset(named_graphs=("http://example/people",)))
    assert store.count() == 3


def test_add_using_only_touches_modify_operations():
    text = ("INSERT DATA { <a> <b> <c> } ; DELETE WHERE { ?s ?p ?o } ; "
            "DELETE { ?s ?p ?o } INSERT { ?s ?p 'x' } WHERE { ?s ?p ?o }")
    found = sparql_guard.check_update(text)
    rewritten = sparql_guard.add_using(text, found, Dataset(default_graphs=("http://g",)))
    assert rewritten.count("USING <http://g>") == 1
    assert rewritten.endswith("INSERT { ?s ?p 'x' } USING <http://g> WHERE { ?s ?p ?o }")


# ---------------------------------------------------------------------- graph store


def test_put_replaces_and_reports_creation(store):
    assert store.put_graph(BASE + "g3", b"<a> <p> 1 .", media_type=TTL) is True
    assert store.put_graph(BASE + "g3", b"<a> <p> 2 .", media_type=TTL) is False
    integer = "<http://www.w3.org/2001/XMLSchema#integer>"
    assert triples(store, BASE + "g3") == {
        f'<http://example.org/a> <http://example.org/p> "2"^^{integer} .'}


def test_put_of_an_empty_graph_creates_it(store):
    assert store.put_graph(BASE + "empty", b"", media_type=TTL) is True
    assert store.graph_exists(BASE + "empty")
    assert store.get_graph(BASE + "empty", media_type=TTL) == b""


def test_post_merges(store):
    assert store.post_graph(G1, b'<a> <p> "more" .', media_type=TTL) is False
    assert len(triples(store, G1)) == 3
    assert store.post_graph(BASE + "new", b"<a> <p> 1 .", media_type="text/turtle") is True


def test_put_and_post_into_the_default_graph(store):
    assert store.put_graph(None, b"<a> <p> 1 .", media_type=TTL) is False
    store.post_graph(None, b"<b> <p> 2 .", media_type=TTL)
    assert len(triples(store, None)) == 2
    store.put_graph(None, b"<c> <p> 3 .", media_type=TTL)
    assert len(triples(store, None)) == 1


@pytest.mark.parametrize(("body", "media", "error"), [
    (b"<a> <p> .", TTL, ParseError),
    (b"<a> <p> 1 .\n<b> <p> \"open", TTL, ParseError),
    (b"\xff\xfe<a>", TTL, ParseError),
    (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rdf:RDF '
     b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>', "application/rdf+xml",
     BadRequest),
    (b"<a> <p> 1 .", "application/pdf", UnsupportedMediaType),
    (b"<http://a> <http://p> 1 <http://g> .", "application/n-quads", BadRequest),
    # pyoxigraph reads a document cut short as empty: it would replace the graph by nothing
    (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
     b'<rdf:Description rdf:about="http://a/s">', "application/rdf+xml", ParseError),
])
def test_bad_uploads_are_refused_and_change_nothing(store, body, media, error):
    before = triples(store, G1)
    with pytest.raises(error) as raised:
        store.put_graph(G1, body, media_type=media)
    assert raised.value.status in (400, 415)
    assert triples(store, G1) == before


def test_json_ld_with_a_remote_context_is_refused_without_fetching(store):
    body = b'{"@context": "http://127.0.0.1:9/context.jsonld", "@id": "http://a", "n": 1}'
    with pytest.raises(ParseError) as error:
        store.put_graph(G1, body, media_type="application/ld+json")
    assert "remote context" in error.value.message
    assert len(triples(store, G1)) == 2


def test_a_parse_error_in_an_upload_names_line_and_column(store):
    with pytest.raises(ParseError) as error:
        store.put_graph(G1, b"<a> <p> 1 .\n<b> <p> .\n", media_type=TTL)
    assert error.value.line == 2 and error.value.column is not None


def test_rdf_xml_without_doctype_is_read(store):
    body = (b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
            b'syntax-ns#" xmlns:ex="http://example.org/"><rdf:Description '
            b'rdf:about="http://example.org/x"><ex:p>v</ex:p></rdf:Description></rdf:RDF>')
    store.put_graph(BASE + "xml", body, media_type="application/rdf+xml")
    assert triples(store, BASE + "xml") == {'<http://example.org/x> <http://example.org/p> "v" .'}


def test_delete_and_missing_graphs(store):
    store.delete_graph(G2)
    assert not store.graph_exists(G2) and store.graph_exists(None)
    with pytest.raises(NotFound):
        store.delete_graph(G2)
    with pytest.raises(NotFound):
        store.get_graph(G2, media_type=TTL)
    store.post_graph(None, b"<a> <p> 1 .", media_type=TTL)
    store.delete_graph(None)
    assert triples(store, None) == set()


def test_counts_names_status_and_dump(reader):
    assert reader.graph_names() == [G1, G2]
    assert (reader.count(), reader.count(G1), reader.count(G2)) == (3, 2, 1)
    status = reader.status()
    assert status["ok"] is True and status["quads"] == 3
    assert status["graphs"] == {G1: 2, G2: 1}
    nquads = b"".join(reader.dump(media_type="application/n-quads")).decode()
    assert nquads.count(f"<{G1}> .") == 2 and nquads.count(f"<{G2}> .") == 1
    union = b"".join(reader.dump(media_type="application/n-triples")).decode()
    assert len(union.splitlines()) == 3 and G1 not in union


def test_a_new_store_is_empty_not_an_error(tmp_path):
    store = EmbeddedStore(tmp_path / "fresh", query_timeout=5, max_rows=5, base_iri=BASE)
    assert store.count() == 0 and store.graph_names() == []


# ---------------------------------------------------------------------- write guard


class RecordingGuard:
    """Refuses writes that mention <forbidden>; records what it saw."""

    def __init__(self, log: Path):
        self.log = log  # the guard runs in the child: it reports through a file

    def _note(self, entry: str) -> None:
        with open(self.log, "a", encoding="utf-8") as handle:
            handle.write(entry + "\n")

    def check_update(self, store, sparql, *, dataset, base_iri):
        self._note(f"update {type(store).__name__} {len(store)}")
        if "forbidden" in sparql:
            raise ValidationFailed("update refused", report={"focus": "forbidden"})

    def check_put(self, store, graph, quads):
        self._note(f"put {graph} {len(quads)}")
        if any("forbidden" in str(q) for q in quads):
            raise ValidationFailed("put refused", report={"quads": len(quads)})

    def check_post(self, store, graph, quads):
        self._note(f"post {graph} {len(quads)}")

    def check_delete(self, store, graph):
        self._note(f"delete {graph}")
        raise ValidationFailed("delete refused")


def test_the_write_guard_sees_every_write_and_can_refuse_it(tmp_path):
    log = tmp_path / "guard.log"
    store = EmbeddedStore(tmp_path / "data", query_timeout=5, max_rows=5, base_iri=BASE,
                          write_guard=RecordingGuard(log))
    store.put_graph(G1, b"<a> <p> 1, 2 .", media_type=TTL)
    store.update("INSERT DATA { <b> <p> 3 }")
    store.post_graph(G1, b"<c> <p> 4 .", media_type=TTL)
    with pytest.raises(ValidationFailed) as error:
        store.put_graph(G1, b"<forbidden> <p> 1 .", media_type=TTL)
    assert error.value.status == 422 and error.value.report == {"quads": 1}
    with pytest.raises(ValidationFailed):
        store.update("INSERT DATA { <forbidden> <p> 1 }")
    with pytest.raises(ValidationFailed):
        store.delete_graph(G1)
    assert store.count() == 4 and store.count(G1) == 3
    assert log.read_text().splitlines() == [
        f"put {G1} 2", "update Store 2", f"post {G1} 1", f"put {G1} 1", "update Store 4",
        f"delete {G1}"]


class LockReportGuard:
    """Refuses every write with a report that cannot be pickled."""

    def check_post(self, store, graph, quads):
        raise ValidationFailed("refused", report=threading.Lock())


def test_a_guard_report_that_does_not_pickle_arrives_as_text(tmp_path):
    store = EmbeddedStore(tmp_path, query_timeout=5, max_rows=5, base_iri=BASE,
                          write_guard=LockReportGuard())
    with pytest.raises(ValidationFailed) as error:
        store.post_graph(G1, b"<a> <p> 1 .", media_type=TTL)
    assert error.value.status == 422 and error.value.message == "refused"
    assert "lock" in error.value.report
    assert store.count() == 0


# ---------------------------------------------------------------------- process safety

LONG_QUERY = "SELECT ?a ?b WHERE { ?a <p> ?x . ?b <p> ?y } ORDER BY ?x ?y LIMIT 1"


def _python(script: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_a_process_that_opened_oxigraph_itself_is_refused_not_hung(tmp_path):
    # RocksDB's threads do not survive a fork: a child would hang opening the store
    script = f"""
        import pyoxigraph as ox
        from alliancegraph.store.embedded import EmbeddedStore
        from alliancegraph.errors import StoreUnavailable
        ox.Store({str(tmp_path / "direct")!r})
        store = EmbeddedStore({str(tmp_path / "data")!r}, query_timeout=5, max_rows=5,
                              base_iri="http://example.org/")
        try:
            store.count()
        except StoreUnavailable as error:
            print("refused:", error.message)
        """
    out, err = _python(script).communicate(timeout=60)
    assert out.startswith("refused: this process has opened an Oxigraph store"), err


def test_a_query_outliving_its_caller_is_killed_and_frees_the_lock(tmp_path):
    store = EmbeddedStore(tmp_path, query_timeout=60, max_rows=10, base_iri=BASE)
    data = "".join(f"<s{i}> <p> {i} .\n" for i in range(3000)).encode()
    store.put_graph(None, data, media_type=TTL)
    caller = _python(f"""
        from alliancegraph.store.embedded import EmbeddedStore
        store = EmbeddedStore({str(tmp_path)!r}, query_timeout=60, max_rows=10,
                              base_iri="http://example.org/")
        print("started", flush=True)
        store.query({LONG_QUERY!r}, media_type="application/sparql-results+json")
        """)
    assert caller.stdout.readline().strip() == "started"
    time.sleep(1.0)  # the query child now holds the shared lock
    caller.kill()
    caller.wait()  # not communicate(): an orphan would keep the pipes open
    caller.stdout.close()
    caller.stderr.close()
    started = time.monotonic()
    store.update("INSERT DATA { <after> <p> 1 }")  # waits for the exclusive lock
    assert time.monotonic() - started < 10


def test_blank_nodes_of_separate_writes_stay_apart(store):
    # every write runs in a forked child; pyoxigraph's blank-node generator must not repeat
    # the labels the parent (or an earlier child) drew, or nodes of two writes would merge
    graph = "http://example.org/bnodes"
    store.post_graph(graph, b'[ <http://p> "first-a" ] . [ <http://p> "first-b" ] .',
                     media_type="text/turtle")
    store.post_graph(graph, b'[ <http://p> "second" ] .', media_type="text/turtle")
    store.update('INSERT DATA { GRAPH <http://example.org/bnodes> { [ <http://p> "third" ] } }')
    rows = select(store, "SELECT ?s ?o WHERE { GRAPH <http://example.org/bnodes> { ?s ?p ?o } }")
    assert len(rows) == 4
    assert len({row["s"] for row in rows}) == 4
