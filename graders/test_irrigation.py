"""Grader for 'An irrigation machine': a multi-label network with one sigmoid output per parcel."""

import numpy as np
from keras_course.checks.expected import ExpectedModel
from keras_course.checks.feedback import fail, passed
from keras_course.checks.metrics import heldout_measure
from keras_course.checks.shared import (
    expect_activations,
    expect_compile,
    expect_dense_units,
    expect_input_shape,
    predictions,
)
from keras_course.checks.values import expect_rows, rows_in_test_part
from keras_course.course.data import learner_table

EXERCISE = "irrigation"
# The model of the instructions: what the checks below expect, and the report shows beside yours.
MODEL = ExpectedModel(inputs=20, units=(64, 3), activations=("relu", "sigmoid"))
# What each variable should be, and how to make it: the end of each message about it.
SPLIT = (
    "Keep the test part that the notebook's split makes: `sensors_train, sensors_test, parcels_train, "
    "parcels_test = train_test_split(sensors, parcels, test_size=0.3)`."
)
ROUND = (
    "Round your model's predictions for sensors_test: "
    "`preds_rounded = np.round(model.predict(sensors_test))`."
)


def test_layers(submission):
    """Two Dense layers, with the units of the instructions."""
    passed(expect_dense_units(submission.model(), MODEL.units))


def test_activations(submission):
    """A relu hidden layer and a sigmoid output layer."""
    passed(expect_activations(submission.model(), MODEL.activations))


def test_input_shape(submission):
    """The model takes the 20 sensor readings."""
    passed(expect_input_shape(submission.model(), MODEL.inputs))


def test_compile(submission):
    """Compiled with adam, binary_crossentropy and the accuracy metric."""
    passed(
        expect_compile(submission.model(), optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    )


def test_heldout_accuracy(submission, thresholds):
    """The trained model decides well for sensor readings it has never seen."""
    accuracy = heldout_measure(EXERCISE, submission.model())
    limit = thresholds["heldout_accuracy"]
    if not accuracy >= limit:
        fail(
            f"On sensor readings your model has never seen, its accuracy is {accuracy:.3f}; it "
            f"should be at least {limit:g}. Check that you fit it on sensors_train and "
            "parcels_train for 100 epochs.",
            measured=f"accuracy {accuracy:.2f}",
        )
    passed(
        f"On sensor readings your model has never seen, its accuracy is {accuracy:.3f} "
        f"(at least {limit:g} needed)."
    )


def test_rounded_predictions(submission):
    """preds_rounded holds your model's predictions for sensors_test, rounded to 0 or 1."""
    irrigation = learner_table("irrigation_machine.csv")
    readings = np.column_stack([irrigation[f"sensor_{i}"] for i in range(20)])
    rows = rows_in_test_part(len(readings), 0.3)
    sensors_test = submission.array("sensors_test", SPLIT)
    expect_rows(sensors_test, "sensors_test", readings, rows, "irrigation_machine.csv", SPLIT)
    rounded = submission.array("preds_rounded", ROUND)
    if rounded.shape != (rows, 3):
        fail(
            f"`preds_rounded` should have shape ({rows}, 3), one row per test example and one "
            f"column per parcel; yours has shape {rounded.shape}. {ROUND}"
        )
    if not np.isin(rounded, (0, 1)).all():
        fail(
            "`preds_rounded` should hold only 0 and 1; yours holds other values. "
            "Round the predicted probabilities with `np.round`."
        )
    probabilities = predictions(submission.model(), sensors_test, 3, "test example")
    # Keras computes in float32 and the grader in float64: a probability within 0.001 of 0.5
    # may round either way.
    differ = (rounded != np.round(probabilities)) & (np.abs(probabilities - 0.5) > 1e-3)
    if differ.any():
        fail(
            f"`preds_rounded` differs from your model's rounded predictions in "
            f"{int(differ.any(axis=1).sum())} of its {rows} rows. "
            "Use `np.round(model.predict(sensors_test))` after training."
        )
    passed(
        f"`preds_rounded` has shape {rounded.shape}, holds only 0 and 1, and is your model's "
        "rounded predictions for sensors_test."
    )
