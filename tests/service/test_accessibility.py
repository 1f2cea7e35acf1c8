"""Accessibility in a real browser (issue 15, "Browser tests"): axe-core finds no serious or
critical violation on the site's main pages at a desktop's and a phone's width; the pages are
keyboard-usable (a skip link first, the header in order, a visible focus, the search box and
the query UI's examples by keyboard); and without JavaScript the index, an entity page and
the search results are there to read.

axe-core is a vendored test fixture (``fixtures/axe-core/``, see its README), put into each
page by the test: no page serves it and nothing is fetched from another host.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from alliancegraph.shapes.manifest import example_files

AXE = Path(__file__).parent / "fixtures" / "axe-core" / "axe.min.js"
WIDTHS = [1280, 390]  # a desktop, a phone
BLOCKING = {"serious", "critical"}
#: The pages checked, by what they are; the entity page is chosen from the index's links.
PAGES = {"index": "/", "query UI": "/sparql", "search": "/search?q=Japan",
         "validation form": "/validate", "ontology docs": "/ontology",
         "shapes": "/shapes", "VoID": "/.well-known/void"}
ENTITY = "/id/state/japan"  # the issue's own example; else the index's first state
#: Violations of YASGUI's own markup that our page cannot mend, by rule: the element they
#: are waived on (only there; the rule still runs on the rest of the page).
#: aria-required-children: YASGUI's tab list (role=tablist) holds its "add tab" button
#: beside the tabs; moving the button out breaks YASGUI, which inserts each new tab before
#: it, and giving a button role=tab would tell a screen reader it is a tab.
THIRD_PARTY = {"aria-required-children": "#yasgui .tabsList"}
#: How many Tab presses may reach an element before the test gives up.
MAX_TABS = 120

# axe runs in the page through page.evaluate (DevTools' Runtime.evaluate), not
# page.add_script_tag: the site's CSP (script-src 'self') blocks the inline <script> that
# add_script_tag writes, and evaluate keeps the CSP on for the page under test (a context
# with bypass_csp=True would not).
RUN_AXE = """async (waived) => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  const kept = (rule, node) => !(waived[rule] && node.target.length === 1
      && document.querySelector(node.target[0])?.matches(waived[rule]));
  return result.violations
    .map(v => ({...v, nodes: v.nodes.filter(n => kept(v.id, n))}))
    .filter(v => v.nodes.length > 0);
}"""

#: What the focused element is and whether it shows its focus (outline or box-shadow).
FOCUSED = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  const box = e.getBoundingClientRect();
  return {tag: e.tagName.toLowerCase(), href: e.getAttribute('href'),
          name: e.getAttribute('name'), text: (e.innerText || '').trim(),
          classes: [...e.classList], example: e.dataset ? e.dataset.example : null,
          ring: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
                || style.boxShadow !== 'none',
          visible: box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < innerHeight,
          inMain: e.closest('main') !== null};
}"""


@cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def blocking_violations(page) -> list[dict]:
    """axe's serious and critical violations on the page as it is now."""
    page.evaluate(axe_source())
    violations = page.evaluate(RUN_AXE, THIRD_PARTY)
    return [v for v in violations if v["impact"] in BLOCKING]


def describe(violations: list[dict]) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']} — "
                     + ", ".join(" ".join(n["target"]) for n in v["nodes"][:3])
                     + (f" and {len(v['nodes']) - 3} more" if len(v["nodes"]) > 3 else "")
                     for v in violations)


def entity_path(site) -> str:
    """The issue's example entity's page if the index links it, else its first state's."""
    paths = [urlsplit(u).path for u in site.links]
    states = [p for p in paths if p.startswith("/id/state/")]
    assert states, "the index links no state"
    return (ENTITY if ENTITY in paths else states[0]) + ".html"


def paper_path(site) -> str:
    """A paper's page (the longest: its citation, a thousand references)."""
    papers = [urlsplit(u).path for u in site.links if urlsplit(u).path.startswith("/id/paper-")]
    assert papers, "the index links no paper"
    return papers[0] + ".html"


def page_path(site, what: str) -> str:
    return {"entity": entity_path, "paper": paper_path}.get(what, lambda _: PAGES[what])(site)


def settle(page, path: str) -> None:
    """Wait for what scripts draw: YASGUI's editor on the query UI."""
    if urlsplit(path).path == "/sparql":
        page.locator("#yasgui .CodeMirror").first.wait_for(state="visible")


def focus(page) -> dict:
    return page.evaluate(FOCUSED)


