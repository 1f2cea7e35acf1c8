"""Fuzzing campaign: generated hostile and malformed requests against the service, counted.

    .venv/bin/python bench/fuzz.py --cases 10000 --seed 1            # every kind
    .venv/bin/python bench/fuzz.py --cases 500 --kinds query update  # a few
    .venv/bin/python bench/fuzz.py --replay bench/results/fuzz-failures.json

Each kind is a generator ``(rng) -> Case``, deterministic from the seed; half the cases
mutate a valid input (byte flips, truncation, splicing, duplication, NUL, lone surrogates,
huge numbers, deep nesting), half come from a small grammar of valid but odd inputs. The
driver sends them through the Flask application in this process (the in-memory backend,
the write token set, validation on write off: a validated write costs ~0.5 s) and counts
what must never happen: a 5xx, an answer over 10 s, a traceback or an internal path in
the body. Failing cases go to ``fuzz-failures.json`` for ``--replay``. What the in-process
driver cannot reach — lies in Content-Length, broken chunked framing, slow clients — is
covered on the real server by tests/service/test_security.py and ``stress.py slow``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TOKEN = "fuzz-write-token"
HANG_SECONDS = 10.0
# a traceback, or a path of this checkout or of the installed packages
LEAK = re.compile(rb'Traceback \(most recent call last\)|File "/|\.py", line \d|site-packages/|'
                  + re.escape(str(ROOT).encode() + b"/"))
SPARQL_TYPES = ["application/sparql-query", "application/sparql-update"]
RDF_TYPES = ["text/turtle", "application/n-triples", "application/n-quads", "application/trig",
             "application/rdf+xml", "application/ld+json", "text/n3", "text/plain", ""]


@dataclasses.dataclass
class Case:
    kind: str
    how: str  # "mutated" or "generated"
    method: str
    path: str
    args: dict[str, str]
    headers: dict[str, str]
    body: bytes | None


# --- seeds and mutation ------------------------------------------------------------------

def seed_queries() -> list[str]:
    queries = sorted((ROOT / "graph" / "queries").glob("*.rq"))
    return [p.read_text(encoding="utf-8") for p in queries]


SEED_TURTLE = [
    '@prefix ag: <https://w3id.org/alliancegraph/ontology#> .\n'
    '<https://w3id.org/alliancegraph/id/state/japan> a ag:State ;\n'
    '  <http://www.w3.org/2004/02/skos/core#prefLabel> "Japan"@en, "日本"@ja .\n',
    '<urn:x:s> <urn:x:p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> ,\n'
    '  [ <urn:x:q> ( 1 2 ) ] .\n',
]
ODD = ["\x00", "\ud800", "\ufffd", "\u202e", "99999999999999999999999999999999", "(" * 300,
       "{" * 300, "\\u0000", "<", '"""', "@prefix", "%00", "\r\n", "?" * 50, "\t" * 100,
       "9e99999", "-0", "\\", "'", "<http://127.0.0.1:9/>", "SERVICE <http://127.0.0.1:9/>"]


def mutate(rng: random.Random, text: str) -> bytes:
    data = bytearray(text.encode("utf-8", "surrogatepass"))
    for _ in range(rng.randint(1, 4)):
        if not data:
            data += rng.choice(ODD).encode("utf-8", "surrogatepass")
        at = rng.randrange(len(data))
        match rng.randrange(6):
            case 0:
                data[at] ^= 1 << rng.randrange(8)
            case 1:
                del data[at:]
            case 2:
                data[at:at] = rng.choice(ODD).encode("utf-8", "surrogatepass")
            case 3:
                end = min(len(data), at + rng.randint(1, 200))
                data[at:at] = data[at:end] * rng.randint(1, 20)
            case 4:
                other = rng.randrange(len(data))
                data[at:at] = data[other:other + rng.randint(1, 80)]
            case _:
                del data[at:at + rng.randint(1, 40)]
    return bytes(data)


# --- a small grammar of valid but odd inputs ---------------------------------------------

def term(rng: random.Random) -> str:
    return rng.choice([
        "?s", "?o", f"?v{rng.randrange(5)}", "<urn:x:s>",
        "<https://w3id.org/alliancegraph/id/state/japan>",
        f'"{"x" * rng.choice([0, 1, 5000])}"',
        f'"a"@{rng.choice(["en", "x-" + "a" * 8, "ja-Latn"])}',
        f'"{rng.choice(["1", "abc", "1e999", "-", "99999999999999999999999"])}"^^'
        f"<http://www.w3.org/2001/XMLSchema#{rng.choice(XSD)}>",
        str(rng.randint(-10**30, 10**30)), "[]", "true"])


