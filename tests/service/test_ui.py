"""The query UI: YASGUI from the package's static files at /sparql for browsers, with the
shipped example queries and the project's prefixes; and the example loader."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from alliancegraph.graph.queries import TOPICS, load_examples, parse_example, prefixes
from alliancegraph.service import create_app

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def ui_client(tmp_path_factory: pytest.TempPathFactory):
    data_dir = tmp_path_factory.mktemp("ui") / "data"
    return create_app({"data_dir": str(data_dir), "TESTING": True}).test_client()


def embedded_json(page: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>',
                      page, re.S)
    assert match, element_id
    return json.loads(match.group(1))


def test_browsers_get_the_query_ui_at_sparql(ui_client) -> None:
    response = ui_client.get("/sparql", headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<script src="/static/yasgui/yasgui.min.js"></script>' in page
    assert 'href="/static/yasgui/yasgui.min.css"' in page
    examples = embedded_json(page, "examples-data")
    shipped = load_examples()
    assert [e["title"] for e in examples] == [e.title for e in shipped]
    assert [e["query"] for e in examples] == [e.text for e in shipped]
    assert embedded_json(page, "prefixes-data") == prefixes()
    default_query = embedded_json(page, "default-query")
    assert "PREFIX ag: <https://w3id.org/alliancegraph/ontology#>" in default_query
    assert "SELECT" in default_query


def test_the_examples_are_grouped_by_topic_and_tagged(ui_client) -> None:
    page = ui_client.get("/sparql", headers={"Accept": BROWSER}).get_data(as_text=True)
    shipped = load_examples()
    aside = page.partition('<div id="examples">')[2].partition("</aside>")[0]
    topics = re.findall(r"<h3>([^<]+)</h3>", aside)
    assert topics == [t for t in TOPICS.values() if any(e.topic == t for e in shipped)]
    items = re.findall(r'<li data-tags="([^"]*)"><button type="button" data-example="(\d+)">',
                       aside)
    assert sorted(int(i) for _, i in items) == list(range(len(shipped)))
    for tags, index in items:
        assert tags.split() == " ".join(shipped[int(index)].tags).split()
    for tag in {t for e in shipped for t in e.tags}:
        assert f'data-tag="{tag}" aria-pressed="false"' in page
    assert [e["tags"] for e in embedded_json(page, "examples-data")] == [
        list(e.tags) for e in shipped]
    with ui_client.get("/static/query-ui.js") as response:  # the query shown, not PREFIXes
        assert "Yasgui.Yasqe.defaults.collapsePrefixesOnLoad = true" in response.get_data(
            as_text=True)


def test_the_ui_loads_nothing_from_other_hosts(ui_client) -> None:
    page = ui_client.get("/sparql", headers={"Accept": BROWSER}).get_data(as_text=True)
    assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', page)
    # the LOV autocompleters (requests to lov.linkeddata.es) are switched off
    with ui_client.get("/static/query-ui.js") as response:
        script = response.get_data(as_text=True)
    assert 'Yasgui.Yasqe.defaults.autocompleters = ["prefixes", "variables"]' in script


@pytest.mark.parametrize("name", ["yasgui.min.js", "yasgui.min.css"])
def test_vendored_yasgui_is_served(ui_client, name: str) -> None:
    response = ui_client.get(f"/static/yasgui/{name}")
    assert response.status_code == 200
    assert len(response.get_data()) > 50_000
    response.close()


def test_rdf_clients_still_get_the_service_description(ui_client) -> None:
    response = ui_client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"


def test_a_query_link_opens_the_ui_with_the_query(ui_client) -> None:
    """A browser following ``/sparql?query=…`` gets the page with the query to run on load
    (the service does not even parse it: the UI shows its errors)."""
    query = 'SELECT * WHERE { ?s ?p "</script><script>alert(1)</script>" } # 日本'
    response = ui_client.get("/sparql", query_string={"query": query},
                             headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "Accept" in response.vary
    page = response.get_data(as_text=True)
    assert embedded_json(page, "initial-query") == query
    assert "<script>alert" not in page  # tojson escapes < and >: the data block holds
    assert embedded_json(page, "initial-dataset") == {"default-graph-uri": [],
                                                      "named-graph-uri": []}


def test_a_query_link_keeps_its_dataset(ui_client) -> None:
    response = ui_client.get("/sparql", headers={"Accept": BROWSER}, query_string={
        "query": "ASK {}", "default-graph-uri": ["http://example.org/a", "http://example.org/b"],
        "named-graph-uri": "http://example.org/n"})
    page = response.get_data(as_text=True)
    assert embedded_json(page, "initial-dataset") == {
        "default-graph-uri": ["http://example.org/a", "http://example.org/b"],
        "named-graph-uri": ["http://example.org/n"]}


def test_the_ui_without_a_query_runs_nothing(ui_client) -> None:
    page = ui_client.get("/sparql", headers={"Accept": BROWSER}).get_data(as_text=True)
    assert embedded_json(page, "initial-query") is None


def test_the_page_has_no_inline_script(ui_client) -> None:
    """CSP ``script-src 'self'``: every script is a file of the service or a JSON block."""
    page = ui_client.get("/sparql", query_string={"query": "ASK {}"},
                         headers={"Accept": BROWSER}).get_data(as_text=True)
    tags = re.findall(r"<script\b[^>]*>", page)
    assert tags
    for tag in tags:
        assert 'type="application/json"' in tag or re.search(r'src="/static/[^"]+"', tag), tag


def test_every_run_link_of_the_index_opens_the_ui(client) -> None:
    index = client.get("/", headers={"Accept": BROWSER}).get_data(as_text=True)
    links = [html.unescape(href) for href in re.findall(r'href="([^"]*/sparql\?query=[^"]*)"',
                                                        index)]
    assert len(links) == len(load_examples())
    for link in links:
        [query] = parse_qs(urlsplit(link).query)["query"]
        response = client.get(link, headers={"Accept": BROWSER})
        assert response.status_code == 200, link
        assert response.mimetype == "text/html"
        assert embedded_json(response.get_data(as_text=True), "initial-query") == query
        # the same link is results for an API client
        results = client.get(link, headers={"Accept": "*/*"})
        assert results.status_code == 200, results.data
        assert results.mimetype != "text/html"


def query_ui_script(client) -> str:
    with client.get("/static/query-ui.js") as response:
        assert response.status_code == 200
        return response.get_data(as_text=True)


def test_the_script_runs_the_initial_query(ui_client) -> None:
    script = query_ui_script(ui_client)
    assert 'data("initial-query")' in script
    assert 'data("initial-dataset")' in script
    assert "initialQuery !== null" in script
    assert "yasgui.addTab(true" in script and "yasgui.getTab().query()" in script
    # the dataset as request arguments (YASGUI's defaultGraphs sends the named graphs)
    assert "args: initialArgs" in script


def test_the_script_shows_the_error_message_wrapped(ui_client) -> None:
    """A service error body is JSON; the UI shows its ``message`` preformatted and wrapped
    in the results area (YASGUI's error renderers), as text, not HTML."""
    script = query_ui_script(ui_client)
    assert "Yasgui.Yasr.defaults.errorRenderers = [serviceErrorRenderer]" in script
    assert "JSON.parse(error.text)" in script
    assert "message.textContent = body.message" in script
    assert 'document.createElement("pre")' in script
    assert 'message.style.whiteSpace = "pre-wrap"' in script
    assert "innerHTML" not in script


def test_an_error_body_has_the_message_the_ui_shows(ui_client) -> None:
    # what YASGUI POSTs, and what the renderer reads: a JSON body with a string message
    response = ui_client.post("/sparql", data={"query": "SELECT * WHERE {\n  ?s ?p \n}"},
                              headers={"Accept": "application/sparql-results+json,*/*;q=0.9"})
    assert response.status_code == 400
    body = response.get_json()
    assert isinstance(body["message"], str) and body["message"]
    assert body["error"] == "ParseError"


def test_every_shipped_query_names_itself() -> None:
    examples = load_examples()
    assert examples
    for example in examples:
        assert example.title and example.title != example.name.replace("-", " "), example.name
        assert example.description, example.name


def test_parse_example_reads_the_header_comments() -> None:
    text = ("# title: Threats Japan perceives\n"
            "# description: Every threat perception\n"
            "#   whose perceiver is Japan.\n"
            "PREFIX ag: <https://w3id.org/alliancegraph/ontology#>\n"
            "# title: not a header any more\n"
            "SELECT * WHERE { ?s ?p ?o }\n")
    example = parse_example("japan-threats", text)
    assert example.title == "Threats Japan perceives"
    assert example.description == "Every threat perception whose perceiver is Japan."
    assert example.text == text
    untitled = parse_example("plain-query", "SELECT * WHERE { ?s ?p ?o }")
    assert untitled.title == "plain query" and untitled.description == ""


def test_real_server_serves_the_ui(start_server, tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    page = requests.get(server.url + "/sparql", headers={"Accept": BROWSER}, timeout=30)
    assert page.status_code == 200
    assert "yasgui.min.js" in page.text
    script = requests.get(server.url + "/static/yasgui/yasgui.min.js", timeout=30)
    assert script.status_code == 200 and "Yasgui" in script.text


def test_the_examples_are_not_read_at_request_time(tmp_path: Path, monkeypatch) -> None:
    """The app reads the shipped queries when it is made; a request reads no file."""
    from alliancegraph.graph import queries

    client = create_app({"data_dir": str(tmp_path), "TESTING": True}).test_client()

    def no_files(*args, **kwargs):
        raise AssertionError("a source file was read at request time")

    monkeypatch.setattr(queries.resources, "files", no_files)
    page = client.get("/sparql", headers={"Accept": BROWSER}).get_data(as_text=True)
    assert [e["name"] for e in embedded_json(page, "examples-data")] == [
        e.name for e in load_examples()]
