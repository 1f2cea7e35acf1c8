"""The remote backend's Virtuoso dialect (tested on Virtuoso Open Source 7.2.5, Debian).

Virtuoso speaks the SPARQL protocol with deviations the service must not pass on; each is
handled here (and listed in ``store/README.md``, "Virtuoso"):

* writes go to ``/sparql-auth`` with HTTP **Digest** (Virtuoso offers no Basic there);
* there is no real default graph: without a dataset the default graph is the union of
  *every* graph, Virtuoso's own system graphs included, and ``GRAPH ?g`` ranges over them.
  The service's default graph is the named graph :data:`DEFAULT_GRAPH`, and every query is
  sent with an explicit protocol dataset made of the service's own graphs;
* empty graphs are not kept: the service's named graphs are listed in the reserved
  version graph (a registry written in the same guarded update as the data);
* ``INSERT DATA`` refuses blank nodes and stored blank nodes come back as
  ``nodeID://b…``: blank nodes are written through ``INSERT … WHERE`` templates, read as
  ``_:vtsob…`` labels and addressed again as ``<nodeID://b…>``. A SPARQL update text is
  evaluated on a read view here and applied as its delta (so the standard semantics hold);
* a query over the time limit is *not* an error: an "anytime" query answers 200 with a
  partial result and ``X-SQL-State: S1TAT``; that, and the errors ``S1T00``/``SR171``, are
  QueryTimeout. The service's time limit is sent as Virtuoso's ``timeout`` parameter, so
  the server itself stops the query (see the README for the measured guarantee);
* results Virtuoso writes in a non-standard way (CSV/TSV without N-Triples terms, no
  N-Quads/TriG) are fetched as SPARQL JSON or N-Triples and serialised here;
* numbers and booleans are stored as values: ``"1.50"^^xsd:decimal`` reads back as
  ``"1.5"``, ``true`` as ``"1"``.
"""

from __future__ import annotations

import json
import random
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any, Literal

import pyoxigraph as ox
import requests
from alliancegraph.errors import (
    BadRequest,
    NotFound,
    ParseError,
    QueryTimeout,
    ResultTooLarge,
    StoreUnavailable,
    WriteConflict,
)
from alliancegraph.store import engine
from alliancegraph.store.base import (
    Applied,
    BulkFile,
    Change,
    Dataset,
    DropGraph,
    MergeGraph,
    QuadDelta,
    QueryOutcome,
    ReplaceGraph,
    ReplaceGraphs,
    Term,
)
from alliancegraph.store.remote import (
    _NUMBER,
    _SUBJECT,
    _TIME,
    MARKS_KEPT,
    VERSION_GRAPH,
    RemoteBackend,
    _Plan,
    prune_times,
    read_whole,
)
from alliancegraph.store.sparql_guard import (
    Token,
    analyse,
    query_form,
    read_prologue,
    tokenize,
)
from requests.auth import HTTPDigestAuth

#: the named graph that holds what the service calls its default graph
DEFAULT_GRAPH = "urn:alliancegraph:default"
#: a graph no one writes: a protocol dataset naming it is empty
_NO_GRAPH = "urn:alliancegraph:no-graph"
#: the dataset of the backend's own queries (they name every graph they read): none sent
_ALL = Dataset()
_REGISTRY = "<urn:alliancegraph:store> <urn:alliancegraph:graph>"
_JSON = "application/sparql-results+json"
_NTRIPLES = "application/n-triples"
#: how a stored blank node is labelled for the service (``nodeID://b12`` ↔ ``_:vtsob12``)
_LABEL = "vtso"
_STORED = re.compile(rf"^{_LABEL}(b\d+)$")
_JSON_BNODE = b'"type": "bnode", "value": "nodeID://'
#: a fresh blank node's key while a write runs (see :func:`_delta_ops`)
_PENDING = "<urn:alliancegraph:virtuoso-new-blank-node>"
#: quads, and fresh blank nodes, per write template
CHUNK, LABELS = 200, 20
#: Virtuoso's own DESCRIBE adds the triples that point at the resource; CBD is what
#: Oxigraph (and the other backends) give: its triples, and blank nodes' ones in turn
_DESCRIBE = 'DEFINE sql:describe-mode "CBD"'
_LINE = re.compile(r"\bline (\d+)")
#: Virtuoso's errors that are the request's, not the server's: SQL states 37000 (SPARQL
#: syntax), 22xxx (data: division by zero, a bad cast, OFFSET beyond its integers), 42000
#: (access rules and limits: "over 20 keys in group by"), S0022 (its SPARQL-to-SQL
#: compiler lost a column: a valid query it cannot run), SR185 (a function IRI it has no
#: procedure for); all but the first are deviations from SPARQL 1.1 (README)
_QUERY_FAULT = re.compile(r"Virtuoso (37000|22\w{3}|42000|S0022) Error|Error SR185\b")
#: how long the client waits for an answer, beyond the time limit it sent (half of it,
#: and 2 s): Virtuoso's anytime limit is checked between steps, and a query stuck in one
#: step (compiling, a sort) would keep the caller waiting; the caller gets QueryTimeout
#: then, while the server goes on up to its MaxQueryExecutionTime
_SLACK, _SLACK_SHARE = 2.0, 0.5
#: the most triple patterns one join may have on Virtuoso. Its compiler orders a join
#: before the query's ``timeout`` runs, in time that grows steeply with its patterns (7.2.5,
#: a 2 s limit, patterns sharing their variables: 40 in 0.4 s, 48 in 0.5 s, 60 in 1.5 s, 80
#: in 9 s, 120 in 57 s), and holds one of its threads all that time
MAX_JOIN_PATTERNS = 48
#: and the joins of one query together, as the sum of each one's patterns cubed: two joins
#: of the largest size (four of them in a UNION took 3.4 s to compile)
JOIN_BUDGET = 2 * MAX_JOIN_PATTERNS ** 3
#: the groups Virtuoso compiles as joins of their own; a plain ``{ }`` or ``GRAPH … { }``
#: group is part of the join around it (two GRAPH groups of 40 took 18 s, one of 80 9 s)
_OWN_JOIN_AFTER = frozenset({"OPTIONAL", "MINUS", "UNION", "EXISTS", "CONSTRUCT", "WHERE"})


