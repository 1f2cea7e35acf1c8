"""Content negotiation, in one place.

A typed table of the formats the service writes (built on pyoxigraph's ``RdfFormat`` and
``QueryResultsFormat``), and the choice among them from the ``Accept`` header (werkzeug's
parser, q-values honoured), a ``format`` override, and what the answer *is*: a result set
(SELECT/ASK), a graph (CONSTRUCT/DESCRIBE, one graph of the store) or a dataset (a dump).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pyoxigraph as ox
from alliancegraph.errors import NotAcceptable, UnsupportedMediaType
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

Kind = Literal["results", "graph", "dataset"]


@dataclass(frozen=True)
class Format:
    """One serialisation: its canonical media type, other names clients use, and the
    pyoxigraph format that reads or writes it."""

    name: str  # short name for the ``format`` parameter and file suffixes
    media_type: str  # canonical, as sent in Content-Type and handed to the store
    aliases: tuple[str, ...]
    oxigraph: ox.RdfFormat | ox.QueryResultsFormat

    @property
    def media_types(self) -> tuple[str, ...]:
        return (self.media_type, *self.aliases)

    @property
    def content_type(self) -> str:
        """Content-Type header value; text formats say their charset."""
        if self.media_type.startswith("text/") or self.media_type.endswith(("+json", "json")):
            return f"{self.media_type}; charset=utf-8"
        return self.media_type

    @property
    def iri(self) -> str:
        """The format's IRI in the W3C list of format IRIs (http://www.w3.org/ns/formats/).
        pyoxigraph names JSON-LD ``https://www.w3.org/ns/formats/data/JSON-LD``, which is
        not in that list; the listed one is ``http://www.w3.org/ns/formats/JSON-LD``."""
        iri = self.oxigraph.iri
        odd = "https://www.w3.org/ns/formats/data/"
        return "http://www.w3.org/ns/formats/" + iri[len(odd):] if iri.startswith(odd) else iri

    @property
    def is_dataset_format(self) -> bool:
        return isinstance(self.oxigraph, ox.RdfFormat) and self.oxigraph.supports_datasets


def _rf(name: str, fmt: ox.RdfFormat, *aliases: str) -> Format:
    return Format(name, fmt.media_type, aliases, fmt)


def _qf(name: str, fmt: ox.QueryResultsFormat, *aliases: str) -> Format:
    return Format(name, fmt.media_type.split(";")[0], aliases, fmt)


JSON_RESULTS = _qf("json", ox.QueryResultsFormat.JSON, "application/json")
XML_RESULTS = _qf("xml", ox.QueryResultsFormat.XML, "application/xml", "text/xml")
CSV_RESULTS = _qf("csv", ox.QueryResultsFormat.CSV)
TSV_RESULTS = _qf("tsv", ox.QueryResultsFormat.TSV)
TURTLE = _rf("ttl", ox.RdfFormat.TURTLE, "application/x-turtle")
N_TRIPLES = _rf("nt", ox.RdfFormat.N_TRIPLES, "text/plain")
JSON_LD = _rf("jsonld", ox.RdfFormat.JSON_LD, "application/json")
RDF_XML = _rf("rdf", ox.RdfFormat.RDF_XML, "application/xml", "text/xml")
TRIG = _rf("trig", ox.RdfFormat.TRIG, "application/x-trig")
N_QUADS = _rf("nq", ox.RdfFormat.N_QUADS, "text/x-nquads")

#: What each kind of answer can be written as, in the server's order of preference
#: (used when the client accepts several formats equally, or sends no Accept at all).
#: A graph is also a dataset (its default graph), so TriG and N-Quads serve graphs too.
#: ASK is JSON or XML only: the SPARQL CSV/TSV formats define no boolean result (pyoxigraph
#: would write a bare ``true``, which no client can tell from a one-cell table).
OFFERS: dict[str, tuple[Format, ...]] = {
    "SELECT": (JSON_RESULTS, XML_RESULTS, CSV_RESULTS, TSV_RESULTS),
    "ASK": (JSON_RESULTS, XML_RESULTS),
    "CONSTRUCT": (TURTLE, N_TRIPLES, JSON_LD, RDF_XML, TRIG, N_QUADS),
    "DESCRIBE": (TURTLE, N_TRIPLES, JSON_LD, RDF_XML, TRIG, N_QUADS),
    "graph": (TURTLE, N_TRIPLES, JSON_LD, RDF_XML, TRIG, N_QUADS),
    "dataset": (TRIG, N_QUADS, JSON_LD),
}

