"""The two cells the grader adds around a learner's notebook: a seeding prelude and an export.

Both run inside the learner's kernel. The prelude seeds Python, NumPy and (when the notebook
uses it) Keras. The export writes the variables the graders read as plain data: a Keras model
as its settings in JSON (what Keras writes into a `.keras` file's config.json) and its weights
as `.npy` files, with the training history that model.fit recorded (`model.history.history`)
as bounded JSON, other arrays as `.npy`, data frames column by column, and plain values in
`manifest.json`. The checks then run in the grader's process on that data alone, which needs
no parser of zip or HDF5 files (saved_model.py).

The export shares the kernel with the learner's code, which could have patched what it uses
(json, numpy, get_weights, globals). So nothing it writes is taken on its word: the grader
checks the manifest against the files (submission.py, export_files.py) and a model's settings
against its weights (saved_model.py). All a patched export can do is write other values, which
the learner could have set as variables anyway.

Each function that runs in the kernel is sent as its source (inspect.getsource), so it imports
what it uses inside itself: the kernel has none of this module's imports.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

MANIFEST = "manifest.json"
MAX_ARRAY_BYTES = 64 * 1024 * 1024
# A model's training history (what model.fit recorded, epoch by epoch): at most this many curves
# (loss, each metric and their val_ twins) of at most this many points each (the course trains
# 200 epochs at most; a longer history is evenly thinned).
MAX_HISTORY_KEYS = 16
MAX_HISTORY_EPOCHS = 1000
HISTORY_LIMITS = (MAX_HISTORY_EPOCHS, MAX_HISTORY_KEYS)


def seed_kernel(seed, with_keras=True, quiet=True):  # runs in the learner's kernel
    """Seed Python, NumPy and Keras, hide warnings, and when quiet also Keras's printing."""
    import random
    import warnings

    import numpy

    warnings.filterwarnings("ignore")
    random.seed(seed)
    numpy.random.seed(seed)
    if with_keras:
        import absl.logging
        import keras

        absl.logging.set_verbosity(absl.logging.ERROR)
        keras.utils.set_random_seed(seed)
        if quiet:
            keras.config.disable_interactive_logging()


def prelude_source(seed: int, uses_keras: bool) -> str:
    """Code that seeds the kernel before the learner's first cell (seed_kernel, inlined)."""
    return (
        inspect.getsource(seed_kernel).replace("def seed_kernel(", "def _kc_seed_kernel(", 1)
        + f"\n_kc_seed_kernel({seed}, {uses_keras})\ndel _kc_seed_kernel\n"
    )


