"""The store: one typed interface (:mod:`alliancegraph.store.base`) over every backend.

Backends: in memory (:mod:`alliancegraph.store.memory`), embedded Oxigraph on disk
(:mod:`alliancegraph.store.embedded`, the default). The SPARQL policy, the limits and
validation on write wrap any backend (:mod:`alliancegraph.store.policy`).
"""

from alliancegraph.store.base import Dataset, QueryForm, QueryOutcome, Store, WriteGuard

__all__ = ["Dataset", "QueryForm", "QueryOutcome", "Store", "WriteGuard"]
