"""The declared dependencies are true: each resolves at its declared minimum, the package
installs on every platform learners have, and the course reads course.toml on Python 3.10,
whose standard library has no tomllib.

The resolutions are uv's (`uv pip compile`, with `--resolution lowest-direct` or
`--python-platform`), from the packages' metadata only (packaging_tools.resolve); for another
platform uv takes only releases with a wheel for that platform.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from keras_course.course.config import tomllib
from keras_course.course.paths import ROOT
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from packaging_tools import PYPROJECT, compile_requirements, resolve

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


# uv's names of the platforms learners have; the Python versions the package supports
PLATFORMS = {
    "linux x86_64": "x86_64-unknown-linux-gnu",
    "linux aarch64": "aarch64-unknown-linux-gnu",
    "macos arm64": "aarch64-apple-darwin",
    "windows x86_64": "x86_64-pc-windows-msvc",
}
TENSORFLOW = {"linux x86_64": "tensorflow-cpu"}  # elsewhere: tensorflow
RESOLVED = [(name, "3.11") for name in PLATFORMS]
RESOLVED += [("macos arm64", "3.10"), ("windows x86_64", "3.13"), ("linux x86_64", "3.13")]


@pytest.mark.parametrize(("platform", "python"), RESOLVED, ids=[f"{p}-{v}" for p, v in RESOLVED])
def test_the_dependencies_resolve_on_every_platform(platform, python):
    """TensorFlow by platform markers: tensorflow-cpu on Linux x86_64, tensorflow elsewhere."""
    resolved = resolve("--python-platform", PLATFORMS[platform], "--python-version", python)
    tensorflow = TENSORFLOW.get(platform, "tensorflow")
    other = ({"tensorflow", "tensorflow-cpu"} - {tensorflow}).pop()
    assert tensorflow in resolved and other not in resolved
    assert {"keras", "nbclient", "ipykernel", "nbgrader", "pytest"} <= set(resolved)
    assert ("tomli" in resolved) == (python == "3.10")


def test_tensorflow_cpu_alone_would_not_install_on_a_mac(tmp_path):
    """Why the markers: tensorflow-cpu has no macOS wheel (issue 9: pip install failed on a Mac)."""
    requirements = tmp_path / "requirements.in"
    requirements.write_text("tensorflow-cpu>=2.16\n", encoding="utf-8")
    options = ("--python-platform", PLATFORMS["macos arm64"], "--python-version", "3.11")
    out = compile_requirements(requirements, *options)
    assert out.returncode != 0 and "tensorflow-cpu" in out.stderr


def test_course_toml_is_read_with_tomli_where_the_standard_library_has_no_tomllib():
    """Python 3.10 has no tomllib: config.py falls back to tomli (a dependency there)."""
    code = (
        "import sys, tomllib, types\n"
        "tomli = types.ModuleType('tomli')\n"
        "tomli.loads, tomli.TOMLDecodeError = tomllib.loads, tomllib.TOMLDecodeError\n"
        "sys.modules.update(tomli=tomli, tomllib=None)  # import tomllib now fails, as on 3.10\n"
        "from keras_course.course import config\n"
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
