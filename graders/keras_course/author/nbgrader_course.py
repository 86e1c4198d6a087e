"""Write a standard nbgrader course directory from course.toml and the source notebooks.

`keras-course nbgrader DIR` writes DIR/nbgrader_config.py, DIR/activate (the shell settings
nbgrader needs), DIR/source/<assignment>/ for every assignment in course.toml, with the data
files its notebooks read, the exchange folder DIR/exchange/ that `nbgrader release_assignment`,
`fetch_assignment`, `submit` and `collect` go through, and DIR/learners/nbgrader_config.py, the
settings learners fetch and submit with. Each notebook is made from its one source,
solutions/<id>.ipynb, by three small preprocessors, one step each:

- DropCheckFooter removes the closing "check your work" cells: the text about `keras-course
  check` and the cell that calls `check()` (the test cells check instead);
- AddPrepareCell puts a locked cell first that seeds the kernel as the grader does;
- AddCheckCells appends one locked, autograded test cell per check in course.toml, with its
  points; the checks on held-out data sit in nbgrader's hidden-test regions.

The test cells only call keras_course.grade.notebook_checks.assert_passes, which runs the pytest graders:
the checks themselves are never copied into a notebook.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor

from keras_course.author.stubs import CODE_STUB
from keras_course.course import data
from keras_course.course.config import Exercise, load_course
from keras_course.course.paths import SOLUTIONS, grader_file, instructor_only
from keras_course.grade.check_service import CheckService
from keras_course.run.notebook_file import CHECK_HERE_ID, PREPARE_ID
from keras_course.run.sandbox_provisioner import NAME as KERNEL_NAME
from keras_course.run.sandbox_provisioner import kernelspec

# What grades nbgrader's test cells outside the sandbox: its kernels' provisioner starts it by name.
CHECK_SERVICE = f"{CheckService.__module__}:{CheckService.__qualname__}"

FOOTER_IDS = ("check", CHECK_HERE_ID)  # grade_ids of the source notebooks' closing cells
CONFIG_FILE = "nbgrader_config.py"
ACTIVATE_FILE = "activate"
COURSE_ID = "keras-course"  # nbgrader's exchange files everything under the course's id
EXCHANGE_DIR = "exchange"
LEARNERS_DIR = "learners"  # the nbgrader_config.py learners fetch and submit with
HOMES = {  # where Keras, matplotlib, IPython and Jupyter write, inside the course directory
    "KERAS_HOME": "keras",
    "MPLCONFIGDIR": "matplotlib",
    "IPYTHONDIR": "ipython",
    "JUPYTER_CONFIG_DIR": "jupyter/config",
    "JUPYTER_DATA_DIR": "jupyter/data",
    "JUPYTER_RUNTIME_DIR": "jupyter/runtime",
}


def nbgrader_metadata(grade_id: str, *, grade: bool = False, points: float = 0) -> dict:
    """nbgrader's cell metadata (schema 3) for a locked cell, graded when `grade` is set."""
    meta = {"grade": grade, "grade_id": grade_id, "locked": True, "schema_version": 3, "solution": False}
    if grade:
        meta["points"] = points
    return meta


def check_descriptions(exercise_id: str) -> dict[str, str]:
    """Each check's one-line description: the first line of its grader test's docstring.

    Learners see it above the check's cell before they solve, so a docstring says what is
    checked, never the expected value (tests/test_no_answers.py scans the release)."""
    tree = ast.parse(grader_file(exercise_id).read_text(encoding="utf-8"))
    return {
        node.name.removeprefix("test_"): (ast.get_docstring(node) or node.name).splitlines()[0]
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }


class DropCheckFooter(Preprocessor):
    """Remove the closing cells: the one about `keras-course check`, the one that calls check()."""

    def preprocess(self, nb, resources):
        nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in FOOTER_IDS]
        return nb, resources


