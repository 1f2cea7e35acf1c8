"""rdflib's SPARQL engine, kept from fetching anything or reading local files.

rdflib loads the documents named by ``FROM``, ``FROM NAMED`` and ``LOAD`` (over HTTP, or
from a local file for a ``file:`` IRI) and calls ``SERVICE`` endpoints. pySHACL runs the
SPARQL of user-supplied shapes on rdflib (``sh:select``, ``sh:ask``, SPARQL-based targets
and constraint components, ``$shapesGraph`` queries over a dataset), and the write guard
evaluates updates with it. :func:`install` switches that off for the whole process:

* rdflib's loading switch (``SPARQL_LOAD_GRAPHS``) is off, so ``FROM <g>`` and ``LOAD <g>``
  only ever use a graph the dataset already holds, and a graph it does not hold is empty;
* a ``SERVICE`` pattern raises :class:`Refused` where rdflib would evaluate it (a custom
  evaluation hook on the algebra, which sees the pattern whatever its spelling).

It is a policy set once when the modules that run rdflib SPARQL are imported, never
toggled per call. Shapes are also checked before they run (``shapes.validate``), so users
get a clear 400; this is the lock behind that door.
"""

from __future__ import annotations

from typing import Any

import rdflib.plugins.sparql
from alliancegraph.errors import BadRequest
from rdflib.plugins.sparql import CUSTOM_EVALS

_HOOK = "alliancegraph:no-service"


class Refused(BadRequest):
    """A request that would make the engine fetch or read a document (400)."""


def _refuse_service(ctx: Any, part: Any) -> Any:
    if part.name == "ServiceGraphPattern":
        raise Refused("SPARQL SERVICE is refused: validation and the write guard make no "
                      "outbound requests")
    raise NotImplementedError  # rdflib's own evaluation for every other part


def install() -> None:
    """Make rdflib's SPARQL engine unable to fetch; idempotent."""
    rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
    CUSTOM_EVALS[_HOOK] = _refuse_service


def installed() -> bool:
    return (not rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS
            and CUSTOM_EVALS.get(_HOOK) is _refuse_service)
