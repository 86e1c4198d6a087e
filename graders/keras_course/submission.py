"""A graded notebook's exported variables, read back as plain data in the grader's process.

Every accessor either returns the value or fails the check with a message that tells the
learner which variable is missing or wrong, and which of their cells stopped with an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from keras_course.config import CourseError, Exercise
from keras_course.feedback import fail
from keras_course.keras_file import SavedModel, read_keras_file
from keras_course.kernel_cells import MANIFEST
from keras_course.runner import RunResult


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


class Submission:
    """The variables one notebook run left behind."""

    def __init__(self, exercise: Exercise, run: RunResult) -> None:
        self.exercise = exercise
        self.run = run

    @cached_property
    def manifest(self) -> dict:
        if self.run.artifacts is None:
            return {}
        return json.loads((self.run.artifacts / MANIFEST).read_text(encoding="utf-8"))

    def _why_missing(self) -> str:
        if self.run.error:
            return f" Your notebook did not finish: {self.run.error}."
        if self.run.cell_errors:
            return " " + self.run.cell_errors[0].describe()
        return ""

    def entry(self, name: str) -> dict:
        """The manifest entry of a variable that the notebook defined."""
        entry = self.manifest.get(name, {"kind": "missing"})
        if entry["kind"] == "missing":
            fail(f"Your notebook does not define `{name}`.{self._why_missing()}")
        if entry["kind"] == "unexportable":
            fail(f"`{name}` could not be read back ({entry['reason']}).")
        return entry

    def _path(self, filename: str) -> Path:
        assert self.run.artifacts is not None
        return self.run.artifacts / filename

    def model(self, name: str = "model") -> SavedModel:
        entry = self.entry(name)
        if entry["kind"] != "keras_model":
            fail(
                f"`{name}` should be a Keras model; yours is a {entry.get('type', entry['kind'])}."
                " Create it with `Sequential()`."
            )
        try:
            saved = read_keras_file(self._path(entry["file"]))
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
            fail(f"`{name}` should be a single value; yours is a {entry.get('type', entry['kind'])}.")
        return entry["value"]

    def value_type(self, name: str) -> str:
        return str(self.entry(name).get("type", self.entry(name)["kind"]))

    def array(self, name: str) -> np.ndarray:
        entry = self.entry(name)
        if entry["kind"] == "array":
            return np.load(self._path(entry["file"]), allow_pickle=False)
        if entry["kind"] == "value" and isinstance(entry["value"], (int, float)):
            return np.asarray(entry["value"])
        if entry["kind"] == "dataframe":
            return np.column_stack([c.values for c in self._columns(entry["columns"]).values()])
        if entry["kind"] == "series":
            return self._column(entry["column"]).values
        fail(f"`{name}` should be an array of numbers; yours is a {entry.get('type', entry['kind'])}.")
        raise AssertionError  # unreachable: fail() raises

    def frame(self, name: str) -> Frame:
        entry = self.entry(name)
        if entry["kind"] != "dataframe":
            fail(f"`{name}` should be a pandas DataFrame; yours is a {entry.get('type', entry['kind'])}.")
        return Frame(self._columns(entry["columns"]))

    def _column(self, spec: dict) -> Column:
        categories = spec.get("categories")
        return Column(
            dtype=spec["dtype"],
            values=np.load(self._path(spec["file"]), allow_pickle=False),
            categories=tuple(categories) if categories is not None else None,
        )

    def _columns(self, specs: dict) -> dict[str, Column]:
        return {name: self._column(spec) for name, spec in specs.items()}
