"""Grade one notebook by running its pytest grader, in this process or in a fresh one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from keras_course.config import CourseError, load_course
from keras_course.paths import ROOT, grader_file
from keras_course.results import Result


def exercise_of(notebook: Path, exercise_id: str | None) -> str:
    """The exercise id: given, or the notebook's file name without .ipynb."""
    course = load_course()
    if exercise_id is None:
        if notebook.suffix != ".ipynb":
            raise CourseError(f"{notebook}: not a .ipynb file; name the exercise with --exercise")
        exercise_id = notebook.stem
    course.exercise(exercise_id)
    return exercise_id


def pytest_args(
    notebook: Path, exercise_id: str, learner: str, seed: int | None, timeout: float | None,
    json_out: Path,
) -> list[str]:
    args = [
        str(grader_file(exercise_id)),
        f"--submission={notebook}",
        f"--learner={learner}",
        f"--grade-json={json_out}",
        f"--rootdir={ROOT}",
        "-p", "no:cacheprovider",
        "-p", "no:randomly",
        "-q",
    ]
    if seed is not None:
        args.append(f"--seed={seed}")
    if timeout is not None:
        args.append(f"--timeout={timeout}")
    return args


def grade_in_process(
    notebook: Path, exercise_id: str, learner: str = "", seed: int | None = None,
    timeout: float | None = None,
) -> Result:
    """Run the grader with pytest.main here; pytest's own output is silenced."""
    import contextlib
    import io

    import pytest

    with tempfile.TemporaryDirectory(prefix="keras-course-result-") as tmp:
        json_out = Path(tmp) / "result.json"
        args = pytest_args(notebook, exercise_id, learner, seed, timeout, json_out)
        with contextlib.redirect_stdout(io.StringIO()) as captured:
            code = pytest.main(args)
        if not json_out.is_file():
            tail = captured.getvalue().strip().splitlines()[-1:] or [f"exit code {code}"]
            raise CourseError(f"the grader for {exercise_id} did not run: {tail[0]}")
        return Result.from_dict(json.loads(json_out.read_text(encoding="utf-8"))["results"][0])


def grade_in_subprocess(
    notebook: Path, exercise_id: str, learner: str = "", seed: int | None = None,
    timeout: float | None = None,
) -> Result:
    """Grade in a fresh Python process, so that nothing one grading does reaches the next."""
    course = load_course()
    limit = (timeout if timeout is not None else course.timeout) + 120
    with tempfile.TemporaryDirectory(prefix="keras-course-result-") as tmp:
        json_out = Path(tmp) / "result.json"
        args = pytest_args(notebook, exercise_id, learner, seed, timeout, json_out)
        env = dict(os.environ, PYTHONWARNINGS="ignore", TF_CPP_MIN_LOG_LEVEL="3")
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "pytest", *args],
                capture_output=True, text=True, timeout=limit, env=env, cwd=ROOT,
            )
        except subprocess.TimeoutExpired:
            return error_result(learner, exercise_id, f"grading took more than {limit:g} seconds")
        if not json_out.is_file():
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-1:] or ["no output"]
            return error_result(learner, exercise_id, f"the grader did not run: {tail[0]}")
        return Result.from_dict(json.loads(json_out.read_text(encoding="utf-8"))["results"][0])


def error_result(learner: str, exercise_id: str, error: str) -> Result:
    """A zero-score result for a notebook that could not be graded, with every check listed."""
    from keras_course.results import CheckResult

    exercise = load_course().exercise(exercise_id)
    checks = [
        CheckResult(name, False, 0.0, points, f"Not graded: {error}.")
        for name, points in exercise.checks.items()
    ]
    return Result(learner, exercise_id, 0.0, exercise.max_score, error, checks)
