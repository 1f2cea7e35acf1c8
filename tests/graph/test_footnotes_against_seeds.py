"""The scholarly layer of the graph, checked against the seed papers parsed by code.

Footnotes, bibliography entries, page references, URLs, access and publication dates, section
markers and the papers' own title lines are read from the seed markdown by the small parsers
below and compared with the paper graphs. The one thing taken from the graph is which work a
citation names; that pairing is then checked against the printed title and for consistency.

How the seeds print footnotes: a footnote is a paragraph that starts with ``<sup>N</sup>``.
In paper A the footnotes of a page follow a ``---`` rule; when a page break cuts a footnote,
its remainder is the first paragraph after the next ``---`` (not itself a footnote). Paper B
also prints footnotes without a rule, and prints the number 4 twice.

Readings of the seeds decided here (the seed is ambiguous or irregular):
- Paper B's asterisk note ("\\* Dr. Hyon-Sik Yon is a Professor…") is the author note of the front
  matter (MODELLING.md), not one of its six numbered footnotes.
- Paper B's two footnotes numbered 4 are 4a and 4b in the order their texts are printed; their
  markers stand in the same order (the markers read 4, 5, 4; the texts 4, 4, 5).
- "pg.290.." (paper A fn 6) cites page 290; the second dot is punctuation.
- A single page is recorded with pageStart = pageEnd.
- A year inside a title ("국방개혁 2020", Defense Reform 2020) is not a publication date.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import pyoxigraph as ox
import pytest
from alliancegraph import CANONICAL_BASE

ID = f"{CANONICAL_BASE}id/"
AG = f"{CANONICAL_BASE}ontology#"
PAPERS = ("paper-a", "paper-b")
PREFIXES = f"""
PREFIX ag: <{AG}>
PREFIX agid: <{ID}>
PREFIX cito: <http://purl.org/spar/cito/>
PREFIX biro: <http://purl.org/spar/biro/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX schema: <https://schema.org/>
"""
XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"
SKOS_ALT = "http://www.w3.org/2004/02/skos/core#altLabel"

Normalise = Callable[[str], str]

# --- parsing the seeds ---------------------------------------------------------------------

MARKER = re.compile(r"<sup>\s*(\d+)\s*</sup>")
RULE = "---"
# "pg.115", "pp.467", "pp.11~20", "pg. 589-590", "Pg 207", "pp12", "Pg.11", "pg157", "p. 41",
# "pp. 238 ~ 240": a page label, an optional dot, the first page and perhaps a range.
PAGES = re.compile(r"\b(?:pp|pg|p)\.?\s*(\d+)(?:\s*[~\-\u2013]\s*(\d+))?", re.IGNORECASE)
URL = re.compile(r"https?://[^\s<>]+")
ACCESSED = re.compile(r"Accessed:\s*(\d{1,2})(?:st|nd|rd|th)?\s+([A-Z][a-z]+)\s+(\d{4})")
# Two works in one footnote are separated by "; " before the next quoted title (paper B fn 3);
# a ";" with no quoted title after it belongs to the same reference (paper A fn 18 "20,2;").
WORK_SEPARATOR = re.compile(r";\s+(?=[^;]*[\"\u201c])")
# Titles: the earliest quoted span; failing that, the first italic span.
QUOTED = re.compile(r"\u201c([^\u201d]+)\u201d|\"([^\"]+)\"|\u2018([^\u2019]+)\u2019|'([^']+)'")
ITALIC = re.compile(r"\*([^*]+)\*")
READING_PREFIX = re.compile(r"^.*?\bsee:\s*", re.IGNORECASE)


@dataclass
class SeedNote:
    """One footnote as the seed prints it (markup kept), possibly joined over a page break."""

    number: str
    raw: str
    continued: bool = False
    label: str = ""
    pieces: list[str] = field(default_factory=list)


Cited = tuple[str, SeedNote, str, str]


def paragraphs(markdown: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", markdown) if p.strip()]


def seed_footnotes(markdown: str) -> list[SeedNote]:
    """Every footnote in reading order, with page-break continuations joined."""
    notes: list[SeedNote] = []
    after_rule = False
    in_notes = False  # the previous paragraph was (part of) a footnote
    interrupted: SeedNote | None = None  # last footnote, if running text followed it
    for para in paragraphs(markdown):
        if para == RULE:
            after_rule = True
            continue
        marker = MARKER.match(para)
        if marker:
            notes.append(SeedNote(marker.group(1), para))
            interrupted, in_notes = None, True
        elif after_rule and interrupted is not None:
            # The first paragraph of a footnote block that is not a footnote finishes the
            # footnote the page break cut off.
            interrupted.raw += " " + para
            interrupted.continued = True
            interrupted, in_notes = None, True
        else:
            if in_notes:
                interrupted = notes[-1]
            in_notes = False
        after_rule = False
    return label_duplicates(notes)


def label_duplicates(notes: list[SeedNote]) -> list[SeedNote]:
    """Label notes by number; a number printed twice gets a, b… in reading order (MODELLING.md)."""
    counts: dict[str, int] = defaultdict(int)
    for note in notes:
        counts[note.number] += 1
    seen: dict[str, int] = defaultdict(int)
    for note in notes:
        suffix = ""
        if counts[note.number] > 1:
            suffix = "abcdefgh"[seen[note.number]]
            seen[note.number] += 1
        note.label = note.number + suffix
        note.pieces = WORK_SEPARATOR.split(note.raw)
    return notes


def seed_bibliography(markdown: str) -> list[str]:
    """Paper A's bibliography entries in printed order (markup kept).

    An entry starts with a name ("Auslin, …", "Author unknown", "ROK Ministry…"); a paragraph
    that starts with a digit or a lower-case letter is the rest of the entry before it
    (entry 1 is broken after "Summer").
    """
    paras = paragraphs(markdown)
    start = next(i for i, p in enumerate(paras) if re.match(r"#+\s*\**Bibliography\**$", p))
    entries: list[str] = []
    for para in paras[start + 1 :]:
        if entries and re.match(r"[\da-z]", para):
            entries[-1] += " " + para
        else:
            entries.append(para)
    return entries


def printed_pages(text: str) -> list[tuple[str, int, int]]:
    """(as printed, first page, last page) of each page reference; a single page is x-x."""
    found = []
    for match in PAGES.finditer(URL.sub(" ", text)):
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) else first
        found.append((match.group(0), first, last))
    return found


def printed_urls(text: str) -> set[str]:
    return {url.rstrip(".,;)") for url in URL.findall(text)}


def printed_access_dates(text: str) -> set[str]:
    return {
        datetime.strptime(f"{day} {month} {year}", "%d %B %Y").date().isoformat()
        for day, month, year in ACCESSED.findall(text)
    }


def fold(text: str) -> str:
    """Text for comparing titles and names: no quotes or apostrophes, lower case, single spaces."""
    text = re.sub(r"[\"'\u2018\u2019\u201c\u201d*]", "", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def title_and_author(raw: str, normalise: Normalise) -> tuple[str, str]:
    """A key for "the same work": the printed title and the words printed before it."""
    quoted = QUOTED.search(raw)
    match = quoted or ITALIC.search(raw)
    if match is None:  # nothing marked as a title (an interview): the whole reference
        body = re.sub(PAGES, "", normalise(raw))
        return "", fold(body)
    title = next(group for group in match.groups() if group)
    author = READING_PREFIX.sub("", normalise(raw[: match.start()]))
    return fold(normalise(title)), " ".join(re.findall(r"[^\W\d_]{2,}", fold(author)))


# --- reading the graph ---------------------------------------------------------------------


def graph_iri(paper: str) -> str:
    return f"{CANONICAL_BASE}graph/{paper}"


def select(store: ox.Store, query: str) -> list[dict[str, str]]:
    """Rows of a SELECT as {variable: lexical value}; unbound variables are left out."""
    result = store.query(PREFIXES + query, use_default_graph_as_union=True)
    names = [v.value for v in result.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in result]


def graph_footnotes(store: ox.Store, paper: str) -> dict[str, dict[str, list[str]]]:
    """Each footnote of the paper's graph (by IRI) with the values of its record."""
    found: dict[str, dict[str, list[str]]] = {}
    query = f"""SELECT ?fn ?p ?o {{ GRAPH <{graph_iri(paper)}> {{
        ?fn a ag:Footnote ; ?p ?o . }} }}"""
    for row in select(store, query):
        found.setdefault(row["fn"], defaultdict(list))[row["p"]].append(row["o"])
    return found


