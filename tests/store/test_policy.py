"""``alliancegraph.store.policy``: what the policy does around any backend — what it sends
down, how validated writes queue, what crosses a process boundary —
and :func:`alliancegraph.store.open_store`. The contract suite checks the results."""

from __future__ import annotations

import pickle
from typing import Any

import pyoxigraph as ox
import pytest
from alliancegraph.config import load_settings
from alliancegraph.errors import (
    BadRequest,
    ConfigError,
    ParseError,
    ValidationFailed,
    WriteTimeout,
)
from alliancegraph.store import Update, open_store
from alliancegraph.store.federation import Federation
from alliancegraph.store.guard import guard_for, shapes_key
from alliancegraph.store.memory import MemoryBackend
from alliancegraph.store.policy import PolicyStore
from rdflib import Graph

EX = "http://example.org/policy/"
PREFIX = f"PREFIX ex: <{EX}>\n"
SHAPES = Graph().parse(format="turtle", data=f"""
    @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <{EX}> .
    ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ;
        sh:property [ sh:path ex:name ; sh:minCount 1 ] .
    """)


class Recording(MemoryBackend):
    """A memory backend that records what the policy hands it; with ``pickled``, a read
    view's work, arguments, result and errors go through pickle, as to another process."""

    def __init__(self, *, pickled: bool = False):
        super().__init__()
        self.applied: list[tuple[Any, int | None]] = []
        self.pickled = pickled

    def apply(self, change, *, if_generation=None, timeout=None):
        self.applied.append((change, if_generation))
        return super().apply(change, if_generation=if_generation, timeout=timeout)

    def read_view(self, work, *args, timeout=None):
        return self._across(super().read_view, work, args, timeout)

    def apply_prepared(self, prepare, *args, timeout=None):
        applied, payload = self._across(super().apply_prepared, prepare, args, timeout)
        if applied is not None:
            self.applied.append(("prepared", applied.generation))
        return applied, payload

    def _across(self, call, work, args, timeout):
        if not self.pickled:
            return call(work, *args, timeout=timeout)
        work, args = pickle.loads(pickle.dumps((work, args)))
        try:
            result = call(work, *args, timeout=timeout)
        except Exception as exc:  # re-raised whole, as a worker process sends it back
            raise pickle.loads(pickle.dumps(exc)) from None
        return pickle.loads(pickle.dumps(result))


def policy(backend, **options) -> PolicyStore:
    return PolicyStore(backend, base_iri=EX, max_rows=100, query_timeout=5.0,
                       **({"shapes": SHAPES} | options))


def test_without_validation_the_change_goes_down_as_it_is():
    backend = Recording()
    store = policy(backend, validate_on_write=False)
    store.update(PREFIX + "INSERT DATA { ex:a ex:p 1 }")
    assert backend.applied == [(Update(PREFIX + "INSERT DATA { ex:a ex:p 1 }", EX), None)]


def test_with_validation_the_validated_delta_is_what_is_applied():
    backend = Recording()
    store = policy(backend)
    applied = store.update(PREFIX + "INSERT DATA { ex:a a ex:Thing ; ex:name _:n }")
    assert backend.applied == [("prepared", 1)] and applied.generation == 1
    (stored,) = store.quads(predicate=ox.NamedNode(EX + "name"))
    assert isinstance(stored.object, ox.BlankNode) and applied.report.conforms


def test_validation_works_across_a_process_boundary():
    backend = Recording(pickled=True)
    store = policy(backend)
    applied = store.update(PREFIX + "INSERT DATA { ex:a a ex:Thing ; ex:name 'A' }")
    assert applied.report.conforms and applied.report.checked
    with pytest.raises(ValidationFailed) as caught:
        store.update(PREFIX + "INSERT DATA { ex:b a ex:Thing }")
    assert caught.value.report["conforms"] is False
    with pytest.raises(ParseError) as parse:  # the error keeps its place across
        store.update("INSERT DATA {\n <a> }")
    assert parse.value.line == 2
    with pytest.raises(BadRequest, match="already exists"):
        store.update(PREFIX + "CREATE GRAPH ex:g ; CREATE GRAPH ex:g")


