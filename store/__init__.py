"""The store: one typed interface (:mod:`alliancegraph.store.base`) over every backend.

Backends: in memory (:mod:`alliancegraph.store.memory`) and embedded Oxigraph on disk
(:mod:`alliancegraph.store.embedded`, the default, a pool of reader processes and one
writer). The SPARQL policy, the limits and validation on write wrap any backend
(:mod:`alliancegraph.store.policy`). :func:`open_store` builds a store from the settings:
the one place that does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alliancegraph.errors import ConfigError
from alliancegraph.store.base import (
    Applied,
    Backend,
    BulkFile,
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

__all__ = ["Applied", "Backend", "BulkFile", "Change", "Dataset", "DropGraph", "MergeGraph",
           "QuadDelta", "QueryForm", "QueryOutcome", "ReadView", "ReplaceGraph", "ReplaceGraphs",
           "Solutions", "Store", "Update", "open_store"]


def open_store(settings: Settings, **options: Any) -> Store:
    """The store the settings name: its backend (setting ``store``: ``memory``,
    ``embedded`` or ``remote``) under the policy. ``options`` go to
    :class:`alliancegraph.store.policy.PolicyStore` (``shapes=`` …); the federation
    settings become its ``federation`` unless one is given. ConfigError for an unknown
    backend or a bad federation setting."""
    from alliancegraph.store.federation import Federation
    from alliancegraph.store.policy import PolicyStore

    options.setdefault("federation", Federation.from_settings(settings))

    backend: Backend
    if settings.store == "memory":
        from alliancegraph.store.memory import MemoryBackend

        backend = MemoryBackend()
    elif settings.store == "embedded":
        from alliancegraph.store.embedded import EmbeddedBackend

        backend = EmbeddedBackend(settings.data_dir, readers=settings.store_readers,
                                  query_timeout=settings.query_timeout,
                                  write_timeout=settings.write_timeout,
                                  max_memory_mb=settings.max_memory_mb)
    elif settings.store == "remote":
        from alliancegraph.store.remote import RemoteBackend

        if settings.remote_dialect == "virtuoso":
            from alliancegraph.store.virtuoso import VirtuosoBackend as RemoteBackend
        elif settings.remote_dialect != "standard":
            raise ConfigError(f"setting 'remote_dialect' must be 'standard' or 'virtuoso', "
                              f"not {settings.remote_dialect!r}")
        if not settings.remote_query_url or not settings.remote_update_url:
            raise ConfigError("store = 'remote' needs the settings remote_query_url and "
                              "remote_update_url")
        backend = RemoteBackend(settings.remote_query_url, settings.remote_update_url,
                                settings.remote_graph_store_url, user=settings.remote_user,
                                password=settings.remote_password,
                                token=settings.remote_token, timeout=settings.remote_timeout,
                                write_timeout=settings.write_timeout,
                                write_lease=settings.remote_write_lease)
    else:
        raise ConfigError(f"setting 'store' must be 'memory', 'embedded' or 'remote', not "
                          f"{settings.store!r}")
    return PolicyStore(backend, base_iri=settings.base_iri, max_rows=settings.max_rows,
                       query_timeout=settings.query_timeout,
                       union_default_graph=settings.union_default_graph,
                       validate_on_write=settings.validate_on_write,
                       validation_timeout=settings.validation_timeout, **options)
