"""A deterministic, streamed graph of the bundled graph's shape, as N-Quads, for benchmarks.

    python bench/generate.py --quads 100000 --seed 1 > generated.nq
    python bench/generate.py --quads 1e6 --out generated.nq

Every generated IRI is under ``agid:gen/`` (``https://w3id.org/alliancegraph/id/gen/``),
a namespace no real entity uses (graph/MODELLING.md mints none there), so a generated graph
can be loaded beside the bundled one. Named graphs follow the real ones:

- ``graph/gen-p<i>``: everything generated paper ``gen/p<i>`` says, as ``graph/paper-a``
  does: the paper, its sections, footnotes (with their full text and cited work), CiTO
  citations with pages, the works it first describes and the people who wrote them, threat
  perceptions, parties to agreements, claims, and the evidence of each statement (a blank
  node with the paper, a section of it, a quote and a supporting footnote);
- ``graph/gen-background``: the shared entities the papers talk about, as
  ``graph/background``: generated states (with English preferred labels), threats (with a
  category), agreements (status, lateralism, date signed) and events (date, place,
  participants);
- ``graph/gen-links``: links out of the generated states (curated) and people (discovered)
  to Wikidata, each with its provenance axiom (``agid:mapping/<key>``, the key of
  ``links/model.py``; discovered links with confidence, tool and activity).

Works and people are shared between papers (a paper cites earlier papers' works), and the
claims are about the bundled states (``id/state/japan`` …) as well as generated ones, so the
bundled entity pages grow with the generated graph as they would with more papers.

The output is made of small units (a footnote with its citation, a claim with its evidence,
an agreement with its parties …), each of which conforms to the bundled shapes given the
units before it. Exactly ``--quads`` lines are written: when the next unit does not fit, the
rest is filled with ``rdfs:comment`` lines on the current paper, so any size conforms.
Streaming: every unit is built, written and dropped; memory stays constant whatever the size.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
from collections.abc import Iterator
from pathlib import Path

BASE = "https://w3id.org/alliancegraph/"
ID = BASE + "id/"
GEN = ID + "gen/"
AG = BASE + "ontology#"
SCHEME = BASE + "scheme/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDFS_LABEL = RDFS + "label"
SKOS_PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
PROV = "http://www.w3.org/ns/prov#"
CITO = "http://purl.org/spar/cito/"
DOCO = "http://purl.org/spar/doco/"
FABIO = "http://purl.org/spar/fabio/"
OWL = "http://www.w3.org/2002/07/owl#"
SSSOM = "https://w3id.org/sssom/"
SEMAPV = "https://w3id.org/semapv/vocab/"
WD = "http://www.wikidata.org/entity/"
XSD = "http://www.w3.org/2001/XMLSchema#"

#: states of the bundled graph the generated claims are about, besides generated ones
BUNDLED_STATES = ("japan", "south-korea", "north-korea", "united-states", "china", "russia")
#: per paper: sections, footnotes (one citation each), claims, threat perceptions, new works,
#: new people, new threats, new agreements (two parties each) and new events
SECTIONS, FOOTNOTES, CLAIMS, PERCEPTIONS = 12, 60, 40, 10
NEW_WORKS, NEW_PEOPLE, NEW_THREATS, NEW_AGREEMENTS, NEW_EVENTS = 30, 10, 2, 2, 3
STATES = 20  # generated states, all described before the first paper
WORK_TYPES = ("JournalArticle", "Book", "BookChapter", "Report", "NewspaperArticle")
THREAT_CATEGORIES = ("military", "non-traditional", "transnational", "economic", "political")
INTENSITIES = ("biggest-threat", "major-threat", "concern", "less-concerned", "low-priority")
STATUSES = ("in-force", "proposed", "envisaged", "defunct")
ROLES = ("member", "party", "signatory", "participant")
CHARACTERS = ("citesForInformation", "obtainsBackgroundFrom", "includesQuotationFrom",
              "citesAsEvidence", "agreesWith", "disagreesWith")
WORDS = ("alliance", "security", "treaty", "deterrence", "cooperation", "rivalry", "missile",
         "summit", "history", "territory", "trade", "navy", "dialogue", "sanctions")
LINK_DATE = "2026-11-22"
LINK_TOOL = "alliancegraph link (generated)"

Triple = tuple[str, str, str]
Quad = tuple[str, str, str, str]


def _iri(value: str) -> str:
    return f"<{value}>"


def _text(value: str, lang: str | None = None) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


def _typed(value: str | int | float, datatype: str) -> str:
    return f'"{value}"^^<{XSD}{datatype}>'


def _phrase(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _in(graph: str, triples: list[Triple]) -> list[Quad]:
    """The unit's triples in named graph ``graph/<graph>``."""
    name = _iri(f"{BASE}graph/{graph}")
    return [(s, p, o, name) for s, p, o in triples]


