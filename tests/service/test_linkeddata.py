"""Entity IRIs resolve: 303 to a document per format, documents by suffix, Link headers,
404s, the HTML page (labels, types, provenance, links out, referenced by), a configurable
base IRI, and answers cached per store generation with ETags and 304s — through the Flask
test client (an in-memory store) and a real gunicorn server (the embedded store)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pyoxigraph as ox
import pytest
import requests
from alliancegraph.graph.grouping import natural_key
from alliancegraph.service import create_app
from alliancegraph.store import Store, open_store
from alliancegraph.store.base import QuadDelta

FIXTURE = Path(__file__).parent / "fixtures" / "linkeddata.trig"
BASE = "https://w3id.org/alliancegraph/"
CONTEXT_URL = BASE + "context.jsonld"
JAPAN = BASE + "id/state/japan"
PERCEPTION = BASE + "id/paper-b/perception/japan-north-korea"
AG = BASE + "ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SKOS_PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
SUFFIX_TYPES = {
    "html": "text/html",
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
}
RDF_SUFFIXES = {
    "ttl": ox.RdfFormat.TURTLE,
    "jsonld": ox.RdfFormat.JSON_LD,
    "nt": ox.RdfFormat.N_TRIPLES,
    "rdf": ox.RdfFormat.RDF_XML,
}


def build_store(settings, base: str = BASE) -> Store:
    """The fixture graph in the store ``settings`` name, its IRIs rebased onto ``base``."""
    store = open_store(settings.replace(base_iri=base))
    data = FIXTURE.read_text(encoding="utf-8").replace(BASE, base).encode()
    store.apply(QuadDelta(added=tuple(ox.parse(data, ox.RdfFormat.TRIG))))
    return store


def memory_client(fixture_data, tmp_path: Path, base: str = BASE, store: Store | None = None):
    """A test client over the fixture graph in memory (or over ``store``)."""
    store = store or build_store(fixture_data.settings(tmp_path, store="memory"), base)
    app = create_app({"data_dir": str(tmp_path), "base_iri": base, "TESTING": True,
                      "STORE": store})
    return app.test_client()


def fixture_dataset(base: str = BASE) -> ox.Store:
    memory = ox.Store()
    memory.load(FIXTURE.read_text(encoding="utf-8").replace(BASE, base), ox.RdfFormat.TRIG)
    return memory


def expected_description(iri: str) -> tuple[set, set]:
    """From the fixture file itself: the IRI's own triples (blank objects as None), the
    (predicate, object) pairs of its blank nodes, and the IRI triples pointing at it."""
    memory = fixture_dataset()
    node = ox.NamedNode(iri)
    own, blank = set(), set()
    for quad in memory.quads_for_pattern(node, None, None, None):
        if isinstance(quad.object, ox.BlankNode):
            own.add((quad.subject, quad.predicate, None))
            blank |= {(q.predicate, q.object)
                      for q in memory.quads_for_pattern(quad.object, None, None, None)}
        else:
            own.add((quad.subject, quad.predicate, quad.object))
    own |= {(q.subject, q.predicate, q.object)
            for q in memory.quads_for_pattern(None, None, node, None)
            if isinstance(q.subject, ox.NamedNode)}
    return own, blank


def split_document(triples: list[ox.Triple]) -> tuple[set, set]:
    own, blank = set(), set()
    for t in triples:
        if isinstance(t.subject, ox.BlankNode):
            blank.add((t.predicate, t.object))
        else:
            own.add((t.subject, t.predicate,
                     None if isinstance(t.object, ox.BlankNode) else t.object))
    return own, blank


def inline_context(body: bytes, context: dict) -> bytes:
    """A JSON-LD document with the context it names by URL given inline, so no parser
    fetches anything."""
    document = json.loads(body)
    assert isinstance(document["@context"], str)
    document["@context"] = context
    return json.dumps(document).encode()


def published_context(client) -> dict:
    response = client.get("/context.jsonld")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    return response.get_json()["@context"]


def parse_document(client, body: bytes, suffix: str) -> list[ox.Triple]:
    if suffix == "jsonld":
        body = inline_context(body, published_context(client))
    return list(ox.parse(body, RDF_SUFFIXES[suffix]))


@pytest.fixture(scope="module")
def ld_client(tmp_path_factory: pytest.TempPathFactory, fixture_data):
    return memory_client(fixture_data, tmp_path_factory.mktemp("linkeddata"))


# --- 303 and negotiation ---------------------------------------------------------------

@pytest.mark.parametrize(("accept", "suffix"), [
    ("text/html", "html"),
    ("text/turtle", "ttl"),
    ("application/ld+json", "jsonld"),
    ("application/n-triples", "nt"),
    ("application/rdf+xml", "rdf"),
    ("text/turtle;q=0.5, application/ld+json", "jsonld"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html"),
    ("*/*", "html"),
])
def test_entity_iri_answers_303_to_the_document_in_the_negotiated_format(
        ld_client, accept: str, suffix: str) -> None:
    response = ld_client.get("/id/state/japan", headers={"Accept": accept})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/id/state/japan.{suffix}"
    assert "Accept" in response.headers["Vary"]


def test_303_without_accept_goes_to_html_and_lists_every_format(ld_client) -> None:
    response = ld_client.get("/id/state/japan")
    assert response.status_code == 303
    assert response.headers["Location"] == "/id/state/japan.html"
    link = response.headers["Link"]
    for suffix, media_type in SUFFIX_TYPES.items():
        assert f'</id/state/japan.{suffix}>; rel="alternate"; type="{media_type}"' in link


@pytest.mark.parametrize(("value", "suffix"), [
    ("ttl", "ttl"), ("html", "html"), ("text/turtle", "ttl"), ("application/ld+json", "jsonld"),
    ("RDF", "rdf")])
def test_format_parameter_overrides_accept_on_the_iri(ld_client, value: str,
                                                      suffix: str) -> None:
    accept = "text/turtle" if suffix == "html" else "text/html"
    response = ld_client.get("/id/state/japan", query_string={"format": value},
                             headers={"Accept": accept})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/id/state/japan.{suffix}"


def test_unknown_format_parameter_is_406(ld_client) -> None:
    response = ld_client.get("/id/state/japan?format=pdf")
    assert response.status_code == 406
    assert "format='pdf'" in response.get_data(as_text=True)


def test_nothing_acceptable_is_406(ld_client) -> None:
    response = ld_client.get("/id/state/japan", headers={"Accept": "application/pdf"})
    assert response.status_code == 406
    assert "text/turtle" in response.get_data(as_text=True)


@pytest.mark.parametrize("suffix", sorted(RDF_SUFFIXES))
def test_rdf_documents_hold_the_description_and_link_to_the_others(ld_client,
                                                                   suffix: str) -> None:
    response = ld_client.get(f"/id/state/japan.{suffix}", headers={"Accept": "text/html"})
    assert response.status_code == 200  # the suffix wins over Accept
    assert response.mimetype == SUFFIX_TYPES[suffix]
    triples = parse_document(ld_client, response.get_data(), suffix)
    assert split_document(triples) == expected_description(JAPAN)
    link = response.headers["Link"]
    assert f"/id/state/japan.{suffix}>" not in link
    for other in set(SUFFIX_TYPES) - {suffix}:
        assert f'</id/state/japan.{other}>; rel="alternate"; type="{SUFFIX_TYPES[other]}"' in link


def test_the_advertised_query_produces_the_same_data(ld_client) -> None:
    page = ld_client.get("/id/state/japan.html").get_data(as_text=True)
    query_url = re.search(r'href="(/sparql\?query=[^"]+)"', page).group(1)
    answer = ld_client.get(query_url, headers={"Accept": "application/n-triples"})
    assert answer.status_code == 200
    from_query = split_document(list(ox.parse(answer.get_data(), ox.RdfFormat.N_TRIPLES)))
    document = ld_client.get("/id/state/japan.nt").get_data()
    assert from_query == split_document(list(ox.parse(document, ox.RdfFormat.N_TRIPLES)))
    ui_url = re.search(r'href="(/sparql#query=[^"]+)"', page).group(1)
    assert unquote(ui_url.partition("#query=")[2]) == unquote(query_url.partition("?query=")[2])


# --- what the documents look like -------------------------------------------------------

def test_json_ld_is_compacted_under_the_published_context(ld_client) -> None:
    response = ld_client.get("/id/state/japan.jsonld")
    document = json.loads(response.get_data())
    assert document["@context"] == CONTEXT_URL
    japan = document["@graph"][0]  # the thing the document is about comes first
    assert japan["@id"] == "agid:state/japan"
    assert japan["@type"] == "ag:State"
    assert japan["label"] == {"en": "Japan", "ja": "日本", "ko": "일본"}
    assert japan["owl:sameAs"] == {"@id": "wd:Q17"}
    assert japan["ag:iso3166Alpha2"] == "JP"
    citation = json.loads(ld_client.get("/id/paper-b/citation/2.jsonld").get_data())
    assert citation["@graph"][0]["ag:pageStart"] == 55  # canonical integers are JSON numbers


@pytest.mark.parametrize("path", [
    "/id/state/japan", "/id/paper-b/perception/japan-north-korea", "/id/paper-b/citation/2",
    "/id/test/deep-blanks", "/graph/paper-b", "/graph/ontology"])
def test_json_ld_given_its_context_holds_the_triples_of_the_n_triples(ld_client,
                                                                      path: str) -> None:
    context = published_context(ld_client)
    jsonld = ld_client.get(f"{path}.jsonld").get_data()
    from_jsonld = list(ox.parse(inline_context(jsonld, context), ox.RdfFormat.JSON_LD))
    ntriples = list(ox.parse(ld_client.get(f"{path}.nt").get_data(), ox.RdfFormat.N_TRIPLES))
    # exactly: the store's blank node labels are kept, and so is every literal
    assert len(from_jsonld) == len(set(from_jsonld))
    assert set(from_jsonld) == set(ntriples) and ntriples


def test_json_ld_keeps_every_literal_and_iri_as_written(ld_client) -> None:
    from alliancegraph.service.linkeddata import compact_jsonld

    def literal(value: str, datatype: str) -> ox.Literal:
        return ox.Literal(value, datatype=ox.NamedNode(datatype))

    xsd, s, p = "http://www.w3.org/2001/XMLSchema#", ox.NamedNode(JAPAN), ox.NamedNode(AG + "p")
    objects = [
        literal("01", xsd + "integer"), literal("-0", xsd + "integer"),
        literal("7", xsd + "integer"), literal("12345678901234567890", xsd + "integer"),
        literal("1", xsd + "boolean"), literal("true", xsd + "boolean"),
        literal("1.5", xsd + "double"), literal("2006-05", xsd + "gYearMonth"),
        ox.Literal("plain"), ox.Literal("x", language="en-gb"),
        ox.NamedNode(BASE + "id//odd"), ox.NamedNode("urn:example:x"), ox.BlankNode("b1"),
    ]
    triples = [ox.Triple(s, p, o) for o in objects] + [
        ox.Triple(s, ox.NamedNode(SKOS_PREF_LABEL), ox.Literal("no language")),
        ox.Triple(s, ox.NamedNode(SKOS_PREF_LABEL), ox.Literal("Japan", language="en")),
        ox.Triple(s, ox.NamedNode(RDF_TYPE), ox.Literal("a literal type")),
        ox.Triple(ox.BlankNode("b1"), ox.NamedNode(RDF_TYPE), ox.NamedNode(AG + "Evidence")),
    ]
    with ld_client.application.test_request_context():
        body = compact_jsonld(triples, JAPAN)
    parsed = ox.parse(inline_context(body, published_context(ld_client)), ox.RdfFormat.JSON_LD)
    assert {quad.triple for quad in parsed} == set(triples)


def test_every_document_holds_each_triple_once(tmp_path: Path, fixture_data,
                                              ld_client) -> None:
    """A blank node reached by two properties (ag:evidence and the inferred
    prov:qualifiedDerivation, as in the bundled graph) was written twice, its triples
    found once per path; a triple in two graphs must be written once too."""
    store = build_store(fixture_data.settings(tmp_path, store="memory"))
    store.update(f"""INSERT {{ GRAPH <{BASE}graph/again> {{
        <{JAPAN}> <http://www.w3.org/ns/prov#qualifiedDerivation> ?evidence ;
            <http://www.w3.org/2002/07/owl#sameAs> <http://www.wikidata.org/entity/Q17> }} }}
        WHERE {{ GRAPH ?g {{ <{JAPAN}> <{AG}evidence> ?evidence }} }}""")
    client = memory_client(fixture_data, tmp_path, store=store)
    body = client.get("/id/state/japan.nt").get_data()
    lines = body.decode().splitlines()
    once = ld_client.get("/id/state/japan.nt").get_data()  # the store without the additions
    assert len(lines) == len(set(lines)) == len(once.splitlines()) + 1
    for suffix in RDF_SUFFIXES:
        triples = parse_document(client, client.get(f"/id/state/japan.{suffix}").get_data(),
                                 suffix)
        assert len(triples) == len(set(triples)) == len(lines), suffix


def test_turtle_names_our_iris_by_the_prefix_of_their_folder(ld_client) -> None:
    turtle = ld_client.get("/id/paper-b/perception/japan-north-korea.ttl").get_data(as_text=True)
    assert "\\/" not in turtle  # no escaped local names (agid:state\/japan)
    declared = dict(re.findall(r"^@prefix ([\w.-]*): <([^>]*)> \.$", turtle, re.M))
    assert declared["agid-state"] == BASE + "id/state/"
    assert declared["agid-paper-b-section"] == BASE + "id/paper-b/section/"
    assert declared["agsch-perception-intensity"] == BASE + "scheme/perception-intensity/"
    assert declared["agid"] == BASE + "id/"  # agid:paper-b has no folder of its own
    assert "agid-paper-b-perception:japan-north-korea " in turtle
    assert "ag:perceiver agid-state:japan" in turtle
    body = "\n".join(line for line in turtle.splitlines() if not line.startswith("@prefix"))
    for name in declared:  # only the prefixes it uses (rdf: for rdf:type, written "a")
        assert f"{name}:" in body or name == "rdf", name
    triples = list(ox.parse(turtle.encode(), ox.RdfFormat.TURTLE))
    ntriples = ld_client.get("/id/paper-b/perception/japan-north-korea.nt").get_data()
    assert sorted(map(str, triples)) == sorted(map(str, ox.parse(ntriples,
                                                                 ox.RdfFormat.N_TRIPLES)))


# --- 404 ------------------------------------------------------------------------------

def test_unknown_iri_is_404_in_html_for_browsers(ld_client) -> None:
    response = ld_client.get("/id/state/atlantis", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert f"{BASE}id/state/atlantis" in response.get_data(as_text=True)


@pytest.mark.parametrize("suffix", sorted(RDF_SUFFIXES))
def test_unknown_iri_is_404_as_an_empty_rdf_document(ld_client, suffix: str) -> None:
    by_accept = ld_client.get("/id/state/atlantis", headers={"Accept": SUFFIX_TYPES[suffix]})
    by_suffix = ld_client.get(f"/id/state/atlantis.{suffix}")
    for response in (by_accept, by_suffix):
        assert response.status_code == 404
        assert response.mimetype == SUFFIX_TYPES[suffix]
        assert list(ox.parse(response.get_data(), RDF_SUFFIXES[suffix])) == []


def test_unknown_html_document_is_404(ld_client) -> None:
    assert ld_client.get("/id/state/atlantis.html").status_code == 404


@pytest.mark.parametrize("path", [
    "/id/x%3E%20%3Fp%20%3Fo%20%7D%20%23",  # x> ?p ?o } #  — would break out of <…>
    "/id/a%22b", "/id/a%5Cb", "/id/a%20b",
])
def test_text_that_is_no_iri_is_404_not_a_query_error(ld_client, path: str) -> None:
    for accept in ("text/html", "text/turtle"):
        response = ld_client.get(path, headers={"Accept": accept})
        assert response.status_code == 404
        response = ld_client.get(path + ".ttl")
        assert response.status_code == 404


# --- the HTML page --------------------------------------------------------------------

def test_entity_page_shows_labels_types_links_out_and_references(ld_client) -> None:
    response = ld_client.get("/id/state/japan.html")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<h1>Japan</h1>" in page
    # all labels, by language
    for language, label in (("en", "Japan"), ("ja", "日本"), ("ko", "일본")):
        assert re.search(rf"<td>{language}</td>.*?<td lang=\"{language}\">{label}</td>", page)
    # the type, linked to the ontology documentation through its own IRI
    assert '<a href="/ontology#State"' in page
    # literal values, and which named graph each statement is in
    assert '<span class="literal">JP</span>' in page
    assert 'href="/graph/background"' in page and 'href="/graph/links"' in page
    # links out to Wikidata
    assert re.search(r'<section id="elsewhere">.*href="http://www.wikidata.org/entity/Q17"',
                     page, re.S)
    # referenced by the perception
    references = page.partition('<section id="referenced-by">')[2]
    assert 'href="/id/paper-b/perception/japan-north-korea"' in references
    # the same data in RDF
    for suffix in RDF_SUFFIXES:
        assert f'href="/id/state/japan.{suffix}"' in page
        assert f'<link rel="alternate" type="{SUFFIX_TYPES[suffix]}" ' \
               f'href="/id/state/japan.{suffix}">' in page


def test_entity_page_renders_the_provenance_of_a_paper_statement(ld_client) -> None:
    page = ld_client.get("/id/paper-b/perception/japan-north-korea.html").get_data(as_text=True)
    provenance = page.partition('<section id="provenance">')[2].partition("</section>")[0]
    assert "“the biggest one being North Korea”" in provenance
    assert re.search(r'<dt>paper</dt><dd><a href="/id/paper-b"[^>]*>The Changing Security',
                     provenance)
    assert re.search(r'<dt>section</dt><dd><a href="/id/paper-b/section/3-2"[^>]*>'
                     r"Similarity in Security Threats</a>", provenance)
    assert re.search(r'<dt>supporting footnotes</dt><dd><a href="/id/paper-b/footnote/2"',
                     provenance)
    # the concept and the threat are linked by their labels
    assert '<a href="/scheme/perception-intensity/biggest-threat"' in page
    assert ">North Korean missiles</a>" in page


def test_entity_page_shows_literal_datatypes_on_hover(ld_client) -> None:
    page = ld_client.get("/id/paper-b/citation/2.html").get_data(as_text=True)
    assert '<span class="literal" title="xsd:integer">55</span>' in page
    assert "^^" not in page  # no datatype noise in the text
    assert '<span class="literal">55~62</span>' in page  # a plain string: no datatype


def test_properties_show_their_labels_and_links_out_are_listed_once(ld_client) -> None:
    page = ld_client.get("/id/state/japan.html").get_data(as_text=True)
    # the ontology's label shown, the CURIE and IRI on hover
    assert re.search(r'<a href="/ontology#perceiver" title="ag:perceiver '
                     r'&lt;https://w3id.org/alliancegraph/ontology#perceiver&gt;">'
                     r"perceiver</a>", page)
    properties = page.partition('<section id="properties">')[2].partition("</section>")[0]
    elsewhere = page.partition('<section id="elsewhere">')[2].partition("</section>")[0]
    assert "wikidata.org/entity/Q17" in elsewhere and "wikidata.org" not in properties


def test_section_page_lists_statements_evidenced_in_it(ld_client) -> None:
    page = ld_client.get("/id/paper-b/section/3-2.html").get_data(as_text=True)
    references = page.partition('<section id="referenced-by">')[2]
    # both evidence nodes point at the section; their owners are listed with the quotes
    perception = references.partition('href="/id/paper-b/perception/japan-north-korea"')[2]
    assert perception.partition("</li>")[0].count("“the biggest one being North Korea”") == 1
    japan = references.partition('href="/id/state/japan"')[2]
    assert "“Japan is wary of China&#39;s increasing military power”" in \
        japan.partition("</li>")[0]


def test_only_web_iris_become_links(ld_client) -> None:
    page = ld_client.get("/id/test/unsafe-links.html").get_data(as_text=True)
    assert "javascript:" in page  # shown, as text
    assert not re.search(r'href="\s*javascript:', page, re.I)
    assert 'href="https://example.org/safe"' in page
    assert '<span class="graph" title="named graph urn:example:uploads">' in page
    assert '<section id="elsewhere">' not in page  # owl:sameAs javascript:… is no link out


def test_blank_nodes_are_followed_four_levels_deep(ld_client) -> None:
    page = ld_client.get("/id/test/deep-blanks.html").get_data(as_text=True)
    properties = page.partition('<section id="properties">')[2].partition("</section>")[0]
    assert properties.count('<table class="blank">') == 4
    assert "[a blank node nested deeper than the levels shown here]" in properties
    assert "level 5" not in properties
    turtle = ld_client.get("/id/test/deep-blanks.ttl").get_data()
    triples = list(ox.parse(turtle, ox.RdfFormat.TURTLE))
    assert sum(isinstance(t.subject, ox.BlankNode) for t in triples) == 4


def test_scheme_concepts_resolve(ld_client) -> None:
    response = ld_client.get("/scheme/perception-intensity/biggest-threat",
                             headers={"Accept": "text/turtle"})
    assert response.status_code == 303
    document = ld_client.get(response.headers["Location"])
    triples = {(t.subject, t.predicate, t.object)
               for t in ox.parse(document.get_data(), ox.RdfFormat.TURTLE)}
    assert (ox.NamedNode(BASE + "scheme/perception-intensity/biggest-threat"),
            ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel"),
            ox.Literal("biggest threat", language="en")) in triples


# --- named graphs ---------------------------------------------------------------------

def test_named_graph_iri_resolves_to_its_triples(ld_client) -> None:
    response = ld_client.get("/graph/paper-b", headers={"Accept": "application/n-triples"})
    assert response.status_code == 303
    document = ld_client.get(response.headers["Location"])
    triples = list(ox.parse(document.get_data(), ox.RdfFormat.N_TRIPLES))
    expected = list(fixture_dataset().quads_for_pattern(
        None, None, None, ox.NamedNode(BASE + "graph/paper-b")))
    assert len(triples) == len(expected) > 0
    html = ld_client.get("/graph/paper-b.html").get_data(as_text=True)
    assert f"{len(expected)} triples" in html


def test_unknown_named_graph_is_404(ld_client) -> None:
    assert ld_client.get("/graph/nope", headers={"Accept": "text/turtle"}).status_code == 404
    assert ld_client.get("/graph/nope.ttl").status_code == 404


# --- another base IRI -----------------------------------------------------------------

def test_the_service_maps_its_paths_onto_a_configured_base_iri(tmp_path: Path,
                                                               fixture_data) -> None:
    base = "http://localhost:8080/ag/"
    client = memory_client(fixture_data, tmp_path, base)
    response = client.get("/id/state/japan.nt")
    assert response.status_code == 200
    triples = list(ox.parse(response.get_data(), ox.RdfFormat.N_TRIPLES))
    assert {t.subject for t in triples if isinstance(t.subject, ox.NamedNode)} >= {
        ox.NamedNode(base + "id/state/japan")}
    page = client.get("/id/state/japan.html").get_data(as_text=True)
    assert f"<code>{base}id/state/japan</code>" in page
    assert 'href="/ontology#State"' in page  # the new base's ontology, linked here
    section = client.get("/id/paper-b/section/3-2.ttl").get_data()
    subjects = {t.subject.value for t in ox.parse(section, ox.RdfFormat.TURTLE)}
    assert base + "id/paper-b/section/3-2" in subjects
    assert not any(s.startswith(BASE) for s in subjects)
    assert client.get("/id/state/atlantis.ttl").status_code == 404
    # the JSON-LD names the context under the new base, and that context maps its prefixes
    jsonld = client.get("/id/state/japan.jsonld").get_data()
    assert json.loads(jsonld)["@context"] == base + "context.jsonld"
    context = published_context(client)
    assert context["agid"] == base + "id/"
    assert ox.NamedNode(base + "id/state/japan") in {
        t.subject for t in ox.parse(inline_context(jsonld, context), ox.RdfFormat.JSON_LD)}


# --- a real server --------------------------------------------------------------------

@pytest.fixture(scope="module")
def ld_server(start_server, tmp_path_factory: pytest.TempPathFactory, fixture_data):
    data_dir = tmp_path_factory.mktemp("linkeddata-server") / "data"
    build_store(fixture_data.settings(data_dir, store="embedded")).close()
    return start_server(data_dir, query_timeout=10)


def test_real_server_303_then_document(ld_server) -> None:
    first = requests.get(f"{ld_server.url}/id/state/japan", headers={"Accept": "text/turtle"},
                         allow_redirects=False, timeout=30)
    assert first.status_code == 303
    assert first.headers["Location"] == "/id/state/japan.ttl"
    followed = requests.get(f"{ld_server.url}/id/state/japan",
                            headers={"Accept": "application/ld+json"}, timeout=30)
    assert followed.status_code == 200
    assert followed.url == f"{ld_server.url}/id/state/japan.jsonld"
    assert followed.headers["Content-Type"].startswith("application/ld+json")
    context = requests.get(f"{ld_server.url}/context.jsonld", timeout=30)
    assert context.headers["Content-Type"].startswith("application/ld+json")
    body = inline_context(followed.content, context.json()["@context"])
    assert split_document(list(ox.parse(body, ox.RdfFormat.JSON_LD))) == \
        expected_description(JAPAN)
    assert json.loads(followed.content)["@graph"][0]["@id"] == "agid:state/japan"


def test_real_server_html_page_and_404(ld_server) -> None:
    page = requests.get(f"{ld_server.url}/id/paper-b/perception/japan-north-korea",
                        headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200 and page.url.endswith(".html")
    assert "the biggest one being North Korea" in page.text
    assert 'href="/id/paper-b/footnote/2"' in page.text
    missing = requests.get(f"{ld_server.url}/id/state/atlantis",
                           headers={"Accept": "text/turtle"}, timeout=30)
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith("text/turtle")


# --- every minted IRI resolves --------------------------------------------------------

def minted_iris(quads, base: str = BASE) -> set[str]:
    """Every IRI under the base in the data, without its fragment (``ontology#State`` is
    served by ``ontology``)."""
    found = set()
    for quad in quads:
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
            if isinstance(term, ox.NamedNode) and term.value.startswith(base):
                found.add(term.value.partition("#")[0])
    return found


def resolves(client, iri: str) -> int:
    response = client.get("/" + iri[len(BASE):], headers={"Accept": "text/turtle"})
    if response.status_code != 303:
        return response.status_code
    return client.get(response.headers["Location"]).status_code


def test_every_iri_of_the_fixture_resolves(ld_client) -> None:
    iris = minted_iris(fixture_dataset())
    assert len(iris) >= 15
    assert {iri: resolves(ld_client, iri) for iri in iris} == dict.fromkeys(iris, 200)


@pytest.fixture(scope="module")
def bundled_client(tmp_path_factory: pytest.TempPathFactory, fixture_data):
    """A client over the bundled graph, built into a new data dir (the embedded store)."""
    from alliancegraph.graph.build import build_store as build_bundled

    data_dir = tmp_path_factory.mktemp("bundled") / "data"
    settings = fixture_data.settings(data_dir, store="embedded")
    build_bundled(data_dir, base_iri=BASE, progress=False, docs=False, settings=settings)
    app = create_app({"data_dir": str(data_dir), "store": "embedded", "TESTING": True})
    yield app.test_client()
    from alliancegraph.service.resources import close_store

    close_store(app)


def test_an_iri_of_every_kind_in_the_bundled_graph_resolves(bundled_client) -> None:
    dump = bundled_client.get("/dumps/alliancegraph.nq", buffered=True).get_data()
    by_kind: dict[str, str] = {}
    for iri in sorted(minted_iris(ox.parse(dump, ox.RdfFormat.N_QUADS))):
        # the kind: the path up to the last segment (id/state, id/paper-a/footnote, …)
        by_kind.setdefault(iri[len(BASE):].rpartition("/")[0], iri)
    assert {"id/state", "id/paper-a/section", "graph", "scheme/threat-category"} <= set(by_kind)
    statuses = {iri: resolves(bundled_client, iri) for iri in by_kind.values()}
    assert statuses == dict.fromkeys(by_kind.values(), 200)


def test_japan_in_the_bundled_graph_reads_once_in_every_format(bundled_client) -> None:
    """The issue's case: its Turtle held triples twice (397 lines for 382 triples)."""
    lines = bundled_client.get("/id/state/japan.nt").get_data().decode().splitlines()
    assert len(lines) == len(set(lines)) > 300
    turtle = bundled_client.get("/id/state/japan.ttl").get_data()
    assert b"\\/" not in turtle and b"agid-state:japan" in turtle
    expected = set(ox.parse("\n".join(lines).encode(), ox.RdfFormat.N_TRIPLES))
    for suffix in RDF_SUFFIXES:
        body = bundled_client.get(f"/id/state/japan.{suffix}").get_data()
        triples = parse_document(bundled_client, body, suffix)
        assert len(triples) == len(lines) and set(triples) == expected, suffix


# --- settings, store calls and the cache per generation --------------------------------

class CountingStore:
    """A store that records the calls made to it."""

    def __init__(self, store: Store):
        self.store, self.calls = store, []

    def __getattr__(self, name: str):
        method = getattr(self.store, name)
        if not callable(method):
            return method

        def call(*args, **kwargs):
            self.calls.append(name)
            return method(*args, **kwargs)
        return call

    def reads(self) -> list[str]:
        return [c for c in self.calls if c not in ("generation", "committed_at", "state")]


@pytest.fixture
def counted(tmp_path: Path, fixture_data):
    store = CountingStore(build_store(fixture_data.settings(tmp_path, store="memory")))
    return store, memory_client(fixture_data, tmp_path, store=store)  # type: ignore[arg-type]


def test_an_entity_page_takes_two_store_calls_and_a_repeat_none(counted) -> None:
    store, client = counted
    assert client.get("/id/state/japan.html").status_code == 200
    assert store.reads() == ["select", "select"]  # statements and references, labels
    store.calls.clear()
    for path in ("/id/state/japan.html", "/id/state/japan.html"):
        assert client.get(path).status_code == 200
    assert store.reads() == []  # served from the cache: the generation was all it asked
    assert client.get("/id/state/japan", headers={"Accept": "text/turtle"}).status_code == 303
    assert store.reads() == ["ask"]
    assert client.get("/id/state/japan.ttl").status_code == 200
    assert store.reads() == ["ask", "construct"]
    assert client.get("/id/state/japan.ttl").status_code == 200
    assert client.get("/id/state/atlantis.html").status_code == 404
    # the lookup, then the page's suggestions: a search for "atlantis" and for "atlanti"
    assert store.reads() == ["ask", "construct", "select", "select", "select"]
    assert client.get("/id/state/atlantis.html").status_code == 404
    assert store.reads() == ["ask", "construct", "select", "select", "select"]  # kept too


@pytest.mark.parametrize("path", ["/id/state/japan.html", "/id/state/japan.ttl",
                                  "/scheme/perception-intensity/biggest-threat.jsonld",
                                  "/graph/paper-b.html", "/graph/paper-b.nt"])
def test_documents_carry_an_etag_and_answer_304_until_a_write(counted, path: str) -> None:
    store, client = counted
    first = client.get(path)
    assert first.status_code == 200 and first.headers["ETag"]
    assert "no-cache" in first.headers["Cache-Control"]
    store.calls.clear()
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert store.reads() == []  # nothing computed for a 304
    store.update(f'INSERT DATA {{ GRAPH <{BASE}graph/paper-b> {{ <{JAPAN}> '
                 f'<{SKOS_PREF_LABEL}> "Nippon"@de }} }}')
    stale = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert stale.status_code == 200 and stale.headers["ETag"] != first.headers["ETag"]


def test_a_write_shows_on_the_next_read(counted) -> None:
    store, client = counted
    assert "Nippon" not in client.get("/id/state/japan.html").get_data(as_text=True)
    store.update(f'INSERT DATA {{ GRAPH <{BASE}graph/paper-b> {{ <{JAPAN}> '
                 f'<{SKOS_PREF_LABEL}> "Nippon"@de }} }}')
    assert "Nippon" in client.get("/id/state/japan.html").get_data(as_text=True)
    assert b"Nippon" in client.get("/id/state/japan.nt").get_data()


def test_the_303_has_an_etag_per_negotiated_format(ld_client) -> None:
    turtle = ld_client.get("/id/state/japan", headers={"Accept": "text/turtle"})
    html = ld_client.get("/id/state/japan", headers={"Accept": "text/html"})
    assert turtle.headers["ETag"] != html.headers["ETag"]
    again = ld_client.get("/id/state/japan", headers={"Accept": "text/turtle",
                                                      "If-None-Match": turtle.headers["ETag"]})
    assert again.status_code == 304
    other = ld_client.get("/id/state/japan", headers={"Accept": "text/html",
                                                      "If-None-Match": turtle.headers["ETag"]})
    assert other.status_code == 303


def test_n3_is_refused_with_406_pointing_to_turtle(ld_client) -> None:
    response = ld_client.get("/id/state/japan", headers={"Accept": "text/n3"})
    assert response.status_code == 406
    assert "text/turtle" in response.get_json()["message"]
    # SPARQLWrapper's N3 names Turtle too: it gets Turtle
    both = ld_client.get("/id/state/japan", headers={"Accept": "text/n3, text/turtle"})
    assert both.headers["Location"] == "/id/state/japan.ttl"


def test_a_format_named_specifically_beats_a_wildcard(ld_client) -> None:
    response = ld_client.get("/id/state/japan",
                             headers={"Accept": "application/n-triples, */*"})
    assert response.headers["Location"] == "/id/state/japan.nt"


def test_the_depth_and_the_reference_limit_are_settings(tmp_path: Path, fixture_data) -> None:
    store = build_store(fixture_data.settings(tmp_path, store="memory"))
    app = create_app({"data_dir": str(tmp_path), "TESTING": True, "STORE": store,
                      "blank_node_depth": 2, "referenced_by_limit": 1})
    client = app.test_client()
    page = client.get("/id/test/deep-blanks.html").get_data(as_text=True)
    properties = page.partition('<section id="properties">')[2].partition("</section>")[0]
    assert properties.count('<table class="blank">') == 2
    turtle = client.get("/id/test/deep-blanks.ttl").get_data()
    assert sum(isinstance(t.subject, ox.BlankNode)
               for t in ox.parse(turtle, ox.RdfFormat.TURTLE)) == 2
    section = client.get("/id/paper-b/section/3-2.html").get_data(as_text=True)
    references = section.partition('<section id="referenced-by">')[2]
    assert "Only the first 1 references are listed" in references
    assert references.count("<li>") == 1


# --- external facts ----------------------------------------------------------------------

Q17 = "http://www.wikidata.org/entity/Q17"
WDT = "http://www.wikidata.org/prop/direct/"


@pytest.fixture(scope="module")
def enriched_client(tmp_path_factory: pytest.TempPathFactory, fixture_data):
    """The fixture store plus external facts about Japan's linked Wikidata item."""
    import datetime

    from alliancegraph.links.enrich import ExternalFact, fact_quads

    tmp_path = tmp_path_factory.mktemp("enriched")
    store = build_store(fixture_data.settings(tmp_path, store="memory"))
    when = datetime.datetime(2026, 11, 30, 8, 0, tzinfo=datetime.UTC)

    def fact(prop: str, value, **more) -> list[ox.Quad]:
        return fact_quads(ExternalFact(Q17, WDT + prop, value,
                                       "http://www.wikidata.org/entity/" + prop, when,
                                       "http://127.0.0.1:1/query", **more), BASE)

    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    quads = [*fact("P1082", ox.Literal("126146099", datatype=ox.NamedNode(
                 "http://www.w3.org/2001/XMLSchema#decimal")),
                   point_in_time=datetime.date(2020, 10, 1)),
             *fact("P36", ox.NamedNode("http://www.wikidata.org/entity/Q1490")),
             *fact("P569", ox.Literal("1946-08-19T00:00:00Z", datatype=ox.NamedNode(
                 "http://www.w3.org/2001/XMLSchema#dateTime"))),
             # a fact about a link target that is no web IRI (data a token holder wrote)
             *fact_quads(ExternalFact("javascript:alert(2)", WDT + "P297", ox.Literal("XX"),
                                      "http://www.wikidata.org/entity/P297", when,
                                      "http://127.0.0.1:1/query"), BASE),
             # the source's own name for its property, fetched along with the facts
             ox.Quad(ox.NamedNode("http://www.wikidata.org/entity/P1082"), label,
                     ox.Literal("population", language="en"),
                     ox.NamedNode(BASE + "graph/external"))]
    store.apply(QuadDelta(added=tuple(quads)))
    return memory_client(fixture_data, tmp_path, store=store)


def section(page: str, name: str) -> str:
    return page.partition(f'<section id="{name}"')[2].partition("</section>")[0]


def test_entity_page_shows_external_facts_marked_with_their_source(enriched_client) -> None:
    page = enriched_client.get("/id/state/japan.html").get_data(as_text=True)
    facts = section(page, "from-linked-datasets")
    assert "<h2>From linked datasets</h2>" in facts and "External facts" in facts
    assert f'href="{Q17}"' in facts and 'rel="external"' in facts  # the source item
    assert 'href="/graph/external"' in facts  # the graph they are kept in
    rows = re.findall(r'<tr class="external-fact" data-source="([^"]+)">(.*?)</tr>', facts, re.S)
    by_property = {re.search(r"wdt:(P\d+)", row).group(1): row for _, row in rows}
    assert {source for source, _ in rows} == {Q17}
    population = by_property["P1082"]
    assert "population" in population and "126146099" in population  # label and value
    assert "<td>2020-10-01</td>" in population  # point in time
    assert '<time datetime="2026-11-30T08:00:00Z">2026-11-30</time>' in population
    assert 'href="http://www.wikidata.org/entity/Q1490"' in by_property["P36"]  # an IRI value
    assert ">1946<" in by_property["P569"]  # a birth date as its year
    # not mixed into the entity's own statements
    assert "126146099" not in section(page, "properties")


def test_a_source_item_that_is_no_web_iri_is_no_link(enriched_client) -> None:
    page = enriched_client.get("/id/test/unsafe-links.html").get_data(as_text=True)
    facts = section(page, "from-linked-datasets")
    assert "XX" in facts and "javascript:alert(2)" in facts  # shown, as text
    assert 'href="javascript:' not in page


def test_an_entity_without_external_facts_has_no_such_section(enriched_client) -> None:
    page = enriched_client.get("/id/paper-b/perception/japan-north-korea.html")
    assert 'id="from-linked-datasets"' not in page.get_data(as_text=True)


def test_rdf_documents_of_an_entity_hold_no_external_fact(enriched_client) -> None:
    for suffix in ("ttl", "nt"):
        body = enriched_client.get(f"/id/state/japan.{suffix}").get_data()
        triples = parse_document(enriched_client, body, suffix)
        assert triples and not [t for t in triples if t.subject == ox.NamedNode(Q17)]
        assert b"126146099" not in body
    # they are the external graph's, served as that graph's document
    graph = enriched_client.get("/graph/external.nt").get_data()
    assert b"126146099" in graph and Q17.encode() in graph


def test_long_reference_lists_are_cut_short_with_a_query_for_all(bundled_client) -> None:
    """Paper A's page was 628 KB, every footnote and claim pointing at it listed."""
    response = bundled_client.get("/id/paper-a.html")
    assert response.status_code == 200 and len(response.data) < 200_000
    page = response.get_data(as_text=True)
    references = page.partition('<section id="referenced-by">')[2].partition("</section>")[0]
    cut = re.findall(r"<tr><th>((?:(?!</th>).)*)</th>\s*<td><ul class=\"values\">"
                     r"((?:(?!</ul>).)*)</ul><p class=\"more\">"
                     r"… and (\d+) more: <a href=\"/sparql#query=([^\"]+)\">", references, re.S)
    assert cut, "no list was cut short"
    for _, items, more, query in cut:
        assert items.count("<li>") == 25
        shown = len(set(re.findall(r'<li><a href="[^"]*" title="([^"]+)"', items)))
        rows = bundled_client.get("/sparql", query_string={"query": unquote(query)},
                                  headers={"Accept": "application/sparql-results+json"})
        listed = {b["referrer"]["value"] for b in rows.get_json()["results"]["bindings"]}
        assert len(listed) >= shown + int(more)  # every one (the page may hold a capped list)
        assert set(re.findall(r'<li><a href="[^"]*" title="([^"]+)"', items)) <= listed


# --- the page as people read it: summary card, groups, natural order, papers -------------

def summary_card(page: str) -> str:
    return page.partition('<header class="summary" id="summary">')[2].partition("</header>")[0]


def test_the_summary_card_names_the_thing_in_the_readers_language(ld_client) -> None:
    english = ld_client.get("/id/state/japan.html")
    assert "Accept-Language" in english.headers["Vary"]
    card = summary_card(english.get_data(as_text=True))
    assert "<h1>Japan</h1>" in card
    assert '<span lang="ja">日本</span>' in card and '<span lang="ko">일본</span>' in card
    japanese = ld_client.get("/id/state/japan.html",
                             headers={"Accept-Language": "ja, en;q=0.5"})
    card = summary_card(japanese.get_data(as_text=True))
    assert '<h1 lang="ja">日本</h1>' in card and '<span lang="en">Japan</span>' in card
    assert japanese.headers["ETag"] != english.headers["ETag"]
    # a language the thing has no label in: English
    other = ld_client.get("/id/state/japan.html", headers={"Accept-Language": "fr"})
    assert "<h1>Japan</h1>" in summary_card(other.get_data(as_text=True))


def test_the_summary_card_links_out_once_by_dataset_name(ld_client) -> None:
    page = ld_client.get("/id/state/japan.html").get_data(as_text=True)
    card = summary_card(page)
    assert re.search(r'href="http://www.wikidata.org/entity/Q17"[^>]*>Wikidata</a>', card)
    assert page.count('href="http://www.wikidata.org/entity/Q17"') == 1


def test_statements_are_grouped_by_meaning(bundled_client) -> None:
    page = bundled_client.get("/id/paper-a/footnote/1.html").get_data(as_text=True)
    statements = page.partition('<section id="properties">')[2].partition("</section>")[0]
    groups = re.findall(r'<div class="group" id="group-(\w+)">', statements)
    assert groups == [g for g in ("relations", "dates", "text", "structure", "sources",
                                  "other") if g in groups]
    text = statements.partition('id="group-text"')[2].partition("</div>")[0]
    assert ">full text</a>" in text
    structure = statements.partition('id="group-structure"')[2].partition("</div>")[0]
    assert ">footnote number</a>" in structure and ">in section</a>" in structure


def test_a_paper_page_has_its_record_contents_and_footnotes_in_order(bundled_client) -> None:
    response = bundled_client.get("/id/paper-a.html")
    assert response.status_code == 200 and len(response.data) < 200_000
    page = response.get_data(as_text=True)
    record = page.partition('<dl class="record">')[2].partition("</dl>")[0]
    assert "<dt>Author</dt><dd>Leo Hinata-Yamaguchi</dd>" in record
    assert "<dt>Title</dt><dd>New age in Japan-ROK relations" in record
    contents = page.partition('<section id="contents">')[2].partition("</section>")[0]
    shown = re.findall(r'<li id="section-\d+"><a href="(/id/paper-a/section/[^"]+)"', contents)
    rows = bundled_client.get("/sparql", headers={"Accept": "application/sparql-results+json"},
                              query_string={"query": f"""SELECT ?s WHERE {{
        <{BASE}id/paper-a> <{AG}hasSection> ?s . ?s <{AG}sectionOrder> ?o }} ORDER BY ?o"""})
    expected = [b["s"]["value"].removeprefix(BASE[:-1])
                for b in rows.get_json()["results"]["bindings"]]
    assert shown == expected and shown[0].endswith("/front")
    assert 'href="/id/paper-a/claim/' in contents
    footnotes = page.partition('<section id="footnotes">')[2]
    assert '<section class="citation-view"' in footnotes  # the citation view, below
    numbers = re.findall(r'<a href="/id/paper-a/footnote/[^"]+">Footnote (\d+)[a-z]?</a>',
                         footnotes)
    assert [int(n) for n in numbers] == sorted(int(n) for n in numbers)
    assert numbers[:3] == ["1", "2", "3"] and len(numbers) > 30
    # what the contents and citations list is not listed again
    assert ">has section</a>" not in page and ">cito:hasCitingEntity</a>" not in page
    assert ">citing entity</a>" not in page


def test_referenced_by_lists_are_in_natural_order(bundled_client) -> None:
    """Sections by their place in the paper, bibliography entries by number, the rest by
    label with numbers read as numbers (footnote 2 before footnote 10)."""
    rows = bundled_client.get("/sparql", headers={"Accept": "application/sparql-results+json"},
                              query_string={"query": f"""SELECT ?x ?n ?k WHERE {{
        {{ ?x <{AG}sectionOrder> ?n BIND(0 AS ?k) }}
        UNION {{ ?x <{AG}entryNumber> ?n BIND(1 AS ?k) }} }}"""})
    order = {b["x"]["value"].removeprefix(BASE[:-1]): (int(b["k"]["value"]),
                                                       float(b["n"]["value"]))
             for b in rows.get_json()["results"]["bindings"]}
    page = bundled_client.get("/id/paper-a.html").get_data(as_text=True)
    references = page.partition('<section id="referenced-by">')[2].partition("</section>")[0]
    rows_seen = 0
    for row in re.findall(r"<tr><th>.*?</tr>", references, re.S):
        items = re.findall(r'<li><a href="([^"]*)" title="[^"]*">([^<]*)</a>', row)
        ordered = [order[href] for href, _ in items if href in order]
        assert ordered == sorted(ordered)
        named = [name for href, name in items if href not in order]
        assert named == sorted(named, key=natural_key), named[:5]
        rows_seen += bool(ordered) + bool(named)
    assert rows_seen > 3


def test_the_most_referenced_pages_stay_under_200_kb(bundled_client) -> None:
    """The pages most pointed at (papers, states, sections) are the longest: each is cut
    short (referrers capped, lists in the contents) and stays under ~200 KB."""
    rows = bundled_client.get("/sparql", headers={"Accept": "application/sparql-results+json"},
                              query_string={"query": f"""SELECT ?o (COUNT(*) AS ?n) WHERE {{
        ?s ?p ?o FILTER(isIRI(?o) && STRSTARTS(STR(?o), "{BASE}id/")) }}
        GROUP BY ?o ORDER BY DESC(?n) LIMIT 12"""})
    iris = [b["o"]["value"] for b in rows.get_json()["results"]["bindings"]]
    assert BASE + "id/paper-a" in iris
    sizes = {iri: len(bundled_client.get(iri.removeprefix(BASE[:-1]) + ".html").data)
             for iri in iris}
    assert all(size < 200_000 for size in sizes.values()), sizes
