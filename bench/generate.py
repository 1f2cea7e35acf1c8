"""A deterministic graph of the bundled graph's shape, as N-Quads, for read benchmarks.

    python bench/generate.py --quads 100000 --seed 1 > generated.nq
    python bench/generate.py --quads 100000 --out generated.nq

Each generated paper (``id/gen-p<i>``, in its own named graph ``graph/gen-p<i>``) has
sections, footnotes citing works, citations, claims about states with evidence (a section
and a quote, as blank nodes), and people who wrote the works; the works and people are
shared between papers (a paper cites earlier papers' works too), and ``graph/gen-links``
holds ``owl:sameAs`` links of the generated people. Claims are about the bundled states
(``id/state/japan`` …) as well as generated ones, so the bundled entity pages grow with the
generated graph as they would with more papers.

Exactly ``--quads`` lines are written (the last paper is cut short), streaming: memory stays
constant whatever the size. The data need not pass the shapes: it is for reads.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
from collections.abc import Iterator
from pathlib import Path

BASE = "https://w3id.org/alliancegraph/"
ID = BASE + "id/"
AG = BASE + "ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
PROV_ENTITY = "http://www.w3.org/ns/prov#entity"
CITO = "http://purl.org/spar/cito/"
DOCO_SECTION = "http://purl.org/spar/doco/Section"
FABIO_WORK = "http://purl.org/spar/fabio/ScholarlyWork"
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"
XSD = "http://www.w3.org/2001/XMLSchema#"

#: states of the bundled graph the generated claims are about, besides generated ones
BUNDLED_STATES = ("japan", "south-korea", "north-korea", "united-states", "china", "russia")
SECTIONS, FOOTNOTES, CLAIMS, NEW_WORKS, NEW_PEOPLE = 12, 60, 40, 30, 10
WORDS = ("alliance", "security", "treaty", "deterrence", "cooperation", "rivalry", "missile",
         "summit", "history", "territory", "trade", "navy", "dialogue", "sanctions")


def _iri(value: str) -> str:
    return f"<{value}>"


def _text(value: str, lang: str | None = None) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


def _typed(value: str | int, datatype: str) -> str:
    return f'"{value}"^^<{XSD}{datatype}>'


def _phrase(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _paper(i: int, rng: random.Random) -> Iterator[tuple[str, str, str]]:
    """The triples of generated paper ``i`` (subject, predicate, object in N-Triples)."""
    paper = f"{ID}gen-p{i}"
    yield _iri(paper), _iri(RDF_TYPE), _iri(FABIO_WORK)
    yield _iri(paper), _iri(RDFS_LABEL), _text(f"Generated paper {i}", "en")
    yield _iri(paper), _iri(DCT + "title"), _text(f"On {_phrase(rng, 4)} ({i})", "en")
    yield (_iri(paper), _iri(DCT + "creator"),
           _iri(f"{ID}person/gen-{rng.randrange(NEW_PEOPLE * (i + 1))}"))
    for k in range(1, SECTIONS + 1):
        section = f"{paper}/section/{k}"
        yield _iri(paper), _iri(AG + "hasSection"), _iri(section)
        yield _iri(section), _iri(RDF_TYPE), _iri(DOCO_SECTION)
        yield _iri(section), _iri(RDFS_LABEL), _text(f"Generated paper {i}: section {k}", "en")
    for k in range(NEW_WORKS):  # works first described here, cited by this and later papers
        work = f"{ID}work/gen-{i * NEW_WORKS + k}"
        yield _iri(work), _iri(RDF_TYPE), _iri(FABIO_WORK)
        yield _iri(work), _iri(RDFS_LABEL), _text(f"Work {i * NEW_WORKS + k}", "en")
        yield _iri(work), _iri(DCT + "title"), _text(_phrase(rng, 5).capitalize(), "en")
        yield _iri(work), _iri(DCT + "issued"), _typed(1950 + rng.randrange(60), "gYear")
        yield (_iri(work), _iri(DCT + "creator"),
               _iri(f"{ID}person/gen-{rng.randrange(NEW_PEOPLE * (i + 1))}"))
    for k in range(NEW_PEOPLE):
        person = f"{ID}person/gen-{i * NEW_PEOPLE + k}"
        yield _iri(person), _iri(RDF_TYPE), _iri(FOAF + "Person")
        yield _iri(person), _iri(RDFS_LABEL), _text(f"Person {i * NEW_PEOPLE + k}", "en")
        yield _iri(person), _iri(FOAF + "name"), _text(f"Person {i * NEW_PEOPLE + k}")
    for k in range(1, FOOTNOTES + 1):
        footnote, citation = f"{paper}/footnote/{k}", f"{paper}/citation/{k}"
        work = _iri(f"{ID}work/gen-{rng.randrange(NEW_WORKS * (i + 1))}")
        section = _iri(f"{paper}/section/{rng.randrange(1, SECTIONS + 1)}")
        yield _iri(footnote), _iri(RDF_TYPE), _iri(AG + "Footnote")
        yield _iri(footnote), _iri(RDFS_LABEL), _text(f"Generated paper {i}, footnote {k}", "en")
        yield _iri(footnote), _iri(AG + "footnoteNumber"), _text(str(k))
        yield _iri(footnote), _iri(AG + "ofPaper"), _iri(paper)
        yield _iri(footnote), _iri(AG + "inSection"), section
        yield _iri(footnote), _iri(AG + "citesWork"), work
        yield _iri(citation), _iri(RDF_TYPE), _iri(AG + "Citation")
        yield _iri(citation), _iri(CITO + "hasCitingEntity"), _iri(paper)
        yield _iri(citation), _iri(CITO + "hasCitedEntity"), work
        yield _iri(citation), _iri(AG + "hasInTextPointer"), _iri(footnote)
        yield _iri(citation), _iri(AG + "pageStart"), _typed(rng.randrange(1, 400), "integer")
    for k in range(1, CLAIMS + 1):
        claim, evidence = f"{paper}/claim/{k}", f"_:e{i}x{k}"
        yield _iri(claim), _iri(RDF_TYPE), _iri(AG + "Claim")
        yield _iri(claim), _iri(RDFS_LABEL), _text(f"Claim {k} of paper {i}", "en")
        yield _iri(claim), _iri(AG + "paraphrase"), _text(_phrase(rng, 12), "en")
        for state in rng.sample(BUNDLED_STATES, 2):
            yield _iri(claim), _iri(AG + "about"), _iri(f"{ID}state/{state}")
        yield _iri(claim), _iri(AG + "about"), _iri(f"{ID}state/gen-{rng.randrange(20)}")
        yield _iri(claim), _iri(AG + "claimedBy"), _iri(paper)
        yield _iri(claim), _iri(AG + "evidence"), evidence
        yield evidence, _iri(RDF_TYPE), _iri(AG + "Evidence")
        yield evidence, _iri(PROV_ENTITY), _iri(paper)
        yield evidence, _iri(AG + "inSection"), _iri(f"{paper}/section/{k % SECTIONS + 1}")
        yield evidence, _iri(AG + "quote"), _text(_phrase(rng, 15))


def _states() -> Iterator[tuple[str, str, str]]:
    for k in range(20):
        state = f"{ID}state/gen-{k}"
        yield _iri(state), _iri(RDF_TYPE), _iri(AG + "State")
        yield _iri(state), _iri(RDFS_LABEL), _text(f"Generated state {k}", "en")


def _links(i: int) -> Iterator[tuple[str, str, str]]:
    for k in range(NEW_PEOPLE):
        n = i * NEW_PEOPLE + k
        yield (_iri(f"{ID}person/gen-{n}"), _iri(OWL_SAME_AS),
               _iri(f"http://www.wikidata.org/entity/Q9{n:07d}"))


def quads(count: int, seed: int = 1) -> Iterator[str]:
    """Exactly ``count`` N-Quads lines."""
    rng = random.Random(seed)

    def lines(triples: Iterator[tuple[str, str, str]], graph: str) -> Iterator[str]:
        for s, p, o in triples:
            yield f"{s} {p} {o} <{BASE}graph/{graph}> .\n"

    def papers() -> Iterator[str]:
        yield from lines(_states(), "gen-p0")
        i = 0
        while True:
            yield from lines(_paper(i, rng), f"gen-p{i}")
            yield from lines(_links(i), "gen-links")
            i += 1

    yield from itertools.islice(papers(), count)


def write(path: Path, count: int, seed: int = 1) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.writelines(quads(count, seed))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quads", type=float, required=True, help="how many (1e5 works)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="file to write (default: standard output)")
    args = parser.parse_args()
    if args.out:
        write(args.out, int(args.quads), args.seed)
    else:
        sys.stdout.writelines(quads(int(args.quads), args.seed))


if __name__ == "__main__":
    main()
