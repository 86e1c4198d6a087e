"""The value checks of the graders, read from the code, and the bad values each must fail on.

A value check is a check (a test of graders/test_<id>.py) that reads a variable with
`submission.array(...)`, `submission.value(...)` or `submission.frame(...)`. value_checks()
finds them, and the variables each reads, with ast, as branches.py finds `fail(...)` calls. Each
must pass on the reference's values (REFERENCES: the variables as the solutions make them, with
small models whose weights are set, not trained) and fail, with a message that names the
variable, on each kind of bad value (KINDS) put into each variable it reads, and on the
exercise's test data shrunk by the learner (SHRUNK). EXPECTED names the `fail(...)` branch that
writes each message. A new value check, or a new variable that one reads, fails test_values.py
until it has a reference value, a shrunk test set and an expected branch for every kind.
"""

from __future__ import annotations

import ast
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

import keras
import nbformat
import numpy as np
import pandas as pd
from keras_course.course import data
from keras_course.course.paths import GRADERS, SOLUTIONS, grader_file

READERS = ("array", "value", "frame")


def _calls(function: ast.FunctionDef) -> list[ast.Call]:
    calls = [node for node in ast.walk(function) if isinstance(node, ast.Call)]
    return sorted(calls, key=lambda node: (node.lineno, node.col_offset))


def _is_submission(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "submission"


def submission_calls(function: ast.FunctionDef, module: dict[str, ast.FunctionDef]) -> list[ast.Call]:
    """Every call `submission.<accessor>(...)` that a check makes, in order: its own, and those of
    the grader's functions it hands `submission` to."""
    found = []
    for call in _calls(function):
        func = call.func
        if isinstance(func, ast.Name) and func.id in module and any(map(_is_submission, call.args)):
            found += submission_calls(module[func.id], module)
        elif isinstance(func, ast.Attribute) and _is_submission(func.value):
            found.append(call)
    return found


def grader_checks(exercise: str) -> dict[str, list[ast.Call]]:
    """Each check of the exercise's grader, and the calls on `submission` it makes."""
    body = ast.parse(grader_file(exercise).read_text(encoding="utf-8")).body
    module = {node.name: node for node in body if isinstance(node, ast.FunctionDef)}
    return {
        name.removeprefix("test_"): submission_calls(function, module)
        for name, function in module.items()
        if name.startswith("test_")
    }


def fix_of(exercise: str, check: str, variable: str) -> ast.expr | None:
    """The `fix` a check hands the reader of variable (`submission.array("coordinates", DROP)`):
    the sentence that ends the check's message about it, as an expression of the grader."""
    for call in grader_checks(exercise)[check]:
        name = call.args[0] if call.args else None
        if call.func.attr in READERS and isinstance(name, ast.Constant) and name.value == variable:
            return call.args[1] if len(call.args) > 1 else None
    return None


def _reads(calls: list[ast.Call]) -> dict[str, str]:
    """The variables that the calls read with a reader, each with the first reader that reads it."""
    reads: dict[str, str] = {}
    for call in calls:
        if call.func.attr not in READERS:
            continue
        name = call.args[0] if call.args else None
        if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
            raise ValueError(f"line {call.lineno}: name the variable in a string, so that the tests find it")
        reads.setdefault(name.value, call.func.attr)
    return reads


@cache
def value_checks() -> dict[tuple[str, str], dict[str, str]]:
    """(exercise, check) -> {variable: reader} for every check that reads a variable's value."""
    checks = {}
    for path in sorted(GRADERS.glob("test_*.py")):
        exercise = path.stem.removeprefix("test_")
        for check, calls in grader_checks(exercise).items():
            if _reads(calls):
                checks[(exercise, check)] = _reads(calls)
    return checks


def _is_frame(value: object) -> bool:
    return isinstance(value, pd.DataFrame)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.number))


def _filled(value: object, number: float) -> object:
    """The value with its first number replaced; in a data frame, the first row of every column."""
    if _is_frame(value):
        frame = value.astype(float)
        frame.iloc[0] = number
        return frame
    if _is_number(value):
        return number
    array = np.array(value, dtype=float)
    array.flat[0] = number
    return array


def _with_an_object(value: object) -> object:
    """The value as Python objects: a None among the numbers, or a dict for a single value."""
    if _is_frame(value):
        frame = value.astype(object)
        frame.iloc[0] = None
        return frame
    if _is_number(value):
        return {"value": value}
    rows = np.asarray(value).tolist()
    first = rows
    while isinstance(first[0], list):
        first = first[0]
    first[0] = None
    return rows


