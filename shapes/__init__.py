"""SHACL shapes of the Alliance Graph and the validation built on them.

* :func:`alliancegraph.shapes.validate.validate` — validate RDF, returns a report;
* :class:`alliancegraph.shapes.guard.ShapesWriteGuard` — incremental validation on write;
* ``alliancegraph validate`` — :mod:`alliancegraph.shapes.cli`.

Submodules are imported on demand (pySHACL is heavy).
"""