def _state(n: int) -> str:
    return _iri(f"{GEN}state/{n}")


def _person(n: int) -> str:
    return _iri(f"{GEN}person/{n}")


def _mapping(subject: str, predicate: str, target: str) -> str:
    """The axiom IRI ``links/model.py`` gives the link (its IRIs are under the canonical
    base already, so the key is the sha1 of the plain "s p o")."""
    key = hashlib.sha1(f"{subject} {predicate} {target}".encode()).hexdigest()[:16]
    return _iri(f"{ID}mapping/{key}")


def _link(subject: str, target: str, discovered: bool, activity: str) -> list[Triple]:
    """``subject owl:sameAs target`` with its axiom (curated, or discovered by ``activity``)."""
    same_as = OWL + "sameAs"
    axiom = _mapping(subject[1:-1], same_as, target[1:-1])
    triples = [
        (subject, _iri(same_as), target),
        (axiom, _iri(RDF_TYPE), _iri(OWL + "Axiom")),
        (axiom, _iri(OWL + "annotatedSource"), subject),
        (axiom, _iri(OWL + "annotatedProperty"), _iri(same_as)),
        (axiom, _iri(OWL + "annotatedTarget"), target),
        (axiom, _iri(SSSOM + "mapping_date"), _typed(LINK_DATE, "date")),
    ]
    if not discovered:
        return [*triples,
                (axiom, _iri(AG + "linkOrigin"), _iri(AG + "CuratedLink")),
                (axiom, _iri(SSSOM + "mapping_justification"),
                 _iri(SEMAPV + "ManualMappingCuration")),
                (axiom, _iri(SSSOM + "author_id"), _iri(ID + "agent/alliancegraph-curators"))]
    return [*triples,
            (axiom, _iri(AG + "linkOrigin"), _iri(AG + "DiscoveredLink")),
            (axiom, _iri(SSSOM + "mapping_justification"), _iri(SEMAPV + "LexicalMatching")),
            (axiom, _iri(SSSOM + "confidence"), _typed("0.9", "double")),
            (axiom, _iri(SSSOM + "mapping_tool"), _text(LINK_TOOL)),
            (axiom, _iri(PROV + "wasGeneratedBy"), activity)]


def _states() -> Iterator[list[Quad]]:
    """The generated states (background) and their curated links out."""
    for n in range(STATES):
        state = _state(n)
        yield _in("gen-background", [
            (state, _iri(RDF_TYPE), _iri(AG + "State")),
            (state, _iri(RDFS_LABEL), _text(f"Generated state {n}", "en")),
            (state, _iri(SKOS_PREF_LABEL), _text(f"Generated state {n}", "en")),
        ])
        yield _in("gen-links", _link(state, _iri(f"{WD}Q8{n:07d}"), False, ""))


