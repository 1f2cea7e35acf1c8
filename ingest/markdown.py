"""A paper's text (Markdown or plain text) → its document: front matter, sections, footnotes.

The shape read is the one the bundled papers have: headings (``#`` lines, or a short line in
emphasis, numbered ``1.``, bulleted ``•`` or run-in ``(1) *Title:*``), footnote markers in
the running text (``<sup>12</sup>``, ``^12``, ``[12]``), footnote texts at page bottoms after
a ``---`` rule or at the end (starting with a marker or ``12.``), a note continued after a
page break (the first block after a rule that is not a note, when the note before it is
unfinished), and italic pull-quotes repeating the running text (their markers are not
counted). Whatever is not read is listed in :attr:`Document.unread`, never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

#: a note's own marker at the start of its block
NOTE_START = re.compile(r"^\s*(?:<sup>\s*(\d+)\s*</sup>|\^(\d+)|\[(\d+)\]|(\d+)\.(?=\s))\s*")
#: a footnote marker in the running text
MARKER = re.compile(r"<sup>\s*(\d+)\s*</sup>|\^(\d+)(?!\d)|\[(\d+)\](?!\()")
RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")
HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
RUN_IN = re.compile(r"^\((\d+)\)\s*\*([^*]+?):?\*:?\s*(.*)$", re.S)
NUMBERED = re.compile(r"^(\d+)\.\s*(.+)$")
BULLET = re.compile(r"^[•·▪◦]\s*(.+)$")
SPECIAL = {"bibliography": "bibliography", "references": "bibliography",
           "works cited": "bibliography"}
NOTES_HEADINGS = {"notes", "endnotes", "footnotes"}


def normalise(text: str) -> str:
    """Text without markup, as the graph's quotes and full texts are written: footnote
    markers dropped, other superscripts kept, emphasis, ``#``s, escapes and URL brackets
    removed, white space collapsed."""
    text = re.sub(r"<sup>\s*\d+\s*</sup>", "", text)
    text = re.sub(r"</?sup>", "", text)
    text = re.sub(r"<(https?://[^>\s]+)>", r"\1", text)
    text = re.sub(r"(?m)^\s*#+\s*", "", text)
    text = text.replace("\\_", "_").replace("\\*", "*").replace("*", "")
    return re.sub(r"\s+", " ", text).strip()


def _plain(text: str) -> str:
    """A note's or heading's text: :func:`normalise` keeping superscripts' text."""
    return normalise(re.sub(r"<sup>\s*([^<]*?)\s*</sup>", r"\1", text))


@dataclass
class Block:
    text: str
    line: int  # 1-based line of its first line in the input


@dataclass
class Section:
    number: str  # "1", "3-2", "front", "bibliography"
    title: str
    order: int
    printed_number: bool = False
    line: int = 0


@dataclass
class Footnote:
    number: str
    label: str
    text: str
    line: int
    raw: str = ""  # as printed (markup kept: emphasis tells a container from a title)
    section: str | None = None  # the section its marker stands in
    continued: bool = False  # joined across a page break
    duplicate: bool = False  # the paper prints its number more than once
    confidence: float = 1.0


@dataclass
class Paragraph:
    section: str
    text: str  # as printed (markup kept)
    line: int
    italic: bool = False
    pull_quote: bool = False


@dataclass
class Document:
    title: str = ""
    authors: list[str] = field(default_factory=list)
    affiliations: list[str] = field(default_factory=list)
    author_note: str | None = None
    sections: list[Section] = field(default_factory=list)
    footnotes: list[Footnote] = field(default_factory=list)
    paragraphs: list[Paragraph] = field(default_factory=list)
    bibliography: list[Block] = field(default_factory=list)
    unread: list[tuple[int, str]] = field(default_factory=list)  # (line, why and what)

    def section(self, number: str) -> Section | None:
        return next((s for s in self.sections if s.number == number), None)

    @property
    def pull_quotes(self) -> list[Paragraph]:
        return [p for p in self.paragraphs if p.pull_quote]


def blocks(text: str) -> list[Block]:
    """Blocks separated by blank lines; a rule is a block of its own."""
    out: list[Block] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or RULE.match(line):
            if current:
                out.append(Block("\n".join(current), start))
                current = []
            if RULE.match(line):
                out.append(Block("---", number))
            continue
        if not current:
            start = number
        current.append(line)
    if current:
        out.append(Block("\n".join(current), start))
    return out


