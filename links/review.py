"""The review file of link candidates, and accepting candidates as links.

:func:`write_review` writes the pending candidates of one target as a CSV file a person
edits (the ``decision`` column: blank, ``accept`` or ``reject``) and, beside it, the same
candidates as Turtle (their records in the ``link-review`` graph, with the activities that
found them). :func:`read_review` reads the edited file back; every problem is reported
with the file, line and column and what is wrong (:class:`ReviewFileError`, a 400: the CLI
exits 2).

:func:`accept` turns candidates into links: the pending ones scoring at least a threshold
that are not ambiguous (:func:`alliancegraph.links.discover.ambiguous`), the best one per
entity and dataset and only for an entity with no link to that dataset yet, become
discovered links; rows marked ``accept`` become reviewed links (with the reviewer) and rows
marked ``reject`` rejected candidates, which stay rejected on every later run. Links are
written in one :func:`~alliancegraph.links.model.add_links` (which never touches a curated
link) and the decisions in one :func:`~alliancegraph.links.model.set_status`.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import getpass
import io
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from alliancegraph.config import Settings
from alliancegraph.errors import BadRequest
from alliancegraph.graph.vocabulary import LINK_REVIEW, graph_iri, link_dataset, prefixes
from alliancegraph.links.discover import TOOL, ambiguous
from alliancegraph.links.model import (
    EVIDENCE_SEPARATOR,
    LEXICAL_MATCHING,
    Candidate,
    Link,
    Origin,
    Status,
    add_links,
    candidate_iri,
    linked_objects,
    read_candidates,
    set_status,
)
from alliancegraph.store.base import Store

__all__ = ["COLUMNS", "DECISIONS", "AcceptReport", "Decision", "ReviewFileError",
           "ReviewFiles", "accept", "local_agent", "read_review", "review_paths",
           "write_review"]

#: the columns of the review file, in order
COLUMNS: tuple[str, ...] = ("decision", "candidate", "subject", "subject_label", "kind",
                            "predicate", "object", "object_label", "score", "rank", "evidence",
                            "target")
#: what the decision column may say (case and surrounding blanks aside); blank: undecided
DECISIONS: dict[str, Status] = {"accept": Status.ACCEPTED, "reject": Status.REJECTED}
#: columns a review file must have
REQUIRED = ("decision", "candidate")
#: columns compared with the stored candidate (a changed IRI is a mistake, not a decision)
CHECKED = ("subject", "predicate", "object")
#: prefixes the Turtle file declares (besides candidate: and activity:)
TURTLE_PREFIXES = ("ag", "agid", "owl", "rdf", "rdfs", "xsd", "prov", "dcterms", "sssom",
                   "wd", "dbr")
#: the most problems one error lists
MAX_PROBLEMS = 20


class ReviewFileError(BadRequest):
    """A review file that cannot be applied: each problem with file, line and column."""

    def __init__(self, problems: Sequence[str]):
        shown = list(problems[:MAX_PROBLEMS])
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"… and {len(problems) - MAX_PROBLEMS} more")
        super().__init__("\n".join(shown))
        self.problems = list(problems)


@dataclass(frozen=True)
class ReviewFiles:
    """The files :func:`write_review` wrote."""

    csv: Path
    turtle: Path
    rows: int


@dataclass(frozen=True)
class Decision:
    """One decided row of a review file."""

    line: int
    candidate: str
    status: Status
    #: the row as read (column -> text)
    row: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AcceptReport:
    """What :func:`accept` did."""

    #: candidates accepted by the threshold (discovered links)
    discovered: int = 0
    #: rows marked accept (reviewed links)
    reviewed: int = 0
    #: rows marked reject
    rejected: int = 0
    #: links written (a curated link of the same s/p/o is kept as it is, not counted)
    written: int = 0
    #: candidates over the threshold left pending, each with the reason
    held: tuple[str, ...] = ()


def review_paths(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """The CSV file and the Turtle file beside it (same name, ``.ttl``); BadRequest for a
    CSV path that would be its own Turtle file."""
    csv_path = Path(path)
    if csv_path.suffix.lower() == ".ttl":
        raise BadRequest(f"{csv_path}: the review file is CSV (name it NAME.csv); the Turtle "
                         "file is written beside it")
    return csv_path, csv_path.with_suffix(".ttl")


# ------------------------------------------------------------------ writing


def write_review(store: Store, settings: Settings, path: str | os.PathLike[str], *,
                 target: str) -> ReviewFiles:
    """Write the pending candidates of ``target`` to ``path`` (CSV) and the Turtle file
    beside it, each file whole or not at all."""
    base = settings.base_iri
    pending = read_candidates(store, base, target=target, status=Status.PENDING)
    pending.sort(key=lambda c: (c.subject_label.casefold(), c.subject, c.rank, c.object))
    csv_path, ttl_path = review_paths(path)
    rows = [_row(c, base) for c in pending]
    _write_atomically(csv_path, _csv_text(rows).encode("utf-8"))
    _write_atomically(ttl_path, _turtle(store, base, pending))
    return ReviewFiles(csv_path, ttl_path, len(rows))


def _row(candidate: Candidate, base_iri: str) -> dict[str, str]:
    return {
        "decision": "",
        "candidate": candidate_iri(candidate.subject, candidate.predicate, candidate.object,
                                   base_iri),
        "subject": candidate.subject,
        "subject_label": _cell(candidate.subject_label),
        "kind": candidate.kind,
        "predicate": candidate.predicate,
        "object": candidate.object,
        "object_label": _cell(candidate.object_label),
        "score": f"{candidate.score:.3f}",
        "rank": str(candidate.rank),
        "evidence": _cell(EVIDENCE_SEPARATOR.join(candidate.evidence)),
        "target": candidate.target,
    }


def _cell(text: str) -> str:
    """Text from a remote endpoint as a spreadsheet shows it, never as a formula it runs
    (a cell starting with = + - @ is one): such text gets a leading apostrophe. Only the
    decision and the IRIs are read back, so nothing is lost."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_text(rows: Iterable[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _turtle(store: Store, base_iri: str, candidates: Sequence[Candidate]) -> bytes:
    """The candidates' records in the review graph, with the activities that found them."""
    nodes = [candidate_iri(c.subject, c.predicate, c.object, base_iri) for c in candidates]
    nodes += sorted({c.activity for c in candidates if c.activity})
    known = prefixes(base_iri)
    names = {"candidate": f"{base_iri}id/candidate/", "activity": f"{base_iri}id/activity/",
             **{name: known[name] for name in TURTLE_PREFIXES}}
    if not nodes:
        return ox.serialize([], format=ox.RdfFormat.TURTLE, prefixes=names)
    values = " ".join(f"<{node}>" for node in nodes)
    triples = store.construct(f"""CONSTRUCT {{ ?node ?p ?o }} WHERE {{
        VALUES ?node {{ {values} }} GRAPH <{graph_iri(LINK_REVIEW, base_iri)}> {{ ?node ?p ?o }}
        }}""")
    return ox.serialize(sorted(triples, key=str), format=ox.RdfFormat.TURTLE, prefixes=names)


