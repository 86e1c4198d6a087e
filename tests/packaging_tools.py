"""uv for the packaging tests: resolve the declared dependencies, and build the learner wheel.

Resolutions read the packages' metadata from the package index (--no-build: metadata only; no
package, and no Python, is downloaded); without a network the test is skipped and says so. The
wheel is built from uv's cache when it holds setuptools (its only build requirement), else with
the package index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from keras_course.course.paths import ROOT
from packaging.utils import canonicalize_name
from packaging.version import Version

PYPROJECT = ROOT / "pyproject.toml"
# The same cache `make` gives uv (Makefile UV_CACHE_DIR), unless the environment names another.
UV_CACHE = Path(os.environ.get("UV_CACHE_DIR") or ROOT / ".cache" / "uv")


def uv() -> str:
    beside = Path(sys.executable).with_name("uv")  # `make install` puts uv in .venv
    found = str(beside) if beside.exists() else shutil.which("uv")
    if found is None:
        pytest.skip("uv is not installed (make install puts it into .venv/bin)")
    return found


def run_uv(args: list[str], cwd: Path = ROOT, offline_first: bool = True) -> subprocess.CompletedProcess:
    """uv with args, offline first (uv's cache), then with the package index."""
    env = dict(os.environ, UV_CACHE_DIR=str(UV_CACHE))
    out = subprocess.run([uv(), *args, "--offline"], capture_output=True, text=True, cwd=cwd, env=env)
    if out.returncode != 0 or not offline_first:  # the cache lacks something: the index, once
        out = subprocess.run([uv(), *args], capture_output=True, text=True, cwd=cwd, env=env)
    return out


def compile_requirements(source: Path, *options: str) -> subprocess.CompletedProcess:
    """`uv pip compile source` with options, from the packages' metadata only; skipped without
    a network and without the metadata in uv's cache."""
    args = ["pip", "compile", str(source), *options]
    args += ["--no-build", "--no-python-downloads", "--no-header", "--no-annotate", "--quiet"]
    # Not offline: offline, uv resolves with whatever versions its cache holds, and after `make
    # install` those are the newest ones, so a lowest resolution would be wrong.
    out = run_uv(args, offline_first=False)
    if out.returncode != 0 and "unsatisfiable" not in out.stderr:
        pytest.skip(f"the package index cannot be reached to resolve with: {out.stderr.strip()[-300:]}")
    return out


def resolve(*options: str) -> dict[str, Version]:
    """Package -> version of `uv pip compile pyproject.toml` with options."""
    out = compile_requirements(PYPROJECT, *options)
    assert out.returncode == 0, out.stderr
    pins = [line.split("==") for line in out.stdout.splitlines() if "==" in line]
    return {canonicalize_name(name.strip()): Version(version.split(";")[0].strip()) for name, version in pins}


def build_wheel(out_dir: Path) -> Path:
    """Build the learner wheel as `make dist` does, into out_dir; return its path. One build at a
    time: setuptools builds in the repository's build/, which the test processes share."""
    import fcntl

    lock_file = ROOT / ".cache" / "wheel-build.lock"
    lock_file.parent.mkdir(exist_ok=True)
    with open(lock_file, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        shutil.rmtree(ROOT / "build", ignore_errors=True)  # setuptools would reuse an old build's
        out = run_uv(["build", "--wheel", "--out-dir", str(out_dir)])
        shutil.rmtree(ROOT / "build", ignore_errors=True)
    if out.returncode != 0 and "etwork" in out.stderr:
        pytest.skip(f"no network and no cached setuptools to build with: {out.stderr.strip()[-300:]}")
    assert out.returncode == 0, out.stderr
    (wheel,) = out_dir.glob("keras_course-*.whl")
    return wheel


def wheel_texts(wheel: Path) -> dict[str, bytes]:
    """Every file of the wheel by its name in the archive."""
    with zipfile.ZipFile(wheel) as archive:
        return {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}
