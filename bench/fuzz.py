"""Fuzzing campaign: generated hostile and malformed requests against the service, counted.

    .venv/bin/python bench/fuzz.py --cases 10000 --seed 1            # every kind, in process
    .venv/bin/python bench/fuzz.py --cases 500 --kinds query update  # a few
    .venv/bin/python bench/fuzz.py --backends embedded oxigraph virtuoso  # over sockets
    .venv/bin/python bench/fuzz.py --replay bench/results/fuzz-failures.json

Each kind is a generator ``(rng) -> Case``, deterministic from the seed; half the cases
mutate a valid input (byte flips, truncation, splicing, duplication, NUL, lone surrogates,
huge numbers, deep nesting), half come from a small grammar of valid but odd inputs.

Two drivers. In process (the default), the cases go through the Flask application on the
in-memory backend (the write token set, validation on write off: a validated write costs
~0.5 s). With ``--backends``, each backend is served by bench/stress.py's stack
(``alliancegraph serve``, gunicorn, in front of Oxigraph server or Virtuoso for the remote
ones) and every case is written on a new TCP connection as raw bytes, so the *framing*
kind can lie in Content-Length and break chunked bodies, and the gunicorn workers, the
service and the SPARQL server are watched for deaths after each case. Counted: what must
never happen: a 5xx, no answer within 10 s, a traceback or an internal path in the body,
a connection closed without an answer, a death, a smuggled update reaching the store.
Failing cases go to ``<out>-failures.json`` for ``--replay``.
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

import stress  # bench/stress.py: the served stacks, /proc

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
    #: framing as given: no Content-Length added, the body sent as is, then a half-close
    #: (only the socket sender can send it)
    framed: bool = False


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
                       "/shapes", "/ontology", "/dumps/x", "/graph/paper-a", "/openapi.json",
                       "/search", "/id/state/japann", "/validate"])  # 404s search too
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


# --- framing: lies in Content-Length, broken chunked bodies (the socket sender only) -----

FRAMED_BODIES = [("/sparql", {"Content-Type": "application/sparql-query"}, b"ASK { ?s ?p ?o }"),
                 ("/sparql", {**AUTH, "Content-Type": "application/sparql-update"},
                  b"INSERT DATA { <urn:x:framed> <urn:x:p> 1 }"),
                 ("/rdf-graph-store?graph=urn:x:framed",
                  {**AUTH, "Content-Type": "text/turtle"}, b"<urn:x:s> <urn:x:p> 1 ."),
                 ("/validate", {"Content-Type": "text/turtle"}, b"<urn:x:s> <urn:x:p> 1 .")]
SMUGGLED = (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-update\r\n"
            b"Content-Length: 44\r\n\r\nINSERT DATA { <urn:x:smuggled> <urn:x:p> 1 }")


def _chunked(rng: random.Random, body: bytes) -> bytes:
    """``body`` as chunks, each framed right or wrong."""
    out = b""
    while body:
        size = rng.randint(1, max(1, len(body)))
        chunk, body = body[:size], body[size:]
        head = rng.choice([b"%x", b"%X", b"%x;ext=1", b"+%x", b"-%x", b"%x  ", b"0x%x",
                           b"%x" + b"0" * 30, b"ffffffffffffffffffff", b"zz", b""])
        head = head % len(chunk) if b"%" in head else head
        end = rng.choice([b"\r\n", b"\n", b"", b"\r\n"])
        out += head + end + chunk + rng.choice([b"\r\n", b"\n", b"", b"\r\n\r\n"])
    return out + rng.choice([b"0\r\n\r\n", b"0\r\nX-Trailer: 1\r\n\r\n", b"", b"0\r\n",
                             b"00000000000000000000\r\n\r\n", b"0\r\n\r\n" + SMUGGLED])


def gen_framing(rng: random.Random) -> Case:
    path, headers, body = rng.choice(FRAMED_BODIES)
    target, _, query = path.partition("?")
    args = dict(urllib.parse.parse_qsl(query))
    headers = dict(headers)
    real = str(len(body))
    lie = rng.choice([str(len(body) - rng.randint(1, len(body))), str(len(body) + 1),
                      str(len(body) + 10**6), "-1", "abc", "", "99999999999999999999999",
                      f" {real}", f"+{real}", f"0x{len(body):x}", f"{real}, {real}",
                      f"{real}, 0", "1e3", real])
    if rng.random() < 0.5:  # a Content-Length lie, with a request after the body at times
        headers["Content-Length"] = lie
        if rng.random() < 0.3:
            headers["content-length"] = rng.choice([real, "0", lie])  # a second one
        return Case("framing", "mutated", "POST", target, args, headers,
                    body + (SMUGGLED if rng.random() < 0.3 else b""), framed=True)
    coding = rng.choice(["chunked", "chunked", "CHUNKED", " chunked", "chunked, chunked",
                         "gzip, chunked", "chunked, gzip", "xchunked", "identity", "gzip",
                         "chunked\t", "compress"])
    headers["Transfer-Encoding"] = coding
    if rng.random() < 0.3:
        headers["Content-Length"] = rng.choice([real, lie])  # both: a smuggling classic
    how = rng.choice(["generated", "mutated"])
    data = _chunked(rng, body) if how == "mutated" else b"%x\r\n%s\r\n0\r\n\r\n" % (
        len(body), body)
    return Case("framing", how, rng.choice(["POST", "POST", "PUT", "GET"]), target, args,
                headers, data, framed=True)


KINDS: dict[str, Callable[[random.Random], Case]] = {
    "query": gen_query, "update": gen_update, "graphstore": gen_graphstore, "bulk": gen_bulk,
    "validate": gen_validate, "shapes": gen_shapes, "multipart": gen_multipart,
    "params": gen_params, "headers": gen_headers, "framing": gen_framing}
#: what the Flask test client cannot send (it frames every body itself)
WIRE_ONLY = {"framing"}
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


Sender = Callable[[Case], tuple[int, bytes, float]]
UNSENDABLE, CLOSED, NO_ANSWER = 0, -1, -2
ANSWERS = {UNSENDABLE: "unsendable", CLOSED: "closed", NO_ANSWER: "no answer"}


def send(client: Any, case: Case) -> tuple[int, bytes, float]:
    start = time.perf_counter()
    try:
        response = client.open(case.path, method=case.method, query_string=case.args,
                               headers=case.headers, data=case.body)
    except UnicodeEncodeError:  # a header or URL the test client cannot put on the wire
        return UNSENDABLE, b"", 0.0
    return response.status_code, response.get_data(), time.perf_counter() - start


def request_bytes(case: Case, host: str) -> bytes | None:
    """``case`` as HTTP/1.1 bytes, framed by its Content-Length unless ``case.framed``;
    None when a header cannot be sent (not Latin-1, or a line break in it)."""
    target = urllib.parse.quote(case.path, safe="/%:@!$&'()*+,;=~")
    if case.args:
        target += "?" + urllib.parse.urlencode({_raw(k): _raw(v) for k, v in case.args.items()})
    headers = {"Host": host, "Connection": "close", **case.headers}
    if case.body is not None and not case.framed:
        headers["Content-Length"] = str(len(case.body))
    lines = [f"{case.method} {target} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    if any(c in line for line in lines for c in "\r\n"):
        return None
    try:
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    except UnicodeEncodeError:
        return None
    return head + (case.body or b"")


def _raw(text: str) -> bytes:
    """The bytes a hostile client would send for ``text``: surrogate escapes as the bytes
    they stand for, lone surrogates as their (invalid) UTF-8 encodings."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def socket_sender(port: int, timeout: float = 30.0) -> Sender:
    """Send each case over a new TCP connection to 127.0.0.1:``port``; the status (CLOSED:
    the server closed without an answer; NO_ANSWER: none within ``timeout``), the whole
    answer and the seconds it took."""
    import socket

    def send_over_socket(case: Case) -> tuple[int, bytes, float]:
        data = request_bytes(case, f"127.0.0.1:{port}")
        if data is None:
            return UNSENDABLE, b"", 0.0
        start = time.perf_counter()
        answer = b""
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            try:
                sock.sendall(data)
                if case.framed:  # the end of what the client sends: a lie cannot wait on it
                    sock.shutdown(socket.SHUT_WR)
                while chunk := sock.recv(65536):
                    answer += chunk
            except TimeoutError:
                return NO_ANSWER, answer, time.perf_counter() - start
            except (ConnectionResetError, BrokenPipeError):
                pass  # the server closed first (a lie it refused): what it sent still counts
        seconds = time.perf_counter() - start
        found = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
        body = answer.partition(b"\r\n\r\n")[2]
        return (int(found.group(1)) if found else CLOSED), body, seconds

    return send_over_socket


