"""The Flask tier: SPARQL protocol, graph store, linked-data pages, validation."""
