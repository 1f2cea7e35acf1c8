"""Works deduplicated and matched against the graph; entity mentions with their sentence."""

from __future__ import annotations

from alliancegraph.ingest.citations import parse_note, resolve
from alliancegraph.ingest.matching import (
    KnownWork,
    dedupe,
    known_labels,
    known_works,
    match,
    mentions,
)


def cite(raw: str, label: str):
    return parse_note(raw, label)


def test_same_work_twice_is_one_group_and_a_different_year_is_not() -> None:
    a = cite("Stephen M. Walt, \u201cWhy alliances endure or collapse\u201d, "
             "*Survival*, 39:1, Spring "
             "1997, pg157.", "3")
    b = cite("Stephen M. Walt, \u201cWhy alliances endure or collapse\u201d, "
             "*Survival*, 39:1, Spring "
             "1997, pg.165.", "15")
    c = cite("Stephen M. Walt, \u201cWhy alliances endure or collapse\u201d, "
             "*Survival*, 2001, pg.1.", "16")
    d = cite("Ibid., pg.2.", "17")
    citations = a + b + c + d
    resolve(citations)
    groups = dedupe(citations)
    assert [[x.footnote for x in g] for g in groups] == [["3", "15"], ["16", "17"]]


def test_match_close_second_is_ambiguous_never_merged() -> None:
    c = cite("Scott Snyder, \u201cSouth Korea\u2019s squeeze play\u201d, "
             "*The Washington Quarterly*, "
             "Autumn 2005, pg.93", "1")[0]
    one = KnownWork("w:1", "South Korea's squeeze play", ("Snyder",), "2005")
    other = KnownWork("w:2", "South Korea\u2019s squeeze play", ("Snyder",), "2005")
    unrelated = KnownWork("w:3", "The end of alliances", ("Menon",), "2003")
    assert match(c, [one, unrelated]).iri == "w:1"
    chosen = match(c, [one, other, unrelated])
    assert chosen.status == "ambiguous" and chosen.iri is None
    assert {iri for iri, _ in chosen.candidates[:2]} == {"w:1", "w:2"}
    assert match(c, [unrelated]).status == "new"


def test_known_works_and_labels_from_the_store(bundled_store) -> None:
    select = lambda q: list(bundled_store.select(q))  # noqa: E731
    works = known_works(select)
    by_iri = {w.iri.rsplit("/", 1)[1]: w for w in works}
    auslin = by_iri["auslin-2005-japan-and-south-korea"]
    assert auslin.families == ("Auslin",) and auslin.year == "2005"
    assert not any("/footnote/" in w.iri or "/journal/" in w.iri for w in works)
    labels = known_labels(select)
    assert any(label == "ROK" for label in labels)
    assert any(any("/state/south-korea" in e for e in es) for es in labels.values())


def test_mentions_carry_their_sentence(bundled_store) -> None:
    labels = known_labels(lambda q: list(bundled_store.select(q)))
    found = mentions([("2", "Japan shares the goal. Nothing here at all.")], labels)
    japan = [m for m in found if m.entity.endswith("/state/japan")]
    assert japan and japan[0].sentence == "Japan shares the goal." and japan[0].section == "2"
    assert not [m for m in found if m.sentence == "Nothing here at all."]
