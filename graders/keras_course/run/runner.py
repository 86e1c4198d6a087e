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
import tempfile
import time
from pathlib import Path

import nbformat

from keras_course.course import data
from keras_course.course.config import Exercise, load_course
from keras_course.course.errors import CourseError, ExportError
from keras_course.course.paths import ROOT
from keras_course.run import sandbox
from keras_course.run.export_copy import collect_export
from keras_course.run.forkserver import Handle
from keras_course.run.inside.kernel_cells import export_source, prelude_source
from keras_course.run.leftovers import OwnedFolder
from keras_course.run.notebook_file import is_autograder_test, is_check_here, read_submission, uses_keras
from keras_course.run.outcome import CellError, RunResult, failing_line
from keras_course.run.process_tree import run_token


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
    from keras_course.run.kernel_session import KernelPlan, run_cells  # lazy: nbclient and
    # jupyter_client, imported only where a notebook runs (not to grade an export alone)

    started = time.monotonic()
    nb = read_submission(notebook, exercise.id)
    isolation = sandbox.isolation(sandbox_mode)
    warm = warm_kernels(seed, isolation)
    folder = sandbox.RunFolder(Path(warm.root) if warm else workdir)  # a slot's is clean (slots.py)
    # The export's folder: the notebook's code runs before the export and cannot know its name.
    export_name = f"export-{secrets.token_hex(16)}"
    plan = KernelPlan(
        kernels=workdir / "kernels",
        cwd=data_folder(exercise, workdir),
        box=folder.box,
        root=str(folder.root),
        isolation=isolation,
        seed=seed,
        run_token=run_token(notebook),
        forkserver=warm.to_env() if warm else "",
        limits=run_limits(timeout, memory, output_mb),
    )
    run_nb = cells_to_run(nb, exercise, seed, folder.box / export_name)
    session = run_cells(run_nb, plan, deadline=started + timeout)
    result = RunResult(
        artifacts=None, isolation=isolation, error=session.error, peak_tasks=session.peak_tasks
    )
    result.cell_errors = learner_cell_errors(nb)
    if result.error is None:
        result.artifacts, result.error = exported(folder.box, export_name, workdir / "export")
    result.seconds = time.monotonic() - started
    return result


def run_limits(timeout: float, memory: float | None, output_mb: float | None) -> dict[str, float]:
    """The run's limits, as LIMIT_MESSAGES name them: course.toml's where not given."""
    course = load_course()
    return {
        "timeout": timeout,
        "memory": course.memory if memory is None else memory,
        "output": course.output_mb if output_mb is None else output_mb,
        "processes": course.processes,
        "disk": course.disk_mb,
    }


def data_folder(exercise: Exercise, workdir: Path) -> Path:
    """The exercise's data files in a folder of the run (the provisioner copies them into the
    kernel's folder), the held-out data read beforehand (preload_heldout)."""
    folder = workdir / "data"
    folder.mkdir(parents=True, exist_ok=True)
    for name in exercise.data:
        data.write_learner_file(name, folder)
    preload_heldout(exercise.id)
    return folder


def cells_to_run(
    nb: nbformat.NotebookNode, exercise: Exercise, seed: int, export_dir: Path
) -> nbformat.NotebookNode:
    """The learner's code cells, emptied of outputs, between the seeding prelude and the export
    into export_dir (run/inside/kernel_cells.py). The learner's cells stay nb's own objects, so
    that their outputs land in nb, where learner_cell_errors reads them."""
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code_cells:
        cell.outputs = []
        cell.execution_count = None
    # nbgrader's autograder test cells call the graders themselves, after a cell that prepares
    # the kernel for them; here the graders run outside the kernel instead, so those cells are
    # skipped (they keep their numbers), and so is the closing check() cell.
    learner_cells = [c for c in code_cells if not (is_autograder_test(c) or is_check_here(c))]
    prelude = nbformat.v4.new_code_cell(prelude_source(seed, uses_keras(nb)))
    export = nbformat.v4.new_code_cell(export_source(exercise.variables, export_dir))
    return nbformat.v4.new_notebook(cells=[prelude, *learner_cells, export])


def learner_cell_errors(nb: nbformat.NotebookNode) -> list[CellError]:
    """The errors the learner's cells raised, each placed as Jupyter counts cells (markdown too)."""
    errors = []
    for position, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "error":
                line = failing_line(output.get("traceback", []))
                ename = str(output.get("ename", "Error"))
                evalue = str(output.get("evalue", ""))
                errors.append(CellError.of(cell.source, ename, evalue, cell=position, line=line))
    return errors


def exported(box: Path, export_name: str, artifacts: Path) -> tuple[Path | None, str | None]:
    """The export copied out of the box into artifacts (export_copy.py), or why it could not be."""
    try:
        collect_export(box, export_name, artifacts)
        return artifacts, None
    except ExportError:
        return None, "the grader could not read your variables back from the notebook"


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
