"""Smoke test of bench/peers.py: at a tiny size the harness loads every system it is given,
measures every query class and the mix at two concurrencies, the entity page and the
100-triple write, and writes the tables with every row filled (speeds are not asserted:
they belong to bench/). rdflib-endpoint and Virtuoso need installs of their own and are
left to the real runs."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import peers
import pytest
import system_packages

SYSTEMS = ["service-embedded", "service-remote", "oxigraph", "floor"]


@pytest.fixture(scope="module")
def wrk() -> str:
    """The wrk load generator (Debian ``wrk``), installed with apt-get when missing."""
    try:
        return system_packages.ensure("wrk")
    except system_packages.CannotInstall as exc:
        pytest.skip(str(exc))


def test_the_mix_is_every_class_and_every_shipped_query():
    mix = peers.texts(peers.MIX)
    shipped = sorted(peers.QUERIES.glob("*.rq"))
    assert len(mix) == len(peers.CLASSES) + len(shipped) and shipped
    assert [t for t, _ in mix[len(peers.CLASSES):]] == [p.read_text() for p in shipped]
    assert all(accept == peers.NTRIPLES for _, accept in
               (peers.texts("DESCRIBE")[0], peers.texts("CONSTRUCT")[0]))


def test_the_flask_ceiling_serves_its_one_answer_through_the_services_gunicorn(tmp_path):
    opts = peers.Options(scale=0, duration=0, concurrency=[1], systems=["flask-ceiling"],
                         mix_factor=1, slow_cap=1, request_timeout=5, page_runs=0,
                         write_runs=0, work=tmp_path)
    with peers.serve_ceiling(opts) as endpoint:
        status, body = peers.request((endpoint.host, endpoint.port), "GET",
                                     endpoint.get_path("SELECT * {}"), {})
        assert status == 200
        assert json.loads(body)["head"]["vars"] == ["label"]
        # gunicorn's arbiter and the service's two workers (the second may still be starting)
        deadline = time.monotonic() + 30
        while len(peers.tree(endpoint.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(peers.tree(endpoint.pid)) == 1 + 2


@pytest.mark.long
def test_harness_measures_every_system_and_fills_every_row(tmp_path, wrk):
    out = tmp_path / "peers"
    venv = Path(sys.executable).parent.parent  # its oxigraph CLI (the test extra)
    done = subprocess.run(
        [sys.executable, peers.__file__, "--scale", "300", "--duration", "1",
         "--mix-factor", "1", "--concurrency", "2", "--systems", *SYSTEMS,
         "--page-runs", "2", "--write-runs", "1", "--work", str(tmp_path / "work"),
         "--peers-venv", str(venv), "--out", str(out)],
        capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.with_suffix(".json").read_text())
    table = out.with_suffix(".md").read_text()
    assert set(results["systems"]) == set(SYSTEMS)
    for system, data in results["systems"].items():
        assert "error" not in data, (system, data.get("error"))
        assert data["load"]["seconds"] > 0 and data["load"]["peak_mb"] > 0, system
        for name in [*peers.CLASSES, peers.MIX]:
            row = data["queries"][name]
            if name != peers.MIX:
                assert row["answer"]["status"] == 200, (system, name, row["answer"])
            measured = row["at"]["2"]  # wrk runs whole seconds: one level keeps the suite short
            assert measured["requests"] > 0 and not measured["errors"], (system, name)
    # the same quads everywhere: the SELECT answers of the engine agree byte for byte
    for name in ("point lookup", "multi-join", "aggregate"):
        sizes = {s: results["systems"][s]["queries"][name]["answer"]["bytes"]
                 for s in ("service-embedded", "oxigraph", "floor")}
        assert len(set(sizes.values())) == 1, (name, sizes)
    for system in ("service-embedded", "service-remote"):
        data = results["systems"][system]
        assert data["page"]["statuses"] == {"200": 2, "after a write: 200": 2}
        assert data["write"]["statuses"] == {"204": 1}, system
    assert results["systems"]["oxigraph"]["write"]["statuses"] == {"204": 1}

    rows = [line for line in table.splitlines() if line.startswith("| ")]
    targets = [r for r in rows if "≥" in r or "≤" in r]
    assert len(targets) == 4 + 4  # four per concurrency, four for the page and the write
    for row in targets:
        if "rdflib-endpoint" not in row:  # not run here
            assert "not measured" not in row, row
    for name in [*peers.CLASSES, peers.MIX]:
        cells = next(r for r in rows if r.startswith(f"| {name} | 2 |")).split("|")
        assert all(cell.strip() not in ("", "-") for cell in cells[3:-1]), cells
