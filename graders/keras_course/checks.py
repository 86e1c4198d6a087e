"""The checks that several exercises share: layers, activations, input shape, parameters, compile.

Each helper fails with a message that says what was expected, what the learner's model has,
and which argument of which line to fix. The graders in graders/test_<id>.py call these with
the exercise's own expected values, so the expected values stay in the grader file.
"""

from __future__ import annotations

from keras_course.feedback import fail, ordinal, plural
from keras_course.saved_model import SavedModel, snake_case

LOSS_ALIASES = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "bce": "binary_crossentropy",
    "cce": "categorical_crossentropy",
}
ACCURACY_NAMES = {"accuracy", "acc", "binary_accuracy", "categorical_accuracy"}


def _dense_layers(model: SavedModel) -> list:
    return [layer for layer in model.layers if layer.class_name != "Dropout"]


def expect_dense_units(model: SavedModel, units: list[int]) -> None:
    """The model is a stack of len(units) Dense layers with these units, in order."""
    layers = _dense_layers(model)
    if len(layers) != len(units):
        fail(
            f"Your model should have {plural(len(units), 'Dense layer')}; "
            f"yours has {plural(len(layers), 'layer')}. "
            "Add one Dense layer for each layer in the instructions."
        )
    for number, (layer, expected) in enumerate(zip(layers, units, strict=True), start=1):
        if layer.class_name != "Dense":
            fail(f"Layer {number} should be a Dense layer; yours is a {layer.class_name}.")
        if layer.units != expected:
            fail(
                f"Layer {number} should have {plural(expected, 'unit')}; yours has {layer.units}. "
                f"Check the first argument of your {ordinal(number)} Dense layer."
            )


def _shown(activation: str | None) -> str:
    return "no activation" if activation in (None, "linear") else f"activation='{activation}'"


def expect_activations(model: SavedModel, activations: list[str | None]) -> None:
    """Layer by layer, the activations match; None means no activation (linear)."""
    for number, (layer, expected) in enumerate(zip(_dense_layers(model), activations, strict=False), start=1):
        found = None if layer.activation == "linear" else layer.activation
        if found == expected:
            continue
        if expected is None:
            fix = f"Remove the `activation=` argument of your {ordinal(number)} Dense layer."
        else:
            fix = f"Check the `activation=` argument of your {ordinal(number)} Dense layer."
        fail(f"Layer {number} should have {_shown(expected)}; yours has {_shown(found)}. {fix}")


def expect_input_shape(model: SavedModel, inputs: int) -> None:
    """The model takes `inputs` features per example."""
    hint = f"`input_shape=({inputs},)` in your first Dense layer, or `keras.Input(shape=({inputs},))`"
    if model.input_shape is None:
        fail(f"Your model does not know the shape of its input. Give it {hint}.")
    if tuple(model.input_shape) != (inputs,):
        shape = ", ".join("None" if d is None else str(d) for d in model.input_shape)
        fail(
            f"Your model should take {plural(inputs, 'input')}, with input shape ({inputs},); "
            f"yours has input shape ({shape}{',' if len(model.input_shape) == 1 else ''}). "
            f"Use {hint}."
        )


def expect_parameters(model: SavedModel, count: int) -> None:
    """The built model has exactly `count` parameters."""
    if not model.built:
        fail(
            "Your model has not been built, so it has no parameters yet. "
            "Give the first layer an input shape; then model.summary() shows the count."
        )
    found = model.count_params()
    if found != count:
        fail(
            f"Your model should have {count} parameters; yours has {found}. "
            "model.summary() lists them by layer: check the units and the input shape."
        )


def _name(raw: object) -> str:
    if isinstance(raw, dict):
        config = raw.get("config") if isinstance(raw.get("config"), dict) else {}
        raw = raw.get("class_name") or config.get("name") or ""
    name = snake_case(str(raw))
    return LOSS_ALIASES.get(name, name)


def expect_compiled(model: SavedModel) -> dict:
    """The model was compiled; returns its compile settings."""
    if not model.compile_config:
        fail(
            "Your model was not compiled. Call `model.compile(optimizer=..., loss=..., "
            "metrics=...)` before training it."
        )
    return model.compile_config


def expect_compile(model: SavedModel, optimizer: str, loss: str, metrics: list[str] | None = None) -> None:
    """The model was compiled with this optimizer, loss and (if given) accuracy metric."""
    config = expect_compiled(model)
    found_optimizer = _name(config.get("optimizer"))
    if found_optimizer != optimizer:
        fail(
            f"Your model should be compiled with optimizer='{optimizer}'; yours uses "
            f"'{found_optimizer}'. Check the `optimizer=` argument of model.compile."
        )
    found_loss = _name(config.get("loss"))
    if found_loss != _name(loss):
        fail(
            f"Your model should be compiled with loss='{loss}'; yours uses '{found_loss}'. "
            "Check the `loss=` argument of model.compile."
        )
    if metrics:
        found = [_name(m) for m in (config.get("metrics") or [])]
        if not ACCURACY_NAMES.intersection(found):
            shown = ", ".join(f"'{m}'" for m in found) or "none"
            fail(
                f"Your model should track metrics={metrics!r}; yours tracks {shown}. "
                "Check the `metrics=` argument of model.compile."
            )
