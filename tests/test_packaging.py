"""The house: every import name lives in the folder of its name, every module has its test
file, and the installed package carries everything it needs (an installed copy works without
the source tree: ontology, graph sources, queries, shapes, templates, static files)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: the rooms: alliancegraph.X is the folder X/, its tests are tests/X/
ROOMS = ("graph", "store", "service", "shapes", "ontology", "links", "ingest")
#: the front door: modules of the top folder, tested by tests/test_<module>.py
FRONT_DOOR = ("cli", "config", "errors")

#: source folder -> where its files land inside the wheel
PACKAGE_DIRS = {room: f"alliancegraph/{room}" for room in ROOMS}
DATA_SUFFIXES = {".ttl", ".rq", ".html", ".js", ".css", ".csv"}


def _tracked_data_files() -> list[str]:
    listing = subprocess.run(["git", "ls-files", *PACKAGE_DIRS], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.split()
    return [p for p in listing if Path(p).suffix in DATA_SUFFIXES]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(out), str(ROOT)], check=True, capture_output=True)
    (found,) = out.glob("alliancegraph-*.whl")
    return found


def test_every_data_file_is_in_the_wheel(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = []
    for path in _tracked_data_files():
        folder, rest = path.split("/", 1)
        expected.append(f"{PACKAGE_DIRS[folder]}/{rest}")
    assert expected, "no data files found through git"
    assert sorted(set(expected) - names) == []


def test_the_wheel_has_no_top_level_graph_or_service_module(wheel):
    tops = {name.split("/", 1)[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"alliancegraph"}


def test_an_unpacked_wheel_builds_the_store_without_the_source_tree(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    data_dir = tmp_path / "data"
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import alliancegraph, alliancegraph.graph.build as b;"
        "assert alliancegraph.__file__.startswith(sys.argv[1]), alliancegraph.__file__;"
        "r = b.build_store(sys.argv[2], base_iri=alliancegraph.CANONICAL_BASE,"
        " progress=False, docs=False);"
        "print(sum(r.graphs.values()))"
    )
    done = subprocess.run([sys.executable, "-c", script, str(site), str(data_dir)],
                          cwd=tmp_path, check=True, capture_output=True, text=True)
    assert int(done.stdout.split()[-1]) > 10_000


def test_every_import_name_lives_in_the_folder_of_its_name():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"]["setuptools"]
    assert setuptools["package-dir"] == {"alliancegraph": "."}
    assert sorted(setuptools["packages"]) == sorted(
        ["alliancegraph", *(f"alliancegraph.{room}" for room in ROOMS)])
    folders = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert folders == set(ROOMS), "a package folder that is not a room, or the reverse"
    for room in ROOMS:
        package = importlib.import_module(f"alliancegraph.{room}")
        assert Path(package.__file__) == ROOT / room / "__init__.py"
        assert not list((ROOT / room).glob("*/__init__.py")), f"{room}/ has sub-packages"
    assert Path(importlib.import_module("alliancegraph").__file__) == ROOT / "__init__.py"
    tops = {p.stem for p in ROOT.glob("*.py")} - {"__init__"}
    assert tops == set(FRONT_DOOR)


def _modules_without_tests() -> list[str]:
    missing = [f"tests/test_{name}.py" for name in FRONT_DOOR
               if not (ROOT / "tests" / f"test_{name}.py").is_file()]
    for room in ROOMS:
        for module in sorted((ROOT / room).glob("*.py")):
            test = ROOT / "tests" / room / f"test_{module.stem}.py"
            if module.stem != "__init__" and not test.is_file():
                missing.append(str(test.relative_to(ROOT)))
    return missing


def test_every_module_has_its_test_file():
    """Tests mirror the code one-to-one: X/m.py is tested by tests/X/test_m.py."""
    assert _modules_without_tests() == []
