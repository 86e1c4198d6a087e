"""Grader for 'Is this dollar bill fake?': a single sigmoid neuron on the four banknote features."""

import numpy as np
from keras_course.checks.feedback import fail, passed
from keras_course.checks.metrics import heldout_measure
from keras_course.checks.shared import (
    expect_activations,
    expect_compile,
    expect_dense_units,
    expect_input_shape,
    predictions,
)

EXERCISE = "dollar_bills"


def test_layers(submission):
    """One Dense layer, with the units of the instructions."""
    passed(expect_dense_units(submission.model(), [1]))


def test_activations(submission):
    """The output neuron uses sigmoid."""
    passed(expect_activations(submission.model(), ["sigmoid"]))


def test_input_shape(submission):
    """The model takes the 4 features."""
    passed(expect_input_shape(submission.model(), 4))


def test_compile(submission):
    """Compiled with sgd, binary_crossentropy and the accuracy metric."""
    passed(
        expect_compile(submission.model(), optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    )


def test_heldout_accuracy(submission, thresholds):
    """The trained model classifies bank notes it has never seen."""
    accuracy = heldout_measure(EXERCISE, submission.model())
    limit = thresholds["heldout_accuracy"]
    if not accuracy >= limit:
        fail(
            f"On bank notes your model has never seen, its accuracy is {accuracy:.3f}; it "
            f"should be at least {limit:g}. Check that you fit it on X_train and y_train "
            "for 20 epochs."
        )
    passed(
        f"On bank notes your model has never seen, its accuracy is {accuracy:.3f} "
        f"(at least {limit:g} needed)."
    )


def test_accuracy_variable(submission):
    """`accuracy` is the accuracy of your model on the test part."""
    accuracy = submission.value("accuracy")
    if isinstance(accuracy, bool) or not isinstance(accuracy, (int, float)):
        fail(
            f"`accuracy` should be a number; yours is a {submission.value_type('accuracy')}. "
            "Take the second item of what evaluate returns: `model.evaluate(X_test, y_test)[1]`."
        )
    x_test = submission.array("X_test")
    y_test = submission.array("y_test").astype(float).reshape(-1)
    probabilities = predictions(submission.model(), x_test, 1, "bank note").reshape(-1)
    expected = float(np.mean((probabilities > 0.5) == y_test))
    if abs(accuracy - expected) > 0.01:
        fail(
            f"`accuracy` is {accuracy:.3f}, but your model's accuracy on X_test is "
            f"{expected:.3f}. Set it with `accuracy = model.evaluate(X_test, y_test)[1]` "
            "after training."
        )
    passed(f"`accuracy` is {accuracy:.3f}, and your model's accuracy on X_test is {expected:.3f}.")
