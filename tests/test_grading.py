"""Real grading runs: solutions get full marks, stubs zero, mistakes lose exactly their checks."""

from __future__ import annotations

import pytest
from conftest import failed_checks
from keras_course.config import load_course
from keras_course.paths import EXERCISES, SOLUTIONS
from mistakes import CORRECT, MISTAKES

pytestmark = pytest.mark.notebook
EXERCISE_IDS = list(load_course().exercises)
# slowest first, so that two workers finish together
COST = {"darts": 0, "irrigation": 1, "meteor_orbit": 2, "dollar_bills": 3}


def by_cost(items, exercise_of):
    return sorted(items, key=lambda item: COST.get(exercise_of(item), 9))


@pytest.mark.parametrize("exercise_id", by_cost(EXERCISE_IDS, lambda e: e))
def test_solution_gets_full_marks(grade, exercise_id):
    result = grade(SOLUTIONS / f"{exercise_id}.ipynb", exercise_id)
    assert result.error is None
    assert result.cell_errors == []
    failures = {c.name: c.feedback for c in result.checks if not c.passed}
    assert failures == {}
    assert result.score == result.max_score == load_course().exercise(exercise_id).max_score


@pytest.mark.parametrize("exercise_id", EXERCISE_IDS)
def test_untouched_stub_scores_zero_with_feedback(grade, exercise_id):
    result = grade(EXERCISES / f"{exercise_id}.ipynb", exercise_id)
    assert result.error is None
    assert result.score == 0
    assert any("is not filled in yet" in note for note in result.cell_errors)
    for check in result.checks:
        assert not check.passed
        assert check.feedback.startswith(("Your notebook does not define", "`")), check.feedback


@pytest.mark.parametrize(
    "variant",
    by_cost(MISTAKES, lambda m: m.exercise) + by_cost(CORRECT, lambda m: m.exercise),
    ids=lambda v: f"{v.exercise}-{v.name}",
)
def test_variant_loses_exactly_its_checks(grade, tmp_path, variant):
    source = (SOLUTIONS / f"{variant.exercise}.ipynb").read_text(encoding="utf-8")
    notebook = tmp_path / f"{variant.exercise}.ipynb"
    notebook.write_text(variant.apply(source), encoding="utf-8")

    result = grade(notebook, variant.exercise)

    assert result.error is None
    assert failed_checks(result) == set(variant.fails)
    for check in result.checks:
        assert check.points == (0 if check.name in variant.fails else check.max_points)
    if variant.message:
        first = next(c for c in result.checks if not c.passed)
        assert variant.message in first.feedback
