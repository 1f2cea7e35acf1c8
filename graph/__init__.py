"""The knowledge graph: its names (:mod:`~alliancegraph.graph.vocabulary`: prefixes, named
graphs, link datasets), its Turtle sources, the build that loads them into a store, the
shipped example queries, the data card, and the notebook client (:func:`alliancegraph.connect`).
"""
