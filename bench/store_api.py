"""The in-process half of ``bench/store_seam.py``: run inside one install's venv.

    python bench/store_api.py load DATA_DIR FILE.nq     # add the generated graphs to the store
    python bench/store_api.py dump DATA_DIR OUT.nq      # every graph of the store, as N-Quads
    python bench/store_api.py overhead DATA_DIR --what store|pyoxigraph   # JSON, stdout

Through the public API of whatever install runs it: ``load_settings`` + ``open_store`` and
the typed ``ask``/``select`` when they exist (the new seam), else the per-call fork store
``EmbeddedStore`` and its ``query``/``apply`` (commit 806d6d5 and before). ``overhead`` also
times pyoxigraph in-process on the same data, the floor the store call is measured against.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

BASE = "https://w3id.org/alliancegraph/"
ASK = "ASK {}"
POINT = (f"SELECT ?label WHERE {{ <{BASE}id/state/japan> "
         "<http://www.w3.org/2000/01/rdf-schema#label> ?label }")
JSON = "application/sparql-results+json"


class Api:
    """One install's store, through the new seam or the old store."""

    def __init__(self, data_dir: str):
        self.data_dir = data_dir
        try:
            from alliancegraph.store import open_store
        except ImportError:
            open_store = None
        if open_store is not None:
            from alliancegraph.config import load_settings

            settings = load_settings(overrides={"data_dir": data_dir,
                                                "validate_on_write": False})
            self.kind = "open_store"
            self.store: Any = open_store(settings)  # NotImplementedError: seam not landed
        else:
            self.kind = "EmbeddedStore"
            self.store = _old_store(data_dir)

    def ask(self, sparql: str) -> object:
        if self.kind == "open_store":
            return self.store.ask(sparql)
        return self.store.query(sparql, media_type=JSON).body

    def select(self, sparql: str) -> object:
        if self.kind == "open_store":
            return self.store.select(sparql)
        return self.store.query(sparql, media_type=JSON).body

    def load(self, path: Path) -> int:
        if self.kind == "open_store":
            from alliancegraph.store import ReplaceGraphs

            graphs: dict[str, list[ox.Quad]] = defaultdict(list)
            for quad in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS):
                graphs[quad.graph_name.value].append(quad)
            self.store.apply(ReplaceGraphs(dict(graphs)))
        else:
            self.store.apply(_bulk_load(str(path)), capped=False)
        return self.store.count()

    def dump(self, out: Path) -> None:
        with out.open("wb") as handle:
            for chunk in self.store.dump(media_type="application/n-quads"):
                handle.write(chunk)

    def close(self) -> None:
        close = getattr(self.store, "close", None)
        if close is not None:
            close()


def _old_store(data_dir: str) -> Any:
    try:  # 806d6d5: the library package was graph/, so the module is alliancegraph.embedded
        from alliancegraph.embedded import EmbeddedStore
    except ImportError:
        from alliancegraph.store.embedded import EmbeddedStore
    return EmbeddedStore(data_dir, query_timeout=600.0, max_rows=1_000_000,
                         base_iri=BASE, max_memory_mb=None)


def _bulk_load(path: str) -> Callable[[ox.Store], None]:
    def work(store: ox.Store) -> None:
        store.bulk_load(path=path, format=ox.RdfFormat.N_QUADS)

    return work


def _times_ms(call: Callable[[], object], calls: int, warm: int = 20) -> list[float]:
    for _ in range(warm):
        call()
    out = []
    for _ in range(calls):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"p50": statistics.median(ordered), "p90": ordered[int(0.9 * (len(ordered) - 1))],
            "n": len(ordered)}


def overhead(data_dir: str, calls: int, what: str) -> dict[str, Any]:
    """Median times of ASK {} and a point lookup, through the store API (``what="store"``)
    or pyoxigraph in-process on the same store (``"pyoxigraph"``: opened read-only beside
    the backend's files, or loaded from a dump when the backend keeps no such directory).
    Two processes: the old store refuses to fork once its process has opened a store."""
    if what == "store":
        api = Api(data_dir)
        try:
            return {"api": api.kind, "ask": _summary(_times_ms(lambda: api.ask(ASK), calls)),
                    "point": _summary(_times_ms(lambda: api.select(POINT), calls))}
        finally:
            api.close()
    files = Path(data_dir) / "oxigraph"
    if files.is_dir():
        store, kind = ox.Store.read_only(str(files)), "read-only open of the store's files"
    else:
        store, kind = ox.Store(), "in memory, from the store's dump"
        store.bulk_load(path=str(Path(data_dir) / "bench-dump.nq"), format=ox.RdfFormat.N_QUADS)
    union = {"use_default_graph_as_union": True}
    return {"api": kind,
            "ask": _summary(_times_ms(lambda: bool(store.query(ASK, **union)), calls)),
            "point": _summary(_times_ms(
                lambda: [tuple(row) for row in store.query(POINT, **union)], calls))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    load = sub.add_parser("load")
    load.add_argument("data_dir")
    load.add_argument("file", type=Path)
    dump = sub.add_parser("dump")
    dump.add_argument("data_dir")
    dump.add_argument("out", type=Path)
    over = sub.add_parser("overhead")
    over.add_argument("data_dir")
    over.add_argument("--calls", type=int, default=200)
    over.add_argument("--what", choices=("store", "pyoxigraph"), default="store")
    args = parser.parse_args()
    if args.command == "overhead":
        json.dump(overhead(args.data_dir, args.calls, args.what), sys.stdout)
        return
    api = Api(args.data_dir)
    try:
        if args.command == "load":
            print(json.dumps({"api": api.kind, "quads": api.load(args.file)}))
        else:
            api.dump(args.out)
            print(json.dumps({"api": api.kind}))
    finally:
        api.close()


if __name__ == "__main__":
    main()