XSD = ["integer", "decimal", "dateTime", "double"]
PATHS = ["<urn:x:p>+", "(<urn:x:p>|^<urn:x:q>)*", "!(a)", "<urn:x:p>{2}"]
BINDS = ["1/0", "STRLEN(?o)", "NOW()", "IRI(?o)", "xsd:integer(?o)"]
FILTERS = ["?s != ?o", 'regex(str(?o), "(a+)+$")', "isIRI(?s)", "?o > 1e308", 'lang(?o) = ""']


def pattern(rng: random.Random, depth: int = 0) -> str:
    choices = [lambda: f"{term(rng)} {rng.choice(['?p', '<urn:x:p>', 'a'])} {term(rng)} ."]
    if depth < 6:
        choices += [
            lambda: f"{{ {pattern(rng, depth + 1)} }} UNION {{ {pattern(rng, depth + 1)} }}",
            lambda: f"OPTIONAL {{ {pattern(rng, depth + 1)} }}",
            lambda: f"MINUS {{ {pattern(rng, depth + 1)} }}",
            lambda: f"FILTER({rng.choice(FILTERS)})",
            lambda: f"?s {rng.choice(PATHS)} ?o .",
            lambda: f"VALUES ?v0 {{ {' '.join(term(rng) for _ in range(rng.randint(0, 5)))} }}",
            lambda: f"BIND({rng.choice(BINDS)} AS ?b{depth})",
            lambda: f"GRAPH {rng.choice(['?g', '<urn:x:g>'])} {{ {pattern(rng, depth + 1)} }}",
            lambda: (f"{{ SELECT * WHERE {{ {pattern(rng, depth + 1)} }} "
                     f"LIMIT {rng.randint(0, 5)} }}"),
        ]
    return rng.choice(choices)()


def query_text(rng: random.Random) -> str:
    where = " ".join(pattern(rng) for _ in range(rng.randint(1, 3)))
    head = rng.choice(["SELECT *", "SELECT DISTINCT ?s", "SELECT (COUNT(*) AS ?n)", "ASK",
                       "CONSTRUCT { ?s ?p ?o }", "DESCRIBE ?s", "SELECT ?s (SAMPLE(?o) AS ?x)"])
    tail = rng.choice(["", "LIMIT 5", "ORDER BY ?o", "GROUP BY ?s", "OFFSET 99999999999",
                       "LIMIT 0", "ORDER BY DESC(STR(?s)) LIMIT 3"])
    if head.startswith("SELECT ?s (") and "GROUP" not in tail:
        tail = "GROUP BY ?s"
    return f"PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n{head} WHERE {{ {where} }} {tail}"


def update_text(rng: random.Random) -> str:
    triples = " ".join(f"<urn:x:s{rng.randrange(9)}> <urn:x:p> {t} ." for t in
                       (term(rng) for _ in range(rng.randint(1, 4))) if not t.startswith("?"))
    return rng.choice([
        f"INSERT DATA {{ {triples or '<urn:x:s> <urn:x:p> 1 .'} }}",
        f"DELETE DATA {{ {triples or '<urn:x:s> <urn:x:p> 1 .'} }}",
        f"DELETE {{ ?s ?p ?o }} WHERE {{ {pattern(rng)} }}",
        f"INSERT {{ ?s <urn:x:seen> 1 }} WHERE {{ {pattern(rng)} }}",
        f"CLEAR {rng.choice(['GRAPH <urn:x:g>', 'SILENT GRAPH <urn:x:none>', 'NAMED'])}",
        f"DROP SILENT GRAPH <urn:x:g{rng.randrange(3)}>",
        "CREATE GRAPH <urn:x:g>", "LOAD <http://127.0.0.1:9/x>",
        f"WITH <urn:x:g> DELETE {{ ?s ?p ?o }} INSERT {{ ?o ?p ?s }} WHERE {{ {pattern(rng)} }}",
        "ADD <urn:x:g> TO <urn:x:h> ; MOVE SILENT <urn:x:h> TO DEFAULT ;"
        " COPY DEFAULT TO <urn:x:k>",
    ])


def turtle_text(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(1, 6)):
        subject = rng.choice(["<urn:x:s>", "_:b", "[]", "<>", "<#frag>", "<../up>"])
        obj = term(rng)
        if obj.startswith("?"):
            obj = "<urn:x:o>"
        lines.append(f"{subject} <urn:x:p> {obj} .")
    return "\n".join(lines)


