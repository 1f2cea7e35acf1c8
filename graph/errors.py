"""One family of project errors, each with a message and an HTTP status.

The library raises these; the service turns them into HTTP answers and the CLI into
exit codes. Nothing here imports Flask.
"""

from __future__ import annotations


class AllianceGraphError(Exception):
    """Base class: a problem the user can act on."""

    status: int = 500
    spec: str | None = None

    def __init__(self, message: str, *, status: int | None = None, spec: str | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if spec is not None:
            self.spec = spec


class ConfigError(AllianceGraphError):
    """A setting is missing, unknown or has a bad value."""

    status = 500


class BadRequest(AllianceGraphError):
    """The request or input is malformed (syntax error, bad parameter)."""

    status = 400


class ParseError(BadRequest):
    """RDF or SPARQL text that does not parse; carries where it failed."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ):
        where = ":".join(str(x) for x in (source, line, column) if x is not None)
        super().__init__(f"{where}: {message}" if where else message)
        self.source, self.line, self.column = source, line, column


class Forbidden(AllianceGraphError):
    """The operation is refused by policy (remote IRI, file access, read-only)."""

    status = 403


class NotFound(AllianceGraphError):
    status = 404


class NotAcceptable(AllianceGraphError):
    status = 406


class PayloadTooLarge(AllianceGraphError):
    status = 413


class UnsupportedMediaType(AllianceGraphError):
    status = 415


class ValidationFailed(AllianceGraphError):
    """A write would leave the graph violating the shapes; carries the report."""

    status = 422

    def __init__(self, message: str, *, report: object | None = None):
        super().__init__(message)
        self.report = report


class QueryTimeout(AllianceGraphError):
    """A query ran over the configured time limit and was stopped."""

    status = 503


class ResultTooLarge(AllianceGraphError):
    """A result has more rows than the configured limit allows."""

    status = 413


class StoreUnavailable(AllianceGraphError):
    status = 503


class MemoryLimitExceeded(AllianceGraphError):
    """A query, validation or write needed more memory than the configured cap and was
    stopped; the service keeps serving."""

    status = 503


class EngineFailure(AllianceGraphError):
    """The engine crashed while evaluating this request (not the store being down): the
    process that ran it ended abnormally; the store is unaffected."""

    status = 500


class InternalError(AllianceGraphError):
    """A bug: logged with its traceback, answered without internals."""

    status = 500
