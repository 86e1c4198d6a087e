"""Verdicts to trust: no check passes on what is missing, a passed check says what it measured,
and every failure branch of the grading logic is reached by a test that asserts its message.

- Every Lacking variant of lacking.py fails exactly its checks, each with a message naming what
  is missing; every check of every exercise meets every kind of lack that applies to it.
- Every `fail(...)` of the graders, checks/shared.py, checks/metrics.py and
  checks/submission.py is in branches.REACHED_BY, and the test named there reaches it: the
  variants here and in test_grading.py, the unit cases below, which give the shared checks small
  real Keras models, saved and read back as the grader reads them, and the read-back cases,
  which give Submission a darts notebook's real export, with a wrong value or a damaged file.
- The reference solutions pass with feedback that states what was measured (measured.py).
"""

from __future__ import annotations

import json
from functools import cache

import keras
import numpy as np
import pandas as pd
import pytest
from branches import REACHED_BY, assert_branches_reached, branch_of, fail_branches
from conftest import failed_checks
from keras_course.checks import shared
from keras_course.checks.feedback import CheckFailed
from keras_course.checks.metrics import heldout_measure
from keras_course.checks.submission import Submission
from keras_course.course.config import load_course
from keras_course.course.data import heldout
from keras_course.course.paths import DATASETS, SOLUTIONS
from keras_course.grade.notebook_checks import export_run
from keras_course.run.outcome import CellError, RunResult
from lacking import DOLLAR_PLOT, KINDS, LACKING, METEOR_PLOTS, Lacking
from measured import assert_pass_feedback_is_measured
from mistakes import METEOR_FIT, Variant, quick_variants
from run_here import grade_here, grade_variables, saved
from value_cases import (
    EXTRA,
    HAND_SET_WEIGHTS,
    case_ids,
    darts_encoded,
    darts_model,
    darts_small_test,
    grader_checks,
    notes_test_part,
    sensors_test_part,
)

COURSE = load_course()


@pytest.mark.parametrize("variant", LACKING, ids=lambda v: v.id)
def test_lacking_subject_fails_with_a_message_naming_it(tmp_path, variant: Lacking):
    source = (SOLUTIONS / f"{variant.exercise}.ipynb").read_text(encoding="utf-8")
    result = grade_here(variant.apply(source), variant.exercise, tmp_path)
    assert result.error is None
    failed = {c.name: c.feedback for c in result.checks if not c.passed}
    assert set(failed) == set(variant.fails), failed
    for name, piece in variant.fails.items():
        assert piece in failed[name], (name, failed[name])
    measured = {c.name: c.measured for c in result.checks if not c.passed}
    assert_branches_reached(f"lacking:{variant.id}", failed, measured)


# What a check reads decides which lacks apply to it: a check that reads the model must fail
# on a model without layers, with a layer fewer or more, and on a `model` that is not one; a
# check that reads a value, on a value of the wrong type; one that reads an array or a data
# frame, on one of the wrong type or shape.
LACKS_BY_ACCESSOR = {
    "model": {"no_layers", "one_fewer", "one_more", "wrong_type"},
    "value": {"wrong_type"},
    "array": {"wrong_type", "wrong_shape"},
    "frame": {"wrong_type", "wrong_shape"},
}
# Lacks that leave a check's subject whole, so the check rightly passes: the `layers` and
# `activations` checks of the same variants report them.
WHOLE = {
    ("input_shape", "one_fewer"): "the input shape is the first layer's; the layer left out is a later one",
    ("input_shape", "one_more"): "the input shape is the first layer's; the extra layer comes later",
    ("compile", "one_fewer"): "the compile settings do not depend on the layers",
    ("compile", "one_more"): "the compile settings do not depend on the layers",
}


def required_lacks(exercise_id: str) -> dict[str, set[str]]:
    """Each check of the exercise and the kinds of lack it must fail on, from what it reads."""
    required = {}
    for name, calls in grader_checks(exercise_id).items():
        reads = {call.func.attr for call in calls}
        kinds = set().union(*(LACKS_BY_ACCESSOR.get(r, set()) for r in reads))
        required[name] = {k for k in kinds if (name, k) not in WHOLE}
    return required


@pytest.mark.parametrize("exercise_id", list(COURSE.exercises))
def test_every_check_fails_on_every_lack_that_applies(exercise_id):
    missing = []
    for check, kinds in required_lacks(exercise_id).items():
        assert kinds, f"{check} reads nothing of the submission"
        for kind in sorted(kinds):
            if not any(v.exercise == exercise_id and kind in v.kinds and check in v.fails for v in LACKING):
                missing.append(f"{check}: {KINDS[kind]}")
    assert missing == [], f"{exercise_id}: no Lacking variant gives these checks what they need"


