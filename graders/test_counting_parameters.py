"""Grader for 'Counting parameters': Dense(5) relu on 3 inputs, Dense(1), and the hidden count."""

from keras_course.checks.expected import ExpectedModel
from keras_course.checks.feedback import fail, passed
from keras_course.checks.shared import (
    expect_activations,
    expect_dense_units,
    expect_input_shape,
    expect_parameters,
)

EXERCISE = "counting_parameters"
# The model of the instructions: what the checks below expect, and the report shows beside yours.
MODEL = ExpectedModel(
    inputs=3, units=(5, 1), activations=("relu", None), parameters_asked_by="hidden_layer_params"
)
WRITE_IT = "Write the number itself, for example `hidden_layer_params = 7`."


def test_layers(submission):
    """Two Dense layers, with the units of the instructions."""
    passed(expect_dense_units(submission.model(), MODEL.units))


def test_activations(submission):
    """The hidden layer uses relu and the output layer has no activation."""
    passed(expect_activations(submission.model(), MODEL.activations))


def test_input_shape(submission):
    """The model takes 3 inputs."""
    passed(expect_input_shape(submission.model(), MODEL.inputs))


def test_parameters(submission):
    """The model has the parameters of the network in the instructions."""
    passed(expect_parameters(submission.model(), MODEL.parameters))


def test_hidden_layer_params(submission):
    """hidden_layer_params is the hidden layer's parameter count, weights and biases."""
    value = submission.value("hidden_layer_params", WRITE_IT)
    kind = submission.value_type("hidden_layer_params")
    if isinstance(value, bool) or not isinstance(value, int):
        fail(
            f"`hidden_layer_params` should be a whole number (an int); yours is the {kind} "
            f"{value!r}. {WRITE_IT}",
            measured=f"hidden_layer_params: a {kind}",
        )
    hidden, weights = MODEL.layer_parameters()[0], MODEL.inputs * MODEL.units[0]
    if value == MODEL.parameters:
        fail(
            f"`hidden_layer_params` is {value}, the parameters of the whole model. Count only the "
            "hidden layer: its weights (inputs × units) plus its biases (one per unit).",
            measured=f"hidden_layer_params = {value}",
        )
    if value == weights:
        fail(
            f"`hidden_layer_params` is {value}: you counted the weights ({MODEL.inputs} inputs × "
            f"{MODEL.units[0]} units) but not the biases. Each of the {MODEL.units[0]} units also "
            "has one bias.",
            measured=f"hidden_layer_params = {value}",
        )
    if value != hidden:
        fail(
            f"`hidden_layer_params` should be the hidden layer's parameter count; yours is "
            f"{value}. Count its weights (inputs × units) plus its biases (one per unit).",
            measured=f"hidden_layer_params = {value}",
        )
    passed(f"`hidden_layer_params` is {value}.")