def rdf_body(rng: random.Random, text: str) -> tuple[str, bytes]:
    """A media type and a body for it: the Turtle as is, or wrapped in another syntax."""
    media = rng.choice(RDF_TYPES)
    if media == "application/trig":
        text = f"<urn:x:g> {{ {text} }}"
    elif media == "application/rdf+xml":
        text = ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
                f'<rdf:Description rdf:about="urn:x:s"><rdf:value>{text[:200]}</rdf:value>'
                "</rdf:Description></rdf:RDF>")
    elif media == "application/ld+json":
        text = json.dumps({"@id": "urn:x:s", "urn:x:p": text[:200],
                           "@context": rng.choice([{}, {"@vocab": "urn:x:"}, [], "x", None])})
    return media, text.encode("utf-8", "surrogatepass")


# --- the kinds ----------------------------------------------------------------------------

def _text(rng: random.Random, valid: Callable[[random.Random], str], seeds: list[str]
          ) -> tuple[str, bytes]:
    if rng.random() < 0.5:
        return "mutated", mutate(rng, rng.choice(seeds) if seeds else valid(rng))
    return "generated", valid(rng).encode("utf-8", "surrogatepass")


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def gen_query(rng: random.Random) -> Case:
    how, body = _text(rng, query_text, SEEDS["queries"])
    way = rng.randrange(3)
    if way == 0:
        return Case("query", how, "GET", "/sparql", {"query": body.decode("utf-8", "replace")},
                    {"Accept": rng.choice(["*/*", "text/csv", "application/sparql-results+json",
                                           "text/turtle", "application/x-nope"])}, None)
    if way == 1:
        return Case("query", how, "POST", "/sparql", {},
                    {"Content-Type": "application/x-www-form-urlencoded"},
                    b"query=" + _form_escape(body))
    return Case("query", how, "POST", "/sparql", {},
                {"Content-Type": "application/sparql-query"}, body)


