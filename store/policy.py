"""The policy above any backend: :class:`PolicyStore`, the :class:`~alliancegraph.store.base.Store`
the service, the CLI and the notebook use.

Written once for every backend:

* the SPARQL policy (:mod:`alliancegraph.store.sparql_guard`): SERVICE and LOAD of IRIs the
  setting ``federation_endpoints`` does not allow, and ``file:`` IRIs, are refused; FROM /
  FROM NAMED / USING must name graphs the store holds (they never fetch); a protocol dataset
  overrides FROM, and on an update it becomes USING clauses (refused together with WITH or
  USING);
* federation (:mod:`alliancegraph.store.federation`): an allowed SERVICE is called here and
  its solutions written into the query as VALUES, an allowed LOAD fetched here and written
  as INSERT DATA, so the backend only ever runs a text that calls nobody;
* the dataset a query runs on: the union of all graphs as the default graph for a query
  with neither FROM nor a protocol dataset (setting ``union_default_graph``);
* the row limit (413, never truncated) and the query time limit (where the backend can stop
  a query: ``backend.stops_runaway_queries``);
* validation on write: the write's delta is computed and validated on the committed state
  by the backend's writer (:func:`prepare_validated` through ``backend.apply_prepared``),
  and exactly that delta is applied with no other write in between: writes queue, reads go
  on, and nothing conflicts. The whole of it has ``validation_timeout``. What was validated
  is what is stored: fresh blank nodes and ``NOW()`` included. A dry run validates on a
  read view (:func:`compute_and_validate`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

import pyoxigraph as ox
from alliancegraph.errors import BadRequest, QueryTimeout, WriteTimeout
from alliancegraph.store import engine, sparql_guard
from alliancegraph.store.base import (
    Applied,
    Backend,
    BulkFile,
    Change,
    Dataset,
    DropGraph,
    MergeGraph,
    QuadDelta,
    QueryForm,
    QueryOutcome,
    ReadView,
    ReplaceGraph,
    ReplaceGraphs,
    Solutions,
    Term,
    Update,
)
from alliancegraph.store.federation import Federation, inert_text
from alliancegraph.store.rdf_input import parse_rdf

if TYPE_CHECKING:
    from alliancegraph.shapes.validate import Report
    from rdflib import Graph

log = logging.getLogger(__name__)

#: how often a validated write is computed again when another write came first

#: the backends that run queries on this engine (pyoxigraph), whose parse is the check
OWN_ENGINE = ("memory", "embedded")


class PolicyStore:
    """:class:`~alliancegraph.store.base.Store`: ``backend`` under the policy (see the module).

    ``shapes``: the shapes validation on write uses (an rdflib graph); None for the bundled
    shapes. ``validate_on_write`` off sends every write to the backend as it is.
    ``federation``: the endpoints SERVICE and LOAD may reach (default: none).
    """

    def __init__(self, backend: Backend, *, base_iri: str, max_rows: int,
                 query_timeout: float | None, union_default_graph: bool = True,
                 validate_on_write: bool = True, validation_timeout: float | None = 120.0,
                 shapes: Graph | None = None, federation: Federation | None = None):
        self.backend = backend
        self.federation = federation if federation is not None else Federation()
        self.base_iri = base_iri
        self.max_rows = max_rows
        self.query_timeout = query_timeout
        self.union_default_graph = union_default_graph
        self.validate_on_write = validate_on_write
        self.validation_timeout = validation_timeout
        self._shapes: tuple[str, str | None] | None = None
        self._shapes_graph = shapes

    def generation(self) -> int:
        return self.backend.generation()

    def committed_at(self) -> float:
        return self.backend.committed_at()

    def state(self) -> tuple[int, float]:
        return self.backend.state()

    # ------------------------------------------------------------------ queries

    def query_form(self, sparql: str) -> QueryForm:
        return sparql_guard.query_form(sparql)

    def _prepare(self, sparql: str, dataset: Dataset | None, base_iri: str | None, *,
                 forms: tuple[QueryForm, ...] = (), media_type: str | None = None
                 ) -> tuple[QueryForm, Dataset, str, str]:
        """Check the query (of one of ``forms``, answerable in ``media_type``); its form,
        the dataset it runs on, its base and the text the backend runs (SERVICE evaluated:
        the remote is called only once everything else was checked)."""
        base = base_iri or self.base_iri
        found = sparql_guard.check_query(sparql, base, self.federation.endpoints)
        assert found.form is not None  # check_query raises for text that is no query
        if forms:
            _expect(found.form, forms)
        if media_type is not None:
            engine.result_format(found.form, media_type)  # NotAcceptable before anything runs
        if dataset is not None and dataset.given:  # the protocol dataset overrides FROM
            effective = Dataset(dataset.default_graphs, dataset.named_graphs)
        else:
            self._require_graphs(found.dataset_graphs, "FROM", inert_text(sparql, found),
                                 base, query=True)
            effective = Dataset(union_default=self.union_default_graph
                                and not found.dataset_graphs)
        if self.backend.name not in OWN_ENGINE:
            # a SPARQL server may take more than SPARQL 1.1 (Virtuoso runs DEFINE pragmas,
            # IRIs as projections, its own functions): only the standard reaches it
            engine.check_query_syntax(inert_text(sparql, found), base)
        text = self.federation.evaluate(sparql, found, base, query=True)
        return found.form, effective, base, text

    def _require_graphs(self, iris: list[str], clause: str, text: str, base: str, *,
                        query: bool) -> None:
        missing = [iri for iri in iris if not self.backend.graph_exists(iri)]
        if not missing:
            return
        # a syntax error is reported before a missing graph, as the engine would
        (engine.check_query_syntax if query else engine.check_update_syntax)(text, base)
        raise sparql_guard.Refused(
            f"{clause} <{missing[0]}> names no graph of this store; FROM and USING never "
            "fetch documents, they only select stored graphs; remote data is reached only "
            f"through SERVICE to an endpoint listed in the setting {sparql_guard.SETTING}")

    def query(self, sparql: str, *, media_type: str, dataset: Dataset | None = None,
              base_iri: str | None = None) -> QueryOutcome:
        _, effective, base, text = self._prepare(sparql, dataset, base_iri,
                                                 media_type=media_type)
        return self.backend.query(text, media_type=media_type, dataset=effective,
                                  base_iri=base, max_rows=self.max_rows,
                                  timeout=self.query_timeout)

    def select(self, sparql: str, *, dataset: Dataset | None = None,
               base_iri: str | None = None) -> Solutions:
        _, effective, base, text = self._prepare(sparql, dataset, base_iri, forms=("SELECT",))
        return self.backend.select(text, dataset=effective, base_iri=base,
                                   max_rows=self.max_rows, timeout=self.query_timeout)

    def ask(self, sparql: str, *, dataset: Dataset | None = None,
            base_iri: str | None = None) -> bool:
        _, effective, base, text = self._prepare(sparql, dataset, base_iri, forms=("ASK",))
        return self.backend.ask(text, dataset=effective, base_iri=base,
                                timeout=self.query_timeout)

    def construct(self, sparql: str, *, dataset: Dataset | None = None,
                  base_iri: str | None = None) -> list[ox.Triple]:
        _, effective, base, text = self._prepare(sparql, dataset, base_iri,
                                                 forms=("CONSTRUCT", "DESCRIBE"))
        return self.backend.construct(text, dataset=effective, base_iri=base,
                                      max_rows=self.max_rows, timeout=self.query_timeout)

    def quads(self, subject: Term | None = None, predicate: ox.NamedNode | None = None,
              object: Term | None = None, graph: str | Literal["*"] | None = "*"
              ) -> list[ox.Quad]:
        return self.backend.quads(subject, predicate, object, graph, limit=self.max_rows)

    # ------------------------------------------------------------------ writes

    def _prepare_update(self, sparql: str, dataset: Dataset | None,
                        base_iri: str | None) -> Update:
        base = base_iri or self.base_iri
        found = sparql_guard.check_update(sparql, base, self.federation.endpoints)
        text = sparql_guard.add_using(sparql, found, dataset)
        # the protocol's USING moved the offsets of SERVICE and LOAD
        located = found if text == sparql else sparql_guard.analyse(text, base)
        self._require_graphs(found.dataset_graphs, "USING", inert_text(text, located), base,
                             query=False)
        return Update(self.federation.evaluate(text, located, base, query=False), base)

    def update(self, sparql: str, *, dataset: Dataset | None = None,
               base_iri: str | None = None) -> Applied:
        return self._write(self._prepare_update(sparql, dataset, base_iri))

    def dry_run(self, sparql: str, *, dataset: Dataset | None = None,
                base_iri: str | None = None) -> Report:
        """The report the update would get (violations included), nothing applied."""
        change = self._prepare_update(sparql, dataset, base_iri)
        report, _, _ = self._validated(change)
        return report

    def put_graph(self, name: str | None, data: bytes, *, media_type: str,
                  base_iri: str | None = None) -> Applied:
        quads = parse_rdf(data, media_type, graph=name, base_iri=base_iri or self.base_iri,
                          source="the request body")
        return self._write(ReplaceGraph(name, tuple(quads)))

    def post_graph(self, name: str | None, data: bytes, *, media_type: str,
                   base_iri: str | None = None) -> Applied:
        quads = parse_rdf(data, media_type, graph=name, base_iri=base_iri or self.base_iri,
                          source="the request body")
        return self._write(MergeGraph(name, tuple(quads)))

    def delete_graph(self, name: str | None) -> Applied:
        return self._write(DropGraph(name))

    def apply(self, change: Change) -> Applied:
        if isinstance(change, Update):  # the SPARQL policy holds for every update
            change = self._prepare_update(change.sparql, None, change.base_iri)
        elif isinstance(change, BulkFile) and self.validate_on_write:
            # validation checks the quads as they would be stored: the file's quads as
            # one delta (blank nodes as the file labels them), not the backend's bulk path
            change = QuadDelta(added=engine.call(lambda: tuple(ox.parse(
                path=change.path, format=ox.RdfFormat.N_QUADS))))
        return self._write(change)

    def _write(self, change: Change) -> Applied:
        if not self.validate_on_write:
            return self.backend.apply(change)
        from alliancegraph.shapes.validate import report_from_wire
        from alliancegraph.store.guard import refusal

        # The delta is computed and validated by the writer on the committed state, and
        # applied as it is: no other write can come in between (writes queue, reads go on).
        try:
            applied, (created, wire) = self.backend.apply_prepared(
                prepare_validated, change, self._shapes_key(),
                timeout=self.validation_timeout)
        except WriteTimeout:
            raise WriteTimeout(
                f"the write was not queued, validated and applied within validation_timeout "
                f"({self.validation_timeout} s); nothing was written") from None
        report = report_from_wire(wire)
        if applied is None:
            raise refusal(report)
        if report.results:
            log.info("write accepted with %d warning(s)", len(report.results))
        counts = ({name: len(set(quads)) for name, quads in change.graphs.items()}
                  if isinstance(change, ReplaceGraphs) else applied.counts)
        return dataclasses.replace(applied, created=created, counts=counts, report=report)

    def _validated(self, change: Change) -> tuple[Report, tuple[QuadDelta, bool], int]:
        """(report, (the delta to apply, whether it creates the named graph it is for),
        the generation it was computed on)."""
        from alliancegraph.shapes.validate import report_from_wire

        try:
            (delta, created, wire), seen = self.backend.read_view(
                compute_and_validate, change, self._shapes_key(),
                timeout=self.validation_timeout)
        except QueryTimeout:
            raise QueryTimeout(f"validating the write took longer than validation_timeout "
                               f"({self.validation_timeout} s); nothing was written") from None
        return report_from_wire(wire), (delta, created), seen

    def _shapes_key(self) -> tuple[str, str | None]:
        if self._shapes is None:
            from alliancegraph.store.guard import shapes_key

            self._shapes = shapes_key(self._shapes_graph)
        return self._shapes

    # ------------------------------------------------------------------ reads

    def graph_names(self) -> list[str]:
        return self.backend.graph_names()

    def graph_exists(self, name: str | None) -> bool:
        return self.backend.graph_exists(name)

    def get_graph(self, name: str | None, *, media_type: str) -> bytes:
        return self.backend.get_graph(name, media_type=media_type)

    def count(self, graph: str | Literal["*"] | None = "*") -> int:
        return self.backend.count(graph)

    def dump(self, *, media_type: str) -> Iterator[bytes]:
        return self.backend.dump(media_type=media_type)

    def status(self) -> dict[str, Any]:
        return self.backend.status()

    def close(self) -> None:
        self.backend.close()


def _expect(form: QueryForm, forms: tuple[QueryForm, ...]) -> None:
    if form not in forms:
        raise BadRequest(f"expected a {' or '.join(forms)} query, got {form}")


def compute_and_validate(view: ReadView, change: Change, shapes: tuple[str, str | None]
                         ) -> tuple[QuadDelta, bool, Any]:
    """On a read view (in whatever process the backend runs it): the delta of ``change``
    as the explicit :class:`QuadDelta` to apply, whether it creates the named graph a
    Graph Store write is for, and the validation report against ``shapes`` (a key of
    :func:`alliancegraph.store.guard.shapes_key`) in its wire form. Raises ParseError,
    BadRequest, NotFound as the write itself would; never ValidationFailed (the caller
    decides: a write is refused, a dry run reports)."""
    from alliancegraph.shapes.validate import report_to_wire

    delta, created, report = _delta_and_report(view, change, shapes)
    return delta, created, report_to_wire(report)


def prepare_validated(view: ReadView, change: Change, shapes: tuple[str, str | None]
                      ) -> tuple[QuadDelta | None, tuple[bool, Any]]:
    """For :meth:`Backend.apply_prepared`: the delta to apply, or None when the report has
    violations (nothing is written); with whether the write creates its named graph and the
    report in its wire form."""
    from alliancegraph.shapes.validate import report_to_wire

    delta, created, report = _delta_and_report(view, change, shapes)
    return (delta if report.conforms else None), (created, report_to_wire(report))


def _delta_and_report(view: ReadView, change: Change, shapes: tuple[str, str | None]
                      ) -> tuple[QuadDelta, bool, Report]:
    from alliancegraph.store.delta import change_delta
    from alliancegraph.store.guard import guard_for

    delta = change_delta(view, change)
    created = isinstance(change, ReplaceGraph | MergeGraph) and change.graph is not None \
        and not view.contains_named_graph(ox.NamedNode(change.graph))
    return delta.as_change(), created, guard_for(shapes).report_for(view, delta)
