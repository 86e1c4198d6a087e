"""Bounded checks: what the grader reads and computes of a submission has a limit set before the
work starts, and the grading process itself has one.

- An export file that a manifest names many times is read once, and no more than
  submission.MAX_READ_BYTES (256 MB) are read of one submission.
- A forward pass over a learner's model is refused, with its reason, when it would need more
  than course.toml [limits] forward_pass_mb.
- A grading process caps its address space once the notebook has run (checks_mb): a check that
  allocates past it fails with a plain message, and the grader goes on. Proved in a real grading
  process (grader_processes.py); the tests' in-process grading is not capped.

Cheap: no notebook runs and no model trains; the real grading process grades a grader of two
checks written here.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from keras_course.artifacts import saved_model
from keras_course.artifacts.saved_model import Layer, SavedModel
from keras_course.checks import submission
from keras_course.checks.feedback import CheckFailed
from keras_course.checks.shared import predictions
from keras_course.checks.submission import Submission
from keras_course.course.config import load_course
from keras_course.course.errors import ExportError
from keras_course.grade.grading import grader_args, run_grader_here, run_grader_process
from keras_course.plugin import OUT_OF_MEMORY
from keras_course.run.outcome import RunResult

COURSE = load_course()


def exported(folder: Path, manifest: dict, arrays: dict[str, np.ndarray]) -> Submission:
    """A submission whose export holds these arrays and this manifest."""
    folder.mkdir()
    for name, values in arrays.items():
        np.save(folder / name, values)
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return Submission(COURSE.exercise("darts"), RunResult(artifacts=folder))


def reads_once(monkeypatch, module) -> Counter:
    """Count the arrays that module reads, by file name, and stop at the second read of a file."""
    read, counts = module.read_array, Counter()

    def counted(handle):
        counts[Path(handle.name).name] += 1
        assert counts[Path(handle.name).name] == 1, f"{handle.name} read again"
        return read(handle)

    monkeypatch.setattr(module, "read_array", counted)
    return counts


def test_a_file_that_a_manifest_names_a_thousand_times_is_read_once(tmp_path, monkeypatch):
    big = np.zeros(8 * 2**20)  # 64 MB, the most the export writes of one array
    columns = {f"c{i}": {"dtype": "float64", "file": "big.npy"} for i in range(1000)}
    learner = exported(
        tmp_path / "export", {"darts": {"kind": "dataframe", "columns": columns}}, {"big.npy": big}
    )
    counts = reads_once(monkeypatch, submission)
    frame = learner.frame("darts", "")
    assert counts == {"big.npy": 1}
    assert len(frame.columns) == 1000 and frame.rows == big.size


def test_a_weight_file_that_a_model_names_a_thousand_times_is_read_once(tmp_path, monkeypatch):
    dense = {"module": "keras.layers", "class_name": "Dense", "registered_name": None, "config": {"units": 4}}
    config = {"module": "keras", "class_name": "Sequential", "config": {"layers": [dense]}}
    (tmp_path / "model__config.json").write_text(json.dumps(config), encoding="utf-8")
    np.save(tmp_path / "w.npy", np.zeros((2, 4)))
    counts = reads_once(monkeypatch, saved_model)
    entry = {"kind": "keras_model", "config": "model__config.json", "weights": [["w.npy"] * 1000]}
    with pytest.raises(ExportError, match="layer 1 has odd biases"):  # a kernel and 999 biases
        saved_model.read_saved_model(tmp_path, entry)
    assert counts == {"w.npy": 1}


def test_the_bytes_read_of_one_submission_are_capped(tmp_path, monkeypatch):
    """Here the cap is 3 MB, so that the test reads a few files of 1 MB instead of 256 MB."""
    monkeypatch.setattr(submission, "MAX_READ_BYTES", 3 * 2**20)
    names = ["a", "b", "c"]
    manifest = {name: {"kind": "array", "file": f"{name}.npy"} for name in names}
    learner = exported(tmp_path / "export", manifest, {f"{name}.npy": np.zeros(2**17) for name in names})
    assert learner.array("a", "").size == learner.array("b", "").size == 2**17
    assert learner.array("a", "").size == 2**17  # read before: not counted again
    with pytest.raises(CheckFailed) as caught:
        learner.array("c", "")
    assert str(caught.value) == (
        "`c` could not be read back: your variables add up to more than the 3 MB the grader reads; "
        "the exercise's are far smaller."
    )


def wide_model(units: int) -> SavedModel:
    """A model of one Dense layer of `units` on 2 inputs, every weight zero."""
    dense = Layer("Dense", units, "relu", (np.zeros((2, units)), np.zeros(units)), custom=False)
    return SavedModel(layers=(dense,), input_shape=(2,), compile_config={}, custom_classes=())


def test_a_forward_pass_within_its_budget_runs():
    assert COURSE.forward_pass_mb * 2**20 >= 8 * (3 * 10 * 12_000 + 36_000)
    assert wide_model(12_000).predict(np.ones((10, 2))).shape == (10, 12_000)


def test_a_forward_pass_past_its_budget_is_refused_before_it_starts():
    """1,000 throws through 12,000 units: 3 × 1,000 × 12,000 numbers and 36,000 weights, 8 bytes
    each, are 275 MB, more than the course's 256 MB; the grader says so instead of computing."""
    assert COURSE.forward_pass_mb == 256
    throws = np.broadcast_to(np.ones(2), (1000, 2))  # 1,000 rows that take no memory of their own
    with pytest.raises(CheckFailed) as caught:
        predictions(wide_model(12_000), throws, 4, "throw")
    assert str(caught.value) == (
        "The grader cannot compute your model's predictions: a pass over 1,000 rows through its "
        "widest layer would need 275 MB, more than the 256 MB the grader gives one pass; give it the "
        "data the exercise makes, with the units of the instructions."
    )


