"""What the tests of the links room share: one build of the bundled graph for the whole
session (a build takes ~20 s), copied by each test that writes, with settings pointing at the
fixture servers that stand in for Wikidata and DBpedia."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from alliancegraph.config import Settings, load_settings
from alliancegraph.graph.build import build_store
from alliancegraph.store import open_store


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build of the bundled graph; never written to (tests copy it)."""
    path = tmp_path_factory.mktemp("links-built") / "store"
    build_store(path, docs=False, progress=False)
    return path


@pytest.fixture(scope="session")
def settings_for(built: Path, external_sparql) -> Callable[..., Settings]:
    """``settings_for(folder, **more)``: a copy of the built store in ``folder``, and
    settings naming it, a link cache beside it and the fixture endpoints."""
    def make(folder: Path, **more: object) -> Settings:
        data = folder / "store"
        shutil.copytree(built, data)
        return load_settings(environ={}, overrides={
            "data_dir": str(data), "link_cache_dir": str(folder / "cache"),
            **external_sparql.settings(**more)})
    return make


@pytest.fixture
def fresh(tmp_path: Path, settings_for):
    """A store of its own (the built graph: no candidates, no external facts yet) and its
    settings."""
    settings = settings_for(tmp_path)
    store = open_store(settings)
    yield store, settings
    store.close()
