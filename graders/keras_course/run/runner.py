"""Run a learner's notebook top to bottom in a fresh Jupyter kernel, in a sandbox folder.

The sandbox is a new folder under the system's temporary folder, outside the course, holding
only the data files the exercise may read. The kernel gets a scrubbed environment, a seed, and
limits on wall-clock time, memory and printed output (watchdog.py, limited_client.py); every
process the notebook started is ended with the run. Errors in learner cells do not stop the
run: they are recorded, with the cell they came from, and the run goes on so that every check
that still can run does. At the end an export cell writes the variables the graders read into
a folder whose name the notebook cannot know beforehand (see kernel_cells.py).
"""

from __future__ import annotations

import secrets
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat

from keras_course.course import data
from keras_course.course.config import Exercise, load_course
from keras_course.course.errors import CourseError
from keras_course.course.paths import ROOT
from keras_course.run import sandbox
from keras_course.run.export_copy import collect_export
from keras_course.run.forkserver import Handle
from keras_course.run.inside.kernel_cells import export_source, prelude_source
from keras_course.run.leftovers import OwnedFolder
from keras_course.run.notebook_file import is_autograder_test, is_check_here, read_submission, uses_keras
from keras_course.run.outcome import CellError, RunResult, failing_line
from keras_course.run.process_tree import run_token
from keras_course.run.signals import sigterm_raises
from keras_course.run.watchdog import GRACE, LIMIT_MESSAGES, Watchdog


