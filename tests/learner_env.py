"""A learner's machine: a fresh virtual environment outside the repository with only the learner
wheel installed, and the environment a learner's commands run in.

The environment is made with uv from the wheels in uv's cache (TensorFlow is not downloaded
again); tests/conftest.py makes one per test process (the `learner_venv` fixture) and the tests
that need a learner share it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from packaging_tools import run_uv

# What a learner's commands import: nbgrader's commands, the kernel, the checks.
WARM = (
    "nbgrader.apps, ipykernel.kernelapp, keras, keras_course.cli, keras_course.grade.notebook_checks, pytest"
)


def make_venv(wheel: Path, venv: Path) -> Path:
    """A fresh virtual environment at venv with the wheel and its dependencies installed."""
    base_python = Path(sys.base_prefix) / "bin" / "python3"
    made = run_uv(["venv", "--quiet", "--python", str(base_python), str(venv)])
    assert made.returncode == 0, made.stderr
    installed = run_uv(["pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), str(wheel)])
    assert installed.returncode == 0, installed.stderr
    # As the Makefile does for the course's environment: 3 s of CPU less per nbgrader command.
    run_uv(["pip", "uninstall", "--quiet", "--python", str(venv / "bin" / "python"), "rfc3987-syntax"])
    # pip compiles bytecode when it installs; uv does not, and compiling all of TensorFlow takes a
    # minute of CPU. Compile what the learners' commands import, once, so that the commands the
    # tests start at the same time do not each compile it (about 15 s of CPU per TensorFlow).
    env = {"HOME": str(venv.parent), "TF_CPP_MIN_LOG_LEVEL": "3"}  # Keras writes into ~/.keras
    warm = subprocess.run(
        [str(venv / "bin" / "python"), "-c", f"import {WARM}"], capture_output=True, text=True, env=env
    )
    assert warm.returncode == 0, warm.stderr
    return venv


class Learner:
    """The learner venv, used from a home of the learner's own: nothing of the repository, or of
    the instructor's environment, is on the paths of the learner's commands."""

    def __init__(self, venv: Path, home: Path) -> None:
        self.venv = venv
        self.home = home
        self.home.mkdir(parents=True, exist_ok=True)

    def env(self) -> dict[str, str]:
        env = {
            "PATH": f"{self.venv / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin",
            "HOME": str(self.home),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "TF_CPP_MIN_LOG_LEVEL": "3",
        }
        if "KERAS_COURSE_DATA_MIRROR" in os.environ:  # the banknotes without a download
            env["KERAS_COURSE_DATA_MIRROR"] = os.environ["KERAS_COURSE_DATA_MIRROR"]
        return env

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """keras-course (or another program of the environment) in the learner's home."""
        return subprocess.run(
            [str(self.venv / "bin" / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            cwd=self.home,
            env=self.env(),
            timeout=timeout,
        )

    def site_packages(self) -> Path:
        (found,) = self.venv.glob("lib/python*/site-packages")
        return found
