"""``alliancegraph link``: discover link candidates, write the review file, accept links.

Three uses::

    alliancegraph link --target wikidata                  # discover; write the review file
    alliancegraph link --target wikidata --accept         # … and accept those >= threshold
    alliancegraph link --accept --review FILE.csv         # apply the rows a person marked

Discovery (:func:`alliancegraph.links.discover.discover`) asks the target's endpoint through
the cached, well-behaved client (:mod:`alliancegraph.links.client`), saves the candidates in
the store and writes the pending ones to the review CSV and the Turtle file beside it
(:mod:`alliancegraph.links.review`), then prints a summary. Every error is a message and
exit status 2, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import click
from alliancegraph.cli import CommandError, open_existing_store
from alliancegraph.config import Settings, load_settings
from alliancegraph.errors import AllianceGraphError
from alliancegraph.links.client import EndpointClient, cache_dir_for
from alliancegraph.links.discover import DiscoveryRun, discover
from alliancegraph.links.review import (
    AcceptReport,
    ReviewFiles,
    accept,
    review_paths,
    write_review,
)
from alliancegraph.links.targets import SHAPES, Target, target_for
from alliancegraph.store.base import Store
from rich.console import Console
from rich.table import Table

__all__ = ["DEFAULT_THRESHOLD", "default_review_path", "link_command"]

#: the score ``--accept`` needs when no ``--threshold`` is given
DEFAULT_THRESHOLD = 0.9


def default_review_path(target: Target) -> Path:
    """``link-review-<target>.csv`` in the current folder."""
    return Path.cwd() / f"link-review-{target.slug}.csv"


@click.command("link")
@click.option("--target", "target_name", metavar="wikidata|dbpedia|URL",
              help="The dataset to find links in: wikidata or dbpedia (their endpoint "
                   "settings), or the URL of a SPARQL endpoint.")
@click.option("--shape", type=click.Choice(sorted(SHAPES)), default=None,
              help="How the endpoint of a --target URL names, labels and types its items. "
                   "[default: wikidata]")
@click.option("--review", "review_file", type=click.Path(dir_okay=False), default=None,
              help="The review CSV: where discovery writes it (the Turtle beside it), or, "
                   "with --accept, the file whose marked rows to apply. "
                   "[default: ./link-review-<target>.csv]")
@click.option("--accept", "accepting", is_flag=True,
              help="Accept candidates as links: after discovery, those scoring at least "
                   "--threshold; with --review, the rows marked accept or reject (and no "
                   "discovery).")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=None,
              help=f"Least score --accept takes without review; ambiguous candidates never. "
                   f"[default: {DEFAULT_THRESHOLD} after discovery, none with --review]")
@click.option("--reviewer", metavar="IRI", default=None,
              help="Who reviewed the file (an agent IRI, e.g. an ORCID). [default: the local "
                   "user, <base>id/agent/<login>]")
@click.option("--refresh", is_flag=True,
              help="Ask the endpoint again instead of answering from the on-disk cache.")
@click.option("--limit", type=click.IntRange(min=0), default=None, metavar="N",
              help="Look up at most N entities.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary table.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Directory of the embedded store (setting data_dir, ALLIANCEGRAPH_DATA_DIR).")
def link_command(target_name: str | None, shape: str | None, review_file: str | None,
                 accepting: bool, threshold: float | None, reviewer: str | None,
                 refresh: bool, limit: int | None, quiet: bool, data_dir: str | None) -> None:
    """Find links from our entities to Wikidata, DBpedia or another SPARQL endpoint: label
    and alias matches in every language an entity has, constrained by type and context,
    each candidate scored with its evidence. Writes a review CSV (decision column: accept,
    reject or blank) and the same candidates as Turtle; --accept makes links."""
    applying = accepting and review_file is not None
    _check_options(target_name, applying, accepting, threshold, reviewer, shape)
    settings = load_settings(overrides={"data_dir": data_dir})
    store = open_existing_store(settings)
    try:
        if applying:
            report = accept(store, settings, threshold=threshold, review_file=review_file,
                            reviewer=reviewer, target=target_name)
            _print_accepted(report, threshold, reviewing=True)
            return
        if accepting and threshold is None:
            threshold = DEFAULT_THRESHOLD
        run, files, report = _discover(store, settings, target_name or "", shape=shape,
                                       review_file=review_file, refresh=refresh, limit=limit,
                                       quiet=quiet, threshold=threshold if accepting else None)
    except AllianceGraphError as exc:
        raise CommandError(exc.message, 2) from None
    except OSError as exc:  # a file (the review file, the cache) cannot be written
        raise CommandError(f"cannot write {exc.filename or 'a file'}: {exc.strerror or exc}",
                           2) from None
    finally:
        store.close()
    _print_run(run, files, quiet)
    if report is not None:
        _print_accepted(report, threshold, reviewing=False)


def _discover(store: Store, settings: Settings, target_name: str, *, shape: str | None,
              review_file: str | None, refresh: bool, limit: int | None, quiet: bool,
              threshold: float | None
              ) -> tuple[DiscoveryRun, ReviewFiles, AcceptReport | None]:
    """Discovery, acceptance over ``threshold`` when given, then the review files."""
    target = target_for(target_name, settings, shape=shape)
    path = Path(review_file) if review_file else default_review_path(target)
    review_paths(path)  # a bad name is refused before the endpoint is asked
    client = EndpointClient(target.endpoint, cache_dir=cache_dir_for(settings),
                            refresh=refresh)
    run = discover(store, settings, target=target, client=client, limit=limit,
                   progress=not quiet)
    report = None
    if threshold is not None:
        report = accept(store, settings, threshold=threshold, target=target.name)
    return run, write_review(store, settings, path, target=target.name), report


def _check_options(target_name: str | None, applying: bool, accepting: bool,
                   threshold: float | None, reviewer: str | None, shape: str | None) -> None:
    if not applying and not target_name:
        raise CommandError("give --target wikidata, dbpedia or an endpoint URL (or --accept "
                           "--review FILE to apply a review file)", 2)
    if threshold is not None and not accepting:
        raise CommandError("--threshold applies with --accept", 2)
    if reviewer is not None and not applying:
        raise CommandError("--reviewer applies with --accept --review FILE", 2)
    if shape is not None and applying:
        raise CommandError("--shape applies to discovery, not to --accept --review", 2)


def _print_run(run: DiscoveryRun, files: ReviewFiles, quiet: bool) -> None:
    counts = run.counts
    console = Console()
    if not quiet:
        table = Table("kind", "entities", "with candidates", "candidates", "ambiguous",
                      title=f"Link candidates from {run.target.name} ({run.target.endpoint})")
        for kind, row in run.by_kind.items():
            table.add_row(kind, *(str(row[k]) for k in ("entities", "matched", "candidates",
                                                         "ambiguous")))
        console.print(table)
    click.echo(f"{counts.get('candidates', 0)} candidates for {counts.get('matched', 0)} of "
               f"{counts.get('entities', 0)} entities ({counts.get('ambiguous', 0)} ambiguous, "
               f"{counts.get('kept', 0)} decided before and kept); "
               f"{counts.get('requests', 0)} requests sent, {counts.get('cache_hits', 0)} "
               f"answered from the cache")
    click.echo(f"review file: {files.csv} ({files.rows} pending rows; Turtle: {files.turtle})")


def _print_accepted(report: AcceptReport, threshold: float | None, reviewing: bool) -> None:
    parts = []
    if threshold is not None:
        parts.append(f"{report.discovered} accepted with a score >= {threshold:g}")
    if reviewing:
        parts.append(f"{report.reviewed} accepted and {report.rejected} rejected by review")
    click.echo(f"{'; '.join(parts)}; {report.written} links written")
    for reason in report.held:
        click.echo(f"held back: {reason}")
