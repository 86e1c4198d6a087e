"""The failure branches of the grading logic, read from the code: every call to `fail(...)`.

A branch is one `fail(message)` call in graders/test_*.py, keras_course/checks/shared.py,
keras_course/checks/metrics.py, keras_course/checks/values.py or
keras_course/checks/submission.py: its file, the function
around it, and its message's template, the f-string with each value shown as `…`. REACHED_BY
names, for every branch, the test that makes the grader take it and asserts its message;
test_verdicts.py fails when a branch in the code has no entry there (or an entry has no branch),
so a new `fail` needs a test.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import cache

from keras_course.course.paths import GRADERS

FILES = sorted(GRADERS.glob("test_*.py")) + [
    GRADERS / "keras_course" / "checks" / "shared.py",
    GRADERS / "keras_course" / "checks" / "metrics.py",
    GRADERS / "keras_course" / "checks" / "values.py",
    GRADERS / "keras_course" / "checks" / "submission.py",
]


def _is_mutmut_copy(function: ast.FunctionDef) -> bool:
    """Under `make mutate`, mutmut writes each function of a mutated file again beside it, as
    x_<name>__mutmut_orig and x_<name>__mutmut_<n>: their branches are the original's."""
    return function.name.startswith(("x_", "xǁ")) and "__mutmut_" in function.name


@dataclass(frozen=True)
class Branch:
    file: str
    function: str
    parts: tuple[str | None, ...]  # the message's literal text; None where a value goes
    measures: bool = field(default=False, compare=False)  # the call says the value it found (measured=)

    @property
    def template(self) -> str:
        return "".join("…" if part is None else part for part in self.parts)

    def matches(self, message: str) -> bool:
        """Whether this branch could have written the whole message."""
        pattern = "".join(".+?" if part is None else re.escape(part) for part in self.parts)
        return re.fullmatch(pattern, message, flags=re.DOTALL) is not None


def _parts(node: ast.expr) -> tuple[str | None, ...]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, ast.JoinedStr):
        return tuple(v.value if isinstance(v, ast.Constant) else None for v in node.values)
    raise ValueError(f"line {node.lineno}: fail() takes a string or an f-string here")


@cache
def fail_branches() -> tuple[Branch, ...]:
    """Every `fail(...)` call in FILES, in the order of the code."""
    found = []
    for path in FILES:
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(function, ast.FunctionDef) or _is_mutmut_copy(function):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "fail":
                    measures = any(keyword.arg == "measured" for keyword in node.keywords)
                    found.append(Branch(path.name, function.name, _parts(node.args[0]), measures))
    return tuple(found)


