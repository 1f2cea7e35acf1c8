"""``GET /network`` and the neighbourhood picture of entity pages: the page with the query
its script runs and the table readable without it (Flask client over the bundled graph),
and the pictures a real browser draws (``site``: Chromium over a built server)."""

from __future__ import annotations

import html
import json
import re

import pytest
from alliancegraph import CANONICAL_BASE
from alliancegraph.graph.network import RELATIONS, read_network

SETTINGS = re.compile(r'<script id="network-settings" type="application/json">(.*?)</script>',
                      re.S)
ROW = re.compile(r'<tr data-paper="([^"]+)" data-relation="([^"]+)"')
SPARQL_JSON = "application/sparql-results+json"


def _settings(page: str) -> dict:
    found = SETTINGS.search(page)
    assert found, "no network-settings block"
    return json.loads(found.group(1))


def _rows(page: str) -> list[tuple[str, str]]:
    return ROW.findall(page)


def test_the_page_has_the_table_and_the_query(bundled_client, bundled_store) -> None:
    response = bundled_client.get("/network")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    rows = _rows(page)
    whole = read_network(bundled_store, CANONICAL_BASE)
    shown = [e for e in whole.edges if e.relation != "cooperation"]  # hidden by default
    assert len(rows) == len(shown) > 50
    assert ">Japan</a>" in page and "perceives</a> (" in page  # an intensity shown
    settings = _settings(page)
    assert settings["mode"] == "network" and settings["endpoint"] == "/sparql"
    assert settings["base"] == CANONICAL_BASE and set(settings["relations"]) == set(RELATIONS)
    assert "cooperation" not in settings["relations_checked"]
    assert html.escape(settings["query"].splitlines()[-1]) in page  # shown to readers too
    assert 'src="/static/cytoscape/cytoscape.min.js"' in page
    assert 'src="/static/network.js"' in page
    assert "<script>" not in page  # no inline script: the CSP allows 'self' only


def test_the_query_the_page_hands_over_answers_on_sparql(bundled_client) -> None:
    settings = _settings(bundled_client.get("/network").get_data(as_text=True))
    response = bundled_client.post(settings["endpoint"], data={"query": settings["query"]},
                                   headers={"Accept": SPARQL_JSON})
    assert response.status_code == 200 and response.mimetype == SPARQL_JSON
    bindings = response.get_json()["results"]["bindings"]
    relations = {b["relation"]["value"] for b in bindings}
    assert {"perceives", "party-to", "poses"} <= relations <= set(RELATIONS)
    graphs = {b["g"]["value"] for b in bindings}
    assert graphs == set(settings["papers"].values())


def test_filters_as_parameters(bundled_client) -> None:
    everything = _rows(bundled_client.get("/network").get_data(as_text=True))
    only_b = _rows(bundled_client.get("/network?paper=paper-b").get_data(as_text=True))
    assert 0 < len(only_b) < len(everything) and {p for p, _ in only_b} == {"paper-b"}
    page = bundled_client.get("/network?relation=perceives&relation=disputes")
    rows = _rows(page.get_data(as_text=True))
    assert rows and {r for _, r in rows} == {"perceives", "disputes"}
    strong = _rows(bundled_client.get(
        "/network?relation=perceives&intensity=biggest-threat").get_data(as_text=True))
    assert 0 < len(strong) < len([r for r in rows if r[1] == "perceives"])
    with_areas = _rows(bundled_client.get(
        f"/network?{'&'.join(f'relation={r}' for r in RELATIONS)}").get_data(as_text=True))
    assert "cooperation" in {r for _, r in with_areas}


@pytest.mark.parametrize("query", ["paper=paper-c", "relation=likes", "intensity=mild",
                                   "paper=paper-a&paper=%00", "colour=red"])
