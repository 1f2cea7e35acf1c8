"""A work's citation record from the bundled graph (graph/cite.py): CSL-JSON and BibTeX."""

from __future__ import annotations

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
    assert "urldate = {2006-09-05}" in bibtex(article)


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