def test_every_fail_branch_is_reached_by_a_named_test():
    cases = {f"lacking:{v.id}" for v in LACKING}
    cases |= {f"mistake:{v.exercise}/{v.name}" for v in quick_variants()}
    cases |= {f"unit:{name}" for name in UNIT_CASES}
    cases |= {f"read:{name}" for name in READ_BACK_CASES}
    cases |= {f"value:{case}" for case in [*case_ids(), *EXTRA]}
    named = set()
    for (file, function), starts in REACHED_BY.items():
        for start, (case, _) in starts.items():
            named.add(branch_of(file, function, start))
            assert case in cases, f"{file} {function}: {start!r} names {case}, which no quick test runs"
    untested = [f"{b.file} {b.function}: {b.template}" for b in fail_branches() if b not in named]
    assert untested == [], "add each to branches.REACHED_BY with a test that reaches it"


def dense(*units, inputs=None, **kwargs):
    layers = [keras.Input((inputs,))] if inputs else []
    return keras.Sequential(layers + [keras.layers.Dense(u, **kwargs) for u in units])


def compiled(model, **settings):
    model.compile(**settings)
    return model


def with_nan(model):
    model.set_weights([np.full_like(w, np.nan) for w in model.get_weights()])
    return model


def halved(z):
    """A learner's own activation function."""
    return z / 2


def squared_gap(y_true, y_pred):
    """A learner's own loss function."""
    return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)


NOTES = np.zeros((5, 4))
# The shared checks that the notebook variants do not reach, on small real models:
# (the model, the check on it, a piece of its message).
UNIT_CASES = {
    "not_dense": (
        lambda: keras.Sequential(
            [keras.Input((2,)), keras.layers.Dense(3), keras.layers.BatchNormalization()]
        ),
        lambda m: shared.expect_dense_units(m, [3, 1]),
        "Layer 2 should be a Dense layer; yours is a BatchNormalization layer. "
        "Make your second layer `Dense(...)`.",
    ),
    "optimizer": (
        lambda: compiled(
            dense(1, inputs=4), optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"]
        ),
        lambda m: shared.expect_compile(m, "sgd", "binary_crossentropy", ["accuracy"]),
        "Your model should be compiled with optimizer='sgd'; yours uses 'adam'. "
        "Check the `optimizer=` argument of model.compile.",
    ),
    "loss": (
        lambda: compiled(dense(1, inputs=4), optimizer="sgd", loss="mse", metrics=["accuracy"]),
        lambda m: shared.expect_compile(m, "sgd", "binary_crossentropy", ["accuracy"]),
        "Your model should be compiled with loss='binary_crossentropy'; yours uses 'mean_squared_error'. "
        "Check the `loss=` argument of model.compile.",
    ),
    "own_loss_function": (
        lambda: compiled(dense(1, inputs=4), optimizer="sgd", loss=squared_gap, metrics=["accuracy"]),
        lambda m: shared.expect_compile(m, "sgd", "binary_crossentropy", ["accuracy"]),
        "Your model should be compiled with loss='binary_crossentropy'; yours uses 'squared_gap'. "
        "Check the `loss=` argument of model.compile.",
    ),
    "own_activation_function": (
        lambda: dense(1, inputs=4, activation=halved),
        lambda m: shared.expect_activations(m, ["sigmoid"]),
        "Layer 1 should have activation='sigmoid'; yours has activation='halved'. "
        "Check the `activation=` argument of your first Dense layer.",
    ),
    "no_metrics": (
        lambda: compiled(dense(1, inputs=4), optimizer="sgd", loss="binary_crossentropy"),
        lambda m: shared.expect_compile(m, "sgd", "binary_crossentropy", ["accuracy"]),
        "Your model should track metrics=['accuracy']; yours tracks none. "
        "Check the `metrics=` argument of model.compile.",
    ),
    "other_metrics": (
        lambda: compiled(
            dense(1, inputs=4), optimizer="sgd", loss="binary_crossentropy", metrics=["mae", "mse"]
        ),
        lambda m: shared.expect_compile(m, "sgd", "binary_crossentropy", ["accuracy"]),
        "Your model should track metrics=['accuracy']; yours tracks "
        "'mean_absolute_error', 'mean_squared_error'. Check the `metrics=` argument of model.compile.",
    ),
    "unbuilt_predictions": (
        lambda: dense(3, 1),
        lambda m: shared.predictions(m, NOTES, 1, "bank note"),
        "Your model has not been built, so it has no weights to predict with. "
        "Give the first layer an input shape and train the model.",
    ),
    # `Dense(5, input_shape=(None, 3))`: the batch dimension written into the input shape.
    "batch_dimension_in_input_shape": (
        lambda: keras.Sequential([keras.Input((None, 3)), keras.layers.Dense(5), keras.layers.Dense(1)]),
        lambda m: shared.expect_input_shape(m, 3),
        "Your model should take 3 inputs, with input shape (3,); yours has input shape (None, 3). "
        "Use `input_shape=(3,)` in your first Dense layer, or `keras.Input(shape=(3,))`.",
    ),
    "input_width": (
        lambda: dense(1, inputs=3),
        lambda m: shared.predictions(m, NOTES, 1, "bank note"),
        "Your model takes 3 inputs, but each bank note has 4. "
        "Check the input shape of your first Dense layer.",
    ),
    "not_dense_predictions": (
        lambda: keras.Sequential(
            [keras.Input((4,)), keras.layers.BatchNormalization(), keras.layers.Dense(1)]
        ),
        lambda m: shared.predictions(m, NOTES, 1, "bank note"),
        "The grader cannot compute your model's predictions: layer 1 is a BatchNormalization",
    ),
    "unknown_activation": (
        lambda: dense(1, inputs=4, activation="selu"),
        lambda m: shared.predictions(m, NOTES, 1, "bank note"),
        "The grader cannot compute your model's predictions: "
        "layer 1 uses activation='selu', which the grader does not know.",
    ),
    "nan_weights": (
        lambda: with_nan(dense(1, inputs=4, activation="sigmoid")),
        lambda m: heldout_measure("dollar_bills", m),
        "Your model's weights hold NaN or infinite values",
    ),
}


