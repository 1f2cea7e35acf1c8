"""Text search: the store's CONTAINS scan against the text index (graph/textindex.py), side
by side in one run on the same store — the bundled graph plus generated quads (generate.py)
on the embedded backend.

    python bench/search.py --quads 1e5          # ~2 min on 2 cores
    python bench/search.py --quads 1e6          # the build and the generated load dominate

For each searched text (English, Japanese, Korean, a quote's words, a miss): the median of
``--repeat`` searches both ways, the ratio scan/index, and whether both found the same hits;
then the index's build time and size. Writes ``results/search-<quads>.md``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
#: (what, text): the kinds of search a reader makes
TEXTS = (("English label", "north korea"), ("Japanese label", "日米同盟"),
         ("Korean label", "한미동맹"), ("two characters", "日本"),
         ("words of a quote", "security cooperation"), ("nothing found", "zzqx-none"))


def _median_ms(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(data_dir: Path, repeat: int) -> tuple[list[dict], dict]:
    from alliancegraph.graph.search import fields, search
    from alliancegraph.graph.textindex import TextIndex
    from validation_scaling import open_bench_store

    base = "https://w3id.org/alliancegraph/"
    store = open_bench_store(data_dir, validate=False)
    try:
        index = TextIndex(data_dir / "bench-index" / "text.sqlite")
        start = time.perf_counter()
        index.rebuild(store, fields(base))
        built = {"seconds": time.perf_counter() - start, "quads": store.count("*"),
                 "bytes": index.path.stat().st_size}
        rows = []
        for what, text in TEXTS:
            scan = search(store, text, base_iri=base, limit=50)
            indexed = search(store, text, base_iri=base, limit=50, index=index)
            rows.append({
                "what": what, "text": text, "hits": len(scan), "same": scan == indexed,
                "scan_ms": _median_ms(lambda t=text: search(store, t, base_iri=base), repeat),
                "index_ms": _median_ms(lambda t=text: search(store, t, base_iri=base,
                                                             index=index), repeat)})
        return rows, built
    finally:
        store.close()


def table(rows: list[dict], built: dict, quads: int, command: str) -> str:
    lines = [f"# Text search: store scan against the text index, {built['quads']:,} quads",
             "", f"`{command}` — {platform.node()}, {platform.machine()}, "
             f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Medians of repeated searches in one "
             "process on the embedded store (labels of the hits included: one more store "
             "call either way).", "",
             "| search | text | hits | same hits | scan ms | index ms | scan / index |",
             "|---|---|---:|---|---:|---:|---:|"]
    for r in rows:
        ratio = r["scan_ms"] / r["index_ms"] if r["index_ms"] else float("inf")
        lines.append(f"| {r['what']} | `{r['text']}` | {r['hits']} | "
                     f"{'yes' if r['same'] else 'NO'} | {r['scan_ms']:.1f} | "
                     f"{r['index_ms']:.1f} | {ratio:.1f}x |")
    lines += ["", f"Index build: {built['seconds']:.2f} s, {built['bytes'] / 1e6:.1f} MB "
              f"(generated quads asked for: {quads:,})."]
    return "\n".join(lines) + "\n"


def run(quads: int, repeat: int, out: Path | None, command: str) -> str:
    from validation_scaling import build_base

    with tempfile.TemporaryDirectory(prefix="ag-search-") as folder:
        data_dir = Path(folder) / "data"
        build_base(data_dir, quads)
        rows, built = measure(data_dir, repeat)
    text = table(rows, built, quads, command)
    if out is not None:
        out.write_text(text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quads", type=float, default=1e5)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    quads = int(args.quads)
    out = RESULTS / f"search-{quads:.0e}".replace("+0", "").replace("+", "")
    print(run(quads, args.repeat, out.with_suffix(".md"),
              f"python bench/search.py --quads {args.quads:g}"))


if __name__ == "__main__":
    main()
