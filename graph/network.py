"""The network of security relations: actors, agreements and threats, and what ties them.

One SPARQL query (:func:`network_query`) finds the relations the graph states between its
entities, each from where the graph keeps it — mostly a paper's statement node (an
``ag:Party``, an ``ag:ThreatPerception``, an ``org:Membership``, an ``ag:Dispute``), some
background facts (who poses a threat, whose body an agency is). Each row is one edge:
source, relation, target, the named graph it is stated in (``paper-a``, ``paper-b``,
``background``: the paper filter), the statement node it comes through (``via``) and a
detail concept (a perception's intensity, a party's role). The inferred graph is left out:
its shortcuts (``ag:hasParty``, ``ag:perceivesThreat``) repeat the statement nodes.

The query is plain SPARQL 1.1 over named graphs, so the network page's script runs the same
text against ``/sparql`` on any backend; :func:`network` turns its rows (as strings, from
pyoxigraph terms or from SPARQL JSON) into nodes and edges, as the script does, for the page
without JavaScript and for the tests. No Flask here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from alliancegraph.errors import BadRequest
from alliancegraph.graph.entity import Description, sparql_iri
from alliancegraph.graph.vocabulary import (
    EXTERNAL_PREFIXES,
    graph_iri,
    ontology_namespace,
    prefix_declarations,
)
from alliancegraph.store import Store

#: The relations shown, in the order of the filters: key -> label (read "source label target").
RELATIONS: dict[str, str] = {
    "party-to": "party to",
    "allied-with": "allied with",
    "member-of": "member of",
    "perceives": "perceives",
    "poses": "poses",
    "threatens": "threatens",
    "disputes": "disputes with",
    "issued": "issued",
    "directed-at": "directed at",
    "body-of": "body of",
    "part-of": "part of",
    "cooperation": "cooperation between",
}

#: The graphs whose statements are shown (the paper filter), with their names on the page.
PAPERS: dict[str, str] = {"paper-a": "Paper A", "paper-b": "Paper B",
                          "background": "Background"}

ORG = EXTERNAL_PREFIXES["org"]

#: The intensity filter's value for a perception that states none.
NO_INTENSITY = "none"

#: One group per relation: patterns binding ?s ?o (and maybe ?via, ?detail) with the key
#: triples inside ``GRAPH ?g`` (the graph the statement is in); types are matched in any
#: graph (``GRAPH ?tg``): a dispute is typed in the background, its parties in a paper.
_BRANCHES: dict[str, str] = {
    "party-to": """{ GRAPH ?g { ?via ag:party ?s ; ag:partyOf ?o .
        OPTIONAL { ?via ag:partyRole ?detail } } DETAIL(ag:partyRole) }
      UNION { GRAPH ?g { ?s ag:partyTo ?o } } UNION { GRAPH ?g { ?o ag:hasParty ?s } }""",
    "allied-with": """GRAPH ?g { ?p1 ag:partyOf ?via ; ag:party ?s .
        ?p2 ag:partyOf ?via ; ag:party ?o . }
      GRAPH ?tg { ?via a ag:Alliance } FILTER(STR(?s) < STR(?o))""",
    "member-of": """{ GRAPH ?g { ?via org:member ?s ; org:organization ?o .
        OPTIONAL { ?via org:role ?detail } } DETAIL(org:role) }
      UNION { GRAPH ?g { ?s org:memberOf ?o } }""",
    "perceives": """GRAPH ?g { ?via ag:perceiver ?s ; ag:perceivedThreat ?o .
        OPTIONAL { ?via ag:intensity ?detail } } DETAIL(ag:intensity)""",
    "poses": "{ GRAPH ?g { ?o ag:posedBy ?s } } UNION { GRAPH ?g { ?s ag:poses ?o } }",
    "threatens": "GRAPH ?g { ?s ag:threatens ?o }",
    "disputes": """GRAPH ?g { ?via ag:participant ?s , ?o } GRAPH ?tg { ?via a ag:Dispute }
      FILTER(STR(?s) < STR(?o))""",
    "issued": "{ GRAPH ?g { ?o ag:issuedBy ?s } } UNION { GRAPH ?g { ?s ag:issued ?o } }",
    "directed-at": "GRAPH ?g { ?s ag:directedAt ?o }",
    "body-of": "{ GRAPH ?g { ?s ag:ofState ?o } } UNION { GRAPH ?g { ?o ag:hasBody ?s } }",
    "part-of": """{ GRAPH ?g { ?s ag:subThreatOf ?o } }
      UNION { GRAPH ?g { ?s org:subOrganizationOf ?o } }""",
    "cooperation": "GRAPH ?g { ?s ag:between ?o } GRAPH ?tg { ?s a ag:CooperationArea }",
}

#: The English label of a branch's detail concept: the detail's own pattern again, so that
#: an unbound ?detail is not bound to every labelled concept.
_DETAIL_LABEL = """OPTIONAL { GRAPH ?g { ?via {property} ?detail }
        GRAPH ?dg { ?detail skos:prefLabel ?detailLabel }
        FILTER(LANGMATCHES(LANG(?detailLabel), "en")) }"""
_DETAIL = re.compile(r"DETAIL\(([a-z]+:[A-Za-z]+)\)")

#: The variables of a row, in the query's projection.
VARIABLES = ("s", "relation", "o", "g", "via", "detail", "sLabel", "oLabel", "detailLabel")


def network_query(base_iri: str, focus: str | None = None) -> str:
    """The SELECT of every relation between two of the graph's entities (both under
    ``{base}id/``), with English labels; with ``focus`` (an IRI), only its own relations
    (its one-hop neighbourhood). NotFound for a focus that is no IRI."""
    graphs = " ".join(f"<{graph_iri(name, base_iri)}>" for name in PAPERS)
    union = "\n  UNION ".join(f'{{ {_with_detail_labels(body)}\n    BIND("{key}" AS ?relation) }}'
                              for key, body in _BRANCHES.items())
    entities = f'"{base_iri}id/"'
    near = ""
    if focus is not None:
        iri = sparql_iri(focus)
        near = f"\n  FILTER(?s = {iri} || ?o = {iri})"
    return f"""{prefix_declarations(base_iri)}