def _rows(value: object, stop: int) -> object:
    if _is_frame(value):
        return value.iloc[:stop]
    return np.atleast_1d(np.asarray(value))[:stop]


def _text(value: object) -> object:
    if _is_frame(value):
        return value.astype(str)
    return str(value) if _is_number(value) else np.asarray(value).astype(str)


def _booleans(value: object) -> object:
    if _is_frame(value):
        return value.astype(bool)
    return True if _is_number(value) else np.asarray(value).astype(bool)


# Each kind of bad value, made from the reference's value of a variable.
KINDS: dict[str, Callable[[object], object]] = {
    "nan": lambda value: _filled(value, np.nan),
    "inf": lambda value: _filled(value, np.inf),
    "-inf": lambda value: _filled(value, -np.inf),
    "empty": lambda value: _rows(value, 0),
    "one_row": lambda value: _rows(value, 1),
    "text": _text,
    "bool": _booleans,
    "object": _with_an_object,
}


def notebook_function(exercise: str, name: str) -> Callable:
    """A function that the solution notebook defines, taken from it as it is."""
    for cell in nbformat.read(SOLUTIONS / f"{exercise}.ipynb", as_version=4).cells:
        if cell.cell_type != "code" or f"def {name}(" not in cell.source:
            continue
        module = ast.Module(
            [n for n in ast.parse(cell.source).body if getattr(n, "name", None) == name], type_ignores=[]
        )
        namespace = {"np": np}
        exec(compile(module, f"{exercise}.ipynb", "exec"), namespace)
        return namespace[name]
    raise LookupError(f"solutions/{exercise}.ipynb defines no {name}")


@cache
def _learner_file(name: str) -> pd.DataFrame:
    with tempfile.TemporaryDirectory(prefix="keras-course-data-") as folder:
        return pd.read_csv(data.write_learner_file(name, Path(folder)))


def learner_file(name: str) -> pd.DataFrame:
    """A data file as a notebook reads it: written as the grader writes it, read by pandas."""
    return _learner_file(name).copy()


def test_part(exercise: str, *arrays: object, test_size: float) -> list[np.ndarray]:
    """The test part of each array, as the solution notebook's own train_test_split makes it."""
    split = notebook_function(exercise, "train_test_split")
    return split(*arrays, test_size=test_size)[1::2]


def darts_encoded() -> dict:
    """The darts notebook's encoding, done right."""
    darts = learner_file("darts.csv")
    darts.competitor = pd.Categorical(darts.competitor).codes
    coordinates = darts.drop(["competitor"], axis=1)
    return {
        "darts": darts,
        "coordinates": coordinates,
        "competitors": keras.utils.to_categorical(darts.competitor),
    }


def darts_small_test() -> np.ndarray:
    """coords_small_test: the first 5 test throws."""
    return test_part("darts", darts_encoded()["coordinates"], test_size=0.25)[0][:5]


def notes_test_part() -> tuple[np.ndarray, np.ndarray]:
    """X_test and y_test."""
    banknotes = learner_file("banknotes.csv")
    x_test, y_test = test_part(
        "dollar_bills", banknotes.drop(columns="class"), banknotes["class"], test_size=0.3
    )
    return x_test, y_test


def sensors_test_part() -> np.ndarray:
    """sensors_test."""
    irrigation = learner_file("irrigation_machine.csv").iloc[:, 1:]  # the index column aside
    return test_part("irrigation", irrigation.iloc[:, :20], test_size=0.3)[0]


def dense(inputs: int, *layers: tuple[int, str | None], weights: list | None = None) -> keras.Model:
    model = keras.Sequential(
        [keras.Input((inputs,))] + [keras.layers.Dense(units, activation=act) for units, act in layers]
    )
    if weights is not None:
        model.set_weights(weights)
    return model


def predict(model: keras.Model, x: np.ndarray) -> np.ndarray:
    return model.predict(np.asarray(x), verbose=0)