def _without_from(sparql: str) -> str:
    """``sparql`` without its FROM and FROM NAMED clauses."""
    tokens = tokenize(sparql)
    cuts = []
    for i, token in enumerate(tokens):
        if token.keyword == "FROM":
            last = i + 2 if i + 1 < len(tokens) and tokens[i + 1].keyword == "NAMED" else i + 1
            if last < len(tokens):
                cuts.append((token.start, tokens[last].start + len(tokens[last].text)))
    for start, end in reversed(cuts):
        sparql = sparql[:start] + sparql[end:]
    return sparql


#: PN_LOCAL_ESC: the characters a prefixed name's local part may escape with a backslash
_LOCAL_ESCAPE = re.compile(r"\\([_~.\-!$&'()*+,;=/?#@%])")


def _without_escaped_names(sparql: str) -> str:
    """``sparql`` with each prefixed name that has an escape (``agid:paper-a\\/section``,
    SPARQL 1.1 PN_LOCAL_ESC) written as its full IRI: Virtuoso refuses them (SP030). A
    prefix the prologue does not declare is left for the server to report."""
    if "\\" not in sparql:
        return sparql
    tokens = tokenize(sparql)
    declarations, _ = read_prologue(tokens)
    namespaces = {d.name.text[:-1]: d.iri.text[1:-1] for d in declarations if d.name}
    for token in reversed(tokens):
        prefix, _, local = token.text.partition(":")
        if token.kind != "pname" or "\\" not in local or prefix not in namespaces:
            continue
        kept = local
        while kept.endswith(".") and not kept.endswith("\\."):  # a dot ending a triple
            kept = kept[:-1]
        iri = namespaces[prefix] + _LOCAL_ESCAPE.sub(r"\1", kept)
        end = token.start + len(prefix) + 1 + len(kept)
        sparql = f"{sparql[:token.start]}<{iri}>{sparql[end:]}"
    return sparql


def _term(term: Any) -> str:
    """A term in SPARQL; a blank node Virtuoso stored is named by its ``nodeID`` IRI."""
    if isinstance(term, ox.BlankNode):
        found = _STORED.match(term.value)
        return f"<nodeID://{found.group(1)}>" if found else f"_:{term.value}"
    if isinstance(term, ox.Triple):
        raise BadRequest("Virtuoso 7 stores no RDF-star triple terms")
    return str(term)


def _graph_of(quad: ox.Quad) -> str:
    return DEFAULT_GRAPH if isinstance(quad.graph_name, ox.DefaultGraph) \
        else quad.graph_name.value


def _fresh(term: Any) -> bool:
    """A blank node this write makes (not one Virtuoso stored already)."""
    return isinstance(term, ox.BlankNode) and not _STORED.match(term.value)


def _by_graph(quads: Sequence[ox.Quad]) -> dict[str, list[ox.Quad]]:
    groups: dict[str, list[ox.Quad]] = {}
    for q in quads:
        groups.setdefault(_graph_of(q), []).append(q)
    return groups


