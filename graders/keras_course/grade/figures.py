"""The figures of one graded notebook, drawn by the grader from its export (report/figure.py).

Scaffolding: the plots of each exercise come next; until then a report has none."""

from __future__ import annotations

from pathlib import Path

from keras_course.report.figure import Figure


def exercise_figures(exercise_id: str, artifacts: Path | None, *, instructor: bool = False) -> list[Figure]:
    """The figures of this exercise's export, for the learner's report (instructor=True: the
    instructor's copy, which may show held-out points). Never raises: a figure that cannot be
    drawn from this export is left out."""
    return []
