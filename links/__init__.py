"""Links from this graph to other datasets: discovery, review, acceptance, enrichment and
mapping exports (``alliancegraph link``, ``alliancegraph enrich``,
``alliancegraph mappings``).

* :mod:`~alliancegraph.links.model`: a link and its provenance as data (OWL 2 axiom
  annotations with SSSOM's slots), candidates and their review state, external facts.
* :mod:`~alliancegraph.links.client`: a well-behaved client of a remote SPARQL endpoint.
* :mod:`~alliancegraph.links.targets`: what Wikidata- and DBpedia-shaped endpoints hold.
* :mod:`~alliancegraph.links.discover`, :mod:`~alliancegraph.links.review`: candidates,
  scores, evidence, the review file and acceptance.
* :mod:`~alliancegraph.links.enrich`: chosen facts about linked items, in their own graph.
* :mod:`~alliancegraph.links.sssom`: every mapping as an SSSOM table.

Everything is read and written through the store interface
(:func:`alliancegraph.store.open_store`), so it works on every backend.
"""
