"""Read a model saved in Keras's `.keras` format as plain data, without importing TensorFlow.

A `.keras` file is a zip with `config.json` (the architecture and compile settings) and
`model.weights.h5` (the weights). Reading it this way runs none of the learner's code, loads no
custom classes, and costs a fraction of a second. `SavedModel.predict` is the grader's own
NumPy forward pass for stacks of Dense layers.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import h5py  # here, not when a file is read: loaded before the notebook runs, as the grader's code is
import numpy as np

from keras_course.config import CourseError

PASS_THROUGH_LAYERS = {"InputLayer", "Dropout"}
# What the grader reads at most, checked before reading: the course's largest model has 11,000
# parameters, and a learner's file must not make the grader's own process run out of memory.
MAX_CONFIG_BYTES = 4 * 1024 * 1024
MAX_WEIGHTS_BYTES = 128 * 1024 * 1024
MAX_PARAMETERS = 10_000_000


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

    class_name: str
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

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The model's output for x, computed with NumPy from the saved weights."""
        out = np.asarray(x, dtype=np.float64)
        if out.ndim == 1:
            out = out.reshape(-1, 1)
        for number, layer in enumerate(self.layers, start=1):
            if layer.class_name in PASS_THROUGH_LAYERS:
                continue
            if layer.class_name != "Dense" or layer.custom:
                raise CourseError(f"layer {number} is a {layer.class_name}, not a Dense layer")
            if not layer.weights:
                raise CourseError("the model was never built, so it has no weights")
            kernel, *rest = layer.weights
            out = out @ kernel.astype(np.float64)
            if rest:
                out = out + rest[0].astype(np.float64)
            out = apply_activation(layer.activation or "linear", out)
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


def apply_activation(name: str, z: np.ndarray) -> np.ndarray:
    try:
        return ACTIVATIONS[name](z)
    except KeyError:
        raise CourseError(f"the grader cannot compute the activation '{name}'") from None


def activation_name(raw: object) -> str | None:
    """The activation's plain name, whether it was given as a string or a function."""
    if raw is None:
        return None
    if isinstance(raw, dict):
        config = raw.get("config")
        raw = config.get("name") if isinstance(config, dict) else raw.get("class_name")
        if raw is None:
            return None
    return snake_case(str(raw).rsplit(".", 1)[-1])


def snake_case(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def _is_custom(spec: dict) -> bool:
    module = str(spec.get("module") or "")
    return spec.get("registered_name") not in (None, spec.get("class_name")) or not (
        module == "keras" or module.startswith("keras.")
    )


def _weights_for(h5, layer_specs: list[dict]) -> list[tuple[np.ndarray, ...]]:
    """Weights of each layer, found under Keras's names: snake_case class name, numbered."""
    seen: dict[str, int] = {}
    weights = []
    for spec in layer_specs:
        base = snake_case(str(spec.get("class_name")))
        count = seen.get(base, 0)
        seen[base] = count + 1
        key = base if count == 0 else f"{base}_{count}"
        group = h5.get(f"layers/{key}/vars")
        if not isinstance(group, h5py.Group):
            weights.append(())
            continue
        arrays = []
        for i in range(len(group)):
            if not isinstance(group.get(str(i), getlink=True), h5py.HardLink):
                raise CourseError(f"the weights of layer {key} are not stored in the file itself")
            arrays.append(np.asarray(group[str(i)]))
        weights.append(tuple(arrays))
    return weights


def _check_stored_sizes(h5) -> None:
    """Look at the shapes of every stored array before reading one: numbers only, not too many."""
    datasets: list = []
    h5.visititems(lambda _, obj: datasets.append(obj) if isinstance(obj, h5py.Dataset) else None)
    for dataset in datasets:
        if dataset.dtype.kind not in "fiub" or dataset.external or dataset.is_virtual:
            raise CourseError(f"its weights file holds something other than numbers ({dataset.name})")
    _check_parameters(sum(int(d.size) for d in datasets))


def _check_parameters(count: int) -> None:
    if count > MAX_PARAMETERS:
        raise CourseError(
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
    """Raise CourseError unless every Dense layer's weights have the shapes its settings say.

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
            raise CourseError(f"the saved model does not add up: layer {number}'s weights are not a matrix")
        if kernel.shape[1] != layer.units:
            raise CourseError(
                f"the saved model does not add up: layer {number} says it has {layer.units} units, "
                f"but its weights are those of {kernel.shape[1]}"
            )
        if width is not None and kernel.shape[0] != width:
            raise CourseError(
                f"the saved model does not add up: layer {number}'s weights take {kernel.shape[0]} "
                f"inputs, but {width} come into it"
            )
        if any(w.shape != (kernel.shape[1],) for w in rest[:1]) or len(rest) > 1:
            raise CourseError(f"the saved model does not add up: layer {number} has odd biases")
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


def _member(archive: zipfile.ZipFile, name: str, limit: int, path: Path) -> bytes | None:
    """One file of the .keras archive, after checking the size it declares."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > limit:
        raise CourseError(
            f"{path.name}: its {name} holds {info.file_size:,} bytes, more than the grader reads ({limit:,})"
        )
    return archive.read(name)


def read_keras_file(path: Path) -> SavedModel:
    """Read a `.keras` file, or raise CourseError saying what is wrong with it.

    Sizes are checked before anything is read into memory: the archive's declared sizes, the
    parameters the settings add up to, then the stored arrays' shapes.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            raw_config = _member(archive, "config.json", MAX_CONFIG_BYTES, path)
            if raw_config is None:
                raise KeyError("there is no config.json in it")
            config = json.loads(raw_config)
            if not isinstance(config, dict):
                raise ValueError("its config.json is not a model's settings")
            model_config = _config(config)
            specs = [s for s in model_config.get("layers", []) if isinstance(s, dict)]
            input_shape = _input_shape(config, specs)
            layer_specs = [s for s in specs if s.get("class_name") != "InputLayer"]
            _check_parameters(declared_parameters(input_shape, layer_specs))
            weights_blob = _member(archive, "model.weights.h5", MAX_WEIGHTS_BYTES, path)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, RecursionError) as exc:
        raise CourseError(f"{path.name}: not a readable Keras model file ({exc})") from None

    custom = [str(s.get("class_name", "?")) for s in specs if _is_custom(s)]
    if _is_custom(config) or config.get("class_name") not in ("Sequential", "Functional"):
        custom.insert(0, str(config.get("class_name")))

    if weights_blob is not None:
        try:
            with h5py.File(io.BytesIO(weights_blob), "r") as h5:
                _check_stored_sizes(h5)
                all_weights = _weights_for(h5, layer_specs)
        except OSError as exc:
            raise CourseError(f"{path.name}: its weights cannot be read ({exc})") from None
    else:
        all_weights = [()] * len(layer_specs)

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
        class_name=str(config.get("class_name")),
        layers=tuple(layers),
        input_shape=input_shape,
        compile_config=compile_config if isinstance(compile_config, dict) and compile_config else None,
        custom_classes=tuple(custom),
    )


def _input_shape(config: dict, specs: list[dict]) -> tuple[int | None, ...] | None:
    """The input shape without the batch dimension: from the InputLayer, or the build settings."""
    for spec in specs:
        if spec.get("class_name") == "InputLayer":
            shape = _shape(_config(spec).get("batch_shape"))
            if shape is not None:
                return shape
            break
    build = _config(config).get("build_input_shape")
    if build is None:
        build_config = config.get("build_config")
        build = build_config.get("input_shape") if isinstance(build_config, dict) else None
    return _shape(build)