SELECT DISTINCT ?s ?relation ?o ?g ?via ?detail ?sLabel ?oLabel ?detailLabel WHERE {{
  VALUES ?g {{ {graphs} }}
  {{ {union} }}
  FILTER(isIRI(?s) && isIRI(?o) && ?s != ?o
         && STRSTARTS(STR(?s), {entities}) && STRSTARTS(STR(?o), {entities})){near}
  {_label("s")}
  {_label("o")}
}}"""


def _label(end: str) -> str:
    """``?sLabel``: the English ``skos:prefLabel`` of ``?s``, else its ``rdfs:label``."""
    return f"""OPTIONAL {{ GRAPH ?{end}g1 {{ ?{end} skos:prefLabel ?{end}1 }}
             FILTER(LANGMATCHES(LANG(?{end}1), "en")) }}
  OPTIONAL {{ GRAPH ?{end}g2 {{ ?{end} rdfs:label ?{end}2 }}
             FILTER(LANGMATCHES(LANG(?{end}2), "en")) }}
  BIND(COALESCE(?{end}1, ?{end}2) AS ?{end}Label)"""


def relation_properties(base_iri: str) -> frozenset[str]:
    """Every property the query follows (read from its patterns): a resource with none of
    them, as subject or object, is in no relation of the network."""
    namespaces = {"ag": ontology_namespace(base_iri), "org": ORG}
    names = re.findall(r"\b(ag|org):([a-z][A-Za-z]*)", " ".join(_BRANCHES.values()))
    return frozenset(namespaces[prefix] + name for prefix, name in names)


def may_relate(description: Description) -> bool:
    """Whether the described resource states or is the object of a relation's property: no
    store call (the entity page has read it all); False means it has no relation."""
    properties = relation_properties(description.base_iri)
    return (any(s.predicate.value in properties for s in description.statements)
            or any(r.predicate.value in properties for r in description.references))


def _with_detail_labels(body: str) -> str:
    return _DETAIL.sub(lambda m: _DETAIL_LABEL.replace("{property}", m.group(1)), body)


@dataclass(frozen=True)
class Node:
    """An entity in the picture: its IRI, English label and kind (``state``, ``threat`` …:
    the second step of its path, ``id/state/japan``)."""

    iri: str
    label: str
    kind: str


@dataclass(frozen=True)
class Edge:
    """One stated relation: ``source`` *relation* ``target`` in graph ``paper``, through
    the statement node ``via`` (if any), with a detail concept (intensity, role)."""

    source: str
    relation: str
    target: str
    paper: str
    via: str | None = None
    detail: str | None = None
    detail_label: str | None = None

    @property
    def intensity(self) -> str | None:
        """The filter value of a perception's intensity (the concept's last name, or
        :data:`NO_INTENSITY`); None for any other relation."""
        if self.relation != "perceives":
            return None
        return self.detail.rstrip("/").rpartition("/")[2] if self.detail else NO_INTENSITY


@dataclass
class Network:
    """Nodes by IRI and the edges between them, in a stable order."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    def intensities(self) -> dict[str, str]:
        """The perceptions' intensities found: filter value -> label."""
        found = {e.intensity: (e.detail_label or e.intensity) for e in self.edges
                 if e.intensity is not None}
        return dict(sorted(found.items(), key=lambda item: item[1]))

    def filtered(self, papers: Iterable[str] | None = None,
                 relations: Iterable[str] | None = None,
                 intensities: Iterable[str] | None = None) -> Network:
        """The edges in one of ``papers``, of one of ``relations`` and, for perceptions, of
        one of ``intensities`` (None: any), with the nodes they join."""
        paper_set = None if papers is None else set(papers)
        relation_set = None if relations is None else set(relations)
        intensity_set = None if intensities is None else set(intensities)
        edges = [e for e in self.edges
                 if (paper_set is None or e.paper in paper_set)
                 and (relation_set is None or e.relation in relation_set)
                 and (intensity_set is None or e.intensity is None
                      or e.intensity in intensity_set)]
        kept = {iri for e in edges for iri in (e.source, e.target)}
        return Network({iri: n for iri, n in self.nodes.items() if iri in kept}, edges)