# A grader of two checks: one allocates more than the checks may use (not touching it, so that
# it costs nothing where it is allowed), the other a quarter of it (touching every page).
GREEDY_GRADER = """
import numpy as np
from keras_course.checks.feedback import passed

EXERCISE = "hello_nets"


def test_layers(submission):
    block = np.empty(int(({mb} + 512) * 2**20 // 8))
    passed(f"{{block.nbytes}} bytes")


def test_activations(submission):
    block = np.ones(int({mb} / 4 * 2**20 // 8))
    passed(f"{{block.nbytes}} bytes")
"""


def greedy_grader_args(tmp_path: Path) -> tuple[list[str], Path]:
    grader = tmp_path / "test_greedy.py"
    grader.write_text(GREEDY_GRADER.format(mb=COURSE.checks_mb), encoding="utf-8")
    (tmp_path / "export").mkdir()
    json_out = tmp_path / "result.json"
    args = grader_args(
        "hello_nets", json_out, f"--artifacts={tmp_path / 'export'}", "-p", "keras_course.plugin"
    )
    return [str(grader), *args[1:]], json_out


def test_a_check_past_the_memory_cap_fails_with_a_plain_message_in_a_grading_process(tmp_path):
    args, json_out = greedy_grader_args(tmp_path)
    result = run_grader_process(args, json_out, "ann", "hello_nets", limit=120)
    assert result.error is None
    checks = {check.name: check for check in result.checks}
    assert (checks["layers"].passed, checks["layers"].feedback) == (
        False,
        OUT_OF_MEMORY.format(COURSE.checks_mb),
    )
    assert checks["activations"].passed, checks["activations"].feedback


def test_the_tests_in_process_grading_is_not_capped(tmp_path):
    args, json_out = greedy_grader_args(tmp_path)
    result = run_grader_here(args, json_out, "hello_nets")
    assert {check.name for check in result.checks if check.passed} == {"layers", "activations"}
