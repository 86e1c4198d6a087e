"""Grader for 'Hello nets!': a Dense(10) relu layer on 2 inputs, then a Dense(1) output."""

from keras_course.checks.expected import ExpectedModel
from keras_course.checks.feedback import passed
from keras_course.checks.shared import (
    expect_activations,
    expect_dense_units,
    expect_input_shape,
    expect_parameters,
)

EXERCISE = "hello_nets"
# The model of the instructions: what the checks below expect, and the report shows beside yours.
MODEL = ExpectedModel(inputs=2, units=(10, 1), activations=("relu", None))


def test_layers(submission):
    """Two Dense layers, with the units of the instructions."""
    passed(expect_dense_units(submission.model(), MODEL.units))


def test_activations(submission):
    """The hidden layer uses relu and the output layer has no activation."""
    passed(expect_activations(submission.model(), MODEL.activations))


def test_input_shape(submission):
    """The model takes 2 inputs."""
    passed(expect_input_shape(submission.model(), MODEL.inputs))


def test_parameters(submission):
    """The model has the parameters of the network in the instructions."""
    passed(expect_parameters(submission.model(), MODEL.parameters))