class AddPrepareCell(Preprocessor):
    """Put a locked cell before the first code cell that seeds the kernel as the grader does."""

    def preprocess(self, nb, resources):
        exercise: Exercise = resources["exercise"]
        cell = nbformat.v4.new_code_cell(
            "# Run this cell first. It fixes the random seed as the grader does, so that your\n"
            "# results are the ones the grader sees, and it loads the checks at the bottom.\n"
            "from keras_course.grade.notebook_checks import assert_passes, prepare\n\n"
            f'prepare("{exercise.id}")'
        )
        cell.metadata["nbgrader"] = nbgrader_metadata(PREPARE_ID)
        first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
        nb.cells.insert(first_code, cell)
        return nb, resources


class AddCheckCells(Preprocessor):
    """Append one autograded test cell per check, with the points course.toml gives it."""

    def preprocess(self, nb, resources):
        exercise: Exercise = resources["exercise"]
        descriptions = check_descriptions(exercise.id)
        intro = nbformat.v4.new_markdown_cell(
            "## Checks\n\nRun the cells below to check your work. A check that fails says what "
            "to fix. The checks on data your model has never seen are hidden: they run when "
            "your work is graded."
        )
        intro.metadata["nbgrader"] = nbgrader_metadata("checks_intro")
        nb.cells.append(intro)
        for name, points in exercise.checks.items():
            label = "point" if points == 1 else "points"
            call = f'assert_passes("{exercise.id}", "{name}")'
            if name in exercise.hidden:
                call = f"### BEGIN HIDDEN TESTS\n{call}\n### END HIDDEN TESTS"
            cell = nbformat.v4.new_code_cell(f"# {descriptions[name]} ({points:g} {label})\n{call}")
            cell.metadata["nbgrader"] = nbgrader_metadata(f"check_{name}", grade=True, points=points)
            nb.cells.append(cell)
        return nb, resources


STEPS = (DropCheckFooter, AddPrepareCell, AddCheckCells)


def source_notebook(exercise: Exercise) -> nbformat.NotebookNode:
    """The nbgrader source notebook of one exercise, made from solutions/<id>.ipynb."""
    nb = nbformat.read(
        instructor_only(SOLUTIONS / f"{exercise.id}.ipynb", "the nbgrader course"), as_version=4
    )
    resources = {"exercise": exercise}
    for step in STEPS:
        nb, resources = step().preprocess(nb, resources)
    nbformat.validate(nb)
    return nb


def homes_text() -> str:
    """The lines of an nbgrader_config.py that point the tools' homes into .home/ beside it."""
    homes = "\n".join(f'    "{var}": "{sub}",' for var, sub in HOMES.items())
    return f"""HERE = Path(__file__).resolve().parent

# Keras, matplotlib, IPython and Jupyter write into .home/ here, not into your home directory.
HOMES = {{
{homes}
}}
for variable, folder in HOMES.items():
    os.environ.setdefault(variable, str(HERE / ".home" / folder))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's log lines are not feedback
"""


def config_text(timeout: float) -> str:
    """The course directory's nbgrader_config.py."""
    return f'''"""nbgrader configuration of the keras-course course, written by `keras-course nbgrader`."""

import os
from pathlib import Path

{homes_text()}
c = get_config()  # noqa: F821
c.CourseDirectory.root = str(HERE)
# Several `nbgrader autograde --student ...` may run at once: each waits up to 60 s for the
# gradebook's lock instead of failing.
c.CourseDirectory.db_url = f"sqlite:///{{HERE / 'gradebook.db'}}?timeout=60"
c.CourseDirectory.course_id = "{COURSE_ID}"
# nbgrader's exchange: release_assignment puts release/<assignment>/ there, learners
# fetch_assignment and submit, and collect copies what they handed in into submitted/. On
# JupyterHub, make it a folder every learner can write to, and set the same in theirs.
c.Exchange.root = str(HERE / "{EXCHANGE_DIR}")
# One cell may train a model for a few minutes on 2 cores: the limit comes from course.toml.
c.Execute.timeout = {int(timeout)}
c.ClearSolutions.code_stub = {{"python": {CODE_STUB!r}}}
# Every notebook runs in the keras-course kernel: in the Linux sandbox, with course.toml's
# limits, and with the check service that grades the test cells outside the sandbox
# (its kernelspec is in .home/jupyter/data/kernels/).
c.Execute.kernel_name = "{KERNEL_NAME}"
'''