def graph_citations(store: ox.Store, paper: str, footnote: str) -> list[dict[str, str]]:
    """The citations whose in-text pointer is the footnote, ordered by their IRI (…/3-1, …/3-2)."""
    query = f"""SELECT ?cit ?work ?printed ?start ?end {{ GRAPH <{graph_iri(paper)}> {{
        ?cit a cito:Citation ; ag:hasInTextPointer <{footnote}> ; cito:hasCitedEntity ?work .
        OPTIONAL {{ ?cit ag:citedPages ?printed }}
        OPTIONAL {{ ?cit ag:pageStart ?start }}
        OPTIONAL {{ ?cit ag:pageEnd ?end }} }} }}"""
    return sorted(select(store, query), key=lambda row: natural_key(row["cit"]))


def natural_key(iri: str) -> list[int | str]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", iri)]


def values(store: ox.Store, subject: str, predicate: str) -> list[ox.Literal | ox.NamedNode]:
    """Objects of (subject, predicate) in the paper graphs."""
    found = []
    for paper in PAPERS:
        found += [
            quad.object
            for quad in store.quads_for_pattern(
                ox.NamedNode(subject), ox.NamedNode(predicate), None, ox.NamedNode(graph_iri(paper))
            )
        ]
    return found


def footnote_iri(paper: str, label: str) -> str:
    return f"{ID}{paper}/footnote/{label}"


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_notes(seed_markdown) -> dict[str, list[SeedNote]]:
    return {paper: seed_footnotes(seed_markdown[paper]) for paper in PAPERS}


