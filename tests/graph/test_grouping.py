"""How an entity page arranges statements: groups by meaning, values in natural order."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from alliancegraph.graph.grouping import (
    GROUP_KEYS,
    arrange,
    fallback_label,
    group_of,
    natural_key,
    value_key,
)

AG = "https://w3id.org/alliancegraph/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"
LOCAL = "https://w3id.org/alliancegraph/id/"


@dataclass(frozen=True)
class S:
    object: ox.NamedNode | ox.BlankNode | ox.Literal


def test_numbers_in_text_order_by_value() -> None:
    texts = ["Paper A, footnote 10", "Paper A, footnote 2", "Paper A, footnote 4b",
             "Paper A, footnote 4a", "Paper A, footnote 4"]
    assert sorted(texts, key=natural_key) == [
        "Paper A, footnote 2", "Paper A, footnote 4", "Paper A, footnote 4a",
        "Paper A, footnote 4b", "Paper A, footnote 10"]
    # mixed precision dates, and text against a number in the same place, do not raise
    assert sorted(["2006-09-09", "1995", "2006-04", "2006"], key=natural_key) == [
        "1995", "2006", "2006-04", "2006-09-09"]
    assert sorted(["front", "10", "2"], key=natural_key) == ["2", "10", "front"]


def test_order_numbers_come_before_labels_and_blank_nodes_last() -> None:
    first, second, unnumbered = (ox.NamedNode(LOCAL + n) for n in ("s/z", "s/a", "s/m"))
    labels = {first.value: "Zeta", second.value: "Alpha", unnumbered.value: "Alpha 0"}
    order = {first.value: (0, 1.0), second.value: (0, 2.0)}
    values = [ox.BlankNode(), unnumbered, second, first]
    ordered = sorted(values, key=lambda v: value_key(v, labels=labels, order=order))
    assert ordered[:3] == [first, second, unnumbered]
    assert isinstance(ordered[3], ox.BlankNode)


def test_a_property_is_grouped_by_the_table_else_by_its_values() -> None:
    def group(predicate: str, *values) -> str:
        return group_of(predicate, list(values), ontology_namespace=AG,
                        is_entity=lambda iri: iri.startswith(LOCAL))

    assert group(AG + "paraphrase", ox.Literal("x")) == "text"
    assert group(AG + "sectionOrder", ox.Literal("1", datatype=ox.NamedNode(XSD + "integer"))
                 ) == "structure"
    assert group("http://purl.org/dc/terms/creator", ox.NamedNode(LOCAL + "p")) == "relations"
    assert group("http://example.org/unknown", ox.NamedNode(LOCAL + "x")) == "relations"
    assert group("http://example.org/unknown",
                 ox.Literal("1995", datatype=ox.NamedNode(XSD + "gYear"))) == "dates"
    assert group("http://example.org/unknown", ox.NamedNode("http://example.org/y")) == "other"
    assert group("http://example.org/unknown", ox.Literal("x")) == "other"
    # a table for another namespace leaves that one's own terms to their values
    assert group_of(AG + "paraphrase", [ox.Literal("x")],
                    ontology_namespace="http://example.org/o#") == "other"


def test_arrange_keeps_the_group_order_and_sorts_properties_and_values() -> None:
    when = ox.NamedNode(XSD + "gYear")
    by_property = {
        "http://example.org/zz": [S(ox.Literal("b")), S(ox.Literal("a"))],
        AG + "date": [S(ox.Literal("2006", datatype=when)), S(ox.Literal("1995", datatype=when))],
        "http://purl.org/dc/terms/creator": [S(ox.NamedNode(LOCAL + "p/2")),
                                             S(ox.NamedNode(LOCAL + "p/10"))],
        "http://example.org/aa": [S(ox.Literal("c"))],
    }
    labels = {"http://purl.org/dc/terms/creator": "creator", AG + "date": "date"}
    groups = arrange(by_property, labels=labels, order={}, ontology_namespace=AG,
                     is_entity=lambda iri: iri.startswith(LOCAL))
    assert [g.key for g in groups] == ["relations", "dates", "other"]
    assert [g.key for g in groups] == [k for k in GROUP_KEYS if k in {g.key for g in groups}]
    relations, dates, other = groups
    assert [s.object.value for s in relations.properties[0][1]] == [LOCAL + "p/2",
                                                                   LOCAL + "p/10"]
    assert [s.object.value for s in dates.properties[0][1]] == ["1995", "2006"]
    assert [p for p, _ in other.properties] == ["http://example.org/aa", "http://example.org/zz"]
    assert [s.object.value for s in other.properties[1][1]] == ["a", "b"]


def test_other_vocabularies_properties_have_a_name() -> None:
    assert fallback_label("http://purl.org/dc/terms/creator") == "creator"
    assert fallback_label("http://example.org/unknown") is None
