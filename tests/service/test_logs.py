"""Request logs (service/logs.py): one line per request with method, path, status and
duration, and for a SPARQL request the fingerprint of its text, never the text itself."""

from __future__ import annotations

import logging
import re
from types import SimpleNamespace

import pytest
from alliancegraph.service import logs
from alliancegraph.store.limits import fingerprint

LOGGER = "alliancegraph.service.logs"
PREF_LABEL = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
LABELS = f"SELECT ?label WHERE {{ ?s {PREF_LABEL} ?label }} ORDER BY ?label"
LINE = re.compile(r"method=(?P<method>\S+) path=(?P<path>\S+) status=(?P<status>\d+) "
                  r"duration_ms=(?P<duration>\d+\.\d) query_hash=(?P<hash>\S+)")


def logged(caplog, request) -> dict[str, str]:
    """Make ``request()`` and return the fields of the one line it logged."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=LOGGER):
        request()
    [record] = [r for r in caplog.records if r.name == LOGGER]
    found = LINE.fullmatch(record.getMessage())
    assert found, record.getMessage()
    return found.groupdict()


def test_a_request_is_logged_with_method_path_status_and_no_hash(client, caplog):
    line = logged(caplog, lambda: client.get("/healthz"))
    assert (line["method"], line["path"], line["status"], line["hash"]) == (
        "GET", "/healthz", "200", "-")
    missing = logged(caplog, lambda: client.get("/no/such/page"))
    assert (missing["path"], missing["status"]) == ("/no/such/page", "404")


def test_a_query_is_logged_by_its_fingerprint_not_its_text(client, caplog):
    line = logged(caplog, lambda: client.get("/sparql", query_string={"query": LABELS}))
    assert (line["method"], line["path"], line["status"]) == ("GET", "/sparql", "200")
    assert line["hash"] == fingerprint(LABELS)
    assert "prefLabel" not in str(line) and "SELECT" not in str(line)
    posted = logged(caplog, lambda: client.post("/sparql", data="ASK {}",
                                                content_type="application/sparql-query"))
    assert (posted["method"], posted["hash"]) == ("POST", fingerprint("ASK {}"))


def test_a_failing_query_and_an_update_are_logged_with_their_status_and_fingerprint(
        client, caplog, auth):
    bad = "SELECT ?x WHERE { ?x"
    line = logged(caplog, lambda: client.get("/sparql", query_string={"query": bad}))
    assert (line["status"], line["hash"]) == ("400", fingerprint(bad))
    update = 'INSERT DATA { <http://example.org/s> <http://example.org/p> "secret-value" }'
    written = logged(caplog, lambda: client.post("/sparql", data={"update": update},
                                                 headers=auth))
    assert written["status"] == "204" and written["hash"] == fingerprint(update)
    refused = logged(caplog, lambda: client.post("/sparql", data={"update": update}))
    assert refused["status"] == "401" and refused["hash"] == fingerprint(update)


def test_the_duration_is_the_time_between_request_and_response(client, caplog, monkeypatch):
    ticks = [100.0]  # the request starts at 100 s; every later reading is 250 ms on

    def clock() -> float:
        now = ticks[-1]
        ticks.append(100.25)
        return now

    monkeypatch.setattr(logs, "time", SimpleNamespace(perf_counter=clock))
    line = logged(caplog, lambda: client.get("/healthz"))
    assert line["duration"] == "250.0"


@pytest.fixture
def project_logger():
    """The ``alliancegraph`` logger, restored after the test (configure_logging changes
    it for the whole process, and caplog needs it to propagate)."""
    logger = logging.getLogger("alliancegraph")
    saved = (list(logger.handlers), logger.propagate, logger.level)
    logger.handlers.clear()
    yield logger
    for handler in logger.handlers:
        if handler not in saved[0]:
            handler.close()
    logger.handlers[:], logger.propagate, logger.level = saved


def test_configure_logging_adds_one_handler_once_and_sets_the_level(project_logger):
    logs.configure_logging("warning")
    assert project_logger.level == logging.WARNING
    [handler] = project_logger.handlers
    assert project_logger.propagate is False  # a library's root handler must not log twice
    logs.configure_logging("debug")  # again (a second app in the process): no second handler
    assert project_logger.handlers == [handler]
    assert project_logger.level == logging.DEBUG


def test_the_app_sets_the_level_of_the_setting(app_settings, project_logger):
    from alliancegraph.service import create_app

    create_app({**app_settings, "log_level": "ERROR"})
    assert project_logger.level == logging.ERROR