# What each unit case's failed check measured: the value found, by which the class dashboard
# counts a class's failures (report/dashboard.py), never the expected answer alone.
UNIT_MEASURED = {
    "not_dense": "layer 2: BatchNormalization",
    "optimizer": "optimizer 'adam'",
    "loss": "loss 'mean_squared_error'",
    "own_loss_function": "loss 'squared_gap'",
    "own_activation_function": "layer 1: halved",
    "no_metrics": "metrics: none",
    "other_metrics": "metrics: 'mean_absolute_error', 'mean_squared_error'",
    "unbuilt_predictions": "not built",
    "batch_dimension_in_input_shape": "input shape (None, 3)",
    "input_width": "3 inputs",
    "not_dense_predictions": "layer 1 is a BatchNormalization, not a Dense layer",
    "unknown_activation": "layer 1 uses activation='selu', which the grader does not know",
    "nan_weights": "NaN or infinite weights",
}


def test_every_failure_of_the_shared_checks_says_the_value_it_found():
    """Every fail() of checks/shared.py and checks/metrics.py passes measured=."""
    shared_branches = [b for b in fail_branches() if b.file in ("shared.py", "metrics.py")]
    assert len(shared_branches) > 10, "the shared checks' branches were not found"
    assert [b.template for b in shared_branches if not b.measures] == []


@pytest.mark.parametrize("name", list(UNIT_CASES))
def test_shared_check_fails_with_its_message(tmp_path, name):
    build, check, piece = UNIT_CASES[name]
    with pytest.raises(CheckFailed) as caught:
        check(saved(tmp_path, build()))
    assert piece in str(caught.value)
    assert caught.value.measured == UNIT_MEASURED[name]
    assert_branches_reached(f"unit:{name}", {None: str(caught.value)}, {None: caught.value.measured})


def test_a_failed_check_says_the_value_it_measured_and_a_passed_one_says_none(tmp_path):
    """The class dashboard counts failures by this value (CheckResult.measured), not by message."""
    with pytest.raises(CheckFailed) as caught:
        shared.expect_dense_units(saved(tmp_path / "wrong", dense(32, 4, inputs=2)), [64, 4])
    assert caught.value.measured == "layer 1: 32 units"
    assert str(caught.value).startswith("Layer 1 should have 64 units; yours has 32.")
    assert shared.expect_dense_units(saved(tmp_path / "right", dense(64, 4, inputs=2)), [64, 4])


@keras.saving.register_keras_serializable(package="learner")
class MyDense(keras.layers.Dense):
    """A learner's own layer class: the grader does not load custom classes."""


def delete(name):
    return lambda folder: (folder / name).unlink()


def write(name, text):
    return lambda folder: (folder / name).write_text(text, encoding="utf-8")


def entry_of(name, entry):
    """A manifest whose entry for `name` is this, as a notebook that wrote into its own export
    folder could leave it."""

    def change(folder):
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        (folder / "manifest.json").write_text(json.dumps({**manifest, name: entry}), encoding="utf-8")

    return change


