"""The grader as nbgrader's test cells call it, inside the learner's kernel.

The generated nbgrader notebooks start with a locked cell that calls `prepare(exercise)`: it
seeds the kernel exactly as `keras-course grade` does and records which cells raise. Each
autograded test cell then calls `check(exercise, name)`. The first call exports the kernel's
variables with the same export code that `keras-course grade` uses, and runs the pytest graders
on them in a clean Python process (grading.grade_artifacts). Later calls reuse that result
while the exported variables stay the same. A failed check raises CheckFailed with the
grader's own message, so nbgrader shows the learner the same words as `keras-course check`.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from pathlib import Path

from keras_course.config import load_course
from keras_course.feedback import CheckFailed
from keras_course.kernel_cells import MAX_ARRAY_BYTES, _export, seed_kernel
from keras_course.results import Result
from keras_course.runner import RUN_FILE, CellError, failing_line

_state: dict = {"cell_errors": [], "graded": {}}


def _record_errors(result) -> None:  # an IPython post_run_cell hook
    error = result.error_before_exec or result.error_in_exec
    if error is None or isinstance(error, CheckFailed):  # a failed check is not the learner's error
        return
    # The kernel does not know the cell's position in the notebook: it is named by its [count].
    shown = getattr(_shell(), "_last_traceback", None) or []  # ipykernel keeps what it sent
    _state["cell_errors"].append(
        CellError.of(
            result.info.raw_cell if result.info else "",
            type(error).__name__,
            str(error),
            line=failing_line(shown),
            count=int(result.execution_count or 0),
        ).__dict__
    )


def prepare(exercise_id: str) -> None:
    """Seed this kernel as the grader does and start recording errors of the cells below."""
    course = load_course()
    course.exercise(exercise_id)
    seed_kernel(course.seed, quiet=False)  # learners still see summary() and fit's progress
    _state["cell_errors"].clear()
    _state["graded"].clear()
    shell = _shell()
    if shell is not None and _record_errors not in shell.events.callbacks["post_run_cell"]:
        shell.events.register("post_run_cell", _record_errors)


def _shell():
    """The IPython shell this code runs in, or None in plain Python."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _fingerprint(folder: Path) -> str:
    """A digest of the exported variables; a .keras file counts by its config and weights only,
    since its metadata.json holds the time it was saved."""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        digest.update(path.name.encode())
        if path.suffix == ".keras" and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for name in sorted(n for n in archive.namelist() if n != "metadata.json"):
                    digest.update(name.encode() + archive.read(name))
        else:
            digest.update(path.read_bytes())
    return digest.hexdigest()


def export_run(names: tuple[str, ...], namespace: dict, artifacts: Path, cell_errors: list[dict]) -> None:
    """Export the named variables of a run that happened in this process, with its cell errors,
    as plugin.exported_run reads them back."""
    _export(list(names), str(artifacts), namespace, MAX_ARRAY_BYTES)
    (artifacts / RUN_FILE).write_text(json.dumps({"cell_errors": cell_errors}), encoding="utf-8")


def grade_here(exercise_id: str, namespace: dict) -> Result:
    """Export this kernel's variables and grade them in a clean process."""
    from keras_course.grading import grade_artifacts

    exercise = load_course().exercise(exercise_id)
    with tempfile.TemporaryDirectory(prefix="keras-course-check-") as tmp:
        artifacts = Path(tmp) / "artifacts"
        export_run(exercise.variables, namespace, artifacts, _state["cell_errors"])
        key = _fingerprint(artifacts)
        if key not in _state["graded"]:
            _state["graded"] = {key: grade_artifacts(artifacts, exercise_id)}
        return _state["graded"][key]


def check(exercise_id: str, *names: str) -> None:
    """Pass, or raise CheckFailed with the grader's message for the first failed check."""
    __tracebackhide__ = True
    shell = _shell()
    if shell is not None:
        namespace = shell.user_ns
    else:
        import __main__

        namespace = vars(__main__)
    result = grade_here(exercise_id, namespace)
    by_name = {c.name: c for c in result.checks}
    for name in names:
        outcome = by_name[name]
        if not outcome.passed:
            raise CheckFailed(outcome.feedback)
        print(f"✓ {outcome.feedback}")