def darts_model() -> keras.Model:
    """A darts model that gives x, -x, y and 0.5 for a throw at (x, y)."""
    weights = [np.array([[1.0, -1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]), np.array([0, 0, 0, 0.5])]
    return dense(2, (4, None), weights=weights)


def darts_reference() -> dict:
    """The darts notebook's variables, with darts_model."""
    model, coords_small_test = darts_model(), darts_small_test()
    preds_chosen = [np.argmax(pred) for pred in predict(model, coords_small_test)]
    return {
        "model": model,
        **darts_encoded(),
        "coords_small_test": coords_small_test,
        "preds_chosen": preds_chosen,
    }


def bills_accuracy(model: keras.Model, x_test: np.ndarray, y_test: np.ndarray) -> float:
    model.compile(loss="binary_crossentropy", metrics=["accuracy"])
    return model.evaluate(x_test, y_test, verbose=0)[1]


def dollar_bills_reference() -> dict:
    """The dollar-bills notebook's variables; its model calls a note forged when its variance is
    negative."""
    x_test, y_test = notes_test_part()
    model = dense(4, (1, "sigmoid"), weights=[np.array([[-2.0], [0], [0], [0]]), np.array([0.0])])
    return {
        "model": model,
        "accuracy": bills_accuracy(model, x_test, y_test),
        "X_test": x_test,
        "y_test": y_test,
    }


def irrigation_reference() -> dict:
    """The irrigation notebook's variables; its model's weights are seeded, not trained."""
    rng = np.random.default_rng(0)
    weights = [rng.normal(0, 0.3, (20, 64)), np.zeros(64), rng.normal(0, 0.3, (64, 3)), np.zeros(3)]
    model, sensors_test = dense(20, (64, "relu"), (3, "sigmoid"), weights=weights), sensors_test_part()
    return {
        "model": model,
        "sensors_test": sensors_test,
        "preds_rounded": np.round(predict(model, sensors_test)),
    }


# The meteor model's weights, set by hand instead of 30 epochs of training: the first layer's
# relu units are t + 11 and t - k at 49 knots k, the next two layers pass them on unchanged, and
# the output layer adds them up into the least-squares piecewise-linear fit of y = t².
HAND_SET_WEIGHTS = """
knots = np.linspace(-10.5, 10.5, 49)
grid = np.arange(-10.5, 10.5, 0.01)
features = np.column_stack([grid + 11] + [np.maximum(grid - k, 0) for k in knots] + [np.ones_like(grid)])
coefficients = np.linalg.lstsq(features, grid**2, rcond=None)[0]
model.set_weights([
    np.ones((1, 50)), np.concatenate([[11.0], -knots]),
    np.eye(50), np.zeros(50), np.eye(50), np.zeros(50),
    coefficients[:50].reshape(50, 1), coefficients[50:],
])
"""


def meteor_reference() -> dict:
    """The meteor notebook's variables, with the weights set by hand."""
    model = dense(1, (50, "relu"), (50, "relu"), (50, "relu"), (1, None))
    exec(HAND_SET_WEIGHTS, {"np": np, "model": model})
    return {
        "model": model,
        "twenty_min_orbit": predict(model, np.arange(-10, 11)),
        "eighty_min_orbit": predict(model, np.arange(-40, 41)),
    }


# Each exercise's variables as the reference solution makes them.
REFERENCES: dict[str, Callable[[], dict]] = {
    "counting_parameters": lambda: {"hidden_layer_params": 20},
    "darts": darts_reference,
    "dollar_bills": dollar_bills_reference,
    "irrigation": irrigation_reference,
    "meteor_orbit": meteor_reference,
}


def _fewer_minutes(reference: dict) -> dict:
    model = reference["model"]
    return {
        "twenty_min_orbit": predict(model, np.arange(-5, 6)),
        "eighty_min_orbit": predict(model, np.arange(-20, 21)),
    }


def _fewer_notes(reference: dict) -> dict:
    x_test, y_test = reference["X_test"][:100], reference["y_test"][:100]
    return {
        "X_test": x_test,
        "y_test": y_test,
        "accuracy": bills_accuracy(reference["model"], x_test, y_test),
    }


# What each check reads after the learner shrank the exercise's test data, consistently: the
# variables that change, from the reference's, and the variable the check must name.
SHRUNK: dict[tuple[str, str], tuple[Callable[[dict], dict], str]] = {
    ("darts", "encoding"): (
        lambda r: {
            "darts": r["darts"].head(400),
            "coordinates": r["coordinates"].head(400),
            "competitors": r["competitors"][:400],
        },
        "darts",
    ),
    ("darts", "predictions"): (
        lambda r: {"coords_small_test": r["coords_small_test"][:3], "preds_chosen": r["preds_chosen"][:3]},
        "coords_small_test",
    ),
    ("dollar_bills", "accuracy_variable"): (_fewer_notes, "X_test"),
    ("irrigation", "rounded_predictions"): (
        lambda r: {"sensors_test": r["sensors_test"][:100], "preds_rounded": r["preds_rounded"][:100]},
        "sensors_test",
    ),
    ("meteor_orbit", "orbit_shapes"): (_fewer_minutes, "twenty_min_orbit"),
    ("meteor_orbit", "twenty_min_orbit"): (_fewer_minutes, "twenty_min_orbit"),
}
# Value checks that read no test data, so there is none to shrink.
NO_TEST_DATA = {
    ("counting_parameters", "hidden_layer_params"): "a count the learner works out, from no data",
}

# Which `fail(...)` branch writes each case's message: (file, function, start of its template).
SUBMISSION = "submission.py"
TOO_MANY_OR_FEW = ("values.py", "expect_rows", "`…` should hold … of")
GENERIC = {  # what Submission's readers say alike for every variable
    **dict.fromkeys(
        [(reader, kind) for reader in ("array", "frame") for kind in ("nan", "inf", "-inf")],
        (SUBMISSION, "_expect_numbers", "… holds"),
    ),
    **dict.fromkeys(
        [("array", "text"), ("frame", "text"), ("frame", "object")],
        (SUBMISSION, "_expect_numbers", "… should hold numbers; yours holds text"),
    ),
    **dict.fromkeys(
        [("array", "bool"), ("frame", "bool")],
        (SUBMISSION, "_expect_numbers", "… should hold numbers; yours holds True"),
    ),
    ("array", "object"): (SUBMISSION, "entry", "`…` could not be read back (…"),
    **dict.fromkeys(
        [("value", "nan"), ("value", "inf"), ("value", "-inf")], (SUBMISSION, "value", "`…` is …")
    ),
    **dict.fromkeys(
        [("value", "empty"), ("value", "one_row"), ("value", "object")],
        (SUBMISSION, "value", "`…` should be a single value"),
    ),
}
# What each check says of an array or a data frame with too few rows: empty, one row, or the
# test set shrunk; by (exercise, check, variable). A pair is (function, start) in the grader.
TOO_FEW = {
    ("darts", "encoding", "darts"): ("_competitor_codes", "`darts` should hold the"),
    ("darts", "encoding", "coordinates"): ("_coordinates", "`coordinates` should hold the …"),
    ("darts", "encoding", "competitors"): ("_one_hot", "`competitors` should be one-hot"),
    ("darts", "predictions", "coords_small_test"): TOO_MANY_OR_FEW,
    ("darts", "predictions", "preds_chosen"): ("test_predictions", "`preds_chosen` should hold"),
    ("dollar_bills", "accuracy_variable", "X_test"): TOO_MANY_OR_FEW,
    ("dollar_bills", "accuracy_variable", "y_test"): (
        "_test_part",
        "`y_test` should hold the class of each of",
    ),
    ("irrigation", "rounded_predictions", "sensors_test"): TOO_MANY_OR_FEW,
    ("irrigation", "rounded_predictions", "preds_rounded"): (
        "test_rounded_predictions",
        "`preds_rounded` should have",
    ),
    ("meteor_orbit", "orbit_shapes", "twenty_min_orbit"): ("_orbit_shape", "`…` should have"),
    ("meteor_orbit", "orbit_shapes", "eighty_min_orbit"): ("_orbit_shape", "`…` should have"),
    ("meteor_orbit", "twenty_min_orbit", "twenty_min_orbit"): (
        "test_twenty_min_orbit",
        "`twenty_min_orbit` should",
    ),
}
# What each check says of a single value that is text or True, by (exercise, check, variable).
NOT_A_NUMBER = {
    ("counting_parameters", "hidden_layer_params", "hidden_layer_params"): (
        "test_hidden_layer_params",
        "`hidden_layer_params` should be a whole",
    ),
    ("dollar_bills", "accuracy_variable", "accuracy"): (
        "test_accuracy_variable",
        "`accuracy` should be a number",
    ),
}


def _in_grader(exercise: str, branch: tuple[str, ...] | None) -> tuple[str, str, str] | None:
    """A branch named by (function, start) is the exercise grader's."""
    return (f"test_{exercise}.py", *branch) if branch is not None and len(branch) == 2 else branch


def expected_branch(case: str) -> tuple[str, str, str] | None:
    """The branch that must write a case's message ("exercise/check/variable/kind", or
    "exercise/check/shrunk"); None where none is named."""
    exercise, check, *rest = case.split("/")
    if rest == ["shrunk"]:
        return _in_grader(exercise, TOO_FEW.get((exercise, check, SHRUNK[(exercise, check)][1])))
    variable, kind = rest
    reader = value_checks()[(exercise, check)][variable]
    if kind in ("empty", "one_row") and reader != "value":
        return _in_grader(exercise, TOO_FEW.get((exercise, check, variable)))
    if kind in ("text", "bool") and reader == "value":
        return _in_grader(exercise, NOT_A_NUMBER.get((exercise, check, variable)))
    return GENERIC.get((reader, kind))


def case_ids() -> list[str]:
    """One case per variable of a value check and kind of bad value, and one per shrunk test set."""
    cases = [
        f"{exercise}/{check}/{variable}/{kind}"
        for (exercise, check), reads in value_checks().items()
        for variable in reads
        for kind in KINDS
    ]
    return cases + [
        f"{exercise}/{check}/shrunk" for exercise, check in value_checks() if (exercise, check) in SHRUNK
    ]


THROWS = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.2, 0.1], [0.0, 0.6]])  # none is in darts.csv
SMALL_TEST = "It should be the first 5 test throws: `coords_small_test = coord_test[:5]`."
NOTES_SPLIT = (
    "Keep the test part that the notebook's split makes: "
    "`X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3)`."
)