DARTS = pd.DataFrame({"xCoord": [0.1, -0.2], "yCoord": [0.3, 0.0], "competitor": [1, 0]})
FIX = "It should be what the instructions make."  # what a check says to do, after the message
NAME_ERROR = CellError.of(
    "model = Sequential()", "NameError", "name 'Sequential' is not defined", cell=3, line=1
)
# What a darts notebook left in its variables, what then happened to its export folder, the
# accessor a check calls, and the message the learner reads: (variables, change, read, message),
# where variables() makes the namespace.
READ_BACK_CASES = {
    "manifest_not_an_object": (
        lambda: {"model": dense(1, inputs=2)},
        write("manifest.json", "[1, 2]"),
        lambda s: s.model(),
        "The grader could not read your variables back: its manifest is not a JSON object.",
    ),
    "unknown_entry": (
        lambda: {"model": dense(1, inputs=2)},
        entry_of("model", {"kind": "pickle"}),
        lambda s: s.model(),
        "`model` could not be read back (the export wrote something the grader does not know).",
    ),
    "not_defined": (
        lambda: {},
        None,
        lambda s: s.model(),
        "Your notebook does not define `model`. "
        "Cell 3, line 1 (`model = Sequential()`) stopped with NameError: name 'Sequential' is not defined",
    ),
    "unexportable": (
        lambda: {"competitors": [object(), object()]},
        None,
        lambda s: s.array("competitors", FIX),
        "`competitors` could not be read back (TypeError: it holds Python objects, not numbers). " + FIX,
    ),
    "array_file_missing": (
        lambda: {"competitors": np.eye(4)},
        delete("competitors.npy"),
        lambda s: s.array("competitors", FIX),
        "`competitors` could not be read back: its file competitors.npy is missing.",
    ),
    "layer_not_model": (
        lambda: {"model": keras.layers.Dense(4)},
        None,
        lambda s: s.model(),
        "`model` should be a Keras model; yours is a Dense. Create it with `Sequential()`.",
    ),
    "model_settings_missing": (
        lambda: {"model": dense(1, inputs=2)},
        delete("model__config.json"),
        lambda s: s.model(),
        "`model` could not be read back: its file model__config.json is missing.",
    ),
    "custom_layer": (
        lambda: {"model": keras.Sequential([keras.Input((2,)), MyDense(4)])},
        None,
        lambda s: s.model(),
        "`model` uses custom classes (MyDense) that the grader does not load. "
        "Build it from keras.Sequential and keras.layers.Dense.",
    ),
    "array_not_value": (
        lambda: {"hidden_layer_params": np.array([15, 5])},
        None,
        lambda s: s.value("hidden_layer_params", FIX),
        "`hidden_layer_params` should be a single value; yours is an array. " + FIX,
    ),
    "array_of_text": (
        lambda: {"competitors": np.array(["Steve", "Susan"])},
        None,
        lambda s: s.array("competitors", FIX),
        "`competitors` should hold numbers; yours holds text. " + FIX,
    ),
    "array_of_complex_numbers": (
        lambda: {"competitors": np.array([1j, 2])},
        None,
        lambda s: s.array("competitors", FIX),
        "`competitors` should hold numbers; yours holds values of type complex128. " + FIX,
    ),
    "text_not_array": (
        lambda: {"competitors": "to_categorical(darts.competitor)"},
        None,
        lambda s: s.array("competitors", FIX),
        "`competitors` should be an array of numbers; yours is a str. " + FIX,
    ),
    "array_not_frame": (
        lambda: {"darts": DARTS.to_numpy()},
        None,
        lambda s: s.frame("darts", FIX),
        "`darts` should be a pandas DataFrame; yours is an array. " + FIX,
    ),
    # Five columns that all name one file of 64 MB, the most the export writes: read once, and
    # 320 MB side by side, more than the grader reads of one submission.
    "columns_past_what_the_grader_reads": (
        lambda: {"competitors": pd.DataFrame({"c": np.zeros(8 * 2**20)})},
        entry_of(
            "competitors",
            {"kind": "dataframe", "columns": {f"c{i}": {"file": "competitors__0.npy"} for i in range(5)}},
        ),
        lambda s: s.array("competitors", FIX),
        "`competitors` could not be read back: its columns add up to more than the 256 MB the grader "
        "reads; the exercise's are far smaller.",
    ),
    "series_without_column": (
        lambda: {"competitors": DARTS.competitor},
        entry_of("competitors", {"kind": "series", "column": "competitor.npy"}),
        lambda s: s.array("competitors", FIX),
        "`competitors` could not be read back (the export wrote something the grader does not know).",
    ),
    "frame_without_columns": (
        lambda: {"darts": DARTS},
        entry_of("darts", {"kind": "dataframe", "columns": ["xCoord", "yCoord"]}),
        lambda s: s.frame("darts", FIX),
        "`darts` could not be read back (the export wrote something the grader does not know).",
    ),
}


@pytest.mark.parametrize("name", list(READ_BACK_CASES))
def test_reading_a_variable_back_fails_with_its_message(tmp_path, name):
    variables, change, read, message = READ_BACK_CASES[name]
    namespace = variables()  # built here, not at import: no TensorFlow work before a test runs
    folder = tmp_path / "artifacts"
    export_run(tuple(namespace) or ("model",), namespace, folder, [])
    if change:
        change(folder)
    run = RunResult(artifacts=folder, cell_errors=[NAME_ERROR])
    with pytest.raises(CheckFailed) as caught:
        read(Submission(COURSE.exercise("darts"), run))
    assert str(caught.value) == message
    assert_branches_reached(f"read:{name}", {None: message})


