"""Bibliography files (BibTeX, RIS, CSL-JSON) read into the citation fields."""

from __future__ import annotations

import json

import pytest
from alliancegraph.ingest.bibliography import read

BIB = """@article{auslin2005,
  author = {Auslin, Michael R.},
  title = {{Japan and South Korea}: The new East Asian core},
  journal = {Orbis}, volume = {49}, number = {3}, year = {2005}, pages = {459--473}
}"""
RIS = """TY  - JOUR
AU  - Walt, Stephen M.
TI  - Why alliances endure or collapse
T2  - Survival
VL  - 39
IS  - 1
PY  - 1997
SP  - 156
EP  - 180
ER  -
"""
CSL = [{"id": "mo1999", "type": "chapter", "title": "Korean unification",
        "author": [{"family": "Mo", "given": "Jong-ryn"}],
        "editor": [{"family": "Okonogi", "given": "Masao"}],
        "container-title": "Japan and Korean Unification", "issued": {"date-parts": [[1999]]},
        "publisher": "Yonsei University Publishing"}]


def test_the_three_formats(tmp_path) -> None:
    (tmp_path / "a.bib").write_text(BIB, encoding="utf-8")
    (tmp_path / "a.ris").write_text(RIS, encoding="utf-8")
    (tmp_path / "a.json").write_text(json.dumps(CSL), encoding="utf-8")
    [bib] = read(tmp_path / "a.bib")
    assert bib["title"] == "Japan and South Korea: The new East Asian core"
    assert bib["authors"] == ["Michael R. Auslin"]
    assert (bib["container"], bib["volume"], bib["issue"], bib["issued"]) == \
        ("Orbis", "49", "3", "2005")
    [ris] = read(tmp_path / "a.ris")
    assert ris["authors"] == ["Stephen M. Walt"] and ris["pages"] == "156-180"
    assert ris["container"] == "Survival" and ris["issued"] == "1997"
    [csl] = read(tmp_path / "a.json")
    assert csl["authors"] == ["Jong-ryn Mo"] and csl["editors"] == ["Masao Okonogi"]
    assert csl["issued"] == "1999" and csl["publisher"] == "Yonsei University Publishing"


def test_an_unknown_suffix_is_refused(tmp_path) -> None:
    (tmp_path / "a.docx").write_text("x", encoding="utf-8")
    with pytest.raises(ValueError, match="BibTeX"):
        read(tmp_path / "a.docx")
