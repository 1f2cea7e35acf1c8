"""Content negotiation, in one place.

A typed table of the formats the service writes (built on pyoxigraph's ``RdfFormat`` and
``QueryResultsFormat``), and the choice among them from the format parameters clients send
(``format``, ``output``, ``results``), the ``Accept`` header (werkzeug's parser, q-values
honoured), and what the answer *is*: a result set (SELECT/ASK), a graph
(CONSTRUCT/DESCRIBE, one graph of the store) or a dataset (a dump).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

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

#: Request parameters that name a format, as the usual clients and endpoints spell them:
#: ``format`` (Virtuoso), ``output`` (Joseki, Fuseki), ``results`` (Rasqal). SPARQLWrapper
#: sends all three on every query, with its return format's short name (``xml`` by
#: default, whatever the query form) and, for some, a media type as a second value.
FORMAT_PARAMETERS = ("format", "output", "results")


def _names() -> dict[str, tuple[Format, ...]]:
    """What a format parameter value can mean, candidates in order: the first that the
    answer offers is the one meant (``xml`` is SPARQL XML for a SELECT, RDF/XML for a
    CONSTRUCT; ``json`` SPARQL JSON or JSON-LD)."""
    names: dict[str, tuple[Format, ...]] = {
        "json": (JSON_RESULTS, JSON_LD), "xml": (XML_RESULTS, RDF_XML),
        "srj": (JSON_RESULTS,), "srx": (XML_RESULTS,),
        "csv": (CSV_RESULTS,), "tsv": (TSV_RESULTS,),
        "ttl": (TURTLE,), "turtle": (TURTLE,),
        "n3": (TURTLE,),  # Turtle is a subset of N3: a Turtle document is an N3 document
        "nt": (N_TRIPLES,), "ntriples": (N_TRIPLES,), "n-triples": (N_TRIPLES,),
        "jsonld": (JSON_LD,), "json-ld": (JSON_LD,),
        "rdf": (RDF_XML,), "rdfxml": (RDF_XML,), "rdf+xml": (RDF_XML,),
        "trig": (TRIG,), "nq": (N_QUADS,), "nquads": (N_QUADS,), "n-quads": (N_QUADS,),
    }
    # every media type of the table, aliases included (``application/json`` is either)
    for fmt in (JSON_RESULTS, XML_RESULTS, CSV_RESULTS, TSV_RESULTS, *READABLE_RDF):
        for media_type in fmt.media_types:
            names[media_type] = (*names.get(media_type, ()), fmt)
    return names


_NAMES = _names()


class Params(Protocol):
    """Request parameters (werkzeug's ``MultiDict``: ``request.args``, ``request.values``)."""

    def getlist(self, key: str) -> list[str]: ...


def format_values(params: Params | None) -> list[str]:
    """The values of the format parameters of a request, in :data:`FORMAT_PARAMETERS`
    order (empty ones dropped)."""
    if params is None:
        return []
    return [v for name in FORMAT_PARAMETERS for v in params.getlist(name) if v.strip()]


def _named_formats(value: str) -> tuple[Format, ...]:
    """The formats a parameter value may mean (``()`` when it names none): a short name
    or a media type, case and media-type parameters ignored."""
    value = value.strip().lower()
    return _NAMES.get(value) or _NAMES.get(value.split(";")[0].strip(), ())


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
    params: Params | None = None,
    format_param: str | None = None,
    what: str = "this answer",
) -> Format:
    """The format to answer in, from ``offers`` (server preference first).

    A format parameter (``format``/``output``/``results`` read from ``params``, or the one
    value ``format_param``) is the client's first choice: the first value naming a format
    in ``offers`` wins over Accept. A value naming a format that cannot serve this answer
    (SPARQLWrapper's ``xml`` for a CONSTRUCT is RDF/XML, but ``csv`` is nothing) is passed
    over for the Accept header, which clients send too. Only values that name no format
    at all, or an Accept with nothing offered, are answered :class:`NotAcceptable` (406).
    """
    available = ", ".join(f.media_type for f in offers)
    hints = [format_param] if format_param else format_values(params)
    named = [_named_formats(value) for value in hints]
    for candidates in named:
        for fmt in candidates:
            if fmt in offers:
                return fmt
    if hints and not any(named):
        raise NotAcceptable(
            f"format={hints[0]!r} names no format; for {what} use one of: {available}, "
            f"or a name: {', '.join(sorted(n for n in _NAMES if '/' not in n))}")
    accept = parse_accept(accept_header)
    if accept is None:
        return offers[0]
    best: tuple[float, Format] | None = None
    for fmt in offers:
        quality = _quality(accept, fmt.media_types)
        # higher q wins; on a tie, the server's order (the earlier offer) wins
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality, fmt)
    if best is None:
        asked = f"format={hints[0]!r} and " if hints else ""
        raise NotAcceptable(
            f"none of {asked}the acceptable media types ({accept_header}) can be produced "
            f"for {what}; available: {available}")
    return best[1]


HTML = "text/html"
#: How pages name the RDF syntaxes they link to.
FORMAT_TITLES = {"ttl": "Turtle", "nt": "N-Triples", "jsonld": "JSON-LD", "rdf": "RDF/XML",
                 "trig": "TriG", "nq": "N-Quads"}


def prefers_page(params: Params | None, accept_header: str | None,
                 offers: Sequence[Format]) -> bool:
    """Whether to answer a page rather than RDF: ``format=html``, or, with no format
    parameter, an Accept header ranking HTML above every RDF syntax offered (a browser: its
    ``application/xml;q=0.9`` names RDF/XML, but ``text/html`` ranks higher). ``*/*``
    (curl) and no Accept at all keep getting RDF."""
    named = [value.strip().lower() for value in format_values(params)]
    if named:
        return named[0] in ("html", HTML)
    return prefers(accept_header, HTML, offers)


def alternates(offers: Sequence[Format],
               url_for_format: Callable[[Format], str]) -> list[dict[str, str]]:
    """The RDF documents a page links to: ``{name, title, media_type, href}`` per format."""
    return [{"name": f.name, "title": FORMAT_TITLES.get(f.name, f.name),
             "media_type": f.media_type, "href": url_for_format(f)} for f in offers]


def link_header(links: Iterable[dict[str, str]]) -> str:
    """The ``Link`` header value naming ``links`` (``href``, ``media_type``) as alternates."""
    return ", ".join(f'<{a["href"]}>; rel="alternate"; type="{a["media_type"]}"' for a in links)


def prefers(accept_header: str | None, media_type: str, over: Sequence[Format]) -> bool:
    """Whether the client ranks ``media_type`` strictly above every format of ``over``: a
    browser (``text/html`` before ``application/xml;q=0.9``) does, ``*/*`` (curl, the usual
    API clients) and no Accept at all do not."""
    accept = parse_accept(accept_header)
    if accept is None:
        return False
    wanted = _quality(accept, (media_type,))
    return wanted > 0 and all(wanted > _quality(accept, f.media_types) for f in over)


def _quality(accept: MIMEAccept, media_types: Sequence[str]) -> float:
    """q of the most specific Accept entries matching any of ``media_types`` (0 when none
    does): ``text/turtle;q=0, */*`` must refuse Turtle even though ``*/*`` matches it."""
    levels = (
        set(media_types),
        {f"{m.partition('/')[0]}/*" for m in media_types},
        {"*/*", "*"},
    )
    for patterns in levels:
        matched = [q for value, q in accept if value in patterns]
        if matched:
            return max(matched)
    return 0.0


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
