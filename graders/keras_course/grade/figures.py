"""The figures of one graded notebook, drawn by the grader from its export (report/plots.py).

- meteor_orbit: the model's twenty- and eighty-minute orbits against the scientists' y = t²;
- dollar_bills: the pairplot of the banknotes the notebook trained on (banknotes.csv but its
  X_test), and a confusion matrix;
- darts: the model's decision regions with the throws the notebook trained on (its coord_train),
  and a confusion matrix;
- irrigation: the accuracy for each parcel;
- every exercise whose model was trained: the training curve, as the notebook recorded it.

The export is read as the graders read it (checks/submission.py: sizes checked before any read,
numbers only), and every prediction is the grader's own NumPy forward pass of the exported
model (artifacts/saved_model.py): no TensorFlow runs here, and no figure of the learner's is
used. Held-out data goes into a learner's figure only as totals: confusion-matrix counts and
accuracies. Only the instructor's copy (instructor=True) shows held-out points.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from keras_course.artifacts.history import read_history
from keras_course.checks.feedback import CheckFailed
from keras_course.checks.metrics import OUTPUTS
from keras_course.checks.shared import predictions
from keras_course.checks.submission import Submission
from keras_course.course import data
from keras_course.course.config import load_course
from keras_course.course.errors import CourseError, ExportError
from keras_course.report import plots
from keras_course.report.figure import Figure
from keras_course.run.outcome import RunResult

BANKNOTE_FEATURES = data.BANKNOTES_COLUMNS[:4]
BANKNOTE_CLASSES = {0: "genuine", 1: "forged"}
GRID = 200  # points a side of the square the decision regions are computed on


def exercise_figures(exercise_id: str, artifacts: Path | None, *, instructor: bool = False) -> list[Figure]:
    """The figures of this exercise's export, for the learner's report (instructor=True: the
    instructor's copy, which may show held-out points). Never raises: a figure that cannot be
    drawn from this export is left out."""
    submission = _submission(exercise_id, artifacts)
    if submission is None:
        return []
    drawn = []
    for draw in (*FIGURES.get(exercise_id, ()), training):
        with warnings.catch_warnings():  # what grading prints is its own (README "For CI")
            warnings.simplefilter("ignore")
            drawn.append(_drawn(draw, submission, instructor))
    return [figure for figure in drawn if figure is not None]


def _heldout(draw: Callable[[Submission, bool], Figure]) -> Callable[[Submission, bool], Figure]:
    """draw, whose figure comes from held-out totals, marked so (Figure.heldout)."""

    def marked(submission: Submission, instructor: bool) -> Figure:
        return replace(draw(submission, instructor), heldout=True)

    return marked


def _drawn(draw: Callable, submission: Submission, instructor: bool) -> Figure | None:
    """draw's figure, or None when this export does not give one."""
    try:
        return draw(submission, instructor)
    except Exception:  # CheckFailed or ExportError, as a check would fail (no model, a wrong shape,
        return None  # no held-out data here), or values matplotlib cannot draw: never the report


def _submission(exercise_id: str, artifacts: Path | None) -> Submission | None:
    if artifacts is None:
        return None
    try:
        return Submission(load_course().exercise(exercise_id), RunResult(artifacts=artifacts))
    except CourseError:  # no such exercise
        return None


def _predict(submission: Submission, x: np.ndarray) -> np.ndarray:
    """The model's outputs for x, by the grader's forward pass, once its weights are finite and
    it takes x and gives the exercise's outputs."""
    model = submission.model()
    if not model.finite:
        raise ExportError("its weights hold NaN or infinite values")
    return predictions(model, x, OUTPUTS[submission.exercise.id], "example")


def _confusion(right: np.ndarray, given: np.ndarray, classes: int) -> np.ndarray:
    """How many examples of each class (rows) were given each class (columns)."""
    return np.bincount(right * classes + given, minlength=classes * classes).reshape(classes, classes)


def orbits(submission: Submission, instructor: bool) -> Figure:
    twenty, eighty = (_predict(submission, np.arange(-m, m + 1)) for m in (10, 40))
    return plots.orbit_plot(twenty, eighty)


def banknotes(submission: Submission, instructor: bool) -> Figure:
    """The banknotes the notebook trained on: the rows of banknotes.csv that are not in its
    X_test, once X_test is a part of banknotes.csv."""
    notes = data.learner_table("banknotes.csv")
    features = np.column_stack([notes[name] for name in BANKNOTE_FEATURES])
    in_test = _rows_taken(features, submission.array("X_test", ""))
    columns = {name: features[~in_test, i] for i, name in enumerate(BANKNOTE_FEATURES)}
    what = f"the {int((~in_test).sum())} banknotes you trained on (banknotes.csv without X_test)"
    return plots.pairplot(columns, notes["class"][~in_test], BANKNOTE_CLASSES, what)


def _rows_taken(table: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Which rows of table the rows are, each row of table taken once; ExportError unless they
    are some of table's rows, not all."""
    if rows.ndim != 2 or rows.shape[1] != table.shape[1] or not 0 < len(rows) < len(table):
        raise ExportError("these are not some of the table's rows")
    wanted = Counter(map(tuple, np.round(rows, 6).tolist()))
    taken = np.zeros(len(table), dtype=bool)
    for i, row in enumerate(map(tuple, np.round(table, 6).tolist())):
        if wanted[row] > 0:
            wanted[row] -= 1
            taken[i] = True
    if taken.sum() != len(rows):
        raise ExportError("some of these rows are none of the table's")
    return taken


def banknotes_confusion(submission: Submission, instructor: bool) -> Figure:
    held = data.heldout("dollar_bills")
    given = (_predict(submission, held.x).reshape(-1) > 0.5).astype(int)
    matrix = _confusion(held.y.reshape(-1).astype(int), given, 2)
    names = list(BANKNOTE_CLASSES.values())
    return plots.confusion_plot(
        matrix, names, [f"{name} notes" for name in names], "bank notes it has never seen"
    )


def _darts() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The throws of darts.csv, their competitors' codes and the competitors' names."""
    import pandas as pd  # lazy: as course/data.py reads the tables

    table = data.learner_table("darts.csv")
    competitors = pd.Categorical(table["competitor"])
    throws = np.column_stack([table["xCoord"], table["yCoord"]])
    return throws, competitors.codes.astype(int), [str(name) for name in competitors.categories]


def darts_regions(submission: Submission, instructor: bool) -> Figure:
    """The regions, with the throws the notebook trained on (its coord_train, once it is a part
    of darts.csv), else every throw of darts.csv."""
    throws, codes, names = _darts()
    what = ""
    try:
        trained = _rows_taken(throws, submission.array("coord_train", ""))
        throws, codes, what = (
            throws[trained],
            codes[trained],
            f"the {int(trained.sum())} throws you trained on",
        )
    except (CheckFailed, ExportError):
        pass  # not exported, or not throws of darts.csv: all of them, and the title says so
    centres = -1 + (np.arange(GRID) + 0.5) * 2 / GRID
    board = np.column_stack([axis.ravel() for axis in np.meshgrid(centres, centres)])
    classes = np.argmax(_predict(submission, board), axis=1).reshape(GRID, GRID)
    given = np.argmax(_predict(submission, throws), axis=1)
    held = data.heldout("darts") if instructor and data.heldout_available() else None
    return plots.regions_plot(classes, throws, codes, given, names, held and (held.x, held.y), what)


def darts_confusion(submission: Submission, instructor: bool) -> Figure:
    _, _, names = _darts()
    held = data.heldout("darts")
    matrix = _confusion(held.y, np.argmax(_predict(submission, held.x), axis=1), len(names))
    return plots.confusion_plot(
        matrix, names, [f"throws of {name}" for name in names], "throws it has never seen"
    )


def parcels(submission: Submission, instructor: bool) -> Figure:
    held = data.heldout("irrigation")
    accuracies = np.mean((_predict(submission, held.x) > 0.5) == (held.y > 0.5), axis=0)
    return plots.parcels_plot(accuracies, len(held.y))


def training(submission: Submission, instructor: bool) -> Figure | None:
    """The training curve of the exercise's model, where the export carries its history."""
    entry = submission.manifest.get("model")
    if not isinstance(entry, dict) or entry.get("kind") != "keras_model":
        return None
    assert submission.run.artifacts is not None  # a Submission of this module has its export
    history = read_history(submission.run.artifacts, entry)
    return history and plots.training_curve(history.epochs, history.curves)


FIGURES: dict[str, tuple[Callable[[Submission, bool], Figure | None], ...]] = {
    "meteor_orbit": (orbits,),
    "dollar_bills": (banknotes, _heldout(banknotes_confusion)),
    "darts": (darts_regions, _heldout(darts_confusion)),
    "irrigation": (_heldout(parcels),),
}
