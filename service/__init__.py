"""The Flask tier: SPARQL protocol, graph store, linked-data pages, validation.

:func:`create_app` is the application factory. Settings come from
:mod:`alliancegraph.config` (defaults, then a TOML file, then ``ALLIANCEGRAPH_*``
variables, then ``test_config``) and land in ``app.config`` under their upper-case
names (``app.config["BASE_IRI"]``, ``app.config["WRITE_TOKEN"]`` …).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from alliancegraph.config import SETTINGS, load_settings
from flask import Flask

#: One blueprint per concern, registered in this order. Each module exposes ``bp``.
#: To add a blueprint, add its module here (one line) — nothing else in the factory changes.
BLUEPRINTS: tuple[str, ...] = (
    "alliancegraph.service.health",
    "alliancegraph.service.sparql",
    "alliancegraph.service.graphstore",
    "alliancegraph.service.describe",
    "alliancegraph.service.search",
    "alliancegraph.service.network",
    "alliancegraph.service.cite",
    "alliancegraph.service.linkeddata",
    "alliancegraph.service.pages",
    "alliancegraph.service.ui",
    "alliancegraph.service.openapi",
    "alliancegraph.service.validation",
    "alliancegraph.service.timeline",
    "alliancegraph.service.citations",
)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application.

    Settings: defaults, then the TOML file (``config_file`` here or
    ``ALLIANCEGRAPH_CONFIG``), then ``ALLIANCEGRAPH_*`` variables, then ``test_config``
    by setting name (``data_dir``, ``write_token`` …; ``None`` leaves a setting as it is).
    Other ``test_config`` keys go to ``app.config`` upper-cased (``TESTING``; ``STORE``, a
    :class:`alliancegraph.store.Store`, replaces the store the app would open — ``store``
    is the setting that names the backend). Nothing is opened here: the store is opened
    on first use (:mod:`.resources`); answers that only change with a write are cached
    per store generation (:mod:`.cache`).
    """
    given = dict(test_config or {})
    config_file = given.pop("config_file", None)
    names = {s.name for s in SETTINGS}
    settings = load_settings(config_file,
                             overrides={k: v for k, v in given.items() if k in names})

    app = Flask(__name__)
    app.config.from_mapping({name.upper(): value for name, value in settings.as_dict().items()})
    app.config["SETTINGS"] = settings  # the typed object; the upper-case keys mirror it
    # ... except the backend's name: app.config["STORE"] is a given Store (tests) or nothing
    del app.config["STORE"]
    app.config.update({k.upper(): v for k, v in given.items() if k not in names})
    app.config.update(
        DEBUG=False,  # never, whatever the caller says: the debugger must not be reachable
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        # a form field (a query or update posted as a form) may be as large as a body
        MAX_FORM_MEMORY_SIZE=settings.max_body_bytes,
    )

    from alliancegraph.service import cache, errors, logs, resources, security, throttle

    logs.init_app(app)
    resources.init_app(app)
    cache.init_app(app)
    throttle.init_app(app)  # before security: a throttled read is refused first
    security.init_app(app)
    errors.init_app(app)
    for module_name in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(module_name).bp)
    return app