class Queried(MemoryBackend):
    """A memory backend that records the text of every typed query it is given."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []

    def select(self, sparql, **kwargs):
        self.texts.append(sparql)
        return super().select(sparql, **kwargs)


def test_the_backend_gets_the_federated_text_never_a_service_or_load(external_sparql):
    backend = Queried()
    store = policy(backend, validate_on_write=False,
                   federation=Federation((external_sparql.wikidata,)))
    query = (f"PREFIX wdt: <http://www.wikidata.org/prop/direct/>\nSELECT ?c WHERE "
             f"{{ SERVICE <{external_sparql.wikidata}> {{ ?i wdt:P297 ?c FILTER(?c = 'JP') }} }}")
    assert store.select(query).column("c") == [ox.Literal("JP")]
    [sent] = backend.texts
    assert "SERVICE" not in sent and "VALUES (?c ?i) {" in sent
    assert '("JP" <http://www.wikidata.org/entity/Q17>)' in sent
    recording = Recording()
    loading = policy(recording, validate_on_write=False,
                     federation=Federation((external_sparql.wikidata,)))
    loading.update(f"LOAD <{external_sparql.wikidata}?query=CONSTRUCT%7B%3Cx:a%3E%20%3Cx:b%3E"
                   f"%20%3Cx:c%3E%7DWHERE%7B%7D> INTO GRAPH <{EX}g>")
    [(change, _)] = recording.applied
    assert change.sparql.startswith(f"INSERT DATA {{ GRAPH <{EX}g> {{") and "LOAD" not in \
        change.sparql and "<x:a> <x:b> <x:c>" in change.sparql


def test_a_store_made_without_federation_settings_allows_no_service():
    store = policy(MemoryBackend())
    assert store.federation == Federation() and store.federation.endpoints == ()


class Slow(MemoryBackend):
    def apply_prepared(self, prepare, *args, timeout=None):
        raise WriteTimeout("the write ran over its limit")


def test_validated_writes_from_many_threads_queue_and_all_apply():
    """Each write reads the counter and moves it on: a lost or doubled write shows."""
    import threading

    store = policy(MemoryBackend())
    store.update(PREFIX + "INSERT DATA { ex:c ex:n 0 }")
    bump = PREFIX + ("DELETE { ex:c ex:n ?n } INSERT { ex:c ex:n ?m } "
                     "WHERE { ex:c ex:n ?n BIND(?n + 1 AS ?m) }")
    threads = [threading.Thread(target=store.update, args=(bump,)) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.select(PREFIX + "SELECT ?n { ex:c ex:n ?n }").column("n") == [
        ox.Literal("12", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))]


def test_a_validation_over_its_time_limit_is_503_naming_the_setting():
    store = policy(Slow(), validation_timeout=0.5)
    with pytest.raises(WriteTimeout, match="validation_timeout") as caught:
        store.update(PREFIX + "INSERT DATA { ex:a ex:p 1 }")
    assert caught.value.status == 503 and store.count() == 0


def test_dry_run_validates_even_with_validation_off():
    store = policy(MemoryBackend(), validate_on_write=False)
    assert not store.dry_run(PREFIX + "INSERT DATA { ex:a a ex:Thing }").conforms
    assert store.count() == 0


def test_one_guard_per_shapes_per_process():
    key = shapes_key(SHAPES)
    assert key[0] == shapes_key(SHAPES)[0] != shapes_key(None)[0]
    assert guard_for(key) is guard_for(key)


# ---------------------------------------------------------------------- open_store


def test_open_store_builds_the_backend_the_settings_name(tmp_path):
    settings = load_settings(environ={}, overrides={
        "store": "memory", "data_dir": str(tmp_path), "max_rows": 7, "query_timeout": 3.0,
        "union_default_graph": False, "validate_on_write": False})
    store = open_store(settings, shapes=SHAPES)
    assert isinstance(store, PolicyStore) and isinstance(store.backend, MemoryBackend)
    assert (store.max_rows, store.query_timeout, store.union_default_graph,
            store.validate_on_write, store.base_iri) == (7, 3.0, False, False,
                                                          settings.base_iri)
    assert store.federation == Federation.from_settings(settings)
    store.close()


def test_open_store_refuses_a_bad_federation_setting(tmp_path):
    settings = load_settings(environ={}, overrides={
        "store": "memory", "data_dir": str(tmp_path), "federation_endpoints": "file:///etc/"})
    with pytest.raises(ConfigError, match="federation_endpoints"):
        open_store(settings)


def test_an_unknown_backend_is_a_config_error(tmp_path):
    settings = load_settings(environ={}, overrides={"store": "virtuoso-cluster",
                                                    "data_dir": str(tmp_path)})
    with pytest.raises(ConfigError, match="'store'"):
        open_store(settings)


def test_open_store_embedded(tmp_path):
    settings = load_settings(environ={}, overrides={"store": "embedded",
                                                    "data_dir": str(tmp_path),
                                                    "store_readers": 1})
    store = open_store(settings)
    try:
        assert store.backend.name == "embedded" and store.count() == 0
    finally:
        store.close()


def test_a_bulk_file_is_validated_as_the_quads_it_adds(tmp_path):
    from alliancegraph.store.base import BulkFile

    backend = Recording()
    store = policy(backend)
    good, bad = tmp_path / "good.nq", tmp_path / "bad.nq"
    good.write_text(f"<{EX}a> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{EX}Thing> .\n"
                    f"<{EX}a> <{EX}name> _:n <{EX}g> .\n")
    bad.write_text(f"<{EX}b> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{EX}Thing> .\n")
    applied = store.apply(BulkFile(good, 2))
    assert applied.report.conforms and backend.applied == [("prepared", 1)]
    assert store.count() == 2
    with pytest.raises(ValidationFailed):
        store.apply(BulkFile(bad, 1))
    assert store.count() == 2 and store.generation() == 1  # nothing of it was written
    unvalidated = policy(Recording(), validate_on_write=False)
    unvalidated.apply(BulkFile(bad, 1))  # down as it is, the backend's bulk path
    assert isinstance(unvalidated.backend.applied[0][0], BulkFile)