def _chunks(quads: Sequence[ox.Quad], size: int = 0) -> Iterator[list[ox.Quad]]:
    """Runs of at most ``size`` (CHUNK) quads naming at most LABELS fresh blank nodes
    (Virtuoso compiles each template to SQL and refuses one over 10,000 lines)."""
    size = size or CHUNK
    chunk: list[ox.Quad] = []
    labels: set[str] = set()
    for q in quads:
        new = {t.value for t in (q.subject, q.object) if _fresh(t)} - labels
        if chunk and (len(chunk) == size or len(labels) + len(new) > LABELS):
            yield chunk
            chunk, labels = [], set()
            new = {t.value for t in (q.subject, q.object) if _fresh(t)}
        chunk.append(q)
        labels |= new
    if chunk:
        yield chunk


def _is_update(answer: requests.Response) -> bool:
    body = answer.request.body if answer.request is not None else None
    return isinstance(body, str) and body.startswith("update=")


def _stored(term: Any) -> Any:
    """A ``nodeID`` IRI (a stored blank node bound as a constant) as that blank node."""
    if isinstance(term, ox.NamedNode) and term.value.startswith("nodeID://"):
        return ox.BlankNode(_LABEL + term.value[len("nodeID://"):])
    return term


def _relabel(term: Any) -> Any:
    """A blank node of Virtuoso's N-Triples (``_:b12``) under the service's label."""
    if isinstance(term, ox.BlankNode) and re.fullmatch(r"b\d+", term.value):
        return ox.BlankNode(_LABEL + term.value)
    return term


#: times an update Virtuoso rolled back as deadlocked is sent again, and the longest
#: random pause before each (seconds)
DEADLOCK_RETRIES, DEADLOCK_PAUSE = 3, 0.2


class Deadlocked(StoreUnavailable):
    """Virtuoso rolled the transaction back as deadlocked (SQL state 40001, SR172): the
    update did nothing, and the server expects the client to send it again."""


