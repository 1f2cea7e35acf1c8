"""``alliancegraph ingest``: a paper's text → a draft graph and a review file; ``--accept``
writes the reviewed draft into the store through validation on write.

    alliancegraph ingest PAPER.md --id paper-c [--bibliography FILE] [--out DIR]
    alliancegraph ingest --accept DIR/paper-c.review.tsv

The first writes ``DIR/paper-c.trig`` (the draft, in the paper's named graph) and
``DIR/paper-c.review.tsv``; works are matched and mentions found against the store when
there is one (without a store the draft stands alone). The second reads the draft beside the
review file, applies the decisions and replaces the paper's graph in one validated write; a
refused write exits 1 naming the rows of the review file to fix. Bad input exits 2.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@click.command("ingest")
@click.argument("paper", required=False, type=click.Path(dir_okay=False))
@click.option("--id", "paper_id", default=None, help="The paper's id (slug): paper-c.")
@click.option("--bibliography", default=None, type=click.Path(dir_okay=False, exists=True),
              help="Its bibliography: .bib (BibTeX), .ris (RIS) or .json (CSL-JSON).")
@click.option("--out", default=".", type=click.Path(file_okay=False),
              help="Folder for the draft and the review file.")
@click.option("--accept", default=None, type=click.Path(dir_okay=False),
              help="Write the reviewed draft of this review file into the store.")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Directory of the embedded store (setting data_dir).")
def ingest_command(paper: str | None, paper_id: str | None, bibliography: str | None,
                   out: str, accept: str | None, data_dir: str | None) -> None:
    """Ingest PAPER (Markdown or text) into a draft graph and a review file."""
    from alliancegraph.config import load_settings

    settings = load_settings(overrides={"data_dir": data_dir})
    if accept is not None:
        if paper is not None:
            raise click.UsageError("give either PAPER or --accept, not both")
        _accept(Path(accept), settings)
        return
    if paper is None or paper_id is None:
        raise click.UsageError("PAPER and --id are needed (or --accept REVIEW)")
    if not ID.match(paper_id):
        raise click.UsageError(f"--id {paper_id!r}: lower-case letters, digits and '-'")
    _draft(Path(paper), paper_id, bibliography, Path(out), settings)


def _draft(paper: Path, paper_id: str, bibliography: str | None, out: Path, settings) -> None:
    from alliancegraph.cli import missing_store, open_existing_store
    from alliancegraph.ingest import draft as drafting
    from alliancegraph.ingest.pipeline import ingest

    try:
        text = paper.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{paper}: {exc}") from None
    store = None if missing_store(settings) else open_existing_store(settings)
    try:
        select = None if store is None else (lambda q: list(store.select(q)))
        result = ingest(text, paper_id, select)
    finally:
        if store is not None:
            store.close()
    built = drafting.build(result, settings.base_iri)
    if bibliography:
        _compare_bibliography(built, bibliography)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{paper_id}.trig").write_bytes(drafting.trig(built.quads))
    (out / f"{paper_id}.review.tsv").write_text(drafting.review_tsv(built.rows), encoding="utf-8")
    doc = result.document
    click.echo(f"{paper_id}: {len(doc.sections)} sections, {len(doc.footnotes)} footnotes, "
               f"{len(result.citations)} citations, {len(result.groups)} works, "
               f"{len(result.mentions)} candidate mentions, {len(doc.unread)} unread; "
               f"wrote {out / (paper_id + '.trig')} and {out / (paper_id + '.review.tsv')}")


def _compare_bibliography(built, path: str) -> None:
    """A bibliography entry that disagrees with a footnote's citation: a review row."""
    from alliancegraph.ingest.bibliography import read
    from rapidfuzz import fuzz

    try:
        entries = read(path)
    except (ValueError, OSError) as exc:
        raise click.UsageError(str(exc)) from None
    for i, group in enumerate(built.result.groups):
        best = group[0]
        title = str(best.get("title") or "")
        entry = max(entries, key=lambda e: fuzz.ratio(title, str(e.get("title", ""))),
                    default=None)
        if not title or entry is None or fuzz.ratio(title, str(entry.get("title", ""))) < 85:
            continue
        for name in ("title", "container", "issued", "volume", "issue"):
            if best.get(name) and entry.get(name) and \
                    str(best.get(name))[:len(str(entry[name]))] != str(entry[name]):
                built.row("discrepancy", built.work_iris[i], name,
                          f"footnote {best.get(name)!s} / bibliography {entry[name]!s}", 0.5,
                          f"footnote {best.footnote}", decision="review")


def _accept(review: Path, settings) -> None:
    import pyoxigraph as ox
    from alliancegraph.cli import CommandError, open_existing_store
    from alliancegraph.errors import ValidationFailed
    from alliancegraph.ingest import draft as drafting
    from alliancegraph.store.base import ReplaceGraphs

    name = review.name.removesuffix(".review.tsv")
    source = review.with_name(f"{name}.trig")
    if not review.is_file() or not source.is_file():
        raise CommandError(f"need {review} and the draft {source} beside it", 2)
    rows = drafting.read_review(review.read_text(encoding="utf-8"))
    if not rows or set(drafting.COLUMNS) - set(rows[0]):
        raise CommandError(f"{review}: not a review file (columns {drafting.COLUMNS})", 2)
    quads = list(ox.parse(source.read_bytes(), ox.RdfFormat.TRIG))
    final, where = drafting.reviewed(quads, rows, name, settings.base_iri)
    graph = f"{settings.base_iri.rstrip('/')}/graph/{name}"
    store = open_existing_store(settings)
    try:
        store.apply(ReplaceGraphs({graph: final}))
    except ValidationFailed as exc:
        raise CommandError(refusal_message(exc, where), 1) from None
    finally:
        store.close()
    click.echo(f"wrote {len(final)} quads into {graph}")


def refusal_message(exc, where: dict[str, list[int]]) -> str:
    """The shapes' refusal as the rows of the review file to fix (focus node -> rows)."""
    report = getattr(exc, "report", None)
    results = report.get("results", []) if isinstance(report, dict) else [
        r.__dict__ for r in getattr(report, "violations", ())]
    lines = [f"the store refused the draft: {exc.message}"]
    for result in results:
        if result.get("severity", "Violation") != "Violation":
            continue
        node = str(result["focus_node"]).strip("<>")
        path = str(result.get("path") or "").strip("<>")
        # the row about that node and that property, else every row about the node
        rows = where.get(f"{node} {path}") or where.get(node) or []
        message = (result.get("messages") or [result.get("source_shape")])[0]
        lines.append(f"  fix row(s) {', '.join(map(str, sorted(set(rows)))) or '?'}: "
                     f"{node} {path} - {message}")
    return "\n".join(lines)