def _write_atomically(path: Path, data: bytes) -> None:
    """A temporary file beside ``path``, renamed over it: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------ reading


def read_review(path: str | os.PathLike[str]) -> list[Decision]:
    """The decided rows of a review file, in file order. ReviewFileError listing every
    problem (unreadable file, missing columns, an unknown decision, one candidate decided
    twice in different ways), each as ``file:line:column: what``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a spreadsheet may add a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise ReviewFileError([f"{path}: cannot read the review file: {exc}"]) from None
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ReviewFileError([f"{path}:1: not CSV: {exc}"]) from None
    if header is None:
        raise ReviewFileError([f"{path}:1: empty file: expected the header "
                               f"{','.join(COLUMNS)}"])
    header = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ReviewFileError([f"{path}:1: missing column {', '.join(missing)} (the header "
                               f"must name {', '.join(REQUIRED)}; written: {','.join(COLUMNS)})"])
    column = {name: header.index(name) + 1 for name in header}
    decisions: list[Decision] = []
    problems: list[str] = []
    seen: dict[str, tuple[Status, int]] = {}
    line = 1
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(f"{path}:{start}: not CSV: {exc}")
            break
        line = start
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            problems.append(f"{path}:{line}:{len(header) + 1}: more cells than the header has "
                            f"columns ({len(cells)} > {len(header)}); is a comma unquoted?")
            continue
        row = {name: (cells[i].strip() if i < len(cells) else "")
               for i, name in enumerate(header)}
        decision = _decision(row["decision"], path, line, column["decision"], problems)
        if decision is None:
            continue
        iri = row["candidate"]
        if not iri:
            problems.append(f"{path}:{line}:{column['candidate']}: no candidate IRI in a row "
                            f"marked {row['decision'].strip().lower()}")
            continue
        if iri in seen and seen[iri][0] != decision:
            problems.append(f"{path}:{line}:{column['decision']}: candidate {iri} is marked "
                            f"{_word(decision)} here and {_word(seen[iri][0])} on line "
                            f"{seen[iri][1]}")
            continue
        seen.setdefault(iri, (decision, line))
        decisions.append(Decision(line, iri, decision, row))
    if problems:
        raise ReviewFileError(problems)
    return decisions


