"""Target profiles: every class a kind names is declared by our ontology, every kind a
shape looks up has target classes of that shape's naming, ``--target``/``--shape`` resolve
to the endpoint settings or a URL (and refuse anything else with a message), and the
Wikidata and DBpedia shapes ask what the issue names (country, organisation, human,
periodical, event or period; dbo: classes)."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph.config import load_settings
from alliancegraph.errors import BadRequest
from alliancegraph.links.targets import (
    DBPEDIA,
    KIND_CLASSES,
    KINDS,
    SHAPES,
    WIKIDATA,
    Target,
    kind_classes,
    target_for,
)

ROOT = Path(__file__).resolve().parents[2]
BASE = "https://w3id.org/alliancegraph/"
WD = "http://www.wikidata.org/entity/"
DBO = "http://dbpedia.org/ontology/"
OWL_CLASS = ox.NamedNode("http://www.w3.org/2002/07/owl#Class")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


@pytest.fixture(scope="module")
def declared_classes() -> set[str]:
    """Every class the ontology sources declare (ours and the reused ones)."""
    store = ox.Store()
    for path in sorted((ROOT / "ontology" / "src").glob("*.ttl")):
        store.load(path.read_bytes(), format=ox.RdfFormat.TURTLE)
    return {q.subject.value for q in store.quads_for_pattern(None, RDF_TYPE, OWL_CLASS)}


def settings(**more):
    return load_settings(environ={}, overrides={
        "wikidata_endpoint": "http://127.0.0.1:1/wd", "dbpedia_endpoint": "http://127.0.0.1:1/db",
        **more})


def test_every_class_of_a_kind_is_declared_by_the_ontology(declared_classes):
    for kind in KINDS:
        for cls in kind_classes(BASE)[kind]:
            assert cls in declared_classes, f"{kind}: {cls} is no class of the ontology"


def test_kinds_follow_the_base_iri():
    other = "https://example.org/ag/"
    assert kind_classes(other)["state"] == (other + "ontology#State",)
    assert set(KIND_CLASSES) == set(KINDS)


def test_the_wikidata_shape_names_items_and_asks_p31_p279():
    assert WIKIDATA.item_prefix == WD
    assert "P31" in WIKIDATA.type_path and "P279" in WIKIDATA.type_path
    for kind, classes in WIKIDATA.classes.items():
        assert kind in KINDS
        assert classes and all(re.fullmatch(re.escape(WD) + r"Q[1-9]\d*", c) for c in classes)
    for kind, wanted in (("state", {"Q6256", "Q3624078"}), ("organisation", {"Q43229"}),
                         ("person", {"Q5"}), ("journal", {"Q1002697"}),
                         ("event", {"Q1190554", "Q11514315"})):
        assert {WD + q for q in wanted} <= set(WIKIDATA.classes[kind])
    context = WIKIDATA.context
    assert ([p.rsplit("/", 1)[1] for p in (*context.country, *context.issn, *context.author)]
            == ["P17", "P236", "P50"])
    assert {"P571", "P580"} <= {p.rsplit("/", 1)[1] for p in context.dates}


def test_the_dbpedia_shape_uses_redirects_and_dbo_classes():
    assert DBPEDIA.item_prefix == "http://dbpedia.org/resource/"
    assert DBPEDIA.redirect == DBO + "wikiPageRedirects"
    for kind, classes in DBPEDIA.classes.items():
        assert kind in KINDS and classes and all(c.startswith(DBO) for c in classes)
    for kind, wanted in (("state", "Country"), ("organisation", "Organisation"),
                         ("person", "Person"), ("journal", "AcademicJournal"),
                         ("event", "Event")):
        assert DBO + wanted in DBPEDIA.classes[kind]
    assert DBPEDIA.context.issn == (DBO + "issn",)


def test_class_names_in_evidence():
    assert WIKIDATA.class_name(WD + "Q6256") == "country (Q6256)"
    assert WIKIDATA.class_name(WD + "Q999") == "wd:Q999"
    assert DBPEDIA.class_name(DBO + "Country") == "dbo:Country"


def test_named_targets_use_their_endpoint_settings():
    found = target_for("wikidata", settings())
    assert found == Target("wikidata", "http://127.0.0.1:1/wd", WIKIDATA)
    assert target_for("dbpedia", settings()).shape is DBPEDIA
    assert target_for("dbpedia", settings()).endpoint == "http://127.0.0.1:1/db"
    assert found.slug == "wikidata"


def test_a_url_target_takes_a_shape():
    url = "http://127.0.0.1:8890/sparql"
    assert target_for(url, settings()).shape is WIKIDATA  # the default
    target = target_for(url, settings(), shape="dbpedia")
    assert (target.name, target.endpoint, target.shape) == (url, url, DBPEDIA)
    assert target.slug == "127.0.0.1-8890-sparql"
    assert set(SHAPES) == {"wikidata", "dbpedia"}


@pytest.mark.parametrize(("name", "shape", "message"), [
    ("wikipedia", None, "unknown target 'wikipedia'"),
    ("file:///etc/passwd", None, "unknown target"),
    ("http://127.0.0.1:1/q", "yago", "unknown shape 'yago'"),
    ("wikidata", "dbpedia", "--shape dbpedia does not apply to --target wikidata"),
])
def test_bad_targets_and_shapes_are_refused(name, shape, message):
    with pytest.raises(BadRequest, match=re.escape(message)):
        target_for(name, settings(), shape=shape)
