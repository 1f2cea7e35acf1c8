"""Content negotiation, in one place: which format of the table
(:mod:`alliancegraph.store.formats`) answers a request.

:func:`negotiate` is the one negotiator. Given what an answer can be written as (``offers``,
server preference first), it reads

1. the format parameters clients send (``format``, ``output``, ``results``; a short name or
   a media type): the first value naming an offered format wins. A value naming a known
   format that cannot serve this answer (SPARQLWrapper sends ``csv`` or ``xml`` whatever
   the query) is passed over for the next value and then for ``Accept``; values naming no
   format at all are a 406;
2. ``Accept`` (werkzeug's parser, media-type parameters other than ``q`` ignored).

**The tie rule**: the offer with the highest q wins; on equal q, the one the client named
most specifically (its media type or an alias, then ``type/*``, then ``*/*``); then the
server's order. No ``Accept`` at all means ``*/*``. Nothing acceptable is a 406 naming what
is available.

Pages take part like any format: :data:`HTML` among the offers. Where it is placed decides
who gets it by default: first for entity documents (no ``Accept`` and ``*/*`` get the
page), last for the SPARQL endpoint, the shapes and the VoID (curl gets RDF, a browser —
``text/html`` above ``application/xml;q=0.9`` — the page): :func:`wants_page`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from alliancegraph.errors import NotAcceptable
from alliancegraph.store import formats
from alliancegraph.store.formats import Format
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

__all__ = ["FORMAT_PARAMETERS", "alternates", "format_values", "link_header", "negotiate",
           "parse_accept", "wants_page"]

#: Request parameters that name a format, as the usual clients and endpoints spell them:
#: ``format`` (Virtuoso), ``output`` (Joseki, Fuseki), ``results`` (Rasqal). SPARQLWrapper
#: sends all three on every query, with its return format's short name (``xml`` by
#: default, whatever the query form) and, for some, a media type as a second value.
FORMAT_PARAMETERS = ("format", "output", "results")


class Params(Protocol):
    """Request parameters (werkzeug's ``MultiDict``: ``request.args``, ``request.values``)."""

    def getlist(self, key: str) -> list[str]: ...


def format_values(params: Params | None) -> list[str]:
    """The values of the format parameters of a request, in :data:`FORMAT_PARAMETERS`
    order (empty ones dropped)."""
    if params is None:
        return []
    return [v for name in FORMAT_PARAMETERS for v in params.getlist(name) if v.strip()]


def parse_accept(header: str | None) -> MIMEAccept | None:
    """werkzeug's parse of ``Accept`` with media-type parameters other than ``q`` dropped
    (``text/turtle; charset=utf-8`` must still match ``text/turtle``). ``None`` when the
    client sent no Accept header, which means it takes anything."""
    if header is None or not header.strip():
        return None
    parsed = parse_accept_header(header, MIMEAccept)
    return MIMEAccept([(value.split(";")[0].strip().lower(), q) for value, q in parsed])


def _rank(accept: MIMEAccept | None, fmt: Format) -> tuple[float, int]:
    """(q, specificity) of the most specific Accept entries matching ``fmt``: 2 its media
    type or an alias, 1 ``type/*``, 0 ``*/*``; q 0 when none matches. The most specific
    entry decides: ``text/turtle;q=0, */*`` refuses Turtle although ``*/*`` matches it."""
    if accept is None:
        return 1.0, 0
    levels = (
        set(fmt.media_types),
        {f"{m.partition('/')[0]}/*" for m in fmt.media_types},
        {"*/*", "*"},
    )
    for specificity, patterns in zip((2, 1, 0), levels, strict=True):
        matched = [q for value, q in accept if value in patterns]
        if matched:
            return max(matched), specificity
    return 0.0, 0


def _best(accept: MIMEAccept | None, offers: Sequence[Format]) -> Format | None:
    """The tie rule: highest q, then most specific, then the earliest offer."""
    best: tuple[tuple[float, int], Format] | None = None
    for fmt in offers:
        rank = _rank(accept, fmt)
        if rank[0] > 0 and (best is None or rank > best[0]):
            best = (rank, fmt)
    return best[1] if best else None


def negotiate(
    accept_header: str | None,
    offers: Sequence[Format],
    *,
    params: Params | None = None,
    format_param: str | None = None,
    what: str = "this answer",
) -> Format:
    """The format to answer in, from ``offers`` (server preference first): the format
    parameters (read from ``params``, or the one value ``format_param``), then
    ``accept_header``, by the tie rule of this module. Raises :class:`NotAcceptable` (406)
    when the parameters name no format at all, or nothing offered is acceptable."""
    available = ", ".join(f.media_type for f in offers)
    hints = [format_param] if format_param else format_values(params)
    named = [formats.named(value) for value in hints]
    for value in hints:
        for fmt in offers:
            if fmt.answers_to(value):
                return fmt
    if hints and not any(named):
        names = sorted({n for f in offers for n in f.all_names})
        raise NotAcceptable(f"format={hints[0]!r} names no format; for {what} use one of: "
                            f"{available}, or a name: {', '.join(names)}")
    accept = parse_accept(accept_header)
    chosen = _best(accept, offers)
    if chosen is None:
        asked = f"format={hints[0]!r} and " if hints else ""
        n3 = (" (N3 is not written here: a Turtle document is an N3 document, ask for "
              "text/turtle)" if formats.N3 in {f for found in named for f in found}
              or _rank(accept, formats.N3)[1] == 2 else "")
        raise NotAcceptable(
            f"none of {asked}the acceptable media types ({accept_header}) can be produced "
            f"for {what}; available: {available}{n3}")
    return chosen


def wants_page(params: Params | None, accept_header: str | None,
               offers: Sequence[Format], page: Format = formats.HTML) -> bool:
    """Whether to answer ``page`` rather than one of ``offers`` (the page-or-RDF choice):
    a format parameter naming the page, or, with no format parameter, the negotiation over
    the offers followed by the page choosing the page. A browser (``text/html`` above
    ``application/xml;q=0.9``) gets it; ``*/*`` (curl), no Accept, and a tie do not. No
    406 here: the caller negotiates the RDF answer itself."""
    hints = format_values(params)
    if hints:
        return page.answers_to(hints[0])
    return _best(parse_accept(accept_header), (*offers, page)) is page


def alternates(offers: Sequence[Format],
               url_for_format: Callable[[Format], str]) -> list[dict[str, str]]:
    """The RDF documents a page links to: ``{name, title, media_type, href}`` per format."""
    return [{"name": f.name, "title": f.title, "media_type": f.media_type,
             "href": url_for_format(f)} for f in offers]


def link_header(links: Iterable[dict[str, str]]) -> str:
    """The ``Link`` header value naming ``links`` (``href``, ``media_type``) as alternates."""
    return ", ".join(f'<{a["href"]}>; rel="alternate"; type="{a["media_type"]}"' for a in links)
