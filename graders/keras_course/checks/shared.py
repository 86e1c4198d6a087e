"""The checks that several exercises share: layers, activations, input shape, parameters,
compile, and the model's predictions.

Each helper fails with a message that says what was expected, what the learner's model has,
and which argument of which line to fix, and with the value it found in a few words (measured=,
"layer 2: 32 units"), by which the class dashboard counts a class's failures. When it passes,
it returns what it measured on the learner's model, in a sentence for the ✓ feedback (the
graders hand it to feedback.passed). The graders in graders/test_<id>.py call these with the
exercise's own expected values, so the expected values stay in the grader file. Every helper
that reads the model fails first on a model without layers: nothing passes on what is not there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from keras_course.artifacts.saved_model import Layer, SavedModel
from keras_course.checks.feedback import fail, ordinal, plural
from keras_course.course.errors import ExportError

LOSS_ALIASES = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "bce": "binary_crossentropy",
    "cce": "categorical_crossentropy",
}
ACCURACY_NAMES = {"accuracy", "acc", "binary_accuracy", "categorical_accuracy"}


def _layers(model: SavedModel) -> list[Layer]:
    """The layers that compute (Dropout passes its input on); fails when there are none."""
    layers = [layer for layer in model.layers if layer.class_name != "Dropout"]
    if not layers:
        fail(
            "Your model has no layers. Add the layers of the instructions with "
            "`model.add(Dense(...))`; if the cell that adds them stopped with an error, fix that first.",
            measured="no layers",
        )
    return layers


def _dense_stack(model: SavedModel, count: int) -> list[Layer]:
    """Exactly `count` layers, each of them Dense."""
    layers = _layers(model)
    if len(layers) != count:
        fail(
            f"Your model should have {plural(count, 'Dense layer')}; "
            f"yours has {plural(len(layers), 'layer')}. "
            "Add one Dense layer for each layer in the instructions.",
            measured=plural(len(layers), "layer"),
        )
    for number, layer in enumerate(layers, start=1):
        if layer.class_name != "Dense":
            fail(
                f"Layer {number} should be a Dense layer; yours is a {layer.class_name} layer. "
                f"Make your {ordinal(number)} layer `Dense(...)`.",
                measured=f"layer {number}: {layer.class_name}",
            )
    return layers


def expect_dense_units(model: SavedModel, units: Sequence[int]) -> str:
    """The model is a stack of len(units) Dense layers with these units, in order."""
    layers = _dense_stack(model, len(units))
    for number, (layer, expected) in enumerate(zip(layers, units, strict=True), start=1):
        if layer.units != expected:
            fail(
                f"Layer {number} should have {plural(expected, 'unit')}; yours has {layer.units}. "
                f"Check the first argument of your {ordinal(number)} Dense layer.",
                measured=f"layer {number}: {plural(layer.units, 'unit')}",
            )
    return "Layers: " + ", ".join(f"Dense({layer.units})" for layer in layers) + "."


def _shown(activation: str | None) -> str:
    return "no activation" if activation in (None, "linear") else f"activation='{activation}'"


def expect_activations(model: SavedModel, activations: Sequence[str | None]) -> str:
    """Layer by layer, the activations match; None means no activation (linear)."""
    layers = _dense_stack(model, len(activations))
    for number, (layer, expected) in enumerate(zip(layers, activations, strict=True), start=1):
        found = None if layer.activation == "linear" else layer.activation
        if found == expected:
            continue
        if expected is None:
            fix = f"Remove the `activation=` argument of your {ordinal(number)} Dense layer."
        else:
            fix = f"Check the `activation=` argument of your {ordinal(number)} Dense layer."
        fail(
            f"Layer {number} should have {_shown(expected)}; yours has {_shown(found)}. {fix}",
            measured=f"layer {number}: {found or 'no activation'}",
        )
    found = [
        layer.activation if layer.activation not in (None, "linear") else "no activation" for layer in layers
    ]
    return "Activations, layer by layer: " + ", ".join(found) + "."


def _shape_text(shape: tuple) -> str:
    dims = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({dims},)" if len(shape) == 1 else f"({dims})"


def expect_input_shape(model: SavedModel, inputs: int) -> str:
    """The model takes `inputs` features per example."""
    _layers(model)
    hint = f"`input_shape=({inputs},)` in your first Dense layer, or `keras.Input(shape=({inputs},))`"
    if model.input_shape is None:
        fail(f"Your model does not know the shape of its input. Give it {hint}.", measured="no input shape")
    if tuple(model.input_shape) != (inputs,):
        fail(
            f"Your model should take {plural(inputs, 'input')}, with input shape ({inputs},); "
            f"yours has input shape {_shape_text(model.input_shape)}. Use {hint}.",
            measured=f"input shape {_shape_text(model.input_shape)}",
        )
    return f"The model takes input shape {_shape_text(model.input_shape)}."


def expect_parameters(model: SavedModel, count: int) -> str:
    """The built model has exactly `count` parameters."""
    _layers(model)
    if not model.built:
        fail(
            "Your model has not been built, so it has no parameters yet. "
            "Give the first layer an input shape; then model.summary() shows the count.",
            measured="not built",
        )
    found = model.count_params()
    if found != count:
        fail(
            f"Your model should have {count} parameters; yours has {found}. "
            "model.summary() lists them by layer: check the units and the input shape.",
            measured=f"{found} parameters",
        )
    return f"The model has {found} parameters."


def _snake_case(name: str) -> str:
    """`BinaryCrossentropy` as `binary_crossentropy`, the way Keras names its classes' objects."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def _name(raw: object) -> str:
    """A loss's, metric's or optimizer's name as model.compile takes it. Keras writes a name given
    as text as it was given, an object as {"class_name": "<its class>", ...}, and a learner's own
    function as {"class_name": "function", "config": "<its name>"}."""
    if isinstance(raw, dict):
        config = raw.get("config")
        raw = config if isinstance(config, str) else raw.get("class_name")
    name = _snake_case(str(raw))
    return LOSS_ALIASES.get(name, name)