@pytest.fixture(scope="module")
def seed_entries(seed_markdown) -> list[str]:
    return seed_bibliography(seed_markdown["paper-a"])


def pair_citations(store: ox.Store, seed_notes: dict[str, list[SeedNote]]) -> list[Cited]:
    """(paper, footnote, printed reference, cited work) for every citation of every footnote.

    A footnote's references (split at WORK_SEPARATOR) and its citations pair up in order.
    """
    pairs = []
    for paper, notes in seed_notes.items():
        for note in notes:
            citations = graph_citations(store, paper, footnote_iri(paper, note.label))
            if citations:
                assert len(citations) == len(note.pieces), (paper, note.label, note.pieces)
                pairs += [
                    (paper, note, piece, cit["work"])
                    for piece, cit in zip(note.pieces, citations, strict=True)
                ]
    return pairs


@pytest.fixture(scope="module")
def cited(source_store, seed_notes) -> list[Cited]:
    return pair_citations(source_store, seed_notes)


# --- 1. footnotes ---------------------------------------------------------------------------


def test_the_parser_finds_the_footnotes_the_papers_print(seed_notes):
    # Independent of the graph: the counts and numbering stated for the papers.
    assert [n.number for n in seed_notes["paper-a"]] == [str(k) for k in range(1, 42)]
    assert [n.label for n in seed_notes["paper-b"]] == ["1", "2", "3", "4a", "4b", "5"]
    assert {n.number for n in seed_notes["paper-a"] if n.continued} == {"4", "7", "19"}
    assert not any(n.continued for n in seed_notes["paper-b"])


