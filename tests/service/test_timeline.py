"""``GET /timeline`` (service/timeline.py): the page (by year, linked items, the filter
form), its JSON, the paper and kind filters and their 400s; and in a real browser at
desktop and phone widths."""

from __future__ import annotations

import html
import re

import pytest

BASE = "https://w3id.org/alliancegraph/"


def as_json(client, query: str = "") -> dict:
    response = client.get(f"/timeline?format=json{query}")
    assert response.status_code == 200
    assert response.content_type.startswith("application/json")
    return response.get_json()


def test_the_page_shows_every_item_by_year_linked_to_its_entity(bundled_client):
    data = as_json(bundled_client)
    response = bundled_client.get("/timeline", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.content_type.startswith("text/html")
    page = response.get_data(as_text=True)
    years = re.findall(r'<h2 id="year-(-?\d+)">', page)
    assert years == sorted(set(years), key=int)
    assert {str(int(i["date"]["value"][:4])) for i in data["items"]} == set(years)
    for item in data["items"] + data["undated"]:
        path = item["iri"].removeprefix(BASE)
        assert f'href="/{path}"' in page, item["iri"]
    assert page.count('class="tl-item kind-') == len(data["items"]) + len(data["undated"])
    first = data["items"][0]
    assert f'<time datetime="{first["date"]["value"][:4]}' in page
    assert html.escape(first["date"]["text"]) in page


def test_json_has_items_with_dates_kinds_and_sources(bundled_client):
    data = as_json(bundled_client)
    assert {"papers", "kinds", "items", "undated", "paper", "kind"} <= set(data)
    assert data["items"] and data["kinds"]
    for item in data["items"]:
        assert {"iri", "label", "kind", "role", "date", "sources"} <= set(item)
        assert item["kind"] in data["kinds"]
        assert {"value", "precision", "text"} <= set(item["date"])
        assert item["sources"] and all(s["paper"] and s["paperLabel"] for s in item["sources"])
    accepted = bundled_client.get("/timeline", headers={"Accept": "application/json"})
    assert accepted.get_json() == data


def test_the_filters_narrow_the_items(bundled_client):
    whole = as_json(bundled_client)
    paper = whole["papers"][1]
    events = as_json(bundled_client, f"&paper={paper['id']}&kind=event")
    assert 0 < len(events["items"]) < len(whole["items"])
    assert all(i["kind"] == "event" for i in events["items"])
    assert all(any(s["paper"] == paper["iri"] for s in i["sources"]) for i in events["items"])
    page = bundled_client.get(f"/timeline?paper={paper['id']}&kind=event").get_data(as_text=True)
    assert page.count('class="tl-item kind-') == len(events["items"]) + len(events["undated"])
    assert f'<option value="{paper["id"]}" selected>' in page
    assert as_json(bundled_client, "&paper=&kind=") == {**whole, "paper": None, "kind": None}


@pytest.mark.parametrize(("query", "parameter"), [
    ("paper=paper-z", "paper"), ("kind=battle", "kind"), ("kind=event&kind=policy", "kind"),
    ("paper=paper-a&paper=paper-b", "paper"), ("paper=%3Cscript%3E", "paper")])
def test_bad_values_are_a_400_naming_the_parameter(bundled_client, query: str, parameter: str):
    response = bundled_client.get(f"/timeline?{query}")
    assert response.status_code == 400
    assert f"parameter {parameter}" in response.get_data(as_text=True)
    page = bundled_client.get(f"/timeline?{query}", headers={"Accept": "text/html"})
    assert page.status_code == 400 and "<script>" not in page.get_data(as_text=True)


def test_the_site_header_links_the_timeline(bundled_client):
    page = bundled_client.get("/timeline").get_data(as_text=True)
    nav = page.split('<nav aria-label="Site">', 1)[1].split("</nav>", 1)[0]
    assert nav.index(">Query<") < nav.index(">Timeline<") < nav.index(">Citations<")


@pytest.mark.slow
@pytest.mark.parametrize("width", [1280, 390])
def test_the_timeline_in_a_browser_fits_and_filters(site, width: int):
    site.watch.take()
    with site.tab("/timeline", width=width) as page:
        items = page.locator("li.tl-item")
        total = items.count()
        assert total > 0 and page.locator("ol.timeline h2").count() > 1
        assert site.page_width(page) <= width, site.overflowing(page)
        page.screenshot(path=site.artefacts / f"timeline-{width}.png", full_page=True)
        page.select_option("#tl-kind", "event")
        with page.expect_navigation(wait_until="load"):
            page.click("form.tl-filter button[type=submit]")
        assert "kind=event" in page.url
        assert 0 < items.count() < total
        assert all(t.strip() == "event" for t in page.locator("li.tl-item .tag").all_inner_texts())
        page.locator("ul.tl-sources summary").first.click()  # a source opens on a click
        assert page.locator("ul.tl-sources details[open] blockquote").count() == 1
        assert site.page_width(page) <= width, site.overflowing(page)
    assert not site.clean()
