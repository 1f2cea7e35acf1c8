"""bench/system_packages.py: one way to find or install the Debian tools the runs need."""

from __future__ import annotations

import subprocess

import pytest
import system_packages


def test_a_present_command_is_found_without_installing(monkeypatch):
    monkeypatch.setattr(system_packages, "install", lambda *a, **k: pytest.fail("installed"))
    assert system_packages.ensure("sh").endswith("/sh")


def test_a_machine_that_cannot_install_says_why(monkeypatch):
    monkeypatch.setattr(system_packages.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(system_packages.shutil, "which",
                        lambda c: "/usr/bin/apt-get" if c == "apt-get" else None)
    with pytest.raises(system_packages.CannotInstall, match=r"needs root.*no-such-tool"):
        system_packages.ensure("no-such-tool-here")


def test_a_failed_install_is_an_error_with_apt_gets_words(monkeypatch):
    calls: list[list[str]] = []

    def run(command, **_):
        calls.append(command)
        return subprocess.CompletedProcess(command, 100, "", "E: Unable to locate package x")

    monkeypatch.setattr(system_packages.os, "geteuid", lambda: 0)
    monkeypatch.setattr(system_packages.shutil, "which", lambda c: "/usr/bin/" + c)
    monkeypatch.setattr(system_packages.subprocess, "run", run)
    with pytest.raises(system_packages.InstallFailed, match="Unable to locate package x"):
        system_packages.install("x")
    # tried, updated the package lists once, tried again
    assert [c[1] for c in calls] == ["install", "update", "install"]