class VirtuosoBackend(RemoteBackend):
    """:class:`RemoteBackend` for Virtuoso (same constructor; ``user``/``password`` are
    sent with HTTP Digest, as ``/sparql-auth`` wants)."""

    name = "virtuoso"
    #: the time limit goes to Virtuoso as its ``timeout``; the server stops the query
    stops_runaway_queries = True

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        if options.get("user") and not options.get("token"):
            self._session.auth = HTTPDigestAuth(options["user"], options.get("password") or "")

    # ------------------------------------------------------------------ the protocol

    def dataset_params(self, dataset: Dataset) -> list[tuple[str, str]]:
        """Always an explicit dataset of the service's own graphs (Virtuoso's implicit one
        is every graph, its system graphs too)."""
        if dataset.given:
            default = list(dataset.default_graphs or (_NO_GRAPH,))
            named = list(dataset.named_graphs or (_NO_GRAPH,))
        else:
            named = self.graph_names() or [_NO_GRAPH]
            default = [DEFAULT_GRAPH, *named] if dataset.union_default else [DEFAULT_GRAPH]
        return ([("default-graph-uri", g) for g in default]
                + [("named-graph-uri", g) for g in named])

    def _update(self, sparql: str, timeout: float | None = None) -> None:
        """An update, sent again (after a short random pause) when Virtuoso rolled it back
        as deadlocked by another transaction: 16 concurrent writers met it once a minute."""
        for attempt in range(DEADLOCK_RETRIES + 1):
            try:
                return super()._update(sparql, timeout)
            except Deadlocked:
                if attempt == DEADLOCK_RETRIES:
                    raise
                time.sleep(random.uniform(0, DEADLOCK_PAUSE))

    def server_error(self, answer: requests.Response, text: str) -> Exception:
        """Virtuoso's error texts (``Virtuoso 37000 Error SP030: SPARQL compiler, line 3:
        …``) read into the error family."""
        # the error is the body's last "Virtuoso <state> Error …", before the query echoed:
        # a query stopped while its rows were written sends them first (a 500, no header)
        head = answer.text.split("\n\nSPARQL query:", 1)[0]
        at = head.rfind("Virtuoso ")
        message = (head[at:] if at >= 0 else head).strip()[:2000] or answer.reason
        update = _is_update(answer)
        if any(code in message for code in ("S1T00", "SR171", "S1TAT")) or (
                "SR177" in message and not update):  # SR177: how a stopped ORDER BY ends
            return QueryTimeout(f"Virtuoso stopped the request at its time limit: {message}")
        if "37000" in message and "syntax error" in message:
            return self._syntax_error(message, text)
        if answer.status_code in (401, 403):
            return StoreUnavailable(f"Virtuoso refused our credentials ({answer.status_code})"
                                    "; the user needs the SPARQL_UPDATE role")
        if "40001" in message or "SR172" in message:
            return Deadlocked(f"Virtuoso rolled the write back as deadlocked: {message}")
        if answer.status_code < 500 or _QUERY_FAULT.search(message):
            return BadRequest(f"Virtuoso refused the request: {message}")
        return StoreUnavailable(f"Virtuoso answered {answer.status_code}: {message}")

    @staticmethod
    def _syntax_error(message: str, text: str | None) -> ParseError:
        found = _LINE.search(message)
        return ParseError(message, line=int(found.group(1)) if found else None, text=text)

    def _query(self, sparql: str, *, accept: str, dataset: Dataset = _ALL,
               base_iri: str | None = None, timeout: float | None = None,
               stream: bool = False) -> requests.Response:
        """The query with an explicit dataset and the time limit as Virtuoso's ``timeout``
        (the server stops it); a partial "anytime" answer is QueryTimeout."""
        _refuse_large_joins(sparql)
        own = dataset is _ALL or self._names_its_dataset(sparql, dataset)
        params = [] if own else self.dataset_params(dataset)
        text = _without_from(sparql) if dataset.given else sparql  # Virtuoso adds them up
        text = _without_escaped_names(text)
        if base_iri:  # on the first line: Virtuoso's line numbers stay the query's own
            text = f"BASE <{base_iri}> {text}"
        if dataset is not _ALL and query_form(sparql) == "DESCRIBE":
            text = f"{_DESCRIBE} {text}"
        limit = timeout or self.timeout
        data = [("query", text), *params, ("timeout", str(int(limit * 1000)))]
        try:
            answer = self._post(self.query_url, sparql, data=data, accept=accept,
                                timeout=limit * (1 + _SLACK_SHARE) + _SLACK, stream=stream)
        except ParseError:  # pyoxigraph's line and column in the text as given, where it
            engine.check_query_syntax(sparql, base_iri)  # finds the error too (Virtuoso
            raise  # gives a line only); else Virtuoso's line
        return self.checked(answer, limit)

    @staticmethod
    def checked(answer: requests.Response, limit: float) -> requests.Response:
        """A 200 that is not a whole result raises: an anytime query's partial answer
        (``X-SQL-State: S1TAT``) and a result cut at ``ResultSetMaxRows``
        (``X-SPARQL-MaxRows``; Virtuoso flags it for SELECT only)."""
        if answer.headers.get("X-SQL-State") == "S1TAT":
            raise QueryTimeout(f"the query ran over its time limit ({limit:g} s) and "
                               "Virtuoso stopped it (its partial result is not returned)")
        if answer.headers.get("X-SPARQL-MaxRows"):
            raise ResultTooLarge(f"Virtuoso cut the result at its ResultSetMaxRows "
                                 f"({answer.headers['X-SPARQL-MaxRows']} rows); add LIMIT, "
                                 "or raise ResultSetMaxRows in virtuoso.ini")
        return answer

    @staticmethod
    def _names_its_dataset(sparql: str, dataset: Dataset) -> bool:
        """A query with FROM / FROM NAMED and no protocol dataset runs on its own."""
        return not dataset.given and not dataset.union_default and \
            bool(analyse(sparql).dataset_graphs)

    def _solutions(self, sparql: str, **options: Any) -> Any:
        body = self._query(sparql, accept=_JSON, **options).content
        body = body.replace(_JSON_BNODE, _JSON_BNODE[:-len(b"nodeID://")] + _LABEL.encode())
        return read_whole(body)

    def _triples(self, sparql: str, **options: Any) -> Iterator[ox.Triple]:
        body = self._query(sparql, accept=_NTRIPLES, **options).content
        for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES):
            yield ox.Triple(_relabel(q.subject), q.predicate, _relabel(q.object))

    # ------------------------------------------------------------------ queries

    def construct(self, sparql: str, *, dataset: Dataset, base_iri: str | None, max_rows: int,
                  timeout: float | None = None) -> list[ox.Triple]:
        if query_form(sparql) not in ("CONSTRUCT", "DESCRIBE"):
            raise BadRequest("not a CONSTRUCT or DESCRIBE query")
        triples = self._triples(sparql, dataset=dataset, base_iri=base_iri, timeout=timeout)
        return engine.bounded(dict.fromkeys(triples), max_rows, "triples")

    def query(self, sparql: str, *, media_type: str, dataset: Dataset, base_iri: str | None,
              max_rows: int, timeout: float | None = None) -> QueryOutcome:
        """Fetched as SPARQL JSON or N-Triples and written here in ``media_type`` (Virtuoso's
        CSV/TSV are not the standard's; it writes no N-Quads or TriG)."""
        form = query_form(sparql)
        output = engine.result_format(form, media_type)
        options = {"dataset": dataset, "base_iri": base_iri, "timeout": timeout}
        if form in ("SELECT", "ASK"):
            results = self._solutions(sparql, **options)
        else:
            results = self._triples(sparql, **options)
        body, count = engine._serialise(results, output, max_rows)
        return QueryOutcome(form, output.media_type, body, count)

    # ------------------------------------------------------------------ reads

    def _user_quads(self, where: str, timeout: float | None = None) -> Iterator[ox.Quad]:
        for row in self._solutions(f"SELECT ?s ?p ?o ?g WHERE {{ {where} }}", timeout=timeout):
            graph = row["g"]
            yield ox.Quad(_stored(row["s"]), row["p"], _stored(row["o"]),
                          ox.DefaultGraph() if graph.value == DEFAULT_GRAPH else graph)

    def _pattern(self, subject: Term | None, predicate: ox.NamedNode | None,  # type: ignore[override]
                 object: Term | None, graph: str | Literal["*"] | None) -> str:
        """A ``?s ?p ?o ?g`` pattern over the service's graphs only."""
        fixed = [(v, t) for v, t in (("s", subject), ("p", predicate), ("o", object))
                 if t is not None]
        if any(_fresh(t) for _, t in fixed) or graph == VERSION_GRAPH:
            return "FILTER(false)"  # a blank node Virtuoso did not store matches nothing
        graphs = [DEFAULT_GRAPH, *self.graph_names()] if graph == "*" else \
            [DEFAULT_GRAPH if graph is None else graph]
        # a stored blank node must be a constant of the triple (as a VALUES or BIND value
        # ``<nodeID://…>`` is only an IRI); it comes back as one through the BIND
        stored = {v: _term(t) for v, t in fixed if isinstance(t, ox.BlankNode)}
        values = " ".join(f"VALUES ?{v} {{ {_term(t)} }}" for v, t in fixed if v not in stored)
        triple = " ".join(stored.get(v, f"?{v}") for v in "spo")
        binds = " ".join(f"BIND({iri} AS ?{v})" for v, iri in stored.items())
        listed = " ".join(f"<{g}>" for g in graphs)
        return f"VALUES ?g {{ {listed} }} {values} GRAPH ?g {{ {triple} }} {binds}"

    def graph_names(self) -> list[str]:
        """The registry (Virtuoso keeps no empty graph, and has graphs of its own)."""
        rows = self._solutions(f"SELECT ?g WHERE {{ GRAPH <{VERSION_GRAPH}> {{ {_REGISTRY} ?g "
                               "} }")
        return sorted(r["g"].value for r in rows)

    def _graph_triples(self, name: str | None) -> Iterator[ox.Triple]:
        """By SELECT, not the Graph Store (Virtuoso's writes no N-Quads, knows no empty
        graph and no service default graph)."""
        for q in self._user_quads(self._pattern(None, None, None, name),
                                  timeout=self.write_timeout):
            yield q.triple

    def _dataset_quads(self) -> Iterator[ox.Quad]:
        return self._user_quads(self._pattern(None, None, None, "*"),
                                timeout=self.write_timeout)

    def dump(self, *, media_type: str) -> Iterator[bytes]:
        output = engine.rdf_format(media_type)
        quads = self._dataset_quads()
        if output.supports_datasets:
            return iter([ox.serialize(quads, format=output)])
        return iter([ox.serialize((q.triple for q in quads), format=output)])

    def status(self) -> dict[str, Any]:
        try:
            where = self._pattern(None, None, None, "*")
            rows = self._solutions(f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ {where} }} GROUP BY ?g")
            graphs = {("" if r["g"].value == DEFAULT_GRAPH else r["g"].value): int(r["n"].value)
                      for r in rows}
            for name in self.graph_names():
                graphs.setdefault(name, 0)
            graphs.setdefault("", 0)
            return {"ok": True, "quads": sum(graphs.values()), "graphs": graphs,
                    "backend": self.name, "generation": self.generation()}
        except StoreUnavailable as exc:
            return {"ok": False, "error": exc.message}

    # ------------------------------------------------------------------ writes

    def _operations(self, change: Change, guard: str) -> _Plan:
        """The base class's plan with Virtuoso's terms (the default graph as
        :data:`DEFAULT_GRAPH`, stored blank nodes by ``nodeID``) and the graph registry
        kept in the same guarded update; nothing follows a commit (no empty graphs)."""
        if isinstance(change, QuadDelta):
            ops = _delta_ops(change.removed, change.added, guard, clear=change.dropped_graphs)
            plan = _Plan(ops)
        elif isinstance(change, ReplaceGraph | MergeGraph):
            name, replace = change.graph, isinstance(change, ReplaceGraph)
            target = ox.DefaultGraph() if name is None else ox.NamedNode(name)
            new = [ox.Quad(q.subject, q.predicate, q.object, target) for q in change.quads]
            plan = _Plan(_delta_ops((), new, guard, clear=[name] if replace and name else [],
                                    clear_default=replace and name is None),
                         created=name is not None and not self.graph_exists(name))
        elif isinstance(change, DropGraph):
            if not self.graph_exists(change.graph):
                raise NotFound(f"no graph named <{change.graph}> in the store")
            plan = _Plan(_delta_ops((), (), guard, clear=[change.graph] if change.graph else [],
                                    clear_default=change.graph is None))
        elif isinstance(change, ReplaceGraphs):
            added = [q for quads in change.graphs.values() for q in quads]
            plan = _Plan(_delta_ops((), added, guard, clear=list(change.graphs)),
                         counts={g: len(set(quads)) for g, quads in change.graphs.items()})
        else:
            raise TypeError(f"not a store change: {change!r}")
        plan.ops += _registry_ops(*_graph_effects(change), guard)
        return plan

    def _load_file(self, change: BulkFile, expected: int, timeout: float | None) -> Applied:
        """A bulk file as one guarded update built in memory (for files the size of a web
        upload; large loads go through Virtuoso's own loader, ``bench/virtuoso.py``)."""
        with open(change.path, "rb") as file:
            try:
                quads = list(ox.parse(file, format=ox.RdfFormat.N_QUADS))
            except SyntaxError as exc:
                raise engine.parse_error(exc, source=str(change.path)) from None
        guard = self._guard(expected)
        self._commit(_delta_ops((), quads, guard)
                     + _registry_ops(*_graph_effects(QuadDelta(added=tuple(quads))), guard),
                     expected, timeout)
        return Applied(expected + 1)

    def _commit(self, ops: list[str], expected: int, timeout: float | None,
                first: Any = None) -> None:
        """As the base class, but the version's step is an INSERT then a DELETE: Virtuoso
        drops a whole solution from ``DELETE … INSERT … WHERE { … OPTIONAL … }`` when a
        DELETE variable is unbound (so the first write would never commit)."""
        mark = f"<urn:alliancegraph:write:{uuid.uuid4().hex}>"
        guard, new = self._guard(expected), expected + 1
        prune = (f"DELETE {{ GRAPH <{VERSION_GRAPH}> {{ ?m {_NUMBER} ?k }} }} WHERE {{ {guard} "
                 f"GRAPH <{VERSION_GRAPH}> {{ ?m {_NUMBER} ?k }} "
                 f"FILTER(?m != {_SUBJECT} && ?k < {new - MARKS_KEPT}) }}")
        step = (f"INSERT {{ GRAPH <{VERSION_GRAPH}> {{ {_SUBJECT} {_NUMBER} {new} . {mark} "
                f"{_NUMBER} {new} ; {_TIME} ?now }} }} WHERE {{ {guard} BIND(NOW() AS ?now) }}")
        old = (f"DELETE {{ GRAPH <{VERSION_GRAPH}> {{ {_SUBJECT} {_NUMBER} ?n }} }} WHERE {{ "
               f"GRAPH <{VERSION_GRAPH}> {{ {mark} {_NUMBER} {new} . {_SUBJECT} {_NUMBER} ?n }}"
               f" FILTER(?n != {new}) }}")
        self._update(" ;\n".join([*ops, prune, prune_times(guard), step, old]), timeout)
        if not bool(self._solutions(f"ASK {{ GRAPH <{VERSION_GRAPH}> {{ {mark} ?p ?o }} }}")):
            raise WriteConflict(f"another writer changed the store (generation {expected}); "
                                "nothing was written")


