"""``GET /citations`` (service/citations.py): every paper's or one paper's footnotes, the
citations by work and the charts, as a page and as JSON; the 400 for an unknown paper; and
in a real browser at desktop and phone widths."""

from __future__ import annotations

import html
import re

import pytest

BASE = "https://w3id.org/alliancegraph/"


def as_json(client, query: str = "") -> dict:
    response = client.get(f"/citations?format=json{query}")
    assert response.status_code == 200
    assert response.content_type.startswith("application/json")
    return response.get_json()


def test_one_papers_page_lists_its_footnotes_in_order_and_its_charts(bundled_client):
    data = as_json(bundled_client, "&paper=paper-a")
    assert data["id"] == "paper-a" and data["citations"] > 0
    page = bundled_client.get("/citations?paper=paper-a").get_data(as_text=True)
    labels = re.findall(r'<li(?: value="\d+")? id="fn-paper-a-([^"]+)">', page)
    assert labels == [f["label"] for f in data["footnotes"]]
    numbers = [f["number"] for f in data["footnotes"]]
    assert numbers == sorted(numbers)
    for table, key in (("top-works-paper-a", "topWorks"), ("top-authors-paper-a", "topAuthors")):
        chart = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
        rows = re.findall(r'<span class="n">(\d+)</span>', chart)
        assert [int(n) for n in rows] == [c["count"] for c in data[key]]
        assert all(html.escape(c["label"]) in chart for c in data[key])
        assert "<caption>" in chart and 'scope="row"' in chart  # readable as a table
    for work in data["works"]:
        assert f'href="/{work["iri"].removeprefix(BASE)}"' in page


def test_the_all_papers_page_has_each_paper_and_the_overall_charts(bundled_client):
    data = as_json(bundled_client)
    assert {"papers", "topWorks", "topAuthors"} <= set(data)
    assert len(data["papers"]) >= 2
    page = bundled_client.get("/citations", headers={"Accept": "text/html"}).get_data(
        as_text=True)
    assert 'id="top-works"' in page and 'id="top-authors"' in page
    for paper in data["papers"]:
        assert f'id="citations-{paper["id"]}"' in page
        one = as_json(bundled_client, f"&paper={paper['id']}")
        assert one == paper
    counts = [c["count"] for c in data["topWorks"]]
    assert counts == sorted(counts, reverse=True)
    assert bundled_client.get("/citations", headers={"Accept": "application/json"}
                              ).get_json() == data


def test_json_shape_of_a_paper(bundled_client):
    data = as_json(bundled_client, "&paper=paper-b")
    assert {"paper", "id", "label", "citations", "footnotes", "works", "topWorks",
            "topAuthors"} <= set(data)
    for footnote in data["footnotes"]:
        assert {"iri", "number", "label", "citations", "text"} <= set(footnote)
        for c in footnote["citations"]:
            assert {"work", "workLabel", "pages", "character", "characterLabel"} <= set(c)
    assert sum(w["count"] for w in data["works"]) == data["citations"] == sum(
        len(f["citations"]) for f in data["footnotes"])


@pytest.mark.parametrize(("query", "parameter"), [
    ("paper=paper-z", "paper"), ("paper=paper-a&paper=paper-b", "paper")])
def test_an_unknown_paper_is_a_400_naming_the_parameter(bundled_client, query, parameter):
    response = bundled_client.get(f"/citations?{query}")
    assert response.status_code == 400
    assert f"parameter {parameter}" in response.get_data(as_text=True)


@pytest.mark.slow
@pytest.mark.parametrize("width", [1280, 390])
def test_the_citations_in_a_browser_fit_and_narrow_to_a_paper(site, width: int):
    site.watch.take()
    with site.tab("/citations", width=width) as page:
        every = page.locator("ol.footnotes > li").count()
        assert every > 0 and page.locator("table.bar-chart .bar").count() > 0
        assert site.page_width(page) <= width, site.overflowing(page)
        with page.expect_navigation(wait_until="load"):
            page.click("nav.tl-quick a:text-is('paper-b')")
        assert page.url.endswith("/citations?paper=paper-b")
        assert 0 < page.locator("ol.footnotes > li").count() < every
        bars = page.locator("table.bar-chart .bar")
        widths = [b["width"] for b in (bars.nth(i).bounding_box() for i in range(bars.count()))]
        assert widths and all(w > 0 for w in widths)
        assert site.page_width(page) <= width, site.overflowing(page)
        page.screenshot(path=site.artefacts / f"citations-paper-b-{width}.png", full_page=True)
    with site.tab("/citations?paper=paper-a", width=width) as page:
        assert site.page_width(page) <= width, site.overflowing(page)
        page.screenshot(path=site.artefacts / f"citations-paper-a-{width}.png", full_page=True)
    assert not site.clean()
