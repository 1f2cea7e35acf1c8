"""Alliance Graph: a linked-data knowledge graph on security relations in East Asia.

The library layer (this package) knows nothing of Flask: it builds the graph from
the bundled sources into a store, queries it and validates it. The web tier lives in
:mod:`alliancegraph.service`.

For notebooks, :func:`connect` (from :mod:`alliancegraph.graph.notebook`) gives SELECT results as
pandas DataFrames. It is loaded on first use, so ``import alliancegraph`` stays light (no
pandas, rdflib or pyoxigraph).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("alliancegraph")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

#: The base under which the bundled sources mint every IRI. A build may rewrite it
#: to the configured ``base_iri`` so the same graph can be served at another host.
CANONICAL_BASE = "https://w3id.org/alliancegraph/"



def user_agent(purpose: str, client: str) -> str:
    """The User-Agent of every outbound request (federation, link discovery, enrichment):
    who we are, where to read about us, what for, and the HTTP library, as public
    endpoints such as Wikidata's ask of their clients."""
    return f"AllianceGraph/{__version__} ({CANONICAL_BASE}; {purpose}) {client}"


#: names served by alliancegraph.graph.notebook, imported when first asked for
_NOTEBOOK = ("Connection", "connect", "examples")

__all__ = ["CANONICAL_BASE", "__version__", "user_agent", *_NOTEBOOK]


def __getattr__(name: str) -> object:
    if name in _NOTEBOOK:
        from alliancegraph.graph import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'alliancegraph' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_NOTEBOOK])
