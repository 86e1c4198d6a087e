"""A graded notebook's exported variables, read back as plain data in the grader's process.

Every accessor either returns the value or fails the check with a message that tells the
learner which variable is missing or wrong, and which of their cells stopped with an error. No
check passes on a value it cannot compute with: the readers of values, arrays and data frames
refuse text, True and False, NaN and infinite values, and end each message with the check's
`fix`, the sentence that says what the variable should be and how to make it.

The export ran in the learner's kernel, so its output is checked before it is used: the
manifest must be a small JSON object of known kinds of entries, and every file it names is
opened only as export_files.py allows (a plain file right in the export folder, no larger than
the grader reads, an array header that matches the file's size).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from keras_course.artifacts.export_files import open_exported, read_array, read_json
from keras_course.artifacts.saved_model import SavedModel, read_saved_model
from keras_course.checks.feedback import fail
from keras_course.course.config import Exercise
from keras_course.course.errors import ExportError
from keras_course.run.inside.kernel_cells import MANIFEST, MAX_ARRAY_BYTES
from keras_course.run.outcome import RunResult

MAX_MANIFEST_BYTES = 1024 * 1024
MAX_NPY_BYTES = MAX_ARRAY_BYTES + 64 * 1024  # the array and its header
# What the grader reads of one submission's variables in all: the exercises' are far smaller.
MAX_READ_BYTES = 256 * 1024 * 1024
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

    @property
    def rows(self) -> int:
        return len(next(iter(self.columns.values())).values) if self.columns else 0


def read_manifest(artifacts: Path) -> dict:
    """The export's manifest: a JSON object of variable names and their entries."""
    manifest = read_json(artifacts, MANIFEST, MAX_MANIFEST_BYTES)
    if not isinstance(manifest, dict):
        raise ExportError("its manifest is not a JSON object")
    return manifest


def _kind(entry: dict) -> str:
    """What the learner's value was, for messages: the type the export saw, shortened."""
    shown = entry.get("type", entry["kind"])
    return str(shown)[:60]


def _a_kind(entry: dict) -> str:
    """The learner's type with its article: "a str", "an array"."""
    kind = _kind(entry)
    return f"an {kind}" if kind[:1].lower() in "aeiou" else f"a {kind}"


def _expect_numbers(where: str, values: np.ndarray, fix: str) -> None:
    """Fail unless values are numbers a check can compute with: integers or floats, all finite.
    `where` names them for the learner: "`preds`", "`darts` column `xCoord`"."""
    if values.dtype.kind in "US":
        fail(f"{where} should hold numbers; yours holds text. {fix}")
    if values.dtype.kind == "b":
        fail(f"{where} should hold numbers; yours holds True and False. {fix}")
    if values.dtype.kind not in "iuf":
        fail(f"{where} should hold numbers; yours holds values of type {values.dtype}. {fix}")
    finite = np.isfinite(values)
    if not finite.all():
        what = "NaN (not a number)" if np.isnan(values).any() else "infinite values"
        fail(f"{where} holds {what} in {int((~finite).sum())} of its {values.size} values. {fix}")