def learner_config_text(timeout: float, exchange: Path) -> str:
    """The nbgrader_config.py of a learner's folder: where to fetch and submit, and the cell
    time limit of `nbgrader validate`; the notebooks run in the learner's own Python kernel."""
    return f'''"""nbgrader settings for learners of keras-course, written by `keras-course nbgrader`.

Put this file into the folder where you run nbgrader (`pip install` the keras-course wheel
first), then: nbgrader fetch_assignment ASSIGNMENT; fill in; nbgrader validate NOTEBOOK;
nbgrader submit ASSIGNMENT.
"""

import os
from pathlib import Path

{homes_text()}
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "{COURSE_ID}"
c.Exchange.root = {str(exchange.resolve())!r}
c.Exchange.cache = str(HERE / ".home" / "nbgrader_cache")  # what you submitted, for `nbgrader list`
c.Execute.timeout = {int(timeout)}
'''


def activate_text(folder: Path) -> str:
    """A shell file to source before running nbgrader in the course directory.

    Jupyter and IPython create their folders before nbgrader reads nbgrader_config.py, so the
    tool homes must be set in the shell; nbgrader also needs its environment's bin on PATH,
    because it calls alembic."""
    bin_dir = Path(sys.executable).parent
    lines = [
        "# Source this file (. ./activate) before running nbgrader here: it puts nbgrader's",
        "# environment on PATH and keeps Keras, matplotlib, IPython and Jupyter out of your home.",
        f'export PATH="{bin_dir}:$PATH"',
        *(f'export {var}="{folder.resolve() / ".home" / sub}"' for var, sub in HOMES.items()),
        "export TF_CPP_MIN_LOG_LEVEL=3",
    ]
    return "\n".join(lines) + "\n"


def write_course(folder: Path) -> list[Path]:
    """Write nbgrader_config.py, activate, the exchange folder, the learners' nbgrader_config.py
    and source/<assignment>/ for every assignment; return the files."""
    course = load_course()
    instructor_only(SOLUTIONS, "the nbgrader course")  # before anything is written
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / CONFIG_FILE
    config.write_text(config_text(course.timeout), encoding="utf-8")
    spec = kernelspec(
        folder / ".home" / HOMES["JUPYTER_DATA_DIR"] / "kernels",
        mode=course.sandbox_mode(None),
        processes=course.processes,
        memory_mb=course.memory,
        disk_mb=course.disk_mb,
        seed=course.seed,
        service=CHECK_SERVICE,
    )
    activate = folder / ACTIVATE_FILE
    activate.write_text(activate_text(folder), encoding="utf-8")
    exchange = folder / EXCHANGE_DIR
    exchange.mkdir(exist_ok=True)
    exchange.chmod(0o777)  # writable to every learner, as nbgrader wants it
    learners = folder / LEARNERS_DIR / CONFIG_FILE
    learners.parent.mkdir(exist_ok=True)
    learners.write_text(learner_config_text(course.timeout, exchange), encoding="utf-8")
    written = [config, activate, learners, spec / "kernel.json"]
    for assignment in course.assignments:
        target = folder / "source" / assignment
        target.mkdir(parents=True, exist_ok=True)
        for exercise in course.assignment_exercises(assignment):
            path = target / f"{exercise.id}.ipynb"
            nbformat.write(source_notebook(exercise), path)
            written.append(path)
            written += [data.write_learner_file(name, target) for name in exercise.data]
    return written
