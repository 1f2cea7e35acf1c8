"""The review file and acceptance, end to end on a built store whose candidates come from
the Wikidata-shaped Oxigraph server (``external_sparql``): the CSV and Turtle files, an
edited file read back (or refused with file, line and column), acceptance by threshold
(never an ambiguous candidate, one link per entity), by review (reviewed links with their
reviewer, rejections that stay), provenance of every link, a curated link never touched,
and a links graph that conforms to the shapes."""

from __future__ import annotations

import csv
import dataclasses
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from alliancegraph.config import load_settings
from alliancegraph.errors import BadRequest
from alliancegraph.graph.vocabulary import graph_iri
from alliancegraph.links.discover import PREDICATE, TOOL, discover
from alliancegraph.links.model import (
    LEXICAL_MATCHING,
    Candidate,
    Origin,
    Status,
    candidate_iri,
    read_candidates,
    read_links,
    save_candidates,
)
from alliancegraph.links.review import (
    COLUMNS,
    ReviewFileError,
    accept,
    local_agent,
    read_review,
    write_review,
)
from alliancegraph.shapes.validate import validate
from alliancegraph.store import open_store

BASE = "https://w3id.org/alliancegraph/"
ID = BASE + "id/"
AG = BASE + "ontology#"
WD = "http://www.wikidata.org/entity/"
LINKS = graph_iri("links", BASE)
ORCID = "https://orcid.org/0000-0002-1825-0097"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

KEDO = ID + "org/kedo"
SNYDER = ID + "person/scott-snyder"
MILLER = ID + "person/john-h-miller"
ASIAN_PERSPECTIVE = ID + "journal/asian-perspective"
JAPAN = ID + "state/japan"
Q17 = WD + "Q17"


@pytest.fixture
def discovered(tmp_path, built, external_sparql):
    """A store of its own with the candidates of one discovery run against Wikidata."""
    data = tmp_path / "store"
    shutil.copytree(built, data)
    settings = load_settings(environ={}, overrides={
        "data_dir": str(data), "link_cache_dir": str(tmp_path / "cache"),
        **external_sparql.settings()})
    store = open_store(settings)
    run = discover(store, settings, target="wikidata", progress=False)
    yield store, settings, run
    store.close()


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, rows: list[dict[str, str]], fields=COLUMNS) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(fields))
        writer.writeheader()
        writer.writerows(rows)


def mark(rows: list[dict[str, str]], subject: str, rank: int, decision: str) -> None:
    [row] = [r for r in rows if r["subject"] == subject and r["rank"] == str(rank)]
    row["decision"] = decision


def link_of(store, subject: str, origin: Origin | None = None):
    return [link for link in read_links(store, BASE, origin=origin) if link.subject == subject]


def status_of(store, subject: str) -> dict[str, Status]:
    return {c.object: c.status for c in read_candidates(store, BASE) if c.subject == subject}


# ---------------------------------------------------------------------- the files


def test_the_review_file_holds_every_pending_candidate(discovered, tmp_path):
    store, settings, run = discovered
    files = write_review(store, settings, tmp_path / "review.csv", target="wikidata")
    assert files.turtle == tmp_path / "review.ttl"
    rows = rows_of(files.csv)
    assert list(rows[0]) == list(COLUMNS)
    assert files.rows == len(rows) == len(run.candidates)
    by_key = {(c.subject, c.object): c for c in run.candidates}
    for row in rows:
        candidate = by_key[(row["subject"], row["object"])]
        assert row["decision"] == ""
        assert row["candidate"] == candidate_iri(candidate.subject, PREDICATE, candidate.object,
                                                 BASE)
        assert float(row["score"]) == pytest.approx(candidate.score)
        assert int(row["rank"]) == candidate.rank
        assert row["evidence"].split("; ") == list(candidate.evidence)
        assert (row["kind"], row["target"], row["predicate"]) == (candidate.kind, "wikidata",
                                                                  PREDICATE)
    # the Turtle holds the same candidates, as the review graph has them
    graph = ox.Store()
    graph.load(files.turtle.read_bytes(), format=ox.RdfFormat.TURTLE)
    typed = {q.subject.value for q in graph.quads_for_pattern(
        None, ox.NamedNode(RDF_TYPE), ox.NamedNode(AG + "LinkCandidate"))}
    assert typed == {row["candidate"] for row in rows}
    assert list(graph.quads_for_pattern(ox.NamedNode(run.activity), None, None))


def test_decided_candidates_leave_the_review_file(discovered, tmp_path):
    store, settings, _ = discovered
    accept(store, settings, threshold=0.9)
    rows = rows_of(write_review(store, settings, tmp_path / "r.csv", target="wikidata").csv)
    assert KEDO not in {row["subject"] for row in rows}  # accepted above 0.9
    assert SNYDER in {row["subject"] for row in rows}  # ambiguous: still pending


