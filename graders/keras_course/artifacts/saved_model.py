"""A Keras model as the export wrote it, read back as plain data without TensorFlow.

The export (kernel_cells.py) writes a model as plain files: the settings that Keras writes
into a `.keras` file's config.json (`keras.saving.serialize_keras_object(model)`: layers,
compile_config, build_config) as JSON, and each weight array as `.npy`. Its manifest entry:

    {"kind": "keras_model", "type": "Sequential", "config": "model__config.json",
     "weights": [["model__0_0.npy", "model__0_1.npy"], [], ["model__2_0.npy", ...]]}

`weights` has one list per layer of `model.layers` (InputLayers left out), in order: the files
of `layer.get_weights()`. Reading them runs none of the learner's code, loads no custom
classes, and parses nothing but JSON and `.npy` headers (export_files.py): no zip, no HDF5.
`SavedModel.predict` is the grader's own NumPy forward pass for stacks of Dense layers.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from keras_course.artifacts.export_files import array_header, open_exported, read_array, read_json
from keras_course.course.config import load_course
from keras_course.course.errors import ExportError

PASS_THROUGH_LAYERS = {"InputLayer", "Dropout"}
# What the grader reads at most, checked before reading: the course's largest model has 11,000
# parameters, and a learner's file must not make the grader's own process run out of memory.
MAX_CONFIG_BYTES = 4 * 1024 * 1024
MAX_WEIGHTS_BYTES = 128 * 1024 * 1024  # one weight file
MAX_PARAMETERS = 10_000_000
MAX_WEIGHT_FILES = 1000


@dataclass(frozen=True)
class Layer:
    """One layer of the saved model."""

    class_name: str
    units: int | None
    activation: str | None
    weights: tuple[np.ndarray, ...]
    custom: bool


@dataclass(frozen=True)
class SavedModel:
    """The architecture, weights and compile settings of a saved Keras model."""

    layers: tuple[Layer, ...]  # without InputLayer
    input_shape: tuple[int | None, ...] | None  # without the batch dimension
    compile_config: dict | None
    custom_classes: tuple[str, ...]

    @property
    def built(self) -> bool:
        return all(layer.weights for layer in self.layers if layer.class_name == "Dense")

    def count_params(self) -> int:
        return int(sum(w.size for layer in self.layers for w in layer.weights))

    @property
    def finite(self) -> bool:
        """No weight is NaN or infinite."""
        return all(np.isfinite(w).all() for layer in self.layers for w in layer.weights)

    def pass_bytes(self, rows: int, width: int) -> int:
        """What a forward pass over rows examples of width inputs allocates at most: at its widest
        layer, the layer's input, its output and its activation's result, 8 bytes a number,
        beside the weights in float64."""
        dense = [
            layer.weights[0].shape[-1]
            for layer in self.layers
            if layer.class_name == "Dense" and layer.weights
        ]
        return 8 * (3 * rows * max([width, *dense]) + self.count_params())

    def check_pass(self, rows: int, width: int) -> None:
        """Raise ExportError when a forward pass over rows examples of width inputs would need
        more than the budget of course.toml [limits] forward_pass_mb."""
        needed, budget = self.pass_bytes(rows, width), load_course().forward_pass_mb
        if needed > budget * 2**20:
            raise ExportError(
                f"a pass over {rows:,} rows through its widest layer would need {needed / 2**20:,.0f} MB, "
                f"more than the {budget:g} MB the grader gives one pass; give it the data the exercise "
                "makes, with the units of the instructions"
            )

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The model's output for x, computed with NumPy from the saved weights, once the pass
        fits in its budget (check_pass)."""
        x = np.asarray(x)
        if x.ndim < 2:
            x = x.reshape(-1, 1)
        self.check_pass(x.size // max(x.shape[-1], 1), x.shape[-1])
        out = np.asarray(x, dtype=np.float64)
        for number, layer in enumerate(self.layers, start=1):
            if layer.class_name in PASS_THROUGH_LAYERS:
                continue
            if layer.class_name != "Dense" or layer.custom:
                raise ExportError(f"layer {number} is a {layer.class_name}, not a Dense layer")
            if not layer.weights:
                raise ExportError("the model was never built, so it has no weights")
            kernel, *rest = layer.weights
            out = out @ kernel.astype(np.float64)
            if rest:
                out = out + rest[0].astype(np.float64)
            activation = ACTIVATIONS.get(layer.activation or "linear")
            if activation is None:
                raise ExportError(
                    f"layer {number} uses activation='{layer.activation}', which the grader does not know"
                )
            out = activation(out)
        return out


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


ACTIVATIONS = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": _sigmoid,
    "softmax": _softmax,
    "tanh": np.tanh,
    "softplus": lambda z: np.logaddexp(0.0, z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
    "swish": lambda z: z * _sigmoid(z),
    "silu": lambda z: z * _sigmoid(z),
}


def activation_name(raw: object) -> str | None:
    """The activation's name. Keras writes its own activations by name ("relu"), a learner's own
    function as {"class_name": "function", "config": "<its name>"}, and any other callable as
    {"class_name": "<its class>", "config": {...}}."""
    if isinstance(raw, dict):
        config = raw.get("config")
        raw = config if isinstance(config, str) else raw.get("class_name")
    return None if raw is None else str(raw)


def _is_custom(spec: dict) -> bool:
    module = str(spec.get("module") or "")
    return spec.get("registered_name") not in (None, spec.get("class_name")) or not (
        module == "keras" or module.startswith("keras.")
    )


def _check_parameters(count: int) -> None:
    if count > MAX_PARAMETERS:
        raise ExportError(
            f"the model has {count:,} parameters, more than the grader reads ({MAX_PARAMETERS:,}); "
            "the exercise needs a few thousand at most"
        )


def declared_parameters(input_shape: tuple | None, layer_specs: list[dict]) -> int:
    """The parameters that the Dense layers' settings add up to, without reading any weight."""
    width = input_shape[-1] if input_shape and isinstance(input_shape[-1], int) else None
    total = 0
    for spec in layer_specs:
        units = _config(spec).get("units")
        if spec.get("class_name") != "Dense" or not isinstance(units, int):
            continue
        if width is not None:
            total += width * units + units
        width = units
    return total


def check_weights(layers: tuple[Layer, ...], input_shape: tuple | None) -> None:
    """Raise ExportError unless every Dense layer's weights have the shapes its settings say.

    The grader reads units from the settings and computes with the weights: both must agree,
    or a layer that reports other units than it has could pass for the right one.
    """
    width = input_shape[-1] if input_shape and isinstance(input_shape[-1], int) else None
    for number, layer in enumerate(layers, start=1):
        if layer.class_name in PASS_THROUGH_LAYERS:
            continue
        if layer.class_name != "Dense" or layer.custom:
            width = None  # what a layer the grader does not know gives out is unknown
            continue
        if not layer.weights:  # never built: no weights to compare
            width = layer.units
            continue
        kernel, *rest = layer.weights
        if kernel.ndim != 2:
            raise ExportError(f"the saved model does not add up: layer {number}'s weights are not a matrix")
        if kernel.shape[1] != layer.units:
            raise ExportError(
                f"the saved model does not add up: layer {number} says it has {layer.units} units, "
                f"but its weights are those of {kernel.shape[1]}"
            )
        if width is not None and kernel.shape[0] != width:
            raise ExportError(
                f"the saved model does not add up: layer {number}'s weights take {kernel.shape[0]} "
                f"inputs, but {width} come into it"
            )
        if any(w.shape != (kernel.shape[1],) for w in rest[:1]) or len(rest) > 1:
            raise ExportError(f"the saved model does not add up: layer {number} has odd biases")
        width = layer.units


def _config(spec: object) -> dict:
    config = spec.get("config") if isinstance(spec, dict) else None
    return config if isinstance(config, dict) else {}


def _shape(raw: object) -> tuple[int | None, ...] | None:
    if not isinstance(raw, (list, tuple)) or len(raw) < 2:
        return None
    if not all(d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in raw):
        return None
    return tuple(raw[1:])


def _weight_files(entry: dict, count: int) -> list[list]:
    """The weight files that the manifest entry lists, one list for each of the count layers."""
    files = entry.get("weights")
    if not isinstance(files, list) or len(files) != count or not all(isinstance(f, list) for f in files):
        raise ExportError(f"its weight files are not listed for each of its {count} layers")
    if sum(len(layer) for layer in files) > MAX_WEIGHT_FILES:
        raise ExportError(f"it lists more weight files than the grader reads ({MAX_WEIGHT_FILES})")
    return files


def _numbers_in(handle: BinaryIO) -> int:
    """How many numbers an open weight file holds, from its checked header; ExportError unless
    they are numbers."""
    shape, dtype = array_header(handle)
    if dtype.kind not in "fiub":
        raise ExportError(f"its file {Path(handle.name).name} holds something other than numbers")
    return int(np.prod(shape, dtype=np.float64))


def _read_weights(artifacts: Path, files: list[list]) -> list[tuple[np.ndarray, ...]]:
    """Every layer's weights, read once all the files' headers are checked: numbers only, and
    no more of them than the grader reads. A file that several weights name is read once."""
    files = [[str(name) for name in layer] for layer in files]  # open_exported refuses what is not a name
    names = list(dict.fromkeys(name for layer in files for name in layer))  # each once, in order
    with ExitStack() as stack:
        handles = {
            name: stack.enter_context(open_exported(artifacts, name, MAX_WEIGHTS_BYTES)) for name in names
        }
        sizes = {name: _numbers_in(handle) for name, handle in handles.items()}
        _check_parameters(sum(sizes[name] for layer in files for name in layer))
        arrays = {name: read_array(handle) for name, handle in handles.items()}
        return [tuple(arrays[name] for name in layer) for layer in files]


def read_saved_model(artifacts: Path, entry: dict) -> SavedModel:
    """Read the model that a manifest entry describes, or raise ExportError saying what is wrong.

    Sizes are checked before anything is read into memory: the settings file's size, the
    parameters the settings add up to, then the weight files' sizes and `.npy` headers.
    """
    config = read_json(artifacts, entry.get("config"), MAX_CONFIG_BYTES)
    if not isinstance(config, dict):
        raise ExportError(f"its file {entry.get('config')} does not hold a model's settings")
    raw_layers = _config(config).get("layers")
    specs = [s for s in raw_layers if isinstance(s, dict)] if isinstance(raw_layers, list) else []
    input_shape = _input_shape(specs)
    layer_specs = [s for s in specs if s.get("class_name") != "InputLayer"]
    _check_parameters(declared_parameters(input_shape, layer_specs))
    all_weights = _read_weights(artifacts, _weight_files(entry, len(layer_specs)))

    custom = [str(s.get("class_name", "?")) for s in specs if _is_custom(s)]
    if _is_custom(config) or config.get("class_name") not in ("Sequential", "Functional"):
        custom.insert(0, str(config.get("class_name")))

    layers = []
    for spec, weights in zip(layer_specs, all_weights, strict=True):
        layer_config = _config(spec)
        units = layer_config.get("units")
        layers.append(
            Layer(
                class_name=str(spec.get("class_name")),
                units=units if isinstance(units, int) and not isinstance(units, bool) else None,
                activation=activation_name(layer_config.get("activation")),
                weights=weights,
                custom=_is_custom(spec),
            )
        )
    check_weights(tuple(layers), input_shape)
    compile_config = config.get("compile_config")
    return SavedModel(
        layers=tuple(layers),
        input_shape=input_shape,
        compile_config=compile_config if isinstance(compile_config, dict) and compile_config else None,
        custom_classes=tuple(custom),
    )


def _input_shape(specs: list[dict]) -> tuple[int | None, ...] | None:
    """The input shape without the batch dimension, from the InputLayer that Keras 3 writes into
    the settings of every model that was built (one never built has none, nor an input shape)."""
    for spec in specs:
        if spec.get("class_name") == "InputLayer":
            return _shape(_config(spec).get("batch_shape"))
    return None
