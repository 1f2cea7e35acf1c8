"""The format table: every RDF and SPARQL-results syntax the project knows, once.

Each :class:`Format` says its canonical media type (the one sent in ``Content-Type`` and
handed to the store) and the other media types clients use for it, its short names (the
``format=`` parameter, ``--format``), its file suffixes, the pyoxigraph and rdflib formats
that read and write it, whether it holds datasets, and whether it is read (input) and
written (output).

N3 is in the table only to be refused by name: it is not RDF 1.1 (rules, formulae,
variables), so it is never read (415) and never written (406). A Turtle document is an N3
document, so a client that can read N3 can ask for Turtle.

The look-ups: :func:`by_suffix` (a file name), :func:`by_media_type`, :func:`by_name` (a
short name), each within one *kind* (``rdf``, ``results`` or ``page``: ``application/json``
is JSON-LD among RDF syntaxes, SPARQL JSON among results); :func:`rdf_input` for what a
reader accepts (415 otherwise, listing what is accepted). No Flask here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal

import pyoxigraph as ox
from alliancegraph.errors import UnsupportedMediaType

Kind = Literal["rdf", "results", "page"]


@dataclass(frozen=True)
class Format:
    """One serialisation."""

    #: the short name the service uses for it (``ttl``) and the suffix of its documents
    name: str
    #: canonical, as sent in Content-Type and handed to the store
    media_type: str
    #: other media types clients send for it
    aliases: tuple[str, ...]
    oxigraph: ox.RdfFormat | ox.QueryResultsFormat | None
    #: how people call it (``Turtle``)
    title: str = ""
    kind: Kind = "page"
    #: short names a ``format`` parameter or ``--format`` may use, besides :attr:`name`
    names: tuple[str, ...] = ()
    #: file suffixes, lower case with the dot, the preferred first
    suffixes: tuple[str, ...] = ()
    #: rdflib's parser/serialiser name
    rdflib: str | None = None
    #: holds named graphs (TriG, N-Quads, JSON-LD)
    datasets: bool = False
    #: read as input (request bodies, files)
    readable: bool = True
    #: written as output
    writable: bool = True

    @property
    def media_types(self) -> tuple[str, ...]:
        return (self.media_type, *self.aliases)

    @property
    def all_names(self) -> tuple[str, ...]:
        return (self.name, *self.names)

    @property
    def content_type(self) -> str:
        """Content-Type header value; text formats say their charset."""
        if self.media_type.startswith("text/") or self.media_type.endswith("json"):
            return f"{self.media_type}; charset=utf-8"
        return self.media_type

    @property
    def iri(self) -> str:
        """The format's IRI in the W3C list (http://www.w3.org/ns/formats/). pyoxigraph
        names JSON-LD ``https://www.w3.org/ns/formats/data/JSON-LD``, which is not in that
        list; the listed one is ``http://www.w3.org/ns/formats/JSON-LD``."""
        if self.oxigraph is None:
            raise ValueError(f"{self.title} has no format IRI")
        iri = self.oxigraph.iri
        odd = "https://www.w3.org/ns/formats/data/"
        return "http://www.w3.org/ns/formats/" + iri[len(odd):] if iri.startswith(odd) else iri

    def answers_to(self, value: str) -> bool:
        """Whether ``value`` (a short name or a media type, any case, media-type parameters
        ignored) names this format."""
        value = value.strip().lower()
        return value in self.all_names or _bare(value) in self.media_types


def _bare(media_type: str) -> str:
    return media_type.split(";")[0].strip().lower()


def _rdf(name: str, fmt: ox.RdfFormat, rdflib: str, *, aliases: tuple[str, ...] = (),
         names: tuple[str, ...] = (), suffixes: tuple[str, ...] = (), readable: bool = True,
         writable: bool = True) -> Format:
    return Format(name, fmt.media_type, aliases, fmt, title=fmt.name, kind="rdf", names=names,
                  suffixes=(f".{fmt.file_extension}", *suffixes), rdflib=rdflib,
                  datasets=fmt.supports_datasets, readable=readable, writable=writable)


def _results(name: str, fmt: ox.QueryResultsFormat, rdflib: str, title: str, *,
             aliases: tuple[str, ...] = (), names: tuple[str, ...] = (),
             suffixes: tuple[str, ...] = ()) -> Format:
    # pyoxigraph writes "text/csv; charset=utf-8": the canonical type is without parameters
    return Format(name, _bare(fmt.media_type), aliases, fmt, title=title, kind="results",
                  names=names, suffixes=(f".{fmt.file_extension}", *suffixes), rdflib=rdflib)


