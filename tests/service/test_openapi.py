"""The OpenAPI description against the app's real routes: every route documented, every
documented path and method served."""

from __future__ import annotations

import re

import pytest
from alliancegraph.service import create_app

IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory):
    return create_app({"data_dir": str(tmp_path_factory.mktemp("openapi") / "data"),
                       "TESTING": True})


def openapi_path(rule: str) -> str:
    """``/id/<path:rest>`` → ``/id/{rest}``."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def served(app) -> dict[str, set[str]]:
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        methods = {m.lower() for m in rule.methods - IGNORED_METHODS}
        routes.setdefault(openapi_path(rule.rule), set()).update(methods)
    return routes


def test_openapi_json_is_an_openapi_3_document(api_app) -> None:
    response = api_app.test_client().get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"]
    for path, operations in spec["paths"].items():
        assert path.startswith("/")
        for method, operation in operations.items():
            assert operation["responses"], f"{method.upper()} {path} documents no response"
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    assert f"{{{parameter['name']}}}" in path
                    assert parameter["required"] is True
            for reference in re.findall(r'"\$ref": "#/components/responses/(\w+)"',
                                        str(operation).replace("'", '"')):
                assert reference in spec["components"]["responses"]


def test_every_route_is_documented(api_app) -> None:
    spec = api_app.test_client().get("/openapi.json").get_json()
    documented = {path: set(operations) for path, operations in spec["paths"].items()}
    for path, methods in served(api_app).items():
        assert path in documented, f"route {path} is not in /openapi.json"
        assert methods <= documented[path], f"{path}: {methods - documented[path]} undocumented"


def test_every_documented_path_is_served(api_app) -> None:
    spec = api_app.test_client().get("/openapi.json").get_json()
    routes = served(api_app)
    for path, operations in spec["paths"].items():
        assert path in routes, f"/openapi.json documents {path}, which no route serves"
        assert set(operations) <= routes[path], f"{path}: {set(operations) - routes[path]}"


def test_path_templates_match_flask_rules() -> None:
    assert openapi_path("/id/<path:rest>") == "/id/{rest}"
    assert openapi_path("/ontology.<suffix>") == "/ontology.{suffix}"
    assert openapi_path("/dumps/<name>") == "/dumps/{name}"
    assert openapi_path("/sparql") == "/sparql"


def test_the_sssom_route_is_documented_with_the_type_it_serves(api_app) -> None:
    spec = api_app.test_client().get("/openapi.json").get_json()
    operation = spec["paths"]["/mappings.sssom.tsv"]["get"]
    served = api_app.test_client().get("/mappings.sssom.tsv")
    assert served.status_code == 200
    assert served.mimetype in operation["responses"]["200"]["content"]
    assert "304" in operation["responses"]
