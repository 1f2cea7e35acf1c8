"""``alliancegraph load``, ``backup`` and ``restore``: the administrator's commands on the store.

``backup`` and ``restore`` (:mod:`alliancegraph.store.backup`) work while a server serves:
bad input (no store, a target that exists, an unreadable source, a manifest that does not
match) exits 2 with nothing written; a failed write exits 1.

``load``: the administrator's bulk load of RDF files into the store.

A local command: it opens the store the settings name
(:func:`alliancegraph.cli.open_existing_store`), streams the files into one N-Quads staging
file beside the store and writes it as one change (:mod:`alliancegraph.store.bulk`), so it
works on every backend; unvalidated, the embedded store bulk-loads it. Bad input (a file that does
not parse, a syntax not read, a missing file) exits 2 with a message naming file, line and
column, and leaves the store unchanged; a refused or failed write exits 1.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import click
from alliancegraph.errors import (
    AllianceGraphError,
    BadRequest,
    UnsupportedMediaType,
    ValidationFailed,
)
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

__all__ = ["backup_command", "load_command", "restore_command"]


def _size(names: tuple[str, ...]) -> int | None:
    """Bytes to read, for the bar's total (None when standard input is among them)."""
    if "-" in names:
        return None
    return sum(os.path.getsize(n) for n in names if Path(n).is_file())


@click.command("load")
@click.argument("files", nargs=-1, required=True)
@click.option("--graph", default=None,
              help="Graph IRI for triples (and a dataset's default graph); default: the "
                   "default graph. Named graphs of TriG/N-Quads are kept.")
@click.option("--format", "syntax", default=None,
              help="Syntax of every file (nq, trig, ttl, nt, jsonld, rdf or a media type); "
                   "default: by suffix. Needed for standard input (-).")
@click.option("--replace", is_flag=True, help="Empty each graph the files fill first.")
@click.option("--no-infer", is_flag=True,
              help="Do not merge the OWL 2 RL entailments into graph/inferred.")
@click.option("--no-validate", is_flag=True,
              help="Write without validation on write (faster at scale; the data is not "
                   "checked against the shapes).")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Directory of the embedded store (setting data_dir).")
@click.option("--quiet", is_flag=True, help="No progress display.")
def load_command(files: tuple[str, ...], graph: str | None, syntax: str | None,
                 replace: bool, no_infer: bool, no_validate: bool, data_dir: str | None,
                 quiet: bool) -> None:
    """Load RDF FILES (or - for standard input) into the store in one transaction."""
    from alliancegraph.cli import missing_store, open_existing_store
    from alliancegraph.config import load_settings
    from alliancegraph.store.bulk import load, stage, staging_directory

    console = Console(stderr=True, quiet=quiet)
    try:
        # one reader process is all a load reads with: fewer processes to start
        settings = load_settings(overrides={"data_dir": data_dir}).replace(store_readers=1)
        if no_validate:
            settings = settings.replace(validate_on_write=False)
        if (message := missing_store(settings)) is not None:  # before reading gigabytes
            raise BadRequest(message)
        store = open_existing_store(settings)
        try:
            with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                          TransferSpeedColumn(), TimeElapsedColumn(), console=console,
                          transient=True, disable=quiet) as bar:
                task = bar.add_task("parsing", total=_size(files))
                with stage(files, staging_directory(store), syntax=syntax, graph=graph,
                           base_iri=settings.base_iri, infer=not no_infer,
                           on_bytes=lambda n: bar.advance(task, n)) as staged:
                    report = load(store, staged, base_iri=settings.base_iri,
                                  replace=replace, infer=not no_infer,
                                  validate=not no_validate,
                                  on_stage=lambda stage: bar.update(task, description=stage))
        finally:
            store.close()
    # bad input: nothing was written
    except (BadRequest, UnsupportedMediaType, ValidationFailed) as exc:
        click.echo(f"load refused, the store is unchanged: {exc.message}", err=True)
        raise SystemExit(2) from None
    except AllianceGraphError as exc:
        click.echo(f"load failed, the store is unchanged: {exc.message}", err=True)
        raise SystemExit(1) from None
    _print(Console(), report, files)


def _print(console: Console, report: object, files: tuple[str, ...]) -> None:
    from alliancegraph.store.bulk import LoadReport

    assert isinstance(report, LoadReport)
    table = Table(title=f"Loaded {len(files)} file(s), {report.bytes_read} bytes "
                        f"(generation {report.generation}"
                        f"{', validated' if report.validated else ''})")
    table.add_column("graph")
    table.add_column("quads", justify="right")
    for name, count in report.graphs.items():
        table.add_row("(default graph)" if name is None else name, str(count))
    table.add_row("inferred (merged)", str(report.inferred))
    table.add_row("total", str(report.total + report.inferred))
    console.print(table)


@contextlib.contextmanager
def _exits(refused: str, failed: str) -> Iterator[None]:
    """A backup or restore error as its message and exit status: 2 for bad input (a
    BackupError), 1 for a write or read that failed."""
    from alliancegraph.store.backup import BackupError

    try:
        yield
    except BackupError as exc:
        click.echo(f"{refused}: {exc.message}", err=True)
        raise SystemExit(2) from None
    except AllianceGraphError as exc:
        click.echo(f"{failed}: {exc.message}", err=True)
        raise SystemExit(1) from None


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=True, file_okay=True))
@click.option("--format", "form", type=click.Choice(["dir", "nq"]), default=None,
              help="dir: a copy of the embedded store's files (fastest restore); nq: "
                   "N-Quads, gzip when TARGET ends .gz (any backend). Default: nq when "
                   "TARGET ends .nq or .gz, else dir.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Directory of the embedded store (setting data_dir).")
def backup_command(target: str, form: str | None, data_dir: str | None) -> None:
    """Back up one committed state of the store into TARGET, while it serves."""
    from alliancegraph.cli import CommandError, missing_store
    from alliancegraph.config import load_settings
    from alliancegraph.store.backup import backup

    settings = load_settings(overrides={"data_dir": data_dir})
    if (message := missing_store(settings)) is not None:  # as every command that reads it
        raise CommandError(message, 2)
    with _exits("backup refused, nothing written", "backup failed, nothing written"):
        report = backup(settings, target, form=form)  # type: ignore[arg-type]
    manifest = report.manifest
    click.echo(f"backed up generation {manifest.generation}: {manifest.total} quads in "
               f"{len(manifest.graphs)} graph(s) -> {report.target} ({manifest.form})")


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=True, file_okay=True))
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Directory of the embedded store (setting data_dir).")
def restore_command(source: str, data_dir: str | None) -> None:
    """Make the store exactly the backup SOURCE (a backup directory or N-Quads file).

    An empty data directory gets the backup's files; an existing store, served or not,
    gets one atomic write (readers see the old state or the restored one)."""
    from alliancegraph.config import load_settings
    from alliancegraph.store.backup import restore

    with _exits("restore refused, the store is unchanged", "restore failed"):
        settings = load_settings(overrides={"data_dir": data_dir}).replace(store_readers=1)
        report = restore(settings, source)
    manifest = report.manifest
    click.echo(f"restored generation {manifest.generation} of {manifest.created} "
               f"({manifest.total} quads in {len(manifest.graphs)} graph(s)); the store is "
               f"now at generation {report.generation} ({report.how})")
