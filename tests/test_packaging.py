"""The declared dependencies are true: each resolves at its declared minimum, and the course
reads course.toml on Python 3.10, whose standard library has no tomllib.

The resolution is uv's (`uv pip compile --resolution lowest-direct`), from the packages'
metadata only (packaging_tools.resolve).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from keras_course.config import tomllib
from keras_course.paths import ROOT
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from packaging_tools import PYPROJECT, resolve

DEPENDENCIES = [
    Requirement(r) for r in tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
]


def resolve_lowest(python: str) -> dict[str, Version]:
    """Package -> version, every direct dependency at the lowest version it allows."""
    return resolve("--resolution", "lowest-direct", "--python-version", python)


@pytest.mark.parametrize("python", ["3.10", "3.11"])
def test_every_dependency_resolves_at_its_declared_minimum(python):
    """A minimum is true when the lowest resolution picks that release (2.16 may be 2.16.1):
    no other dependency forces a higher one (tensorflow-cpu 2.16 needs h5py 3.10, not 3.8)."""
    resolved = resolve_lowest(python)
    environment = {"python_version": python, "python_full_version": f"{python}.0"}
    wrong = {}
    for requirement in DEPENDENCIES:
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            assert canonicalize_name(requirement.name) not in resolved or requirement.name == "tomli"
            continue
        (minimum,) = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
        got = resolved[canonicalize_name(requirement.name)]
        if got.release[: len(minimum.release)] != minimum.release:
            wrong[requirement.name] = f"declared >={minimum}, resolves to {got}"
    assert wrong == {}
    assert ("tomli" in resolved) == (Version(python) < Version("3.11"))


def test_course_toml_is_read_with_tomli_where_the_standard_library_has_no_tomllib():
    """Python 3.10 has no tomllib: config.py falls back to tomli (a dependency there)."""
    code = (
        "import sys, tomllib, types\n"
        "tomli = types.ModuleType('tomli')\n"
        "tomli.loads, tomli.TOMLDecodeError = tomllib.loads, tomllib.TOMLDecodeError\n"
        "sys.modules.update(tomli=tomli, tomllib=None)  # import tomllib now fails, as on 3.10\n"
        "from keras_course import config\n"
        "assert config.tomllib is tomli, config.tomllib\n"
        "print(len(config.load_course().exercises))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) > 0


def test_the_minimum_pytest_has_the_subtests_fixture_the_suite_uses():
    """tests/test_nbgrader.py uses the fixture subtests, which pytest has from 9.0 on."""
    (pytest_requirement,) = [r for r in DEPENDENCIES if r.name == "pytest"]
    assert pytest_requirement.specifier.contains("9.0") and not pytest_requirement.specifier.contains("8.4")
    assert "subtests" in (ROOT / "tests" / "test_nbgrader.py").read_text(encoding="utf-8")
