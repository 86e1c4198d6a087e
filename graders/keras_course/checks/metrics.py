"""The held-out measures the graders judge trained models by, computed with NumPy.

The graders compare these to the thresholds in course.toml; the calibration script
(tools/calibrate.py) computes the same measures over many seeds to set those thresholds.
"""

from __future__ import annotations

import numpy as np

from keras_course.artifacts.saved_model import SavedModel
from keras_course.checks.feedback import fail
from keras_course.checks.shared import predictions
from keras_course.course.data import heldout

MEASURES = {
    "meteor_orbit": "trained_loss",
    "dollar_bills": "heldout_accuracy",
    "darts": "heldout_accuracy",
    "irrigation": "heldout_accuracy",
}
# What each exercise's model gives for one example: a height, a probability, four class
# probabilities, three parcel probabilities.
OUTPUTS = {"meteor_orbit": 1, "dollar_bills": 1, "darts": 4, "irrigation": 3}


def heldout_measure(exercise_id: str, model: SavedModel) -> float:
    """Mean squared error (meteor_orbit) or accuracy (the classifiers) on held-out data."""
    if not model.finite:
        fail(
            "Your model's weights hold NaN or infinite values, so its predictions mean nothing. "
            "Training went wrong: check the data you fit it on and the optimizer's settings.",
            measured="NaN or infinite weights",
        )
    data = heldout(exercise_id)
    predicted = predictions(model, data.x, OUTPUTS[exercise_id], "example")
    if exercise_id == "meteor_orbit":
        return float(np.mean((predicted - data.y) ** 2))
    if exercise_id == "darts":
        return float(np.mean(np.argmax(predicted, axis=1) == data.y))
    return float(np.mean((predicted > 0.5) == (data.y > 0.5)))


def orbit_error(orbit: np.ndarray) -> float:
    """Mean absolute distance of a twenty-minute orbit from the scientists' y = t²."""
    minutes = np.arange(-10, 11)
    return float(np.mean(np.abs(np.asarray(orbit, dtype=float).reshape(-1) - minutes**2)))
