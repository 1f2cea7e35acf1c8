"""Liveness and readiness: ``/healthz`` (the process answers) and ``/readyz`` (the store
opens and holds the graph)."""

from __future__ import annotations

from alliancegraph.errors import AllianceGraphError, StoreUnavailable
from alliancegraph.service.resources import get_store
from flask import Blueprint, jsonify

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    try:
        triples = get_store().count()
    except AllianceGraphError as exc:
        raise StoreUnavailable(f"the store is not ready: {exc.message}") from exc
    except OSError as exc:
        raise StoreUnavailable(f"the store cannot be opened: {exc}") from exc
    if triples == 0:
        raise StoreUnavailable("the store is open but holds no graph (run `alliancegraph build`)")
    return jsonify(status="ready", quads=triples)