def gen_update(rng: random.Random) -> Case:
    how, body = _text(rng, update_text, [update_text(random.Random(i)) for i in range(5)])
    if rng.random() < 0.5:
        return Case("update", how, "POST", "/sparql", {},
                    {**AUTH, "Content-Type": "application/sparql-update"}, body)
    return Case("update", how, "POST", "/sparql", {},
                {**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
                b"update=" + _form_escape(body))


def gen_graphstore(rng: random.Random) -> Case:
    how, text = _text(rng, turtle_text, SEED_TURTLE)
    media, body = rdf_body(rng, text.decode("utf-8", "replace"))
    if how == "mutated" and rng.random() < 0.5:
        body = mutate(rng, body.decode("utf-8", "replace"))
    target = rng.choice([{"graph": "urn:x:g"}, {"default": ""}, {"graph": "not an iri"},
                         {"graph": "urn:x:g", "default": ""}, {"graph": "http://[::1"}])
    method = rng.choice(["PUT", "POST", "DELETE", "GET", "HEAD"])
    return Case("graphstore", how, method, "/rdf-graph-store", target,
                {**AUTH, "Content-Type": media}, body if method in ("PUT", "POST") else None)


def gen_bulk(rng: random.Random) -> Case:
    how, text = _text(rng, turtle_text, SEED_TURTLE)
    media = rng.choice(["application/n-quads", "application/trig"])
    wrapped = text if media == "application/n-quads" else b"<urn:x:g> { " + text + b" }"
    return Case("bulk", how, "POST", "/rdf-graph-store", {},
                {**AUTH, "Content-Type": media}, wrapped)


def gen_validate(rng: random.Random) -> Case:
    how, text = _text(rng, turtle_text, SEED_TURTLE)
    media, body = rdf_body(rng, text.decode("utf-8", "replace"))
    args = rng.choice([{}, {"inference": rng.choice(["none", "rdfs", "owlrl", "both", "x"])}])
    return Case("validate", how, "POST", "/validate", args, {"Content-Type": media}, body)


SHAPES = ("@prefix sh: <http://www.w3.org/ns/shacl#> .\n<urn:x:shape> a sh:NodeShape ; "
          "sh:targetNode <urn:x:s> ; sh:property [ sh:path <urn:x:p> ; sh:minCount 1 ; "
          'sh:pattern "^(a+)+$" ; sh:datatype <http://www.w3.org/2001/XMLSchema#integer> ] .')


def gen_shapes(rng: random.Random) -> Case:
    def valid(r: random.Random) -> str:
        return SHAPES.replace("minCount 1", f"minCount {r.randint(-5, 99)}")

    how, shapes = _text(rng, valid, [SHAPES])
    data = turtle_text(rng).encode("utf-8", "surrogatepass")
    return _multipart("shapes", how, [("data", "d.ttl", "text/turtle", data),
                                      ("shapes", "s.ttl", "text/turtle", shapes)])


def gen_multipart(rng: random.Random) -> Case:
    parts = [(rng.choice(["data", "shapes", "x", ""]),
              rng.choice(["d.ttl", "", "../../x", "a" * 300]),
              rng.choice(RDF_TYPES), turtle_text(rng).encode()) for _ in range(rng.randint(0, 3))]
    case = _multipart("multipart", "generated", parts)
    if rng.random() < 0.5:
        case.how, case.body = "mutated", mutate(rng, (case.body or b"").decode("utf-8", "replace"))
    if rng.random() < 0.3:
        case.headers["Content-Type"] = rng.choice([
            "multipart/form-data", "multipart/form-data; boundary=",
            "multipart/form-data; boundary=" + "x" * 5000])
    if rng.random() < 0.5:
        case.path, case.args = "/rdf-graph-store", {"graph": "urn:x:m"}
    case.headers.update(AUTH)
    return case


def gen_params(rng: random.Random) -> Case:
    path = rng.choice(["/sparql", "/rdf-graph-store", "/", "/id/state/japan", "/.well-known/void",
                       "/shapes", "/ontology", "/dumps/x", "/graph/paper-a", "/openapi.json"])
    names = ["query", "default-graph-uri", "named-graph-uri", "graph", "default", "format",
             "_format", "accept", "limit", "q", "page", "inference", "", "x" * 300]
    args = {rng.choice(names): rng.choice(["", "urn:x", "ASK {}", "%zz", "\x00", "\ud800",
                                           "9" * 400, "http://127.0.0.1:9/", "a" * 20000, "json"])
            for _ in range(rng.randint(1, 4))}
    how = "generated"
    if rng.random() < 0.5:
        how = "mutated"
        args = {k: mutate(rng, v).decode("utf-8", "surrogateescape") for k, v in args.items()}
    return Case("params", how, rng.choice(["GET", "HEAD", "OPTIONS"]), path, args, {}, None)


def gen_headers(rng: random.Random) -> Case:
    odd = ["*/*;q=abc", "text/html;q=0, */*;q=0", "application/json;charset=utf-16",
           "text/turtle; charset=latin-1", "x" * 5000, "\x00", "a/b/c", ";;;", "*/*;q=-1",
           "multipart/form-data", "application/sparql-query; charset=ebcdic"]
    headers = {"Accept": rng.choice(odd), "Content-Type": rng.choice(odd),
               rng.choice(["If-None-Match", "Range", "Accept-Language", "Origin", "Cookie"]):
               rng.choice(odd)}
    how = "generated"
    if rng.random() < 0.5:
        how = "mutated"
        headers = {k: mutate(rng, v).decode("latin-1").replace("\n", " ").replace("\r", " ")
                   for k, v in headers.items()}
    method = rng.choice(["GET", "POST"])
    body = b"ASK {}" if method == "POST" else None
    return Case("headers", how, method, rng.choice(["/sparql", "/id/state/japan", "/validate"]),
                {"query": "ASK {}"} if method == "GET" else {}, headers, body)


def _form_escape(body: bytes) -> bytes:
    return urllib.parse.quote_from_bytes(body).encode()


def _multipart(kind: str, how: str, parts: list[tuple[str, str, str, bytes]]) -> Case:
    boundary = "fuzzboundary7d1"
    chunks = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{file}"'
              f"\r\nContent-Type: {media or 'application/octet-stream'}\r\n\r\n".encode() + data
              + b"\r\n" for name, file, media, data in parts]
    body = b"".join(chunks) + f"--{boundary}--\r\n".encode()
    return Case(kind, how, "POST", "/validate", {},
                {"Content-Type": f"multipart/form-data; boundary={boundary}"}, body)


KINDS: dict[str, Callable[[random.Random], Case]] = {
    "query": gen_query, "update": gen_update, "graphstore": gen_graphstore, "bulk": gen_bulk,
    "validate": gen_validate, "shapes": gen_shapes, "multipart": gen_multipart,
    "params": gen_params, "headers": gen_headers}
SEEDS: dict[str, list[str]] = {"queries": []}


# --- the driver ---------------------------------------------------------------------------