def test_bad_filters_are_400(bundled_client, query: str) -> None:
    response = bundled_client.get(f"/network?{query}", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["status"] == 400


def test_the_static_cytoscape_is_served(bundled_client) -> None:
    for path, size in (("/static/cytoscape/cytoscape.min.js", 100_000),
                       ("/static/network.js", 1000)):
        response = bundled_client.get(path)
        assert response.status_code == 200 and response.mimetype == "text/javascript", path
        body = response.get_data()
        response.close()
        assert len(body) > size and b"cytoscape" in body, path


def test_the_header_links_to_the_network(bundled_client) -> None:
    page = bundled_client.get("/network").get_data(as_text=True)
    assert '<a href="/network">Network</a>' in page


def test_an_entity_page_has_its_neighbourhood(bundled_client) -> None:
    page = bundled_client.get("/id/state/japan.html").get_data(as_text=True)
    assert '<section id="neighbourhood" class="neighbourhood" hidden>' in page  # till drawn
    settings = _settings(page)
    assert settings["mode"] == "neighbourhood"
    assert settings["focus"] == f"{CANONICAL_BASE}id/state/japan"
    assert f"<{settings['focus']}>" in settings["query"]
    assert "cooperation" not in settings["relations_checked"]
    assert page.index('id="neighbourhood"') < page.index('<section id="data">')
    area = next(path for path in _sources(bundled_client) if "/cooperation/" in path)
    page = bundled_client.get(f"{area}.html").get_data(as_text=True)
    assert "cooperation" in _settings(page)["relations_checked"]  # an area's only relation


def _sources(client) -> list[str]:
    """The paths of the cooperation relations' sources, from the table."""
    page = client.get("/network?relation=cooperation").get_data(as_text=True)
    return [html.unescape(h) for h in re.findall(r'<td data-label="source"><a href="([^"]+)"',
                                                  page)]


def test_an_entity_without_relations_has_no_picture(bundled_client, bundled_store) -> None:
    whole = read_network(bundled_store, CANONICAL_BASE)
    # a section of a paper and a footnote: entity pages, never in the network
    for path in ("id/paper-a/section/1", "id/paper-b/footnote/2"):
        assert f"{CANONICAL_BASE}{path}" not in whole.nodes
        response = bundled_client.get(f"/{path}.html")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert 'id="neighbourhood"' not in page and "network-settings" not in page
        assert "network.js" not in page


# --- in a browser ---------------------------------------------------------------------------

def _drawn(page) -> dict:
    """Wait for the script to draw; the picture's node and edge counts."""
    page.wait_for_selector("#network[data-ready=true]", state="attached", timeout=20_000)
    return page.evaluate("""() => ({
        nodes: window.allianceNetwork.cy.nodes().not('.hidden').length,
        edges: window.allianceNetwork.cy.edges().not('.hidden').length,
        canvas: document.querySelectorAll('#network canvas').length,
        width: document.getElementById('network').getBoundingClientRect().width})""")


@pytest.mark.slow
@pytest.mark.parametrize("width", [1280, 390])
def test_the_network_draws(site, width: int) -> None:
    site.clean()
    with site.tab("/network", width=width) as page:
        drawn = _drawn(page)
        assert drawn["nodes"] > 10 and drawn["edges"] > 10 and drawn["canvas"] > 0, drawn
        assert drawn["width"] <= width
        assert int(page.get_attribute("#network", "data-nodes")) == drawn["nodes"]
        page.screenshot(path=site.artefacts / f"network-{width}.png", full_page=False)
        if width == 390:
            assert site.page_width(page) <= width, site.overflowing(page)
    assert site.clean() == []


@pytest.mark.slow
def test_a_filter_change_reduces_the_edges(site) -> None:
    site.clean()
    with site.tab("/network") as page:
        before = _drawn(page)["edges"]
        page.uncheck("input[name=paper][value=paper-a]")
        after = page.evaluate("window.allianceNetwork.cy.edges().not('.hidden').length")
        assert 0 < after < before
        assert int(page.get_attribute("#network", "data-edges")) == after
        shown_rows = page.locator(".network-table tbody tr:visible").count()
        assert shown_rows == after
        assert "paper=paper-b" in page.url and "paper=paper-a" not in page.url
    assert site.clean() == []


@pytest.mark.slow
def test_tapping_a_node_opens_its_page(site) -> None:
    site.clean()
    with site.tab("/network") as page:
        _drawn(page)
        iri = page.evaluate("""() => {
            const node = window.allianceNetwork.cy.nodes('[kind = "state"]').not('.hidden')[0];
            return node.id(); }""")
        path = "/" + iri[len(CANONICAL_BASE):]
        # the tap after evaluate returns: a navigation inside evaluate loses its answer
        page.evaluate(f"setTimeout(() => window.allianceNetwork.cy.getElementById({iri!r})"
                      ".emit('tap'), 0)")
        page.wait_for_url(f"**{path}.html")  # the IRI's 303 to its page
        assert page.locator("h1").count() == 1
        assert page.evaluate("performance.getEntriesByType('navigation')[0].responseStatus") \
            == 200
    assert site.clean() == []


@pytest.mark.slow
def test_the_keyboard_selects_and_opens_a_node(site) -> None:
    site.clean()
    with site.tab("/network") as page:
        _drawn(page)
        page.focus("#network")
        page.keyboard.press("ArrowRight")
        selected = page.evaluate("window.allianceNetwork.cy.nodes(':selected').map(n => n.id())")
        assert len(selected) == 1
        assert "Enter opens" in page.text_content("#network-status")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/{selected[0][len(CANONICAL_BASE):]}.html")
    assert site.clean() == []


@pytest.mark.slow
@pytest.mark.parametrize("width", [1280, 390])
def test_an_entity_page_draws_its_neighbourhood(site, width: int) -> None:
    site.clean()
    with site.tab("/id/state/japan.html", width=width) as page:
        drawn = _drawn(page)
        assert drawn["nodes"] > 3 and drawn["canvas"] > 0, drawn
        focus = page.evaluate("window.allianceNetwork.cy.nodes('.focus').map(n => n.id())")
        assert focus == [f"{CANONICAL_BASE}id/state/japan"]
        page.locator("#neighbourhood").screenshot(
            path=site.artefacts / f"neighbourhood-{width}.png")
        # the picture's own box fits (the rest of the entity page is entity.html's)
        right = page.evaluate("""() => Math.max(...[...document.querySelectorAll(
            '#neighbourhood, #neighbourhood *')].map(e => e.getBoundingClientRect().right))""")
        assert right <= width, [o for o in site.overflowing(page) if "network" in o]
    assert site.clean() == []
