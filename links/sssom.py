"""Every link out as an SSSOM mapping set (``alliancegraph mappings``,
``GET /mappings.sssom.tsv``).

SSSOM (Simple Standard for Sharing Ontological Mappings, https://w3id.org/sssom/) is the
table ontology-matching tools and other datasets read mappings from: a TSV file, one row per
mapping, headed by a YAML metadata block on ``#`` lines (the prefixes of its CURIEs, the
set's IRI, version, licence, creators). The rows are the links of the ``links`` graph with
their provenance, as :func:`alliancegraph.links.model.read_links` reads them; the labels
are the store's preferred labels (:func:`alliancegraph.graph.entity.labels`), else the ones
recorded with the link. The output is deterministic for one state of the store (sorted
rows, sorted prefixes, no export time), so it can be cached per store generation and
compared between runs.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Mapping
from typing import TextIO

import click
from alliancegraph import __version__
from alliancegraph.graph.entity import labels
from alliancegraph.graph.vocabulary import LINK_DATASETS, prefixes
from alliancegraph.links.model import Link, read_links
from alliancegraph.store.base import Store

__all__ = ["COLUMNS", "CONTENT_TYPE", "LICENSE", "CurieMaker", "mapping_set",
           "mapping_set_id", "mappings_command", "prefix_table", "sssom_text", "write_sssom"]

#: the media type of the table (SSSOM/TSV is a TSV file)
CONTENT_TYPE = "text/tab-separated-values; charset=utf-8"
#: the licence of the mappings: that of the whole dataset
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
#: the columns, in the order of the SSSOM specification's mapping slots
COLUMNS: tuple[str, ...] = (
    "subject_id", "subject_label", "predicate_id", "object_id", "object_label",
    "mapping_justification", "confidence", "author_id", "mapping_tool", "reviewer_id",
    "mapping_date", "comment")
#: prefixes of agent IRIs (authors, reviewers) that the project's table lacks; SSSOM's own
#: built-in prefixes (sssom, semapv, owl, rdf, rdfs, skos) are all in the project's table,
#: with the same IRIs (SSSOM refuses a built-in prefix bound to another IRI)
AGENT_PREFIXES: dict[str, str] = {"orcid": "https://orcid.org/"}
#: the prefix of minted prefixes, for namespaces no table knows (a link to an endpoint
#: given by URL): ``ns1``, ``ns2`` …
MINTED = "ns"


def mapping_set_id(base_iri: str) -> str:
    """The mapping set's IRI: where the service publishes it."""
    return f"{base_iri}mappings.sssom.tsv"


def prefix_table(base_iri: str) -> dict[str, str]:
    """Every prefix a CURIE of the table may use: the project's
    (:func:`alliancegraph.graph.vocabulary.prefixes`), then each link dataset's short name
    for a dataset whose namespace the project's table lacks (``geonames``, ``issn``,
    ``viaf``, ``orcid``), then :data:`AGENT_PREFIXES`."""
    table = prefixes(base_iri)
    extra = {d.name: d.prefix for d in LINK_DATASETS} | AGENT_PREFIXES
    for name, namespace in extra.items():
        if namespace not in table.values() and name not in table:
            table[name] = namespace
    return table


class CurieMaker:
    """Compresses IRIs to CURIEs with the longest matching namespace of a prefix table,
    minting a prefix (``ns1`` …) for an IRI no namespace covers, and remembers every
    prefix it used (the ``curie_map`` must declare them, and only them)."""

    def __init__(self, table: Mapping[str, str]):
        # longest namespace first: agid (…/id/) must win over a shorter …/ namespace
        self._table = sorted(table.items(), key=lambda item: (-len(item[1]), item[0]))
        self._names = set(table)
        self.used: dict[str, str] = {}

    def __call__(self, iri: str) -> str:
        for name, namespace in self._table:
            if iri.startswith(namespace):
                self.used[name] = namespace
                return f"{name}:{iri[len(namespace):]}"
        namespace = _namespace(iri)
        name = self._mint()
        self._table.append((name, namespace))
        self._table.sort(key=lambda item: (-len(item[1]), item[0]))
        self.used[name] = namespace
        return f"{name}:{iri[len(namespace):]}"

    def _mint(self) -> str:
        number = 1
        while f"{MINTED}{number}" in self._names:
            number += 1
        name = f"{MINTED}{number}"
        self._names.add(name)
        return name