class Submission:
    """The variables one notebook run left behind.

    Each export file is read at most once (a manifest may name one file many times), and no
    more than MAX_READ_BYTES in all; each model is read once.
    """

    def __init__(self, exercise: Exercise, run: RunResult) -> None:
        self.exercise = exercise
        self.run = run
        self._arrays: dict[str, np.ndarray] = {}  # by file name
        self._models: dict[str, SavedModel] = {}  # by variable name
        self._bytes_read = 0

    @cached_property
    def manifest(self) -> dict:
        if self.run.artifacts is None:
            return {}
        try:
            return read_manifest(self.run.artifacts)
        except ExportError as exc:
            fail(f"The grader could not read your variables back: {exc}.")
        raise AssertionError  # unreachable: fail() raises

    def _why_missing(self) -> str:
        if self.run.error:
            return f" Your notebook did not finish: {self.run.error}."
        if self.run.cell_errors:
            return " " + self.run.cell_errors[0].describe()
        return ""

    def entry(self, name: str, fix: str) -> dict:
        """The manifest entry of a variable that the notebook defined; fix says what to do when
        the export could not write it."""
        entry = self.manifest.get(name, {"kind": "missing"})
        unreadable = f"`{name}` could not be read back"
        if not isinstance(entry, dict) or entry.get("kind") not in KINDS:
            fail(
                f"`{name}` could not be read back (the export wrote something the grader does not know).",
                measured=unreadable,
            )
        if entry["kind"] == "missing":
            fail(f"Your notebook does not define `{name}`.{self._why_missing()}", measured=f"no `{name}`")
        if entry["kind"] == "unexportable":
            reason = str(entry.get("reason"))[:300]
            fail(f"`{name}` could not be read back ({reason}). {fix}", measured=unreadable)
        return entry

    def _array(self, name: str, filename: object) -> np.ndarray:
        """An exported file's array, read once, read-only, within the bytes read in all."""
        assert self.run.artifacts is not None
        if isinstance(filename, str) and filename in self._arrays:
            return self._arrays[filename]
        try:
            with open_exported(self.run.artifacts, filename, MAX_NPY_BYTES) as handle:
                self._count_bytes(os.fstat(handle.fileno()).st_size)
                values = read_array(handle)
        except ExportError as exc:
            fail(f"`{name}` could not be read back: {exc}.")
        values.flags.writeable = False  # one array serves every entry that names its file
        self._arrays[str(filename)] = values
        return values

    def _count_bytes(self, size: int) -> None:
        self._bytes_read += size
        if self._bytes_read > MAX_READ_BYTES:
            raise ExportError(
                f"your variables add up to more than the {MAX_READ_BYTES // 2**20} MB the grader reads; "
                "the exercise's are far smaller"
            )

    def model(self, name: str = "model") -> SavedModel:
        if name not in self._models:
            self._models[name] = self._read_model(name)
        return self._models[name]

    def _read_model(self, name: str) -> SavedModel:
        entry = self.entry(name, "Create it with `Sequential()` and add its layers.")
        if entry["kind"] != "keras_model":
            kind = _a_kind(entry)
            fail(
                f"`{name}` should be a Keras model; yours is {kind}. Create it with `Sequential()`.",
                measured=f"`{name}` is {kind}",
            )
        assert self.run.artifacts is not None
        try:
            saved = read_saved_model(self.run.artifacts, entry)
        except ExportError as exc:
            fail(f"`{name}` could not be read back: {exc}.", measured=f"`{name}` could not be read back")
        if saved.custom_classes:
            names = ", ".join(saved.custom_classes)
            fail(
                f"`{name}` uses custom classes ({names}) that the grader does not load. "
                "Build it from keras.Sequential and keras.layers.Dense.",
                measured=f"custom classes: {names}",
            )
        return saved

    def value(self, name: str, fix: str) -> object:
        """A variable that is a single value; a float must be finite. fix says what it should be
        and how to make it, for the messages."""
        entry = self.entry(name, fix)
        if entry["kind"] != "value":
            fail(f"`{name}` should be a single value; yours is {_a_kind(entry)}. {fix}")
        value = entry.get("value")
        if isinstance(value, float) and not math.isfinite(value):
            fail(f"`{name}` is {value}, not a finite number. {fix}")
        return value

    def value_type(self, name: str) -> str:
        return _kind(self.entry(name, ""))

    def array(self, name: str, fix: str) -> np.ndarray:
        """A variable as an array of finite numbers (integers or floats). fix says what it should
        be and how to make it, for the messages."""
        values = self._any_array(name, fix)
        _expect_numbers(f"`{name}`", values, fix)
        return values

    def _any_array(self, name: str, fix: str) -> np.ndarray:
        entry = self.entry(name, fix)
        if entry["kind"] == "array":
            return self._array(name, entry.get("file"))
        if entry["kind"] == "value" and isinstance(entry.get("value"), (int, float)):
            return np.asarray(entry["value"])
        if entry["kind"] == "dataframe":
            return self._stacked(name, self._columns(name, entry))
        if entry["kind"] == "series":
            return self._column(name, entry.get("column")).values
        fail(f"`{name}` should be an array of numbers; yours is {_a_kind(entry)}. {fix}")
        raise AssertionError  # unreachable: fail() raises

    def _stacked(self, name: str, columns: dict[str, Column]) -> np.ndarray:
        """A frame's columns side by side, once they fit in what the grader reads: many columns
        may name one file, read once."""
        if sum(c.values.nbytes for c in columns.values()) > MAX_READ_BYTES:
            fail(
                f"`{name}` could not be read back: its columns add up to more than the "
                f"{MAX_READ_BYTES // 2**20} MB the grader reads; the exercise's are far smaller."
            )
        return np.column_stack([c.values for c in columns.values()])

    def frame(self, name: str, fix: str, text: tuple[str, ...] = ()) -> Frame:
        """A variable that is a pandas DataFrame whose columns hold finite numbers, but those
        named in `text`, which the check itself reads (they may hold names)."""
        entry = self.entry(name, fix)
        if entry["kind"] != "dataframe":
            fail(f"`{name}` should be a pandas DataFrame; yours is {_a_kind(entry)}. {fix}")
        columns = self._columns(name, entry)
        checked = {column: c.values for column, c in columns.items() if column not in text}
        for column, values in {id(v): (k, v) for k, v in checked.items()}.values():
            _expect_numbers(f"`{name}` column `{column}`", values, fix)
        return Frame(columns)

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
        """The frame's columns: each one-dimensional, all of one length."""
        specs = entry.get("columns")
        columns = (
            {str(c): self._column(name, spec) for c, spec in specs.items()} if isinstance(specs, dict) else {}
        )
        shapes = {c.values.shape for c in columns.values()}
        if not isinstance(specs, dict) or len(shapes) > 1 or any(len(shape) != 1 for shape in shapes):
            fail(f"`{name}` could not be read back (the export wrote something the grader does not know).")
        return columns