def _emphasised_line(text: str) -> str | None:
    """The text of a one-line block wholly in emphasis (``*…*``, ``**…**``), else None."""
    if "\n" in text.strip():
        return None
    stripped = text.strip()
    match = re.fullmatch(r"(\*{1,3})(.+?)\1", stripped)
    return match.group(2).strip(" *") if match else None


def _heading(block: Block) -> tuple[int | None, str] | None:
    """(markdown level or None, heading text) when the block is a heading."""
    match = HEADING.match(block.text.strip())
    if match and "\n" not in block.text.strip():
        return len(match.group(1)), _plain(match.group(2))
    inner = _emphasised_line(block.text)
    if inner is None or MARKER.search(inner):
        return None  # a line with a footnote marker is running text (an epigraph, a quote)
    title = _plain(inner)
    if NUMBERED.match(title) or BULLET.match(title) or title.lower() in SPECIAL:
        return None, title
    words = title.split()
    # a short line in emphasis, not a sentence, not a name or an address: a heading
    if (4 <= len(words) <= 15 and title[0].isupper()
            and not re.search(r"[.!?\u201d\"\u2019:]$", title) and "@" not in title):
        return None, title
    return None


def _note_start(text: str) -> tuple[str, str] | None:
    match = NOTE_START.match(text)
    if not match:
        return None
    number = next(g for g in match.groups() if g)
    return number, text[match.end():]


def _unfinished(text: str) -> bool:
    """A note that stops mid-way (a page break cut it): no closing full stop."""
    return not re.search(r"[.)\u201d\"]\s*$", text) or text.rstrip().endswith(",")


class _Reader:
    def __init__(self) -> None:
        self.doc = Document()
        self.top: Section | None = None
        self.sub_count = 0
        self.top_count = 0
        self.numbered = False
        self.top_level: int | None = None
        self.current = "front"
        self.after_rule = False
        self.in_notes = False  # inside a run of note blocks (after a rule or a Notes heading)
        self.notes_heading = False

    def add_section(self, number: str, title: str, line: int, printed: bool = False) -> None:
        order = len(self.doc.sections) + 1
        self.doc.sections.append(Section(number, title, order, printed, line))
        self.current = number

    def top_section(self, title: str, line: int, number: str | None = None) -> None:
        if number is None:
            self.top_count += 1
            number = str(self.top_count)
        else:
            self.top_count = int(number)
        self.sub_count = 0
        self.add_section(number, title, line, printed=True)
        self.top = self.doc.sections[-1]

    def sub_section(self, title: str, line: int) -> None:
        if self.top is None or self.top.number in ("front", "bibliography"):
            self.top_section(title, line)
            return
        self.sub_count += 1
        self.add_section(f"{self.top.number}-{self.sub_count}", title, line)

    def heading(self, level: int | None, title: str, line: int) -> None:
        if not self.doc.title and level == 1 and not self.doc.sections[1:]:
            self.doc.title = title
            return
        special = SPECIAL.get(title.lower().strip(" :"))
        if special:
            self.add_section(special, title, line)
            self.top = self.doc.sections[-1]
            return
        if title.lower().strip(" :") in NOTES_HEADINGS:
            self.notes_heading = True
            return
        if match := NUMBERED.match(title):
            self.numbered = True
            self.top_section(match.group(2).strip(), line, match.group(1))
        elif match := BULLET.match(title):
            self.sub_section(match.group(1).strip(), line)
        elif self.numbered:
            # a paper that numbers its sections: an unnumbered heading is a sub-section
            self.sub_section(title, line)
        elif level is not None and (self.top_level is None or level <= self.top_level):
            self.top_level = level
            self.top_section(title, line)
        else:
            self.sub_section(title, line)


