"""The learner's model beside the expected one (the grader's MODEL, checks/expected.py), layer
by layer, for the HTML report: the layers compared as the checks compare them (Dropout passes
its input on and is left out), each layer's parameters counted from its saved weights."""

from __future__ import annotations

from keras_course.artifacts.saved_model import Layer, SavedModel
from keras_course.checks.expected import ExpectedModel
from keras_course.checks.shared import _shape_text
from keras_course.report.model_table import LayerRow, LayerSpec, ModelTable

NOT_COMPARED = {"Dropout"}  # as shared._layers: they compute nothing


def found_layer(layer: Layer) -> LayerSpec:
    """A layer of the learner's model as the report shows it, counted from its weights."""
    dense = layer.class_name == "Dense" and not layer.custom
    built = bool(layer.weights) or not dense
    kernel, *rest = layer.weights or (None,)
    return LayerSpec(
        kind=layer.class_name,
        units=layer.units,
        activation=None if layer.activation == "linear" else layer.activation,
        inputs=int(kernel.shape[0]) if dense and kernel is not None and kernel.ndim == 2 else None,
        parameters=int(sum(w.size for w in layer.weights)) if built else None,
        biases=int(rest[0].size) if dense and rest else 0,
    )


def expected_layers(expected: ExpectedModel) -> list[LayerSpec]:
    """The layers of the instructions, each with its inputs and parameters."""
    counts = zip(expected.layer_inputs(), expected.layer_parameters(), strict=True)
    return [
        LayerSpec("Dense", units, activation, inputs, parameters, biases=units)
        for units, activation, (inputs, parameters) in zip(
            expected.units, expected.activations, counts, strict=True
        )
    ]


def differences(found: LayerSpec | None, expected: LayerSpec | None) -> tuple[str, ...]:
    """What differs between the two layers: the layer itself (missing, extra, not Dense), its
    units, its activation, its parameters."""
    if found is None or expected is None:
        return ("layer",)
    differs = [
        name
        for name, same in (
            ("layer", found.kind == expected.kind),
            ("units", found.units == expected.units),
            ("activation", found.shown_activation == expected.shown_activation),
            ("parameters", found.parameters == expected.parameters),
        )
        if not same
    ]
    return tuple(differs)


def compare(expected: ExpectedModel, model: SavedModel) -> ModelTable:
    """The learner's model and the expected one side by side."""
    found = [found_layer(layer) for layer in model.layers if layer.class_name not in NOT_COMPARED]
    wanted = expected_layers(expected)
    rows = []
    for number in range(1, max(len(found), len(wanted)) + 1):
        mine = found[number - 1] if number <= len(found) else None
        theirs = wanted[number - 1] if number <= len(wanted) else None
        rows.append(LayerRow(number, mine, theirs, differences(mine, theirs)))
    shape = model.input_shape
    left_out = len(model.layers) - len(found)
    notes = (f"{left_out} Dropout layer(s) left out: they pass their input on.",) if left_out else ()
    return ModelTable(
        found_input=_shape_text(shape) if shape is not None else "unknown (the model was never built)",
        expected_input=_shape_text((expected.inputs,)),
        rows=tuple(rows),
        found_parameters=model.count_params() if model.built else None,
        expected_parameters=expected.parameters,
        parameters_asked_by=expected.parameters_asked_by,
        input_differs=shape is None or tuple(shape) != (expected.inputs,),
        notes=notes,
    )
