"""One footnote's text → the citations it makes, each parsed into fields with a confidence.

The styles read are those of the bundled papers: Chicago-style notes (``Author, \u201cTitle\u201d,
*Container*, vol:issue, Season Year, pg.12``), books (``Author, *Title*, Place, Publisher,
Year. pp.4``), chapters in edited volumes (``in Editor (ed.), *Book*``, ``Editor ed.``,
``(edited by Editor)``), newspaper and web citations with a URL and ``Accessed: 5th September
2006``, ``X cited in Y``, several works separated by ``;``, commentary before the first work
(``For further reading, see:``), a newspaper named in brackets (``(*Chosun Ilbo*, March 7,
1996)``), and ``ibid.``/``op. cit.`` (resolved to the work referred to by :func:`resolve`).
The input is the note as printed (emphasis kept: it tells the container from the title).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], 1)}
SEASON = r"(?:Spring|Summer|Autumn|Fall|Winter)(?:-(?:Spring|Summer|Autumn|Fall|Winter))?"
MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({MONTH})\s*,?\s+(\d{{4}})")
MONTH_DAY_YEAR = re.compile(rf"\b({MONTH})\s+(\d{{1,2}}),\s*(\d{{4}})")
MONTH_YEAR = re.compile(rf"\b({MONTH})\s+(\d{{4}})")
YEAR = re.compile(r"(?<![\d:~.-])((?:19|20)\d{2})(?![\d~-])")
PAGES = re.compile(r"\b((?:pp|pg|Pg|PP|p|P)\.?\s*(\d+)(?:\s*[-~\u2013]\s*(\d+))?)")
URL = re.compile(r"<?(https?://[^\s<>]+?)>?(?=[\s,;]|$)")
ACCESSED = re.compile(r"Accessed:?\s*(?:on\s+)?([^.;]*\d{4})", re.I)
TITLE_QUOTES = [("\u201c", "\u201d"), ("\u2018", "\u2019"), ('"', '"'), ("'", "'")]
VOL_ISSUE = re.compile(r"(?<![\d.])(\d{1,3})\s*[:,]\s*(\d{1,2})(?![\d~])")
PUBLISHER_WORDS = re.compile(r"\b(Press|UP|Publishing|Publishers|Publications|Books|Institution|"
                             r"Institute|Centre|Center|Malaysia)\b")
IBID = re.compile(r"^\s*(ibid|ibidem)\b\.?", re.I)
OP_CIT = re.compile(r"\bop\.?\s*cit\b\.?", re.I)
SEE = re.compile(r"^(?:.*?\bsee|see also|see)\s*:\s*", re.I)


@dataclass
class Citation:
    """One cited work as one footnote prints it; ``confidence`` per field (0..1)."""

    footnote: str  # the footnote's label
    index: int  # 1.. within the footnote
    text: str  # the segment of the note that prints it (markup removed)
    fields: dict[str, object] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    kind: str = "Work"  # JournalArticle, Book, BookChapter, NewspaperArticle, WebPage, …
    refers_to: tuple[str, int] | None = None  # ibid./op. cit.: (footnote, index) referred to
    unread: list[str] = field(default_factory=list)

    def set(self, name: str, value: object, confidence: float) -> None:
        if value in (None, "", []):
            return
        self.fields[name] = value
        self.confidence[name] = confidence

    def get(self, name: str, default: object = None) -> object:
        return self.fields.get(name, default)


def _clean(text: str) -> str:
    text = re.sub(r"<sup>\s*([^<]*?)\s*</sup>", r"\1", text)
    text = re.sub(r"<(https?://[^>\s]+)>", r"\1", text)
    return re.sub(r"\s+", " ", text.replace("\\_", "_")).strip()


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", _clean(text).replace("*", "")).strip()


def iso_date(text: str) -> str | None:
    """``5th September 2006``, ``March 7, 1996`` → ``2006-09-05``, ``1996-03-07``."""
    if match := DAY_MONTH_YEAR.search(text):
        day, month, year = match.groups()
    elif match := MONTH_DAY_YEAR.search(text):
        month, day, year = match.groups()
    else:
        return None
    return f"{year}-{MONTHS[month.lower()]:02d}-{int(day):02d}"


def split_note(raw: str) -> list[str]:
    """The segments of a note that each cite one work (commentary before the first dropped
    by :func:`_strip_commentary`)."""
    text = _clean(raw)
    parts = [p.strip() for p in re.split(r";\s+(?=[A-Z*\u201c\"\u2018])", text) if p.strip()]
    # a ";" inside a journal reference (``Summer 2003; 20,2;``) does not start a work
    merged: list[str] = []
    for part in parts:
        if merged and not _has_title(part):
            merged[-1] = f"{merged[-1]}; {part}"
        else:
            merged.append(part)
    return merged


def _has_title(text: str) -> bool:
    return bool(re.search(r"[\u201c\u2018\"*]", text)) or bool(IBID.match(text)) or \
        bool(OP_CIT.search(text)) or "interview" in text.lower()


def _strip_commentary(text: str) -> tuple[str, str]:
    """(commentary, the citation) — ``For further reading, see: X`` or a sentence before
    ``Name, \u201cTitle\u201d``."""
    if match := SEE.match(text):
        return text[:match.end()].strip(), text[match.end():]
    first = min((i for i in (text.find(o) for o, _ in TITLE_QUOTES[:3]) if i >= 0), default=-1)
    if first < 0:
        first = text.find("*")
    head = text[:first] if first > 0 else ""
    # a sentence boundary: a full stop after a word of three letters or more
    ends = [m.end() for m in re.finditer(r"\w{3,}[.!?]\s+(?=[A-Z])", head)]
    if (ends and not re.search(r"\bcited in\b", head[ends[-1]:])) or (
            ends and "cited in" not in head):
        return text[:ends[-1]].strip(), text[ends[-1]:]
    return "", text


def _quoted_title(text: str) -> tuple[str, int, int] | None:
    """The first quoted string (a title in quotation marks) and its span."""
    best = None
    for opening, closing in TITLE_QUOTES:
        start = text.find(opening)
        if start < 0:
            continue
        if opening in "'\"" and start > 0 and text[start - 1].isalnum():
            continue  # an apostrophe
        # the closing mark that ends the title: followed by , . ; or space-and-*
        pattern = re.compile(re.escape(closing) + r"(?=\s*[,.;*(]|\s+\*|\s*$)|(?<=[,.?!])"
                             + re.escape(closing) + r"(?=\s)")
        for match in pattern.finditer(text, start + 1):
            candidate = (text[start + 1:match.start()], start, match.end())
            if best is None or start < best[1]:
                best = candidate
            break
    if best is None:
        return None
    title = best[0].strip().rstrip(",").strip()
    return title, best[1], best[2]


def _italics(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(1).strip(), m.start(), m.end()) for m in re.finditer(r"\*([^*]+)\*", text)]


def _names(text: str) -> list[str]:
    """``A, B and C`` / ``A & B`` → names."""
    text = re.sub(r"\s+(?:eds?|eda)\.?$", "", text.strip(" ,.()"))
    return [n.strip(" ,.") for n in re.split(r",\s*|\s+and\s+|\s*&\s*", text) if n.strip(" ,.")]


def family(name: str) -> str:
    """The family name of a name as printed in the note (``Michael R. Auslin`` → Auslin)."""
    tokens = name.replace(",", " ").split()
    return tokens[-1] if tokens else ""


def parse_segment(segment: str, footnote: str, index: int) -> Citation:
    """One segment of a note → its :class:`Citation`."""
    commentary, text = _strip_commentary(segment)
    citation = Citation(footnote, index, _plain(segment))
    if commentary:
        citation.set("comment", _plain(commentary), 0.9)
    if IBID.match(text):
        citation.kind = "ibid"
        _pages(citation, text)
        return citation
    if opcit := OP_CIT.search(text):  # ``Walt, op. cit., pg.165``: resolved later
        citation.kind = "opcit"
        citation.set("authors", _names(_plain(text[:opcit.start()])), 0.7)
        _pages(citation, text[opcit.end():])
        return citation
    if cited := re.match(r"^(.*?)\s+cited in:?\s*(.*)$", text, re.S):
        citation.set("quoted_person", _plain(cited.group(1)), 0.9)
        text = cited.group(2)
    bracketed = re.search(r"\((\*[^*]+\*),\s*([^)]*\d{4})\)", text)
    if bracketed:  # ``(*Chosun Ilbo*, March 7, 1996)``: the note's words are the paper's
        citation.kind = "NewspaperArticle"
        citation.set("container", _plain(bracketed.group(1)), 0.9)
        date = iso_date(bracketed.group(2))
        citation.set("issued", date, 0.9)
        head = text[:bracketed.start()]
        person = re.search(r"\b(?:strategist|scholar|analyst|official)\s+((?:[A-Z][a-z]+\s?){2})",
                           head)
        if person:
            citation.set("quoted_person", person.group(1).strip(), 0.6)
        return citation
    _url_and_access(citation, text)
    text_wo_url = URL.sub(" ", ACCESSED.sub(" ", text))
    title = _quoted_title(text_wo_url)
    italics = _italics(text_wo_url)
    anonymous = re.match(r"^\s*(?:Author unknown|Anon\.?|Anonymous)\s*,\s*([^,*]+),", text_wo_url)
    if title is None and anonymous:  # ``Author unknown, Title, *Website*``
        citation.set("title", _plain(anonymous.group(1)), 0.8)
        citation.set("anonymous", True, 0.9)
        authors_text, rest = "", text_wo_url[anonymous.end():]
        containers = [i for i in italics if i[1] >= anonymous.end()]
    elif title is not None:
        citation.set("title", _plain(title[0]), 0.95)
        authors_text, rest = text_wo_url[:title[1]], text_wo_url[title[2]:]
        containers = [i for i in italics if i[1] >= title[2]]
    elif italics:
        first = italics[0]
        authors_text, rest = text_wo_url[:first[1]], text_wo_url[first[2]:]
        citation.set("title", _plain(first[0]), 0.8)
        containers = []
    else:
        authors_text, rest = _untitled(citation, text_wo_url)
        containers = []
    _authors(citation, authors_text)
    if containers:
        citation.set("container", _plain(containers[0][0]), 0.9)
        between = rest[:containers[0][1] - len(text_wo_url) + len(rest)]
        _editors(citation, between)
        rest_after = rest[containers[0][2] - len(text_wo_url) + len(rest):]
    else:
        rest_after = rest
    _editors(citation, rest_after)
    _details(citation, rest_after if containers else rest)
    _pages(citation, rest_after)
    _kind(citation, segment)
    if citation.kind == "Interview" and "issued" in citation.fields:
        citation.fields.pop("issued")  # an interview has a date, not an issue
        citation.confidence.pop("issued")
    return citation


def _untitled(citation: Citation, text: str) -> tuple[str, str]:
    """A note with neither quotes nor italics: ``Author unknown, Title, …`` or an interview."""
    parts = [p.strip() for p in text.split(",")]
    if re.search(r"\binterview\b", text, re.I):
        citation.kind = "Interview"
        citation.set("interviewee", parts[0], 0.7)
        citation.set("date", iso_date(text), 0.8)
        return "", text
    if parts and parts[0].lower() in ("author unknown", "anon", "anonymous"):
        citation.set("title", parts[1] if len(parts) > 1 else "", 0.6)
        return "", ", ".join(parts[2:])
    citation.unread.append(f"no title found in: {_plain(text)}")
    return parts[0] if parts else "", ", ".join(parts[1:])


def _authors(citation: Citation, text: str) -> None:
    text = _plain(text).strip(" ,")
    text = re.sub(r",?\s*Chapter\s+(\d+)$", "", text)
    if not text or text.lower() in ("author unknown", "anon"):
        return
    names = _names(text)
    corporate = any(PUBLISHER_WORDS.search(n) or re.search(r"\b(Ministry|House|Government|"
                                                           r"Agency)\b", n) for n in names)
    if corporate:
        citation.set("corporate_author", text, 0.7)
    else:
        citation.set("authors", names, 0.9 if len(names) <= 3 else 0.7)


def _editors(citation: Citation, text: str) -> None:
    if "editors" in citation.fields:
        return
    plain = _plain(text)
    for pattern in (r"\(edited by ([^)]+)\)", r"\bin\s+([^,;()]+?)\s*\((?:eds?|eda)\.?\)",
                    r"(?:^|,)\s*([^,;()]+?)\s+eds?\.(?=,|\s|$)"):
        if match := re.search(pattern, plain):
            citation.set("editors", _names(match.group(1)), 0.8)
            return


def _url_and_access(citation: Citation, text: str) -> None:
    if match := URL.search(_clean(text)):
        citation.set("url", match.group(1).rstrip(".,"), 0.95)
    if match := ACCESSED.search(text):
        citation.set("access_date", iso_date(_plain(match.group(1))), 0.9)


def _details(citation: Citation, text: str) -> None:
    """Volume/issue, season, month, year or full date, publisher and place."""
    plain = _plain(text)
    plain_np = PAGES.sub(" ", plain)
    if match := VOL_ISSUE.search(plain_np):
        citation.set("volume", match.group(1), 0.85)
        citation.set("issue", match.group(2), 0.85)
    elif match := re.match(r"^,?\s*(\d{1,4}),", plain_np) or re.search(
            r"(?:Spring|Summer|Autumn|Fall|Winter)\s+\d{4},\s*(\d{1,3})(?=[,.]|\s)", plain_np):
        citation.set("issue", match.group(1), 0.6)
    if match := re.search(SEASON, plain_np):
        citation.set("season", match.group(0), 0.9)
    date = iso_date(plain_np)
    if date:
        citation.set("issued", date, 0.85)
    elif match := MONTH_YEAR.search(plain_np):
        citation.set("issued", f"{match.group(2)}-{MONTHS[match.group(1).lower()]:02d}", 0.85)
    elif years := YEAR.findall(plain_np):
        citation.set("issued", years[0], 0.85)
    _imprint(citation, plain_np)


def _imprint(citation: Citation, text: str) -> None:
    parts = [p.strip(" .") for p in re.split(r",|\.\s", text) if p.strip(" .")]
    for i, part in enumerate(parts):
        if match := re.match(r"^([A-Z][\w ]+):\s*(.+)$", part):
            citation.set("place", match.group(1).strip(), 0.8)
            citation.set("publisher", match.group(2).strip(), 0.8)
            return
        if PUBLISHER_WORDS.search(part) and not re.search(r"\bed\.?$|edited", part):
            citation.set("publisher", part, 0.6)
            if i > 0 and re.fullmatch(r"[A-Z][a-z]+(?: [A-Z][a-z]+)?", parts[i - 1]):
                citation.set("place", parts[i - 1], 0.5)
            return


def _pages(citation: Citation, text: str) -> None:
    plain = _plain(text)
    matches = list(PAGES.finditer(plain))
    if not matches:
        return
    match = matches[-1]
    printed = match.group(1).rstrip(".")
    citation.set("pages", printed, 0.95)
    citation.set("page_start", int(match.group(2)), 0.95)
    citation.set("page_end", int(match.group(3) or match.group(2)), 0.9)


def _kind(citation: Citation, segment: str) -> None:
    if citation.kind != "Work":
        return
    container = str(citation.get("container", ""))
    if "url" in citation.fields:
        newspaper = re.search(r"Times|Post|News|Ilbo|Herald|Shimbun|Online", container)
        citation.kind = "NewspaperArticle" if newspaper else "WebPage"
    elif re.search(r"Ilbo|Times|Shimbun|Herald|Post\b", container):
        citation.kind = "NewspaperArticle"
    elif "volume" in citation.fields or "season" in citation.fields or re.search(
            r"Journal|Review|Quarterly|Interest|Forum|Perspective|Survival|Orbis", container):
        citation.kind = "JournalArticle"
    elif "editors" in citation.fields or (container and "Chapter" in segment) or container:
        citation.kind = "BookChapter"
    elif "title" in citation.fields:
        citation.kind = "Book"


def parse_note(raw: str, footnote: str) -> list[Citation]:
    """Every citation in one footnote (as printed, markup kept)."""
    segments = split_note(raw)
    citations = [parse_segment(s, footnote, i) for i, s in enumerate(segments, 1)]
    return [c for c in citations if _cites(c)] or citations[:0]


def _cites(citation: Citation) -> bool:
    """A segment that names a work (a note that only comments cites nothing)."""
    return citation.kind in ("ibid", "opcit") or any(
        k in citation.fields for k in ("title", "container", "url", "interviewee"))


def resolve(citations: list[Citation]) -> None:
    """``ibid.`` → the citation before; ``op. cit.`` → the last one by the same author."""
    previous: Citation | None = None
    for citation in citations:
        if citation.kind == "ibid" and previous is not None:
            citation.refers_to = (previous.footnote, previous.index)
            _inherit(citation, previous)
        elif citation.kind == "opcit":
            name = family(str((citation.get("authors") or [""])[0]))
            earlier = [c for c in citations[:citations.index(citation)]
                       if c.refers_to is None and name
                       and name in [family(a) for a in c.get("authors") or []]]
            if earlier:
                citation.refers_to = (earlier[-1].footnote, earlier[-1].index)
                _inherit(citation, earlier[-1])
        if citation.kind not in ("ibid", "opcit") or citation.refers_to:
            previous = citation


def _inherit(citation: Citation, source: Citation) -> None:
    for name, value in source.fields.items():
        if name not in citation.fields and name not in ("pages", "page_start", "page_end"):
            citation.set(name, value, source.confidence[name] * 0.9)
    citation.kind = source.kind