def kind_of(iri: str, base_iri: str) -> str:
    """``state`` for ``{base}id/state/japan``, ``cooperation`` for a paper's statement node
    ``{base}id/paper-b/cooperation/…``; ``entity`` for an IRI without a kind."""
    root = f"{base_iri}id/"
    parts = iri[len(root):].split("/") if iri.startswith(root) else []
    if len(parts) > 2 and parts[0] in PAPERS:
        return parts[1]
    return parts[0] if len(parts) > 1 and parts[0] else "entity"


def network(rows: Iterable[Mapping[str, str]], base_iri: str) -> Network:
    """Nodes and edges from the query's rows (each a dict of bound variables as strings);
    a row repeated (another label) adds nothing. The order: nodes by label, edges by
    relation (as in :data:`RELATIONS`), source label, target label, paper."""
    graph_names = {graph_iri(name, base_iri): name for name in PAPERS}
    nodes: dict[str, Node] = {}
    edges: dict[tuple[str, ...], Edge] = {}
    for row in rows:
        relation, paper = row.get("relation"), graph_names.get(row.get("g", ""))
        if relation not in RELATIONS or paper is None:
            continue
        for end in ("s", "o"):
            iri = row[end]
            label = row.get(f"{end}Label")
            if iri not in nodes or (label and nodes[iri].label == iri):
                nodes[iri] = Node(iri, label or iri, kind_of(iri, base_iri))
        edge = Edge(row["s"], relation, row["o"], paper, row.get("via"), row.get("detail"),
                    row.get("detailLabel"))
        key = (edge.source, relation, edge.target, paper, edge.via or "", edge.detail or "")
        if key not in edges or (edge.detail_label and not edges[key].detail_label):
            edges[key] = edge
    order = list(RELATIONS)
    sorted_edges = sorted(edges.values(), key=lambda e: (
        order.index(e.relation), nodes[e.source].label.lower(), nodes[e.target].label.lower(),
        e.paper, e.via or ""))
    sorted_nodes = dict(sorted(nodes.items(), key=lambda item: (item[1].label.lower(),
                                                                item[0])))
    return Network(sorted_nodes, sorted_edges)


def read_network(store: Store, base_iri: str, focus: str | None = None) -> Network:
    """Run :func:`network_query` on ``store`` and build the network from its rows."""
    solutions = store.select(network_query(base_iri, focus))
    return network(({name: term.value for name, term in row.items()} for row in solutions),
                   base_iri)


def choose(values: Iterable[str], known: Iterable[str], what: str) -> list[str] | None:
    """The filter values asked for (None when none are: everything), each checked against
    ``known``; BadRequest names the first unknown one and what may be asked."""
    asked = list(dict.fromkeys(values))
    allowed = list(known)
    for value in asked:
        if value not in allowed:
            raise BadRequest(f"unknown {what} {value!r}; one of: {', '.join(allowed)}")
    return asked or None