def _graph_effects(change: Change) -> tuple[list[str], list[str]]:
    """(named graphs that exist after the change, named graphs it removes)."""
    if isinstance(change, QuadDelta):
        kept = {q.graph_name.value for q in change.added
                if isinstance(q.graph_name, ox.NamedNode)} | set(change.created_graphs)
        return sorted(kept), sorted(set(change.dropped_graphs) - kept)
    if isinstance(change, ReplaceGraph | MergeGraph):
        return ([change.graph] if change.graph else []), []
    if isinstance(change, DropGraph):
        return [], ([change.graph] if change.graph else [])
    if isinstance(change, ReplaceGraphs):
        return sorted(change.graphs), []
    return [], []


def _registry_ops(kept: Sequence[str], gone: Sequence[str], guard: str) -> list[str]:
    ops = []
    for verb, graphs in (("DELETE", gone), ("INSERT", kept)):
        if graphs:
            listed = " ".join(f"{_REGISTRY} <{g}> ." for g in graphs)
            ops.append(f"{verb} {{ GRAPH <{VERSION_GRAPH}> {{ {listed} }} }} "
                       f"WHERE {{ {guard} }}")
    return ops


_XSD = "http://www.w3.org/2001/XMLSchema#"
_DECIMAL = r"[+-]?(\d+(\.\d*)?|\.\d+)"
_FLOATING = re.compile(rf"{_DECIMAL}([eE][+-]?\d+)?|[+-]?INF|NaN")
#: the datatypes Virtuoso converts to its own values as it writes, and their lexical
#: forms (XSD 1.1; xsd:integer within its 64 bits): a literal outside them fails the
#: operation half-way through the request (SR341, SR127, SR066, SR334, DT006, measured),
#: after the earlier operations were applied
_CONVERTED = {
    _XSD + "integer": re.compile(r"[+-]?\d+"),
    _XSD + "decimal": re.compile(_DECIMAL),
    _XSD + "double": _FLOATING,
    _XSD + "float": _FLOATING,
    _XSD + "boolean": re.compile(r"true|false|1|0"),
    _XSD + "dateTime": re.compile(r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?"
                                  r"(Z|[+-]\d\d:\d\d)?"),
}