# Which test reaches each branch and asserts its message. Under (file, function), each branch
# is named by the start of its template, and reached by (case, check). A case is a variant of
# tests/lacking.py ("lacking:<exercise>/<name>"), a mistake that test_grading.py grades without
# long training ("mistake:<exercise>/<name>", see mistakes.quick_variants), a unit case of
# test_verdicts.py ("unit:<name>", with no check), or a read-back case of test_verdicts.py
# ("read:<name>", with no check), or a value case of test_values.py ("value:<case>", with no
# check: a kind of bad value in one variable of a value check, or one of its EXTRA cases). That
# test calls assert_branches_reached.
REACHED_BY: dict[tuple[str, str], dict[str, tuple[str, str | None]]] = {
    ("test_counting_parameters.py", "test_hidden_layer_params"): {
        "`hidden_layer_params` should be a": (
            "lacking:counting_parameters/summary_and_count_as_text",
            "hidden_layer_params",
        ),
        "`hidden_layer_params` is …, the": ("lacking:counting_parameters/no_layers", "hidden_layer_params"),
        "`hidden_layer_params` is …: you": (
            "lacking:counting_parameters/extra_hidden_layer",
            "hidden_layer_params",
        ),
        "`hidden_layer_params` should be the": (
            "lacking:counting_parameters/no_hidden_layer",
            "hidden_layer_params",
        ),
    },
    ("test_darts.py", "_competitor_codes"): {
        "`darts` should hold the": ("value:darts/encoding/shrunk", None),
        "`darts` has no `competitor`": ("lacking:darts/no_layers", "encoding"),
        "`darts.competitor` still holds names,": ("mistake:darts/no_codes", "encoding"),
        "`darts.competitor` does not hold": ("lacking:darts/no_output_layer", "encoding"),
    },
    ("test_darts.py", "_coordinates"): {
        "`coordinates` should have the": ("lacking:darts/compile_as_model", "encoding"),
        "`coordinates` should hold the …": ("value:darts/encoding/coordinates/empty", None),
        "`coordinates` should hold the xCoord": ("value:coordinates_swapped", None),
    },
    ("test_darts.py", "_one_hot"): {
        "`competitors` should be one-hot,": ("lacking:darts/one_pick_for_all", "encoding"),
        "`competitors` does not one-hot": ("lacking:darts/layer_after_output", "encoding"),
    },
    ("test_darts.py", "test_heldout_accuracy"): {
        "On throws your model": ("lacking:darts/one_pick_for_all", "heldout_accuracy"),
    },
    ("test_darts.py", "test_predictions"): {
        "`preds_chosen` should hold one": ("lacking:darts/one_pick_for_all", "predictions"),
        "`preds_chosen` is …, but": ("mistake:darts/argmin_untrained", "predictions"),
    },
    ("test_dollar_bills.py", "test_heldout_accuracy"): {
        "On bank notes your": ("lacking:dollar_bills/accuracy_as_text", "heldout_accuracy"),
    },
    ("test_dollar_bills.py", "test_accuracy_variable"): {
        "`accuracy` should be a": ("lacking:dollar_bills/accuracy_as_text", "accuracy_variable"),
        "`accuracy` is …, but": ("mistake:dollar_bills/loss_not_accuracy", "accuracy_variable"),
    },
    ("test_dollar_bills.py", "_test_part"): {
        "`y_test` should hold the class of each of": (
            "value:dollar_bills/accuracy_variable/y_test/empty",
            None,
        ),
        "`y_test` should hold the class of each bank": ("value:unknown_class", None),
    },
    ("test_irrigation.py", "test_heldout_accuracy"): {
        "On sensor readings your": ("lacking:irrigation/flattened", "heldout_accuracy"),
    },
    ("test_irrigation.py", "test_rounded_predictions"): {
        "`preds_rounded` should have shape": ("lacking:irrigation/flattened", "rounded_predictions"),
        "`preds_rounded` should hold only": (
            "mistake:irrigation/not_rounded_untrained",
            "rounded_predictions",
        ),
        "`preds_rounded` differs from your": ("lacking:irrigation/threshold_0_7", "rounded_predictions"),
    },
    ("test_meteor_orbit.py", "test_trained_loss"): {
        "Your trained model's mean": ("lacking:meteor_orbit/predict_not_called", "trained_loss"),
    },
    ("test_meteor_orbit.py", "_orbit_shape"): {
        "`…` should have shape": ("lacking:meteor_orbit/twenty_minutes_only", "orbit_shapes"),
    },
    ("test_meteor_orbit.py", "test_twenty_min_orbit"): {
        "`twenty_min_orbit` should hold 21": ("lacking:meteor_orbit/twenty_minutes_only", "twenty_min_orbit"),
        "`twenty_min_orbit` is not what": ("mistake:meteor_orbit/faked_orbit_untrained", "twenty_min_orbit"),
        "Your twenty-minute orbit is": ("mistake:meteor_orbit/untrained", "twenty_min_orbit"),
    },
    ("shared.py", "_layers"): {
        "Your model has no": ("lacking:hello_nets/no_layers", "layers"),
    },
    ("shared.py", "_dense_stack"): {
        "Your model should have": ("lacking:hello_nets/no_hidden_layer", "layers"),
        "Layer … should be": ("unit:not_dense", None),
    },
    ("shared.py", "expect_dense_units"): {
        "Layer … should have": ("mistake:build_as_shown/four_units", "layers"),
    },
    ("shared.py", "expect_activations"): {
        "Layer … should have": ("mistake:hello_nets/sigmoid_hidden", "activations"),
    },
    ("shared.py", "expect_input_shape"): {
        "Your model does not": ("lacking:hello_nets/no_hidden_layer", "input_shape"),
        "Your model should take": ("mistake:counting_parameters/two_inputs", "input_shape"),
    },
    ("shared.py", "expect_parameters"): {
        "Your model has not": ("lacking:hello_nets/no_hidden_layer", "parameters"),
        "Your model should have": ("lacking:hello_nets/extra_hidden_layer", "parameters"),
    },
    ("shared.py", "expect_compiled"): {
        "Your model was not": ("mistake:meteor_orbit/no_compile", "compile"),
    },
    ("shared.py", "expect_compile"): {
        "Your model should be compiled with optimizer='…';": ("unit:optimizer", None),
        "Your model should be compiled with loss='…';": ("unit:loss", None),
        "Your model should track": ("unit:no_metrics", None),
    },
    ("shared.py", "predictions"): {
        "Your model has not": ("unit:unbuilt_predictions", None),
        "Your model takes …,": ("unit:input_width", None),
        "Your model gives …": ("lacking:darts/no_output_layer", "predictions"),
        "The grader cannot compute": ("unit:not_dense_predictions", None),
    },
    ("metrics.py", "heldout_measure"): {
        "Your model's weights hold": ("unit:nan_weights", None),
    },
    ("values.py", "expect_rows"): {
        "`…` should be a table": ("value:flattened_throws", None),
        "`…` should hold … of": ("value:darts/predictions/shrunk", None),
        "`…` should hold rows of": ("value:made_up_throws", None),
    },
    ("submission.py", "manifest"): {
        "The grader could not read": ("read:manifest_not_an_object", None),
    },
    ("submission.py", "entry"): {
        "`…` could not be read back (the": ("read:unknown_entry", None),
        "Your notebook does not define": ("read:not_defined", None),
        "`…` could not be read back (…": ("read:unexportable", None),
    },
    ("submission.py", "_array"): {
        "`…` could not be read back:": ("read:array_file_missing", None),
    },
    ("submission.py", "_stacked"): {
        "`…` could not be read back: its columns": ("read:columns_past_what_the_grader_reads", None),
    },
    ("submission.py", "_read_model"): {
        "`…` should be a Keras model": ("read:layer_not_model", None),
        "`…` could not be read back:": ("read:model_settings_missing", None),
        "`…` uses custom classes": ("read:custom_layer", None),
    },
    ("submission.py", "value"): {
        "`…` should be a single value": ("read:array_not_value", None),
        "`…` is …, not a finite number": ("value:dollar_bills/accuracy_variable/accuracy/nan", None),
    },
    ("submission.py", "_expect_numbers"): {
        "… should hold numbers; yours holds text": ("read:array_of_text", None),
        "… should hold numbers; yours holds True": ("value:darts/encoding/competitors/bool", None),
        "… should hold numbers; yours holds values": ("read:array_of_complex_numbers", None),
        "… holds": ("value:darts/predictions/coords_small_test/nan", None),
    },
    ("submission.py", "_any_array"): {
        "`…` should be an array of numbers": ("read:text_not_array", None),
    },
    ("submission.py", "frame"): {
        "`…` should be a pandas DataFrame": ("read:array_not_frame", None),
    },
    ("submission.py", "_column"): {
        "`…` could not be read back": ("read:series_without_column", None),
    },
    ("submission.py", "_columns"): {
        "`…` could not be read back": ("read:frame_without_columns", None),
    },
}


def branch_of(file: str, function: str, start: str) -> Branch:
    """The one branch of that function whose template starts with `start`."""
    found = [
        b
        for b in fail_branches()
        if (b.file, b.function) == (file, function) and b.template.startswith(start)
    ]
    assert len(found) == 1, f"{file} {function}: {len(found)} branches start with {start!r}"
    return found[0]


def assert_branches_reached(
    case: str, messages: dict[str | None, str], measured: dict[str | None, str] | None = None
) -> None:
    """Each branch that REACHED_BY gives to this case wrote the message of its check here; given
    what each check measured, a branch that says its value (measured=) said one."""
    for (file, function), starts in REACHED_BY.items():
        for start, (owner, check) in starts.items():
            if owner != case:
                continue
            where = f"{file} {function}: {start!r}"
            assert check in messages, f"{case}: {check} did not fail, so it does not reach {where}"
            branch = branch_of(file, function, start)
            assert branch.matches(messages[check]), f"{case}: {messages[check]!r} is not from {where}"
            if measured is not None and branch.measures:
                assert measured.get(check), f"{case}: {where} measured nothing"