def test_text_from_an_endpoint_never_becomes_a_formula(discovered, tmp_path):
    store, settings, _ = discovered
    [kedo] = [c for c in read_candidates(store, BASE) if c.subject == KEDO]
    save_candidates(store, [dataclasses.replace(kedo, object_label='=HYPERLINK("x")')], BASE)
    rows = rows_of(write_review(store, settings, tmp_path / "r.csv", target="wikidata").csv)
    [row] = [r for r in rows if r["subject"] == KEDO]
    assert row["object_label"] == "'=HYPERLINK(\"x\")"


# ---------------------------------------------------------------------- by threshold


def test_the_threshold_accepts_clear_candidates_with_their_provenance(discovered):
    store, settings, run = discovered
    [candidate] = [c for c in run.candidates if c.subject == KEDO]
    report = accept(store, settings, threshold=candidate.score)
    assert report.discovered >= 1 and report.written == report.discovered
    [link] = link_of(store, KEDO, Origin.DISCOVERED)
    assert (link.predicate, link.object) == (PREDICATE, WD + "Q990000003")
    assert link.justification == LEXICAL_MATCHING
    assert link.confidence == pytest.approx(candidate.score)
    assert link.tool == TOOL and link.activity == run.activity and link.reviewer is None
    assert link.evidence == "; ".join(candidate.evidence)
    assert link.object_label == candidate.object_label
    # the plain triple is there too, so every query sees the link
    assert store.quads(ox.NamedNode(KEDO), ox.NamedNode(PREDICATE),
                       ox.NamedNode(WD + "Q990000003"), LINKS)
    assert status_of(store, KEDO) == {WD + "Q990000003": Status.ACCEPTED}


def test_an_ambiguous_candidate_is_never_accepted_by_threshold(discovered):
    store, settings, _ = discovered
    report = accept(store, settings, threshold=0.0)
    for subject in (SNYDER, MILLER):
        assert link_of(store, subject) == []
        assert set(status_of(store, subject).values()) == {Status.PENDING}
        assert any(subject in held and "ambiguous" in held for held in report.held)


def test_one_link_per_entity_and_dataset(discovered):
    store, settings, _ = discovered
    accept(store, settings, threshold=0.0)
    # Asian Perspective has two candidates far apart: the best one only
    [link] = link_of(store, ASIAN_PERSPECTIVE)
    assert link.object == WD + "Q990000305"
    assert status_of(store, ASIAN_PERSPECTIVE)[WD + "Q990000306"] == Status.PENDING


def test_accepted_links_conform_to_the_shapes(discovered):
    store, settings, _ = discovered
    assert accept(store, settings, threshold=0.5).written > 0
    alone = ox.Store()
    alone.extend(store.quads(graph=LINKS))
    report = validate(alone)
    assert report.conforms, [r.message for r in report.violations]


# ---------------------------------------------------------------------- by review


def test_marked_rows_become_reviewed_links_and_rejections(discovered, tmp_path):
    store, settings, _ = discovered
    files = write_review(store, settings, tmp_path / "review.csv", target="wikidata")
    rows = rows_of(files.csv)
    mark(rows, SNYDER, 1, "accept")
    mark(rows, SNYDER, 2, " Reject ")  # case and blanks aside
    write_rows(files.csv, rows)
    report = accept(store, settings, review_file=files.csv, reviewer=ORCID)
    assert (report.reviewed, report.rejected, report.written) == (1, 1, 1)
    [first] = [r["object"] for r in rows if r["subject"] == SNYDER and r["rank"] == "1"]
    [second] = [r["object"] for r in rows if r["subject"] == SNYDER and r["rank"] == "2"]
    [link] = link_of(store, SNYDER)
    assert (link.origin, link.object, link.reviewer) == (Origin.REVIEWED, first, ORCID)
    assert link.justification == LEXICAL_MATCHING and link.tool == TOOL
    assert status_of(store, SNYDER) == {first: Status.ACCEPTED, second: Status.REJECTED}
    # applying the same file again changes nothing
    again = accept(store, settings, review_file=files.csv, reviewer=ORCID)
    assert (again.reviewed, again.rejected, again.written) == (0, 0, 0)
    # and a new run leaves both decisions as they are
    discover(store, settings, target="wikidata", progress=False, refresh=True)
    assert status_of(store, SNYDER) == {first: Status.ACCEPTED, second: Status.REJECTED}


def test_the_default_reviewer_is_the_local_user(discovered, tmp_path):
    store, settings, _ = discovered
    files = write_review(store, settings, tmp_path / "review.csv", target="wikidata")
    rows = rows_of(files.csv)
    mark(rows, MILLER, 2, "accept")
    write_rows(files.csv, rows)
    accept(store, settings, review_file=files.csv)
    [link] = link_of(store, MILLER)
    assert link.reviewer == local_agent(BASE)
    assert link.reviewer.startswith(ID + "agent/")