@pytest.mark.parametrize("paper", PAPERS)
def test_every_footnote_is_in_the_graph_complete_and_exact(
    source_store, seed_notes, normaliser, paper
):
    in_graph = graph_footnotes(source_store, paper)
    notes = seed_notes[paper]
    assert set(in_graph) == {footnote_iri(paper, n.label) for n in notes}
    for note in notes:
        record = in_graph[footnote_iri(paper, note.label)]
        where = (paper, note.label)
        assert record[f"{AG}fullText"] == [normaliser(note.raw)], where
        assert record[f"{AG}footnoteNumber"] == [note.number], where
        assert record[f"{AG}footnoteLabel"] == [note.label], where
        assert record[f"{AG}ofPaper"] == [f"{ID}{paper}"], where
        split = record.get(f"{AG}splitAcrossPages", [])
        assert split == (["true"] if note.continued else []), where


# --- 2. bibliography ------------------------------------------------------------------------


def test_the_parser_finds_26_bibliography_entries(seed_entries):
    assert len(seed_entries) == 26
    assert seed_entries[0].endswith("Summer 2005,")  # entry 1 joined over its line break
    assert seed_entries[-1].startswith("Walt, Stephen M.")


def test_every_bibliography_entry_is_exact_and_in_printed_order(
    source_store, seed_entries, normaliser
):
    found = select(
        source_store,
        f"""SELECT ?entry ?k ?text {{ GRAPH <{graph_iri("paper-a")}> {{
        ?entry a ag:BibliographyEntry ; ag:entryNumber ?k ; ag:fullText ?text ;
            ag:ofPaper agid:paper-a .
        <{ID}paper-a/bibliography> ag:hasEntry ?entry }} }}""",
    )
    found.sort(key=lambda row: int(row["k"]))
    assert [int(row["k"]) for row in found] == list(range(1, 27))
    assert [row["entry"] for row in found] == [
        f"{ID}paper-a/bibliography/{k}" for k in range(1, 27)
    ]
    assert [row["text"] for row in found] == [normaliser(entry) for entry in seed_entries]


# --- 3. page numbers -------------------------------------------------------------------------


def test_the_page_parser_reads_every_printed_form():
    cases = {
        "Walt, 1997, pg157.": [("pg157", 157, 157)],
        "Orbis, 49:3, Summer 2005, pg.469.": [("pg.469", 469, 469)],
        "Korea Endgame, Princeton, 2002, pg.290..": [("pg.290", 290, 290)],
        "Defence, pp.11~20.": [("pp.11~20", 11, 20)],
        "Malaysia, 2001, pg. 589-590.": [("pg. 589-590", 589, 590)],
        "Press, 1998 Pg 207.": [("Pg 207", 207, 207)],
        "March 2004, pp12.": [("pp12", 12, 12)],
        "Summer 2003; 20,2;. Pg.11": [("Pg.11", 11, 11)],
        "1996, p. 41.": [("p. 41", 41, 41)],
        "1995, pp. 238 ~ 240; Yamamoto, 1996, pp. 159 ~ 160.": [
            ("pp. 238 ~ 240", 238, 240),
            ("pp. 159 ~ 160", 159, 160),
        ],
        "Paper Prepared for the Hallym University Conference, Seoul": [],
        "<http://www.npa.go.jp/sosikihanzai/kokusaisousa/kokusai2/2.pdf>": [],
    }
    for text, expected in cases.items():
        assert printed_pages(text) == expected, text


def test_cited_pages_are_the_pages_each_footnote_prints(source_store, seed_notes):
    for paper, notes in seed_notes.items():
        for note in notes:
            where = (paper, note.label)
            citations = graph_citations(source_store, paper, footnote_iri(paper, note.label))
            if not citations:  # a note that cites nothing prints no page either
                assert printed_pages(note.raw) == [], where
                continue
            assert len(citations) == len(note.pieces), where
            for piece, cit in zip(note.pieces, citations, strict=True):
                pages = printed_pages(piece)
                assert len(pages) <= 1, (where, pages)
                expected = {}
                if pages:
                    printed, first, last = pages[0]
                    expected = {"printed": printed, "start": str(first), "end": str(last)}
                got = {k: cit[k] for k in ("printed", "start", "end") if k in cit}
                assert got == expected, where


