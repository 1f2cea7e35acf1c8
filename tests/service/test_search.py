"""``GET /search``: the graph's text search as JSON and as a page, the search box on every
page, and the not-found page's suggestions (service/search.py)."""

from __future__ import annotations

import re

import pytest

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
JAPAN = "https://w3id.org/alliancegraph/id/state/japan"


def test_scripts_get_json(client):
    answer = client.get("/search", query_string={"q": "japan"})
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    body = answer.get_json()
    assert body["q"] == "japan"
    assert body["hits"][0] == {"iri": JAPAN, "label": "Japan", "field": "label",
                               "text": "Japan"}
    assert "Accept" in answer.vary


def test_an_alias_finds_its_entity(client):
    hits = client.get("/search?q=rok&format=json").get_json()["hits"]
    assert [h["iri"] for h in hits] == ["https://w3id.org/alliancegraph/id/state/south-korea"]
    assert hits[0]["label"] == "South Korea" and hits[0]["text"] == "ROK"


def test_browsers_get_a_page_with_the_match_highlighted(client):
    answer = client.get("/search?q=japan", headers={"Accept": BROWSER})
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    html = answer.get_data(as_text=True)
    assert '<a href="/id/state/japan">Japan</a>' in html
    assert "<mark>Japan</mark>" in html and 'value="japan"' in html
    assert '<p id="search-count">1 result for <q>japan</q>.</p>' in html


def test_the_empty_page_is_the_box_and_empty_json_is_400(client):
    page = client.get("/search", headers={"Accept": BROWSER})
    assert page.status_code == 200 and 'id="search-q"' in page.get_data(as_text=True)
    answer = client.get("/search?q=")
    assert answer.status_code == 400 and "give some text" in answer.get_json()["message"]


@pytest.mark.parametrize("q", ["x" * 201, "   "])
def test_bad_searches_are_400_not_500(client, q: str):
    answer = client.get("/search", query_string={"q": q})
    assert answer.status_code == 400, answer.data


@pytest.mark.parametrize("path", ["/", "/validate", "/sparql", "/search"])
def test_every_page_has_the_search_box(client, path: str):
    html = client.get(path, headers={"Accept": BROWSER}).get_data(as_text=True)
    assert re.search(r'<form class="site-search" role="search"[^>]* method="get" '
                     r'action="/search">', html)


def test_the_not_found_page_suggests_what_the_iri_may_have_meant(client):
    answer = client.get("/id/state/japann", headers={"Accept": BROWSER})
    assert answer.status_code == 404
    html = answer.get_data(as_text=True)
    assert "<h2>Did you mean</h2>" in html
    assert html.index('href="/id/state/japan"') > html.index("Did you mean")
    assert 'value="state japann"' not in html and 'value="japann"' in html  # the box, filled


def test_a_missing_iri_with_nothing_like_it_offers_the_box_only(client):
    html = client.get("/id/zz", headers={"Accept": BROWSER}).get_data(as_text=True)
    assert "Did you mean" not in html and 'id="search-q"' in html


def test_a_long_missing_iri_costs_a_bounded_number_of_searches(client, monkeypatch):
    """The path is the client's: 200 words must not make one 404 run 400 searches."""
    from alliancegraph.service import search as module

    calls: list[str] = []
    real = module._search
    monkeypatch.setattr(module, "_search", lambda text, **kw: (
        calls.append(text), real(text, **kw))[1])
    path = "/id/" + "-".join(f"word{i}" for i in range(200))
    assert client.get(path, headers={"Accept": BROWSER}).status_code == 404
    assert len(calls) <= 2 * module.SUGGESTION_WORDS + 1


def _index_generation(app) -> int | None:
    from alliancegraph.graph.textindex import TextIndex, index_path

    return TextIndex(index_path(app.config["DATA_DIR"])).generation()


def _wait_for_index(app, generation: int) -> None:
    import time

    deadline = time.monotonic() + 30
    while _index_generation(app) != generation and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _index_generation(app) == generation


def test_a_search_reflects_a_write_at_once_and_the_index_catches_up(app, client, auth,
                                                                    fixture_store):
    """The first search builds the index in the background; a write makes it stale, so
    the next search asks the store (and finds what was written) while it is rebuilt."""
    assert client.get("/search?q=japan&format=json").status_code == 200
    _wait_for_index(app, fixture_store.generation())
    update = ('INSERT DATA { GRAPH <https://w3id.org/alliancegraph/graph/test-a> { '
              '<https://w3id.org/alliancegraph/id/state/mongolia> '
              '<http://www.w3.org/2000/01/rdf-schema#label> "Mongolia"@en } }')
    assert client.post("/sparql", data={"update": update}, headers=auth).status_code == 204
    assert _index_generation(app) != fixture_store.generation()  # stale now
    hits = client.get("/search?q=mongol&format=json").get_json()["hits"]
    assert [h["iri"] for h in hits] == ["https://w3id.org/alliancegraph/id/state/mongolia"]
    _wait_for_index(app, fixture_store.generation())
    again = client.get("/search?q=mongol&format=json").get_json()["hits"]
    assert again == hits


def test_with_the_index_off_nothing_is_written(tmp_path, fixture_store):
    from alliancegraph.service import create_app

    app = create_app({"data_dir": str(tmp_path), "text_index": False, "STORE": fixture_store,
                      "TESTING": True})
    hits = app.test_client().get("/search?q=japan&format=json").get_json()["hits"]
    assert hits and not (tmp_path / "search").exists()
