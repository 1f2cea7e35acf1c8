"""The Alliance Graph ontology: its Turtle sources, quality checks and documentation."""

from __future__ import annotations

from pathlib import Path

#: The folder of the ontology's edit sources (one Turtle file per topic).
SOURCE_DIR = Path(__file__).parent / "src"
NAMESPACE = "https://w3id.org/alliancegraph/ontology#"
ONTOLOGY_IRI = "https://w3id.org/alliancegraph/ontology"


def source_files() -> list[Path]:
    """The ontology's Turtle sources, in a stable order."""
    return sorted(SOURCE_DIR.glob("*.ttl"))
