"""The SSSOM export of links/sssom.py: one row per link of the links graph with its
provenance, CURIEs that expand back to the stored IRIs, labels from the store, and a file
the real ``sssom`` tool validates and parses back to the same rows (run as a subprocess:
importing sssom in pytest turns its warnings into errors)."""

from __future__ import annotations

import csv
import datetime
import io
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from alliancegraph import __version__
from alliancegraph.config import load_settings
from alliancegraph.graph.vocabulary import graph_iri
from alliancegraph.links.model import Link, Origin, add_links, read_links
from alliancegraph.links.sssom import (
    COLUMNS,
    CurieMaker,
    mapping_set,
    mappings_command,
    prefix_table,
    sssom_text,
    write_sssom,
)
from alliancegraph.store import open_store
from alliancegraph.store.base import QuadDelta, Store
from click.testing import CliRunner

BASE = "https://w3id.org/alliancegraph/"
SSSOM_CLI = Path(sys.executable).with_name("sssom")
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
SEMAPV = "https://w3id.org/semapv/vocab/"
#: SSSOM's built-in prefixes, as the SSSOM specification binds them
SSSOM_BUILT_INS = {"owl": OWL, "skos": SKOS, "semapv": SEMAPV,
                   "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
                   "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
                   "sssom": "https://w3id.org/sssom/"}
CURATOR = f"{BASE}id/agent/curator"
REVIEWER = "https://orcid.org/0000-0002-1825-0097"
TOOL = f"alliancegraph link {__version__}"


def links(base: str = BASE) -> list[Link]:
    """Links of every origin and predicate, to five datasets and one unknown namespace,
    with text that needs TSV quoting (tab, newline, quotes)."""
    day = datetime.date(2026, 12, 1)
    return [
        Link(f"{base}id/state/japan", f"{OWL}sameAs", "http://www.wikidata.org/entity/Q17",
             Origin.CURATED, f"{SEMAPV}ManualMappingCuration", day, author=CURATOR),
        Link(f"{base}id/state/japan", f"{SKOS}exactMatch", "http://dbpedia.org/resource/Japan",
             Origin.DISCOVERED, f"{SEMAPV}LexicalMatching", datetime.date(2026, 12, 2),
             confidence=0.93, tool=TOOL, evidence="label 'Japan'@en; type country (Q6256)",
             activity=f"{base}id/activity/link-dbpedia-20261202T010000Z",
             subject_label="Japan (recorded)", object_label="Japan"),
        Link(f"{base}id/org/kedo", f"{SKOS}closeMatch",
             "http://dbpedia.org/resource/Korean_Peninsula_(Energy),_Org", Origin.REVIEWED,
             f"{SEMAPV}LexicalMatching", day, confidence=0.5, tool=TOOL, reviewer=REVIEWER,
             evidence='label "KEDO"@en\tabbreviation;\nsecond line',
             object_label='"KEDO" in quotes'),
        Link(f"{base}id/place/tokyo", f"{SKOS}relatedMatch", "https://sws.geonames.org/1850147/",
             Origin.CURATED, f"{SEMAPV}ManualMappingCuration", day, author=CURATOR),
        Link(f"{base}id/person/kim", f"{OWL}sameAs", "https://orcid.org/0000-0001-5109-3700",
             Origin.CURATED, f"{SEMAPV}ManualMappingCuration", day, author=CURATOR),
        Link(f"{base}id/journal/jeas", f"{SKOS}exactMatch",
             "https://portal.issn.org/resource/ISSN/1598-2408", Origin.DISCOVERED,
             f"{SEMAPV}LexicalMatching", day, confidence=1.0, tool=TOOL),
        Link(f"{base}id/state/japan", f"{SKOS}closeMatch", "http://example.org/kb/item/7",
             Origin.DISCOVERED, f"{SEMAPV}LexicalMatching", day, confidence=0.4, tool=TOOL),
    ]


