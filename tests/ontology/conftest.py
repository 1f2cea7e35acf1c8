"""Fixtures of the ontology tests: Java tools (installed with apt-get when missing) and
the merged ontology written to a file the Java tools can read."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import system_packages
from alliancegraph.ontology.docs import merged_ontology

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
JAVA_SOURCES = HERE / "java"
JAVA_LIBS = Path("/usr/share/java")
OWLAPI_JAR = JAVA_LIBS / "owlapi-distribution.jar"
# SLF4J bindings other than slf4j-nop would each claim the logger and print warnings.
_EXTRA_LOGGING_JARS = re.compile(
    r"slf4j-(jcl|jdk14|log4j12|simple)|maven3-slf4j-provider|(log4j|jcl|jul)-(over|to)-slf4j"
)


@pytest.fixture(scope="session")
def java() -> str:
    """Path of a ``java`` executable (default-jre-headless installed if missing)."""
    return system_packages.ensure("java", "default-jre-headless")


@pytest.fixture(scope="session")
def owl_profile_checker(java: str, tmp_path_factory) -> Callable[[Path], tuple[int, list[str]]]:
    """Run the OWL API's OWL 2 DL profile check on a file: (exit code, violation lines).

    Installs libowlapi-java and a JDK when missing and compiles ProfileCheck.java into a
    temporary folder.
    """
    if shutil.which("javac") is None:
        system_packages.install("default-jdk-headless")
    if not OWLAPI_JAR.exists():
        system_packages.install("libowlapi-java")
    jars = [str(p) for p in sorted(JAVA_LIBS.glob("*.jar"))
            if not _EXTRA_LOGGING_JARS.search(p.name)]
    classes = tmp_path_factory.mktemp("owlapi-classes")
    classpath = os.pathsep.join([str(classes), *jars])
    subprocess.run(
        ["javac", "-cp", classpath, "-d", str(classes), str(JAVA_SOURCES / "ProfileCheck.java")],
        check=True, capture_output=True, text=True,
    )

    def check(path: Path) -> tuple[int, list[str]]:
        done = subprocess.run([java, "-cp", classpath, "ProfileCheck", str(path)],
                              capture_output=True, text=True, timeout=120, check=False)
        if done.returncode not in (0, 1):
            raise RuntimeError(f"ProfileCheck failed on {path}: {done.stderr}")
        lines = done.stdout.splitlines()
        return done.returncode, [line for line in lines if not line.startswith("axioms: ")]

    return check


@pytest.fixture(scope="session")
def merged_ontology_file(tmp_path_factory) -> Path:
    """The merged ontology sources as one N-Triples file."""
    path = tmp_path_factory.mktemp("ontology") / "alliancegraph.nt"
    merged_ontology().serialize(destination=path, format="nt", encoding="utf-8")
    return path
