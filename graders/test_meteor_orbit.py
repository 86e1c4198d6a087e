"""Grader for 'Surviving a meteor strike': a regression network that learns the orbit y = t²."""

import numpy as np
from keras_course.checks.expected import ExpectedModel
from keras_course.checks.feedback import fail, passed
from keras_course.checks.metrics import heldout_measure, orbit_error
from keras_course.checks.shared import (
    expect_activations,
    expect_compile,
    expect_dense_units,
    expect_input_shape,
    predictions,
)

EXERCISE = "meteor_orbit"
# The model of the instructions: what the checks below expect, and the report shows beside yours.
MODEL = ExpectedModel(inputs=1, units=(50, 50, 50, 1), activations=("relu", "relu", "relu", None))
# What each variable should be, and how to make it: the end of each message about it.
TWENTY = "It should be your model's predictions: `twenty_min_orbit = model.predict(np.arange(-10, 11))`."
EIGHTY = "It should be your model's predictions: `model.predict(np.arange(-40, 41))`."


def test_layers(submission):
    """Four Dense layers, with the units of the instructions."""
    passed(expect_dense_units(submission.model(), MODEL.units))


def test_activations(submission):
    """Three relu hidden layers and an output layer with no activation."""
    passed(expect_activations(submission.model(), MODEL.activations))


def test_input_shape(submission):
    """The model takes 1 input, the time step."""
    passed(expect_input_shape(submission.model(), MODEL.inputs))


def test_compile(submission):
    """Compiled with the adam optimizer and the mse loss."""
    passed(expect_compile(submission.model(), optimizer="adam", loss="mse"))


def test_trained_loss(submission, thresholds):
    """The trained model follows the orbit between the measured time steps."""
    loss = heldout_measure(EXERCISE, submission.model())
    limit = thresholds["trained_loss"]
    if not loss <= limit:
        fail(
            f"Your trained model's mean squared error on time steps between the measured ones "
            f"is {loss:.3g}; it should be at most {limit:g}. Check that you fit the model on "
            "time_steps and y_positions for 30 epochs.",
            measured=f"mean squared error {loss:.2g}",
        )
    passed(
        f"Your trained model's mean squared error on time steps between the measured ones is "
        f"{loss:.3g} (at most {limit:g} allowed)."
    )


def _orbit_shape(orbit: np.ndarray, name: str, minutes: int, fix: str) -> str:
    """What the orbit's shape is, once it is one prediction per minute."""
    if orbit.shape != (minutes, 1):
        fail(
            f"`{name}` should have shape ({minutes}, 1), one prediction per minute; yours "
            f"has shape {orbit.shape}. {fix}"
        )
    return f"`{name}` has shape {orbit.shape}"


def test_orbit_shapes(submission):
    """twenty_min_orbit and eighty_min_orbit hold one prediction per minute."""
    twenty = _orbit_shape(submission.array("twenty_min_orbit", TWENTY), "twenty_min_orbit", 21, TWENTY)
    eighty = _orbit_shape(submission.array("eighty_min_orbit", EIGHTY), "eighty_min_orbit", 81, EIGHTY)
    passed(f"{twenty} and {eighty}.")


def test_twenty_min_orbit(submission, thresholds):
    """twenty_min_orbit is your model's prediction and lies close to y = t²."""
    orbit = submission.array("twenty_min_orbit", TWENTY).astype(float).reshape(-1)
    minutes = np.arange(-10, 11)
    if orbit.shape != minutes.shape:
        fail(f"`twenty_min_orbit` should hold 21 predictions; yours holds {orbit.size}. {TWENTY}")
    own = predictions(submission.model(), minutes, 1, "minute").reshape(-1)
    if not np.allclose(orbit, own, rtol=1e-3, atol=1e-2):
        fail(
            "`twenty_min_orbit` is not what your model predicts for minutes -10 to 10. "
            "Set it with `twenty_min_orbit = model.predict(np.arange(-10, 11))`."
        )
    error = orbit_error(orbit)
    limit = thresholds["twenty_min_orbit"]
    if not error <= limit:
        fail(
            f"Your twenty-minute orbit is on average {error:.3g} away from the scientists' "
            f"orbit y = t²; it should be at most {limit:g}. Train the model for 30 epochs first.",
            measured=f"{error:.2g} away on average",
        )
    passed(
        f"`twenty_min_orbit` is what your model predicts, on average {error:.3g} away from the "
        f"scientists' orbit y = t² (at most {limit:g} allowed)."
    )
