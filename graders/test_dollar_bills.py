"""Grader for 'Is this dollar bill fake?': a single sigmoid neuron on the four banknote features."""

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
from keras_course.checks.values import expect_rows, rows_in_test_part, rows_not_in
from keras_course.course.data import learner_table

EXERCISE = "dollar_bills"
# The model of the instructions: what the checks below expect, and the report shows beside yours.
MODEL = ExpectedModel(inputs=4, units=(1,), activations=("sigmoid",))
FEATURES = ("variance", "skewness", "curtosis", "entropy")
# What each variable should be, and how to make it: the end of each message about it.
ACCURACY = (
    "It should be your model's accuracy on the test part: `accuracy = model.evaluate(X_test, y_test)[1]`."
)
SPLIT = (
    "Keep the test part that the notebook's split makes: "
    "`X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3)`."
)


def test_layers(submission):
    """One Dense layer, with the units of the instructions."""
    passed(expect_dense_units(submission.model(), MODEL.units))


def test_activations(submission):
    """The output neuron uses sigmoid."""
    passed(expect_activations(submission.model(), MODEL.activations))


def test_input_shape(submission):
    """The model takes the 4 features."""
    passed(expect_input_shape(submission.model(), MODEL.inputs))


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
            "for 20 epochs.",
            measured=f"accuracy {accuracy:.2f}",
        )
    passed(
        f"On bank notes your model has never seen, its accuracy is {accuracy:.3f} "
        f"(at least {limit:g} needed)."
    )


def test_accuracy_variable(submission):
    """`accuracy` is the accuracy of your model on the test part."""
    accuracy = submission.value("accuracy", ACCURACY)
    if isinstance(accuracy, bool) or not isinstance(accuracy, (int, float)):
        fail(
            f"`accuracy` should be a number; yours is a {submission.value_type('accuracy')}. "
            "Take the second item of what evaluate returns: `model.evaluate(X_test, y_test)[1]`."
        )
    x_test, y_test = _test_part(submission)
    probabilities = predictions(submission.model(), x_test, 1, "bank note").reshape(-1)
    expected = float(np.mean((probabilities > 0.5) == y_test))
    if abs(accuracy - expected) > 0.01:
        fail(
            f"`accuracy` is {accuracy:.3f}, but your model's accuracy on X_test is "
            f"{expected:.3f}. Set it with `accuracy = model.evaluate(X_test, y_test)[1]` "
            "after training."
        )
    passed(f"`accuracy` is {accuracy:.3f}, and your model's accuracy on X_test is {expected:.3f}.")


def _test_part(submission) -> tuple[np.ndarray, np.ndarray]:
    """X_test and y_test, once they are the notebook's test part: bank notes of banknotes.csv and
    their classes, as many as its split makes."""
    notes = learner_table("banknotes.csv")
    features = np.column_stack([notes[name] for name in FEATURES])
    count = rows_in_test_part(len(features), 0.3)
    x_test = expect_rows(submission.array("X_test", SPLIT), "X_test", features, count, "banknotes.csv", SPLIT)
    y_test = submission.array("y_test", SPLIT)
    if y_test.shape not in ((count,), (count, 1)):
        fail(
            f"`y_test` should hold the class of each of the {count} bank notes of X_test; yours "
            f"has shape {y_test.shape}. {SPLIT}"
        )
    y_test = y_test.reshape(-1)
    notes_and_classes = np.column_stack([features, notes["class"]])
    wrong = rows_not_in(np.column_stack([x_test, y_test]), notes_and_classes)
    if wrong:
        fail(
            f"`y_test` should hold the class of each bank note of X_test; {len(wrong)} of its {count} "
            f"classes are not those of banknotes.csv, the first is row {wrong[0]}: "
            f"{y_test[wrong[0]]:g}. {SPLIT}"
        )
    return x_test, y_test
