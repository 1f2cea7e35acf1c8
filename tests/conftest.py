"""Fixtures shared by the whole suite.

The seed papers are read from ``../shared/seeds/`` (CI always has it beside the clone);
the product itself never reads them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph.sources import load_sources

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
PAPER_FILES = {
    # Hinata-Yamaguchi, "New age in Japan-ROK relations"
    "paper-a": SEEDS / "000_d8a697b6a8185fb0.txt",
    # Yon, "The Changing Security Environment …"
    "paper-b": SEEDS / "002_5b83774101edd79f.txt",
}


def normalise(text: str) -> str:
    """The seed text without markup, as quotes in the graph are written.

    Footnote markers (``<sup>12</sup>``) go; other superscripts keep their text
    (``9<sup>th</sup>`` → ``9th``); emphasis ``*``, heading ``#``s, ``\\_`` escapes and
    the angle brackets around URLs go; every run of white space becomes one space.
    """
    text = re.sub(r"<sup>\s*\d+\s*</sup>", "", text)
    text = re.sub(r"</?sup>", "", text)
    text = re.sub(r"<(https?://[^>\s]+)>", r"\1", text)
    text = re.sub(r"(?m)^\s*#+\s*", "", text)
    text = text.replace("\\_", "_").replace("\\*", "*").replace("*", "")
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="session")
def paper_texts() -> dict[str, str]:
    """Normalised text of each seed paper, keyed by ``paper-a`` / ``paper-b``."""
    return {name: normalise(path.read_text(encoding="utf-8")) for name, path in PAPER_FILES.items()}


@pytest.fixture(scope="session")
def seed_markdown() -> dict[str, str]:
    """Each seed paper as printed (markup kept), keyed like ``paper_texts``."""
    return {name: path.read_text(encoding="utf-8") for name, path in PAPER_FILES.items()}


@pytest.fixture(scope="session")
def normaliser():
    """:func:`normalise` itself, for tests that normalise parts of a seed (modules cannot import
    conftest under ``--import-mode=importlib``)."""
    return normalise


@pytest.fixture(scope="session")
def source_store() -> ox.Store:
    """An in-memory store with every bundled source loaded (no inference)."""
    store = ox.Store()
    load_sources(store)
    return store