def _swapped(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its first two rows swapped."""
    return frame.iloc[[1, 0, *range(2, len(frame))]]


def _first_class_two(labels: np.ndarray) -> np.ndarray:
    """The labels with the first one 2, a class no bank note has."""
    changed = np.array(labels)
    changed[0] = 2
    return changed


# Realistic values beyond the kinds, each with the whole message its check must fail with:
# (exercise, check, what the learner changed from the reference, message).
EXTRA: dict[str, tuple[str, str, Callable[[dict], dict], str]] = {
    "flattened_throws": (
        "darts",
        "predictions",
        lambda r: {"coords_small_test": np.ravel(r["coords_small_test"])},
        "`coords_small_test` should be a table of 5 rows and 2 columns, rows of darts.csv; yours has "
        f"shape (10,). {SMALL_TEST}",
    ),
    "made_up_throws": (
        "darts",
        "predictions",
        lambda r: {"coords_small_test": THROWS},
        "`coords_small_test` should hold rows of darts.csv; 5 of its 5 rows are not in it, the first is "
        f"row 0: [1.0, 0.0]. {SMALL_TEST}",
    ),
    # A run's `coords_small_test = coords_small_test[:0]`, with preds_chosen made from it.
    "no_throws": (
        "darts",
        "predictions",
        lambda r: {"coords_small_test": r["coords_small_test"][:0], "preds_chosen": []},
        f"`coords_small_test` should hold 5 rows of darts.csv; yours holds 0. {SMALL_TEST}",
    ),
    # 64 MB of throws, the most the export writes of one array: refused before any forward pass.
    "64_mb_of_throws": (
        "darts",
        "predictions",
        lambda r: {"coords_small_test": np.zeros((2**22, 2))},
        f"`coords_small_test` should hold 5 rows of darts.csv; yours holds 4194304. {SMALL_TEST}",
    ),
    "coordinates_swapped": (
        "darts",
        "encoding",
        lambda r: {"coordinates": _swapped(r["coordinates"])},
        "`coordinates` should hold the xCoord and yCoord of each throw of darts.csv, in its order; 2 of "
        'its 800 rows differ. Drop only the competitor column: `darts.drop(["competitor"], axis=1)`.',
    ),
    "unknown_class": (
        "dollar_bills",
        "accuracy_variable",
        lambda r: {"y_test": _first_class_two(r["y_test"])},
        "`y_test` should hold the class of each bank note of X_test; 1 of its 329 classes are not those "
        f"of banknotes.csv, the first is row 0: 2. {NOTES_SPLIT}",
    ),
    "no_notes": (
        "dollar_bills",
        "accuracy_variable",
        lambda r: {"X_test": r["X_test"][:0], "y_test": r["y_test"][:0]},
        f"`X_test` should hold 329 rows of banknotes.csv; yours holds 0. {NOTES_SPLIT}",
    ),
    "no_readings": (
        "irrigation",
        "rounded_predictions",
        lambda r: {"sensors_test": r["sensors_test"][:0], "preds_rounded": r["preds_rounded"][:0]},
        "`sensors_test` should hold 600 rows of irrigation_machine.csv; yours holds 0. Keep the test part "
        "that the notebook's split makes: `sensors_train, sensors_test, parcels_train, parcels_test = "
        "train_test_split(sensors, parcels, test_size=0.3)`.",
    ),
}