def test_bibliography_pages_are_the_pages_each_entry_prints(source_store, seed_entries):
    for k, entry in enumerate(seed_entries, start=1):
        iri = f"{ID}paper-a/bibliography/{k}"
        got = {
            name: [v.value for v in values(source_store, iri, f"{AG}{name}")]
            for name in ("pages", "pageStart", "pageEnd")
        }
        pages = printed_pages(entry)
        assert len(pages) <= 1, k
        expected = {"pages": [], "pageStart": [], "pageEnd": []}
        if pages:
            printed, first, last = pages[0]
            expected = {"pages": [printed], "pageStart": [str(first)], "pageEnd": [str(last)]}
        assert got == expected, k


# --- 4. URLs and access dates ----------------------------------------------------------------


def printed_online_details(source_store, cited, seed_entries) -> dict[str, set[str]]:
    """work → URLs, from every footnote and entry that prints the work."""
    urls: dict[str, set[str]] = defaultdict(set)
    printed = [(work, piece) for _, _, piece, work in cited]
    for k, entry in enumerate(seed_entries, start=1):
        refs = values(
            source_store, f"{ID}paper-a/bibliography/{k}", "http://purl.org/spar/biro/references"
        )
        assert len(refs) == 1, k
        printed.append((refs[0].value, entry))
    for work, text in printed:
        urls[work] |= printed_urls(text)
    return urls


def test_the_url_and_date_parsers():
    text = (
        "Paul Dibb, <http://www.onlineopinion.com.au/print.asp?article=3743> "
        "4<sup>th</sup> August 2005. Accessed: 12<sup>th</sup> June 2006"
    )
    assert printed_urls(text) == {"http://www.onlineopinion.com.au/print.asp?article=3743"}
    assert printed_access_dates(re.sub(r"</?sup>", "", text)) == {"2006-06-12"}
    assert printed_access_dates("Accessed: 21st August 2006") == {"2006-08-21"}


def test_each_printed_url_is_the_url_of_the_cited_work(source_store, cited, seed_entries):
    urls = printed_online_details(source_store, cited, seed_entries)
    # five distinct URLs, all in paper A (Jain, Foster-Carter, Cossa, the NPA page, Dibb 2005)
    assert sum(len(u) for u in urls.values()) == 5
    for work, expected in urls.items():
        got = {v.value for v in values(source_store, work, "https://schema.org/url")}
        assert got == expected, work  # every printed URL, and none the paper does not print


def test_each_access_date_is_on_the_citation_or_entry_that_prints_it(
    source_store, cited, seed_entries, normaliser
):
    # Dates are read from normalised text so that "5<sup>th</sup>" reads "5th". A date
    # printed with one citation of a work is not the date of another (footnote 23 prints
    # Cossa's URL without footnote 14's access date): each citation and each bibliography
    # entry has exactly the dates it prints.
    printed = [(cit, normaliser(piece)) for cit, piece in cited_pieces(source_store, cited)]
    printed += [(f"{ID}paper-a/bibliography/{k}", normaliser(entry))
                for k, entry in enumerate(seed_entries, start=1)]
    dated = 0
    for node, text in printed:
        got = values(source_store, node, f"{AG}accessDate")
        assert {v.value for v in got} == printed_access_dates(text), node
        assert all(isinstance(v, ox.Literal) and v.datatype.value == XSD_DATE for v in got)
        dated += bool(got)
    assert dated == 11  # six footnotes (11, 12, 14, 34, 35, 37) and five entries


def test_no_work_has_an_access_date_of_its_own(source_store, cited):
    for work in {work for *_, work in cited}:
        assert values(source_store, work, f"{AG}accessDate") == [], work


def cited_pieces(source_store, cited) -> list[tuple[str, str]]:
    """(citation IRI, printed reference) for every citation, paired as ``cited`` pairs them."""
    pairs = []
    for paper, note, piece, work in cited:
        citations = graph_citations(source_store, paper, footnote_iri(paper, note.label))
        index = note.pieces.index(piece)
        assert citations[index]["work"] == work
        pairs.append((citations[index]["cit"], piece))
    return pairs