def labelled(store: Store, base: str = BASE) -> None:
    """Preferred labels of some subjects, in the background graph (not the links graph)."""
    graph = ox.NamedNode(graph_iri("background", base))
    label = ox.NamedNode(f"{SKOS}prefLabel")
    store.apply(QuadDelta(added=(
        ox.Quad(ox.NamedNode(f"{base}id/state/japan"), label, ox.Literal("Japan", language="en"),
                graph),
        ox.Quad(ox.NamedNode(f"{base}id/state/japan"), label, ox.Literal("日本", language="ja"),
                graph),
        ox.Quad(ox.NamedNode(f"{base}id/org/kedo"), label,
                ox.Literal("Korean Peninsula Energy Development Organization", language="en"),
                graph),
    )))


def memory_store(tmp_path: Path, base: str = BASE) -> Store:
    settings = load_settings(environ={}, overrides={
        "store": "memory", "data_dir": str(tmp_path / "data"), "base_iri": base,
        "validate_on_write": False})
    return open_store(settings)


@pytest.fixture
def store(tmp_path: Path):
    store = memory_store(tmp_path)
    labelled(store)
    assert add_links(store, links(), BASE) == len(links())
    yield store
    store.close()


def expand(curie: str, curie_map: dict[str, str]) -> str:
    prefix, _, local = curie.partition(":")
    return curie_map[prefix] + local


def read_table(text: str) -> tuple[dict, list[dict[str, str]]]:
    """An SSSOM/TSV text as (metadata, rows), read independently of links/sssom.py: the
    ``#`` lines as YAML, the rest with the csv module."""
    lines = text.splitlines(keepends=True)
    header = "".join(line[1:] for line in lines if line.startswith("#"))
    body = "".join(line for line in lines if not line.startswith("#"))
    return yaml.safe_load(header), list(csv.DictReader(io.StringIO(body), delimiter="\t"))


def run_sssom(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(SSSOM_CLI), *map(str, args)], capture_output=True, text=True,
                          timeout=300, check=False)


# --- rows and metadata ---------------------------------------------------------------------