def irrigation_model(probability: float, inputs: int = 20):
    """The irrigation network with every weight zero but the output biases: it gives each parcel
    this probability for every reading."""
    model = keras.Sequential(
        [
            keras.Input((inputs,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(3, activation="sigmoid"),
        ]
    )
    logit = np.log(probability / (1 - probability))
    model.set_weights([np.zeros((inputs, 64)), np.zeros(64), np.zeros((64, 3)), np.full(3, logit)])
    return model


def bill_model() -> keras.Model:
    """A bank-note model that calls a note forged when its variance (first feature) is positive."""
    model = dense(1, inputs=4, activation="sigmoid")
    model.set_weights([np.array([[5.0], [0], [0], [0]]), np.array([0.0])])
    return model


@cache
def bill_model_accuracy() -> float:
    """bill_model's accuracy on X_test, worked out note by note from its rule."""
    x_test, y_test = notes_test_part()
    return float(np.mean((x_test[:, 0] > 0) == y_test))


def bills(model: keras.Model, accuracy: object, labels=lambda y: y) -> dict:
    """The dollar-bills notebook's variables: this model and accuracy, and its test part, with
    its labels as labels(y_test)."""
    x_test, y_test = notes_test_part()
    return {"model": model, "accuracy": accuracy, "X_test": x_test, "y_test": labels(y_test)}


def undecided_bills() -> dict:
    """A bank-note model that gives every note a probability of exactly 0.5, with the accuracy
    that Keras's evaluate reports for it (which counts 0.5 as genuine)."""
    model = compiled(
        dense(1, inputs=4, activation="sigmoid"), loss="binary_crossentropy", metrics=["accuracy"]
    )
    model.set_weights([np.zeros((4, 1)), np.zeros(1)])
    return bills(model, model.evaluate(*notes_test_part(), verbose=0)[1])


def genuine_share() -> str:
    """The share of genuine notes in y_test, as the feedback shows it."""
    return f"{np.mean(notes_test_part()[1] == 0):.3f}"


def darts_picks() -> list[int]:
    """What darts_model picks for coords_small_test, worked out throw by throw: the largest of x,
    -x, y and 0.5."""
    return [int(np.argmax([x, -x, y, 0.5])) for x, y in darts_small_test()]


def darts_variables(model: keras.Model, picks: list[int] | np.ndarray) -> dict:
    return {"model": model, "coords_small_test": darts_small_test(), "preds_chosen": np.array(picks)}


def wrong_picks() -> list[int]:
    """darts_picks with the first pick another competitor."""
    return [(darts_picks()[0] + 1) % 4, *darts_picks()[1:]]


def darts_names(dtype) -> dict:
    """The darts notebook with the competitors' names kept, of this dtype."""
    darts = pd.read_csv(DATASETS / "darts.csv")
    darts.competitor = darts.competitor.astype(dtype)
    return {"darts": darts}


STILL_NAMES = (
    "`darts.competitor` still holds names, not numbers. After making it categorical, replace it "
    "by its codes: `darts.competitor = darts.competitor.cat.codes`."
)


def ones_but_two_rows() -> np.ndarray:
    """All ones, one per test example and parcel, but a 0 in two rows."""
    rounded = np.ones((len(sensors_test_part()), 3))
    rounded[1, 0] = rounded[3, 2] = 0
    return rounded


LOSS_MESSAGE = (
    "Your model should be compiled with loss='{}'; yours uses '{}'. "
    "Check the `loss=` argument of model.compile."
)
NO_METRICS = (
    "Your model should track metrics=['accuracy']; yours tracks none. "
    "Check the `metrics=` argument of model.compile."
)
# What an exercise's grader passes to the shared checks (the loss and metrics it expects, the
# word for one example, the rounding tolerance), tested through the grader on a notebook's
# variables given directly: (exercise, variables(), check, (passed, its exact feedback)), where
# the feedback that names figures of the course's data is worked out when the test runs.
GRADER_CASES = {
    "dollar_bills_mse": (
        "dollar_bills",
        lambda: {"model": compiled(dense(1, inputs=4), optimizer="sgd", loss="mse", metrics=["accuracy"])},
        "compile",
        (False, LOSS_MESSAGE.format("binary_crossentropy", "mean_squared_error")),
    ),
    "dollar_bills_no_metrics": (
        "dollar_bills",
        lambda: {"model": compiled(dense(1, inputs=4), optimizer="sgd", loss="binary_crossentropy")},
        "compile",
        (False, NO_METRICS),
    ),
    "darts_binary_loss": (
        "darts",
        lambda: {
            "model": compiled(
                dense(4, inputs=2), optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"]
            )
        },
        "compile",
        (False, LOSS_MESSAGE.format("categorical_crossentropy", "binary_crossentropy")),
    ),
    "darts_no_metrics": (
        "darts",
        lambda: {"model": compiled(dense(4, inputs=2), optimizer="adam", loss="categorical_crossentropy")},
        "compile",
        (False, NO_METRICS),
    ),
    "irrigation_categorical_loss": (
        "irrigation",
        lambda: {
            "model": compiled(
                irrigation_model(0.9), optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"]
            )
        },
        "compile",
        (False, LOSS_MESSAGE.format("binary_crossentropy", "categorical_crossentropy")),
    ),
    "irrigation_no_metrics": (
        "irrigation",
        lambda: {"model": compiled(irrigation_model(0.9), optimizer="adam", loss="binary_crossentropy")},
        "compile",
        (False, NO_METRICS),
    ),
    "meteor_mae": (
        "meteor_orbit",
        lambda: {"model": compiled(dense(1, inputs=1), optimizer="adam", loss="mae")},
        "compile",
        (False, LOSS_MESSAGE.format("mse", "mean_absolute_error")),
    ),
    # Keras rounds its float32 probabilities; a probability within 0.001 of 0.5 may round
    # either way, so the rounding of 0.5004 to 0 is accepted.
    "irrigation_rounded_near_a_half": (
        "irrigation",
        lambda: {
            "model": irrigation_model(0.5004),
            "preds_rounded": np.zeros((600, 3)),
            "sensors_test": sensors_test_part(),
        },
        "rounded_predictions",
        (
            True,
            "`preds_rounded` has shape (600, 3), holds only 0 and 1, and is your model's rounded "
            "predictions for sensors_test.",
        ),
    ),
    "irrigation_two_rows_differ": (
        "irrigation",
        lambda: {
            "model": irrigation_model(0.9),
            "preds_rounded": ones_but_two_rows(),
            "sensors_test": sensors_test_part(),
        },
        "rounded_predictions",
        (
            False,
            "`preds_rounded` differs from your model's rounded predictions in 2 of its 600 rows. "
            "Use `np.round(model.predict(sensors_test))` after training.",
        ),
    ),
    # The meteor's orbits flattened (a realistic `.flatten()` or `.ravel()` after predicting).
    "meteor_twenty_flat": (
        "meteor_orbit",
        lambda: {"twenty_min_orbit": np.zeros(21), "eighty_min_orbit": np.zeros((81, 1))},
        "orbit_shapes",
        (
            False,
            "`twenty_min_orbit` should have shape (21, 1), one prediction per minute; yours has shape "
            "(21,). It should be your model's predictions: "
            "`twenty_min_orbit = model.predict(np.arange(-10, 11))`.",
        ),
    ),
    "meteor_eighty_flat": (
        "meteor_orbit",
        lambda: {"twenty_min_orbit": np.zeros((21, 1)), "eighty_min_orbit": np.zeros(81)},
        "orbit_shapes",
        (
            False,
            "`eighty_min_orbit` should have shape (81, 1), one prediction per minute; yours has shape "
            "(81,). It should be your model's predictions: `model.predict(np.arange(-40, 41))`.",
        ),
    ),
    "meteor_orbit_shapes": (
        "meteor_orbit",
        lambda: {"twenty_min_orbit": np.zeros((21, 1)), "eighty_min_orbit": np.zeros((81, 1))},
        "orbit_shapes",
        (True, "`twenty_min_orbit` has shape (21, 1) and `eighty_min_orbit` has shape (81, 1)."),
    ),
    # accuracy taken from a comparison instead of from evaluate.
    "dollar_bills_accuracy_a_bool": (
        "dollar_bills",
        lambda: bills(bill_model(), True),
        "accuracy_variable",
        (
            False,
            "`accuracy` should be a number; yours is a bool. Take the second item of what "
            "evaluate returns: `model.evaluate(X_test, y_test)[1]`.",
        ),
    ),
    "dollar_bills_rebuilt_model": (
        "dollar_bills",
        lambda: bills(dense(1, inputs=3), 0.75),
        "accuracy_variable",
        (
            False,
            "Your model takes 3 inputs, but each bank note has 4. "
            "Check the input shape of your first Dense layer.",
        ),
    ),
    "dollar_bills_accuracy": (
        "dollar_bills",
        lambda: bills(bill_model(), bill_model_accuracy() - 0.005),
        "accuracy_variable",
        lambda: (
            True,
            f"`accuracy` is {bill_model_accuracy() - 0.005:.3f}, and your model's accuracy on X_test is "
            f"{bill_model_accuracy():.3f}.",
        ),
    ),
    # y_test taken as a one-column table (`banknotes[["class"]]`), which evaluate accepts too.
    "dollar_bills_labels_as_a_column": (
        "dollar_bills",
        lambda: bills(bill_model(), bill_model_accuracy() - 0.005, labels=lambda y: y[:, None]),
        "accuracy_variable",
        lambda: (
            True,
            f"`accuracy` is {bill_model_accuracy() - 0.005:.3f}, and your model's accuracy on X_test is "
            f"{bill_model_accuracy():.3f}.",
        ),
    ),
    "dollar_bills_undecided_model": (
        "dollar_bills",
        undecided_bills,
        "accuracy_variable",
        lambda: (
            True,
            f"`accuracy` is {genuine_share()}, and your model's accuracy on X_test is {genuine_share()}.",
        ),
    ),
    # preds_chosen came from an earlier model; `model` was then rebuilt for 3 inputs.
    "darts_rebuilt_model": (
        "darts",
        lambda: darts_variables(dense(4, inputs=3), np.zeros(5)),
        "predictions",
        (
            False,
            "Your model takes 3 inputs, but each throw has 2. "
            "Check the input shape of your first Dense layer.",
        ),
    ),
    "darts_predictions": (
        "darts",
        lambda: darts_variables(darts_model(), darts_picks()),
        "predictions",
        lambda: (
            True,
            f"`preds_chosen` is {darts_picks()}: for each throw of coords_small_test, the competitor "
            "your model gives the largest probability.",
        ),
    ),
    # The names left in place, as pandas 2 reads them (object) and after convert_dtypes (string).
    "darts_names_as_objects": (
        "darts",
        lambda: darts_names(object),
        "encoding",
        (False, STILL_NAMES),
    ),
    "darts_names_as_strings": (
        "darts",
        lambda: darts_names("string"),
        "encoding",
        (False, STILL_NAMES),
    ),
    "darts_wrong_picks": (
        "darts",
        lambda: darts_variables(darts_model(), wrong_picks()),
        "predictions",
        lambda: (
            False,
            f"`preds_chosen` is {wrong_picks()}, but the largest probabilities of your model's "
            f"predictions are at {darts_picks()}. Pick each with `np.argmax(pred)`.",
        ),
    ),
    "darts_encoding": (
        "darts",
        darts_encoded,
        "encoding",
        (
            True,
            "`darts.competitor` holds the codes [0, 1, 2, 3], `coordinates` has the columns xCoord, "
            "yCoord, and `competitors` is one-hot with shape (800, 4).",
        ),
    ),
    # twenty_min_orbit came from an earlier model; `model` was then rebuilt for 2 inputs.
    "meteor_rebuilt_model": (
        "meteor_orbit",
        lambda: {"model": dense(1, inputs=2), "twenty_min_orbit": np.zeros((21, 1))},
        "twenty_min_orbit",
        (
            False,
            "Your model takes 2 inputs, but each minute has 1. "
            "Check the input shape of your first Dense layer.",
        ),
    ),
    # preds_rounded came from an earlier model; `model` was then rebuilt for 19 inputs.
    "irrigation_rebuilt_model": (
        "irrigation",
        lambda: {
            "model": irrigation_model(0.9, inputs=19),
            "preds_rounded": np.ones((600, 3)),
            "sensors_test": sensors_test_part(),
        },
        "rounded_predictions",
        (
            False,
            "Your model takes 19 inputs, but each test example has 20. "
            "Check the input shape of your first Dense layer.",
        ),
    ),
}


@pytest.mark.parametrize("name", list(GRADER_CASES))
def test_a_graders_own_settings_decide_its_check(tmp_path, name):
    exercise_id, variables, check, expected = GRADER_CASES[name]
    result = grade_variables(variables(), exercise_id, tmp_path)
    outcome = next(c for c in result.checks if c.name == check)
    assert (outcome.passed, outcome.feedback) == (expected() if callable(expected) else expected)


def ten_t():
    """A meteor model that predicts 10t for minute t."""
    model = dense(1, inputs=1)
    model.set_weights([np.array([[10.0]]), np.array([0.0])])
    return model


# The grader computes the model's orbit in float64, Keras in float32: twenty_min_orbit is the
# model's prediction when it lies within 0.1% or 0.01 of the grader's (np.allclose).
ORBITS_OF_10T = {
    "within_0.1%": (lambda own: own * 1.0008, True),
    "0.005_off": (lambda own: own + 0.005, True),
    "0.5_off": (lambda own: own + 0.5, False),
    "half_as_much_again": (lambda own: own * 1.5, False),
}


@pytest.mark.parametrize("name", list(ORBITS_OF_10T))
def test_twenty_min_orbit_is_the_models_within_float_tolerance(tmp_path, name):
    orbit_of, is_the_models = ORBITS_OF_10T[name]
    own = 10.0 * np.arange(-10, 11).reshape(-1, 1)
    result = grade_variables({"model": ten_t(), "twenty_min_orbit": orbit_of(own)}, "meteor_orbit", tmp_path)
    feedback = next(c.feedback for c in result.checks if c.name == "twenty_min_orbit")
    # 10t is far from t², so an orbit taken for the model's fails on its distance instead.
    assert feedback.startswith("Your twenty-minute orbit is on average") == is_the_models, feedback
    assert ("is not what your model predicts" in feedback) != is_the_models, feedback


def test_shared_checks_pass_on_what_they_measure(tmp_path):
    relu_then_linear = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(1)]
    )
    model = saved(tmp_path, compiled(relu_then_linear, optimizer="adam", loss="mse", metrics=["acc", "mae"]))
    assert shared.expect_dense_units(model, [3, 1]) == "Layers: Dense(3), Dense(1)."
    assert shared.expect_activations(model, ["relu", None]) == (
        "Activations, layer by layer: relu, no activation."
    )
    assert shared.expect_input_shape(model, 2) == "The model takes input shape (2,)."
    assert shared.expect_parameters(model, 13) == "The model has 13 parameters."
    assert shared.expect_compile(model, "adam", "mse", ["accuracy"]) == (
        "Compiled with optimizer 'adam' and loss 'mean_squared_error', tracking 'acc', 'mean_absolute_error'."
    )


