"""The suite's own server fixture: its readiness wait survives a server that answers late
(a loaded machine), and it never leaves a process behind when the server does not start."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

#: a /healthz that takes longer than the probe's time-out for its first answers, then works
LATE_SERVER = textwrap.dedent("""
    import http.server, sys, time
    answered = 0
    class Late(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            global answered
            answered += 1
            if answered <= int(sys.argv[2]):
                time.sleep(float(sys.argv[3]))  # the client's read times out first
            self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
        def log_message(self, *args): pass
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Late).serve_forever()
""")


def _late(port: int, slow_answers: int, delay: float, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-c", LATE_SERVER, str(port),
                                 str(slow_answers), str(delay)], stdout=out,
                                stderr=subprocess.STDOUT)


def test_the_wait_takes_read_timeouts_as_not_yet(tmp_path, request, server_tools):
    port, log = server_tools.free_port(), tmp_path / "late.log"
    process = _late(port, slow_answers=3, delay=1.0, log=log)
    request.addfinalizer(lambda: (process.kill(), process.wait()))
    started = time.monotonic()
    server_tools.wait_ready(f"http://127.0.0.1:{port}", process, log, timeout=60,
                            probe_timeout=0.3)
    assert time.monotonic() - started >= 0.9  # it did meet the slow answers first


def test_a_server_that_never_answers_in_time_is_an_error_not_a_hang(tmp_path, request,
                                                                    server_tools):
    port, log = server_tools.free_port(), tmp_path / "late.log"
    process = _late(port, slow_answers=10**6, delay=5.0, log=log)
    request.addfinalizer(lambda: (process.kill(), process.wait()))
    with pytest.raises(RuntimeError, match="did not answer within 2 s"):
        server_tools.wait_ready(f"http://127.0.0.1:{port}", process, log, timeout=2,
                                probe_timeout=0.3)


def test_a_server_that_fails_to_start_is_stopped_and_reported(tmp_path, server_tools):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with pytest.raises(RuntimeError, match="server exited"):
        server_tools.Server(data_dir, {"ALLIANCEGRAPH_THREADS": "x"})  # serve refuses it
