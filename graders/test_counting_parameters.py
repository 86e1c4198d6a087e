"""Grader for 'Counting parameters': Dense(5) relu on 3 inputs, Dense(1), and the hidden count."""

from keras_course.checks.feedback import fail, passed
from keras_course.checks.shared import (
    expect_activations,
    expect_dense_units,
    expect_input_shape,
    expect_parameters,
)

EXERCISE = "counting_parameters"
WRITE_IT = "Write the number itself, for example `hidden_layer_params = 7`."


def test_layers(submission):
    """Two Dense layers, with the units of the instructions."""
    passed(expect_dense_units(submission.model(), [5, 1]))


def test_activations(submission):
    """The hidden layer uses relu and the output layer has no activation."""
    passed(expect_activations(submission.model(), ["relu", None]))


def test_input_shape(submission):
    """The model takes 3 inputs."""
    passed(expect_input_shape(submission.model(), 3))


def test_parameters(submission):
    """The model has the parameters of the network in the instructions."""
    passed(expect_parameters(submission.model(), 26))


def test_hidden_layer_params(submission):
    """hidden_layer_params is the hidden layer's parameter count, weights and biases."""
    value = submission.value("hidden_layer_params", WRITE_IT)
    kind = submission.value_type("hidden_layer_params")
    if isinstance(value, bool) or not isinstance(value, int):
        fail(
            f"`hidden_layer_params` should be a whole number (an int); yours is the {kind} "
            f"{value!r}. {WRITE_IT}"
        )
    if value == 26:
        fail(
            "`hidden_layer_params` is 26, the parameters of the whole model. Count only the "
            "hidden layer: its weights (inputs × units) plus its biases (one per unit)."
        )
    if value == 15:
        fail(
            "`hidden_layer_params` is 15: you counted the weights (3 inputs × 5 units) but not "
            "the biases. Each of the 5 units also has one bias."
        )
    if value != 20:
        fail(
            f"`hidden_layer_params` should be the hidden layer's parameter count; yours is "
            f"{value}. Count its weights (inputs × units) plus its biases (one per unit)."
        )
    passed(f"`hidden_layer_params` is {value}.")
