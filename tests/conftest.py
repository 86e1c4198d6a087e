"""Shared fixtures for the test suite: grading a notebook for real, and the variants to grade."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
MIRROR = HERE.parent.parent / "shared" / "datasets"
if "KERAS_COURSE_DATA_MIRROR" not in os.environ and MIRROR.is_dir():
    os.environ["KERAS_COURSE_DATA_MIRROR"] = str(MIRROR)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture
def grade():
    """Grade a notebook in a fresh process, exactly as `keras-course grade` does."""
    from keras_course.grading import grade_in_subprocess

    return grade_in_subprocess


def failed_checks(result) -> set[str]:
    return {c.name for c in result.checks if not c.passed}


TRAINED = ("meteor_orbit", "dollar_bills", "darts", "irrigation")


def pytest_collection_modifyitems(items):
    """Mark the real runs that train a model: `make test-all` runs them, `make test` does not yet."""
    for item in items:
        if item.get_closest_marker("notebook") and any(t in item.nodeid for t in TRAINED):
            item.add_marker(pytest.mark.training)