# --- 5. the same work, the same node ----------------------------------------------------------


def test_each_cited_work_is_the_one_its_footnote_names(source_store, cited, normaliser):
    for paper, note, piece, work in cited:
        titles = values(source_store, work, "http://purl.org/dc/terms/title")
        if titles:  # works printed without a title (an interview, a newspaper item) have none
            assert any(fold(t.value) in fold(normaliser(piece)) for t in titles), (
                paper,
                note.label,
                work,
            )


def test_footnotes_printing_the_same_work_point_to_one_node(cited, normaliser):
    works_by_key: dict[tuple[str, str], set[str]] = defaultdict(set)
    for _, _, piece, work in cited:
        works_by_key[title_and_author(piece, normaliser)].add(work)
    for key, works in works_by_key.items():
        assert len(works) == 1, (key, works)
    # and different printed works are different nodes
    nodes = [next(iter(w)) for w in works_by_key.values()]
    assert len(nodes) == len(set(nodes)), works_by_key
    # paper A prints 26 distinct works in its footnotes (the 26 bibliography entries),
    # paper B 5 (fn 1, 2, 3 twice, 4a)
    assert len(works_by_key) == 31


def test_bibliography_entries_point_to_the_work_their_footnotes_name(
    source_store, cited, seed_entries, normaliser
):
    by_title = defaultdict(set)
    for paper, _, piece, work in cited:
        if paper == "paper-a":
            by_title[title_and_author(piece, normaliser)[0]].add(work)
    unmatched = set()
    for k, entry in enumerate(seed_entries, start=1):
        title = title_and_author(entry, normaliser)[0]
        refs = values(
            source_store, f"{ID}paper-a/bibliography/{k}", "http://purl.org/spar/biro/references"
        )
        if title and title in by_title:
            assert {r.value for r in refs} == by_title[title], k
        else:
            unmatched.add(k)
    # Entry 3 (the Beck interview) prints no title to match by; entry 20 prints "국방계획 2020"
    # where footnote 20 prints "국방개혁 2020" (the graph records this as a discrepancy).
    assert unmatched == {3, 20}


def test_works_name_every_footnote_and_entry_that_prints_them(source_store, cited, seed_entries):
    """ag:citesWork of each footnote and ag:describedIn of each work agree with the pairing."""
    printed_in: dict[str, set[str]] = defaultdict(set)
    cites: dict[str, set[str]] = defaultdict(set)
    for paper, note, _, work in cited:
        printed_in[work].add(footnote_iri(paper, note.label))
        cites[footnote_iri(paper, note.label)].add(work)
    for k in range(1, len(seed_entries) + 1):
        entry = f"{ID}paper-a/bibliography/{k}"
        for ref in values(source_store, entry, "http://purl.org/spar/biro/references"):
            printed_in[ref.value].add(entry)
    for work, records in printed_in.items():
        got = {v.value for v in values(source_store, work, f"{AG}describedIn")}
        assert got == records, work
    for paper in PAPERS:
        for iri, record in graph_footnotes(source_store, paper).items():
            assert set(record.get(f"{AG}citesWork", [])) == cites.get(iri, set()), iri


# --- the section of each footnote ----------------------------------------------------------

SENTINEL = re.compile(r"\u27e6(\d+)\u27e7")


def text_with_markers(markdown: str, normalise: Normalise) -> str:
    """The normalised paper with each in-text footnote marker kept as ⟦N⟧.

    A marker that opens a line is the footnote's own number and goes, as normalise drops it.
    """
    lines = []
    for line in markdown.splitlines():
        own = MARKER.match(line)
        head, rest = (line[: own.end()], line[own.end() :]) if own else ("", line)
        lines.append(head + MARKER.sub(lambda m: f"\u27e6{m.group(1)}\u27e7", rest))
    return normalise("\n".join(lines))