def _word(status: Status) -> str:
    return next(word for word, s in DECISIONS.items() if s == status)


def _decision(text: str, path: Path, line: int, column: int,
              problems: list[str]) -> Status | None:
    word = text.strip().lower()
    if not word:
        return None
    if word not in DECISIONS:
        problems.append(f"{path}:{line}:{column}: decision {text.strip()!r} is not one of: "
                        f"{', '.join(DECISIONS)} (or blank for undecided)")
        return None
    return DECISIONS[word]


# ------------------------------------------------------------------ accepting


def local_agent(base_iri: str) -> str:
    """The local user as an agent IRI (``{base}id/agent/<login>``): the reviewer when no
    ``--reviewer`` is given."""
    try:
        login = getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment or the password file
        login = "unknown"
    return f"{base_iri}id/agent/{re.sub(r'[^A-Za-z0-9._-]+', '-', login) or 'unknown'}"


def accept(store: Store, settings: Settings, *, threshold: float | None = None,
           review_file: str | os.PathLike[str] | None = None,
           reviewer: str | None = None, target: str | None = None) -> AcceptReport:
    """Accept candidates as links: the marked rows of ``review_file`` (reviewed by
    ``reviewer``, an agent IRI such as an ORCID; default :func:`local_agent`), then the
    pending candidates scoring at least ``threshold`` (discovered; only those of ``target``
    when given). See the module doc."""
    if threshold is None and review_file is None:
        raise BadRequest("accepting needs a threshold, a review file or both")
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise BadRequest(f"the threshold is a score in [0, 1], not {threshold!r}")
    base = settings.base_iri
    reviewer = _agent(reviewer or local_agent(base))
    candidates = read_candidates(store, base)
    by_iri = {candidate_iri(c.subject, c.predicate, c.object, base): c for c in candidates}
    today = datetime.datetime.now(datetime.UTC).date()
    decisions: dict[str, Status] = {}
    links: list[Link] = []
    reviewed = rejected = 0
    if review_file is not None:
        for decision, candidate in _checked(read_review(review_file), by_iri, review_file):
            if candidate.status == decision.status:
                continue  # decided so already: nothing to change
            decisions[decision.candidate] = decision.status
            if decision.status == Status.ACCEPTED:
                links.append(_link(candidate, Origin.REVIEWED, today, reviewer=reviewer))
                reviewed += 1
            else:
                rejected += 1
    held: list[str] = []
    discovered = 0
    if threshold is not None:
        chosen, held = _over_threshold(store, base, candidates, decisions, threshold, target)
        for candidate in chosen:
            decisions[candidate_iri(candidate.subject, candidate.predicate, candidate.object,
                                    base)] = Status.ACCEPTED
            links.append(_link(candidate, Origin.DISCOVERED, today))
        discovered = len(chosen)
    written = add_links(store, links, base)
    set_status(store, decisions, base)
    return AcceptReport(discovered, reviewed, rejected, written, tuple(held))


