"""Shared settings for the test suite: the data mirror, quiet TensorFlow, and the order of the runs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
MIRROR = HERE.parent.parent / "shared" / "datasets"
if "KERAS_COURSE_DATA_MIRROR" not in os.environ and MIRROR.is_dir():
    os.environ["KERAS_COURSE_DATA_MIRROR"] = str(MIRROR)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")  # run_here.py draws the notebooks' plots here


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
