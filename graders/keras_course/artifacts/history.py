"""A model's training history as the notebook recorded it, read back as plain data.

The export (kernel_cells.py) writes what `model.fit` recorded epoch by epoch
(`model.history.history`) beside the model, and names the file in the model's manifest entry:

    {"kind": "keras_model", ..., "history": "model__history.json"}
    model__history.json: {"epochs": [1, 2, ...], "curves": {"loss": [0.69, 0.52, null, ...], ...}}

null stands where the notebook recorded NaN or infinity. The export ran in the learner's kernel,
so the file is checked again here as everything it wrote is: its size before it is read, then
its shape (at most MAX_HISTORY_KEYS curves of at most MAX_HISTORY_EPOCHS points, epochs counted up
from 1), then every value. The history is drawn for the learner, never graded: the learner could
have set it to anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from keras_course.artifacts.export_files import read_json
from keras_course.course.errors import ExportError
from keras_course.run.inside.kernel_cells import MAX_HISTORY_EPOCHS, MAX_HISTORY_KEYS

MAX_HISTORY_BYTES = 1024 * 1024  # 16 curves of 1,000 numbers take under 400 KB
MAX_KEY_LENGTH = 60


@dataclass(frozen=True)
class TrainingHistory:
    """The curves model.fit recorded: one number per epoch, NaN where it recorded none that is
    finite."""

    epochs: np.ndarray  # int, from 1, increasing
    curves: dict[str, np.ndarray]  # float64, as long as epochs


def read_history(artifacts: Path, entry: dict) -> TrainingHistory | None:
    """The history a model's manifest entry names; None when it names none (never trained), and
    ExportError when its file is not a history the export writes."""
    filename = entry.get("history")
    if filename is None:
        return None
    raw = read_json(artifacts, filename, MAX_HISTORY_BYTES)
    if not isinstance(raw, dict) or set(raw) != {"epochs", "curves"}:
        raise ExportError(f"its file {filename} does not hold a training history")
    epochs = _epochs(raw["epochs"], filename)
    curves = raw["curves"]
    if not isinstance(curves, dict) or not 0 < len(curves) <= MAX_HISTORY_KEYS:
        raise ExportError(f"its file {filename} holds no curves, or more than {MAX_HISTORY_KEYS}")
    return TrainingHistory(
        epochs, {_key(key, filename): _curve(values, len(epochs), filename) for key, values in curves.items()}
    )


def _epochs(raw: object, filename: str) -> np.ndarray:
    """The epochs' numbers: whole numbers from 1, increasing, at most MAX_HISTORY_EPOCHS."""
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_HISTORY_EPOCHS:
        raise ExportError(f"its file {filename} lists no epochs, or more than {MAX_HISTORY_EPOCHS}")
    if not all(isinstance(e, int) and not isinstance(e, bool) for e in raw):
        raise ExportError(f"its file {filename} numbers its epochs with something other than whole numbers")
    epochs = np.array(raw, dtype=np.int64)
    if epochs[0] < 1 or (np.diff(epochs) <= 0).any():
        raise ExportError(f"its file {filename} does not count its epochs up from 1")
    return epochs


def _key(key: str, filename: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ExportError(f"its file {filename} names a curve with no name or a name too long")
    return key


def _curve(raw: object, count: int, filename: str) -> np.ndarray:
    """One curve: count points, each a finite number or null (NaN here)."""
    if not isinstance(raw, list) or len(raw) != count:
        raise ExportError(f"its file {filename} holds a curve that is not one point per epoch")
    return np.array([_point(value, filename) for value in raw], dtype=np.float64)


def _point(value: object, filename: str) -> float:
    """A point of a curve: a finite number, or NaN for null (JSON as Python reads it may also say
    NaN, Infinity or 1e999, which the export never writes)."""
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExportError(f"its file {filename} holds a curve of something other than numbers")
    number = float(value) if isinstance(value, float) or abs(value) < 2**1000 else math.inf
    if not math.isfinite(number):
        raise ExportError(f"its file {filename} holds a value that is not a finite number")
    return number