def tab_until(page, wanted, limit: int = MAX_TABS) -> tuple[dict, list[dict]]:
    """Press Tab until the focused element satisfies ``wanted``: it and those before it."""
    seen: list[dict] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focus(page)
        if wanted(now):
            return now, seen
        seen.append(now)
    raise AssertionError(f"not reached in {limit} Tab presses; seen: {seen[:20]}")


# --- axe ----------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("what", [*PAGES, "entity", "paper"])
def test_no_serious_violation(site, what: str, width: int):
    """axe finds nothing serious; and nothing reaches past a phone's screen."""
    path = page_path(site, what)
    site.watch.take()
    with site.tab(path, width=width) as page:
        settle(page, path)
        violations = blocking_violations(page)
        assert site.page_width(page) <= width, site.overflowing(page)
    assert not violations, f"{what} ({path}) at {width} px:\n" + describe(violations)
    assert not site.clean()


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
def test_no_serious_violation_on_a_validation_report(site, width: int):
    """The report of an upload that does not conform (its table of results)."""
    bad = next(p for p in example_files("invalid") if p.name == "links.ttl")
    site.watch.take()
    with site.tab("/validate", width=width) as page:
        page.fill("textarea#text", bad.read_text(encoding="utf-8"))
        with page.expect_navigation(wait_until="load"):
            page.click("form.validate button[type=submit]")
        assert page.locator("table.results tbody tr").count() > 0
        violations = blocking_violations(page)
    assert not violations, f"validation report at {width} px:\n" + describe(violations)
    assert not site.clean()


@pytest.mark.slow
def test_axe_reports_what_it_should(site):
    """The harness can fail: a field without a label, a link with no text and grey on grey
    put into the index are reported, each under its rule."""
    with site.tab("/") as page:
        page.evaluate("""() => {
            const main = document.querySelector('main');
            main.insertAdjacentHTML('afterbegin', '<input type="text" id="unnamed">'
                + '<a href="/" id="empty"></a>'
                + '<p id="faint" style="color:#bbb;background:#ccc">faint</p>');
        }""")
        rules = {v["id"]: v for v in blocking_violations(page)}
    assert {"label", "link-name", "color-contrast"} <= set(rules), describe(list(rules.values()))
    assert ["#unnamed"] in [n["target"] for n in rules["label"]["nodes"]]


# --- the keyboard -------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("what", [*PAGES, "entity"])
def test_a_skip_link_comes_first_and_goes_to_the_content(site, what: str):
    path = page_path(site, what)
    with site.tab(path) as page:
        settle(page, path)
        assert page.locator("main#main").count() == 1, "no <main id=main> to skip to"
        page.keyboard.press("Tab")
        first = focus(page)
        assert first["href"] == "#main" and "skip-link" in first["classes"], first
        assert first["visible"] and first["ring"], first  # shown once a keyboard reaches it
        page.keyboard.press("Enter")
        assert urlsplit(page.url).fragment == "main"
        page.keyboard.press("Tab")
        assert focus(page)["inMain"], focus(page)  # the header's links skipped


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
def test_the_header_in_tab_order_with_a_visible_focus(site, width: int):
    """From the index: the skip link, the brand, every nav link in order, the search box;
    each shows a focus ring. Typing a word and Enter lands on its search results."""
    with site.tab("/", width=width) as page:
        expected = page.eval_on_selector_all(
            "header.site a[href], header.site input",
            "els => els.map(e => e.getAttribute('href') || e.getAttribute('name'))")
        assert len(expected) >= 9  # skip, brand, 7 nav links, the search box
        reached = []
        for _ in expected:
            page.keyboard.press("Tab")
            reached.append(focus(page))
        assert [r["href"] or r["name"] for r in reached] == expected
        assert [r for r in reached if not r["ring"]] == []
        assert reached[-1]["tag"] == "input" and reached[-1]["name"] == "q"
        page.keyboard.type("Japan")
        with page.expect_navigation(wait_until="load"):
            page.keyboard.press("Enter")
        parts = urlsplit(page.url)
        assert parts.path == "/search" and parse_qs(parts.query)["q"] == ["Japan"]
        expected_hits = page.request.get(site.url + "/search?q=Japan&format=json").json()
        assert expected_hits["hits"]
        assert page.locator("ol.hits > li").count() == len(expected_hits["hits"])


@pytest.mark.slow
def test_the_query_ui_examples_by_keyboard(site):
    """Tab reaches the first example's button (after the filter and the tags); Enter opens
    it in a YASGUI tab of its title."""
    site.watch.take()
    with site.tab("/sparql") as page:
        settle(page, "/sparql")
        first = page.locator("#examples button").first
        title = first.inner_text().strip()
        reached, before = tab_until(page, lambda f: f["example"] is not None)
        assert reached["example"] == first.get_attribute("data-example"), (reached, before)
        assert reached["ring"], reached
        assert any(f["tag"] == "input" for f in before)  # the filter, on the way
        page.keyboard.press("Enter")
        active = page.locator("#yasgui .tabsList .tab.active")
        active.filter(has_text=title).wait_for(state="visible")
        # the key did not type into the page: focus stays on the button pressed
        assert focus(page)["example"] == reached["example"]
    assert not site.clean()


