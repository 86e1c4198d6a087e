"""Run a notebook's code cells in the test process, export its variables, and grade them.

This is the fast path for testing the checks on many learner mistakes: the cells run with
`exec` in a fresh namespace, in a folder holding only the exercise's data files, seeded as the
grader seeds a kernel. The export and the grading are the real ones (notebook_checks.export_run and
the pytest graders run as grading.grade_artifacts runs them), so a check sees exactly what it
sees after a kernel run. Only pytest's unraisable-exception plugin is left out: it reports
warnings, never a verdict, and its garbage collections cost about a second per run once
TensorFlow is loaded. Under mutmut, each notebook text runs once per mutation run and its export
is kept (_export_cache). Running untrusted notebooks in a real kernel is tested by
test_nbgrader.py and the hostile corpus.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path

import keras_course
import nbformat
from keras_course.artifacts.saved_model import SavedModel, read_saved_model
from keras_course.course import data
from keras_course.course.config import load_course
from keras_course.course.paths import ROOT
from keras_course.grade.grading import grader_args, run_grader_here
from keras_course.grade.notebook_checks import export_run
from keras_course.report.results import Result
from keras_course.run.inside.kernel_cells import seed_kernel
from keras_course.run.notebook_file import is_autograder_test, is_check_here
from keras_course.run.outcome import CellError


def failing_line_here(exc: Exception, filename: str) -> int:
    """The line of the cell's own statement that failed: its frame in the traceback (the first
    frame whose file is the cell; a SyntaxError names its line itself). 0 if there is none."""
    if isinstance(exc, SyntaxError) and exc.filename == filename:
        return exc.lineno or 0
    frames = traceback.extract_tb(exc.__traceback__)
    return next((frame.lineno or 0 for frame in frames if frame.filename == filename), 0)


def _export_cache(text: str, exercise_id: str, seed: int, sandbox: Path) -> Path | None:
    """Under mutmut only, where a notebook text's export is kept for the rest of the run.

    What a notebook's cells export depends on the notebook, its data, the seed and the
    export code, and not on the code that mutmut mutates (the checks, the model reader and the
    graders only read an export), so each notebook runs once in a mutation run and every
    mutant's tests grade the same export. mutmut sets MUTANT_UNDER_TEST in every process it runs
    tests in; the key holds all of keras_course's source, so any change to it starts afresh.
    """
    if "MUTANT_UNDER_TEST" not in os.environ:
        return None
    key = hashlib.sha256(f"{exercise_id}\0{seed}\0{_source_hash()}\0{text}".encode())
    for path in sorted(sandbox.iterdir()):
        key.update(path.name.encode() + b"\0" + path.read_bytes())
    return ROOT / ".export-cache" / key.hexdigest()


@functools.cache
def _source_hash() -> str:
    package = Path(keras_course.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _keep(artifacts: Path, cache: Path) -> None:
    """Copy an export into the cache, whole or not at all (two mutants' tests may race)."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(dir=cache.parent, prefix=".partial-"))
    shutil.copytree(artifacts, partial, dirs_exist_ok=True)
    try:
        partial.rename(cache)
    except OSError:  # another process kept the same export first
        shutil.rmtree(partial)


def grade_here(text: str, exercise_id: str, folder: Path, section: Path | None = None) -> Result:
    """Grade the notebook text for exercise_id, running its cells in this process; with section,
    the grading also draws its report section there."""
    course = load_course()
    exercise = course.exercise(exercise_id)
    sandbox = folder / "sandbox"
    sandbox.mkdir(parents=True)
    for name in exercise.data:
        data.write_learner_file(name, sandbox)

    cache = _export_cache(text, exercise_id, course.seed, sandbox)
    if cache is not None and cache.is_dir():
        shutil.copytree(cache, folder / "artifacts")
        return grade_artifacts_here(exercise_id, folder / "artifacts", section)

    nb = nbformat.reads(text, as_version=4)
    namespace: dict = {"__name__": "__main__"}
    errors = []
    seed_kernel(course.seed)
    before = Path.cwd()
    os.chdir(sandbox)
    try:
        for position, cell in enumerate(nb.cells, start=1):  # as Jupyter counts them: markdown too
            if cell.cell_type != "code" or is_autograder_test(cell) or is_check_here(cell):
                continue
            filename = f"<cell {position}>"
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(cell.source, filename, "exec"), namespace)
            except Exception as exc:  # the learner's error, recorded as the runner records it
                line = failing_line_here(exc, filename)
                errors.append(
                    CellError.of(cell.source, type(exc).__name__, str(exc), cell=position, line=line)
                )
    finally:
        os.chdir(before)
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")

    result = grade_variables(namespace, exercise_id, folder, errors, section)
    if cache is not None:
        _keep(folder / "artifacts", cache)
    return result


def grade_variables(
    namespace: dict,
    exercise_id: str,
    folder: Path,
    errors: Sequence[CellError] = (),
    section: Path | None = None,
) -> Result:
    """Grade what a notebook for exercise_id left in namespace: exported into folder/artifacts as
    a kernel exports it, then graded by the exercise's pytest grader (drawing its report section
    at `section`, if given)."""
    variables = load_course().exercise(exercise_id).variables
    artifacts = folder / "artifacts"
    export_run(variables, namespace, artifacts, [e.__dict__ for e in errors])
    return grade_artifacts_here(exercise_id, artifacts, section)


def grade_artifacts_here(exercise_id: str, artifacts: Path, section: Path | None = None) -> Result:
    """Grade an export folder with the exercise's pytest grader, in this process; with section,
    it also draws the report section there (the plugin's --report-section)."""
    with tempfile.TemporaryDirectory(prefix="keras-course-result-") as tmp:
        json_out = Path(tmp) / "result.json"
        options = ["-p", "no:unraisableexception"]
        if section is not None:
            options.append(f"--report-section={section}")
        args = grader_args(exercise_id, json_out, f"--artifacts={artifacts}", *options)
        return run_grader_here(args, json_out, exercise_id)


def export(tmp_path: Path, model, name: str = "model") -> tuple[Path, dict]:
    """The export folder of a notebook that defined `name` as model, and its manifest entry."""
    folder = tmp_path / f"export_{name}"
    export_run((name,), {name: model}, folder, [])
    return folder, json.loads((folder / "manifest.json").read_text(encoding="utf-8"))[name]


def saved(tmp_path: Path, model, name: str = "model") -> SavedModel:
    """The model as the grader reads it: exported as a notebook's kernel exports it, read back
    without Keras."""
    return read_saved_model(*export(tmp_path, model, name))


def dense_model(inputs: int, *layers: tuple[int, str | None]):
    """A Sequential model of Dense layers, (units, activation) each, on `inputs` features."""
    import keras

    return keras.Sequential(
        [keras.Input((inputs,)), *(keras.layers.Dense(u, activation=a) for u, a in layers)]
    )
