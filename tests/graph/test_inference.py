"""The OWL 2 RL rules of graph/inference.py: what they entail, and only that."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from alliancegraph.graph.inference import (
    PREFIXES,
    RULES,
    InferenceError,
    _parsed,
    entail_in_store,
    entailments,
)
from alliancegraph.graph.sources import iter_sources, parse_source
from alliancegraph.graph.vocabulary import CANONICAL_BASE
from alliancegraph.store.bulk import bundled_ontology

EX = "http://example.org/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_PREFIXES = ("@prefix owl: <http://www.w3.org/2002/07/owl#> . "
             "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . "
             "@prefix : <http://example.org/> .\n")


def _entail(turtle: str) -> set[str]:
    prefixes = ("@prefix owl: <http://www.w3.org/2002/07/owl#> . "
                "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . "
                "@prefix : <http://example.org/> .\n")
    triples = [q.triple for q in ox.parse(prefixes + turtle, ox.RdfFormat.TURTLE)]
    return {str(t).replace("http://example.org/", ":") for t in entailments(triples)}


def test_subclass_closure_types_instances():
    found = _entail(":A rdfs:subClassOf :B . :B rdfs:subClassOf :C . :x a :A .")
    assert found == {
        "<:A> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <:C>",
        "<:x> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <:B>",
        "<:x> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <:C>",
    }


def test_subproperty_equivalence_inverse_symmetric_transitive():
    found = _entail("""
        :p rdfs:subPropertyOf :q . :x :p :y .
        :E owl:equivalentClass :F . :e a :E .
        :r owl:equivalentProperty :s . :x :s :z .
        :child owl:inverseOf :parent . :x :child :w .
        :near a owl:SymmetricProperty . :x :near :v .
        :in a owl:TransitiveProperty . :a :in :b . :b :in :c . :c :in :d .
    """)
    for expected in ("<:x> <:q> <:y>", "<:x> <:r> <:z>", "<:w> <:parent> <:x>",
                     "<:v> <:near> <:x>", "<:a> <:in> <:c>", "<:a> <:in> <:d>",
                     "<:b> <:in> <:d>"):
        assert expected in found
    assert "<:e> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <:F>" in found


def test_property_chains_of_any_length_with_inverse_steps():
    found = _entail("""
        :perceivesThreat owl:propertyChainAxiom ( [ owl:inverseOf :perceiver ] :threat ) .
        :n :perceiver :japan ; :threat :missiles .
        :uncle owl:propertyChainAxiom ( :parent :parent :brother ) .
        :a :parent :b . :b :parent :c . :c :brother :d .
    """)
    assert "<:japan> <:perceivesThreat> <:missiles>" in found
    assert "<:a> <:uncle> <:d>" in found


def test_only_new_triples_are_returned_and_nothing_is_invented():
    assert _entail(":A rdfs:subClassOf :B . :x a :A, :B .") == set()
    # an inverse of a literal value would put a literal in subject position
    assert _entail(':p owl:inverseOf :q . :x :p "text" .') == set()


def test_a_malformed_chain_is_an_error():
    with pytest.raises(InferenceError):
        _entail(":p owl:propertyChainAxiom ( :q ) .")


def test_every_rule_parses_with_the_prefixes_and_has_its_own_name():
    store = ox.Store()
    for _name, rule in RULES:
        store.update(PREFIXES + rule)  # raises SyntaxError for a rule that does not parse
    assert len({name for name, _ in RULES}) == len(RULES)


# ---------------------------------------------------------- entail_in_store (the load's path)


def _in_store(quads: list[ox.Quad], ontology: list[ox.Triple]) -> ox.Store:
    """A scratch store as the bulk load fills it: the data in its graphs, the ontology in
    a graph of its own."""
    store = ox.Store()
    store.bulk_extend(quads)
    store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode("urn:x:ontology"))
                      for t in ontology)
    return store


def _same_as_entailments(quads: list[ox.Quad], ontology: list[ox.Triple]) -> int:
    expected = set(entailments([*ontology, *(q.triple for q in quads)]))
    found = entail_in_store(_in_store(quads, ontology))
    assert len(found) == len(set(found)), "an entailment came back twice"
    assert set(found) == expected
    return len(expected)


def test_in_store_equals_entailments_on_a_generated_graph():
    import generate

    quads = list(ox.parse("".join(generate.quads(4000, 3)), ox.RdfFormat.N_QUADS))
    ontology = bundled_ontology(CANONICAL_BASE)
    assert len({q.graph_name for q in quads}) > 3  # the union of several graphs
    assert any(isinstance(q.subject, ox.BlankNode) for q in quads)
    assert _same_as_entailments(quads, ontology) > 500


def test_in_store_equals_entailments_on_the_bundled_graph():
    quads = [q for graph, path in iter_sources() for q in parse_source(path, graph,
                                                                      CANONICAL_BASE)]
    assert _same_as_entailments(quads, []) > 100


def test_in_store_joins_across_graphs_and_the_default_graph_and_needs_rounds():
    turtle = """
        :p rdfs:subPropertyOf :q . :q a owl:TransitiveProperty . :q owl:inverseOf :r .
        :C owl:equivalentClass :D . :D rdfs:subClassOf :E .
        :chain owl:propertyChainAxiom ( :r [ owl:inverseOf :s ] ) .
    """
    schema = [q.triple for q in ox.parse(_PREFIXES + turtle, ox.RdfFormat.TURTLE)]
    g1, g2 = ox.NamedNode(EX + "g1"), ox.NamedNode(EX + "g2")
    data = [ox.Quad(ox.NamedNode(EX + s), ox.NamedNode(EX + p), ox.NamedNode(EX + o), g)
            for s, p, o, g in (("a", "p", "b", g1), ("b", "p", "c", g2), ("c", "p", "d", g1),
                               ("z", "s", "a", g2))]
    data.append(ox.Quad(ox.BlankNode("n"), ox.NamedNode(RDF_TYPE), ox.NamedNode(EX + "C")))
    found = {str(t).replace(EX, ":") for t in entail_in_store(_in_store(data, schema))}
    # :a :q :d takes the subproperty, then transitivity across the graphs; then its
    # inverse :d :r :a, then the chain :r/^:s with :z :s :a (each needs the one before)
    for expected in ("<:a> <:q> <:d>", "<:d> <:r> <:a>", "<:d> <:chain> <:z>",
                     f"_:n <{RDF_TYPE}> <:E>", "<:C> <http://www.w3.org/2000/01/rdf-schema#"
                                              "subClassOf> <:E>"):
        assert expected in found
    assert _same_as_entailments(data, schema) == len(found)


def test_every_rule_is_read_as_patterns():
    rules = [_parsed(name, body) for name, body in RULES]
    assert [r.name for r in rules] == [name for name, _ in RULES]
    store = ox.Store()
    for rule in rules:
        assert rule.template and rule.patterns
        for added in rule.template:  # every query form parses (SyntaxError otherwise)
            store.query(rule.query(added, None, 0))
            for i in range(len(rule.patterns)):
                store.query(rule.query(added, ox.NamedNode(EX + "delta"), i))
    with pytest.raises(InferenceError):
        _parsed("bad", "DELETE { ?x ?p ?y } WHERE { ?x ?p ?y }")


def test_a_perception_derives_the_shortcut_its_intensity_names_under_any_base():
    ag = "http://localhost:8000/ontology#"
    turtle = f"""@prefix ag: <{ag}> .
        <http://localhost:8000/ontology> a owl:Ontology .
        :low ag:derivesShortcut ag:perceivesLowPriorityThreat .
        :main ag:derivesShortcut ag:perceivesThreat .
        :p1 ag:perceiver :rok ; ag:perceivedThreat :china ; ag:intensity :low .
        :p2 ag:perceiver :japan ; ag:perceivedThreat :china ; ag:intensity :main .
        :p3 ag:perceiver :x ; ag:perceivedThreat :y ; ag:intensity :unranked ."""
    found = {t.replace(ag, "ag:") for t in _entail(turtle)}
    assert found == {"<:rok> <ag:perceivesLowPriorityThreat> <:china>",
                     "<:japan> <ag:perceivesThreat> <:china>"}
    schema = [q.triple for q in ox.parse(_PREFIXES + turtle, ox.RdfFormat.TURTLE)]
    assert _same_as_entailments([], schema) == 2
    # no project ontology declared: no namespace to read the intensities in, no shortcut
    assert _entail(turtle.replace("a owl:Ontology", "a owl:Thing")) == set()