def make_client(work: Path) -> Any:
    """The Flask test client of an app on a fresh in-memory store, the write token set."""
    from alliancegraph.config import load_settings
    from alliancegraph.service import create_app
    from alliancegraph.store import open_store
    settings = {"data_dir": str(work), "store": "memory", "validate_on_write": False,
                "query_timeout": 5.0, "max_rows": 10_000}
    store = open_store(load_settings(environ={}, overrides=settings))
    return create_app({**settings, "write_token": TOKEN, "STORE": store,
                       "auth_failure_limit": ""}).test_client()


def send(client: Any, case: Case) -> tuple[int, bytes, float]:
    start = time.perf_counter()
    try:
        response = client.open(case.path, method=case.method, query_string=case.args,
                               headers=case.headers, data=case.body)
    except UnicodeEncodeError:  # a header or URL the test client cannot put on the wire
        return 0, b"", 0.0
    return response.status_code, response.get_data(), time.perf_counter() - start


def judge(status: int, body: bytes, seconds: float) -> list[str]:
    """What is wrong with an answer (nothing: an empty list)."""
    faults = []
    if status >= 500:
        faults.append("5xx")
    if seconds > HANG_SECONDS:
        faults.append("hang")
    if LEAK.search(body):
        faults.append("leak")
    return faults


def run(kinds: list[str], cases: int, seed: int, work: Path) -> tuple[dict, list[dict]]:
    SEEDS["queries"] = seed_queries()
    client = make_client(work)
    table: dict[str, Counter] = {}
    failures: list[dict] = []
    for kind in kinds:
        counts: Counter = Counter()
        rng = random.Random(f"{seed}:{kind}")
        start = time.perf_counter()
        for _ in range(cases):
            case = KINDS[kind](rng)
            status, body, seconds = send(client, case)
            counts[case.how] += 1
            counts["unsendable" if status == 0 else f"{status // 100}xx"] += 1
            for fault in judge(status, body, seconds):
                counts[fault] += 1
                failures.append({"fault": fault, "status": status, "case": _jsonable(case),
                                 "answer": body[:500].decode("utf-8", "replace")})
        counts["seconds"] = round(time.perf_counter() - start)
        table[kind] = counts
        print(kind, dict(counts), file=sys.stderr, flush=True)
    return table, failures


def _jsonable(case: Case) -> dict:
    data = dataclasses.asdict(case)
    data["body"] = None if case.body is None else case.body.decode("latin-1")
    return data


def replay(path: Path, work: Path) -> int:
    client = make_client(work)
    bad = 0
    for failure in json.loads(path.read_text()):
        raw = failure["case"]
        body = None if raw["body"] is None else raw["body"].encode("latin-1")
        case = Case(**{**raw, "body": body})
        status, body, seconds = send(client, case)
        faults = judge(status, body, seconds)
        bad += bool(faults)
        print(status, faults, case.kind, case.method, case.path)
    return 1 if bad else 0


def write_table(table: dict, cases: int, seed: int, out: Path) -> None:
    import platform
    columns = ["mutated", "generated", "2xx", "3xx", "4xx", "5xx", "hang", "leak", "unsendable",
               "seconds"]
    lines = [f"# Fuzzing campaign ({time.strftime('%Y-%m-%d')}, {platform.machine()}, "
             f"Python {platform.python_version()})", "",
             f"`.venv/bin/python bench/fuzz.py --cases {cases} --seed {seed}`: {cases:,} cases "
             "per kind through the Flask application on the in-memory backend (write token "
             "set, validation on write off). 5xx, hang (over 10 s) and leak (a traceback or "
             "an internal path in the body) must be 0. *unsendable*: a header or URL the "
             "test client cannot encode (never reaches the service).", "",
             "| kind | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    for kind, counts in table.items():
        lines.append(f"| {kind} | " + " | ".join(f"{counts.get(c, 0):,}" for c in columns) + " |")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(table, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=10_000, help="cases per kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kinds", nargs="+", choices=list(KINDS), default=list(KINDS))
    parser.add_argument("--replay", type=Path, help="a failures file of an earlier run")
    parser.add_argument("--out", type=Path, default=RESULTS / "fuzz")
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ag-fuzz-") as work:
        if opts.replay:
            return replay(opts.replay, Path(work))
        table, failures = run(opts.kinds, opts.cases, opts.seed, Path(work))
    write_table(table, opts.cases, opts.seed, opts.out)
    failed = opts.out.parent / f"{opts.out.name}-failures.json"
    failed.write_text(json.dumps(failures, indent=1), encoding="utf-8")
    print(f"{len(failures)} failures -> {failed}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