#: gunicorn's answer to a transfer coding it does not implement: 501, as RFC 9112 section
#: 6.1 asks of a server (so no fault; its own column in the table)
UNKNOWN_CODING = b"Unsupported transfer coding"


def judge(status: int, body: bytes, seconds: float, framed: bool = False,
          hang_seconds: float = HANG_SECONDS) -> list[str]:
    """What is wrong with an answer (nothing: an empty list). Closing without an answer is
    a fault unless the request's framing was a lie (then closing is a fair refusal)."""
    faults = []
    if status >= 500 and not (status == 501 and framed and UNKNOWN_CODING in body):
        faults.append("5xx")
    if seconds > hang_seconds or status == NO_ANSWER:
        faults.append("hang")
    if LEAK.search(body):
        faults.append("leak")
    if status == CLOSED and not framed:
        faults.append("closed")
    return faults


class Deaths:
    """What died in a served stack (bench/stress.py's ``Stack``) since the last call: the
    service's gunicorn workers (its master's children), the master, the SPARQL server."""

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.workers = self.live_workers()

    def live_workers(self) -> set[int]:
        """The master's children that run what it runs (not multiprocessing's helpers)."""
        master = self.stack.service.pid
        return {pid for pid, fields in stress.live_processes()
                if fields[1] == str(master) and _cmdline(pid) == _cmdline(master)}

    def __call__(self) -> list[str]:
        dead = [f"service worker {pid}" for pid in sorted(self.workers)
                if not _alive(pid)]
        if self.stack.service.poll() is not None:
            dead.append(f"the service exited ({self.stack.service.returncode})")
        sparql = getattr(self.stack.sparql, "process", self.stack.sparql)
        if sparql is not None and sparql.poll() is not None:
            dead.append(f"the {self.stack.backend} server exited ({sparql.returncode})")
        if dead:  # gunicorn boots a replacement: watch that one from now on
            time.sleep(2)
            self.workers = self.live_workers()
        return dead