def test_dollar_bills_measure_counts_an_undecided_note_as_genuine(tmp_path):
    """A model that gives every note exactly 0.5 picks genuine (0) for each, as Keras's accuracy
    does, so its measure is the share of genuine notes among the held-out ones."""
    model = dense(1, inputs=4, activation="sigmoid")
    model.set_weights([np.zeros((4, 1)), np.zeros(1)])
    genuine = float(np.mean(np.asarray(heldout("dollar_bills").y) == 0))
    assert 0 < genuine < 1
    assert heldout_measure("dollar_bills", saved(tmp_path, model)) == pytest.approx(genuine)


def test_meteor_measure_is_the_mean_squared_error_of_known_weights(tmp_path):
    """The model predicts 2t - 1 for every time step t; the measure must be the mean of
    (2t - 1 - t²)² over the held-out time steps, computed here without the model."""
    model = dense(1, inputs=1)
    model.set_weights([np.array([[2.0]]), np.array([-1.0])])
    t = heldout("meteor_orbit").x.reshape(-1)
    expected = float(np.mean((2 * t - 1 - t**2) ** 2))
    assert heldout_measure("meteor_orbit", saved(tmp_path, model)) == pytest.approx(expected, rel=1e-6)


def test_darts_measure_is_the_share_of_held_out_throws_picked_right(tmp_path):
    """darts_model() gives x, -x, y and 0.5 for a throw at (x, y): the measure must be the share
    of held-out throws whose largest of those four is the competitor who threw, worked out here
    throw by throw."""
    data = heldout("darts")
    picks = [int(np.argmax([x, -x, y, 0.5])) for x, y in data.x]
    expected = float(np.mean(np.array(picks) == data.y))
    assert 0 < expected < 1
    assert heldout_measure("darts", saved(tmp_path, darts_model())) == pytest.approx(expected)