def joins(sparql: str) -> list[int]:
    """An upper bound of the triple patterns of each join Virtuoso compiles for ``sparql``.

    Per group, outside parentheses: each ``.``, ``;``, ``,`` (``ex:o.`` is one token to the
    tokenizer: its dot counts), ``[ p o ]``, and each pattern ended by no dot (before
    ``{``, ``}`` or a keyword such as OPTIONAL). Over by one for a decimal's point; under
    only for RDF collections, ``( … )`` being skipped as expressions are. A group that is
    not a join of its own (:data:`_OWN_JOIN_AFTER`, a subquery, a UNION branch) is added
    to the one around it."""
    tokens = tokenize(sparql)
    open_groups: list[list[int]] = []  # [patterns, own join?] of each open group
    done: list[int] = []
    parens = 0
    for i, token in enumerate(tokens):
        text = token.text if token.kind == "punct" else ""
        if open_groups and parens <= 0 and _ends_a_pattern(tokens, i):
            open_groups[-1][0] += 1
        if text == "{":
            before = tokens[i - 1].keyword if i else ""
            after = tokens[i + 1].keyword if i + 1 < len(tokens) else ""
            own = before in _OWN_JOIN_AFTER or after == "SELECT" or not open_groups
            open_groups.append([0, int(own)])
        elif text == "}" and open_groups:
            patterns, own = open_groups.pop()
            branch = i + 1 < len(tokens) and tokens[i + 1].keyword == "UNION"
            if own or branch or not open_groups:
                done.append(patterns)
            else:
                open_groups[-1][0] += patterns
        elif text in ("(", ")"):
            parens += 1 if text == "(" else -1
    return done + [patterns + 1 for patterns, _ in open_groups]  # unclosed: at most one more


