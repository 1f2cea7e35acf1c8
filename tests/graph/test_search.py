"""Text search over the bundled graph (graph/search.py): labels in English, Japanese and
Korean, quotes and footnote texts, ranking, one hit per entity, and its limits — each test
twice: by the store's CONTAINS scan, and through the text index (graph/textindex.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
import pytest
from alliancegraph.errors import BadRequest
from alliancegraph.graph.search import MAX_TEXT, fields, found, search, snippet
from alliancegraph.graph.textindex import TextIndex
from alliancegraph.store import Store

BASE = "https://w3id.org/alliancegraph/"
ID = BASE + "id/"


@pytest.fixture(scope="module")
def built_index(bundled_store: Store, tmp_path_factory: pytest.TempPathFactory) -> TextIndex:
    index = TextIndex(tmp_path_factory.mktemp("text-index") / "text.sqlite")
    assert index.rebuild(bundled_store, fields(BASE)) == bundled_store.generation()
    return index


@dataclass
class Searched:
    """The bundled store, searched one way: ``index`` None scans the store."""

    store: Store
    index: TextIndex | None

    def search(self, text: str, **options) -> list:
        hits, indexed = found(self.store, text, base_iri=BASE, index=self.index, **options)
        assert indexed == (self.index is not None)
        return hits


@pytest.fixture(params=["scan", "index"])
def store(request, bundled_store: Store, built_index: TextIndex) -> Searched:
    return Searched(bundled_store, built_index if request.param == "index" else None)


def find(store: Searched, text: str, **options) -> list:
    return store.search(text, **options)


@pytest.mark.parametrize("text", ["North Korea", "日米同盟", "日米", "한미동맹", "日本", "韓",
                                  "alliance", "ok", '"the', "security cooperation"])
def test_the_index_finds_what_the_store_scan_finds(bundled_store: Store, built_index, text):
    by_scan = search(bundled_store, text, base_iri=BASE, limit=500)
    by_index = search(bundled_store, text, base_iri=BASE, limit=500, index=built_index)
    assert by_scan and by_index == by_scan


@pytest.mark.parametrize(("text", "iri"), [
    ("North Korea", ID + "state/north-korea"),
    ("north korea", ID + "state/north-korea"),  # case folded
    ("日米同盟", ID + "agreement/us-japan-alliance"),  # Japanese, no spaces to split on
    ("日米", ID + "agreement/us-japan-alliance"),  # part of a word
    ("한미동맹", ID + "agreement/us-rok-alliance"),  # Korean
    ("재일본조선인총련합회", None),  # Chongryon, found by its Korean name
])
def test_labels_are_found_in_every_language(store: Searched, text: str, iri: str | None):
    hits = find(store, text)
    assert hits, text
    assert all(text.lower() in h.text.lower() for h in hits)
    if iri is not None:
        assert hits[0].iri == iri
    else:
        assert "Chongryon" in hits[0].label or "Chongryon" in " ".join(h.label for h in hits)


def test_quotes_and_footnote_texts_are_searched_and_linked_to_their_entity(
        store: Searched, source_store: ox.Store):
    ag = BASE + "ontology#"
    footnote = next(iter(source_store.quads_for_pattern(None, ox.NamedNode(ag + "fullText"),
                                                        None)))
    words = footnote.object.value.split()[:4]
    hits = find(store, " ".join(words), limit=200)
    assert any(h.field == "footnote text" and h.iri == footnote.subject.value for h in hits)
    quote = next(iter(source_store.quads_for_pattern(None, ox.NamedNode(ag + "quote"), None)))
    text = quote.object.value[:30]
    hits = find(store, text, limit=200)
    quoted = [h for h in hits if h.field == "quote"]
    assert quoted and all(h.iri.startswith("http") for h in hits)  # never a blank node


def test_one_hit_per_entity_labels_first(store: Searched):
    hits = find(store, "korea", limit=500)
    assert len({h.iri for h in hits}) == len(hits)
    fields = [h.field for h in hits]
    assert fields == sorted(fields, key=lambda f: f != "label")  # labels rank first
    assert len(find(store, "korea", limit=3)) == 3


def test_nothing_found_is_an_empty_list(store: Searched):
    assert find(store, "zzqxv-no-such-text") == []


@pytest.mark.parametrize("text", ["", "   ", "x" * (MAX_TEXT + 1)])
def test_an_empty_or_overlong_text_is_a_clear_400(store: Searched, text: str):
    with pytest.raises(BadRequest) as caught:
        find(store, text)
    assert caught.value.status == 400


def test_quotes_in_the_text_cannot_break_the_query(store: Searched):
    assert find(store, '" } ; DROP ALL ; SELECT * { "') == []


def test_snippet_centres_the_match():
    before, match, after = snippet("a " * 200 + "North Korea" + " b" * 200, "north korea", 60)
    assert match == "North Korea" and before.startswith("…") and after.endswith("…")
    assert len(before) + len(match) + len(after) <= 62
    assert snippet("abc", "") == ("abc", "", "")
