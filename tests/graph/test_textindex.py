"""The text index (graph/textindex.py): used only when it holds the store's generation, so
a search reflects every write; rebuilt whole and swapped in; a broken or failed index never
breaks a search."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph.graph.search import fields, found
from alliancegraph.graph.textindex import TextIndex, index_path, literals_query, refresh
from alliancegraph.store.base import QuadDelta
from alliancegraph.store.memory import MemoryBackend
from alliancegraph.store.policy import PolicyStore

BASE = "https://w3id.org/alliancegraph/"
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
QUOTE = ox.NamedNode(BASE + "ontology#quote")
EVIDENCE = ox.NamedNode(BASE + "ontology#evidence")
GRAPH = ox.NamedNode(BASE + "graph/test")


def thing(name: str) -> ox.NamedNode:
    return ox.NamedNode(f"{BASE}id/test/{name}")


@pytest.fixture
def store() -> PolicyStore:
    store = PolicyStore(MemoryBackend(), base_iri=BASE, max_rows=100_000, query_timeout=None,
                        validate_on_write=False)
    evidence = ox.BlankNode()
    store.apply(QuadDelta(added=(
        ox.Quad(thing("tokyo"), LABEL, ox.Literal("東京都", language="ja"), GRAPH),
        ox.Quad(thing("seoul"), LABEL, ox.Literal("Seoul", language="en"), GRAPH),
        ox.Quad(thing("seoul"), EVIDENCE, evidence, GRAPH),
        ox.Quad(evidence, QUOTE, ox.Literal("the capital of the ROK"), GRAPH))))
    return store


@pytest.fixture
def index(tmp_path: Path) -> TextIndex:
    return TextIndex(index_path(tmp_path))


def search(store, text: str, index: TextIndex) -> tuple[list[str], bool]:
    hits, indexed = found(store, text, base_iri=BASE, index=index)
    return [h.iri for h in hits], indexed


def test_a_fresh_index_is_used_and_finds_blank_node_texts_by_their_owner(store, index):
    assert index.generation() is None  # none yet: the store is searched
    assert search(store, "capital", index) == ([thing("seoul").value], False)
    assert index.rebuild(store, fields(BASE)) == store.generation()
    assert search(store, "capital", index) == ([thing("seoul").value], True)
    assert search(store, "東京", index) == ([thing("tokyo").value], True)  # 2 characters
    assert search(store, "京", index) == ([thing("tokyo").value], True)


def test_after_a_write_the_store_is_searched_until_the_index_is_rebuilt(store, index):
    index.rebuild(store, fields(BASE))
    store.apply(QuadDelta(added=(ox.Quad(thing("busan"), LABEL, ox.Literal("Busan"), GRAPH),),
                          removed=(ox.Quad(thing("seoul"), LABEL,
                                           ox.Literal("Seoul", language="en"), GRAPH),)))
    assert search(store, "busan", index) == ([thing("busan").value], False)
    assert search(store, "seoul", index) == ([], False)
    refresh(index, store, fields(BASE)).join(timeout=30)
    assert index.generation() == store.generation()
    assert search(store, "busan", index) == ([thing("busan").value], True)
    assert search(store, "seoul", index) == ([], True)


def test_a_write_while_reading_leaves_the_index_as_it_was(store, index, monkeypatch):
    index.rebuild(store, fields(BASE))
    built = index.generation()
    select = store.backend.select

    def select_then_write(*args, **kwargs):
        answer = select(*args, **kwargs)
        store.apply(QuadDelta(added=(ox.Quad(thing("x"), LABEL, ox.Literal("x"), GRAPH),)))
        return answer

    monkeypatch.setattr(store.backend, "select", select_then_write)
    assert index.rebuild(store, fields(BASE)) is None
    assert index.generation() == built


def test_a_reader_keeps_the_index_it_opened_while_a_new_one_is_swapped_in(store, index):
    index.rebuild(store, fields(BASE))
    reader = sqlite3.connect(f"file:{index.path}?mode=ro", uri=True)
    before = reader.execute("SELECT count(*) FROM texts").fetchone()[0]
    store.apply(QuadDelta(added=(ox.Quad(thing("busan"), LABEL, ox.Literal("Busan"), GRAPH),)))
    index.rebuild(store, fields(BASE))
    assert reader.execute("SELECT count(*) FROM texts").fetchone()[0] == before
    reader.close()
    assert search(store, "busan", index) == ([thing("busan").value], True)
    assert not [p for p in index.path.parent.iterdir() if p.name.startswith(".text-")]


@pytest.mark.parametrize("text", ["京\x00", "a\x00b c", '"東京', "京*", "(京", "京 OR x",
                                  "NEAR(京)", "x:京", "^京"])
def test_no_text_breaks_the_index(store, index, text):
    index.rebuild(store, fields(BASE))
    by_index = found(store, text, base_iri=BASE, index=index)
    assert by_index == (found(store, text, base_iri=BASE)[0], True)


def test_a_broken_index_file_is_passed_over_with_a_warning(store, index, caplog):
    index.path.parent.mkdir(parents=True)
    index.path.write_bytes(b"not a database at all" * 100)
    with caplog.at_level(logging.WARNING, logger="alliancegraph"):
        assert search(store, "seoul", index) == ([thing("seoul").value], False)
    assert any("unreadable" in r.getMessage() for r in caplog.records)
    index.rebuild(store, fields(BASE))  # and a rebuild replaces it
    assert search(store, "seoul", index) == ([thing("seoul").value], True)


def test_a_failed_rebuild_is_logged_with_its_traceback_and_searches_go_on(
        store, index, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("the store went away")

    monkeypatch.setattr(store.backend, "select", broken)
    with caplog.at_level(logging.ERROR, logger="alliancegraph"):
        refresh(index, store, fields(BASE)).join(timeout=30)
    failed = [r for r in caplog.records if "rebuilding the text index" in r.getMessage()]
    assert failed and failed[0].exc_info is not None
    assert index.generation() is None


def test_the_index_query_takes_only_literals_of_the_searched_properties(store):
    rows = store.select(literals_query([LABEL.value])).rows
    assert {r[2].value for r in rows} == {"東京都", "Seoul"}
