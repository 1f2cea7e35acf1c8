"""Every setting in one place: name, default, type and help text.

Settings come from the defaults below, then an optional TOML file, then environment
variables named ``ALLIANCEGRAPH_<NAME>`` (upper case). Nothing is read at import time:
call :func:`load_settings`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alliancegraph import CANONICAL_BASE
from alliancegraph.errors import ConfigError

ENV_PREFIX = "ALLIANCEGRAPH_"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    type: type
    help: str


def _default_data_dir() -> str:
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(xdg) / "alliancegraph")


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", None, str,
            "Directory of the embedded Oxigraph store. Default: $XDG_DATA_HOME/alliancegraph "
            "(~/.local/share/alliancegraph)."),
    Setting("base_iri", CANONICAL_BASE, str,
            "Base of every IRI the graph mints; the service maps its own paths onto it."),
    Setting("query_timeout", 30.0, float,
            "Seconds a SPARQL query may run before it is stopped (answered 503)."),
    Setting("max_rows", 100_000, int,
            "Most result rows (or triples) one query may return; more is refused with 413."),
    Setting("max_body_bytes", 10 * 1024 * 1024, int,
            "Largest request body accepted, in bytes; more is answered 413."),
    Setting("write_token", None, str,
            "Bearer token that allows writes (SPARQL Update, Graph Store). Unset: read-only."),
    Setting("read_only", False, bool,
            "Refuse every write even when a write token is configured."),
    Setting("log_level", "INFO", str, "Logging level of the service and the CLI."),
    # service (alliancegraph.service)
    Setting("host", "127.0.0.1", str, "Address `alliancegraph serve` listens on."),
    Setting("port", 8000, int, "Port `alliancegraph serve` listens on."),
    Setting("workers", 2, int,
            "gunicorn worker processes of `alliancegraph serve`; each query and validation "
            "runs in a child process the worker can stop."),
    Setting("threads", 4, int,
            "Request threads per worker. Idle and keep-alive connections wait in the "
            "worker's event loop and hold no thread."),
    Setting("client_timeout", 10.0, float,
            "Seconds a client may stay silent while it sends a request or reads an answer; "
            "then the connection is closed."),
    Setting("request_read_timeout", 60.0, float,
            "Seconds a client may take to send a whole request (headers and body); then the "
            "connection is closed (408 when the headers were read)."),
    Setting("keepalive", 5.0, float,
            "Seconds an idle keep-alive connection stays open."),
    Setting("max_memory_mb", 2048, int,
            "Memory, in MiB, that one query, validation or write may add to the process that "
            "runs it; more is stopped and answered 503. At most workers x threads run at once."),
    Setting("public_url", None, str,
            "The URL clients reach this service at (e.g. behind a proxy), used in its own "
            "descriptions. Default: http://<host>:<port>/ ; never taken from the Host header."),
    Setting("auth_failure_limit", "10/minute", str,
            "Failed write authentications allowed per client (count/second|minute|hour); "
            "beyond it 429 with Retry-After. Empty: no limit."),
    Setting("read_rate_limit", None, str,
            "Requests allowed per client for reads (count/second|minute|hour), answered 429 "
            "with Retry-After beyond it. Unset (the default) or empty: no limit."),
    Setting("cors_origins", "*", str,
            "Origins allowed to read cross-site (CORS on read routes), comma-separated; "
            "'*' for any, empty to send no CORS headers."),
    Setting("validate_on_write", True, bool,
            "Validate every write (SPARQL Update, Graph Store) against the SHACL shapes, "
            "incrementally, and refuse violations with 422. Off only for protocol test runs "
            "whose data is not Alliance Graph data."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def _coerce(setting: Setting, value: Any, origin: str) -> Any:
    if value is None or isinstance(value, setting.type):
        return value
    try:
        if setting.type is bool and isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(value)
        return setting.type(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"{origin}: setting {setting.name!r} expects {setting.type.__name__}, got {value!r}"
        ) from exc


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Defaults, then the TOML file, then ``ALLIANCEGRAPH_*`` variables, then overrides."""
    environ = os.environ if environ is None else environ
    values = {s.name: s.default for s in SETTINGS}
    config_file = config_file or environ.get(ENV_PREFIX + "CONFIG")
    if config_file:
        path = Path(config_file)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read config file: {exc}") from exc
        for key, value in data.items():
            if key not in _BY_NAME:
                raise ConfigError(f"{path}: unknown setting {key!r}")
            values[key] = _coerce(_BY_NAME[key], value, str(path))
    for setting in SETTINGS:
        env_name = ENV_PREFIX + setting.name.upper()
        if env_name in environ:
            values[setting.name] = _coerce(setting, environ[env_name], env_name)
    for key, value in (overrides or {}).items():
        if key not in _BY_NAME:
            raise ConfigError(f"unknown setting {key!r}")
        if value is not None:
            values[key] = _coerce(_BY_NAME[key], value, "override")
    if not values["data_dir"]:
        values["data_dir"] = _default_data_dir()
    return values
