"""The grader's own defences, without a kernel: what it reads from an export, where runs happen,
how it ends processes, and what a stored result is worth. Cheap: no notebook runs here."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from keras_course.artifacts.saved_model import MAX_CONFIG_BYTES, MAX_PARAMETERS, read_saved_model
from keras_course.checks.feedback import CheckFailed
from keras_course.checks.submission import Submission
from keras_course.course.config import load_course
from keras_course.course.errors import CourseError, ExportError
from keras_course.course.paths import ROOT
from keras_course.grade.result_store import ResultStore, sha256_of
from keras_course.grade.settings import Settings
from keras_course.report.results import CheckResult, Result
from keras_course.run.notebook_file import read_submission
from keras_course.run.outcome import RunResult
from keras_course.run.process_tree import RUN_ENV, alive, end_tagged, tagged
from keras_course.run.runner import temporary_workdir


def layer(class_name: str, **config: object) -> dict:
    return {"module": "keras.layers", "class_name": class_name, "registered_name": None, "config": config}


def dense(units: int, activation: str = "linear") -> dict:
    return layer("Dense", units=units, activation=activation)


def exported_model(folder: Path, inputs: int, layers: list[dict], weights: list[list[np.ndarray]]) -> dict:
    """A model as the export writes it: its settings as JSON, its weights as .npy files."""
    folder.mkdir()
    entry = layer("InputLayer", batch_shape=[None, inputs])
    config = {"module": "keras", "class_name": "Sequential", "config": {"layers": [entry, *layers]}}
    (folder / "model__config.json").write_text(json.dumps(config), encoding="utf-8")
    files = [[f"model__{i}_{j}.npy" for j in range(len(arrays))] for i, arrays in enumerate(weights)]
    for names, arrays in zip(files, weights, strict=True):
        for name, array in zip(names, arrays, strict=True):
            np.save(folder / name, array)
    return {"kind": "keras_model", "config": "model__config.json", "weights": files}


def test_a_billion_parameters_are_refused_from_the_settings_before_any_weight_is_read(tmp_path):
    entry = exported_model(tmp_path / "export", 2, [dense(10, "relu"), dense(100_000_000)], [[], []])
    entry["weights"] = [["model__0_0.npy"], []]  # named, never written: not looked for
    with pytest.raises(ExportError, match="the model has 1,100,000,030 parameters, more than the grader"):
        read_saved_model(tmp_path / "export", entry)


def test_huge_stored_weights_are_refused_from_their_headers_before_they_are_read(tmp_path):
    folder = tmp_path / "export"
    entry = exported_model(folder, 2, [dense(10)], [[np.zeros((2, 10), "f4"), np.zeros(10, "f4")]])
    with (folder / "model__0_0.npy").open("wb") as handle:  # an honest header of 10 million numbers
        np.lib.format.write_array_header_1_0(
            handle, {"descr": "<f4", "fortran_order": False, "shape": (10, 10**6)}
        )
        handle.truncate(handle.tell() + 4 * 10**7)  # a sparse file: 40 MB that take no disk
    with pytest.raises(
        ExportError, match=f"10,000,010 parameters, more than the grader reads \\({MAX_PARAMETERS:,}\\)"
    ):
        read_saved_model(folder, entry)


def test_a_settings_file_larger_than_the_grader_reads_is_refused_from_its_size(tmp_path):
    folder = tmp_path / "export"
    entry = exported_model(folder, 2, [dense(10)], [[]])
    with (folder / "model__config.json").open("r+b") as handle:
        handle.truncate(MAX_CONFIG_BYTES + 1)
    with pytest.raises(ExportError, match="its file model__config.json holds 4,194,305 bytes, more than"):
        read_saved_model(folder, entry)


def test_weights_that_disagree_with_the_layer_settings_are_refused(tmp_path):
    weights = [[np.zeros((2, 32), "f4"), np.zeros(32, "f4")]]  # says 10 units, has 32
    entry = exported_model(tmp_path / "export", 2, [dense(10)], weights)
    with pytest.raises(ExportError, match="layer 1 says it has 10 units, but its weights are those of 32"):
        read_saved_model(tmp_path / "export", entry)


def export(tmp_path: Path, manifest: object, files: dict[str, bytes] | None = None) -> Submission:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    for name, content in (files or {}).items():
        (folder / name).write_bytes(content)
    return Submission(load_course().exercise("darts"), RunResult(artifacts=folder))


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"kind": "keras_model", "config": "../../solutions/darts.json"}, "the export named a file"),
        ({"kind": "keras_model", "config": "/dev/zero"}, "the export named a file '/dev/zero'"),
        ({"kind": "keras_model", "config": "model__config.json"}, "its file model__config.json is missing"),
        ({"kind": "secret_weapon"}, "the export wrote something the grader does not know"),
        ("not an entry", "the export wrote something the grader does not know"),
    ],
)
def test_a_forged_manifest_entry_fails_its_checks_with_a_reason(tmp_path, entry, message):
    submission = export(tmp_path, {"model": entry})
    with pytest.raises(CheckFailed, match=message):
        submission.model()


def test_a_link_out_of_the_export_is_not_followed(tmp_path):
    submission = export(tmp_path, {"preds": {"kind": "array", "file": "preds.npy"}})
    (submission.run.artifacts / "preds.npy").symlink_to("/dev/zero")
    with pytest.raises(CheckFailed, match="its file preds.npy is not a plain file"):
        submission.array("preds", "")


def test_an_array_whose_header_claims_more_than_its_file_holds_is_refused(tmp_path):
    buffer = io.BytesIO()  # says ten billion numbers, holds four
    header = {"descr": "<f8", "fortran_order": False, "shape": (10_000_000_000,)}
    np.lib.format.write_array_header_1_0(buffer, header)
    forged = buffer.getvalue() + np.zeros(4).tobytes()
    submission = export(tmp_path, {"preds": {"kind": "array", "file": "preds.npy"}}, {"preds.npy": forged})
    with pytest.raises(CheckFailed, match="preds.npy is not a plain array"):
        submission.array("preds", "")


def test_a_manifest_that_is_not_an_object_fails_every_variable(tmp_path):
    submission = export(tmp_path, ["model", "preds"])
    with pytest.raises(CheckFailed, match="could not read your variables back: its manifest is not a JSON"):
        submission.model()


def test_bad_submissions_are_told_in_one_line_naming_the_file(tmp_path):
    darts = (ROOT / "exercises" / "darts.ipynb").read_text(encoding="utf-8")
    (tmp_path / "hello_nets.ipynb").write_text(darts, encoding="utf-8")
    with pytest.raises(CourseError, match=r"hello_nets\.ipynb: this notebook is for the exercise 'darts'"):
        read_submission(tmp_path / "hello_nets.ipynb", "hello_nets")
    blank = {"id": "a", "cell_type": "code", "source": " \n", "metadata": {}, "outputs": []}
    blank["execution_count"] = None
    empty = {"cells": [blank], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "darts.ipynb").write_text(json.dumps(empty), encoding="utf-8")
    with pytest.raises(CourseError, match=r"darts\.ipynb: the notebook has no code to run"):
        read_submission(tmp_path / "darts.ipynb", "darts")


def test_runs_happen_outside_the_course():
    with temporary_workdir() as folder:
        sandbox = Path(folder).resolve()
        assert ROOT not in sandbox.parents
        assert not any((parent / "solutions").exists() for parent in sandbox.parents)


def test_a_batch_ends_what_a_killed_grader_left_behind_by_its_tag():
    env = dict(os.environ, **{RUN_ENV: "kc-test-tag"})
    code = (
        "import subprocess, sys, time; "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], env=env, start_new_session=True)
    try:
        until = time.monotonic() + 10
        while len(tagged({"kc-test-tag"})) < 2 and time.monotonic() < until:
            time.sleep(0.05)
        found = tagged({"kc-test-tag"})
        assert parent.pid in found and len(found) == 2
        end_tagged(["kc-test-tag"])
        parent.wait(timeout=5)
        assert not any(alive(pid) for pid in found)
    finally:
        parent.kill()


def test_a_stored_result_is_kept_only_for_the_same_notebook_and_settings(tmp_path):
    course = load_course()
    notebook = tmp_path / "counting_parameters.ipynb"
    notebook.write_text("{}", encoding="utf-8")
    points = course.exercise("counting_parameters").checks  # hidden_layer_params (2 points) passed
    checks = [CheckResult(name, p == 2, p if p == 2 else 0.0, p, "x") for name, p in points.items()]
    result = Result("ann", "counting_parameters", 2.0, 6.0, None, checks)
    ResultStore(tmp_path / "store", course).save(result, sha256_of(notebook))

    def kept(seed=None, memory=None) -> bool:
        store = ResultStore(tmp_path / "store", course, Settings(seed=seed, memory=memory))
        return store.load("ann", "counting_parameters", notebook) == result

    assert kept()
    assert not kept(seed=7)
    assert not kept(memory=900)
    notebook.write_text('{"changed": true}', encoding="utf-8")
    assert not kept()
