"""The checks every RDF/XML input passes before a parser sees it.

* A document type declaration is refused: it is where entities come from, and pyoxigraph
  expands them as soon as they are declared (a 673-byte "billion laughs" took 913 MB, one
  level more aborted the process).
* UTF-16 (or NUL bytes) is refused: a declaration hidden between NULs would escape the search.
* The document must be well-formed XML: pyoxigraph's RDF/XML parser accepts a document cut
  short (an unclosed element) without an error, so truncated uploads would pass as empty.
  Expat checks well-formedness without expanding anything (there is no DTD left to expand).
"""

from __future__ import annotations

import re
from xml.parsers import expat

from alliancegraph.errors import BadRequest, ParseError

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def check_rdf_xml(data: bytes, *, source: str = "the request body") -> None:
    """Raise BadRequest for a DOCTYPE or a non-UTF-8 document, ParseError (with line and
    column) for XML that is not well-formed."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        raise BadRequest(f"{source}: XML must be UTF-8 encoded")
    if _DOCTYPE.search(data):
        raise BadRequest(f"{source}: XML with a DOCTYPE or ENTITY declaration is refused "
                         "(entity expansion is unsafe)")
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise ParseError(f"not well-formed XML: {expat.ErrorString(exc.code)}", source=source,
                         line=exc.lineno, column=exc.offset + 1) from None
