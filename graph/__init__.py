"""Alliance Graph: a linked-data knowledge graph on security relations in East Asia.

The library layer (this package) knows nothing of Flask: it builds the graph from
the bundled sources into a store, queries it and validates it. The web tier lives in
:mod:`alliancegraph.service`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("alliancegraph")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

#: The base under which the bundled sources mint every IRI. A build may rewrite it
#: to the configured ``base_iri`` so the same graph can be served at another host.
CANONICAL_BASE = "https://w3id.org/alliancegraph/"

__all__ = ["CANONICAL_BASE", "__version__"]
