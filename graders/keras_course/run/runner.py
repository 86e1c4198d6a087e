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

import hashlib
import json
import os
import re
import secrets
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from keras_course.course import data
from keras_course.course.config import Exercise, load_course
from keras_course.course.errors import CourseError
from keras_course.course.paths import ROOT
from keras_course.run import sandbox
from keras_course.run.export_copy import collect_export
from keras_course.run.forkserver import Handle
from keras_course.run.kernel_cells import export_source, prelude_source
from keras_course.run.leftovers import OwnedFolder
from keras_course.run.real_files import opened_real
from keras_course.run.watchdog import GRACE, LIMIT_MESSAGES, Watchdog, run_token, sigterm_raises

RUN_FILE = "run.json"  # beside exported variables: the cell errors of a run graded elsewhere
MAX_NOTEBOOK_BYTES = 100 * 1024 * 1024  # the grader reads a notebook whole: larger is refused


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # the colours of ipykernel's tracebacks
CELL_FRAME = re.compile(r"Cell In\[\d+\], line (\d+)")  # IPython 8+: "Cell In[3], line 5"
ARROW = re.compile(r"^-+>\s*(\d+)", re.MULTILINE)  # the marked line of a frame: "----> 5 ..."


def failing_line(traceback: list[str]) -> int:
    """The line, within the cell, of the statement that failed, from an error output's
    traceback as ipykernel sends it (ANSI colours included): the first frame is the cell's own,
    named "Cell In[N], line L" (older IPython marks the line with an arrow). 0 if none shows."""
    text = ANSI.sub("", "\n".join(str(entry) for entry in traceback))
    found = CELL_FRAME.search(text) or ARROW.search(text)
    return int(found.group(1)) if found else 0


@dataclass(frozen=True)
class CellError:
    """An exception raised by one of the learner's cells, which it names as Jupyter shows it."""

    cell: int  # 1-based position among all the notebook's cells, markdown included; 0: unknown
    line: int  # 1-based line of the failing statement within the cell; 0: unknown
    code: str  # that line, or the cell's first line when the line is unknown
    ename: str
    evalue: str
    count: int = 0  # the cell's execution count [N], where its position is unknown (nbgrader)
    source_key: str = ""  # digest of the cell's source, by which place_cell_errors finds its position

    @classmethod
    def of(
        cls, source: str, ename: str, evalue: str, *, cell: int = 0, line: int = 0, count: int = 0
    ) -> CellError:
        """The error of a cell with this source; evalue is cut to its first line."""
        lines = source.splitlines()
        line = line if 0 < line <= len(lines) else 0
        code = shorten(lines[line - 1]) if line else first_line(source)
        first = (str(evalue).splitlines() or [""])[0][:300]
        key = source_key(source)
        return cls(cell=cell, line=line, code=code, ename=ename, evalue=first, count=count, source_key=key)

    def describe(self) -> str:
        if self.cell:
            where = f"Cell {self.cell}"
        elif self.count:
            where = f"The cell run as [{self.count}]"
        else:
            where = "A cell"
        if self.line:
            where += f", line {self.line} (`{self.code}`)"
        elif self.code:
            where += f" (`{self.code}`)"
        if self.ename == "NotImplementedError":
            return f"{where} is not filled in yet: replace `raise NotImplementedError()`."
        return f"{where} stopped with {self.ename}: {self.evalue}"


def source_key(source: str) -> str:
    """A short digest of a cell's source."""
    return hashlib.sha256(source.encode("utf-8", "replace")).hexdigest()[:16]


def place_cell_errors(errors: list[dict], nb: nbformat.NotebookNode) -> list[dict]:
    """Cell errors recorded inside a kernel, which does not know where its cells stand in the
    notebook (nbgrader's test cells), with each cell's position in nb found by its source."""
    positions: dict[str, int] = {}
    for position, cell in enumerate(nb.cells, start=1):
        if cell.cell_type == "code":
            positions.setdefault(source_key(cell.source), position)
    placed = []
    for error in errors:
        position = positions.get(str(error.get("source_key")), 0) if isinstance(error, dict) else 0
        placed.append({**error, "cell": position} if position and not error.get("cell") else error)
    return placed


@dataclass
class RunResult:
    """What running one notebook produced."""

    artifacts: Path | None
    cell_errors: list[CellError] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    isolation: str = "none"  # what the kernel ran under: "sandbox" or "none" (sandbox.py)
    peak_tasks: int = 0  # the most processes and threads the kernel's tree had at once


