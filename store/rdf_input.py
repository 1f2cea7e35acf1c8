"""THE upload parser: RDF bytes from outside (a request body, a file) into quads.

Every input passes the same checks before any parser sees it: a syntax the format table
reads (415 otherwise, N3 included), and for RDF/XML the DOCTYPE/ENTITY, UTF-8 and
well-formedness checks of :mod:`alliancegraph.store.rdfxml`. A syntax error is a
:class:`ParseError` naming the source, line and column and quoting the text; named graphs
are refused unless allowed.
"""

from __future__ import annotations

import pyoxigraph as ox
from alliancegraph.errors import BadRequest, ParseError
from alliancegraph.store import formats
from alliancegraph.store.engine import graph_term, parse_error
from alliancegraph.store.rdfxml import check_rdf_xml

__all__ = ["parse_rdf", "rdf_syntax"]


def rdf_syntax(syntax: ox.RdfFormat | str) -> ox.RdfFormat:
    """The RDF syntax to read for a media type (parameters such as ``charset`` ignored) or a
    pyoxigraph format, by the format table (:func:`alliancegraph.store.formats.rdf_input`):
    UnsupportedMediaType (415) for one that is not read, N3 among them."""
    media_type = syntax.media_type if isinstance(syntax, ox.RdfFormat) else syntax
    found = formats.rdf_input(media_type=media_type).oxigraph
    assert isinstance(found, ox.RdfFormat)  # an RDF syntax: the table's rdf kind
    return found


def parse_rdf(data: bytes, syntax: ox.RdfFormat | str, *, graph: str | None = None,
              base_iri: str | None = None, source: str = "<input>",
              allow_named_graphs: bool = False,
              rename_blank_nodes: bool = True) -> list[ox.Quad]:
    """Parse ``data`` completely: every triple in ``graph`` (None: the default graph).

    With ``allow_named_graphs`` the quads of a dataset syntax keep their graphs (and
    ``graph`` is where default-graph triples go); without, a body holding named graphs is
    refused (400). Blank nodes get fresh labels (``rename_blank_nodes``), so ``_:b`` in two
    uploads are two nodes, as RDF says; the store keeps the labels it is given.

    Raises UnsupportedMediaType (415), BadRequest (DOCTYPE, XML that is not UTF-8),
    ParseError (syntax, or bytes that are not UTF-8)."""
    fmt = rdf_syntax(syntax)
    if fmt == ox.RdfFormat.RDF_XML:
        check_rdf_xml(data, source=source)
    try:
        parsed = list(ox.parse(data, fmt, base_iri=base_iri,
                               rename_blank_nodes=rename_blank_nodes))
    except SyntaxError as exc:
        raise parse_error(exc, _text(data), source=source) from None
    except ValueError as exc:  # bytes that are not UTF-8 (UnicodeDecodeError is one)
        raise ParseError(f"the input is not valid UTF-8 text: {exc}", source=source) from None
    target = graph_term(graph)
    named = [q for q in parsed if not isinstance(q.graph_name, ox.DefaultGraph)]
    if named and not allow_named_graphs:
        raise BadRequest(f"{source}: the body holds named graphs; send one graph (Turtle, "
                         "N-Triples, JSON-LD, RDF/XML)")
    return [q if not isinstance(q.graph_name, ox.DefaultGraph)
            else ox.Quad(q.subject, q.predicate, q.object, target) for q in parsed]


def _text(data: bytes) -> str | None:
    """The input as text, for the error's excerpt (None when it is not UTF-8)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