class _Paper:
    """The units of generated paper ``i``; ``rng`` is shared by all papers (one stream)."""

    def __init__(self, i: int, rng: random.Random) -> None:
        self.i, self.rng = i, rng
        self.paper = f"{GEN}p{i}"
        self.graph = f"gen-p{i}"

    def section(self, k: int) -> str:
        return _iri(f"{self.paper}/section/{k}")

    def footnote(self, k: int) -> str:
        return _iri(f"{self.paper}/footnote/{k}")

    def any_section(self) -> str:
        return self.section(self.rng.randrange(1, SECTIONS + 1))

    def evidence(self, node: str, key: str, footnote: bool = True) -> list[Triple]:
        """An evidence node of ``node`` from this paper: section, quote, footnote."""
        evidence = f"_:g{self.i}{key}"
        triples = [
            (node, _iri(AG + "evidence"), evidence),
            (evidence, _iri(RDF_TYPE), _iri(AG + "Evidence")),
            (evidence, _iri(PROV + "entity"), _iri(self.paper)),
            (evidence, _iri(AG + "inSection"), self.any_section()),
            (evidence, _iri(AG + "quote"), _text(_phrase(self.rng, 15))),
        ]
        if footnote:
            fn = self.footnote(self.rng.randrange(1, FOOTNOTES + 1))
            triples.append((evidence, _iri(AG + "supportingFootnote"), fn))
        return triples

    def units(self) -> Iterator[list[Quad]]:
        """Every unit, in an order where each refers only to what came before."""
        yield from self.people()
        yield self.header()
        yield from self.sections()
        yield from self.works()
        yield from self.footnotes()
        yield from self.threats()
        yield from self.perceptions()
        yield from self.agreements()
        yield from self.events()
        yield from self.claims()

    def people(self) -> Iterator[list[Quad]]:
        activity = _iri(f"{GEN}activity/link-wikidata-{self.i}")
        yield _in("gen-links", [
            (activity, _iri(RDF_TYPE), _iri(PROV + "Activity")),
            (activity, _iri(RDFS_LABEL), _text(f"Generated link discovery {self.i}", "en")),
        ])
        for k in range(NEW_PEOPLE):
            n = self.i * NEW_PEOPLE + k
            person = _person(n)
            yield _in(self.graph, [
                (person, _iri(RDF_TYPE), _iri(FOAF + "Person")),
                (person, _iri(RDFS_LABEL), _text(f"Person {n}", "en")),
                (person, _iri(FOAF + "name"), _text(f"Person {n}")),
            ])
            yield _in("gen-links", _link(person, _iri(f"{WD}Q9{n:07d}"), True, activity))

    def header(self) -> list[Quad]:
        paper = _iri(self.paper)
        return _in(self.graph, [
            (paper, _iri(RDF_TYPE), _iri(FABIO + "ScholarlyWork")),
            (paper, _iri(RDFS_LABEL), _text(f"Generated paper {self.i}", "en")),
            (paper, _iri(DCT + "title"), _text(f"On {_phrase(self.rng, 4)} ({self.i})", "en")),
            (paper, _iri(DCT + "creator"),
             _person(self.rng.randrange(NEW_PEOPLE * (self.i + 1)))),
        ])

    def sections(self) -> Iterator[list[Quad]]:
        for k in range(1, SECTIONS + 1):
            section = self.section(k)
            yield _in(self.graph, [
                (_iri(self.paper), _iri(AG + "hasSection"), section),
                (section, _iri(RDF_TYPE), _iri(DOCO + "Section")),
                (section, _iri(RDFS_LABEL),
                 _text(f"Generated paper {self.i}, section {k}", "en")),
                (section, _iri(DCT + "title"), _text(_phrase(self.rng, 3).capitalize(), "en")),
                (section, _iri(AG + "ofPaper"), _iri(self.paper)),
                (section, _iri(AG + "sectionNumber"), _text(str(k))),
                (section, _iri(AG + "sectionOrder"), _typed(k, "integer")),
            ])

    def works(self) -> Iterator[list[Quad]]:
        """Works first described here, cited by this and later papers."""
        for k in range(NEW_WORKS):
            n = self.i * NEW_WORKS + k
            work = _iri(f"{GEN}work/{n}")
            yield _in(self.graph, [
                (work, _iri(RDF_TYPE), _iri(FABIO + self.rng.choice(WORK_TYPES))),
                (work, _iri(RDFS_LABEL), _text(f"Work {n}", "en")),
                (work, _iri(DCT + "title"), _text(_phrase(self.rng, 5).capitalize(), "en")),
                (work, _iri(DCT + "issued"), _typed(1950 + self.rng.randrange(60), "gYear")),
                (work, _iri(DCT + "creator"),
                 _person(self.rng.randrange(NEW_PEOPLE * (self.i + 1)))),
            ])

    def footnotes(self) -> Iterator[list[Quad]]:
        """A footnote, the citation it makes (with pages) and where the work is printed."""
        for k in range(1, FOOTNOTES + 1):
            footnote, citation = self.footnote(k), _iri(f"{self.paper}/citation/{k}")
            work = _iri(f"{GEN}work/{self.rng.randrange(NEW_WORKS * (self.i + 1))}")
            start = self.rng.randrange(1, 400)
            end = start + self.rng.randrange(0, 12)
            text = f"{_phrase(self.rng, 8).capitalize()}, pp.{start}-{end}."
            yield _in(self.graph, [
                (footnote, _iri(RDF_TYPE), _iri(AG + "Footnote")),
                (footnote, _iri(RDF_TYPE), _iri(DOCO + "Footnote")),
                (footnote, _iri(RDFS_LABEL),
                 _text(f"Generated paper {self.i}, footnote {k}", "en")),
                (footnote, _iri(AG + "footnoteNumber"), _text(str(k))),
                (footnote, _iri(AG + "footnoteLabel"), _text(str(k))),
                (footnote, _iri(AG + "ofPaper"), _iri(self.paper)),
                (footnote, _iri(AG + "inSection"), self.any_section()),
                (footnote, _iri(AG + "fullText"), _text(text)),
                (footnote, _iri(AG + "citesWork"), work),
                (work, _iri(AG + "describedIn"), footnote),
                (citation, _iri(RDF_TYPE), _iri(AG + "Citation")),
                (citation, _iri(RDF_TYPE), _iri(CITO + "Citation")),
                (citation, _iri(RDFS_LABEL),
                 _text(f"Generated paper {self.i}, footnote {k} cites a work", "en")),
                (citation, _iri(CITO + "hasCitingEntity"), _iri(self.paper)),
                (citation, _iri(CITO + "hasCitedEntity"), work),
                (citation, _iri(CITO + "hasCitationCharacterization"),
                 _iri(CITO + self.rng.choice(CHARACTERS))),
                (citation, _iri(AG + "hasInTextPointer"), footnote),
                (citation, _iri(AG + "citedPages"), _text(f"pp.{start}-{end}")),
                (citation, _iri(AG + "pageStart"), _typed(start, "integer")),
                (citation, _iri(AG + "pageEnd"), _typed(end, "integer")),
                (citation, _iri(AG + "describedIn"), footnote),
            ])

    def threats(self) -> Iterator[list[Quad]]:
        for k in range(NEW_THREATS):
            n = self.i * NEW_THREATS + k
            threat = _iri(f"{GEN}threat/{n}")
            category = _iri(f"{SCHEME}threat-category/{self.rng.choice(THREAT_CATEGORIES)}")
            yield _in("gen-background", [
                (threat, _iri(RDF_TYPE), _iri(AG + "Threat")),
                (threat, _iri(RDFS_LABEL), _text(f"Generated threat {n}", "en")),
                (threat, _iri(AG + "threatCategory"), category),
                (threat, _iri(AG + "posedBy"), _state(self.rng.randrange(STATES))),
            ])

    def perceptions(self) -> Iterator[list[Quad]]:
        for k in range(1, PERCEPTIONS + 1):
            perception = _iri(f"{self.paper}/perception/{k}")
            threat = _iri(f"{GEN}threat/{self.rng.randrange(NEW_THREATS * (self.i + 1))}")
            intensity = self.rng.choice(INTENSITIES)
            yield _in(self.graph, [
                (perception, _iri(RDF_TYPE), _iri(AG + "ThreatPerception")),
                (perception, _iri(RDFS_LABEL),
                 _text(f"Perception {k} of generated paper {self.i}", "en")),
                (perception, _iri(AG + "perceiver"), _state(self.rng.randrange(STATES))),
                (perception, _iri(AG + "perceivedThreat"), threat),
                (perception, _iri(AG + "intensity"),
                 _iri(f"{SCHEME}perception-intensity/{intensity}")),
                (perception, _iri(AG + "intensityText"), _text(_phrase(self.rng, 6))),
                (perception, _iri(PROV + "wasDerivedFrom"), _iri(self.paper)),
                *self.evidence(perception, f"p{k}"),
            ])

    def agreements(self) -> Iterator[list[Quad]]:
        """A new agreement (background) with its two parties as this paper reports them."""
        for k in range(NEW_AGREEMENTS):
            n = self.i * NEW_AGREEMENTS + k
            agreement = _iri(f"{GEN}agreement/{n}")
            yield _in("gen-background", [
                (agreement, _iri(RDF_TYPE), _iri(AG + "Agreement")),
                (agreement, _iri(RDFS_LABEL), _text(f"Generated agreement {n}", "en")),
                (agreement, _iri(AG + "status"),
                 _iri(f"{SCHEME}agreement-status/{self.rng.choice(STATUSES)}")),
                (agreement, _iri(AG + "lateralism"), _iri(f"{SCHEME}lateralism/bilateral")),
                (agreement, _iri(AG + "signedOn"),
                 _typed(1950 + self.rng.randrange(70), "gYear")),
            ])
            parties = self.rng.sample(range(STATES), 2)
            for m, state in enumerate(parties, start=1):
                party = _iri(f"{self.paper}/party/{k}-{m}")
                yield _in(self.graph, [
                    (party, _iri(RDF_TYPE), _iri(AG + "Party")),
                    (party, _iri(RDFS_LABEL),
                     _text(f"Party {m} to generated agreement {n}", "en")),
                    (party, _iri(PROV + "wasDerivedFrom"), _iri(self.paper)),
                    (party, _iri(AG + "partyOf"), agreement),
                    (party, _iri(AG + "party"), _state(state)),
                    (party, _iri(AG + "partyRole"),
                     _iri(f"{SCHEME}party-role/{self.rng.choice(ROLES)}")),
                    *self.evidence(party, f"a{k}x{m}", footnote=False),
                ])

    def events(self) -> Iterator[list[Quad]]:
        for k in range(NEW_EVENTS):
            n = self.i * NEW_EVENTS + k
            event = _iri(f"{GEN}event/{n}")
            one, two = self.rng.sample(range(STATES), 2)
            yield _in("gen-background", [
                (event, _iri(RDF_TYPE), _iri(AG + "Event")),
                (event, _iri(RDFS_LABEL), _text(f"Generated event {n}", "en")),
                (event, _iri(AG + "date"), _typed(1950 + self.rng.randrange(70), "gYear")),
                (event, _iri(AG + "place"), _state(one)),
                (event, _iri(AG + "participant"), _state(one)),
                (event, _iri(AG + "participant"), _state(two)),
            ])
            yield _in(self.graph, self.evidence(event, f"v{k}"))

    def claims(self) -> Iterator[list[Quad]]:
        for k in range(1, CLAIMS + 1):
            claim = _iri(f"{self.paper}/claim/{k}")
            about = [_iri(f"{ID}state/{state}") for state in self.rng.sample(BUNDLED_STATES, 2)]
            yield _in(self.graph, [
                (claim, _iri(RDF_TYPE), _iri(AG + "Claim")),
                (claim, _iri(RDFS_LABEL), _text(f"Claim {k} of generated paper {self.i}", "en")),
                (claim, _iri(AG + "paraphrase"), _text(_phrase(self.rng, 12), "en")),
                *((claim, _iri(AG + "about"), state) for state in about),
                (claim, _iri(AG + "about"), _state(self.rng.randrange(STATES))),
                (claim, _iri(AG + "claimedBy"), _iri(self.paper)),
                (claim, _iri(PROV + "wasDerivedFrom"), _iri(self.paper)),
                *self.evidence(claim, f"c{k}"),
            ])