def run_notebook(
    notebook: Path,
    exercise: Exercise,
    workdir: Path,
    seed: int,
    timeout: float,
    memory: float | None = None,
    output_mb: float | None = None,
    sandbox_mode: str = "off",
) -> RunResult:
    """Execute the notebook in a kernel of its own under workdir and export the graded variables.

    memory (MB, for the kernel and every process it starts) and output_mb default to
    course.toml's [limits]; timeout is for the whole notebook, kernel start included.
    sandbox_mode is "required", "auto" or "off" (sandbox.py); the result says what it got.
    """
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from keras_course.run.limited_client import LimitedClient  # lazy: nbclient and jupyter_client,
    from keras_course.run.sandbox_provisioner import NAME, kernelspec  # only where a notebook runs

    course = load_course()
    memory = course.memory if memory is None else memory
    output_mb = course.output_mb if output_mb is None else output_mb
    limits = {
        "timeout": timeout,
        "memory": memory,
        "output": output_mb,
        "processes": course.processes,
        "disk": course.disk_mb,
    }
    started = time.monotonic()
    nb = read_submission(notebook, exercise.id)
    isolation = sandbox.isolation(sandbox_mode)
    warm = warm_kernels(seed, isolation)
    folder = sandbox.RunFolder(Path(warm.root) if warm else workdir)  # a slot's is clean (slots.py)
    data_dir = workdir / "data"  # the provisioner copies these into the kernel's folder
    data_dir.mkdir(parents=True, exist_ok=True)
    for name in exercise.data:
        data.write_learner_file(name, data_dir)
    preload_heldout(exercise.id)
    # The export's folder: the notebook's code runs before the export and cannot know its name.
    export_name = f"export-{secrets.token_hex(16)}"
    artifacts = workdir / "export"  # the grader's copy, outside what the kernel can write

    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code_cells:
        cell.outputs = []
        cell.execution_count = None
    # nbgrader's autograder test cells call the graders themselves, after a cell that prepares
    # the kernel for them; here the graders run outside the kernel instead, so those cells are
    # skipped (they keep their numbers), and so is the closing check() cell.
    learner_cells = [c for c in code_cells if not (is_autograder_test(c) or is_check_here(c))]
    prelude = nbformat.v4.new_code_cell(prelude_source(seed, uses_keras(nb)))
    export = nbformat.v4.new_code_cell(export_source(exercise.variables, folder.box / export_name))
    run_nb = nbformat.v4.new_notebook(cells=[prelude, *learner_cells, export])
    run_nb.metadata["kernelspec"] = {"name": NAME, "display_name": "Python 3"}

    deadline = started + timeout
    kernels = workdir / "kernels"
    kernelspec(
        kernels,
        mode={"sandbox": "required", "user": "auto"}.get(isolation, "off"),
        processes=course.processes,
        memory_mb=memory,
        disk_mb=course.disk_mb,
        run_dir=str(folder.root),
        seed=seed,
        run_token=run_token(notebook),
        forkserver=warm.to_env() if warm else "",
    )
    manager = AsyncKernelManager(
        kernel_name=NAME, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)])
    )
    watchdog = Watchdog(
        None if warm else memory,  # a forked kernel's own memory is its cgroup's: shared pages aside
        deadline=deadline + GRACE,
        disk=(folder.box, course.disk_mb),
        processes=course.processes,
        also=lambda: manager.provisioner.cgroup_pids() if manager.provisioner else [],
    )
    client = LimitedClient(
        run_nb,
        watchdog=watchdog,
        output_limit=int(output_mb * 1024 * 1024),
        km=manager,
        kernel_name=NAME,
        allow_errors=True,
        timeout_func=lambda cell: max(1, int(deadline - time.monotonic())),
        resources={"metadata": {"path": str(data_dir)}},
        iopub_timeout=10,
        shutdown_kernel="immediate",
    )
    result = RunResult(artifacts=None, isolation=isolation)
    try:
        with sigterm_raises(), watchdog:  # on leaving, every process it started is ended
            client.execute(
                cleanup_kc=True,  # shut the kernel down: its provisioner then ends its cgroup
                cwd=str(data_dir),
                stdout=subprocess.DEVNULL,  # the kernel's own log lines are not for the learner
                stderr=subprocess.DEVNULL,
            )
    except CellTimeoutError:
        result.error = LIMIT_MESSAGES["time"].format(**limits)
    except DeadKernelError:
        result.error = "the notebook's kernel died (the notebook ended its own Python process)"
    except CourseError:
        raise
    except Exception as exc:  # a kernel that could not start, or a broken connection
        result.error = f"the notebook could not be run: {type(exc).__name__}: {exc}"
    provisioner = manager.provisioner
    reason = watchdog.reason or getattr(provisioner, "limit_reason", None)
    if reason is not None:  # a limit ended the run: that is the reason, in plain words
        result.error = LIMIT_MESSAGES[reason].format(**limits)
    result.peak_tasks = max(watchdog.peak_tasks, getattr(provisioner, "peak_tasks", 0))

    for position, cell in enumerate(nb.cells, start=1):  # as Jupyter counts them: markdown too
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "error":
                line = failing_line(output.get("traceback", []))
                ename = str(output.get("ename", "Error"))
                evalue = str(output.get("evalue", ""))
                result.cell_errors.append(CellError.of(cell.source, ename, evalue, cell=position, line=line))
    if result.error is None:
        try:
            collect_export(folder.box, export_name, artifacts)
            result.artifacts = artifacts
        except CourseError:
            result.error = "the grader could not read your variables back from the notebook"
    result.seconds = time.monotonic() - started
    return result


def warm_kernels(seed: int, isolation: str) -> Handle | None:
    """The fork server of this grading process's slot (forkserver.py), when a batch gave it one
    that can start this run's kernel: alive, sandboxed as this run is, with this run's seed."""
    warm = Handle.from_env()
    if warm is None or warm.seed != seed or warm.isolation != isolation or not warm.alive():
        return None
    return warm


def preload_heldout(exercise_id: str) -> None:
    """Read the exercise's held-out data now, before the learner's code runs (data.heldout keeps
    it): a notebook that rewrote those files could not change what its own model is judged on."""
    try:
        data.heldout(exercise_id)
    except CourseError:
        pass  # no held-out data for this exercise, or the banknotes are not at hand: the check says


RUN_PREFIX = "keras-course-run-"  # the run folders, named after their grading process (leftovers.py)


def temporary_workdir() -> OwnedFolder:
    """A fresh folder for one run under the system's temporary folder, outside the course: no
    relative path from the sandbox leads into solutions/ or datasets/ without going through /."""
    base = Path(tempfile.gettempdir()).resolve()
    if base == ROOT or ROOT in base.parents:
        raise CourseError(f"the temporary folder {base} is inside the course; set TMPDIR elsewhere")
    return OwnedFolder(RUN_PREFIX, base)
