"""Project rules that CI would otherwise only catch by eye: ruff is clean, and .ci/run
runs exactly the README's test command."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text)[:2]


def test_readme_starts_with_the_serve_and_test_commands():
    serve, test = _readme_commands()
    assert serve.startswith("python3 -m venv .venv") and serve.endswith("alliancegraph serve")
    assert test.startswith("python3 -m venv .venv") and "pytest" in test


def test_ci_runs_exactly_the_readme_test_command():
    test_command = _readme_commands()[1]
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    skip = ("#", "set ", "cd ")
    commands = [line for line in script.splitlines() if line and not line.startswith(skip)]
    assert commands == [test_command]
    assert "set -euo pipefail" in script


def test_ruff_is_clean():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is part of the test extra"
    done = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
