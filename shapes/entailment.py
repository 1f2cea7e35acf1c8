"""Entailment for validation: owl:sameAs *smushing* after an OWL 2 RL closure.

OWL 2 RL's equality rules (eq-sym, eq-trans, eq-rep-s/p/o) make every ``owl:sameAs`` link a
clique and copy each triple of an individual onto every IRI of its clique. Linking
``agid:state/japan owl:sameAs wd:Q17, dbr:Japan`` thus gives three fully described "states"
with one ISO code, and a party or a perception names its actor three times. SHACL then speaks
of one individual twice or three times: uniqueness shapes see a clash, ``sh:maxCount 1``
shapes count three values, and every result about an individual comes once per alias.

So, as linked-data practice does when it merges data about one thing, each clique is
*smushed* onto one representative IRI: the project's own (under
:data:`alliancegraph.CANONICAL_BASE`) if it has one, else the smallest IRI (a blank node
only when the clique has no IRI). Its triples are rewritten onto the representative, and
the representative keeps an ``owl:sameAs`` link to each other member, so the identity-link
shapes still see the links.
Literals are never smushed: a literal is a value, not an individual with aliases.
Predicates are left as they are (eq-rep-p copies each triple across property aliases, which
says nothing twice about a node).
"""

from __future__ import annotations

from collections.abc import Iterable

from alliancegraph import CANONICAL_BASE
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL
from rdflib.term import Node

__all__ = ["representative", "same_as_cliques", "smush_same_as"]


def same_as_cliques(graph: Graph) -> list[set[Node]]:
    """The sets of IRIs and blank nodes joined by ``owl:sameAs`` (either way, transitively),
    each with two members or more. Links to or from a literal are ignored."""
    parent: dict[Node, Node] = {}

    def find(node: Node) -> Node:
        root = node
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while node != root:  # path compression
            parent[node], node = root, parent[node]
        return root

    for subject, obj in graph.subject_objects(OWL.sameAs):
        if isinstance(subject, Literal) or isinstance(obj, Literal) or subject == obj:
            continue
        parent[find(subject)] = find(obj)
    cliques: dict[Node, set[Node]] = {}
    for node in parent:
        cliques.setdefault(find(node), set()).add(node)
    return [clique for clique in cliques.values() if len(clique) > 1]


def representative(clique: Iterable[Node]) -> Node:
    """The member that stands for the clique: the project's own IRI, else the smallest IRI,
    else the smallest blank node (several project IRIs: the smallest of them)."""
    return min(clique, key=lambda node: (not str(node).startswith(CANONICAL_BASE)
                                         if isinstance(node, URIRef) else True,
                                         isinstance(node, BNode), str(node)))


def smush_same_as(graph: Graph) -> Graph:
    """A copy of ``graph`` with each ``owl:sameAs`` clique rewritten onto its
    :func:`representative`, which keeps one ``owl:sameAs`` link to each other member."""
    rename: dict[Node, Node] = {}
    for clique in same_as_cliques(graph):
        chosen = representative(clique)
        rename.update((member, chosen) for member in clique)
    smushed = Graph()
    for prefix, namespace in graph.namespaces():
        smushed.bind(prefix, namespace)
    for subject, predicate, obj in graph:
        subject, obj = rename.get(subject, subject), rename.get(obj, obj)
        if predicate == OWL.sameAs and subject == obj:
            continue  # a link inside a clique: re-added below, from the representative only
        smushed.add((subject, predicate, obj))
    for member, chosen in rename.items():
        if member != chosen:
            smushed.add((chosen, OWL.sameAs, member))
    return smushed
