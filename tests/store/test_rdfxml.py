"""``alliancegraph.store.rdfxml``: what every RDF/XML input must pass before a parser sees it."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from alliancegraph.errors import BadRequest, ParseError
from alliancegraph.store.rdfxml import check_rdf_xml

RDF = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
GOOD = f'<rdf:RDF {RDF}><rdf:Description rdf:about="http://a/s"/></rdf:RDF>'.encode()


def test_well_formed_rdf_xml_passes():
    check_rdf_xml(GOOD)


def test_a_document_cut_short_is_a_parse_error_with_its_place():
    truncated = f'<rdf:RDF {RDF}>\n<rdf:Description rdf:about="http://a/s">'.encode()
    assert list(ox.parse(truncated, ox.RdfFormat.RDF_XML)) == []  # why the check exists
    with pytest.raises(ParseError, match="not well-formed XML") as info:
        check_rdf_xml(truncated, source="upload.rdf")
    assert info.value.source == "upload.rdf" and info.value.line == 2


@pytest.mark.parametrize("declaration", [
    '<!DOCTYPE r [<!ENTITY a "aaaa">]>', "<!doctype r>", "<! ENTITY a 'x'>"])
def test_doctype_and_entities_are_refused(declaration):
    with pytest.raises(BadRequest, match="DOCTYPE or ENTITY"):
        check_rdf_xml(declaration.encode() + GOOD)


def test_utf16_is_refused():
    with pytest.raises(BadRequest, match="UTF-8"):
        check_rdf_xml(GOOD.decode().encode("utf-16"))
