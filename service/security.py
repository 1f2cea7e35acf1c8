"""Safe defaults for every request: body size limits (chunked bodies too), the write
token (with a lockout after failed guesses, :mod:`.throttle`), CORS on read routes,
refusing query strings and forms that are not UTF-8, security headers (a
Content-Security-Policy on HTML pages) and the service's public URL (never taken from the
``Host`` header). RDF/XML is checked where it is parsed (:mod:`alliancegraph.store.rdfxml`).

Werkzeug only enforces ``MAX_CONTENT_LENGTH`` when a ``Content-Length`` is sent, so
:func:`limit_body` reads every body itself, with the limit, before any view sees it.
"""

from __future__ import annotations

import hmac
import io
import logging
from typing import IO
from urllib.parse import parse_qsl, urlsplit

from alliancegraph.errors import (
    AllianceGraphError,
    BadRequest,
    ConfigError,
    Forbidden,
    PayloadTooLarge,
)
from alliancegraph.service import throttle
from flask import Flask, Response, current_app, g, request
from flask.wrappers import Request
from gunicorn.http.errors import ParseException as FramingError

log = logging.getLogger(__name__)

_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


class Unauthorized(AllianceGraphError):
    """No or a wrong bearer token for a write (RFC 6750)."""

    status = 401

    def __init__(self, message: str, *, error: str | None = None):
        super().__init__(message)
        challenge = 'Bearer realm="alliancegraph"'
        if error:
            challenge += f', error="{error}"'
        self.headers = {"WWW-Authenticate": challenge}


def limit_body() -> None:
    """Read the request body with the configured limit (413 beyond it) and hand the
    views a buffered copy, whether or not the client sent a Content-Length. A bulk load
    is left to its view, which streams it to disk under ``max_load_bytes``."""
    from alliancegraph.service.graphstore import is_bulk_request  # graphstore imports us

    if is_bulk_request():
        return
    environ = request.environ
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    length_header = environ.get("CONTENT_LENGTH") or ""
    if request.method not in _BODY_METHODS or not (chunked or length_header):
        return
    limit = current_app.config["MAX_BODY_BYTES"]
    if length_header and not chunked:
        try:
            length = int(length_header)
        except ValueError as exc:
            raise BadRequest(f"bad Content-Length header: {length_header!r}") from exc
        if length > limit:
            raise _too_large(limit)
    # never read past a Content-Length (PEP 3333); a chunked body is read to its end
    expected = None if chunked else length
    data = _read_body(environ["wsgi.input"], limit, expected)
    if expected is not None and len(data) != expected:
        raise BadRequest(f"the body has {len(data)} bytes, not the {length} its "
                         "Content-Length announced")
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input_terminated"] = True


def refuse_bad_utf8() -> None:
    """Refuse a query string or a form body that is not UTF-8 (400). Werkzeug would decode
    it with replacement characters, so a query would run with text the client never sent."""
    _check_utf8(request.query_string, "the query string")
    if request.mimetype == "application/x-www-form-urlencoded":
        _check_utf8(request.get_data(cache=True), "the form body")


def _check_utf8(raw: bytes, where: str) -> None:
    try:
        parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"{where} is not valid UTF-8 (after percent-decoding): "
                         f"{exc.reason} at byte {exc.start}") from None


class RequestTimeout(AllianceGraphError):
    """The client did not send its request in time (setting client_timeout)."""

    status = 408


def _read_body(stream: io.RawIOBase, limit: int, length: int | None) -> bytes:
    """The whole body (``length`` bytes, or to the end of a chunked one), or a clear
    400/408/413 when the client's framing or pace is wrong: the server's framing errors
    (a bad chunk size, a body cut short) are the client's."""
    try:
        return _read_limited(stream, limit) if length is None else _read_exactly(stream, length)
    except TimeoutError as exc:
        raise RequestTimeout("the request body did not arrive in time (settings "
                             "client_timeout and request_read_timeout)") from exc
    except (FramingError, OSError, ValueError) as exc:
        framing = "body" if length is not None else "chunked transfer coding"
        raise BadRequest(f"the request's {framing} is malformed or cut short: "
                         f"{type(exc).__name__}") from exc


