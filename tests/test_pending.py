"""Checks on held-out data where that data is not (the learner package): pending, not failed.

The same darts notebook, trained too little to pass on held-out data, is graded twice: without
datasets/heldout/ (as in the learner package) its held-out check is pending, every other check
passes and the notebook counts as passed here; in the repository that check runs and fails.
"""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest
from conftest import failed_checks
from keras_course.course import data
from keras_course.course.config import load_course
from keras_course.course.paths import DATASETS, SOLUTIONS
from keras_course.report.results import Result, checklist, to_json, to_junit
from mistakes import DARTS_FIT, Variant
from run_here import grade_here

DARTS = load_course().exercise("darts")
UNTRAINED = Variant("darts", "untrained", ((DARTS_FIT, ""),))


def untrained_darts() -> str:
    return UNTRAINED.apply((SOLUTIONS / "darts.ipynb").read_text(encoding="utf-8"))


@pytest.fixture
def no_heldout(monkeypatch):
    """The learner package: no datasets/heldout/."""
    monkeypatch.setattr(data, "HELDOUT", DATASETS / "no-such-folder")
    data.heldout.cache_clear()
    yield
    data.heldout.cache_clear()


def test_without_held_out_data_its_checks_are_pending_and_count_neither_way(tmp_path, no_heldout):
    result = grade_here(untrained_darts(), "darts", tmp_path)
    pending = {c.name for c in result.checks if c.pending}
    assert pending == set(DARTS.hidden) == {"heldout_accuracy"}
    assert all(c.passed for c in result.checks if not c.pending)
    held_points = sum(DARTS.checks[name] for name in pending)
    assert result.pending_points == held_points
    assert result.score == result.max_score - held_points == DARTS.max_score - held_points
    assert result.passed_here

    lines = checklist(result).splitlines()
    runs_here = f"{DARTS.max_score - held_points:g}"
    assert lines[-1] == (
        f"  Total: {runs_here}/{runs_here} of the checks that run here; "
        f"{held_points:g} more points are checked when you hand it in"
    )
    (line,) = [line for line in lines if "heldout_accuracy" in line]
    assert "Checked when you hand it in" in line and "✗" not in line

    raw = json.loads(to_json([result]))["results"][0]
    assert {c["name"]: c["pending"] for c in raw["checks"]}["heldout_accuracy"] is True
    assert Result.from_dict(raw).pending_points == held_points
    junit = ET.fromstring(to_junit([result]).split("?>", 1)[1])
    (case,) = [c for c in junit.iter("testcase") if c.get("name") == "heldout_accuracy"]
    assert case.find("skipped").get("message") == "checked when you hand it in"
    assert junit.find("testsuite").get("failures") == "0"


def test_in_the_repository_the_held_out_check_runs_and_fails_the_same_notebook(tmp_path):
    result = grade_here(untrained_darts(), "darts", tmp_path)
    assert not any(c.pending for c in result.checks)
    assert failed_checks(result) == {"heldout_accuracy"}
    assert not result.passed_here
    assert checklist(result).splitlines()[-1] == f"  Total: {result.score:g}/{DARTS.max_score:g}"
