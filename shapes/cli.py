"""``alliancegraph validate``: validate RDF files, or the store, against the shapes.

Exit status: 0 the data conforms (warnings allowed), 1 violations, 2 unusable input (a file
that does not parse: the message names file, line and column; a missing file; bad options).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pyoxigraph as ox
from alliancegraph.cli import open_existing_store
from alliancegraph.config import load_settings
from alliancegraph.errors import AllianceGraphError
from alliancegraph.shapes.validate import (
    INFERENCE_CHOICES,
    Report,
    format_for,
    parse_rdf,
    validate,
    validate_files,
)
from alliancegraph.store.formats import by_suffix

OUTPUTS = ("summary", "turtle", "json-ld", "json")


def _store_contents(data_dir: str | None) -> ox.Store:
    """The whole store the settings name, read through the store interface (a dump)."""
    settings = load_settings(overrides={"data_dir": data_dir})
    # unusable input: exit 2, as the help says (and as query/stats)
    store = open_existing_store(settings, hint=" or name files")
    try:
        body = b"".join(store.dump(media_type="application/n-quads"))
    finally:
        store.close()
    return parse_rdf(body, ox.RdfFormat.N_QUADS, source=settings.data_dir)


def _emit(report: Report, output: str) -> None:
    if output == "summary":
        click.echo(report.text())
    elif output == "json":
        click.echo(report.summary_json())
    else:
        click.echo(report.serialize("json-ld" if output == "json-ld" else "turtle"))


@click.command("validate")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "rdf_format", default=None,
              help="RDF syntax of the files (turtle, nt, nq, trig, xml, json-ld); "
                   "default: from each file's extension.")
@click.option("--shapes", "shapes_files", multiple=True,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Validate against these shapes instead of the bundled ones (repeatable).")
@click.option("--inference", type=click.Choice(INFERENCE_CHOICES), default="none",
              show_default=True, help="Entailment to apply to (a copy of) the data first.")
@click.option("--output", type=click.Choice(OUTPUTS), default="summary", show_default=True,
              help="A human summary grouped by shape, the sh:ValidationReport in Turtle or "
                   "JSON-LD, or a JSON summary.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Store to validate when no file is given (setting data_dir).")
def validate_command(files: tuple[Path, ...], rdf_format: str | None,
                     shapes_files: tuple[Path, ...], inference: str, output: str,
                     data_dir: str | None) -> None:
    """Validate FILES (any RDF syntax), or the whole store, against the SHACL shapes.

    Exit 0 when the data conforms (warnings allowed), 1 on violations, 2 when the input
    cannot be used.
    """
    shapes = list(shapes_files) or None
    try:
        if files:
            for path in files:
                if not path.is_file():
                    raise click.UsageError(f"{path}: no such file")
                if rdf_format is None and by_suffix(path) is None:
                    raise click.UsageError(f"{path}: cannot tell the RDF syntax from the file "
                                           "name; pass --format")
                format_for(name=rdf_format, path=path)  # 415 early, before any parsing
            report = validate_files(files, fmt=rdf_format, shapes=shapes,
                                    inference=inference)  # type: ignore[arg-type]
        else:
            report = validate(_store_contents(data_dir), shapes=shapes,
                              inference=inference)  # type: ignore[arg-type]
    except AllianceGraphError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    _emit(report, output)
    sys.exit(0 if report.conforms else 1)
