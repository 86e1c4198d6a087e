"""Run a learner's notebook top to bottom in a fresh Jupyter kernel, in a sandbox folder.

The sandbox holds only the data files the exercise may read. The kernel gets a scrubbed
environment, a seed, and a wall-clock limit for the whole notebook. Errors in learner cells
do not stop the run: they are recorded, with the cell they came from, and the run goes on so
that every check that still can run does. At the end an export cell writes the variables the
graders read (see kernel_cells.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from keras_course import data
from keras_course.config import CourseError, Exercise
from keras_course.kernel_cells import MANIFEST, export_source, prelude_source
from keras_course.paths import CACHE

ENV_KEEP = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT", "KERAS_COURSE_DATA_MIRROR")


@dataclass(frozen=True)
class CellError:
    """An exception raised by one of the learner's cells."""

    cell: int  # 1-based position among the notebook's code cells
    first_line: str
    ename: str
    evalue: str

    def describe(self) -> str:
        where = f"Code cell {self.cell} (`{self.first_line}`)"
        if self.ename == "NotImplementedError":
            return f"{where} is not filled in yet: replace `raise NotImplementedError()`."
        return f"{where} stopped with {self.ename}: {self.evalue}"


@dataclass
class RunResult:
    """What running one notebook produced."""

    artifacts: Path | None
    cell_errors: list[CellError] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read and validate a notebook, or raise CourseError with a one-line reason."""
    if not path.exists():
        raise CourseError(f"{path}: no such file")
    if not path.is_file():
        raise CourseError(f"{path}: not a file")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CourseError(f"{path}: not a notebook (not valid JSON: {exc})") from None
    if not isinstance(raw, dict) or "cells" not in raw or "nbformat" not in raw:
        raise CourseError(f"{path}: not a notebook (JSON without 'cells' and 'nbformat')")
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several error types
        reason = str(exc).splitlines()[0]
        raise CourseError(f"{path}: not a valid notebook ({reason})") from None
    return nb


def kernel_environment(home: Path, seed: int) -> dict[str, str]:
    """A scrubbed environment: no user secrets, every tool's home inside the sandbox."""
    env = {key: os.environ[key] for key in ENV_KEEP if key in os.environ}
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "/usr/bin:/bin")
    env.update(
        HOME=str(home),
        KERAS_HOME=str(home / ".keras"),
        MPLCONFIGDIR=str(home / ".matplotlib"),
        IPYTHONDIR=str(home / ".ipython"),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(home / ".jupyter-runtime"),
        MPLBACKEND="Agg",
        PYTHONHASHSEED=str(seed),
        TF_CPP_MIN_LOG_LEVEL="3",
        TF_ENABLE_ONEDNN_OPTS="0",
        TF_NUM_INTEROP_THREADS="1",
        TF_NUM_INTRAOP_THREADS="1",
        OMP_NUM_THREADS="1",
        KERAS_BACKEND="tensorflow",
        PYTHONWARNINGS="ignore",
    )
    return env


def _uses_keras(nb: nbformat.NotebookNode) -> bool:
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return "keras" in code or "tensorflow" in code


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= 60 else line[:57] + "..."
    return ""


def run_notebook(
    notebook: Path,
    exercise: Exercise,
    workdir: Path,
    seed: int,
    timeout: float,
) -> RunResult:
    """Execute the notebook in a sandbox under workdir and export the graded variables."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    started = time.monotonic()
    nb = read_notebook(notebook)
    sandbox = workdir / "sandbox"
    home = workdir / "home"
    artifacts = workdir / "artifacts"
    for folder in (sandbox, home):
        folder.mkdir(parents=True, exist_ok=True)
    for name in exercise.data:
        data.write_learner_file(name, sandbox)

    learner_cells = [c for c in nb.cells if c.cell_type == "code"]
    for cell in learner_cells:
        cell.outputs = []
        cell.execution_count = None
    prelude = nbformat.v4.new_code_cell(prelude_source(seed, _uses_keras(nb)))
    export = nbformat.v4.new_code_cell(export_source(exercise.variables, artifacts))
    run_nb = nbformat.v4.new_notebook(cells=[prelude, *learner_cells, export])
    run_nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}

    deadline = started + timeout
    client = NotebookClient(
        run_nb,
        kernel_name="python3",
        allow_errors=True,
        timeout_func=lambda cell: max(1, int(deadline - time.monotonic())),
        resources={"metadata": {"path": str(sandbox)}},
        iopub_timeout=10,
        shutdown_kernel="immediate",
    )
    result = RunResult(artifacts=None)
    try:
        client.execute(
            env=kernel_environment(home, seed),
            cwd=str(sandbox),
            stdout=subprocess.DEVNULL,  # the kernel's own log lines are not for the learner
            stderr=subprocess.DEVNULL,
        )
    except CellTimeoutError:
        result.error = f"the notebook ran past its time limit of {timeout:g} seconds"
    except DeadKernelError:
        result.error = "the notebook's kernel died (the notebook ended its own Python process)"
    except Exception as exc:  # a kernel that could not start, or a broken connection
        result.error = f"the notebook could not be run: {type(exc).__name__}: {exc}"

    for number, cell in enumerate(learner_cells, start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                evalue = str(output.get("evalue", "")).splitlines()
                result.cell_errors.append(
                    CellError(
                        cell=number,
                        first_line=_first_line(cell.source),
                        ename=str(output.get("ename", "Error")),
                        evalue=(evalue[0] if evalue else "")[:300],
                    )
                )
    if result.error is None:
        if (artifacts / MANIFEST).is_file():
            result.artifacts = artifacts
        else:
            result.error = "the grader could not read your variables back from the notebook"
    result.seconds = time.monotonic() - started
    return result


def temporary_workdir() -> tempfile.TemporaryDirectory:
    """A fresh folder for one run, outside the repository."""
    CACHE.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix="keras-course-")


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