@pytest.mark.slow
def test_the_query_editor_lets_the_keyboard_go(site):
    """The editor takes no focus on load; Tab reaches it, where Tab indents (it stays), and
    Esc then Tab moves on, as the page's note (its description) says."""
    with site.tab("/sparql") as page:
        settle(page, "/sparql")
        in_editor = "document.activeElement.matches('.CodeMirror textarea')"
        assert not page.evaluate(in_editor)
        tab_until(page, lambda _: page.evaluate(in_editor))
        described = page.evaluate("document.activeElement.getAttribute('aria-describedby')")
        assert described and "Esc" in page.inner_text(f"#{described}")
        page.keyboard.press("Tab")
        assert page.evaluate(in_editor)  # an indent, not a way out
        page.keyboard.press("Escape")
        page.keyboard.press("Tab")
        assert not page.evaluate(in_editor), focus(page)
        assert page.evaluate("document.activeElement !== document.body"), focus(page)


# --- without JavaScript -------------------------------------------------------------------

@contextmanager
def no_script_tab(site, path: str, width: int = 390) -> Iterator[tuple[object, list[str]]]:
    """A page in a new context with JavaScript off, and what went wrong loading it."""
    context = site.context.browser.new_context(java_script_enabled=False,
                                               viewport={"width": width, "height": 900})
    problems: list[str] = []
    context.on("console", lambda m: m.type == "error" and problems.append(m.text))
    context.on("request", lambda r: not r.url.startswith((site.url, "data:"))
               and problems.append(f"request to another host: {r.url}"))
    try:
        page = context.new_page()
        response = page.goto(site.url + path, wait_until="load")
        assert response is not None and response.status == 200, (path, response)
        yield page, problems
    finally:
        context.close()


def english_labels(site, path: str) -> set[str]:
    """The English skos:prefLabel of the resource at ``path``, from the SPARQL endpoint."""
    base = site.context.request.get(site.url + "/?format=json").json()["base_iri"]
    query = ("SELECT ?label WHERE { <%s> <http://www.w3.org/2004/02/skos/core#prefLabel> "
             "?label FILTER(langMatches(lang(?label), 'en')) }") % (base + path.lstrip("/"))
    answer = site.context.request.get(site.url + "/sparql", params={"query": query},
                                      headers={"Accept": "application/sparql-results+json"})
    return {b["label"]["value"] for b in answer.json()["results"]["bindings"]}


def readable(site, page, width: int) -> None:
    """A non-empty <h1>, and nothing past the right edge."""
    assert page.locator("h1").first.inner_text().strip()
    assert site.page_width(page) <= width, site.overflowing(page)


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
def test_the_index_without_javascript(site, width: int):
    facts = site.context.request.get(site.url + "/?format=json").json()
    with no_script_tab(site, "/", width) as (page, problems):
        readable(site, page, width)
        assert page.inner_text("h1").strip() == facts["title"]
        shown = [page.inner_text(f"table.counts tr:has(th:text-is('{what}')) td")
                 for what in facts["counts"]]
        assert shown == [str(n) for n in facts["counts"].values()]
        assert page.locator("#entry-points li a").count() > 0
    assert not problems


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
def test_an_entity_page_without_javascript(site, width: int):
    """Its heading is its English label (asked of the SPARQL endpoint), and its tables and
    lists of statements are there, each with text."""
    path = entity_path(site)
    labels = english_labels(site, path.removesuffix(".html"))
    assert labels, path
    with no_script_tab(site, path, width) as (page, problems):
        readable(site, page, width)
        assert page.inner_text("h1").strip() in labels
        # what is shown (the full labels table is folded in a <details>)
        statements = page.locator("main table tr:has(td):visible, main ul li:visible")
        assert statements.count() > 0
        assert all(t.strip() for t in statements.all_inner_texts())
    assert not problems


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
def test_search_results_without_javascript(site, width: int):
    hits = site.context.request.get(site.url + "/search?q=Japan&format=json").json()["hits"]
    assert hits
    with no_script_tab(site, "/search?q=Japan", width) as (page, problems):
        readable(site, page, width)
        links = page.locator("ol.hits > li > a")
        assert links.all_inner_texts() == [h["label"] for h in hits]
        assert all(s.strip() for s in page.locator("ol.hits .snippet").all_inner_texts())
    assert not problems
