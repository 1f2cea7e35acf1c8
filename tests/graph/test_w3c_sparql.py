"""The W3C SPARQL 1.1 query, update, syntax and result-format tests, run twice: against the
store layer (:func:`alliancegraph.store.open_store`: the policy over the embedded backend,
every query in one of its reader processes, results serialised and parsed back) and against
pyoxigraph directly.

How the suite is read and compared is described in ``../shared/conformance/README.md``.
Not run: ``service/`` (federation needs simulated remote endpoints) and ``entailment/``
(no entailment regime is offered); both live in manifests this file does not include.
Queries or updates with SERVICE or LOAD are not sent to the engine either, because it
would make network requests; the store layer refuses them by design.

Result comparison: SELECT results as multisets of solutions with blank nodes matched by
relabelling (row order is not checked), ASK by value, graphs by isomorphism, CSV row by
row on values. Set ``ALLIANCEGRAPH_W3C_REPORT=<file>`` to also write the table as
Markdown.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph.config import load_settings
from alliancegraph.errors import AllianceGraphError, BadRequest, ParseError
from alliancegraph.store import QuadDelta, open_store, sparql_guard

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT.parent / "shared" / "conformance" / "sparql11"
BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/"
TOP_MANIFESTS = ("manifest-sparql11-query.ttl", "manifest-sparql11-update.ttl",
                 "manifest-sparql11-results.ttl")

MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
QT = "http://www.w3.org/2001/sw/DataAccess/tests/test-query#"
UT = "http://www.w3.org/2009/sparql/tests/test-update#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
DAWGT = "http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#"
RS = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"

SYNTAX_TYPES = {"PositiveSyntaxTest11": True, "NegativeSyntaxTest11": False,
                "PositiveUpdateSyntaxTest11": True, "NegativeUpdateSyntaxTest11": False}
JSON = "application/sparql-results+json"

pytestmark = pytest.mark.skipif(not SUITE.is_dir(), reason=f"{SUITE} is missing")


# ---------------------------------------------------------------------- manifests


def _path(iri: str) -> Path:
    assert iri.startswith(BASE), iri
    return SUITE / iri[len(BASE):]


@dataclass
class W3CTest:
    iri: str
    kind: str
    name: str
    approval: str
    query: str | None = None  # query/update/syntax file IRI
    data: list[str] = field(default_factory=list)  # default graph files
    graph_data: list[tuple[str, str]] = field(default_factory=list)  # (graph name, file)
    result: str | None = None  # expected result file (query tests)
    result_data: str | None = None  # expected default graph (update tests)
    result_graphs: list[tuple[str, str]] = field(default_factory=list)

    @property
    def folder(self) -> str:
        return self.iri[len(BASE):].split("/")[0]

    def text(self) -> str:
        assert self.query is not None
        return _path(self.query).read_text(encoding="utf-8")


def _objects(store: ox.Store, subject: object, predicate: str) -> list:
    return [q.object for q in store.quads_for_pattern(subject, ox.NamedNode(predicate), None)]


def _one(store: ox.Store, subject: object, predicate: str) -> object | None:
    found = _objects(store, subject, predicate)
    return found[0] if found else None


def _list(store: ox.Store, head: object) -> list:
    items = []
    while head != ox.NamedNode(RDF + "nil"):
        items.append(_one(store, head, RDF + "first"))
        head = _one(store, head, RDF + "rest")
    return items


def load_tests() -> list[W3CTest]:
    store = ox.Store()
    pending = [BASE + name for name in TOP_MANIFESTS]
    entries: list[object] = []
    while pending:
        manifest = pending.pop(0)
        store.load(path=str(_path(manifest)), format=ox.RdfFormat.TURTLE, base_iri=manifest)
        node = ox.NamedNode(manifest)
        for head in _objects(store, node, MF + "include"):
            pending += [str(i.value) for i in _list(store, head)]
        for head in _objects(store, node, MF + "entries"):
            entries += _list(store, head)
    return [_test(store, entry) for entry in entries]


def _test(store: ox.Store, node: object) -> W3CTest:
    kind = str(_one(store, node, RDF + "type").value).rpartition("#")[2]
    approval = _one(store, node, DAWGT + "approval")
    test = W3CTest(node.value, kind, str(_one(store, node, MF + "name").value),
                   approval.value.rpartition("#")[2] if approval else "")
    action = _one(store, node, MF + "action")
    if kind in SYNTAX_TYPES:
        test.query = action.value
        return test
    if kind == "UpdateEvaluationTest":
        test.query = _one(store, action, UT + "request").value
        test.data = [d.value for d in _objects(store, action, UT + "data")]
        test.graph_data = _labelled_graphs(store, action)
        result = _one(store, node, MF + "result")
        data = _one(store, result, UT + "data")
        test.result_data = data.value if data else None
        test.result_graphs = _labelled_graphs(store, result)
        return test
    test.query = _one(store, action, QT + "query").value
    test.data = [d.value for d in _objects(store, action, QT + "data")]
    test.graph_data = [(g.value, g.value) for g in _objects(store, action, QT + "graphData")]
    test.result = _one(store, node, MF + "result").value
    return test


def _labelled_graphs(store: ox.Store, node: object) -> list[tuple[str, str]]:
    graphs = []
    for entry in _objects(store, node, UT + "graphData"):
        graphs.append((_one(store, entry, RDFS + "label").value,
                       _one(store, entry, UT + "graph").value))
    return graphs


def _quads(file_iri: str, graph: str | None) -> list[ox.Quad]:
    target = ox.DefaultGraph() if graph is None else ox.NamedNode(graph)
    parsed = ox.parse(path=str(_path(file_iri)), base_iri=file_iri)
    return [ox.Quad(q.subject, q.predicate, q.object, target) for q in parsed]


def initial_quads(test: W3CTest) -> list[ox.Quad]:
    quads = [q for f in test.data for q in _quads(f, None)]
    return quads + [q for name, f in test.graph_data for q in _quads(f, name)]


# ---------------------------------------------------------------------- comparison


def _match(expected: list[dict], actual: list[dict]) -> bool:
    """Multisets of rows equal up to a consistent one-to-one renaming of blank nodes."""
    if len(expected) != len(actual):
        return False
    has_bnode = any(isinstance(t, ox.BlankNode) for row in expected + actual for t in row.values())
    if not has_bnode:
        key = lambda row: frozenset((k, str(_value(v))) for k, v in row.items())  # noqa: E731
        return Counter(map(key, expected)) == Counter(map(key, actual))

    def unify(a: dict, b: dict, mapping: dict) -> dict | None:
        if a.keys() != b.keys():
            return None
        mapping = dict(mapping)
        for var, term in a.items():
            other = b[var]
            if isinstance(term, ox.BlankNode) and isinstance(other, ox.BlankNode):
                if mapping.get(term, other) != other:
                    return None
                if term not in mapping and other in mapping.values():
                    return None
                mapping[term] = other
            elif _value(term) != _value(other):
                return None
        return mapping

    def search(i: int, used: set[int], mapping: dict) -> bool:
        if i == len(expected):
            return True
        for j, row in enumerate(actual):
            if j not in used:
                extended = unify(expected[i], row, mapping)
                if extended is not None and search(i + 1, used | {j}, extended):
                    return True
        return False

    return search(0, set(), {})


XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("integer", "decimal", "float", "double")}


def _value(term: object) -> object:
    """Numeric literals compare by datatype and value ("2.0" and "2" as xsd:decimal are
    one value; engines may write either); every other term compares exactly."""
    if isinstance(term, ox.Literal) and term.datatype.value in NUMERIC:
        try:
            return (term.datatype.value, str(Decimal(term.value).normalize()))
        except InvalidOperation:
            return term
    return term


def _rows(solutions: ox.QuerySolutions) -> list[dict]:
    names = [v.value for v in solutions.variables]
    return [{n: s[n] for n in names if s[n] is not None} for s in solutions]


def _graph_rows(triples) -> list[dict]:
    unique = {(t.subject, t.predicate, t.object) for t in triples}
    return [{"s": s, "p": p, "o": o} for s, p, o in unique]


def expected_answer(test: W3CTest) -> object:
    path = _path(test.result)
    suffix = path.suffix
    if suffix in (".ttl", ".rdf", ".nt"):
        graph = ox.Store()
        graph.load(path=str(path), base_iri=test.result)
        if any(graph.quads_for_pattern(None, ox.NamedNode(RDF + "type"),
                                       ox.NamedNode(RS + "ResultSet"))):
            return _result_set_graph(graph)
        return ("graph", _graph_rows(q.triple for q in graph))
    if suffix == ".csv":
        return ("csv", path.read_text(encoding="utf-8"))
    fmt = {".srx": ox.QueryResultsFormat.XML, ".srj": ox.QueryResultsFormat.JSON,
           ".tsv": ox.QueryResultsFormat.TSV}[suffix]
    parsed = ox.parse_query_results(path=str(path), format=fmt)
    if isinstance(parsed, ox.QueryBoolean):
        return ("boolean", bool(parsed))
    return ("rows", _rows(parsed))


def _result_set_graph(graph: ox.Store) -> tuple:
    """A result set written in RDF (the DAWG result-set vocabulary) as rows or a boolean."""
    result_set = next(graph.quads_for_pattern(None, ox.NamedNode(RDF + "type"),
                                              ox.NamedNode(RS + "ResultSet"))).subject
    boolean = _one(graph, result_set, RS + "boolean")
    if boolean is not None:
        return ("boolean", boolean.value == "true")
    rows = []
    for solution in _objects(graph, result_set, RS + "solution"):
        rows.append({_one(graph, b, RS + "variable").value: _one(graph, b, RS + "value")
                     for b in _objects(graph, solution, RS + "binding")})
    return ("rows", rows)


def _csv_rows(text: str) -> list[dict]:
    # CSV keeps no term types: compare strings, with "_:…" values as blank nodes
    reader = csv.DictReader(io.StringIO(text))
    return [{k: ox.BlankNode(v[2:]) if v.startswith("_:") else ox.Literal(v)
             for k, v in row.items() if v != ""} for row in reader]


def same_answer(expected: tuple, actual: tuple) -> bool:
    kind, value = expected
    if kind != actual[0]:
        return False
    if kind == "boolean":
        return value == actual[1]
    if kind == "csv":
        return _match(_csv_rows(value), _csv_rows(actual[1]))
    return _match(value, actual[1])


def dataset_rows(quads) -> dict[str, list[dict]]:
    """Graph name ('' for the default graph) -> rows; empty named graphs dropped."""
    graphs: dict[str, list] = {"": []}
    for q in quads:
        name = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
        graphs.setdefault(name, []).append(q.triple)
    return {name: _graph_rows(triples) for name, triples in graphs.items()}


def expected_dataset(test: W3CTest) -> dict[str, list[dict]]:
    quads = _quads(test.result_data, None) if test.result_data else []
    quads += [q for name, f in test.result_graphs for q in _quads(f, name)]
    expected = dataset_rows(quads)
    for name, _ in test.result_graphs:
        expected.setdefault(name, [])
    return {name: rows for name, rows in expected.items() if rows or name == ""}


# ---------------------------------------------------------------------- runners

PASS, FAIL, REFUSED, NOT_RUN = "pass", "fail", "refused by design", "not run"


def _calls_out(text: str) -> bool:
    found = sparql_guard.analyse(text)
    return found.has_service or found.has_load


class EngineRunner:
    """pyoxigraph directly, in memory."""

    name = "pyoxigraph"

    def run(self, test: W3CTest) -> tuple[str, str]:
        text = test.text()
        if _calls_out(text):
            return NOT_RUN, "SERVICE/LOAD would make a network request"
        store = ox.Store()
        if test.kind in SYNTAX_TYPES:
            return self._syntax(store, test, text)
        store.extend(initial_quads(test))
        if test.kind == "UpdateEvaluationTest":
            store.update(text, base_iri=test.query)
            return _verdict(same_dataset(expected_dataset(test), dataset_rows(store)))
        results = store.query(text, base_iri=test.query)
        if test.kind == "CSVResultFormatTest":
            answer = ("csv", results.serialize(format=ox.QueryResultsFormat.CSV).decode())
        elif isinstance(results, ox.QueryBoolean):
            answer = ("boolean", bool(results))
        elif isinstance(results, ox.QuerySolutions):
            answer = ("rows", _rows(results))
        else:
            answer = ("graph", _graph_rows(results))
        return _verdict(same_answer(expected_answer(test), answer))

    def _syntax(self, store: ox.Store, test: W3CTest, text: str) -> tuple[str, str]:
        is_update = test.query.endswith(".ru")
        try:
            if is_update:
                store.update(text, base_iri=test.query)
            else:
                store.query(text, base_iri=test.query)
        except SyntaxError as exc:
            return _verdict(not SYNTAX_TYPES[test.kind], f"rejected: {exc}")
        except (RuntimeError, OSError):
            pass  # it parsed; running it failed
        return _verdict(SYNTAX_TYPES[test.kind], "accepted")


class StoreRunner:
    """The store layer: the embedded backend on disk under the policy, union default graph
    and validation on write off (the SPARQL dataset the tests assume; not our data)."""

    name = "store"

    def __init__(self, data_dir: Path):
        self.store = open_store(load_settings(environ={}, overrides={
            "data_dir": str(data_dir), "store": "embedded", "query_timeout": 30,
            "base_iri": "http://example.org/base/", "union_default_graph": False,
            "validate_on_write": False}))
        self.loaded: tuple | None = None

    def close(self) -> None:
        self.store.close()

    def run(self, test: W3CTest) -> tuple[str, str]:
        text = test.text()
        self._load(test)
        if test.kind in SYNTAX_TYPES:
            return self._syntax(test, text)
        try:
            if test.kind == "UpdateEvaluationTest":
                self.store.update(text, base_iri=test.query)
                dump = b"".join(self.store.dump(media_type="application/n-quads"))
                actual = dataset_rows(ox.parse(dump, ox.RdfFormat.N_QUADS))
                return _verdict(same_dataset(expected_dataset(test), actual))
            return _verdict(same_answer(expected_answer(test), self._answer(test, text)))
        except sparql_guard.Refused as exc:
            return REFUSED, exc.message

    def _load(self, test: W3CTest) -> None:
        """Give the store the test's initial dataset. A write costs ~0.1 s (open, commit,
        flush, close), so a dataset left by a query test that needs the same is kept."""
        files = (tuple(test.data), tuple(test.graph_data))
        if test.kind in SYNTAX_TYPES:
            files = ((), ())
        if files == self.loaded:
            return
        quads = initial_quads(test) if files != ((), ()) else []
        self.store.update("DROP ALL")
        self.store.apply(QuadDelta(added=tuple(quads)))
        self.loaded = files
        if test.kind in ("UpdateEvaluationTest", "PositiveUpdateSyntaxTest11",
                         "NegativeUpdateSyntaxTest11") or test.query.endswith(".ru"):
            self.loaded = None  # the test writes: reload next time

    def _answer(self, test: W3CTest, text: str) -> tuple:
        form = self.store.query_form(text)
        if test.kind == "CSVResultFormatTest":
            body = self.store.query(text, media_type="text/csv", base_iri=test.query).body
            return ("csv", body.decode())
        if form in ("CONSTRUCT", "DESCRIBE"):
            body = self.store.query(text, media_type="application/n-triples",
                                    base_iri=test.query).body
            return ("graph", _graph_rows(q.triple for q in ox.parse(body,
                                                                    ox.RdfFormat.N_TRIPLES)))
        body = self.store.query(text, media_type=JSON, base_iri=test.query).body
        parsed = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
        if isinstance(parsed, ox.QueryBoolean):
            return ("boolean", bool(parsed))
        return ("rows", _rows(parsed))

    def _syntax(self, test: W3CTest, text: str) -> tuple[str, str]:
        positive = SYNTAX_TYPES[test.kind]
        try:
            if test.query.endswith(".ru"):
                self.store.update(text, base_iri=test.query)
            else:
                form = self.store.query_form(text)
                media = "application/n-triples" if form in ("CONSTRUCT", "DESCRIBE") else JSON
                self.store.query(text, media_type=media, base_iri=test.query)
        except sparql_guard.Refused as exc:
            return (REFUSED, exc.message) if positive else (PASS, f"refused: {exc.message}")
        except ParseError as exc:
            return _verdict(not positive, f"rejected: {exc.message}")
        except BadRequest:
            pass  # it parsed; running it failed (e.g. DROP of a missing graph)
        return _verdict(positive, "accepted")


def same_dataset(expected: dict, actual: dict) -> bool:
    """Each graph isomorphic; an empty named graph and a missing one are the same."""
    names = {k for k, v in expected.items() if v} | {k for k, v in actual.items() if v}
    return all(_match(expected.get(n, []), actual.get(n, [])) for n in names | {""})


def _verdict(ok: bool, detail: str = "") -> tuple[str, str]:
    return (PASS if ok else FAIL), detail


def run_all(runner: object, tests: list[W3CTest]) -> dict[str, tuple[str, str]]:
    outcomes = {}
    run: Callable[[W3CTest], tuple[str, str]] = runner.run  # type: ignore[attr-defined]
    for test in tests:
        try:
            outcomes[test.iri] = run(test)
        except (AllianceGraphError, SyntaxError, RuntimeError, OSError, ValueError) as exc:
            outcomes[test.iri] = (FAIL, f"{type(exc).__name__}: {exc}")
    return outcomes


def _dataset_key(test: W3CTest) -> tuple:
    # query syntax tests first (empty store, no writes), then query tests grouped by
    # dataset (one load per dataset), then everything that writes
    writes = test.kind == "UpdateEvaluationTest" or (test.query or "").endswith(".ru")
    return (writes, test.kind not in SYNTAX_TYPES, tuple(test.data), tuple(test.graph_data),
            test.iri)


def _run_store_share(data_dir: Path, tests: list[W3CTest]) -> dict[str, tuple[str, str]]:
    runner = StoreRunner(data_dir)
    try:
        return run_all(runner, tests)
    finally:
        runner.close()


def run_store_layer(base_dir: Path, tests: list[W3CTest], workers: int = 2) -> dict:
    """The store layer in ``workers`` processes, each with its own store (a write costs
    ~0.1 s: open, commit, flush, close; the cores would otherwise wait on the disk)."""
    ordered = sorted(tests, key=_dataset_key)
    shares = [ordered[i::workers] for i in range(workers)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_run_store_share, base_dir / f"store-{i}", share)
                   for i, share in enumerate(shares)]
        outcomes: dict[str, tuple[str, str]] = {}
        for future in futures:
            outcomes.update(future.result())
    return outcomes


# ---------------------------------------------------------------------- the tests


@pytest.fixture(scope="module")
def w3c_results(tmp_path_factory) -> dict:
    tests = load_tests()
    started = time.monotonic()
    engine = run_all(EngineRunner(), tests)
    engine_seconds = time.monotonic() - started
    started = time.monotonic()
    store = run_store_layer(tmp_path_factory.mktemp("w3c"), tests)
    store_seconds = time.monotonic() - started
    return {"tests": tests, "engine": engine, "store": store,
            "seconds": {"engine": engine_seconds, "store": store_seconds}}


def _table(results: dict) -> str:
    tests: list[W3CTest] = results["tests"]
    groups = sorted({("syntax" if t.kind in SYNTAX_TYPES else t.kind) for t in tests})
    lines = ["# W3C SPARQL 1.1 query, update, syntax and result-format tests", "",
             "Generated by `tests/graph/test_w3c_sparql.py` (see its docstring and "
             "graph/README.md).", "",
             "| tests | count | " + " | ".join(
        f"{runner}: {status}" for runner in ("store layer", "pyoxigraph")
        for status in (PASS, FAIL, REFUSED, NOT_RUN)) + " |",
        "|---|---:|" + "---:|" * 8]
    for group in [*groups, "all"]:
        chosen = [t for t in tests if group == "all"
                  or group == ("syntax" if t.kind in SYNTAX_TYPES else t.kind)]
        cells = [str(len(chosen))]
        for key in ("store", "engine"):
            counts = Counter(results[key][t.iri][0] for t in chosen)
            cells += [str(counts.get(s, 0)) for s in (PASS, FAIL, REFUSED, NOT_RUN)]
        lines.append(f"| {group} | " + " | ".join(cells) + " |")
    lines.append("")
    for key, label in (("store", "store layer"), ("engine", "pyoxigraph")):
        for t in tests:
            status, detail = results[key][t.iri]
            if status != PASS:
                lines.append(f"- {label} {status}: `{t.iri[len(BASE):]}` ({t.name}) "
                             f"{detail[:160]}".rstrip())
    seconds = results["seconds"]
    lines.append(f"\nRun time: store layer {seconds['store']:.1f} s, "
                 f"pyoxigraph {seconds['engine']:.1f} s.")
    return "\n".join(lines)


def test_suite_is_complete(w3c_results):
    # the conformance README: the query, update and results manifests hold 328 + 157 + 10
    assert len(w3c_results["tests"]) == 495
    assert len({t.iri for t in w3c_results["tests"]}) == 495


def test_store_layer_passes_what_the_engine_passes(w3c_results):
    table = _table(w3c_results)
    print("\n" + table)
    report = os.environ.get("ALLIANCEGRAPH_W3C_REPORT")
    if report:
        Path(report).write_text(table + "\n", encoding="utf-8")
    engine, store = w3c_results["engine"], w3c_results["store"]
    regressions = [iri for iri, (status, _) in engine.items()
                   if status == PASS and store[iri][0] == FAIL]
    assert not regressions, "the store layer fails tests pyoxigraph passes:\n" + "\n".join(
        f"{iri}: {store[iri][1]}" for iri in regressions)
    passed = Counter(status for status, _ in store.values())[PASS]
    engine_passed = Counter(status for status, _ in engine.values())[PASS]
    refused = [iri for iri, (status, _) in store.items() if status == REFUSED]
    # a refusal by design (SERVICE, LOAD, FROM/USING of a graph the store lacks) is the
    # only way the store layer may pass fewer tests than the engine
    engine_passed_refused = sum(1 for iri in refused if engine[iri][0] == PASS)
    assert passed >= engine_passed - engine_passed_refused
    assert passed > 0.9 * len(store)


def test_refusals_are_only_the_documented_ones(w3c_results):
    for iri, (status, detail) in w3c_results["store"].items():
        if status == REFUSED:
            assert detail.startswith(("SPARQL SERVICE", "SPARQL LOAD", "FROM <", "USING <")), \
                (iri, detail)