def section_starts(store: ox.Store, paper: str, text: str) -> list[tuple[int, str]]:
    """(offset, section IRI): where each section's title is printed, read in reading order."""
    sections = select(
        store,
        f"""SELECT ?s ?n ?title {{ GRAPH <{graph_iri(paper)}> {{
        ?s ag:ofPaper agid:{paper} ; ag:sectionNumber ?n ; dcterms:title ?title }} }}""",
    )
    order = {"front": [-1], "bibliography": [99]}  # "3-1" reads as [3, 1]
    sections.sort(key=lambda row: order.get(row["n"]) or [int(d) for d in row["n"].split("-")])
    starts, offset = [], 0
    for row in sections:
        if row["n"] != "front":
            found = text.find(row["title"], offset)
            assert found >= 0, (paper, row["n"], row["title"])
            offset = found
        starts.append((offset, row["s"]))
    return starts


@pytest.mark.parametrize("paper", PAPERS)
def test_each_footnote_is_in_the_section_its_marker_stands_in(
    source_store, seed_markdown, seed_notes, normaliser, paper
):
    text = text_with_markers(seed_markdown[paper], normaliser)
    starts = section_starts(source_store, paper, text)
    markers: dict[str, list[str]] = defaultdict(list)
    for marker in SENTINEL.finditer(text):
        section = [iri for offset, iri in starts if offset <= marker.start()][-1]
        markers[marker.group(1)].append(section)
    in_graph = graph_footnotes(source_store, paper)
    notes_by_number: dict[str, list[SeedNote]] = defaultdict(list)
    for note in seed_notes[paper]:
        notes_by_number[note.number].append(note)
    assert set(markers) == set(notes_by_number), paper  # every footnote has a marker
    for number, notes in notes_by_number.items():
        found = markers[number]
        if len(notes) == 1:
            # paper B repeats a passage with marker 3 as a pull quote in the same section
            expected = [[s] for s in set(found)]
        else:  # paper B's two footnotes numbered 4: markers and notes pair in reading order
            assert len(found) == len(notes), (paper, number)
            expected = [[s] for s in found]
        got = [in_graph.get(footnote_iri(paper, n.label), {}).get(f"{AG}inSection") for n in notes]
        assert got == expected, (paper, number)


# --- dates the records print -----------------------------------------------------------------

MONTH = r"(January|February|March|April|May|June|July|August|September|October|November|December)"
DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?(?: of)? {MONTH},? (\d{{4}})")
MONTH_DAY_YEAR = re.compile(rf"\b{MONTH} (\d{{1,2}}), (\d{{4}})")
MONTH_YEAR = re.compile(rf"\b{MONTH},? (\d{{4}})")
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def printed_dates(text: str) -> set[str]:
    """Every date printed in a normalised text, as xsd lexical forms (date, gYearMonth, gYear)."""

    def iso(day: str, month: str, year: str) -> str:
        return datetime.strptime(f"{day} {month} {year}", "%d %B %Y").date().isoformat()

    found = {iso(d, m, y) for d, m, y in DAY_MONTH_YEAR.findall(text)}
    found |= {iso(d, m, y) for m, d, y in MONTH_DAY_YEAR.findall(text)}
    found |= {iso("1", m, y)[:7] for m, y in MONTH_YEAR.findall(text)}
    return found | set(YEAR.findall(text))


def test_the_date_parser():
    assert printed_dates("Asia Times Online, 21st August 2006, http://x") >= {"2006-08-21"}
    assert printed_dates("(Chosun Ilbo, March 7, 1996)") >= {"1996-03-07"}
    assert printed_dates("Gaiko Forum, 173, December 2003, pp.20.") == {"2003-12", "2003"}
    assert printed_dates("were seen on the 9th of September 2006") >= {"2006-09-09"}


