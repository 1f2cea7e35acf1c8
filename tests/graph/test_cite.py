"""A work's citation record from the bundled graph (graph/cite.py): CSL-JSON and BibTeX."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from alliancegraph.graph.cite import bibtex, csl_json, key, work_type
from alliancegraph.store import Store

BASE = "https://w3id.org/alliancegraph/"
ID = BASE + "id/"


@pytest.fixture
def store(bundled_store: Store) -> Store:
    return bundled_store


def test_a_journal_article_has_its_volume_issue_and_journal(store: Store):
    record = csl_json(store, ID + "work/auslin-2005-japan-and-south-korea", base_iri=BASE)
    assert record["type"] == "article-journal"
    assert record["title"] == "Japan and South Korea: The new East Asian core"
    assert record["author"] == [{"family": "Auslin", "given": "Michael R."}]
    assert record["issued"] == {"date-parts": [[2005]], "season": "Summer"}
    assert (record["container-title"], record["volume"], record["issue"]) == ("Orbis", "49", "3")
    entry = bibtex(record)
    assert entry.startswith("@article{auslin2005japan,\n")
    for line in ("author = {Auslin, Michael R.}", "journal = {Orbis}", "year = {2005}",
                 "volume = {49}", "number = {3}",
                 "title = {{Japan and South Korea: The new East Asian core}}"):
        assert f"  {line}" in entry


def test_a_chapter_names_its_book_and_a_web_article_its_access_date(store: Store):
    chapter = csl_json(store, ID + "work/alagappa-1998-rethinking-security", base_iri=BASE)
    assert chapter["type"] == "chapter"
    assert chapter["container-title"].startswith("Asian Security Practice")
    assert "booktitle = {Asian Security Practice" in bibtex(chapter)
    article = csl_json(store, ID + "work/cossa-1999-us-japan-korea", base_iri=BASE)
    assert article["type"] == "article-newspaper"
    assert article["URL"] == "http://www.atimes.com/japan-econ/AL08Dh01.html"
    assert article["issued"] == {"date-parts": [[1999, 12, 8]]}
    assert article["accessed"] == {"date-parts": [[2006, 9, 5]]}  # footnote 14's date
    assert "urldate = {2006-09-05}" in bibtex(article)
    assert "accessed" not in csl_json(store, ID + "work/auslin-2005-japan-and-south-korea",
                                      base_iri=BASE)


def test_the_access_date_is_the_latest_printed_with_a_citation_or_entry(tmp_path):
    small = _store(tmp_path, """
        <w> a fabio:WebPage ; dcterms:title "Page" ; ag:accessDate "2001-01-01"^^xsd:date .
        <c1> cito:hasCitedEntity <w> ; ag:accessDate "2006-05-15"^^xsd:date .
        <c2> cito:hasCitedEntity <w> ; ag:accessDate "2006-09-05"^^xsd:date .
        <c3> cito:hasCitedEntity <w> .
        <e1> biro:references <w> ; ag:accessDate "2006-06-12"^^xsd:date .
        <u> a fabio:WebPage ; dcterms:title "Undated" ; ag:accessDate "2001-01-01"^^xsd:date .
        <e2> biro:references <u> .""")
    try:
        assert csl_json(small, "http://example.org/w", base_iri=BASE)["accessed"] == {
            "date-parts": [[2006, 9, 5]]}
        # a date on the work itself is not printed anywhere: not the record's
        assert "accessed" not in csl_json(small, "http://example.org/u", base_iri=BASE)
    finally:
        small.close()


def _store(folder, turtle: str) -> Store:
    from alliancegraph.config import load_settings
    from alliancegraph.store import open_store
    from alliancegraph.store.base import QuadDelta

    namespaces = {"ag": f"{BASE}ontology#", "xsd": "http://www.w3.org/2001/XMLSchema#",
                  "fabio": "http://purl.org/spar/fabio/", "cito": "http://purl.org/spar/cito/",
                  "biro": "http://purl.org/spar/biro/", "dcterms": "http://purl.org/dc/terms/"}
    prefixes = "".join(f"@prefix {name}: <{iri}> . " for name, iri in namespaces.items())
    graph = ox.NamedNode("http://example.org/g")
    quads = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in ox.parse(
        prefixes + turtle, format=ox.RdfFormat.TURTLE, base_iri="http://example.org/")]
    store = open_store(load_settings(environ={}, overrides={
        "data_dir": str(folder), "store": "memory", "validate_on_write": False}))
    store.backend.apply(QuadDelta(added=tuple(quads)))
    return store


def test_the_papers_are_works_too(store: Store):
    record = csl_json(store, ID + "paper-b", base_iri=BASE)
    assert record["author"] == [{"family": "Yon", "given": "Hyon-Sik"}]
    assert record["title"].startswith("The Changing Security Environment")
    assert key(record).startswith("yon")


def test_what_is_not_a_work_has_no_record(store: Store):
    assert csl_json(store, ID + "state/japan", base_iri=BASE) is None
    assert csl_json(store, ID + "no-such-thing", base_iri=BASE) is None
    assert work_type(["http://example.org/Book"]) is None  # only FaBiO's and ours


def test_bibtex_escapes_its_special_characters():
    record = {"type": "book", "title": "Guns & Butter: 50% of $", "author": [
        {"literal": "Ministry of Defense"}], "issued": {"date-parts": [[2001]]}}
    entry = bibtex(record)
    assert r"title = {{Guns \& Butter: 50\% of \$}}" in entry
    assert "author = {{Ministry of Defense}}" in entry and entry.startswith("@book{")
