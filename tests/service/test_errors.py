"""The one error handler of the app (service/errors.py): project errors and werkzeug's
HTTP errors answered with their status, as JSON for API clients and a page for browsers;
anything else logged with its traceback and answered as a generic 500."""

from __future__ import annotations

import logging

import pytest
from alliancegraph.errors import RemoteServiceError, RemoteServiceTimeout
from alliancegraph.service import create_app

BROWSER = "text/html,application/xml;q=0.9,*/*;q=0.8"


class BrokenStore:
    """Every store call fails with an error whose text must not reach a client."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise RuntimeError("bug near /srv/secret/oxigraph/000123.sst")
        return fail


@pytest.mark.parametrize("path", [
    "/sparql?query=ASK%7B%7D", "/sparql", "/rdf-graph-store?default", "/.well-known/void",
    "/", "/readyz", "/id/state/japan.ttl", "/ontology.ttl", "/dumps/alliancegraph.nq",
])
def test_an_unexpected_error_is_logged_and_answered_as_a_generic_500(tmp_path, caplog, path):
    """Whatever blueprint it happens in: the traceback goes to the log, and the client gets
    500 without the exception's text."""
    app = create_app({"data_dir": str(tmp_path), "STORE": BrokenStore()})  # not TESTING
    with caplog.at_level(logging.ERROR, logger="alliancegraph"):
        response = app.test_client().get(path, headers={"Accept": "application/json"})
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert response.get_json()["error"] == "Internal Server Error"
    assert "secret" not in body and "RuntimeError" not in body and "Traceback" not in body
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    assert logged, "the exception must be logged with its traceback"


class FailingRemoteStore:
    """Every query fails as an allow-listed remote endpoint would (SERVICE, LOAD)."""

    def __init__(self, error):
        self.error = error

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise self.error
        return fail


@pytest.mark.parametrize("error", [
    RemoteServiceError("SERVICE <https://query.wikidata.org/sparql> answered 500"),
    RemoteServiceTimeout("SERVICE <https://query.wikidata.org/sparql> did not answer in 10 s"),
])
def test_a_failing_remote_endpoint_is_a_warning_with_its_status_not_a_traceback(
        tmp_path, caplog, error):
    app = create_app({"data_dir": str(tmp_path), "STORE": FailingRemoteStore(error)})
    with caplog.at_level(logging.WARNING, logger="alliancegraph"):
        response = app.test_client().post(
            "/sparql", data={"query": "ASK {}"}, headers={"Accept": "application/json"})
    assert response.status_code == error.status
    assert response.get_json()["message"] == error.message
    records = [r for r in caplog.records if error.message in r.getMessage()]
    assert records and all(r.levelno == logging.WARNING and not r.exc_info for r in records)


def test_errors_are_html_for_browsers(client):
    # by POST: a browser GET of a query gets the UI, which runs it and shows the error
    response = client.post("/sparql", data={"query": "SELECT ?x WHERE { ?x"},
                           headers={"Accept": BROWSER})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert b"ParseError" in response.data
    as_get = client.get("/sparql", query_string={"update": "CLEAR ALL"},
                        headers={"Accept": BROWSER})
    assert as_get.status_code == 400 and as_get.mimetype == "text/html"


def test_a_project_error_is_json_with_its_status_name_message_and_spec(client):
    response = client.get("/sparql", query_string={"update": "CLEAR ALL"},
                          headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["status"] == 400 and body["error"] == "BadRequest"
    assert body["message"] == "updates must be sent by POST, not GET"
    assert body["spec"].startswith("https://www.w3.org/TR/sparql11-protocol/")


def test_http_errors_keep_their_headers(client):
    response = client.delete("/sparql", headers={"Accept": "application/json"})
    assert response.status_code == 405
    assert response.get_json()["error"] == "Method Not Allowed"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    missing = client.get("/no/such/page", headers={"Accept": BROWSER})
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert b"<h1>404 Not Found</h1>" in missing.data


def test_a_syntax_error_says_where_for_an_editor_to_mark(client):
    response = client.post("/sparql", data={"query": "SELECT ?x\nWHERE { ?x ?y }\nLIMIT x"},
                           headers={"Accept": "application/json"})
    body = response.get_json()
    assert response.status_code == 400 and body["error"] == "ParseError"
    assert body["line"] == 3 and isinstance(body["column"], int)
    assert body["reason"] and body["reason"] in body["message"]
    assert body["message"].startswith(f"3:{body['column']}: ")
    # other errors carry no position
    other = client.get("/sparql", query_string={"update": "CLEAR ALL"},
                       headers={"Accept": "application/json"}).get_json()
    assert "line" not in other and "column" not in other
