"""Debian packages the benchmarks and the tests start (wrk, Virtuoso, Chromium, Java, dot):
installed with apt-get when missing and we run as root, once, the same way everywhere.

:func:`ensure` answers the path of a command, installing its package if needed. It raises
:class:`CannotInstall` when this machine cannot install (no apt-get, not root): tests skip
with that reason. It raises :class:`InstallFailed` when apt-get ran and failed: that is an
error to see, not a skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}


class CannotInstall(Exception):
    """The package is missing and this machine cannot install it (the reason)."""


class InstallFailed(RuntimeError):
    """apt-get ran and did not install the package (its output's tail)."""


def find(command: str) -> str | None:
    """The command's path, also in the sbin folders a non-root PATH may lack."""
    found = shutil.which(command)
    if found:
        return found
    for folder in ("/usr/sbin", "/sbin", "/usr/bin"):
        if (Path(folder) / command).exists():
            return str(Path(folder) / command)
    return None


def can_install() -> str | None:
    """None when apt-get may be run here; otherwise why not."""
    if shutil.which("apt-get") is None:
        return "there is no apt-get on this machine"
    if os.geteuid() != 0:
        return "apt-get needs root"
    return None


def install(*packages: str, timeout: float = 900) -> None:
    """apt-get install the packages; ``apt-get update`` only when the first try fails
    (a fresh image has no package lists)."""
    reason = can_install()
    if reason:
        raise CannotInstall(f"{' '.join(packages)} missing and {reason} to install it "
                            f"(apt-get install {' '.join(packages)})")
    command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    for attempt in range(2):
        try:
            done = subprocess.run(command, env=_ENV, capture_output=True, text=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise InstallFailed(f"`{' '.join(command)}` took over {exc.timeout:.0f} s") from exc
        if done.returncode == 0:
            return
        if attempt == 0:
            subprocess.run(["apt-get", "update", "-q"], env=_ENV, capture_output=True,
                           timeout=600, check=False)
    tail = (done.stderr or done.stdout).strip()[-500:]
    raise InstallFailed(f"`{' '.join(command)}` failed ({done.returncode}): {tail}")


def ensure(command: str, package: str | None = None, *, timeout: float = 900) -> str:
    """The path of ``command``, installing Debian's ``package`` (default: the command's
    name) when it is missing."""
    found = find(command)
    if found:
        return found
    install(package or command, timeout=timeout)
    found = find(command)
    if found is None:
        raise InstallFailed(f"apt-get installed {package or command} but no {command} is on "
                            "this machine")
    return found