def _alive(pid: int) -> bool:
    fields = stress.proc_stat(pid)
    return fields is not None and fields[0] != "Z"


def _cmdline(pid: int) -> bytes | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None


def run(kinds: list[str], cases: int, seed: int, sender: Sender,
        watch: Callable[[], list[str]] = list) -> tuple[dict, list[dict]]:
    """Send ``cases`` of each kind; the counts per kind and the failing cases. ``watch``
    is asked after each case what died meanwhile (the socket driver's worker deaths)."""
    SEEDS["queries"] = seed_queries()
    table: dict[str, Counter] = {}
    failures: list[dict] = []
    for kind in kinds:
        counts: Counter = Counter()
        rng = random.Random(f"{seed}:{kind}")
        start = time.perf_counter()
        for _ in range(cases):
            case = KINDS[kind](rng)
            status, body, seconds = sender(case)
            counts[case.how] += 1
            column = ANSWERS.get(status, f"{status // 100}xx")
            counts["501 coding" if UNKNOWN_CODING in body and status == 501 else column] += 1
            faults = judge(status, body, seconds, case.framed) + [f"death: {d}"
                                                                   for d in watch()]
            for fault in faults:
                if fault != "5xx":  # the status column counts those already
                    counts[fault.split(":")[0]] += 1
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


def replay(path: Path, sender: Sender) -> int:
    bad = 0
    for failure in json.loads(path.read_text()):
        raw = failure["case"]
        body = None if raw["body"] is None else raw["body"].encode("latin-1")
        case = Case(**{**raw, "body": body})
        status, body, seconds = sender(case)
        faults = judge(status, body, seconds, case.framed)
        bad += bool(faults)
        print(status, faults, case.kind, case.method, case.path)
    return 1 if bad else 0


COLUMNS = ["mutated", "generated", "2xx", "3xx", "4xx", "501 coding", "5xx", "hang", "leak",
           "closed", "death", "smuggled", "unsendable", "seconds"]
IN_PROCESS = ("through the Flask application in this process on the in-memory backend (write "
              "token set, validation on write off). *unsendable*: a header or URL the test "
              "client cannot encode (never reaches the service).")