#: the keywords that end a pattern written without its dot
_GROUP_KEYWORDS = frozenset({"OPTIONAL", "FILTER", "MINUS", "GRAPH", "BIND", "VALUES",
                             "SERVICE", "UNION"})
#: the keywords whose term before a ``{`` is no pattern's
_NAMING_KEYWORDS = frozenset({"GRAPH", "SERVICE", "SILENT", "VALUES"})


def _ends_a_pattern(tokens: list[Token], i: int) -> bool:
    """Whether ``tokens[i]`` ends a triple pattern (see :func:`joins`)."""
    token = tokens[i]
    if token.text in (".", ";", ",") or (token.kind == "pname" and token.text.endswith(".")):
        return True
    if token.text == "[":
        return i + 1 < len(tokens) and tokens[i + 1].text != "]"
    if token.text == "{" and i > 1 and tokens[i - 2].keyword in _NAMING_KEYWORDS:
        return False  # GRAPH ?g {: the term names the graph
    if token.text in ("{", "}") or token.keyword in _GROUP_KEYWORDS:
        return i > 0 and _ends_a_term(tokens[i - 1])
    return False


def _ends_a_term(token: Token) -> bool:
    if token.kind == "pname":
        return not token.text.endswith(".")
    return token.kind in ("var", "iri", "string", "lang") or token.text == "]" or (
        token.kind == "punct" and token.text.isdigit())


def _refuse_large_joins(sparql: str) -> None:
    """BadRequest for a query Virtuoso could not compile within any time limit (see
    :data:`MAX_JOIN_PATTERNS`, :data:`JOIN_BUDGET`)."""
    sizes = joins(sparql)
    if max(sizes, default=0) > MAX_JOIN_PATTERNS:
        raise BadRequest(f"a group of this query joins up to {max(sizes)} triple patterns; "
                         f"on Virtuoso at most {MAX_JOIN_PATTERNS} are taken in one join "
                         "(nested {{ }} and GRAPH groups included), since its compiler is "
                         "not stopped by the time limit: move patterns into OPTIONAL, "
                         "UNION or a subquery, or into a second query")
    if sum(size ** 3 for size in sizes) > JOIN_BUDGET:
        raise BadRequest(f"this query's joins ({len(sizes)}, the largest of {max(sizes)} "
                         "triple patterns) are more than Virtuoso compiles within any time "
                         f"limit (a budget of {JOIN_BUDGET} for the sum of each join's "
                         "patterns cubed): split it into several queries")


