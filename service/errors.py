"""One error handler for the whole app.

Project errors (:class:`alliancegraph.errors.AllianceGraphError`) and werkzeug's HTTP
errors (404, 405, 413 …) become JSON for API clients and a small HTML page for browsers,
with the error's own status. Anything else is a bug: Flask logs it with its traceback
(``app.log_exception``, on the ``alliancegraph.service`` logger) and hands it here as an
``InternalServerError``, answered 500 with werkzeug's generic text — never the exception's
message, which may hold paths or data. These handlers are the app's, so they answer for
every blueprint.
"""

from __future__ import annotations

import logging

from alliancegraph.errors import AllianceGraphError, ParseError
from alliancegraph.service.negotiation import parse_accept
from flask import Flask, Response, jsonify, render_template_string, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ status }} {{ title }}</title></head>
<body><h1>{{ status }} {{ title }}</h1><pre>{{ message }}</pre>
{% if spec %}<p>See <a href="{{ spec }}">{{ spec }}</a>.</p>{% endif %}
</body></html>
"""


def wants_html() -> bool:
    """A browser: the client prefers HTML to JSON."""
    accept = parse_accept(request.headers.get("Accept"))
    if accept is None:
        return False
    return accept.best_match(["application/json", "text/html"]) == "text/html"


def error_response(status: int, title: str, message: str, *, spec: str | None = None,
                   extra: dict | None = None) -> Response:
    if wants_html():
        body = render_template_string(_PAGE, status=status, title=title, message=message,
                                      spec=spec)
        response = Response(body, status=status, mimetype="text/html")
    else:
        payload = {"status": status, "error": title, "message": message}
        if spec:
            payload["spec"] = spec
        payload.update(extra or {})
        response = jsonify(payload)
        response.status_code = status
    return response


def handle_project_error(error: AllianceGraphError) -> Response:
    title = type(error).__name__
    if error.status in (502, 504):  # a remote endpoint failed: theirs, not our fault
        log.warning("%s: %s", title, error.message)
    elif error.status >= 500 and error.status != 503:  # 503: a limit, not a fault
        log.error("%s: %s", title, error.message, exc_info=error)
    extra: dict[str, object] = {}
    if isinstance(error, ParseError):  # where, for an editor to mark (the query UI does)
        extra.update({name: value for name in ("line", "column", "reason")
                      if (value := getattr(error, name)) is not None})
    report = getattr(error, "report", None)
    if isinstance(report, str | dict | list):
        extra["report"] = report
    response = error_response(error.status, title, error.message, spec=error.spec, extra=extra)
    response.headers.update(getattr(error, "headers", None) or {})
    return response


def handle_http_error(error: HTTPException) -> Response:
    response = error_response(error.code or 500, error.name, error.description or error.name)
    # keep headers werkzeug sets for the error (Allow on 405, WWW-Authenticate on 401)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(AllianceGraphError, handle_project_error)
    app.register_error_handler(HTTPException, handle_http_error)