def notebook_bytes(path: Path) -> bytes:
    """The bytes of the notebook at path, read only as a regular file with one name, not through
    a link (real_files.py), and of at most MAX_NOTEBOOK_BYTES; CourseError with the reason."""
    with opened_real(path) as handle:
        size = os.fstat(handle.fileno()).st_size >> 20
        if size > MAX_NOTEBOOK_BYTES >> 20:
            most = MAX_NOTEBOOK_BYTES >> 20
            raise CourseError(f"{path}: {size} MB, more than a notebook may be ({most} MB)")
        return handle.read()


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read and validate a notebook, or raise CourseError with a one-line reason."""
    if not os.path.lexists(path):
        raise CourseError(f"{path}: no such file")
    if path.is_dir() and not path.is_symlink():
        raise CourseError(f"{path}: is a folder, not a notebook")
    try:
        text = notebook_bytes(path).decode("utf-8")
        if not text.strip():
            raise CourseError(f"{path}: is empty, not a notebook")
        raw = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        kind = "" if path.suffix.lower() == ".ipynb" else f"a {path.suffix or 'plain'} file, "
        raise CourseError(f"{path}: not a notebook ({kind}not valid JSON: {exc})") from None
    if not isinstance(raw, dict) or "cells" not in raw or "nbformat" not in raw:
        raise CourseError(f"{path}: not a notebook (JSON without 'cells' and 'nbformat')")
    give_cell_ids(raw)
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several error types
        reason = str(exc).splitlines()[0]
        raise CourseError(f"{path}: not a valid notebook ({reason})") from None
    return nb


def give_cell_ids(raw: dict) -> None:
    """Ids for the cells of an nbformat 4.5 notebook saved without them, which nbformat would give
    them too, with a warning on stderr for each notebook (MissingIDFieldWarning)."""
    minor, cells = raw.get("nbformat_minor"), raw.get("cells")
    if raw.get("nbformat") == 4 and isinstance(minor, int) and minor >= 5 and isinstance(cells, list):
        for number, cell in enumerate(cells):
            if isinstance(cell, dict):
                cell.setdefault("id", f"keras-course-{number}")


def check_submission(nb: nbformat.NotebookNode, exercise_id: str, path: Path) -> None:
    """Raise CourseError, naming the file, when a notebook cannot be this exercise's submission."""
    meta = nb.metadata.get("keras_course")
    other = meta.get("exercise") if isinstance(meta, dict) else None
    if isinstance(other, str) and other != exercise_id:
        raise CourseError(f"{path}: this notebook is for the exercise '{other}', not '{exercise_id}'")
    if not any(c.cell_type == "code" and c.source.strip() for c in nb.cells):
        raise CourseError(f"{path}: the notebook has no code to run")


def read_submission(path: Path, exercise_id: str) -> nbformat.NotebookNode:
    """The notebook at path, read and checked, or CourseError with a one-line reason."""
    nb = read_notebook(path)
    check_submission(nb, exercise_id, path)
    return nb


def uses_keras(nb: nbformat.NotebookNode) -> bool:
    """Whether the notebook's code mentions Keras or TensorFlow (then the prelude seeds Keras)."""
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return "keras" in code or "tensorflow" in code


PREPARE_ID = "keras_course_prepare"  # grade_id of the nbgrader notebooks' seeding cell


def is_autograder_test(cell: nbformat.NotebookNode) -> bool:
    """A cell nbgrader's autograder runs for itself: a test cell (graded, not an answer), or the
    locked cell that prepares the kernel for them (the grader seeds the kernel on its own)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return (bool(meta.get("grade")) and not meta.get("solution")) or meta.get("grade_id") == PREPARE_ID


CHECK_HERE_ID = "check_here"  # grade_id of the exercises' closing `check()` cell


def is_check_here(cell: nbformat.NotebookNode) -> bool:
    """The closing cell that calls check() (in_notebook.py): a graded run leaves it out, as the
    grader checks the notebook itself (a check() without this cell does nothing: GRADING_ENV)."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == CHECK_HERE_ID


def shorten(line: str) -> str:
    line = line.strip()
    return line if len(line) <= 60 else line[:57] + "..."


def first_line(source: str) -> str:
    return next((shorten(line) for line in source.splitlines() if line.strip()), "")


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
        mode="required" if isolation == "sandbox" else "off",
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