def test_publication_dates_of_cited_works_are_printed(
    source_store, cited, seed_entries, normaliser
):
    """dcterms:issued / ag:date of each cited work is a date its footnotes or entry print
    (access dates excluded: "Accessed: …" is when the author read it, not when it appeared)."""
    printed: dict[str, set[str]] = defaultdict(set)
    records = [(work, piece) for _, _, piece, work in cited]
    for k, entry in enumerate(seed_entries, start=1):
        refs = values(
            source_store, f"{ID}paper-a/bibliography/{k}", "http://purl.org/spar/biro/references"
        )
        records += [(ref.value, entry) for ref in refs]
    for work, raw in records:
        # titles go too: "국방개혁 2020" names a plan, not a date
        untitled = ITALIC.sub(" ", QUOTED.sub(" ", raw))
        text = re.sub(r"Accessed:.*", "", normaliser(untitled))
        printed[work] |= printed_dates(URL.sub(" ", text))
    for work, dates in printed.items():
        got = {  # a set: a work cited by both papers is described in both graphs
            value.value
            for prop in ("http://purl.org/dc/terms/issued", f"{AG}date")
            for value in values(source_store, work, prop)
        }
        # a work whose records print a date has one of those dates; an undated one has none
        assert len(got) == (1 if dates else 0), (work, got)
        assert got <= dates, (work, got, sorted(dates))


def test_papers_title_author_and_date_bound_as_printed(source_store, seed_markdown, normaliser):
    for paper in PAPERS:
        paras = [normaliser(p) for p in paragraphs(seed_markdown[paper]) if p != RULE]
        title = values(source_store, f"{ID}{paper}", "http://purl.org/dc/terms/title")
        assert [t.value for t in title] == [paras[0].strip("\u201c\u201d")], paper
        (creator,) = values(source_store, f"{ID}{paper}", "http://purl.org/dc/terms/creator")
        names = values(source_store, creator.value, "http://xmlns.com/foaf/0.1/name")
        assert [n.value for n in names] == [paras[1].split(" Australian")[0].rstrip(" *")], paper
        latest = max(d for d in printed_dates(" ".join(paras)) if len(d) == 10)
        bound = values(source_store, f"{ID}{paper}", f"{AG}notBefore")
        assert [b.value for b in bound] == [latest], paper


def test_citation_iris_and_links_follow_the_contract(source_store, seed_notes):
    """citation/{footnote}, or citation/{footnote}-{i} in printed order when a footnote cites
    several works; each cites from its paper and names its footnote."""
    for paper, notes in seed_notes.items():
        for note in notes:
            footnote = footnote_iri(paper, note.label)
            citations = [c["cit"] for c in graph_citations(source_store, paper, footnote)]
            base = f"{ID}{paper}/citation/{note.label}"
            if len(citations) == 1:
                assert citations == [base], footnote
            else:
                assert citations == [f"{base}-{i}" for i in range(1, len(citations) + 1)], footnote
            for cit in citations:
                citing = values(source_store, cit, "http://purl.org/spar/cito/hasCitingEntity")
                assert [c.value for c in citing] == [f"{ID}{paper}"], cit
                described = values(source_store, cit, f"{AG}describedIn")
                assert [d.value for d in described] == [footnote], cit


def test_quoted_persons_are_the_persons_the_footnotes_print(source_store, cited, normaliser):
    """ "X cited in Y": the citation of Y names X as ag:quotedPerson; any quoted person a
    citation names is printed in its footnote."""
    checked = 0
    for paper, note, piece, work in cited:
        text = normaliser(piece)
        cit = [
            c["cit"]
            for c in graph_citations(source_store, paper, footnote_iri(paper, note.label))
            if c["work"] == work
        ]
        persons = [p.value for c in cit for p in values(source_store, c, f"{AG}quotedPerson")]
        names_by_person = {
            person: {
                n.value
                for prop in ("http://xmlns.com/foaf/0.1/name", SKOS_ALT)
                for n in values(source_store, person, prop)
            }
            for person in persons
        }
        for person, names in names_by_person.items():
            assert any(name in text for name in names), (paper, note.label, person)
        quoted = re.match(r"(?:.*?: )?(.+?) cited in\b", text)
        if quoted:
            checked += 1
            assert any(quoted.group(1) in names for names in names_by_person.values()), (
                paper,
                note.label,
                quoted.group(1),
            )
    assert checked == 2  # paper A fn 2 (Barry Buzan) and fn 29 (Tanaka Hitoshi)
