"""The OWL 2 RL rules of graph/inference.py: what they entail, and only that."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from alliancegraph.graph.inference import PREFIXES, RULES, InferenceError, entailments


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
