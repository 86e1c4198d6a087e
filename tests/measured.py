"""What a passed check's ✓ feedback must state: the value it measured on the learner's work.

MEASURED gives, for every check name, the values the test reads itself from the exported
variables (the learner's artifact); the check's pass feedback must contain each of them, and
must not be its test's docstring. test_verdicts.py runs this on the reference solutions of the
exercises that train fast, test_grading.py on darts and irrigation, which it trains anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from keras_course.author.nbgrader_course import check_descriptions
from keras_course.checks.metrics import heldout_measure, orbit_error
from keras_course.checks.submission import Submission
from keras_course.course.config import load_course
from keras_course.plugin import exported_run
from keras_course.report.results import Result


def _activations(s: Submission) -> list[str]:
    return [
        "no activation" if layer.activation in (None, "linear") else layer.activation
        for layer in s.model().layers
    ]


MEASURED: dict[str, Callable[[Submission], list[str]]] = {
    "layers": lambda s: [f"Dense({layer.units})" for layer in s.model().layers],
    "activations": _activations,
    "input_shape": lambda s: [str(s.model().input_shape)],
    "parameters": lambda s: [f"{s.model().count_params()} parameters"],
    "compile": lambda s: [s.model().compile_config["optimizer"]["class_name"].lower()],
    "hidden_layer_params": lambda s: [str(s.value("hidden_layer_params", ""))],
    "heldout_accuracy": lambda s: [f"{heldout_measure(s.exercise.id, s.model()):.3f}"],
    "trained_loss": lambda s: [f"{heldout_measure(s.exercise.id, s.model()):.3g}"],
    "orbit_shapes": lambda s: [str(s.array(n, "").shape) for n in ("twenty_min_orbit", "eighty_min_orbit")],
    "twenty_min_orbit": lambda s: [f"{orbit_error(s.array('twenty_min_orbit', '')):.3g}"],
    "accuracy_variable": lambda s: [f"{s.value('accuracy', ''):.3f}"],
    "encoding": lambda s: [str(s.array("competitors", "").shape)],
    "predictions": lambda s: [str(s.array("preds_chosen", "").astype(int).tolist())],
    "rounded_predictions": lambda s: [str(s.array("preds_rounded", "").shape)],
}


def assert_pass_feedback_is_measured(result: Result, artifacts: Path) -> None:
    """Every check passed, and its feedback states what MEASURED reads from the artifacts."""
    exercise = load_course().exercise(result.exercise)
    submission = Submission(exercise, exported_run(artifacts))
    descriptions = check_descriptions(exercise.id)
    for check in result.checks:
        assert check.passed, (check.name, check.feedback)
        assert check.feedback != descriptions[check.name], f"{check.name}: the docstring, not a measurement"
        for value in MEASURED[check.name](submission):
            assert value in check.feedback, f"{exercise.id} {check.name}: {value!r} not in {check.feedback!r}"