TURTLE = _rdf("ttl", ox.RdfFormat.TURTLE, "turtle", aliases=("application/x-turtle",),
              names=("turtle",), suffixes=(".turtle",))
N_TRIPLES = _rdf("nt", ox.RdfFormat.N_TRIPLES, "nt", aliases=("text/plain",),
                 names=("ntriples", "n-triples"), suffixes=(".ntriples",))
JSON_LD = _rdf("jsonld", ox.RdfFormat.JSON_LD, "json-ld", aliases=("application/json",),
               names=("json-ld", "json"), suffixes=(".json",))
RDF_XML = _rdf("rdf", ox.RdfFormat.RDF_XML, "xml", aliases=("application/xml", "text/xml"),
               names=("rdfxml", "rdf+xml", "xml"), suffixes=(".owl", ".xml"))
TRIG = _rdf("trig", ox.RdfFormat.TRIG, "trig", aliases=("application/x-trig",))
N_QUADS = _rdf("nq", ox.RdfFormat.N_QUADS, "nquads", aliases=("text/x-nquads",),
               names=("nquads", "n-quads"), suffixes=(".nquads",))
#: Known, to be refused by name: never read, never written.
N3 = _rdf("n3", ox.RdfFormat.N3, "n3", aliases=("text/rdf+n3", "application/n3"),
          readable=False, writable=False)

JSON_RESULTS = _results("srj", ox.QueryResultsFormat.JSON, "json", "SPARQL JSON",
                        aliases=("application/json",), names=("json",), suffixes=(".json",))
XML_RESULTS = _results("srx", ox.QueryResultsFormat.XML, "xml", "SPARQL XML",
                       aliases=("application/xml", "text/xml"), names=("xml",),
                       suffixes=(".xml",))
CSV_RESULTS = _results("csv", ox.QueryResultsFormat.CSV, "csv", "SPARQL CSV")
TSV_RESULTS = _results("tsv", ox.QueryResultsFormat.TSV, "tsv", "SPARQL TSV")

#: Pages: not RDF, but answers negotiated beside it (an entity's page, a JSON summary).
HTML = Format("html", "text/html", ("application/xhtml+xml",), None, title="HTML",
              suffixes=(".html", ".htm"), readable=False)
JSON = Format("json", "application/json", (), None, title="JSON", suffixes=(".json",),
              readable=False)

#: Every format, by kind in this order: a look-up without a kind tries them so.
FORMATS: tuple[Format, ...] = (TURTLE, N_TRIPLES, JSON_LD, RDF_XML, TRIG, N_QUADS, N3,
                               JSON_RESULTS, XML_RESULTS, CSV_RESULTS, TSV_RESULTS, HTML, JSON)
#: RDF syntaxes read (request bodies, files), server's order.
READABLE_RDF: tuple[Format, ...] = tuple(f for f in FORMATS if f.kind == "rdf" and f.readable)
#: RDF syntaxes written.
WRITABLE_RDF: tuple[Format, ...] = tuple(f for f in FORMATS if f.kind == "rdf" and f.writable)

#: What each kind of answer can be written as, in the server's order of preference (the
#: first is the answer to a client that accepts anything). A graph is also a dataset (its
#: default graph), so TriG and N-Quads serve graphs too. ASK is JSON or XML only: the SPARQL
#: CSV/TSV formats define no boolean result (pyoxigraph would write a bare ``true``, which
#: no client can tell from a one-cell table).
OFFERS: dict[str, tuple[Format, ...]] = {
    "SELECT": (JSON_RESULTS, XML_RESULTS, CSV_RESULTS, TSV_RESULTS),
    "ASK": (JSON_RESULTS, XML_RESULTS),
    "CONSTRUCT": WRITABLE_RDF,
    "DESCRIBE": WRITABLE_RDF,
    "graph": WRITABLE_RDF,
    "dataset": tuple(f for f in WRITABLE_RDF if f.datasets),
}


def _index(key: Iterable[tuple[Format, Iterable[str]]]) -> dict[tuple[Kind, str], Format]:
    table: dict[tuple[Kind, str], Format] = {}
    for fmt, values in key:
        for value in values:
            previous = table.setdefault((fmt.kind, value), fmt)
            if previous is not fmt:  # the table itself is wrong: fail at import
                raise AssertionError(f"{value!r} names both {previous.title} and {fmt.title}")
    return table