def parse(text: str) -> Document:
    """Read a paper's Markdown or plain text into a :class:`Document`."""
    reader = _Reader()
    doc = reader.doc
    reader.add_section("front", "Front matter", 0)
    notes: list[Footnote] = []
    front: list[Block] = []
    for block in blocks(text):
        if block.text == "---":
            reader.after_rule, reader.in_notes = True, True
            continue
        after_rule, reader.after_rule = reader.after_rule, False
        stripped = block.text.strip()
        start = _note_start(stripped)
        if start and (not NUMBERED.match(stripped) or reader.in_notes or reader.notes_heading):
            number, rest = start
            notes.append(Footnote(number, number, _plain(rest), block.line, raw=rest.strip()))
            reader.in_notes = True
            continue
        if stripped.startswith("\\*") and doc.author_note is None:
            doc.author_note = _plain(stripped[2:])
            continue
        if after_rule and notes and _unfinished(notes[-1].text) and not _heading(block):
            notes[-1].text = f"{notes[-1].text} {_plain(stripped)}"
            notes[-1].raw = f"{notes[-1].raw} {stripped}"
            notes[-1].continued = True
            continue
        reader.in_notes = False
        if (run_in := RUN_IN.match(stripped)) and reader.top is not None:
            reader.sub_section(f"({run_in.group(1)}) {_plain(run_in.group(2))}", block.line)
            _paragraph(doc, reader.current, block)
            continue
        heading = _heading(block)
        if heading is not None:
            reader.heading(heading[0], heading[1], block.line)
            continue
        if reader.current == "front":
            front.append(block)
        elif reader.current == "bibliography":
            doc.bibliography.append(block)
        else:
            _paragraph(doc, reader.current, block)
    _front_matter(doc, front)
    _mark_pull_quotes(doc)
    _place_notes(doc, notes)
    return doc


def _paragraph(doc: Document, section: str, block: Block) -> None:
    stripped = block.text.strip()
    italic = stripped.startswith("*") and stripped.rstrip().endswith("*") and \
        not stripped.startswith("**")
    doc.paragraphs.append(Paragraph(section, block.text, block.line, italic))


def _front_matter(doc: Document, front: list[Block]) -> None:
    """Title, authors and affiliations from the blocks before the first section."""
    lines = [(b.line + i, _plain(line)) for b in front for i, line in enumerate(b.text.split("\n"))]
    lines = [(n, t) for n, t in lines if t]
    if not doc.title and lines:
        doc.title = lines.pop(0)[1].strip("\u201c\u201d\"")
    for number, line in lines:
        if "@" in line:
            continue  # an e-mail address
        if not doc.authors:
            doc.authors.append(line.rstrip("*").strip())
        elif line:
            doc.affiliations.append(line)
        else:
            doc.unread.append((number, f"front matter not read: {line}"))
    if doc.author_note:
        match = re.search(r"\b(?:at|of) (?:the )?([A-Z][^.,;]+)", doc.author_note)
        if match:
            doc.affiliations.append(match.group(1).strip())


def _mark_pull_quotes(doc: Document) -> None:
    """An italic paragraph whose text the running text also prints is a pull-quote."""
    for paragraph in doc.paragraphs:
        if not paragraph.italic:
            continue
        text = normalise(paragraph.text)
        others = " ".join(normalise(p.text) for p in doc.paragraphs
                          if p is not paragraph and not p.italic)
        if len(text) > 40 and fuzz.partial_ratio(text, others) >= 90:
            paragraph.pull_quote = True


def _place_notes(doc: Document, notes: list[Footnote]) -> None:
    """Each note's section is where its marker stands: the k-th marker numbered n is the
    k-th note numbered n (a number printed twice is kept, labelled 4a, 4b and flagged)."""
    markers: dict[str, list[str]] = {}
    for paragraph in doc.paragraphs:
        if paragraph.pull_quote:
            continue
        for match in MARKER.finditer(paragraph.text):
            number = next(g for g in match.groups() if g)
            markers.setdefault(number, []).append(paragraph.section)
    counts: dict[str, int] = {}
    for note in notes:
        counts[note.number] = counts.get(note.number, 0) + 1
    seen: dict[str, int] = {}
    for note in notes:
        k = seen.get(note.number, 0)
        seen[note.number] = k + 1
        if counts[note.number] > 1:
            note.duplicate = True
            note.label = f"{note.number}{'abcdefghijklmnopqrstuvwxyz'[k]}"
        places = markers.get(note.number, [])
        if k < len(places):
            note.section = places[k]
        else:
            note.confidence = 0.3
            doc.unread.append((note.line, f"footnote {note.label}: no marker in the text"))
    for number, places in markers.items():
        if len(places) > counts.get(number, 0):
            doc.unread.append((0, f"marker {number} has no footnote text "
                                  f"({len(places)} marker(s), {counts.get(number, 0)} note(s))"))
    doc.footnotes = notes
