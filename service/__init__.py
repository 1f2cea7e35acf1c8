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
    "alliancegraph.service.linkeddata",
    "alliancegraph.service.pages",
    "alliancegraph.service.ui",
    "alliancegraph.service.openapi",
)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application.

    ``test_config`` overrides settings by their ``SETTINGS`` names (``data_dir``,
    ``write_token`` …); keys that are not settings (``TESTING``, ``store``) go to
    ``app.config`` as given — ``store`` replaces the store the app would open.
    """
    test_config = dict(test_config or {})
    setting_names = {s.name for s in SETTINGS}
    overrides = {k: v for k, v in test_config.items() if k in setting_names}
    extra = {k: v for k, v in test_config.items() if k not in setting_names}
    settings = load_settings(test_config.pop("config_file", None), overrides=overrides)
    extra.pop("config_file", None)

    app = Flask(__name__)
    app.config.from_mapping({name.upper(): value for name, value in settings.items()})
    app.config.update(
        DEBUG=False,  # never: the interactive debugger must not be reachable
        MAX_CONTENT_LENGTH=settings["max_body_bytes"],
        JSON_SORT_KEYS=False,
    )
    app.config.update({k.upper() if k != "store" else "STORE": v for k, v in extra.items()})

    from alliancegraph.service import errors, logs, resources, security

    logs.init_app(app)
    resources.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    for module_name in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(module_name).bp)
    return app
