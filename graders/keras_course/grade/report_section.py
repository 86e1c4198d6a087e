"""Draw a notebook's report section in the grading process, where its export is: the learner's
model beside the grader's MODEL and the grader's figures (report/section.py). Only when a report
is asked for (`check --html`, `grade --html-dir`): the plugin's --report-section. Drawing never
fails a grading: what cannot be drawn is left out, and the section says why."""

from __future__ import annotations

from pathlib import Path

from keras_course.checks.expected import ExpectedModel
from keras_course.checks.feedback import CheckFailed
from keras_course.checks.model_table import compare
from keras_course.checks.submission import Submission
from keras_course.course.errors import CourseError, ExportError
from keras_course.grade.figures import exercise_figures
from keras_course.grade.result_store import sha256_of
from keras_course.report.model_table import ModelTable
from keras_course.report.results import write_atomic
from keras_course.report.section import Section

NO_MODEL_TO_COMPARE = "This exercise's grader states no model to compare yours with."
NO_LAYERS = "Your model has no layers yet: the expected model is shown beside yours once it has some."


def model_part(submission: Submission, expected: ExpectedModel | None) -> tuple[ModelTable | None, str]:
    """The model table, or None and why there is none: the learner's model as the checks read it
    (their message, where it cannot be read), and the grader's MODEL."""
    if expected is None:
        return None, NO_MODEL_TO_COMPARE
    try:
        model = submission.model()
    except CheckFailed as exc:
        return None, str(exc)
    if not model.layers:
        return None, NO_LAYERS
    return compare(expected, model), ""


def draw_section(submission: Submission, expected: ExpectedModel | None, notebook: Path | None) -> Section:
    """The section of this graded notebook (notebook: the file it was run from, if any)."""
    try:
        table, about = model_part(submission, expected)
    except (CourseError, ExportError, MemoryError) as exc:
        table, about = None, f"The grader could not compare your model ({type(exc).__name__}: {exc})."
    artifacts = submission.run.artifacts
    try:
        figures = tuple(exercise_figures(submission.exercise.id, artifacts))
    except MemoryError:  # the checks' memory cap is still on: a section without figures
        figures = ()
    digest = sha256_of(notebook) if notebook is not None else ""
    return Section(table, about, figures, digest)


def write_section(
    target: Path, submission: Submission, expected: ExpectedModel | None, notebook: Path | None
) -> None:
    """Draw the section and write it to target as JSON."""
    write_atomic(target, draw_section(submission, expected, notebook).to_json())