#: RDF syntaxes the service reads (request bodies). N3 is refused: it is not RDF 1.1.
READABLE_RDF: tuple[Format, ...] = (TURTLE, N_TRIPLES, JSON_LD, RDF_XML, TRIG, N_QUADS)

_BY_NAME = {f.name: f for offers in OFFERS.values() for f in offers}
_BY_NAME.update({"turtle": TURTLE, "ntriples": N_TRIPLES, "json-ld": JSON_LD, "rdfxml": RDF_XML,
                 "nquads": N_QUADS, "srj": JSON_RESULTS, "srx": XML_RESULTS})


def parse_accept(header: str | None) -> MIMEAccept | None:
    """werkzeug's parse of ``Accept`` with media-type parameters other than ``q`` dropped
    (``text/turtle; charset=utf-8`` must still match ``text/turtle``). ``None`` when the
    client sent no Accept header, which means it takes anything."""
    if header is None or not header.strip():
        return None
    parsed = parse_accept_header(header, MIMEAccept)
    return MIMEAccept([(value.split(";")[0].strip().lower(), q) for value, q in parsed])


def negotiate(
    accept_header: str | None,
    offers: Sequence[Format],
    *,
    format_param: str | None = None,
    what: str = "this answer",
) -> Format:
    """The format to answer in, from ``offers`` (server preference first).

    ``format_param`` (a short name such as ``json``/``ttl`` or a media type) overrides the
    Accept header. Raises :class:`NotAcceptable` (406) when nothing offered is acceptable.
    """
    available = ", ".join(f.media_type for f in offers)
    if format_param:
        chosen = by_name_or_media_type(format_param)
        if chosen is None or chosen not in offers:
            raise NotAcceptable(
                f"format={format_param!r} cannot be produced for {what}; available: {available}")
        return chosen
    accept = parse_accept(accept_header)
    if accept is None:
        return offers[0]
    best: tuple[float, int, Format] | None = None
    for rank, fmt in enumerate(offers):
        quality = _quality(accept, fmt)
        # higher q wins; on a tie, the server's order (lower rank) wins
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality, rank, fmt)
    if best is None:
        raise NotAcceptable(
            f"none of the acceptable media types ({accept_header}) can be produced for "
            f"{what}; available: {available}")
    return best[2]


def _quality(accept: MIMEAccept, fmt: Format) -> float:
    """q of the most specific Accept entries matching any name of ``fmt`` (0 when none
    does): ``text/turtle;q=0, */*`` must refuse Turtle even though ``*/*`` matches it."""
    levels = (
        set(fmt.media_types),
        {f"{m.partition('/')[0]}/*" for m in fmt.media_types},
        {"*/*", "*"},
    )
    for patterns in levels:
        matched = [q for value, q in accept if value in patterns]
        if matched:
            return max(matched)
    return 0.0


def by_name_or_media_type(value: str) -> Format | None:
    """A format from a ``format`` parameter: short name, file suffix or media type."""
    value = value.strip().lower()
    if value in _BY_NAME:
        return _BY_NAME[value]
    media_type = value.split(";")[0].strip()
    for offers in OFFERS.values():
        for fmt in offers:
            if media_type in fmt.media_types:
                return fmt
    return None


def rdf_input_format(content_type: str | None) -> Format:
    """The RDF syntax of a request body from its Content-Type; 415 when unknown.

    Aliases are resolved as readers: ``application/json`` is JSON-LD, ``text/plain``
    N-Triples, ``application/xml`` RDF/XML.
    """
    media_type = (content_type or "").split(";")[0].strip().lower()
    for fmt in READABLE_RDF:
        if media_type in fmt.media_types:
            return fmt
    names = ", ".join(f.media_type for f in READABLE_RDF)
    if not media_type:
        raise UnsupportedMediaType(f"the request body has no Content-Type; send one of: {names}")
    raise UnsupportedMediaType(f"cannot read RDF from {media_type!r}; send one of: {names}")
