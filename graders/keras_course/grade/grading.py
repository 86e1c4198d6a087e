"""Grade one notebook by running its pytest grader, in this process or in a fresh one.

A grading process that died, was stopped, or wrote no result or a broken one is the grader's
failure, not the learner's: its result says so (grader_failed), and `grade --resume` grades that
notebook again.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

from keras_course.course.config import load_course
from keras_course.course.errors import CourseError
from keras_course.course.paths import ROOT, grader_file
from keras_course.grade.grader_processes import run_pytest
from keras_course.grade.layouts import exercise_of_file
from keras_course.grade.settings import DEFAULTS, Settings
from keras_course.report.results import GRADER_FAILED, Result, zero_result
from keras_course.run.forkserver import ENV as FORKSERVER_ENV
from keras_course.run.forkserver import Handle
from keras_course.run.leftovers import OwnedFolder
from keras_course.run.notebook_file import read_notebook

RESULT_PREFIX = "keras-course-result-"  # a grading's result folder, named after its owner (leftovers.py)


def exercise_of(notebook: Path, exercise_id: str | None) -> str:
    """The exercise of a notebook to check: the one given (--exercise), else the one the
    notebook's metadata names, else its file name's. What is wrong with the file itself (no
    such file, a folder, empty, not a notebook) is told first."""

    course = load_course()
    read_notebook(notebook)
    if exercise_id is not None:
        course.exercise(exercise_id)
        return exercise_id
    try:
        return exercise_of_file(notebook, course)
    except CourseError as exc:
        raise CourseError(f"{notebook}: {exc}; name the exercise with --exercise") from None


def grader_args(exercise_id: str, json_out: Path, *options: str) -> list[str]:
    """pytest's arguments to run the grader of one exercise and write its result to json_out."""
    return [
        str(grader_file(exercise_id)),
        *options,
        f"--grade-json={json_out}",
        f"--rootdir={ROOT}",
        "-p",
        "no:cacheprovider",
        # The plugin reads a failed check's message from its exception; a traceback, which pytest
        # would format by parsing the source of every frame, is read by nobody.
        "--tb=no",
        # Only the course's plugin (graders/conftest.py): a plugin installed beside the course,
        # such as pytest-randomly, does not change a grade; and pytest starts 0.2 s sooner.
        "--disable-plugin-autoload",
        "-q",
    ]


def pytest_args(
    notebook: Path,
    exercise_id: str,
    learner: str,
    json_out: Path,
    settings: Settings,
    section: Path | None = None,
) -> list[str]:
    args = grader_args(exercise_id, json_out, f"--submission={notebook.resolve()}", f"--learner={learner}")
    if section is not None:
        args.append(f"--report-section={section.resolve()}")
    return args + settings.pytest_options()


def run_grader_here(args: list[str], json_out: Path, exercise_id: str) -> Result:
    """Run pytest with args in this process and read the result it wrote to json_out."""
    import pytest  # lazy: where the grader runs in this process only (check, the test suite)

    with contextlib.redirect_stdout(io.StringIO()) as captured:
        code = pytest.main(args)
    if not json_out.is_file():
        raise CourseError(f"the grader for {exercise_id} did not run: {last_line(captured.getvalue(), code)}")
    return read_result(json_out)


def read_result(json_out: Path) -> Result:
    """The result a grader wrote to json_out, or CourseError saying how the file is broken."""
    try:
        return Result.from_dict(json.loads(json_out.read_text(encoding="utf-8"))["results"][0])
    except (OSError, ValueError, LookupError, TypeError, AttributeError, RecursionError) as exc:
        raise CourseError(f"its result file is broken ({type(exc).__name__}: {exc})") from None


def last_line(output: str, code: object) -> str:
    """The line of a grading process's output that tells what went wrong: pytest's first ERROR
    line (a grader that could not be collected), else the last line, else the exit code."""
    lines = output.strip().splitlines()
    errors = [line for line in lines if line.startswith("ERROR ")]
    return (errors or lines[-1:] or [f"exit code {code}"])[0][:300]


def grade_notebook(
    notebook: Path,
    exercise_id: str,
    learner: str = "",
    settings: Settings = DEFAULTS,
    *,
    here: bool = False,
    warm: Handle | None = None,
    section: Path | None = None,
) -> Result:
    """Grade a notebook with its pytest grader: here, or in a fresh process (grader_processes.py)
    so that nothing one grading does reaches the next. warm is the slot's fork server, whose
    kernels start with TensorFlow already imported (forkserver.py). section: where the grading
    writes the notebook's report section (report/section.py), drawn from its export."""
    with OwnedFolder(RESULT_PREFIX) as tmp:
        json_out = Path(tmp) / "result.json"
        args = pytest_args(notebook, exercise_id, learner, json_out, settings, section)
        if here:
            return run_grader_here(args, json_out, exercise_id)
        limit = settings.limits(load_course())["timeout"] + 120
        env = {FORKSERVER_ENV: warm.to_env()} if warm is not None else {}
        return run_grader_process(args, json_out, learner, exercise_id, limit, env)


def grade_artifacts(artifacts: Path, exercise_id: str, learner: str = "", here: bool = False) -> Result:
    """Grade variables that a notebook exported itself (nbgrader's test cells), in a fresh
    process, or in this one when `here` is set (the test suite's fast path)."""
    with OwnedFolder(RESULT_PREFIX) as tmp:
        json_out = Path(tmp) / "result.json"
        args = grader_args(exercise_id, json_out, f"--artifacts={artifacts}", f"--learner={learner}")
        if here:
            return run_grader_here(args, json_out, exercise_id)
        return run_grader_process(args, json_out, learner, exercise_id, limit=120)


def run_grader_process(
    args: list[str], json_out: Path, learner: str, exercise_id: str, limit: float, env: dict | None = None
) -> Result:
    """Run pytest with args in a fresh process (grader_processes.py) and read the result it
    wrote to json_out; env is added to the process's environment."""

    env = dict(os.environ, PYTHONWARNINGS="ignore", TF_CPP_MIN_LOG_LEVEL="3", **(env or {}))
    code, output = run_pytest(args, env, ROOT, limit, log=json_out.parent / "grader.log")
    if code is None:
        return grader_failed(learner, exercise_id, f"grading took more than {limit:g} seconds")
    if code not in (0, 1):  # pytest's codes for "graded"; a killed grader's file is no result
        stopped = f"its grading process ended with exit code {code}: {last_line(output, code)}"
        return grader_failed(learner, exercise_id, stopped)
    if not json_out.is_file():
        nothing = f"its grading process wrote no result: {last_line(output, code)}"
        return grader_failed(learner, exercise_id, nothing)
    try:
        return read_result(json_out)
    except CourseError as exc:
        return grader_failed(learner, exercise_id, str(exc))


def error_result(learner: str, exercise_id: str, error: str) -> Result:
    """A zero-score result for a notebook that could not be graded, with every check listed."""
    return zero_result(learner, load_course().exercise(exercise_id), error, f"Not graded: {error}.")


def grader_failed(learner: str, exercise_id: str, why: str) -> Result:
    """The error result of a notebook the grading machinery failed on: worded and marked as the
    grader's failure (Result.grader_error), not the learner's, so that --resume grades it again."""
    why = (why.strip().splitlines() or ["no reason given"])[0][:300]
    result = error_result(learner, exercise_id, f"{GRADER_FAILED} ({why})")
    result.grader_error = True
    return result