def _agent(iri: str) -> str:
    try:
        ox.NamedNode(iri)
    except ValueError:
        raise BadRequest(f"the reviewer must be an agent IRI (e.g. https://orcid.org/…), not "
                         f"{iri!r}") from None
    if ":" not in iri:
        raise BadRequest(f"the reviewer must be an absolute IRI, not {iri!r}")
    return iri


def _checked(decisions: Sequence[Decision], by_iri: dict[str, Candidate],
             path: str | os.PathLike[str]) -> list[tuple[Decision, Candidate]]:
    """Each decision with its stored candidate; ReviewFileError listing every row naming
    no candidate, with an IRI changed, or rejecting a candidate already accepted."""
    found, problems = [], []
    for decision in decisions:
        header = list(decision.row)
        where = f"{path}:{decision.line}"
        candidate = by_iri.get(decision.candidate)
        if candidate is None:
            problems.append(f"{where}:{header.index('candidate') + 1}: no candidate "
                            f"{decision.candidate} in the store (written from another store, "
                            "or the IRI was changed?)")
            continue
        changed = [name for name in CHECKED if decision.row.get(name)
                   and decision.row[name] != getattr(candidate, name)]
        if changed:
            name = changed[0]
            problems.append(f"{where}:{header.index(name) + 1}: {name} {decision.row[name]} "
                            f"is not the {name} of candidate {decision.candidate} "
                            f"({getattr(candidate, name)}); change only the decision column")
            continue
        if decision.status == Status.REJECTED and candidate.status == Status.ACCEPTED:
            problems.append(f"{where}:{header.index('decision') + 1}: candidate "
                            f"{decision.candidate} was accepted already and its link made; "
                            "a review file does not remove links")
            continue
        found.append((decision, candidate))
    if problems:
        raise ReviewFileError(problems)
    return found


def _over_threshold(store: Store, base_iri: str, candidates: Sequence[Candidate],
                    decisions: dict[str, Status], threshold: float, target: str | None
                    ) -> tuple[list[Candidate], list[str]]:
    """The pending candidates to accept by score (the best of each entity and dataset, not
    ambiguous, for an entity with no link to that dataset) and why others over the
    threshold are held back."""
    def status(c: Candidate) -> Status:
        return decisions.get(candidate_iri(c.subject, c.predicate, c.object, base_iri),
                             c.status)

    current = [dataclasses.replace(c, status=status(c)) for c in candidates]
    unclear = ambiguous(current)
    linked: dict[str, dict[str, set[str]]] = {}
    chosen: list[Candidate] = []
    taken: set[tuple[str, str]] = set()
    held: list[str] = []
    ordered = sorted((c for c in current if c.status == Status.PENDING
                      and c.score >= threshold and target in (None, c.target)),
                     key=lambda c: (-c.score, c.subject, c.object))
    for candidate in ordered:
        dataset = link_dataset(candidate.object)
        prefix = dataset.prefix if dataset is not None else candidate.object
        if prefix not in linked:
            linked[prefix] = linked_objects(store, base_iri, prefix)
        key = (candidate.subject, prefix)
        shown = f"{candidate.subject} -> {candidate.object}"
        if (candidate.subject, candidate.predicate, candidate.object) in unclear:
            held.append(f"{shown}: ambiguous (another candidate scores within the margin)")
        elif linked[prefix].get(candidate.subject) or key in taken:
            held.append(f"{shown}: the entity already has a link to this dataset")
        else:
            chosen.append(candidate)
            taken.add(key)
    return chosen, held


def _link(candidate: Candidate, origin: Origin, today: datetime.date, *,
          reviewer: str | None = None) -> Link:
    return Link(subject=candidate.subject, predicate=candidate.predicate,
                object=candidate.object, origin=origin, justification=LEXICAL_MATCHING,
                date=today, confidence=candidate.score, tool=TOOL, reviewer=reviewer,
                evidence=EVIDENCE_SEPARATOR.join(candidate.evidence) or None,
                activity=candidate.activity, subject_label=candidate.subject_label or None,
                object_label=candidate.object_label or None)
