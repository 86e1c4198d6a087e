"""Grader for 'An irrigation machine': a multi-label network with one sigmoid output per parcel."""

import numpy as np
from keras_course.checks import (
    expect_activations,
    expect_compile,
    expect_dense_units,
    expect_input_shape,
)
from keras_course.feedback import fail
from keras_course.metrics import heldout_measure

EXERCISE = "irrigation"


def test_layers(submission):
    """Two Dense layers, with 64 and 3 units."""
    expect_dense_units(submission.model(), [64, 3])


def test_activations(submission):
    """A relu hidden layer and a sigmoid output layer."""
    expect_activations(submission.model(), ["relu", "sigmoid"])


def test_input_shape(submission):
    """The model takes the 20 sensor readings."""
    expect_input_shape(submission.model(), 20)


def test_compile(submission):
    """Compiled with adam, binary_crossentropy and the accuracy metric."""
    expect_compile(submission.model(), optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])


def test_heldout_accuracy(submission, thresholds):
    """The trained model decides well for sensor readings it has never seen."""
    accuracy = heldout_measure(EXERCISE, submission.model())
    limit = thresholds["heldout_accuracy"]
    if not accuracy >= limit:
        fail(
            f"On sensor readings your model has never seen, its accuracy is {accuracy:.3f}; it "
            f"should be at least {limit:g}. Check that you fit it on sensors_train and "
            "parcels_train for 100 epochs."
        )


def test_rounded_predictions(submission):
    """preds_rounded has one row of three 0/1 labels per test example."""
    rounded = submission.array("preds_rounded")
    rows = len(submission.array("sensors_test"))
    if rounded.shape != (rows, 3):
        fail(
            f"`preds_rounded` should have shape ({rows}, 3), one row per test example and one "
            f"column per parcel; yours has shape {rounded.shape}. "
            "Use `np.round(model.predict(sensors_test))`."
        )
    if not np.isin(rounded, (0, 1)).all():
        fail(
            "`preds_rounded` should hold only 0 and 1; yours holds other values. "
            "Round the predicted probabilities with `np.round`."
        )
