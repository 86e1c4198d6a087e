"""A graded notebook's exported variables, read back as plain data in the grader's process.

Every accessor either returns the value or fails the check with a message that tells the
learner which variable is missing or wrong, and which of their cells stopped with an error.

The export ran in the learner's kernel, so its output is checked before it is used: the
manifest must be a small JSON object of known kinds of entries, and every file it names must be
a plain file right in the export folder (no path, no link), no larger than the grader reads,
with an array header that matches the file's size.
"""

from __future__ import annotations

import json
import math
import re
import stat
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from keras_course.config import CourseError, Exercise
from keras_course.feedback import fail
from keras_course.keras_file import MAX_CONFIG_BYTES, MAX_WEIGHTS_BYTES, SavedModel, read_keras_file
from keras_course.kernel_cells import MANIFEST, MAX_ARRAY_BYTES
from keras_course.runner import RunResult

MAX_MANIFEST_BYTES = 1024 * 1024
MAX_MODEL_FILE_BYTES = MAX_WEIGHTS_BYTES + MAX_CONFIG_BYTES + 1024 * 1024
MAX_NPY_BYTES = MAX_ARRAY_BYTES + 64 * 1024  # the array and its header
KINDS = {"missing", "unexportable", "keras_model", "array", "dataframe", "series", "value", "other"}
FILE_NAME = re.compile(r"[A-Za-z0-9_]+(\.[a-z]+)?")  # what the export names files: <variable>.npy


@dataclass(frozen=True)
class Column:
    """One exported data-frame column."""

    dtype: str
    values: np.ndarray
    categories: tuple[str, ...] | None


@dataclass(frozen=True)
class Frame:
    """An exported pandas DataFrame: its columns in order."""

    columns: dict[str, Column]


def exported_file(artifacts: Path, filename: object, limit: int) -> Path:
    """A file the export wrote, or CourseError: a plain file right in artifacts, at most limit bytes."""
    if not isinstance(filename, str) or not FILE_NAME.fullmatch(filename):
        raise CourseError(f"the export named a file {str(filename)[:60]!r}, not one of its own")
    path = artifacts / filename
    try:
        info = path.lstat()
    except OSError:
        raise CourseError(f"its file {filename} is missing") from None
    if not stat.S_ISREG(info.st_mode):
        raise CourseError(f"its file {filename} is not a plain file")
    if info.st_size > limit:
        raise CourseError(f"its file {filename} holds {info.st_size:,} bytes, more than the grader reads")
    return path


def read_manifest(artifacts: Path) -> dict:
    """The export's manifest: a JSON object of variable names and their entries."""
    path = exported_file(artifacts, MANIFEST, MAX_MANIFEST_BYTES)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as exc:
        raise CourseError(f"its manifest is not JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise CourseError("its manifest is not a JSON object")
    return manifest


def load_array(path: Path) -> np.ndarray:
    """An exported .npy array, after checking that its header matches the file (no pickles)."""
    fmt = np.lib.format
    with path.open("rb") as handle:
        version = fmt.read_magic(handle)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"unknown .npy version {version}")
        reader = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
        shape, _, dtype = reader(handle)
        if dtype.hasobject or math.prod(shape) * dtype.itemsize > path.stat().st_size:
            raise ValueError("its header does not match its size")
        handle.seek(0)
        return np.load(handle, allow_pickle=False)


def _kind(entry: dict) -> str:
    """What the learner's value was, for messages: the type the export saw, shortened."""
    shown = entry.get("type", entry["kind"])
    return str(shown)[:60]


def _a_kind(entry: dict) -> str:
    """The learner's type with its article: "a str", "an array"."""
    kind = _kind(entry)
    return f"an {kind}" if kind[:1].lower() in "aeiou" else f"a {kind}"


