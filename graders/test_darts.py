"""Grader for 'A dart-throwing competition': a softmax network that tells four throwers apart."""

import numpy as np
import pandas as pd
from keras_course.checks.expected import ExpectedModel
from keras_course.checks.feedback import fail, passed, plural
from keras_course.checks.metrics import heldout_measure
from keras_course.checks.shared import (
    expect_activations,
    expect_compile,
    expect_dense_units,
    expect_input_shape,
    predictions,
)
from keras_course.checks.values import expect_rows
from keras_course.course.data import learner_table

EXERCISE = "darts"
# The model of the instructions: what the checks below expect, and the report shows beside yours.
MODEL = ExpectedModel(inputs=2, units=(128, 64, 32, 4), activations=("relu", "relu", "relu", "softmax"))
# What each variable should be, and how to make it: the end of each message about it.
READ_DARTS = 'Read it with `darts = pd.read_csv("darts.csv")` and keep every throw.'
DROP = 'Drop only the competitor column: `darts.drop(["competitor"], axis=1)`.'
ONE_HOT = "It should be the one-hot competitors: `to_categorical(darts.competitor)`."
SMALL_TEST = "It should be the first 5 test throws: `coords_small_test = coord_test[:5]`."
PICK = "Pick the competitor of each prediction: `[np.argmax(pred) for pred in preds]`."


def test_layers(submission):
    """Four Dense layers, with the units of the instructions."""
    passed(expect_dense_units(submission.model(), MODEL.units))


def test_activations(submission):
    """Three relu hidden layers and a softmax output layer."""
    passed(expect_activations(submission.model(), MODEL.activations))


def test_input_shape(submission):
    """The model takes 2 inputs, the coordinates."""
    passed(expect_input_shape(submission.model(), MODEL.inputs))


def test_compile(submission):
    """Compiled with adam, categorical_crossentropy and the accuracy metric."""
    passed(
        expect_compile(
            submission.model(), optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"]
        )
    )


def test_encoding(submission):
    """competitor holds category codes, coordinates the two coordinates, competitors one-hot."""
    codes = pd.Categorical(learner_table("darts.csv")["competitor"]).codes.astype(int)
    found = _competitor_codes(submission, codes)
    columns = _coordinates(submission)
    shape = _one_hot(submission, codes)
    passed(
        f"`darts.competitor` holds the codes {found}, `coordinates` has the columns {columns}, and "
        f"`competitors` is one-hot with shape {shape}."
    )


def _competitor_codes(submission, codes: np.ndarray) -> list[int]:
    """The codes that `darts.competitor` holds, once they are those of darts.csv's competitors."""
    frame = submission.frame("darts", READ_DARTS, text=("competitor",))
    if frame.rows != len(codes):
        fail(
            f"`darts` should hold the {len(codes)} throws of darts.csv; yours holds "
            f"{plural(frame.rows, 'row')}. {READ_DARTS}"
        )
    column = frame.columns.get("competitor")
    if column is None:
        fail("`darts` has no `competitor` column any more. Keep it: replace it by its codes.")
    if column.dtype in ("object", "str", "string", "category"):
        fail(
            "`darts.competitor` still holds names, not numbers. After making it categorical, "
            "replace it by its codes: `darts.competitor = darts.competitor.cat.codes`."
        )
    if not np.array_equal(column.values, codes):
        fail(
            "`darts.competitor` does not hold the category codes of the competitors. Use "
            "`pd.Categorical(darts.competitor)` and then `.cat.codes`."
        )
    return sorted(set(column.values.astype(int).tolist()))


def _coordinates(submission) -> str:
    """The columns of `coordinates`, once it holds the throws of darts.csv, in its order."""
    columns = list(submission.frame("coordinates", DROP).columns)
    if columns != ["xCoord", "yCoord"]:
        fail(
            f"`coordinates` should have the columns xCoord and yCoord; yours has "
            f"{', '.join(columns)}. Drop only the competitor column."
        )
    coordinates, throws = submission.array("coordinates", DROP), _throws()
    if coordinates.shape != throws.shape:
        fail(
            f"`coordinates` should hold the {len(throws)} throws of darts.csv; yours holds "
            f"{len(coordinates)}. {DROP}"
        )
    moved = int((~np.isclose(coordinates, throws, rtol=1e-9, atol=0).all(axis=1)).sum())
    if moved:
        fail(
            f"`coordinates` should hold the xCoord and yCoord of each throw of darts.csv, in its order; "
            f"{moved} of its {len(throws)} rows differ. {DROP}"
        )
    return ", ".join(columns)


def _one_hot(submission, codes: np.ndarray) -> tuple[int, ...]:
    """The shape of `competitors`, once it one-hot encodes the codes."""
    competitors = submission.array("competitors", ONE_HOT)
    if competitors.shape != (len(codes), 4):
        fail(
            f"`competitors` should be one-hot, with shape ({len(codes)}, 4); yours has shape "
            f"{competitors.shape}. Use `to_categorical(darts.competitor)`."
        )
    if not np.array_equal(competitors, np.eye(4)[codes]):
        fail(
            "`competitors` does not one-hot encode the competitor codes. Use "
            "`to_categorical(darts.competitor)` after replacing the names by their codes."
        )
    return competitors.shape


def _throws() -> np.ndarray:
    """The throws of darts.csv: xCoord and yCoord, row by row."""
    darts = learner_table("darts.csv")
    return np.column_stack([darts["xCoord"], darts["yCoord"]])


def test_heldout_accuracy(submission, thresholds):
    """The trained model tells who threw darts it has never seen."""
    accuracy = heldout_measure(EXERCISE, submission.model())
    limit = thresholds["heldout_accuracy"]
    if not accuracy >= limit:
        fail(
            f"On throws your model has never seen, its accuracy is {accuracy:.3f}; it should "
            f"be at least {limit:g}. Check that you fit it on coord_train and "
            "competitors_train for 200 epochs.",
            measured=f"accuracy {accuracy:.2f}",
        )
    passed(
        f"On throws your model has never seen, its accuracy is {accuracy:.3f} (at least {limit:g} needed)."
    )


def test_predictions(submission):
    """preds_chosen is the argmax of your model's predictions for coords_small_test."""
    throws = _throws()
    model = submission.model()
    coords = submission.array("coords_small_test", SMALL_TEST)
    expect_rows(coords, "coords_small_test", throws, 5, "darts.csv", SMALL_TEST)
    expected = np.argmax(predictions(model, coords, 4, "throw"), axis=1)
    chosen = submission.array("preds_chosen", PICK)
    if chosen.shape != expected.shape:
        fail(
            f"`preds_chosen` should hold one competitor per throw of coords_small_test, "
            f"{len(expected)} in all; yours holds {chosen.size}. {PICK}"
        )
    if not np.array_equal(chosen, expected):
        fail(
            f"`preds_chosen` is {_shown(chosen)}, but the largest probabilities of "
            f"your model's predictions are at {expected.tolist()}. Pick each with `np.argmax(pred)`."
        )
    passed(
        f"`preds_chosen` is {chosen.astype(int).tolist()}: for each throw of coords_small_test, "
        "the competitor your model gives the largest probability."
    )


def _shown(values: np.ndarray) -> list:
    """The values as the learner would write them: whole numbers without a decimal point."""
    return values.astype(int).tolist() if np.array_equal(values, values.astype(int)) else values.tolist()