def expect_compiled(model: SavedModel) -> dict:
    """The model was compiled; returns its compile settings."""
    if not model.compile_config:
        fail(
            "Your model was not compiled. Call `model.compile(optimizer=..., loss=..., "
            "metrics=...)` before training it.",
            measured="not compiled",
        )
    return model.compile_config


def expect_compile(model: SavedModel, optimizer: str, loss: str, metrics: list[str] | None = None) -> str:
    """The model was compiled with this optimizer, loss and (if given) accuracy metric."""
    _layers(model)
    config = expect_compiled(model)
    found_optimizer = _name(config.get("optimizer"))
    if found_optimizer != optimizer:
        fail(
            f"Your model should be compiled with optimizer='{optimizer}'; yours uses "
            f"'{found_optimizer}'. Check the `optimizer=` argument of model.compile.",
            measured=f"optimizer '{found_optimizer}'",
        )
    found_loss = _name(config.get("loss"))
    if found_loss != _name(loss):
        fail(
            f"Your model should be compiled with loss='{loss}'; yours uses '{found_loss}'. "
            "Check the `loss=` argument of model.compile.",
            measured=f"loss '{found_loss}'",
        )
    measured = f"Compiled with optimizer '{found_optimizer}' and loss '{found_loss}'"
    if metrics:
        raw = config.get("metrics")
        found = [_name(m) for m in raw] if isinstance(raw, list) else []
        if not ACCURACY_NAMES.intersection(found):
            shown = ", ".join(f"'{m}'" for m in found) or "none"
            fail(
                f"Your model should track metrics={metrics!r}; yours tracks {shown}. "
                "Check the `metrics=` argument of model.compile.",
                measured=f"metrics: {shown}",
            )
        measured += ", tracking " + ", ".join(f"'{m}'" for m in found)
    return measured + "."


def predictions(model: SavedModel, x: np.ndarray, outputs: int, example: str) -> np.ndarray:
    """The model's predictions for x, one row per example, computed by the grader with NumPy.

    Fails unless the model can take x and gives `outputs` numbers for each `example`: a model
    cut short or with a layer too many is not judged on the outputs it happens to have.
    """
    layers = _layers(model)
    x = np.asarray(x)  # converted to floats by the pass, once it fits in its budget
    if x.ndim == 1:
        x = x.reshape(-1, 1)
    if not model.built:
        fail(
            "Your model has not been built, so it has no weights to predict with. "
            "Give the first layer an input shape and train the model.",
            measured="not built",
        )
    first = layers[0]
    if first.class_name == "Dense" and first.weights and first.weights[0].shape[0] != x.shape[1]:
        fail(
            f"Your model takes {plural(first.weights[0].shape[0], 'input')}, but each {example} "
            f"has {x.shape[1]}. Check the input shape of your first Dense layer.",
            measured=plural(first.weights[0].shape[0], "input"),
        )
    try:
        out = model.predict(x)
    except ExportError as exc:
        fail(f"The grader cannot compute your model's predictions: {exc}.", measured=str(exc))
    if out.shape[1] != outputs:
        fail(
            f"Your model gives {plural(out.shape[1], 'output')} for each {example}; it should give "
            f"{outputs}. Check the units of your last Dense layer.",
            measured=plural(out.shape[1], "output"),
        )
    return out