class Submission:
    """The variables one notebook run left behind."""

    def __init__(self, exercise: Exercise, run: RunResult) -> None:
        self.exercise = exercise
        self.run = run

    @cached_property
    def manifest(self) -> dict:
        if self.run.artifacts is None:
            return {}
        try:
            return read_manifest(self.run.artifacts)
        except CourseError as exc:
            fail(f"The grader could not read your variables back: {exc}.")
        raise AssertionError  # unreachable: fail() raises

    def _why_missing(self) -> str:
        if self.run.error:
            return f" Your notebook did not finish: {self.run.error}."
        if self.run.cell_errors:
            return " " + self.run.cell_errors[0].describe()
        return ""

    def entry(self, name: str) -> dict:
        """The manifest entry of a variable that the notebook defined."""
        entry = self.manifest.get(name, {"kind": "missing"})
        if not isinstance(entry, dict) or entry.get("kind") not in KINDS:
            fail(f"`{name}` could not be read back (the export wrote something the grader does not know).")
        if entry["kind"] == "missing":
            fail(f"Your notebook does not define `{name}`.{self._why_missing()}")
        if entry["kind"] == "unexportable":
            fail(f"`{name}` could not be read back ({str(entry.get('reason'))[:300]}).")
        return entry

    def _path(self, name: str, filename: object, limit: int) -> Path:
        assert self.run.artifacts is not None
        try:
            return exported_file(self.run.artifacts, filename, limit)
        except CourseError as exc:
            fail(f"`{name}` could not be read back: {exc}.")
        raise AssertionError  # unreachable: fail() raises

    def _array(self, name: str, filename: object) -> np.ndarray:
        path = self._path(name, filename, MAX_NPY_BYTES)
        try:
            return load_array(path)
        except (ValueError, OSError, EOFError) as exc:
            fail(f"`{name}` could not be read back: {path.name} is not a plain array ({exc}).")
        raise AssertionError  # unreachable: fail() raises

    def model(self, name: str = "model") -> SavedModel:
        entry = self.entry(name)
        if entry["kind"] != "keras_model":
            fail(
                f"`{name}` should be a Keras model; yours is {_a_kind(entry)}. Create it with `Sequential()`."
            )
        path = self._path(name, entry.get("file"), MAX_MODEL_FILE_BYTES)
        try:
            saved = read_keras_file(path)
        except CourseError as exc:
            fail(f"`{name}` could not be read back: {exc}.")
        if saved.custom_classes:
            names = ", ".join(saved.custom_classes)
            fail(
                f"`{name}` uses custom classes ({names}) that the grader does not load. "
                "Build it from keras.Sequential and keras.layers.Dense."
            )
        return saved

    def value(self, name: str) -> object:
        entry = self.entry(name)
        if entry["kind"] != "value":
            fail(f"`{name}` should be a single value; yours is {_a_kind(entry)}.")
        return entry.get("value")

    def value_type(self, name: str) -> str:
        return _kind(self.entry(name))

    def array(self, name: str) -> np.ndarray:
        """A variable as an array of numbers (booleans, integers or floats)."""
        values = self._any_array(name)
        if values.dtype.kind not in "biuf":
            held = "text" if values.dtype.kind in "US" else f"values of type {values.dtype}"
            fail(f"`{name}` should be an array of numbers; yours holds {held}.")
        return values

    def _any_array(self, name: str) -> np.ndarray:
        entry = self.entry(name)
        if entry["kind"] == "array":
            return self._array(name, entry.get("file"))
        if entry["kind"] == "value" and isinstance(entry.get("value"), (int, float)):
            return np.asarray(entry["value"])
        if entry["kind"] == "dataframe":
            return np.column_stack([c.values for c in self._columns(name, entry).values()])
        if entry["kind"] == "series":
            return self._column(name, entry.get("column")).values
        fail(f"`{name}` should be an array of numbers; yours is {_a_kind(entry)}.")
        raise AssertionError  # unreachable: fail() raises

    def frame(self, name: str) -> Frame:
        entry = self.entry(name)
        if entry["kind"] != "dataframe":
            fail(f"`{name}` should be a pandas DataFrame; yours is {_a_kind(entry)}.")
        return Frame(self._columns(name, entry))

    def _column(self, name: str, spec: object) -> Column:
        if not isinstance(spec, dict):
            fail(f"`{name}` could not be read back (the export wrote something the grader does not know).")
        categories = spec.get("categories")
        return Column(
            dtype=str(spec.get("dtype"))[:60],
            values=self._array(name, spec.get("file")),
            categories=tuple(map(str, categories)) if isinstance(categories, list) else None,
        )

    def _columns(self, name: str, entry: dict) -> dict[str, Column]:
        specs = entry.get("columns")
        if not isinstance(specs, dict):
            fail(f"`{name}` could not be read back (the export wrote something the grader does not know).")
        return {str(column): self._column(name, spec) for column, spec in specs.items()}
