"""Safe defaults for every request: body size limits (chunked bodies too), the write
token, CORS on read routes, and refusing XML document type declarations.

Werkzeug only enforces ``MAX_CONTENT_LENGTH`` when a ``Content-Length`` is sent, so
:func:`limit_body` reads every body itself, with the limit, before any view sees it.
"""

from __future__ import annotations

import hmac
import io
import re

from alliancegraph.errors import AllianceGraphError, BadRequest, Forbidden, PayloadTooLarge
from flask import Flask, Response, current_app, g, request

_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_READ_METHODS = {"GET", "HEAD", "OPTIONS"}
#: a document type declaration; it is where XML entities (and their expansion) come from
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


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
    views a buffered copy, whether or not the client sent a Content-Length."""
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
        data = environ["wsgi.input"].read(length)
    else:
        data = _read_limited(environ["wsgi.input"], limit)
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input_terminated"] = True


def _read_limited(stream: io.RawIOBase, limit: int) -> bytes:
    chunks, size = [], 0
    while True:
        chunk = stream.read(min(64 * 1024, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body is larger than the limit of {limit} bytes "
                           "(setting max_body_bytes)")


def require_write_token() -> None:
    """Allow a write only with the configured token as ``Authorization: Bearer …``.

    No token configured (or ``read_only``): 403, the service is read-only. Missing or
    wrong token: 401 with a ``WWW-Authenticate`` challenge.
    """
    token = current_app.config.get("WRITE_TOKEN")
    if current_app.config.get("READ_ONLY") or not token:
        raise Forbidden("this service is read-only: writes need a configured write_token "
                        "(ALLIANCEGRAPH_WRITE_TOKEN) and read_only off")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise Unauthorized("writes need the write token as 'Authorization: Bearer <token>'")
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Unauthorized("the bearer token is not the write token", error="invalid_token")


def refuse_doctype(data: bytes, *, what: str = "the request body") -> None:
    """Refuse XML with a document type declaration before any parser sees it: some
    parsers expand entities eagerly and a few hundred bytes can exhaust memory."""
    # a declaration in UTF-16 (or with NULs between the bytes) would hide from the search
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:64]:
        raise BadRequest(f"{what}: XML must be UTF-8 encoded")
    if _DOCTYPE.search(data):
        raise BadRequest(f"{what}: XML with a DOCTYPE or ENTITY declaration is refused "
                         "(entity expansion is unsafe)")


def no_content(status: int = 204) -> Response:
    """An answer without a body (204, or 201 for a created graph), so no Content-Type."""
    response = Response(status=status)
    del response.headers["Content-Type"]
    return response


def mark_cors_read() -> None:
    """Let a view say that this POST is a read (a SPARQL query), so CORS applies."""
    g.cors_read = True


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
        response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
        response.headers["Access-Control-Max-Age"] = "86400"
    response.headers["Access-Control-Expose-Headers"] = "Content-Type, Link, Location"
    return response


def init_app(app: Flask) -> None:
    app.before_request(limit_body)
    app.after_request(add_cors_headers)