def _read_limited(stream: io.RawIOBase, limit: int) -> bytes:
    """At most ``limit`` bytes; 413 when the stream holds more."""
    chunks, size = [], 0
    while True:
        chunk = stream.read(min(64 * 1024, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)


def _read_exactly(stream: io.RawIOBase, length: int) -> bytes:
    """Up to ``length`` bytes (fewer when the client closes early)."""
    chunks, size = [], 0
    while size < length:
        chunk = stream.read(min(64 * 1024, length - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body is larger than the limit of {limit} bytes "
                           "(setting max_body_bytes)")


def require_write_token() -> None:
    """Allow a write only with the configured token as ``Authorization: Bearer …``.

    No token configured (or ``read_only``): 403, the service is read-only. Missing or
    wrong token: 401 with a ``WWW-Authenticate`` challenge. After ``auth_failure_limit``
    such 401s from one client address, 429 with ``Retry-After`` for its writes (the right
    token too) until the oldest failure leaves the window.
    """
    token = current_app.config.get("WRITE_TOKEN")
    if current_app.config.get("READ_ONLY") or not token:
        raise Forbidden("this service is read-only: writes need a configured write_token "
                        "(ALLIANCEGRAPH_WRITE_TOKEN) and read_only off")
    # a client with too many recent failures is refused before its token is even looked at
    throttle.check_write_lockout()
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        throttle.record_auth_failure()
        raise Unauthorized("writes need the write token as 'Authorization: Bearer <token>'")
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        throttle.record_auth_failure()
        raise Unauthorized("the bearer token is not the write token", error="invalid_token")


def no_content(status: int = 204) -> Response:
    """An answer without a body (204, or 201 for a created graph), so no Content-Type."""
    response = Response(status=status)
    del response.headers["Content-Type"]
    return response


def mark_cors_read() -> None:
    """Let a view say that this POST is a read (a SPARQL query), so CORS applies and it
    counts towards ``read_rate_limit`` (GET, HEAD and OPTIONS are counted before the view)."""
    g.cors_read = True
    if request.method not in _READ_METHODS:
        throttle.limit_read()


def add_cors_headers(response: Response) -> Response:
    origins = [o.strip() for o in (current_app.config.get("CORS_ORIGINS") or "").split(",")
               if o.strip()]
    if not origins or not (request.method in _READ_METHODS or g.get("cors_read")):
        return response
    origin = request.headers.get("Origin")
    if "*" in origins:
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif origin in origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.vary.add("Origin")
    else:
        return response
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, OPTIONS"
        # If-None-Match: a page may revalidate what it holds (304), as same-site clients do
        response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type, If-None-Match"
        response.headers["Access-Control-Max-Age"] = "86400"
    response.headers["Access-Control-Expose-Headers"] = (
        "Content-Type, Link, Location, ETag, Last-Modified, Content-Range, Retry-After")
    return response


# --- the public URL ------------------------------------------------------------------

def public_url() -> str:
    """The URL clients reach the service at, with a trailing slash: setting ``public_url``,
    else ``http://<host>:<port>/``. Never built from the request: the ``Host`` header is
    the client's to choose, and descriptions of the service must not repeat it."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return configured.rstrip("/") + "/"
    host = str(current_app.config["HOST"])
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address is bracketed in a URL
    return f"http://{host}:{current_app.config['PORT']}/"


def _check_public_url(app: Flask) -> None:
    configured = app.config.get("PUBLIC_URL")
    if not configured:
        return
    parts = urlsplit(configured)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or \
            parts.fragment or any(c in configured for c in ' <>"{}|\\^`'):
        raise ConfigError(f"setting public_url: {configured!r} is not an http(s) URL without "
                          "query or fragment")


# --- security headers -------------------------------------------------------------------

#: The policy of HTML pages: only what the bundled pages use. Scripts are same-origin files
#: (YASGUI and the UI's own script; the pages have no inline script). Styles need
#: 'unsafe-inline': YASGUI/CodeMirror/DataTables write style attributes into markup, and the
#: pyLODE ontology page has a <style> block; injected CSS can deface a page but cannot run
#: code. data: images: CodeMirror's drag image and the pyLODE page's icons. connect-src:
#: YASGUI queries this service only.
CSP_HTML = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")
#: Anything else (JSON, RDF, files) is never meant to be a page: if a browser renders one
#: (XML, SVG), it may load and run nothing.
CSP_OTHER = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


def add_security_headers(response: Response) -> Response:
    """Headers for every response (a view's own values are kept)."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for older browsers
    headers.setdefault("Referrer-Policy", "no-referrer")
    if response.mimetype in ("text/html", "application/xhtml+xml"):
        headers.setdefault("Content-Security-Policy", CSP_HTML)
    else:
        headers.setdefault("Content-Security-Policy", CSP_OTHER)
    return response


class ClosingRequest(Request):
    """A request that closes every file its multipart parser opened, the file of a part
    that the end of the body cut off too: werkzeug leaves that one open until the garbage
    collector finds it (found by bench/fuzz.py)."""

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None, content_length: int | None = None
                         ) -> IO[bytes]:
        stream = super()._get_file_stream(total_content_length, content_type, filename,
                                          content_length)
        self.__dict__.setdefault("_opened_files", []).append(stream)
        return stream

    def close(self) -> None:
        try:
            super().close()
        finally:
            for stream in self.__dict__.pop("_opened_files", ()):
                stream.close()


def init_app(app: Flask) -> None:
    app.request_class = ClosingRequest
    _check_public_url(app)
    app.before_request(limit_body)
    app.before_request(refuse_bad_utf8)
    app.after_request(add_cors_headers)
    app.after_request(add_security_headers)
