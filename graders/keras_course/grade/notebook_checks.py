"""The grader as nbgrader's test cells call it, inside the learner's kernel.

The generated nbgrader notebooks start with a locked cell that calls `prepare(exercise)`: it
seeds the kernel exactly as `keras-course grade` does and records which cells raise. Each
autograded test cell then calls `assert_passes(exercise, name)`. The first call exports the kernel's
variables with the same export code that `keras-course grade` uses and has them graded by the
pytest graders in a clean Python process. Later calls reuse that result while the exported
variables stay the same. A failed check raises CheckFailed with the grader's own message, so
nbgrader shows the learner the same words as `keras-course check`.

Where the grading happens depends on where the kernel runs. In `nbgrader autograde` the kernel
is sandboxed and can reach neither course.toml nor the held-out data: its environment names the
check service (check_service.py) that grades outside the sandbox. Elsewhere (`nbgrader
validate` on a learner's machine) the kernel grades in a process of its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tempfile
from pathlib import Path

from keras_course.checks.feedback import CheckFailed
from keras_course.course.config import load_course
from keras_course.report.results import Result
from keras_course.run.inside.check_client import CHECKS_ENV, ask
from keras_course.run.inside.kernel_cells import HISTORY_LIMITS, MAX_ARRAY_BYTES, _export, seed_kernel
from keras_course.run.outcome import RUN_FILE, CellError, failing_line

_state: dict = {"cell_errors": [], "graded": {}}


def _record_errors(result) -> None:  # an IPython post_run_cell hook
    error = result.error_before_exec or result.error_in_exec
    if error is None or isinstance(error, CheckFailed):  # a failed check is not the learner's error
        return
    # The kernel does not know the cell's position in the notebook: it is named by its [count],
    # and the check service (nbgrader autograde) finds the position from the cell's source.
    shown = getattr(ipython_shell(), "_last_traceback", None) or []  # ipykernel keeps what it sent
    _state["cell_errors"].append(
        CellError.of(
            result.info.raw_cell if result.info else "",
            type(error).__name__,
            str(error),
            line=failing_line(shown),
            count=int(result.execution_count or 0),
        ).__dict__
    )


def _service() -> str | None:
    """The check service's socket, when this kernel runs in nbgrader's sandbox."""
    return os.environ.get(CHECKS_ENV)


def _ask(request: dict) -> dict:
    answer = ask(_service(), request)
    if "error" in answer:
        raise CheckFailed(f"The checks could not run: {answer['error']}.")
    return answer


def settings(exercise_id: str) -> tuple[int, list[str]]:
    """The seed the grader gives every run, and the variables it grades, from course.toml (read
    by the check service when this kernel is sandboxed)."""
    if _service():
        answer = _ask({"op": "prepare", "exercise": exercise_id})
        return int(answer["seed"]), [str(name) for name in answer["variables"]]
    course = load_course()
    return course.seed, list(course.exercise(exercise_id).variables)


def prepare(exercise_id: str) -> None:
    """Seed this kernel as the grader does and start recording errors of the cells below."""
    seed, _ = settings(exercise_id)
    seed_kernel(seed, quiet=False)  # learners still see summary() and fit's progress
    _state["cell_errors"].clear()
    _state["graded"].clear()
    shell = ipython_shell()
    if shell is not None and _record_errors not in shell.events.callbacks["post_run_cell"]:
        shell.events.register("post_run_cell", _record_errors)


def ipython_shell():
    """The IPython shell this code runs in, or None in plain Python."""
    try:
        from IPython import get_ipython  # lazy: IPython is there only in a notebook's kernel
    except ImportError:
        return None
    return get_ipython()


def user_namespace() -> dict:
    """The variables of the notebook this code runs in (of __main__ in plain Python)."""
    shell = ipython_shell()
    if shell is not None:
        return shell.user_ns
    import __main__  # the running script's module, looked up when asked

    return vars(__main__)


def _fingerprint(folder: Path) -> str:
    """A digest of the exported variables: every file's name and bytes."""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        digest.update(hashlib.sha256(path.name.encode()).digest())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def export_run(names: tuple[str, ...], namespace: dict, artifacts: Path, cell_errors: list[dict]) -> None:
    """Export the named variables of a run that happened in this process, with its cell errors,
    as plugin.exported_run reads them back."""
    _export(list(names), str(artifacts), namespace, MAX_ARRAY_BYTES, HISTORY_LIMITS)
    (artifacts / RUN_FILE).write_text(json.dumps({"cell_errors": cell_errors}), encoding="utf-8")


def grade_kernel(exercise_id: str, namespace: dict) -> Result:
    """Export this kernel's variables and grade them in a clean process (or the check service)."""
    socket_path = _service()
    # In nbgrader's sandbox the export goes into the run folder, beside the service's socket.
    box = Path(socket_path).parent if socket_path else Path(tempfile.mkdtemp(prefix="keras-course-check-"))
    name = f"export-{secrets.token_hex(16)}"
    artifacts = box / name
    try:
        _, variables = settings(exercise_id)
        export_run(tuple(variables), namespace, artifacts, _state["cell_errors"])
        key = _fingerprint(artifacts)
        if key not in _state["graded"]:
            if socket_path:
                raw = _ask({"op": "grade", "exercise": exercise_id, "export": name})["result"]
                graded = Result.from_dict(raw)
            else:
                from keras_course.grade.grading import grade_artifacts  # lazy: a kernel without service

                graded = grade_artifacts(artifacts, exercise_id)
            _state["graded"] = {key: graded}
        return _state["graded"][key]
    finally:
        shutil.rmtree(artifacts if socket_path else box, ignore_errors=True)


def assert_passes(exercise_id: str, *names: str) -> None:
    """Pass, or raise CheckFailed with the grader's message for the first failed check."""
    __tracebackhide__ = True
    result = grade_kernel(exercise_id, user_namespace())
    by_name = {c.name: c for c in result.checks}
    for name in names:
        outcome = by_name[name]
        if outcome.pending:  # the learner package has no held-out data
            print(f"… {outcome.feedback}")
            continue
        if not outcome.passed:
            raise CheckFailed(outcome.feedback)
        print(f"✓ {outcome.feedback}")
