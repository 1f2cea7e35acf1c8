"""OWL 2 RL entailments the queries need, materialised by SPARQL rules run to a fixpoint.

The rules run on a scratch in-memory Oxigraph store holding the union of the asserted
graphs (as one default graph), so each rule is a plain ``INSERT … WHERE`` and joins
across the ontology and the data graphs need no GRAPH clauses. What the rules add and
was not asserted is the inferred graph.

Covered (names from the OWL 2 RL rule tables, OWL 2 Profiles §4.3):
scm-sco, scm-spo (subclass/subproperty closure), cax-sco, prp-spo1 (types and property
values; also for a subproperty of ``[ owl:inverseOf q ]``), scm-eqc1, scm-eqp1
(equivalence as two subsumptions), prp-inv1/2 (inverses),
prp-symp, prp-trp (symmetric and transitive properties), prp-spo2 (property chains of any
length, with ``[ owl:inverseOf p ]`` steps). Not covered: owl:sameAs (eq-*), domains and
ranges (prp-dom/rng), restrictions and anything that needs new nodes.

One rule is the ontology's own, not OWL's: a threat perception derives the direct shortcut
its intensity concept names with ``ag:derivesShortcut`` (``ag:perceivesThreat`` for the
biggest, a major threat or a concern, ``ag:perceivesLowPriorityThreat`` for a low priority
or "less concerned"), so a query over the shortcut tells the two apart. No property chain can
test the intensity. The rule is written for the ontology namespace the data uses (the
``owl:Ontology`` IRI ending in ``/ontology``, whatever the base).

:func:`entailments` copies triples into one default graph (the build's path).
:func:`entail_in_store` runs the same rules on a store as it is, over the union of its
graphs, semi-naively (after the first round a rule only joins with the last round's
additions), so only the new triples ever leave Oxigraph (the bulk load's path).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
from alliancegraph.graph.vocabulary import EXTERNAL_PREFIXES, prefix_declarations

#: the project's prefix table, in front of every rule (they use rdf:, rdfs: and owl:)
PREFIXES = prefix_declarations()

#: (OWL 2 RL rule name, SPARQL update) applied to the scratch store's default graph.
RULES: tuple[tuple[str, str], ...] = (
    ("scm-eqc1", "INSERT { ?c rdfs:subClassOf ?d . ?d rdfs:subClassOf ?c } "
                 "WHERE { ?c owl:equivalentClass ?d }"),
    ("scm-eqp1", "INSERT { ?p rdfs:subPropertyOf ?q . ?q rdfs:subPropertyOf ?p } "
                 "WHERE { ?p owl:equivalentProperty ?q }"),
    ("scm-sco", "INSERT { ?c rdfs:subClassOf ?e } "
                "WHERE { ?c rdfs:subClassOf ?d . ?d rdfs:subClassOf ?e FILTER(?c != ?e) }"),
    ("scm-spo", "INSERT { ?p rdfs:subPropertyOf ?r } "
                "WHERE { ?p rdfs:subPropertyOf ?q . ?q rdfs:subPropertyOf ?r FILTER(?p != ?r) }"),
    ("cax-sco", "INSERT { ?x a ?d } "
                "WHERE { ?c rdfs:subClassOf ?d . ?x a ?c FILTER(isIRI(?d)) }"),
    ("prp-spo1", "INSERT { ?x ?q ?y } "
                 "WHERE { ?p rdfs:subPropertyOf ?q . ?x ?p ?y FILTER(isIRI(?q)) }"),
    ("prp-spo1 inverse", "INSERT { ?y ?q ?x } WHERE { ?p rdfs:subPropertyOf ?b . "
                         "?b owl:inverseOf ?q . ?x ?p ?y "
                         "FILTER(isBlank(?b) && isIRI(?q) && !isLiteral(?y)) }"),
    ("prp-inv1", "INSERT { ?y ?q ?x } WHERE { ?p owl:inverseOf ?q . ?x ?p ?y "
                 "FILTER(isIRI(?p) && isIRI(?q) && !isLiteral(?y)) }"),
    ("prp-inv2", "INSERT { ?y ?p ?x } WHERE { ?p owl:inverseOf ?q . ?x ?q ?y "
                 "FILTER(isIRI(?p) && isIRI(?q) && !isLiteral(?y)) }"),
    ("prp-symp", "INSERT { ?y ?p ?x } WHERE { ?p a owl:SymmetricProperty . ?x ?p ?y "
                 "FILTER(!isLiteral(?y)) }"),
    ("prp-trp", "INSERT { ?x ?p ?z } WHERE { ?p a owl:TransitiveProperty . ?x ?p ?y . "
                "?y ?p ?z }"),
)

#: A fixpoint is reached long before this on any real ontology; more means a bug.
MAX_ROUNDS = 100


class InferenceError(RuntimeError):
    """The rules did not reach a fixpoint (or a chain axiom is malformed)."""


def perception_rules(store: ox.Store, *, union: bool = False) -> list[tuple[str, str]]:
    """The perception shortcut rule (see the module's text), one per ontology namespace
    the store declares; none when it declares no project ontology."""
    owl = EXTERNAL_PREFIXES["owl"]
    found = store.query(f"SELECT DISTINCT ?o WHERE {{ ?o a <{owl}Ontology> "
                        'FILTER(isIRI(?o) && STRENDS(STR(?o), "/ontology")) }',
                        use_default_graph_as_union=union)
    rules = []
    for solution in found:
        ag = solution["o"].value + "#"
        rules.append((f"ag-perception-shortcut {ag}",
                      f"INSERT {{ ?x ?shortcut ?y }} WHERE {{ ?p <{ag}perceiver> ?x . "
                      f"?p <{ag}perceivedThreat> ?y . ?p <{ag}intensity> ?i . "
                      f"?i <{ag}derivesShortcut> ?shortcut FILTER(isIRI(?shortcut)) }}"))
    return rules


def chain_rules(store: ox.Store) -> list[tuple[str, str]]:
    """One prp-spo2 rule per ``owl:propertyChainAxiom``, as a SPARQL sequence path."""
    return [(f"prp-spo2 {prop}", f"INSERT {{ ?x {prop} ?y }} WHERE {{ ?x {'/'.join(steps)} ?y }}")
            for prop, steps in _chains(store, union=False)]


def _chains(store: ox.Store, *, union: bool) -> list[tuple[ox.NamedNode, list[str]]]:
    """Each chain axiom's property and steps (``<p>`` or ``^<p>``), read from the default
    graph or (``union``) from every graph."""
    chains = []
    axioms = store.query(PREFIXES + "SELECT ?p ?list WHERE { ?p owl:propertyChainAxiom ?list "
                         "FILTER(isIRI(?p)) }", use_default_graph_as_union=union)
    for solution in axioms:
        steps = [_path_step(store, step) for step in _rdf_list(store, solution["list"])]
        if len(steps) < 2:
            raise InferenceError(f"property chain of {solution['p']} has fewer than 2 steps")
        chains.append((solution["p"], steps))
    return chains


def entailments(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    """The triples the rules entail from ``triples`` that are not among them, sorted."""
    scratch = ox.Store()
    scratch.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    # read back: Oxigraph stores some literals canonically ("1"^^xsd:nonNegativeInteger
    # becomes "1"^^xsd:integer), so "asserted" is what the store holds
    asserted = {q.triple for q in scratch}
    rules = [(name, PREFIXES + body) for name, body in RULES]
    rules += [(name, PREFIXES + body) for name, body in chain_rules(scratch)]
    rules += [(name, PREFIXES + body) for name, body in perception_rules(scratch)]
    size = len(scratch)
    for _ in range(MAX_ROUNDS):
        for _name, rule in rules:
            scratch.update(rule)
        if len(scratch) == size:
            break
        size = len(scratch)
    else:
        raise InferenceError(f"no fixpoint after {MAX_ROUNDS} rounds")
    inferred = (q.triple for q in scratch if q.triple not in asserted)
    return sorted(inferred, key=str)


def _rdf_list(store: ox.Store, head: object) -> list[object]:
    rdf = EXTERNAL_PREFIXES["rdf"]
    first, rest, nil = (ox.NamedNode(rdf + n) for n in ("first", "rest", "nil"))
    items, node, seen = [], head, set()
    while node != nil:
        if node in seen:
            raise InferenceError(f"cyclic RDF list at {node}")
        seen.add(node)
        firsts = [q.object for q in store.quads_for_pattern(node, first, None)]
        rests = [q.object for q in store.quads_for_pattern(node, rest, None)]
        if len(firsts) != 1 or len(rests) != 1:
            raise InferenceError(f"malformed RDF list at {node}")
        items.append(firsts[0])
        node = rests[0]
    return items


def _path_step(store: ox.Store, step: object) -> str:
    if isinstance(step, ox.NamedNode):
        return str(step)
    inverse = ox.NamedNode(EXTERNAL_PREFIXES["owl"] + "inverseOf")
    targets = [q.object for q in store.quads_for_pattern(step, inverse, None)]
    if len(targets) == 1 and isinstance(targets[0], ox.NamedNode):
        return f"^{targets[0]}"
    raise InferenceError(f"unsupported property chain step {step}")


# ------------------------------------------------------------- in the store, semi-naive


@dataclass(frozen=True)
class _Rule:
    """A rule as triple patterns: what it adds (one pattern each) and what it matches."""

    name: str
    template: tuple[str, ...]
    patterns: tuple[str, ...]
    condition: str  # a FILTER(...) over the patterns' variables, or ""

    def query(self, added: str, delta: ox.NamedNode | None, premise: int) -> str:
        """CONSTRUCT of the ``added`` pattern where it is new; with ``delta``, pattern
        ``premise`` must match in that graph (the last round's additions)."""
        body = " . ".join(f"GRAPH {delta} {{ {p} }}" if delta and i == premise else p
                          for i, p in enumerate(self.patterns))
        return (f"{PREFIXES}CONSTRUCT {{ {added} }} WHERE {{ {body} {self.condition} "
                f"FILTER NOT EXISTS {{ {added} }} }}")


_UPDATE = re.compile(r"INSERT \{ (.*) \} WHERE \{ (.*?)( FILTER\(.*\))? \}")


def _parsed(name: str, update: str) -> _Rule:
    """A rule of :data:`RULES` (``INSERT { t . t } WHERE { p . p FILTER(…) }``)."""
    match = _UPDATE.fullmatch(update)
    if match is None:
        raise InferenceError(f"rule {name} is not INSERT {{ … }} WHERE {{ … }}")
    template, patterns, condition = match.groups()
    return _Rule(name, tuple(t.strip() for t in template.split(" . ")),
                 tuple(p.strip() for p in patterns.split(" . ")), condition or "")


def _chain_rule(prop: ox.NamedNode, steps: list[str]) -> _Rule:
    """prp-spo2 with the path spelt as one pattern per step, so each can be the delta."""
    nodes = ["?x", *(f"?chain{i}" for i in range(1, len(steps))), "?y"]
    patterns = tuple(f"{nodes[i + 1]} {step[1:]} {nodes[i]}" if step.startswith("^")
                     else f"{nodes[i]} {step} {nodes[i + 1]}" for i, step in enumerate(steps))
    return _Rule(f"prp-spo2 {prop}", (f"?x {prop} ?y",), patterns, "")


def entail_in_store(store: ox.Store) -> list[ox.Triple]:
    """The triples the rules entail from the union of ``store``'s graphs (the default graph
    and every named one) that no graph holds, in no order: what :func:`entailments` gives
    for the same triples. They are added to ``store`` in graphs of their own (a scratch
    store: the caller's graphs are not changed, but grow by these graphs)."""
    rules = [_parsed(name, body) for name, body in RULES]
    rules += [_chain_rule(prop, steps) for prop, steps in _chains(store, union=True)]
    rules += [_parsed(name, body) for name, body in perception_rules(store, union=True)]
    inferred, delta = (ox.NamedNode(f"urn:uuid:{uuid.uuid4()}") for _ in range(2))
    found: list[ox.Triple] = []
    queries = [r.query(t, None, 0) for r in rules for t in r.template]
    for _ in range(MAX_ROUNDS):
        added = _run_round(store, queries, inferred)
        if not added:
            return found
        found += added
        store.remove_graph(delta)
        store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, delta) for t in added)
        # a new entailment needs a premise added since the rule last ran: in the last round
        queries = [r.query(t, delta, i) for r in rules for t in r.template
                   for i in range(len(r.patterns))]
    raise InferenceError(f"no fixpoint after {MAX_ROUNDS} rounds")


def _run_round(store: ox.Store, queries: list[str], inferred: ox.NamedNode) -> list[ox.Triple]:
    """Each query in turn, its new triples added to ``inferred`` before the next runs (so
    the next one's FILTER NOT EXISTS sees them); the triples added."""
    added: list[ox.Triple] = []
    for query in queries:
        result = store.query(query, use_default_graph_as_union=True)
        assert isinstance(result, ox.QueryTriples)
        new = list(dict.fromkeys(result))  # one triple can come from several bindings
        store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, inferred) for t in new)
        added += new
    return added
