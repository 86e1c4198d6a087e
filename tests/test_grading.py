"""Every check both ways: correct variants get full marks, each mistake loses exactly its checks.

The variants run in this process (run_here.py), which makes ~40 notebooks affordable. Notebooks
that train long (meteor_orbit, darts, irrigation) run here with their training left out, which
must also fail the checks that need a trained model (mistakes.LONG_TRAINING); `make test-all` also runs them
trained (marker `training`). The reference solutions run in real kernels in test_nbgrader.py,
through both nbgrader and keras-course grade, with some stubs and the mistakes of
mistakes.END_TO_END, which are therefore not repeated here.
"""

from __future__ import annotations

import pytest
from branches import assert_branches_reached
from conftest import failed_checks
from keras_course.course.config import load_course
from keras_course.course.paths import EXERCISES, SOLUTIONS
from measured import assert_pass_feedback_is_measured
from mistakes import CORRECT, LONG_TRAINING, MISTAKES, quick_variants
from run_here import grade_here

QUICK = quick_variants()
TRAINED = [
    pytest.param(v, marks=pytest.mark.training)
    for v in MISTAKES + CORRECT
    if v.exercise in LONG_TRAINING and v.trains
]


@pytest.mark.parametrize("exercise_id", ["darts", "irrigation"])
def test_reference_solution_that_trains_long_gets_full_marks(tmp_path, exercise_id):
    """The reference solutions that test_nbgrader.py's quick run leaves out, trained here."""
    source = (SOLUTIONS / f"{exercise_id}.ipynb").read_text(encoding="utf-8")
    result = grade_here(source, exercise_id, tmp_path)
    assert result.error is None and result.cell_errors == []
    assert {c.name: c.feedback for c in result.checks if not c.passed} == {}
    assert result.score == result.max_score
    assert_pass_feedback_is_measured(result, tmp_path / "artifacts")


def assert_loses_exactly(variant, result) -> None:
    assert result.error is None
    assert failed_checks(result) == set(variant.fails)
    for check in result.checks:
        assert check.points == (0 if check.name in variant.fails else check.max_points)
    if variant.message:
        messages = [c.feedback for c in result.checks if not c.passed]
        assert any(variant.message in m for m in messages), messages
    failed = {c.name: c.feedback for c in result.checks if not c.passed}
    measured = {c.name: c.measured for c in result.checks if not c.passed}
    assert_branches_reached(f"mistake:{variant.exercise}/{variant.name}", failed, measured)


@pytest.mark.parametrize("variant", QUICK + TRAINED, ids=lambda v: f"{v.exercise}-{v.name}")
def test_variant_loses_exactly_its_checks(tmp_path, variant):
    source = (SOLUTIONS / f"{variant.exercise}.ipynb").read_text(encoding="utf-8")
    result = grade_here(variant.apply(source), variant.exercise, tmp_path)
    assert_loses_exactly(variant, result)


@pytest.mark.parametrize("exercise_id", list(load_course().exercises))
def test_untouched_stub_scores_zero_and_says_what_to_fill_in(tmp_path, exercise_id):
    stub = (EXERCISES / f"{exercise_id}.ipynb").read_text(encoding="utf-8")
    result = grade_here(stub, exercise_id, tmp_path)
    assert result.error is None
    assert result.score == 0
    assert any("is not filled in yet: replace `raise NotImplementedError()`" in e for e in result.cell_errors)
    for check in result.checks:
        assert not check.passed
        assert check.feedback.startswith(("Your notebook does not define", "`")), check.feedback