def test_a_curated_link_is_never_touched(discovered, tmp_path):
    store, settings, _ = discovered
    [curated] = [link for link in link_of(store, JAPAN, Origin.CURATED) if link.object == Q17]
    before = sorted(map(str, store.quads(graph=LINKS)))
    candidate = Candidate(subject=JAPAN, predicate=PREDICATE, object=Q17, score=0.99, rank=1,
                          evidence=("label 'Japan'@en = rdfs:label",), kind="state",
                          target="wikidata", subject_label="Japan", object_label="Japan")
    save_candidates(store, [candidate], BASE)
    # by threshold: the entity has a link to Wikidata already
    report = accept(store, settings, threshold=0.5)
    assert any(JAPAN in held for held in report.held)
    # by review: the curated axiom of the same triple is kept as it is
    files = write_review(store, settings, tmp_path / "review.csv", target="wikidata")
    rows = rows_of(files.csv)
    mark(rows, JAPAN, 1, "accept")
    write_rows(files.csv, [r for r in rows if r["subject"] == JAPAN])
    assert accept(store, settings, review_file=files.csv, reviewer=ORCID).written == 0
    [kept] = [link for link in link_of(store, JAPAN) if link.object == Q17]
    assert kept == curated
    after = {str(q) for q in store.quads(graph=LINKS)}
    assert set(before) <= after  # nothing of the curated links went away


# ---------------------------------------------------------------------- bad files


def problems(path: Path, text: str) -> list[str]:
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReviewFileError) as caught:
        read_review(path)
    assert caught.value.status == 400
    return caught.value.problems


def test_a_bad_decision_is_named_with_line_and_column(tmp_path):
    path = tmp_path / "r.csv"
    found = problems(path, "decision,candidate\naccept,urn:a\n\n\"multi\nline\",urn:b\nyes,urn:c\n")
    assert found == [f"{path}:4:1: decision 'multi\\nline' is not one of: accept, reject "
                     "(or blank for undecided)",
                     f"{path}:6:1: decision 'yes' is not one of: accept, reject (or blank for "
                     "undecided)"]


@pytest.mark.parametrize(("text", "expected"), [
    ("", ":1: empty file"),
    ("candidate,subject\nurn:a,urn:b\n", ":1: missing column decision"),
    ("decision,candidate\nreject,urn:a\naccept,urn:a\n",
     ":3:1: candidate urn:a is marked accept here and reject on line 2"),
    ("decision,candidate\naccept,\n", ":2:2: no candidate IRI"),
    ("decision,candidate\naccept,urn:a,extra\n", ":2:3: more cells than the header"),
])
def test_a_malformed_review_file_says_where(tmp_path, text, expected):
    path = tmp_path / "r.csv"
    [problem] = problems(path, text)
    assert problem.startswith(str(path)) and expected in problem


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ReviewFileError, match="cannot read the review file"):
        read_review(tmp_path / "absent.csv")


def test_rows_that_do_not_fit_the_store_are_refused_and_nothing_is_written(discovered,
                                                                          tmp_path):
    store, settings, _ = discovered
    files = write_review(store, settings, tmp_path / "review.csv", target="wikidata")
    rows = rows_of(files.csv)
    mark(rows, KEDO, 1, "accept")
    mark(rows, SNYDER, 1, "accept")
    [snyder] = [r for r in rows if r["subject"] == SNYDER and r["rank"] == "1"]
    snyder["object"] = WD + "Q1"  # an edited IRI
    rows.append({**snyder, "decision": "reject",
                 "candidate": ID + "candidate/0000000000000000"})
    write_rows(files.csv, rows)
    with pytest.raises(ReviewFileError) as caught:
        accept(store, settings, review_file=files.csv)
    edited, unknown = caught.value.problems
    line = rows.index(snyder) + 2  # the header is line 1
    assert edited.startswith(f"{files.csv}:{line}:7: object {WD}Q1 is not the object")
    assert "change only the decision column" in edited
    assert unknown.startswith(f"{files.csv}:{len(rows) + 1}:2: no candidate")
    # the good row was not applied either
    assert not [link for link in link_of(store, KEDO) if link.object.startswith(WD)]


def test_rejecting_an_accepted_candidate_is_refused(discovered, tmp_path):
    store, settings, _ = discovered
    accept(store, settings, threshold=0.9)
    [kedo] = [c for c in read_candidates(store, BASE) if c.subject == KEDO]
    path = tmp_path / "r.csv"
    write_rows(path, [{"decision": "reject",
                       "candidate": candidate_iri(KEDO, PREDICATE, kedo.object, BASE)}],
               fields=("decision", "candidate"))
    with pytest.raises(ReviewFileError, match=r"r\.csv:2:1: .* was accepted already"):
        accept(store, settings, review_file=path)


def test_accept_needs_a_threshold_or_a_file_and_an_agent_iri(discovered, tmp_path):
    store, settings, _ = discovered
    with pytest.raises(BadRequest, match="threshold, a review file or both"):
        accept(store, settings)
    with pytest.raises(BadRequest, match=r"in \[0, 1\]"):
        accept(store, settings, threshold=1.5)
    with pytest.raises(BadRequest, match="agent IRI"):
        accept(store, settings, threshold=0.9, reviewer="not an iri")