OVER_SOCKETS = (
    "over raw TCP, one connection per case, to `alliancegraph serve` (gunicorn, its defaults) "
    "on each backend, started by bench/stress.py's stack (write token set, validation on "
    "write off, query_timeout 5 s, max_rows 10,000). *closed*: the server closed without an "
    "answer (a fault, except for the framing kind's lies, which it may refuse so); *death*: "
    "a gunicorn worker, the service or the SPARQL server died; *501 coding*: gunicorn's "
    "501 for a Transfer-Encoding it does not implement (what RFC 9112 section 6.1 asks of "
    "a server; not counted as 5xx); *smuggled*: whether an update without the token, sent "
    "after a framing lie, reached the store (checked once after the framing kind); "
    "*unsendable*: a header with a "
    "character outside Latin-1 or a line break (never sent).")


def write_table(table: dict, command: str, out: Path) -> None:
    import platform
    how = OVER_SOCKETS if "/" in next(iter(table), "") else IN_PROCESS
    lines = [f"# Fuzzing campaign ({time.strftime('%Y-%m-%d')}, {platform.machine()}, "
             f"Python {platform.python_version()})", "",
             f"`{command}`: the cases of each kind {how} 5xx, hang (no answer within 10 s), "
             "leak (a traceback or an internal path in the body), closed, death and "
             "smuggled must be 0.", "", "| run | " + " | ".join(COLUMNS) + " |",
             "|---|" + "---:|" * len(COLUMNS)]
    for name, counts in table.items():
        lines.append(f"| {name} | " + " | ".join(f"{counts.get(c, 0):,}" for c in COLUMNS)
                     + " |")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(table, indent=1), encoding="utf-8")


def smuggled(url: str) -> bool:
    """Whether an update smuggled after a framing lie (it has no token) reached the store."""
    import requests

    ask = ("ASK { { <urn:x:smuggled> ?p ?o } UNION { GRAPH ?g { <urn:x:smuggled> ?p ?o } } }")
    answer = requests.post(url + "/sparql", data={"query": ask}, timeout=30,
                           headers={"Accept": "application/sparql-results+json"})
    answer.raise_for_status()
    return answer.json()["boolean"]


def in_process(opts: argparse.Namespace, work: Path) -> tuple[dict, list[dict]]:
    client = make_client(work)
    if opts.replay:
        return {}, [{"replay": replay(opts.replay, lambda case: send(client, case))}]
    return run(opts.kinds, opts.cases, opts.seed, lambda case: send(client, case))


def over_sockets(opts: argparse.Namespace, work: Path) -> tuple[dict, list[dict]]:
    table, failures = {}, []
    for backend in opts.backends:
        with stress.running(backend, work, write_token=TOKEN, query_timeout=5.0,
                            max_rows=10_000) as stack:
            sender = socket_sender(stack.port)
            if opts.replay:
                failures.append({"replay": replay(opts.replay, sender)})
                continue
            counts, failed = run(opts.kinds, opts.cases, opts.seed, sender, Deaths(stack))
            if "framing" in counts and smuggled(stack.url):
                counts["framing"]["smuggled"] = 1
                failed.append({"fault": "smuggled", "status": None, "case": None})
        table.update({f"{backend}/{kind}": row for kind, row in counts.items()})
        failures += [{**failure, "backend": backend} for failure in failed]
    return table, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=10_000, help="cases per kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kinds", nargs="+", choices=list(KINDS), help="default: all that "
                        "the driver can send (framing only over sockets)")
    parser.add_argument("--backends", nargs="+", choices=["embedded", "oxigraph", "virtuoso"],
                        help="send over sockets to the service served on these backends")
    parser.add_argument("--replay", type=Path, help="a failures file of an earlier run")
    parser.add_argument("--out", type=Path, help="default: bench/results/fuzz (in process), "
                        "bench/results/fuzz-served (--backends)")
    opts = parser.parse_args(argv)
    served = bool(opts.backends)
    opts.kinds = opts.kinds or [k for k in KINDS if served or k not in WIRE_ONLY]
    if not served and WIRE_ONLY & set(opts.kinds):
        parser.error(f"{', '.join(sorted(WIRE_ONLY))}: only with --backends")
    out = opts.out or RESULTS / ("fuzz-served" if served else "fuzz")
    with tempfile.TemporaryDirectory(prefix="ag-fuzz-") as work:
        table, failures = (over_sockets if served else in_process)(opts, Path(work))
    if opts.replay:
        return max(failure["replay"] for failure in failures)
    command = " ".join(["python bench/fuzz.py", *(argv if argv is not None else sys.argv[1:])])
    write_table(table, command, out)
    failed = out.parent / f"{out.name}-failures.json"
    failed.write_text(json.dumps(failures, indent=1), encoding="utf-8")
    print(f"{len(failures)} failures -> {failed}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
