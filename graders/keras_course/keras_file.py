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

import numpy as np

from keras_course.config import CourseError

PASS_THROUGH_LAYERS = {"InputLayer", "Dropout"}


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
        base = snake_case(spec["class_name"])
        count = seen.get(base, 0)
        seen[base] = count + 1
        key = base if count == 0 else f"{base}_{count}"
        group = h5.get(f"layers/{key}/vars")
        if group is None:
            weights.append(())
            continue
        weights.append(tuple(np.asarray(group[str(i)]) for i in range(len(group))))
    return weights


def read_keras_file(path: Path) -> SavedModel:
    """Read a `.keras` file, or raise CourseError saying what is wrong with it."""
    import h5py

    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
            names = archive.namelist()
            weights_blob = (
                archive.read("model.weights.h5") if "model.weights.h5" in names else None
            )
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as exc:
        raise CourseError(f"{path.name}: not a readable Keras model file ({exc})") from None

    model_config = config.get("config") or {}
    specs = [s for s in model_config.get("layers", []) if isinstance(s, dict)]
    custom = [s.get("class_name", "?") for s in specs if _is_custom(s)]
    if _is_custom(config) or config.get("class_name") not in ("Sequential", "Functional"):
        custom.insert(0, str(config.get("class_name")))

    input_shape = None
    for spec in specs:
        if spec.get("class_name") == "InputLayer":
            batch_shape = spec.get("config", {}).get("batch_shape")
            if batch_shape:
                input_shape = tuple(batch_shape[1:])
            break
    if input_shape is None:
        build = model_config.get("build_input_shape") or (config.get("build_config") or {}).get(
            "input_shape"
        )
        if build:
            input_shape = tuple(build[1:])

    layer_specs = [s for s in specs if s.get("class_name") != "InputLayer"]
    if weights_blob is not None:
        with h5py.File(io.BytesIO(weights_blob), "r") as h5:
            all_weights = _weights_for(h5, layer_specs)
    else:
        all_weights = [()] * len(layer_specs)

    layers = []
    for spec, weights in zip(layer_specs, all_weights, strict=True):
        layer_config = spec.get("config", {})
        units = layer_config.get("units")
        layers.append(
            Layer(
                class_name=str(spec.get("class_name")),
                units=int(units) if isinstance(units, int) else None,
                activation=activation_name(layer_config.get("activation")),
                weights=weights,
                custom=_is_custom(spec),
            )
        )
    return SavedModel(
        class_name=str(config.get("class_name")),
        layers=tuple(layers),
        input_shape=input_shape,
        compile_config=config.get("compile_config") or None,
        custom_classes=tuple(custom),
    )