# The reference solutions, trained as they are or (meteor_orbit) with the weights set by hand,
# without the plots, which take seconds and are not graded.
REFERENCES = {
    "hello_nets": (),
    "counting_parameters": (),
    "build_as_shown": (),
    "dollar_bills": ((DOLLAR_PLOT, ""),),
    "meteor_orbit": ((METEOR_FIT, HAND_SET_WEIGHTS), *METEOR_PLOTS),
}


def test_every_reference_is_checked_for_measured_feedback():
    trained_in_test_grading = {"darts", "irrigation"}  # test_reference_solution_that_trains_long...
    assert set(REFERENCES) | trained_in_test_grading == set(COURSE.exercises)


@pytest.mark.parametrize("exercise_id", list(REFERENCES))
def test_reference_passes_with_feedback_stating_what_was_measured(tmp_path, exercise_id):
    source = (SOLUTIONS / f"{exercise_id}.ipynb").read_text(encoding="utf-8")
    text = Variant(exercise_id, "reference", REFERENCES[exercise_id]).apply(source)
    result = grade_here(text, exercise_id, tmp_path)
    assert result.error is None and result.cell_errors == []
    assert failed_checks(result) == set()
    assert_pass_feedback_is_measured(result, tmp_path / "artifacts")


# A pytest plugin that a learner's or a CI machine's environment may hold beside the course,
# installed the way pip installs one (an entry point in the pytest11 group): it would run no check.
FOREIGN_PLUGIN = """
def pytest_collection_modifyitems(items):
    items.clear()
"""


def test_a_pytest_plugin_installed_beside_the_course_does_not_change_a_grade(tmp_path, monkeypatch):
    """The grader loads the course's own plugin only: pytest-randomly, pytest-cov or any other
    plugin in the same environment does not change how a notebook is graded."""
    site = tmp_path / "site"
    dist_info = site / "foreign_plugin-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: foreign-plugin\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text("[pytest11]\nforeign = foreign_plugin\n")
    (site / "foreign_plugin.py").write_text(FOREIGN_PLUGIN)
    monkeypatch.syspath_prepend(site)
    source = (SOLUTIONS / "hello_nets.ipynb").read_text(encoding="utf-8")
    result = grade_here(source, "hello_nets", tmp_path / "graded")
    assert failed_checks(result) == set()
    assert result.score == result.max_score == COURSE.exercise("hello_nets").max_score
