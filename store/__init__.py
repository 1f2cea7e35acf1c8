"""The store: one typed interface (:mod:`alliancegraph.store.base`) over every backend.

Backends: in memory (:mod:`alliancegraph.store.memory`) and embedded Oxigraph on disk
(:mod:`alliancegraph.store.embedded`, the default, a pool of reader processes and one
writer). The SPARQL policy, the limits and validation on write wrap any backend
(:mod:`alliancegraph.store.policy`). :func:`open_store` builds a store from the settings:
the one place that does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alliancegraph.store.base import (
    Applied,
    Backend,
    Change,
    Dataset,
    DropGraph,
    MergeGraph,
    QuadDelta,
    QueryForm,
    QueryOutcome,
    ReadView,
    ReplaceGraph,
    ReplaceGraphs,
    Solutions,
    Store,
    Update,
)

if TYPE_CHECKING:
    from alliancegraph.config import Settings

__all__ = ["Applied", "Backend", "Change", "Dataset", "DropGraph", "MergeGraph", "QuadDelta",
           "QueryForm", "QueryOutcome", "ReadView", "ReplaceGraph", "ReplaceGraphs",
           "Solutions", "Store", "Update", "open_store"]


def open_store(settings: Settings, **options: object) -> Store:
    """The store the settings name: its backend (setting ``store``) under the policy.
    ``options`` go to :class:`alliancegraph.store.policy.PolicyStore` (``shapes=`` …)."""
    raise NotImplementedError("written by the policy work")  # replaced: see store/policy.py
