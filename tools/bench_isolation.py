"""What isolation costs: the same notebook run plainly and through the grader, in one run.

    python tools/bench_isolation.py [NOTEBOOK] [--exercise ID] [--repeat 3]

Four ways, alternated and each timed `--repeat` times (the median is shown), with the ratio of
each to the first:

- plain: nbclient executes the notebook, after the grader's seeding prelude, in a kernel in a
  folder holding its data files, and kills the kernel at the end as the grader does (a graceful
  shutdown of TensorFlow costs seconds): no sandbox, no scrubbed environment, no limits, no
  export;
- isolated run, no sandbox: runner.run_notebook with --sandbox off: run folder, scrubbed
  environment, seed, the watchdog's time, memory and output limits, the export of the graded
  variables;
- isolated run, sandbox: the same in the Linux sandbox (bwrap, cgroup, uid of its own);
- full grading: grading.grade_notebook, as `keras-course grade` does it: a fresh grading
  process, the sandboxed run, and the checks on the exported data.

It also prints the most processes and threads the sandboxed kernel had at once.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from keras_course.course import data
from keras_course.course.config import Exercise, load_course
from keras_course.course.paths import SOLUTIONS
from keras_course.grade.grading import grade_notebook
from keras_course.run.environment import GRADING_ENV
from keras_course.run.inside.kernel_cells import prelude_source
from keras_course.run.notebook_file import uses_keras
from keras_course.run.runner import run_notebook, temporary_workdir


def plain_run(notebook: Path, exercise: Exercise) -> None:
    """The notebook executed as Jupyter would, after the grader's seeding prelude (which also
    keeps progress bars quiet), with none of the grader's isolation."""
    import nbformat
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory(prefix="keras-course-bench-") as folder:
        for name in exercise.data:
            data.write_learner_file(name, Path(folder))
        nb = nbformat.read(notebook, as_version=4)
        prelude = prelude_source(load_course().seed, uses_keras(nb))
        nb.cells.insert(0, nbformat.v4.new_code_cell(prelude))
        client = NotebookClient(
            nb, kernel_name="python3", timeout=600, allow_errors=True, shutdown_kernel="immediate"
        )
        env = dict(os.environ, **{GRADING_ENV: "1"})  # the closing check() cell: as in a graded run
        client.execute(cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


PEAK_TASKS: list[int] = []


def isolated_run(notebook: Path, exercise: Exercise, sandbox_mode: str = "off") -> None:

    course = load_course()
    with temporary_workdir() as folder:
        run = run_notebook(
            notebook, exercise, Path(folder), course.seed, course.timeout, sandbox_mode=sandbox_mode
        )
    if run.error:
        raise SystemExit(f"the isolated run failed: {run.error}")
    if sandbox_mode == "required":
        PEAK_TASKS.append(run.peak_tasks)


def sandboxed_run(notebook: Path, exercise: Exercise) -> None:
    isolated_run(notebook, exercise, "required")


def full_grading(notebook: Path, exercise: Exercise) -> None:

    result = grade_notebook(notebook, exercise.id)
    if result.error:
        raise SystemExit(f"the grading failed: {result.error}")


WAYS: dict[str, Callable[[Path, Exercise], None]] = {
    "plain nbclient run": plain_run,
    "isolated, no sandbox": isolated_run,
    "isolated, sandbox": sandboxed_run,
    "full grading": full_grading,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", nargs="?", default=str(SOLUTIONS / "hello_nets.ipynb"))
    parser.add_argument("--exercise", help="exercise id (default: the file name)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    notebook = Path(args.notebook).resolve()
    exercise = load_course().exercise(args.exercise or notebook.stem)

    seconds: dict[str, list[float]] = {way: [] for way in WAYS}
    for _ in range(args.repeat):  # alternated, so that a busy moment of the machine hits all three
        for way, run in WAYS.items():
            started = time.perf_counter()
            run(notebook, exercise)
            seconds[way].append(time.perf_counter() - started)

    base = statistics.median(seconds["plain nbclient run"])
    print(f"{notebook.name}, {args.repeat} runs each, median wall-clock seconds:")
    for way, times in seconds.items():
        median = statistics.median(times)
        print(f"  {way:<20} {median:6.2f} s  x{median / base:.2f}")
    print(f"  sandboxed kernel: at most {max(PEAK_TASKS)} processes and threads at once")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
