"""A graded notebook's exported variables, read back as plain data in the grader's process.

Every accessor either returns the value or fails the check with a message that tells the
learner which variable is missing or wrong, and which of their cells stopped with an error.

The export ran in the learner's kernel, so its output is checked before it is used: the
manifest must be a small JSON object of known kinds of entries, and every file it names is
opened only as export_files.py allows (a plain file right in the export folder, no larger than
the grader reads, an array header that matches the file's size).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from keras_course.artifacts.export_files import open_exported, read_array, read_json
from keras_course.artifacts.saved_model import SavedModel, read_saved_model
from keras_course.checks.feedback import fail
from keras_course.course.config import CourseError, Exercise
from keras_course.run.kernel_cells import MANIFEST, MAX_ARRAY_BYTES
from keras_course.run.runner import RunResult

MAX_MANIFEST_BYTES = 1024 * 1024
MAX_NPY_BYTES = MAX_ARRAY_BYTES + 64 * 1024  # the array and its header
KINDS = {"missing", "unexportable", "keras_model", "array", "dataframe", "series", "value", "other"}


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


def read_manifest(artifacts: Path) -> dict:
    """The export's manifest: a JSON object of variable names and their entries."""
    manifest = read_json(artifacts, MANIFEST, MAX_MANIFEST_BYTES)
    if not isinstance(manifest, dict):
        raise CourseError("its manifest is not a JSON object")
    return manifest


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

    def _array(self, name: str, filename: object) -> np.ndarray:
        assert self.run.artifacts is not None
        try:
            with open_exported(self.run.artifacts, filename, MAX_NPY_BYTES) as handle:
                return read_array(handle)
        except CourseError as exc:
            fail(f"`{name}` could not be read back: {exc}.")
        raise AssertionError  # unreachable: fail() raises

    def model(self, name: str = "model") -> SavedModel:
        entry = self.entry(name)
        if entry["kind"] != "keras_model":
            fail(
                f"`{name}` should be a Keras model; yours is {_a_kind(entry)}. Create it with `Sequential()`."
            )
        assert self.run.artifacts is not None
        try:
            saved = read_saved_model(self.run.artifacts, entry)
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
