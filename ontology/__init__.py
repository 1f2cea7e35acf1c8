"""The Alliance Graph ontology: its Turtle sources, quality checks and documentation."""

from __future__ import annotations

from pathlib import Path

from alliancegraph.graph.vocabulary import ontology_iri

#: The folder of the ontology's edit sources (one Turtle file per topic).
SOURCE_DIR = Path(__file__).parent / "src"
#: the ontology's IRI as the sources mint it (under the canonical base)
ONTOLOGY_IRI = ontology_iri()


def source_files() -> list[Path]:
    """The ontology's Turtle sources, in a stable order."""
    return sorted(SOURCE_DIR.glob("*.ttl"))