_BY_SUFFIX = _index((f, f.suffixes) for f in FORMATS)
_BY_MEDIA_TYPE = _index((f, f.media_types) for f in FORMATS)
_BY_NAME = _index((f, f.all_names) for f in FORMATS)
_KINDS: tuple[Kind, ...] = ("rdf", "results", "page")


def _lookup(table: dict[tuple[Kind, str], Format], value: str,
            kind: Kind | None) -> Format | None:
    for k in (kind,) if kind else _KINDS:
        fmt = table.get((k, value))
        if fmt is not None:
            return fmt
    return None


def by_suffix(path: str | PurePath, kind: Kind | None = "rdf") -> Format | None:
    """The format of a file by its suffix (``.ttl``, ``.jsonld``; any case), or None. With
    ``kind=None``, RDF first (``.json`` is JSON-LD), then results, then pages."""
    return _lookup(_BY_SUFFIX, PurePath(path).suffix.lower(), kind)


def by_media_type(media_type: str, kind: Kind | None = "rdf") -> Format | None:
    """The format of a media type (parameters and case ignored; aliases resolved within
    ``kind``: ``application/json`` is JSON-LD among RDF syntaxes), or None."""
    return _lookup(_BY_MEDIA_TYPE, _bare(media_type), kind)


def by_name(name: str, kind: Kind | None = "rdf") -> Format | None:
    """The format of a short name (``ttl``, ``turtle``, ``json-ld``, ``xml``; any case), or
    None. ``xml`` is RDF/XML among RDF syntaxes, SPARQL XML among results."""
    return _lookup(_BY_NAME, name.strip().lower(), kind)


def named(value: str) -> tuple[Format, ...]:
    """Every format ``value`` may name, a short name or a media type, of any kind."""
    return tuple(f for f in FORMATS if f.answers_to(value))


def rdf_input(*, media_type: str | None = None, name: str | None = None,
              path: str | PurePath | None = None) -> Format:
    """The RDF syntax to read, from the first given of a short name (``--format``), a media
    type (``Content-Type``) or a file name. UnsupportedMediaType (415) when it names no
    syntax that is read (N3 among them), listing those that are."""
    accepted = ", ".join(f"{f.name} ({f.media_type})" for f in READABLE_RDF)
    if name:
        fmt, what = by_name(name), f"format {name!r}"
    elif media_type is not None and media_type.strip():
        fmt, what = by_media_type(media_type), repr(_bare(media_type))
    elif path is not None:
        fmt, what = by_suffix(path), f"{PurePath(path).name}: the suffix"
        if fmt is None:
            raise UnsupportedMediaType(f"{what} names no RDF syntax; give the format, one "
                                       f"of: {accepted}")
    else:
        raise UnsupportedMediaType(f"no RDF syntax given (no Content-Type); send one of: "
                                   f"{accepted}")
    if fmt is N3:
        raise UnsupportedMediaType(f"{what}: N3 is not read here (it is not RDF 1.1); send "
                                   f"Turtle, or one of: {accepted}")
    if fmt is None or not fmt.readable:
        raise UnsupportedMediaType(f"cannot read RDF from {what}; send one of: {accepted}")
    return fmt


#: the opening of an RDF/XML document: an XML declaration, a comment or doctype, or an
#: element with a prefixed name (``<rdf:RDF``; an N-Triples IRI ``<http://…>`` is not one)
_XML_START = re.compile(rb"<(\?xml|!|[A-Za-z_][\w.-]*:[A-Za-z_][\w.-]*[\s/>])")
_TERM = rb'(?:<[^>\s]*>|_:\S+|"(?:[^"\\]|\\.)*"(?:@[A-Za-z0-9-]+|\^\^<[^>\s]*>)?)'
#: a line of four terms and a dot: a quad
_QUAD_LINE = re.compile(rb"[ \t]*" + rb"[ \t]+".join([_TERM] * 4) + rb"[ \t]*\.[ \t]*(#.*)?")


def detect(data: bytes) -> Format:
    """The RDF syntax ``data`` is written in, from how it starts (for text pasted with no
    syntax given): JSON-LD (``{`` or ``[``), RDF/XML (an XML opening), N-Quads (its first
    statement is a line of four terms), else TriG, which reads Turtle and N-Triples too."""
    text = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] in (b"{", b"["):
        return JSON_LD
    if _XML_START.match(text):
        return RDF_XML
    first = next((line for line in text.splitlines()
                  if line.strip() and not line.lstrip().startswith(b"#")), b"")
    return N_QUADS if _QUAD_LINE.fullmatch(first) else TRIG
