"""Shared settings for the test suite: the data mirror, quiet TensorFlow, and the order of the runs."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
MIRROR = HERE.parent.parent / "shared" / "datasets"
if "KERAS_COURSE_DATA_MIRROR" not in os.environ and MIRROR.is_dir():
    os.environ["KERAS_COURSE_DATA_MIRROR"] = str(MIRROR)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")  # run_here.py draws the notebooks' plots here


@pytest.fixture(scope="session")
def learner_wheel(tmp_path_factory) -> Path:
    """The learner wheel, built as `make dist` builds it, once per test process."""
    from packaging_tools import build_wheel

    return build_wheel(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def learner_venv(learner_wheel, tmp_path_factory):
    """A fresh virtual environment with only the learner wheel installed (learner_env.py), once
    per test process: test_learner_install.py and test_nbgrader.py's learners share it."""
    from learner_env import make_venv

    venv = make_venv(learner_wheel, tmp_path_factory.mktemp("learner") / "venv")
    yield venv
    shutil.rmtree(venv, ignore_errors=True)  # links to uv's cache, but many of them


def failed_checks(result) -> set[str]:
    return {c.name for c in result.checks if not c.passed}


# The longest runs start first, so that both workers end together.
FIRST = {
    "test_nbgrader.py": 0,
    "test_learner_install.py": 1,
    "test_hostile.py": 2,
    "test_batch_resume.py": 3,
    "test_grading.py": 4,
}


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: FIRST.get(item.path.name, len(FIRST)))
