"""A full-text index of the searched literals: SQLite FTS5 with the trigram tokenizer.

:func:`alliancegraph.graph.search.search` scans the store's literals with ``CONTAINS``: right
on every backend, but its cost grows with the store. This index answers the same question
from a file beside the store (``<data_dir>/search/text.sqlite``): every literal of the
searched properties (labels and aliases, claims, quotes, footnote texts), case folded, with
the entity it belongs to (a blank node's: the IRI holding it). Trigrams find substrings, so
Japanese and Korean text — no spaces between words — is found as written; a text under three
characters is looked for by a scan of the index (still one local file, not the store).

In step with writes: the index records the store generation it was built from. A search
uses it only when that is the store's current generation; otherwise it asks the store (the
``CONTAINS`` query) and the index is rebuilt — after a write, in the background (:func:`
refresh`), at ``alliancegraph build`` at once. A build reads the literals in one query,
writes a new file and moves it over the old one: a reader never sees half an index, and
several processes (gunicorn workers, instances sharing a data dir) may build at once —
the last one's file wins, each built from one generation. The same holds on a remote
backend: each instance keeps its own index of the server's data, rebuilt when the server's
generation moves.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path

import pyoxigraph as ox
from alliancegraph.store.base import Dataset, Store

log = logging.getLogger(__name__)

#: the most rows an index takes from the store (a store past it is indexed in part, and
#: says so in the log)
MAX_INDEXED = 5_000_000
#: the shortest text the trigram index itself can look for
TRIGRAM = 3


def index_path(data_dir: str | os.PathLike[str]) -> Path:
    """Where the text index of the store in ``data_dir`` lives."""
    return Path(data_dir) / "search" / "text.sqlite"


def literals_query(predicates: Iterable[str]) -> str:
    """Every literal of ``predicates``, with the IRI holding its blank-node subject."""
    values = " ".join(f"<{p}>" for p in predicates)
    return f"""SELECT DISTINCT ?s ?p ?text ?owner WHERE {{
  VALUES ?p {{ {values} }}
  ?s ?p ?text .
  FILTER(isLiteral(?text))
  OPTIONAL {{ FILTER(isBlank(?s)) ?owner ?via ?s . FILTER(isIRI(?owner)) }}
}}"""


class TextIndex:
    """The index file at ``path``: which generation it holds, what it finds, how it is
    (re)built."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5)

    def generation(self) -> int | None:
        """The store generation the index was built from; None when there is no index
        (or no readable one: it is rebuilt)."""
        if not self.path.exists():
            return None
        try:
            with closing(self._connect()) as db:
                row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        except sqlite3.Error as exc:
            log.warning("text index %s unreadable (%s); the store is searched instead",
                        self.path, exc)
            return None
        return int(row[0]) if row else None

    def find(self, needle: str, predicates: Iterable[str], limit: int = 2000
             ) -> list[tuple[str, str, str]]:
        """``(entity IRI, property, text)`` of the indexed literals of ``predicates``
        holding ``needle``, case folded (as the store's ``LCASE``), at most ``limit``."""
        wanted = needle.lower()
        chosen = list(predicates)
        marks = ", ".join("?" for _ in chosen)
        if len(wanted) >= TRIGRAM and "\x00" not in wanted:  # a phrase of trigrams: the
            # substring, by the index (an FTS5 string cannot hold NUL: that one is scanned)
            phrase = '"' + wanted.replace('"', '""') + '"'
            sql = (f"SELECT entity, predicate, text FROM texts WHERE texts MATCH ? "
                   f"AND predicate IN ({marks}) LIMIT ?")
            args: tuple = (phrase, *chosen, limit)
        else:
            sql = (f"SELECT entity, predicate, text FROM texts WHERE instr(folded, ?) > 0 "
                   f"AND predicate IN ({marks}) LIMIT ?")
            args = (wanted, *chosen, limit)
        with closing(self._connect()) as db:
            return [tuple(row) for row in db.execute(sql, args)]

    def rebuild(self, store: Store, predicates: Iterable[str]) -> int | None:
        """Index the store's literals of ``predicates`` afresh; the generation indexed, or
        None when a write came while reading (the index is left as it was)."""
        chosen = list(predicates)
        before = store.generation()
        rows = store.backend.select(
            literals_query(chosen), dataset=Dataset(union_default=getattr(
                store, "union_default_graph", True)),
            base_iri=None, max_rows=MAX_INDEXED).rows
        if store.generation() != before:
            return None
        if len(rows) >= MAX_INDEXED:
            log.warning("text index: the store holds over %d searched literals; only the "
                        "first are indexed", MAX_INDEXED)
        entries = dict.fromkeys(_entries(rows))
        self._write(entries, before)
        return before

    def _write(self, entries: Iterable[tuple[str, str, str]], generation: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=".text-", suffix=".sqlite",
                                        dir=self.path.parent)
        os.close(handle)
        try:
            with closing(sqlite3.connect(name)) as db:
                db.executescript(
                    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
                    "CREATE VIRTUAL TABLE texts USING fts5(entity UNINDEXED, "
                    "predicate UNINDEXED, text UNINDEXED, folded, "
                    "tokenize = 'trigram case_sensitive 1');")
                db.executemany("INSERT INTO texts VALUES (?, ?, ?, ?)",
                               ((e, p, t, t.lower()) for e, p, t in entries))
                db.execute("INSERT INTO meta VALUES ('generation', ?)", (str(generation),))
                db.commit()
            os.chmod(name, 0o644)
            os.replace(name, self.path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise


def _entries(rows: Iterable[tuple]) -> Iterable[tuple[str, str, str]]:
    for subject, predicate, text, owner in rows:
        entity = owner if isinstance(subject, ox.BlankNode) else subject
        if isinstance(entity, ox.NamedNode) and isinstance(text, ox.Literal):
            yield entity.value, predicate.value, text.value


_refreshing: dict[Path, threading.Thread] = {}
_lock = threading.Lock()


def refresh(index: TextIndex, store: Store, predicates: Iterable[str]) -> threading.Thread:
    """Rebuild ``index`` in a background thread, unless one is rebuilding it already (that
    one is answered). A failure is logged with its traceback: searches go on by the store."""
    chosen = list(predicates)
    with _lock:
        running = _refreshing.get(index.path)
        if running is not None and running.is_alive():
            return running

        def work() -> None:
            try:
                index.rebuild(store, chosen)
            except Exception:
                log.exception("rebuilding the text index %s failed", index.path)

        thread = threading.Thread(target=work, name="text-index", daemon=True)
        _refreshing[index.path] = thread
        thread.start()
        return thread
