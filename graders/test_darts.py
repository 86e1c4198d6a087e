"""Grader for 'A dart-throwing competition': a softmax network that tells four throwers apart."""

import numpy as np
import pandas as pd
from keras_course.checks.feedback import fail, passed
from keras_course.checks.metrics import heldout_measure
from keras_course.checks.shared import (
    expect_activations,
    expect_compile,
    expect_dense_units,
    expect_input_shape,
    predictions,
)
from keras_course.course.paths import DATASETS

EXERCISE = "darts"


def test_layers(submission):
    """Four Dense layers, with the units of the instructions."""
    passed(expect_dense_units(submission.model(), [128, 64, 32, 4]))


def test_activations(submission):
    """Three relu hidden layers and a softmax output layer."""
    passed(expect_activations(submission.model(), ["relu", "relu", "relu", "softmax"]))


def test_input_shape(submission):
    """The model takes 2 inputs, the coordinates."""
    passed(expect_input_shape(submission.model(), 2))


def test_compile(submission):
    """Compiled with adam, categorical_crossentropy and the accuracy metric."""
    passed(
        expect_compile(
            submission.model(), optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"]
        )
    )


def test_encoding(submission):
    """competitor holds category codes, coordinates the two coordinates, competitors one-hot."""
    original = pd.read_csv(DATASETS / "darts.csv")
    codes = pd.Categorical(original["competitor"]).codes.astype(int)

    column = submission.frame("darts").columns.get("competitor")
    if column is None:
        fail("`darts` has no `competitor` column any more. Keep it: replace it by its codes.")
    if column.dtype in ("object", "str", "string", "category"):
        fail(
            "`darts.competitor` still holds names, not numbers. After making it categorical, "
            "replace it by its codes: `darts.competitor = darts.competitor.cat.codes`."
        )
    if not np.array_equal(column.values.astype(int), codes):
        fail(
            "`darts.competitor` does not hold the category codes of the competitors. Use "
            "`pd.Categorical(darts.competitor)` and then `.cat.codes`."
        )

    columns = list(submission.frame("coordinates").columns)
    if columns != ["xCoord", "yCoord"]:
        fail(
            f"`coordinates` should have the columns xCoord and yCoord; yours has "
            f"{', '.join(columns)}. Drop only the competitor column."
        )

    competitors = submission.array("competitors")
    if competitors.shape != (len(codes), 4):
        fail(
            f"`competitors` should be one-hot, with shape ({len(codes)}, 4); yours has shape "
            f"{competitors.shape}. Use `to_categorical(darts.competitor)`."
        )
    if not np.array_equal(np.argmax(competitors, axis=1), codes):
        fail(
            "`competitors` does not one-hot encode the competitor codes. Use "
            "`to_categorical(darts.competitor)` after replacing the names by their codes."
        )
    passed(
        f"`darts.competitor` holds the codes {sorted(set(column.values.astype(int).tolist()))}, "
        f"`coordinates` has the columns {', '.join(columns)}, and `competitors` is one-hot with "
        f"shape {competitors.shape}."
    )


def test_heldout_accuracy(submission, thresholds):
    """The trained model tells who threw darts it has never seen."""
    accuracy = heldout_measure(EXERCISE, submission.model())
    limit = thresholds["heldout_accuracy"]
    if not accuracy >= limit:
        fail(
            f"On throws your model has never seen, its accuracy is {accuracy:.3f}; it should "
            f"be at least {limit:g}. Check that you fit it on coord_train and "
            "competitors_train for 200 epochs."
        )
    passed(
        f"On throws your model has never seen, its accuracy is {accuracy:.3f} (at least {limit:g} needed)."
    )


def test_predictions(submission):
    """preds_chosen is the argmax of your model's predictions for coords_small_test."""
    coords = submission.array("coords_small_test")
    expected = np.argmax(predictions(submission.model(), coords, 4, "throw"), axis=1)
    chosen = submission.array("preds_chosen")
    if chosen.shape != expected.shape:
        fail(
            f"`preds_chosen` should hold one competitor per throw of coords_small_test, "
            f"{len(expected)} in all; yours holds {chosen.size}. "
            "Use `[np.argmax(pred) for pred in preds]`."
        )
    if not np.array_equal(chosen.astype(int), expected):
        fail(
            f"`preds_chosen` is {chosen.astype(int).tolist()}, but the largest probabilities of "
            f"your model's predictions are at {expected.tolist()}. Pick each with `np.argmax(pred)`."
        )
    passed(
        f"`preds_chosen` is {chosen.astype(int).tolist()}: for each throw of coords_small_test, "
        "the competitor your model gives the largest probability."
    )