def _refuse_unstorable(*quad_lists: Sequence[ox.Quad]) -> None:
    """BadRequest, before anything is sent, for a literal Virtuoso cannot convert: a
    request it fails in the middle is not undone (it is not atomic)."""
    for quads in quad_lists:
        for quad in quads:
            term = quad.object
            if not isinstance(term, ox.Literal):
                continue
            form = _CONVERTED.get(term.datatype.value)
            if form is None:
                continue
            value = term.value.strip()
            if not form.fullmatch(value) or (term.datatype.value == _XSD + "integer"
                                             and not -2**63 <= int(value) < 2**63):
                raise BadRequest(f"Virtuoso cannot store the literal {term} (not a "
                                 f"{term.datatype.value.removeprefix(_XSD)} it can convert: "
                                 "it keeps numbers, booleans and dates as values); nothing "
                                 "was written")


def _delta_ops(removed: Sequence[ox.Quad], added: Sequence[ox.Quad], guard: str, *,
               clear: Sequence[str] = (), clear_default: bool = False) -> list[str]:
    """Guarded operations: ``removed`` go, ``clear`` graphs are emptied, ``added`` come.
    Each names one graph (a template over several makes Virtuoso fail *after* writing:
    error SR002). A new blank node is made first, keyed by its label in the reserved
    graph, found there by each template that uses it, and the keys removed at the end
    (``_:label`` would be a new node in every operation)."""
    if any(_fresh(t) for q in removed for t in (q.subject, q.object)):
        raise BadRequest("a quad to remove names a blank node Virtuoso did not store")
    _refuse_unstorable(removed, added)
    ops = [f"DELETE {{ GRAPH <{g}> {{ {_triples_text(part)} }} }} WHERE {{ {guard} }}"
           for g, quads in _by_graph(removed).items() for part in _chunks(quads)]
    cleared = [*clear, DEFAULT_GRAPH] if clear_default else list(clear)
    ops += [f"DELETE {{ GRAPH <{g}> {{ ?s ?p ?o }} }} WHERE {{ {guard} "
            f"GRAPH <{g}> {{ ?s ?p ?o }} }}" for g in cleared]
    new = [q for q in added if _fresh(q.subject) or _fresh(q.object)]
    plain = [q for q in added if not (_fresh(q.subject) or _fresh(q.object))]
    ops += [f"INSERT {{ GRAPH <{g}> {{ {_triples_text(part)} }} }} WHERE {{ {guard} }}"
            for g, quads in _by_graph(plain).items() for part in _chunks(quads)]
    labels = sorted({t.value for q in new for t in (q.subject, q.object) if _fresh(t)})
    for start in range(0, len(labels), CHUNK):
        keys = " ".join(f"_:n{i} {_PENDING} {json.dumps(label)} ."
                        for i, label in enumerate(labels[start:start + CHUNK]))
        ops.append(f"INSERT {{ GRAPH <{VERSION_GRAPH}> {{ {keys} }} }} WHERE {{ {guard} }}")
    for g, quads in _by_graph(new).items():
        for part in _chunks(quads):
            names = {label: f"?b{i}" for i, label in enumerate(sorted(
                {t.value for q in part for t in (q.subject, q.object) if _fresh(t)}))}
            found = " ".join(f"{v} {_PENDING} {json.dumps(label)} ."
                             for label, v in names.items())
            ops.append(f"INSERT {{ GRAPH <{g}> {{ {_triples_text(part, names)} }} }} "
                       f"WHERE {{ {guard} GRAPH <{VERSION_GRAPH}> {{ {found} }} }}")
    if labels:
        ops.append(f"DELETE {{ GRAPH <{VERSION_GRAPH}> {{ ?b {_PENDING} ?l }} }} WHERE {{ "
                   f"GRAPH <{VERSION_GRAPH}> {{ ?b {_PENDING} ?l }} }}")
    return ops


def _triples_text(quads: Sequence[ox.Quad], names: dict[str, str] | None = None) -> str:
    """Triples in a template; a fresh blank node as its variable in ``names``."""
    def term(t: Any) -> str:
        return names[t.value] if names and _fresh(t) else _term(t)

    return " ".join(f"{term(q.subject)} {term(q.predicate)} {term(q.object)} ."
                    for q in quads)
