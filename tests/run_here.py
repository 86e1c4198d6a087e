"""Run a notebook's code cells in the test process, export its variables, and grade them.

This is the fast path for testing the checks on many learner mistakes: the cells run with
`exec` in a fresh namespace, in a folder holding only the exercise's data files, seeded as the
grader seeds a kernel. The export and the grading are the real ones (notebook_checks.export_run and
the pytest graders run as grading.grade_artifacts runs them), so a check sees exactly what it
sees after a kernel run. Only pytest's unraisable-exception plugin is left out: it reports
warnings, never a verdict, and its garbage collections cost about a second per run once
TensorFlow is loaded. Running untrusted notebooks in a real kernel is tested by
test_nbgrader.py and the hostile corpus.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from pathlib import Path

import nbformat
from keras_course import data
from keras_course.config import load_course
from keras_course.grading import grader_args, run_grader_here
from keras_course.kernel_cells import seed_kernel
from keras_course.notebook_checks import export_run
from keras_course.results import Result
from keras_course.runner import CellError, first_line, is_autograder_test


def grade_here(text: str, exercise_id: str, folder: Path) -> Result:
    """Grade the notebook text for exercise_id, running its cells in this process."""
    course = load_course()
    exercise = course.exercise(exercise_id)
    sandbox = folder / "sandbox"
    sandbox.mkdir(parents=True)
    for name in exercise.data:
        data.write_learner_file(name, sandbox)

    nb = nbformat.reads(text, as_version=4)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    namespace: dict = {"__name__": "__main__"}
    errors = []
    seed_kernel(course.seed)
    before = Path.cwd()
    os.chdir(sandbox)
    try:
        for number, cell in enumerate(code_cells, start=1):
            if is_autograder_test(cell):
                continue
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(cell.source, f"<cell {number}>", "exec"), namespace)
            except Exception as exc:  # the learner's error, recorded as the runner records it
                reason = (str(exc).splitlines() or [""])[0][:300]
                errors.append(CellError(number, first_line(cell.source), type(exc).__name__, reason))
    finally:
        os.chdir(before)
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")

    artifacts = folder / "artifacts"
    export_run(exercise.variables, namespace, artifacts, [e.__dict__ for e in errors])
    with tempfile.TemporaryDirectory(prefix="keras-course-result-") as tmp:
        json_out = Path(tmp) / "result.json"
        args = grader_args(exercise_id, json_out, f"--artifacts={artifacts}", "-p", "no:unraisableexception")
        return run_grader_here(args, json_out, exercise_id)
