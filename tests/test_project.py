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


# --- README "Running at scale" --------------------------------------------------------

SCALE_SERVERS = ("Oxigraph server", "Virtuoso", "Apache Jena Fuseki", "GraphDB", "QLever",
                 "Amazon Neptune")
UNTESTED_SERVERS = ("Apache Jena Fuseki", "GraphDB", "QLever", "Amazon Neptune")


def _scale_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("\n## Running at scale\n")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def _subsections(section: str) -> dict[str, str]:
    parts = re.split(r"^### (.+)$", section, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _setting_names_in(section: str) -> set[str]:
    """Every setting the section names: keys of its TOML blocks, `remote_*` words and
    ALLIANCEGRAPH_* variables."""
    names = set()
    for block in re.findall(r"```toml\n(.*?)```", section, flags=re.DOTALL):
        names |= set(re.findall(r"^\s*#?\s*([a-z_]+) = ", block, flags=re.MULTILINE))
    names |= set(re.findall(r"`(remote_[a-z_]+)", section))
    names |= {v.lower() for v in re.findall(r"ALLIANCEGRAPH_([A-Z_]+)", section)}
    return names


def test_running_at_scale_names_only_real_settings():
    from alliancegraph.config import SETTINGS

    named = _setting_names_in(_scale_section())
    assert {"store", "remote_query_url", "remote_dialect", "remote_write_lease"} <= named
    # ALLIANCEGRAPH_CONFIG names the settings file, not a setting (config.load_settings)
    assert named - {s.name for s in SETTINGS} - {"config"} == set()


def test_setting_names_are_read_from_toml_blocks_and_words():
    # the check above must catch a misspelt setting in a config block or in the prose
    section = "```toml\nremote_graphstore_url = 1\n```\nset `remote_tokens` and ALLIANCEGRAPH_X_Y"
    assert _setting_names_in(section) == {"remote_graphstore_url", "remote_tokens", "x_y"}


def test_running_at_scale_has_a_subsection_per_server():
    section = _scale_section()
    subsections = _subsections(section)
    for server in SCALE_SERVERS:
        assert server in subsections, f"no '### {server}' in Running at scale"
        body = subsections[server]
        assert "```toml\n" in body and "store = \"remote\"" in body, server
        summary_row = re.search(rf"^\| {re.escape(server)} \|(.+)$", section, re.MULTILINE)
        assert summary_row, f"{server} has no row in the summary table"
        tested = summary_row.group(1).split("|")[0].strip()
        assert tested == ("no (manual)" if server in UNTESTED_SERVERS else "yes"), server
        if server in UNTESTED_SERVERS:
            assert "Not tested here" in body, server


def test_running_at_scale_dialects_are_the_ones_open_store_knows():
    import pytest
    from alliancegraph.config import load_settings
    from alliancegraph.errors import ConfigError
    from alliancegraph.store import open_store

    dialects = set(re.findall(r'remote_dialect = "([a-z]+)"', _scale_section()))
    assert dialects == {"standard", "virtuoso"}
    with pytest.raises(ConfigError, match="remote_dialect"):
        open_store(load_settings(environ={}, overrides={
            "store": "remote", "remote_dialect": "fuseki",
            "remote_query_url": "http://127.0.0.1:9/q", "remote_update_url": "http://127.0.0.1:9/u"}))


def test_running_at_scale_commands_name_real_code_and_routes():
    import importlib

    from alliancegraph.service import create_app

    section = _scale_section()
    worker = re.search(r"--worker-class ([\w.]+)", section).group(1)
    module, _, name = worker.rpartition(".")
    assert isinstance(getattr(importlib.import_module(module), name), type)
    factory = re.search(r"'([\w.]+):(\w+)\(\)'", section)
    assert getattr(importlib.import_module(factory.group(1)), factory.group(2)) is create_app
    routes = {rule.rule for rule in create_app({"store": "memory"}).url_map.iter_rules()}
    for path in set(re.findall(r"GET (/\w+)", section)) | {"/healthz", "/readyz"}:
        assert path in routes, path


def _debian_tool(command: str, package: str) -> str:
    """The path of ``command``, installing Debian's ``package`` when it is missing; skip
    with the reason where this machine cannot install it."""
    import pytest
    import system_packages

    try:
        return system_packages.ensure(command, package)
    except system_packages.CannotInstall as exc:
        pytest.skip(str(exc))


def _config_block(language: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", _scale_section(), flags=re.DOTALL)
    assert len(blocks) == 1, f"one {language} block in Running at scale"
    return blocks[0]


def test_running_at_scale_nginx_config_is_valid(tmp_path):
    nginx = _debian_tool("nginx", "nginx-light")
    temp = tmp_path / "temp"
    temp.mkdir()
    paths = "\n".join(f"    {kind}_temp_path {temp};" for kind in
                      ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    config = tmp_path / "nginx.conf"
    config.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    access_log off;\n{paths}\n"
        + _config_block("nginx").replace("listen 80;", "listen 127.0.0.1:8080;") + "}\n",
        encoding="utf-8")
    done = subprocess.run([nginx, "-t", "-c", str(config), "-p", str(tmp_path)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


def test_running_at_scale_haproxy_config_is_valid(tmp_path):
    haproxy = _debian_tool("haproxy", "haproxy")
    config = tmp_path / "haproxy.cfg"
    config.write_text(_config_block("haproxy"), encoding="utf-8")
    done = subprocess.run([haproxy, "-c", "-f", str(config)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "option httpchk GET /readyz" in _config_block("haproxy")


def _github_slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_running_at_scale_links_reach_real_files_and_headings():
    links = re.findall(r"\]\(((?!https?:)[^)#]+)(?:#([^)]+))?\)", _scale_section())
    assert links
    for path, anchor in links:
        target = (ROOT / path).resolve()
        if path.startswith("../shared/"):
            continue  # beside the clone, not in it (the README's first section says so)
        assert target.exists(), path
        if anchor:
            headings = re.findall(r"^#+ (.+)$", target.read_text(encoding="utf-8"), re.M)
            assert anchor in {_github_slug(h) for h in headings}, f"{path}#{anchor}"


def _security_limits() -> list[list[str]]:
    """The rows of SECURITY.md's limits table, cells stripped."""
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    section = text.split("## Limits", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_security_md_gives_every_limit_with_its_real_default():
    import ast
    import dataclasses

    from alliancegraph.config import Settings

    defaults = {f.name: f.default for f in dataclasses.fields(Settings)}
    rows = _security_limits()
    assert len(rows) >= 15
    for setting, default, *_ in rows:
        name = setting.strip("`")
        assert name in defaults, f"SECURITY.md names {name}, which is no setting"
        assert ast.literal_eval(default.strip("`")) == defaults[name], name


def test_every_test_security_md_cites_exists():
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    cited = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", text)
    assert len(cited) >= 20
    for path, name in cited:
        source = ROOT / path
        assert source.exists(), path
        if name:
            assert re.search(rf"^def {name}\(", source.read_text(encoding="utf-8"), re.M), \
                f"{path}::{name}"
