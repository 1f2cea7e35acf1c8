"""Every setting in one place: name, default, type and help text.

Settings come from the defaults below, then an optional TOML file, then environment
variables named ``ALLIANCEGRAPH_<NAME>`` (upper case). Nothing is read at import time:
call :func:`load_settings`.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import NoneType
from typing import Any, get_args, get_type_hints

from alliancegraph import CANONICAL_BASE
from alliancegraph.errors import ConfigError

ENV_PREFIX = "ALLIANCEGRAPH_"


@dataclass(frozen=True)
class Setting:
    """One row of the settings table: what the README lists and the loader checks."""

    name: str
    default: Any
    type: type
    help: str


def setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


def _default_data_dir(environ: Mapping[str, str]) -> str:
    xdg = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(xdg) / "alliancegraph")


@dataclass(frozen=True)
class Settings:
    """The settings of one run, typed, each with its default and help text; built by
    :func:`load_settings`. ``settings.replace(name=value)`` gives a changed copy."""

    data_dir: str = setting(
        None,
        'Directory of the embedded Oxigraph store. Default: '
        '$XDG_DATA_HOME/alliancegraph (~/.local/share/alliancegraph).')
    base_iri: str = setting(
        CANONICAL_BASE,
        'Base of every IRI the graph mints; the service maps its own paths onto it.')
    query_timeout: float = setting(
        30.0,
        'Seconds a SPARQL query may run before it is stopped (answered 503).')
    max_rows: int = setting(
        100_000,
        'Most result rows (or triples) one query may return; more is refused with 413.')
    max_body_bytes: int = setting(
        10 * 1024 * 1024,
        'Largest request body accepted, in bytes; more is answered 413.')
    max_load_bytes: int = setting(
        1024 * 1024 * 1024,
        'Largest bulk load accepted over HTTP (a dataset POST to the Graph Store with the '
        'write token), in bytes; streamed to a temporary file, never held in memory.')
    write_token: str | None = setting(
        None,
        'Bearer token that allows writes (SPARQL Update, Graph Store). Unset: '
        'read-only.')
    read_only: bool = setting(
        False,
        'Refuse every write even when a write token is configured.')
    log_level: str = setting(
        "INFO",
        'Logging level of the service and the CLI.')
    store: str = setting(
        "embedded",
        "Backend: 'embedded' (Oxigraph on disk in data_dir), 'memory' (nothing kept "
        "after the process ends; tests and trials) or 'remote' (a SPARQL 1.1 server at "
        'remote_query_url and remote_update_url).')
    remote_query_url: str | None = setting(
        None,
        "SPARQL query endpoint of the remote store (store = 'remote').")
    remote_update_url: str | None = setting(
        None,
        "SPARQL update endpoint of the remote store (store = 'remote').")
    remote_graph_store_url: str | None = setting(
        None,
        'Graph Store endpoint of the remote store (optional): whole graphs and bulk loads go '
        'through it when set, otherwise through SPARQL.')
    remote_user: str | None = setting(
        None,
        'User name for HTTP basic authentication to the remote store.')
    remote_password: str | None = setting(
        None,
        'Password for HTTP basic authentication to the remote store.')
    remote_token: str | None = setting(
        None,
        'Bearer token sent to the remote store (instead of basic authentication).')
    remote_dialect: str = setting(
        "standard",
        "How the remote store deviates from the standard: 'standard' (Oxigraph server, "
        "Fuseki, GraphDB, QLever, Neptune) or 'virtuoso' (Virtuoso's dialect, see the "
        "README's 'Running at scale').")
    remote_write_lease: float = setting(
        0.0,
        'Seconds a service instance may hold the remote store\'s write lock before other '
        'instances may break it (a crashed writer); 0: twice write_timeout.')
    remote_timeout: float = setting(
        30.0,
        'Seconds the service waits for the remote store to answer a query (then 503; '
        'whether the server stops the query is up to the server).')
    store_readers: int = setting(
        2,
        'Reader processes of the embedded store per service worker; each keeps the '
        'store open and answers one query at a time. A query over its time limit ends '
        'its process, which is replaced.')
    write_timeout: float = setting(
        600.0,
        'Seconds a write (or a build) may wait for the writer and run; then 503.')
    validation_timeout: float = setting(
        120.0,
        'Seconds validation on write (or a dry run) may take before the write is '
        'refused with 503; the store is unchanged.')
    union_default_graph: bool = setting(
        True,
        'A query without FROM or protocol dataset sees the union of all graphs as its '
        'default graph. Off: the plain SPARQL dataset (the W3C test runs).')
    text_index: bool = setting(
        True,
        'Search through a full-text index (SQLite FTS5, trigrams) kept in '
        '<data_dir>/search/ and rebuilt after each write; off: every search scans the '
        "store's literals (CONTAINS).")
    host: str = setting(
        "127.0.0.1",
        'Address `alliancegraph serve` listens on.')
    port: int = setting(
        8000,
        'Port `alliancegraph serve` listens on.')
    workers: int = setting(
        2,
        'gunicorn worker processes of `alliancegraph serve`; each query and validation '
        'runs in a child process the worker can stop.')
    threads: int = setting(
        4,
        'Request threads per worker. Idle and keep-alive connections wait in the '
        "worker's event loop and hold no thread.")
    client_timeout: float = setting(
        10.0,
        'Seconds a client may stay silent while it sends a request or reads an answer; '
        'then the connection is closed.')
    request_read_timeout: float = setting(
        60.0,
        'Seconds a client may take to send a whole request (headers and body); then the '
        'connection is closed (408 when the headers were read).')
    keepalive: float = setting(
        5.0,
        'Seconds an idle keep-alive connection stays open.')
    max_memory_mb: int = setting(
        2048,
        'Memory, in MiB, that one query, validation or write may add to the process '
        'that runs it; more is stopped and answered 503. At most workers x threads run '
        'at once.')
    public_url: str | None = setting(
        None,
        'The URL clients reach this service at (e.g. behind a proxy), used in its own '
        'descriptions. Default: http://<host>:<port>/ ; never taken from the Host '
        'header.')
    auth_failure_limit: str | None = setting(
        "10/minute",
        'Failed write authentications allowed per client (count/second|minute|hour); '
        'beyond it 429 with Retry-After. Empty: no limit.')
    read_rate_limit: str | None = setting(
        None,
        'Requests allowed per client for reads (count/second|minute|hour), answered 429 '
        'with Retry-After beyond it. Unset (the default) or empty: no limit.')
    cors_origins: str | None = setting(
        "*",
        "Origins allowed to read cross-site (CORS on read routes), comma-separated; '*' "
        'for any, empty to send no CORS headers.')
    validate_on_write: bool = setting(
        True,
        'Validate every write (SPARQL Update, Graph Store) against the SHACL shapes, '
        'incrementally, and refuse violations with 422. Off only for protocol test runs '
        'whose data is not Alliance Graph data.')
    blank_node_depth: int = setting(
        4,
        "How deep an entity's description follows chains of blank nodes.")
    referenced_by_limit: int = setting(
        1000,
        "Most 'referenced by' statements an entity's description lists; the rest are "
        'counted and linked to a query.')
    cache_max_entries: int = setting(
        512,
        'Answers each service worker keeps for the current store generation (pages, '
        'descriptions, repeated queries); 0 keeps none.')
    cache_max_bytes: int = setting(
        64 * 1024 * 1024,
        'Bytes of answers each service worker keeps; one answer over a sixteenth of it is '
        'never kept.')

    federation_endpoints: str = setting(
        "https://query.wikidata.org/sparql https://dbpedia.org/sparql",
        'SPARQL endpoints a query may call with SERVICE, space-separated (exact IRIs); LOAD '
        'may read an IRI that starts with one of them. Empty: no outbound request at all.')
    federation_timeout: float = setting(
        10.0,
        'Seconds one SERVICE call or LOAD may take, connecting and reading.')
    federation_max_rows: int = setting(
        10000,
        'Most rows one SERVICE call may bring back; more is an error (502), never truncated.')
    wikidata_endpoint: str = setting(
        "https://query.wikidata.org/sparql",
        'The SPARQL endpoint `alliancegraph link --target wikidata` and `enrich` query.')
    dbpedia_endpoint: str = setting(
        "https://dbpedia.org/sparql",
        'The SPARQL endpoint `alliancegraph link --target dbpedia` queries.')
    link_cache_dir: str | None = setting(
        None,
        'Where link discovery and enrichment keep the answers of remote endpoints, so a '
        're-run repeats no request (default: `<data_dir>/link-cache`).')

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _table() -> tuple[Setting, ...]:
    hints = get_type_hints(Settings)
    rows = []
    for f in fields(Settings):
        kind = next(t for t in get_args(hints[f.name]) or (hints[f.name],) if t is not NoneType)
        rows.append(Setting(f.name, f.default, kind, f.metadata["help"]))
    return tuple(rows)


#: every setting: name, default, type and help text (the README's settings table)
SETTINGS: tuple[Setting, ...] = _table()
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
) -> Settings:
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
        values["data_dir"] = _default_data_dir(environ)
    return Settings(**values)