def _namespace(iri: str) -> str:
    """An IRI up to its last ``#``, ``/`` or ``:`` (the namespace a minted prefix binds)."""
    cut = max(iri.rfind("#"), iri.rfind("/"), iri.rfind(":"))
    return iri[: cut + 1]


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _row(link: Link, found: Mapping[str, str], curie: CurieMaker) -> dict[str, str]:
    return {
        "subject_id": curie(link.subject),
        "subject_label": found.get(link.subject) or _text(link.subject_label),
        "predicate_id": curie(link.predicate),
        "object_id": curie(link.object),
        "object_label": found.get(link.object) or _text(link.object_label),
        "mapping_justification": curie(link.justification),
        "confidence": "" if link.confidence is None else repr(float(link.confidence)),
        "author_id": "" if link.author is None else curie(link.author),
        "mapping_tool": _text(link.tool),
        "reviewer_id": "" if link.reviewer is None else curie(link.reviewer),
        "mapping_date": link.date.isoformat(),
        "comment": _text(link.evidence),
    }


def mapping_set(store: Store, base_iri: str) -> tuple[dict, list[dict[str, str]]]:
    """The mapping set of every link of the ``links`` graph: its metadata (the YAML block,
    as a dict in the order it is written) and its rows (one per link, every column of
    :data:`COLUMNS`, ``""`` for no value), sorted by subject, predicate and object."""
    links = read_links(store, base_iri)
    found = labels(store, {iri for link in links for iri in (link.subject, link.object)})
    curie = CurieMaker(prefix_table(base_iri))
    rows = sorted((_row(link, found, curie) for link in links),
                  key=lambda row: (row["subject_id"], row["predicate_id"], row["object_id"]))
    creators = sorted({row[column] for row in rows for column in ("author_id", "reviewer_id")
                       if row[column]})
    metadata: dict = {
        "curie_map": dict(sorted(curie.used.items())),
        "mapping_set_id": mapping_set_id(base_iri),
        "mapping_set_version": __version__,
        "mapping_set_title": "Alliance Graph: links to other datasets",
        "mapping_set_description": (
            "Every link out of the Alliance Graph (owl:sameAs, skos:exactMatch, "
            "skos:closeMatch, skos:relatedMatch): curated by hand, discovered by "
            "'alliancegraph link', or accepted after review, each with its justification, "
            "confidence, author or tool, and date."),
        "license": LICENSE,
    }
    if creators:
        metadata["creator_id"] = creators
    return metadata, rows


def _yaml_lines(metadata: Mapping[str, object]) -> Iterable[str]:
    """The metadata as YAML: a JSON string is a valid YAML double-quoted scalar, so every
    value is quoted the same safe way (a title with a colon stays one string)."""
    for key, value in metadata.items():
        if isinstance(value, Mapping):
            yield f"{key}:"
            yield from (f"  {name}: {_quoted(item)}" for name, item in value.items())
        elif isinstance(value, list | tuple):
            yield f"{key}:"
            yield from (f"  - {_quoted(item)}" for item in value)
        else:
            yield f"{key}: {_quoted(value)}"


def _quoted(value: object) -> str:
    return json.dumps(str(value), ensure_ascii=False)


def write_sssom(store: Store, base_iri: str, out: TextIO) -> int:
    """Write the mapping set as SSSOM/TSV to ``out``; returns the number of rows. Fields
    holding a tab, a newline or a quote are quoted as the TSV readers SSSOM tools use
    (pandas) expect."""
    metadata, rows = mapping_set(store, base_iri)
    out.writelines(f"#{line}\n" for line in _yaml_lines(metadata))
    writer = csv.DictWriter(out, fieldnames=COLUMNS, delimiter="\t", lineterminator="\n",
                            quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    writer.writerows(rows)
    return len(rows)


def sssom_text(store: Store, base_iri: str) -> str:
    """The mapping set as SSSOM/TSV text (what the service serves)."""
    buffer = io.StringIO()
    write_sssom(store, base_iri, buffer)
    return buffer.getvalue()


@click.command("mappings")
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              show_default=True, help="File to write the SSSOM/TSV table to ('-': stdout).")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Directory of the embedded store (setting data_dir, ALLIANCEGRAPH_DATA_DIR).")
def mappings_command(output: str, data_dir: str | None) -> None:
    """Write every link out (owl:sameAs, skos:*Match) with its provenance as an SSSOM/TSV
    mapping set (https://w3id.org/sssom/), the table ontology-matching tools read."""
    from alliancegraph.cli import open_existing_store
    from alliancegraph.config import load_settings

    settings = load_settings(overrides={"data_dir": data_dir})
    store = open_existing_store(settings)
    buffer = io.StringIO()
    try:
        # the whole table first: a failure leaves no half-written file behind
        count = write_sssom(store, settings.base_iri, buffer)
    finally:
        store.close()
    if output == "-":
        sys.stdout.write(buffer.getvalue())
        return
    try:
        with open(output, "w", encoding="utf-8", newline="") as handle:
            handle.write(buffer.getvalue())
    except OSError as error:
        from alliancegraph.cli import CommandError

        raise CommandError(f"cannot write {output}: {error.strerror}", 2) from error
    click.echo(f"wrote {count} mappings to {output}", err=True)
