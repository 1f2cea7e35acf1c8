"""service/README.md documents every setting (name, environment variable, default) and
every route of the protocol part of the app."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from alliancegraph.config import SETTINGS
from alliancegraph.service import create_app

README = Path(__file__).resolve().parents[2] / "service" / "README.md"


def settings_rows() -> dict[str, str]:
    """The rows of the README's settings table, by setting name."""
    rows = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        found = re.match(r"\| `([a-z_]+)` \| `(ALLIANCEGRAPH_[A-Z_]+)` \| (.+?) \|", line)
        if found:
            rows[found.group(1)] = line
    return rows


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_readme_documents_setting(setting):
    row = settings_rows().get(setting.name)
    assert row, f"service/README.md has no settings row for {setting.name}"
    assert f"`ALLIANCEGRAPH_{setting.name.upper()}`" in row
    if setting.default not in (None, False):
        assert f"`{setting.default}`" in row, f"the default of {setting.name} is not documented"


def test_readme_has_no_stale_setting():
    assert set(settings_rows()) == {s.name for s in SETTINGS}


@pytest.mark.parametrize("rule", ["/sparql", "/rdf-graph-store", "/rdf-graph-store/<path>",
                                  "/.well-known/void", "/healthz", "/readyz"])
def test_readme_documents_route(tmp_path, rule):
    app = create_app({"data_dir": str(tmp_path)})
    rules = {re.sub(r"<\w+:(\w+)>", r"<\1>", r.rule) for r in app.url_map.iter_rules()}
    assert rule in rules
    assert f"| `{rule}` |" in README.read_text(encoding="utf-8")