def _units(seed: int) -> Iterator[tuple[str, list[Quad]]]:
    """Every unit with the paper it belongs to, for ever."""
    rng = random.Random(seed)
    for unit in _states():
        yield f"{GEN}p0", unit
    i = 0
    while True:
        paper = _Paper(i, rng)
        for unit in paper.units():
            yield paper.paper, unit
        i += 1


def _line(quad: Quad) -> str:
    return f"{quad[0]} {quad[1]} {quad[2]} {quad[3]} .\n"


def _filler(paper: str, count: int) -> Iterator[str]:
    """``count`` distinct comments on ``paper`` in its graph: they make the size exact
    without a half-written unit (rdfs:comment is free under the shapes)."""
    graph = _iri(f"{BASE}graph/gen-{paper.rsplit('/', 1)[1]}")
    for n in range(count):
        yield f"{_iri(paper)} {_iri(RDFS + 'comment')} {_text(f'Filler {n}.', 'en')} {graph} .\n"


def quads(count: int, seed: int = 1) -> Iterator[str]:
    """Exactly ``count`` N-Quads lines, distinct, conforming to the bundled shapes."""
    left = count
    for paper, unit in _units(seed):
        if len(unit) > left:
            yield from _filler(paper, left)
            return
        left -= len(unit)
        yield from map(_line, unit)


def write(path: Path, count: int, seed: int = 1) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.writelines(quads(count, seed))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quads", type=float, required=True, help="how many, exactly (1e5 works)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="file to write (default: standard output)")
    args = parser.parse_args()
    if args.quads < 0 or args.quads != int(args.quads):
        parser.error(f"--quads must be a whole number of quads, not {args.quads:g}")
    if args.out:
        write(args.out, int(args.quads), args.seed)
    else:
        sys.stdout.writelines(quads(int(args.quads), args.seed))


if __name__ == "__main__":
    main()
