"""SHACL shapes of the Alliance Graph and the validation built on them.

* :func:`alliancegraph.shapes.validate.validate` — validate RDF, returns a report;
* :class:`alliancegraph.store.guard.ShapesWriteGuard` — incremental validation on write;
* ``alliancegraph validate`` — :mod:`alliancegraph.shapes.cli`.

Submodules are imported on demand (pySHACL is heavy).
"""

import logging

from alliancegraph.store import offline

# user-supplied shapes and updates run on rdflib's SPARQL engine: it must never fetch
offline.install()


def _not_ill_typed_literal(record: logging.LogRecord) -> bool:
    """rdflib logs a warning with a traceback for every ill-typed literal it reads (one per
    literal a client sends: a log flood). An ill-typed literal is the data's problem, and the
    shapes report it (sh:datatype); the log is for the service's own problems."""
    return not str(record.msg).startswith("Failed to convert Literal lexical form")


logging.getLogger("rdflib.term").addFilter(_not_ill_typed_literal)