def test_one_row_per_link_sorted_with_its_provenance(store):
    _, rows = mapping_set(store, BASE)
    assert len(rows) == len(links())
    assert all(tuple(row) == COLUMNS for row in rows)
    keys = [(row["subject_id"], row["predicate_id"], row["object_id"]) for row in rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    by_object = {row["object_id"]: row for row in rows}
    curated = by_object["wd:Q17"]
    assert curated == {
        "subject_id": "agid:state/japan", "subject_label": "Japan", "predicate_id": "owl:sameAs",
        "object_id": "wd:Q17", "object_label": "", "mapping_justification":
        "semapv:ManualMappingCuration", "confidence": "", "author_id": "agid:agent/curator",
        "mapping_tool": "", "reviewer_id": "", "mapping_date": "2026-12-01", "comment": ""}
    discovered = by_object["dbr:Japan"]
    assert discovered["confidence"] == "0.93"
    assert discovered["mapping_tool"] == TOOL and discovered["author_id"] == ""
    assert discovered["mapping_justification"] == "semapv:LexicalMatching"
    assert discovered["comment"] == "label 'Japan'@en; type country (Q6256)"
    assert discovered["mapping_date"] == "2026-12-02"
    # the store's preferred label wins over the one recorded when the link was found
    assert discovered["subject_label"] == "Japan"
    assert discovered["object_label"] == "Japan"
    reviewed = by_object["dbr:Korean_Peninsula_(Energy),_Org"]
    assert reviewed["reviewer_id"] == "orcid:0000-0002-1825-0097"
    assert reviewed["predicate_id"] == "skos:closeMatch"
    assert reviewed["subject_label"] == "Korean Peninsula Energy Development Organization"
    assert reviewed["object_label"] == '"KEDO" in quotes'
    assert by_object["geonames:1850147/"]["predicate_id"] == "skos:relatedMatch"
    assert by_object["issn:1598-2408"]["confidence"] == "1.0"
    assert by_object["orcid:0000-0001-5109-3700"]["subject_label"] == ""  # no label anywhere


def test_the_metadata_block(store):
    metadata, _ = mapping_set(store, BASE)
    assert metadata["mapping_set_id"] == BASE + "mappings.sssom.tsv"
    assert metadata["mapping_set_version"] == __version__
    assert metadata["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert metadata["mapping_set_title"]
    assert metadata["creator_id"] == ["agid:agent/curator", "orcid:0000-0002-1825-0097"]


def test_curies_expand_back_to_the_stored_iris(store):
    metadata, rows = mapping_set(store, BASE)
    curie_map = metadata["curie_map"]
    stored = read_links(store, BASE)
    expanded = sorted(
        (expand(row["subject_id"], curie_map), expand(row["predicate_id"], curie_map),
         expand(row["object_id"], curie_map), expand(row["mapping_justification"], curie_map),
         row["author_id"] and expand(row["author_id"], curie_map),
         row["reviewer_id"] and expand(row["reviewer_id"], curie_map))
        for row in rows)
    assert expanded == sorted((link.subject, link.predicate, link.object, link.justification,
                               link.author or "", link.reviewer or "") for link in stored)
    # the unknown namespace got a minted prefix, declared like the others
    assert curie_map["ns1"] == "http://example.org/kb/item/"


def test_the_curie_map_declares_exactly_the_prefixes_used(store):
    metadata, rows = mapping_set(store, BASE)
    curie_map = metadata["curie_map"]
    used = {row[column].partition(":")[0] for row in rows for column in
            ("subject_id", "predicate_id", "object_id", "mapping_justification", "author_id",
             "reviewer_id") if row[column]}
    assert set(curie_map) == used
    assert list(curie_map) == sorted(curie_map)
    for name, namespace in curie_map.items():  # SSSOM refuses a built-in bound elsewhere
        assert SSSOM_BUILT_INS.get(name, namespace) == namespace, name


def test_longest_namespace_wins_and_minted_prefixes_do_not_clash():
    curie = CurieMaker({"a": "http://x.org/", "ab": "http://x.org/id/", "ns1": "urn:taken:"})
    assert curie("http://x.org/id/7") == "ab:7"
    assert curie("http://x.org/other") == "a:other"
    assert curie("http://y.org/kb#thing") == "ns2:thing"
    assert curie("http://y.org/kb#other") == "ns2:other"  # the minted prefix is reused
    assert curie.used == {"ab": "http://x.org/id/", "a": "http://x.org/",
                          "ns2": "http://y.org/kb#"}


def test_prefixes_follow_the_base_iri(tmp_path):
    base = "http://example.org/ag/"
    store = memory_store(tmp_path, base)
    try:
        add_links(store, links(base)[:1], base)
        metadata, rows = mapping_set(store, base)
    finally:
        store.close()
    assert metadata["mapping_set_id"] == base + "mappings.sssom.tsv"
    assert metadata["curie_map"]["agid"] == base + "id/"
    assert prefix_table(base)["agid"] == base + "id/"
    assert rows[0]["subject_id"] == "agid:state/japan"


def test_no_links_no_rows(tmp_path):
    store = memory_store(tmp_path)
    try:
        text = sssom_text(store, BASE)
    finally:
        store.close()
    metadata, rows = read_table(text)
    assert rows == []
    assert text.splitlines()[-1] == "\t".join(COLUMNS)
    assert metadata["mapping_set_id"] == BASE + "mappings.sssom.tsv"
    assert "creator_id" not in metadata


def test_a_link_without_its_axiom_is_not_a_mapping(store):
    """Only links with their provenance are mappings (read_links); a bare triple is not."""
    before = len(mapping_set(store, BASE)[1])
    store.apply(QuadDelta(added=(ox.Quad(
        ox.NamedNode(f"{BASE}id/state/china"), ox.NamedNode(f"{OWL}sameAs"),
        ox.NamedNode("http://www.wikidata.org/entity/Q148"),
        ox.NamedNode(graph_iri("links", BASE))),)))
    assert len(mapping_set(store, BASE)[1]) == before


# --- the file, read back ---------------------------------------------------------------------


def test_the_file_reads_back_to_the_same_table(store):
    buffer = io.StringIO()
    assert write_sssom(store, BASE, buffer) == len(links())
    metadata, rows = read_table(buffer.getvalue())
    assert (metadata, rows) == mapping_set(store, BASE)
    assert buffer.getvalue().startswith("#curie_map:\n")


@pytest.fixture
def sssom_file(store, tmp_path) -> Path:
    path = tmp_path / "mappings.sssom.tsv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        write_sssom(store, BASE, handle)
    return path


@pytest.mark.long
def test_the_sssom_tool_validates_and_parses_it_to_the_same_rows(store, sssom_file, tmp_path):
    validated = run_sssom("validate", sssom_file)
    assert validated.returncode == 0, validated.stderr
    parsed_path = tmp_path / "parsed.sssom.tsv"
    parsed = run_sssom("parse", sssom_file, "-o", parsed_path)
    assert parsed.returncode == 0, parsed.stderr
    metadata, rows = read_table(parsed_path.read_text(encoding="utf-8"))
    ours_metadata, ours = mapping_set(store, BASE)

    def filled(row: dict[str, str]) -> tuple:  # the tool drops empty columns, reorders
        return tuple(sorted((key, value) for key, value in row.items() if value))

    assert sorted(map(filled, rows)) == sorted(map(filled, ours))
    for key in ("mapping_set_id", "license", "mapping_set_version", "creator_id"):
        assert metadata[key] == ours_metadata[key], key
    for name, namespace in ours_metadata["curie_map"].items():
        assert metadata["curie_map"][name] == namespace


@pytest.mark.slow
def test_the_sssom_tool_does_check_the_prefixes(sssom_file, tmp_path):
    """The check above is not vacuous: without the agid prefix the tool fails."""
    broken = tmp_path / "broken.sssom.tsv"
    broken.write_text("".join(line for line in sssom_file.read_text(encoding="utf-8")
                              .splitlines(keepends=True) if not line.startswith("#  agid:")),
                      encoding="utf-8")
    assert run_sssom("validate", broken).returncode != 0


# --- the command -------------------------------------------------------------------------------


@pytest.fixture
def embedded_dir(tmp_path: Path) -> Path:
    data_dir = tmp_path / "embedded"
    settings = load_settings(environ={}, overrides={
        "store": "embedded", "data_dir": str(data_dir), "validate_on_write": False,
        "store_readers": 1})
    store = open_store(settings)
    try:
        labelled(store)
        add_links(store, links(), BASE)
    finally:
        store.close()
    return data_dir


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("ALLIANCEGRAPH_BASE_IRI", "ALLIANCEGRAPH_STORE", "ALLIANCEGRAPH_CONFIG",
                 "ALLIANCEGRAPH_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_the_command_writes_the_file(embedded_dir, tmp_path, clean_env):
    out = tmp_path / "out.sssom.tsv"
    result = CliRunner().invoke(mappings_command, ["--data-dir", str(embedded_dir),
                                                   "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {len(links())} mappings" in result.output
    _, rows = read_table(out.read_text(encoding="utf-8"))
    assert len(rows) == len(links())


def test_the_command_writes_stdout_by_default(embedded_dir, clean_env):
    result = CliRunner().invoke(mappings_command, ["--data-dir", str(embedded_dir)])
    assert result.exit_code == 0, result.output
    metadata, rows = read_table(result.stdout)
    assert len(rows) == len(links()) and metadata["license"]


def test_the_command_without_a_store_exits_2(tmp_path, clean_env):
    missing = tmp_path / "none"
    result = CliRunner().invoke(mappings_command, ["--data-dir", str(missing)])
    assert result.exit_code == 2
    assert "alliancegraph build" in result.output and "Traceback" not in result.output


def test_the_command_reports_an_unwritable_file(embedded_dir, tmp_path, clean_env):
    result = CliRunner().invoke(mappings_command, ["--data-dir", str(embedded_dir),
                                                   "-o", str(tmp_path / "no" / "such.tsv")])
    assert result.exit_code == 2
    assert "cannot write" in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_the_bundled_links_make_a_valid_mapping_set(source_store, tmp_path):
    """The curated links of graph/sources/links/, with their axioms, pass the real tool."""
    store = memory_store(tmp_path)
    try:
        store.apply(QuadDelta(added=tuple(source_store.quads_for_pattern(
            None, None, None, ox.NamedNode(graph_iri("links", BASE))))))
        path = tmp_path / "bundled.sssom.tsv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            count = write_sssom(store, BASE, handle)
        assert count == len(read_links(store, BASE)) > 0
    finally:
        store.close()
    validated = run_sssom("validate", path)
    assert validated.returncode == 0, validated.stderr
