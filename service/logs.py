"""Structured request logs: one line per request with method, path, status, duration
and, for SPARQL requests, a hash of the query text (never the text itself)."""

from __future__ import annotations

import logging
import time

from alliancegraph.store.limits import fingerprint
from flask import Flask, Response, g, request

log = logging.getLogger(__name__)


#: the fingerprint the store logs too, so a request's line and an engine failure match
query_hash = fingerprint


def configure_logging(level: str) -> None:
    """Configure the ``alliancegraph`` loggers once (the ``serve`` command calls this)."""
    logger = logging.getLogger("alliancegraph")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        logger.addHandler(handler)
        # libraries may configure the root logger (pyLODE does): do not log twice
        logger.propagate = False
    logger.setLevel(level.upper())


def _start() -> None:
    g.started = time.perf_counter()


def _log(response: Response) -> Response:
    duration_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    log.info("method=%s path=%s status=%d duration_ms=%.1f query_hash=%s",
             request.method, request.path, response.status_code, duration_ms,
             g.get("query_hash", "-"))
    return response


def init_app(app: Flask) -> None:
    logging.getLogger("alliancegraph").setLevel(app.config["LOG_LEVEL"].upper())
    app.before_request(_start)
    app.after_request(_log)