def _export(names, outdir, namespace, max_array_bytes, history_limits):  # runs in the learner's kernel
    import itertools
    import json
    import math
    import os
    import sys

    import numpy as np

    os.makedirs(outdir)  # a new folder: one that exists already was not made by this export
    keras = sys.modules.get("keras")
    pandas = sys.modules.get("pandas")

    def save_array(values, filename):
        array = np.asarray(values)
        if array.dtype == object:
            array = np.asarray(array.tolist())
        if array.dtype == object:
            raise TypeError("it holds Python objects, not numbers")
        if array.nbytes > max_array_bytes:
            raise ValueError(f"it is too large ({array.nbytes} bytes)")
        np.save(os.path.join(outdir, filename), array, allow_pickle=False)
        return filename

    def save_column(series, stem):
        entry = {"dtype": str(series.dtype)}
        if str(series.dtype) == "category":
            entry["categories"] = [str(c) for c in series.cat.categories]
            entry["file"] = save_array(series.cat.codes.to_numpy(), stem + ".npy")
        elif series.dtype == object:
            entry["file"] = save_array(series.astype(str).to_numpy(dtype=str), stem + ".npy")
        else:
            entry["file"] = save_array(series.to_numpy(), stem + ".npy")
        return entry

    def save_model(model, name):
        # the settings as Keras writes them into a .keras file's config.json, weights as .npy;
        # the grader reads whether it is built and compiled from these, not from here
        config = name + "__config.json"
        with open(os.path.join(outdir, config), "w", encoding="utf-8") as handle:
            json.dump(keras.saving.serialize_keras_object(model), handle)
        layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
        weights = [
            [save_array(w, f"{name}__{i}_{j}.npy") for j, w in enumerate(layer.get_weights())]
            for i, layer in enumerate(layers)
        ]
        entry = {"kind": "keras_model", "type": type(model).__name__, "config": config, "weights": weights}
        try:
            history = save_history(model, name)
        except Exception:  # a history the export cannot write is left out, never the model
            history = None
        if history:
            entry["history"] = history
        return entry

    def point(value):
        value = float(value)
        return value if math.isfinite(value) else None  # NaN and infinity are not JSON

    def save_history(model, name):
        # what model.fit recorded epoch by epoch (keras.callbacks.History), as bounded JSON: the
        # first keys, each curve as long as the first, evenly thinned to at most max_epochs points
        max_epochs, max_keys = history_limits
        recorded = getattr(getattr(model, "history", None), "history", None)
        if not isinstance(recorded, dict):
            return None  # never trained
        series = [
            (str(key)[:60], values)
            for key, values in itertools.islice(recorded.items(), max_keys)
            if isinstance(values, (list, tuple))
        ]
        count = len(series[0][1]) if series else 0
        if not count:
            return None
        picked = range(0, count, -(-count // max_epochs))
        curves = {key: [point(values[i]) for i in picked] for key, values in series if len(values) == count}
        text = json.dumps({"epochs": [i + 1 for i in picked], "curves": curves}, allow_nan=False)
        with open(os.path.join(outdir, name + "__history.json"), "w", encoding="utf-8") as handle:
            handle.write(text)
        return name + "__history.json"

    def describe(name, value):
        if keras is not None and isinstance(value, keras.Model):
            return save_model(value, name)
        if keras is not None and isinstance(value, keras.layers.Layer):
            return {"kind": "other", "type": type(value).__name__}
        if pandas is not None and isinstance(value, pandas.DataFrame):
            columns = {
                str(col): save_column(value[col], f"{name}__{i}") for i, col in enumerate(value.columns)
            }
            return {"kind": "dataframe", "columns": columns, "shape": list(value.shape)}
        if pandas is not None and isinstance(value, pandas.Series):
            return {"kind": "series", "column": save_column(value, name), "name": str(value.name)}
        if value is None or isinstance(value, (bool, int, float, str)):
            return {"kind": "value", "value": value, "type": type(value).__name__}
        if isinstance(value, np.generic):
            return {"kind": "value", "value": value.item(), "type": type(value).__name__}
        if isinstance(value, (np.ndarray, list, tuple)) or hasattr(value, "__array__"):
            return {"kind": "array", "file": save_array(value, name + ".npy")}
        return {"kind": "other", "type": type(value).__name__}

    manifest = {}
    for name in names:
        if name not in namespace:
            manifest[name] = {"kind": "missing"}
            continue
        try:
            manifest[name] = describe(name, namespace[name])
        except Exception as exc:  # the learner's value could not be written: say why
            manifest[name] = {
                "kind": "unexportable",
                "type": type(namespace[name]).__name__,
                "reason": f"{type(exc).__name__}: {exc}".splitlines()[0][:300],
            }
    with open(os.path.join(outdir, "manifest.json"), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle)


def export_source(names: tuple[str, ...], outdir: Path) -> str:
    """Code that exports the named variables of the learner's namespace into outdir."""
    return (
        inspect.getsource(_export).replace("def _export(", "def _kc_export(", 1)
        + f"\n_kc_export({json.dumps(list(names))}, {json.dumps(str(outdir))}, globals(), "
        + f"{MAX_ARRAY_BYTES}, {HISTORY_LIMITS})\ndel _kc_export\n"
    )
