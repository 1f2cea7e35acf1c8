"""An optional bibliography (BibTeX, RIS, CSL-JSON: what Zotero, Mendeley and EndNote export)
→ entries in the fields :mod:`alliancegraph.ingest.citations` uses, to check and complete the
footnotes' citations (a discrepancy is listed for review, never silently resolved)."""

from __future__ import annotations

import json
import re
from pathlib import Path

FIELDS = ("title", "authors", "editors", "container", "issued", "volume", "issue", "pages",
          "publisher", "place", "url")


def read(path: str | Path) -> list[dict[str, object]]:
    """Entries of a ``.bib``, ``.ris`` or ``.json`` (CSL-JSON) file; ValueError otherwise."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    if suffix == ".bib":
        return from_bibtex(text)
    if suffix in (".ris", ".txt"):
        return from_ris(text)
    if suffix == ".json":
        return from_csl_json(text)
    raise ValueError(f"{path}: a bibliography is .bib (BibTeX), .ris (RIS) or .json (CSL-JSON)")


def _people(names: list[str]) -> list[str]:
    """``Family, Given`` → ``Given Family`` (as the notes print them)."""
    out = []
    for name in names:
        family, _, given = (n.strip() for n in name.partition(","))
        out.append(f"{given} {family}".strip() if given else family)
    return out


def from_bibtex(text: str) -> list[dict[str, object]]:
    import bibtexparser

    library = bibtexparser.parse_string(text)
    entries = []
    for entry in library.entries:
        f = {k.lower(): v.value if hasattr(v, "value") else v for k, v in entry.fields_dict.items()}
        entries.append(_clean({
            "key": entry.key, "type": entry.entry_type, "title": _unbrace(f.get("title")),
            "authors": _people(re.split(r"\s+and\s+", f["author"])) if f.get("author") else [],
            "editors": _people(re.split(r"\s+and\s+", f["editor"])) if f.get("editor") else [],
            "container": _unbrace(f.get("journal") or f.get("booktitle")),
            "issued": f.get("year"), "volume": f.get("volume"), "issue": f.get("number"),
            "pages": f.get("pages"), "publisher": f.get("publisher"),
            "place": f.get("address"), "url": f.get("url")}))
    return entries


def from_ris(text: str) -> list[dict[str, object]]:
    import rispy

    entries = []
    for e in rispy.loads(text):
        pages = "-".join(p for p in (e.get("start_page"), e.get("end_page")) if p)
        entries.append(_clean({
            "type": e.get("type_of_reference"), "title": e.get("title") or e.get("primary_title"),
            "authors": _people(e.get("authors") or e.get("first_authors") or []),
            "editors": _people(e.get("editors") or []),
            "container": e.get("secondary_title") or e.get("journal_name"),
            "issued": (e.get("year") or e.get("publication_year") or "").strip("/") or None,
            "volume": e.get("volume"), "issue": e.get("number"), "pages": pages,
            "publisher": e.get("publisher"), "place": e.get("place_published"),
            "url": (e.get("urls") or [None])[0]}))
    return entries


def from_csl_json(text: str) -> list[dict[str, object]]:
    data = json.loads(text)
    items = data if isinstance(data, list) else data.get("items", [])
    entries = []
    for item in items:
        def names(role: str, item: dict = item) -> list[str]:
            return [" ".join(p for p in (n.get("given"), n.get("family")) if p) or
                    n.get("literal", "") for n in item.get(role, [])]
        parts = (item.get("issued") or {}).get("date-parts") or [[]]
        issued = "-".join(f"{int(p):02d}" if i else str(p) for i, p in enumerate(parts[0]))
        entries.append(_clean({
            "key": item.get("id"), "type": item.get("type"), "title": item.get("title"),
            "authors": names("author"), "editors": names("editor"),
            "container": item.get("container-title"), "issued": issued or None,
            "volume": item.get("volume"), "issue": item.get("issue"), "pages": item.get("page"),
            "publisher": item.get("publisher"), "place": item.get("publisher-place"),
            "url": item.get("URL")}))
    return entries


def _unbrace(value: object) -> str | None:
    return re.sub(r"[{}]", "", str(value)) if value else None


def _clean(entry: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in entry.items() if v not in (None, "", [])}
