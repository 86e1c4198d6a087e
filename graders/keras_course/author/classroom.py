"""Write a GitHub Classroom template repository: the exercises, the learner package, and the
autograding workflow `.github/workflows/classroom.yml` in the shape the Classroom UI writes.

The UI's shape (a starter repository's classroom.yml): the workflow `Autograding Tests` on push
and repository_dispatch, one job `run-autograding-tests` that the Classroom bot does not trigger,
test steps with an `id`, then classroom-resources/autograding-grading-reporter, which reads each
step's `result` from the env `<ID>_RESULTS` and reports the points to Classroom.

Each exercise is one step, with one of two scorings:

- "checks" (the default): a plain step runs `keras-course check --github`, which writes its own
  result, a test per check, so that the reporter gives credit check by check
  (report/github.py); it also writes the checklist to the step's summary;
- "notebook": the stock classroom-resources/autograding-command-grader, all or nothing: the
  exercise's points when every check that runs in Classroom passes (check's exit code 0).

The command grader hands the command only PATH and HOME, so keras-course is called by its
absolute path, in a virtual environment an earlier step makes. That step installs the learner
package from the wheel committed to the template (`.github/keras-course/`): the course's own
repository holds the solutions and cannot be what pip installs from. Classroom counts whole
points, so a point value of course.toml that is not whole is refused. The HTML reports are
uploaded as the run's artifact, whatever happened before.
"""

from __future__ import annotations

import math
import shutil
from importlib import metadata
from pathlib import Path

import yaml

from keras_course.course import data
from keras_course.course.config import Course, Exercise, load_course
from keras_course.course.errors import CourseError
from keras_course.course.paths import EXERCISES, ROOT
from keras_course.report.github import whole_points

WORKFLOW = Path(".github/workflows/classroom.yml")
WHEELS = Path(".github/keras-course")  # the learner package, committed to the template
VENV = "/tmp/keras-course"  # absolute: the command grader's command sees no variable but PATH and HOME
KERAS_COURSE = f"{VENV}/bin/keras-course"
REPORTS = "keras-course-reports"  # the HTML reports, uploaded as the run's artifact
PYTHON = "3.12"
SCORINGS = ("checks", "notebook")
COMMAND_GRADER = "classroom-resources/autograding-command-grader@v1"
REPORTER = "classroom-resources/autograding-grading-reporter@v1"
INSTALLED = (
    "${{ !cancelled() && steps.install.outcome == 'success' }}"  # each exercise, whatever the last did
)
HEADER = (
    "# GitHub Classroom autograding, written by `keras-course classroom`; the points come from\n"
    "# course.toml. The Classroom score is feedback: the final grade comes from `keras-course grade`\n"
    "# on the cloned repositories, with the checks on held-out data.\n"
)


def exercises_of(course: Course, assignment: str | None) -> list[Exercise]:
    """The exercises graded: those of one assignment of course.toml, or all of them."""
    if assignment is None:
        return list(course.exercises.values())
    if assignment not in course.assignments:
        known = ", ".join(course.assignments)
        raise CourseError(f"unknown assignment '{assignment}' (course.toml [assignments]: {known})")
    return course.assignment_exercises(assignment)


def workflow(exercises: list[Exercise], wheel: str, scoring: str = "checks", timeout: float = 300) -> dict:
    """The workflow as data: the UI's header and job, and a step per exercise."""
    if scoring not in SCORINGS:
        raise CourseError(f"scoring '{scoring}': give one of {', '.join(SCORINGS)}")
    minutes = math.ceil(timeout / 60) + 5  # the notebook's limit, the kernel's start and the checks
    grading = grading_step if scoring == "checks" else command_grader_step
    steps = [
        {"name": "Checkout code", "uses": "actions/checkout@v4"},
        *install_steps(wheel),
        *(grading(exercise, minutes) for exercise in exercises),
        upload_step(),
        reporter_step([exercise.id for exercise in exercises]),
    ]
    job = {"runs-on": "ubuntu-latest", "if": "github.actor != 'github-classroom[bot]'", "steps": steps}
    return {
        "name": "Autograding Tests",
        "on": ["push", "repository_dispatch"],
        "permissions": {"checks": "write", "actions": "read", "contents": "read"},
        "jobs": {"run-autograding-tests": job},
    }


def install_steps(wheel: str) -> list[dict]:
    """Python, and the learner package from the template's wheel into a venv at VENV."""
    setup = {"python-version": PYTHON, "cache": "pip", "cache-dependency-path": wheel}
    install = f"python -m venv {VENV} && {VENV}/bin/python -m pip install --quiet {wheel}"
    return [
        {"name": "Set up Python", "uses": "actions/setup-python@v5", "with": setup},
        {"name": "Install keras-course", "id": "install", "run": install},
    ]


def check_command(exercise: Exercise, *options: str) -> str:
    """keras-course check of the exercise's notebook, by the absolute path of the command."""
    html = f"--html {REPORTS}/{exercise.id}.html"
    return " ".join(
        [KERAS_COURSE, "check", f"{exercise.id}.ipynb", "--exercise", exercise.id, *options, html]
    )


def grading_step(exercise: Exercise, minutes: int) -> dict:
    """A step that writes its own result, a test per check: partial credit."""
    whole_points(exercise)
    return {
        "name": f"{exercise.title} ({exercise.id})",
        "id": exercise.id,
        "if": INSTALLED,
        "timeout-minutes": minutes,
        "run": check_command(exercise, "--github"),
    }


def command_grader_step(exercise: Exercise, minutes: int) -> dict:
    """The stock command grader: the points that run in Classroom, all or nothing."""
    points = whole_points(exercise)
    here = sum(p for check, p in points.items() if check not in exercise.hidden)
    settings = {
        "test-name": f"{exercise.title} ({exercise.id})",
        "command": check_command(exercise),
        "timeout": minutes,
        "max-score": here,
    }
    return {
        "name": settings["test-name"],
        "id": exercise.id,
        "if": INSTALLED,
        "uses": COMMAND_GRADER,
        "with": settings,
    }


def upload_step() -> dict:
    settings = {"name": REPORTS, "path": f"{REPORTS}/", "if-no-files-found": "ignore"}
    return {
        "name": "Upload the reports",
        "if": "always()",
        "uses": "actions/upload-artifact@v4",
        "with": settings,
    }


def reporter_step(ids: list[str]) -> dict:
    """The reporter, with each step's result in the env <ID>_RESULTS that it reads."""
    env = {f"{step_id.upper()}_RESULTS": f"${{{{steps.{step_id}.outputs.result}}}}" for step_id in ids}
    return {
        "name": "Autograding Reporter",
        "if": INSTALLED,
        "uses": REPORTER,
        "env": env,
        "with": {"runners": ",".join(ids)},
    }


def workflow_text(document: dict) -> str:
    return HEADER + yaml.safe_dump(document, sort_keys=False, width=1000, allow_unicode=True)


def default_wheel() -> Path:
    """The learner package `make dist` builds for this version: dist/keras_course-<v>-py3-none-any.whl."""
    name = f"keras_course-{metadata.version('keras-course')}-py3-none-any.whl"
    wheel = ROOT / "dist" / name
    if not wheel.is_file():
        raise CourseError(f"no {wheel}: run `make dist`, or give the learner package with --wheel FILE")
    return wheel


def write_template(
    folder: Path, assignment: str | None = None, wheel: Path | None = None, scoring: str = "checks"
) -> list[Path]:
    """Write the template repository into folder: the exercises' notebooks (one that is there is
    kept: it may be edited), their data files, the wheel and the workflow; return the files."""
    course = load_course()
    exercises = exercises_of(course, assignment)
    wheel = Path(wheel) if wheel is not None else default_wheel()
    if not (wheel.is_file() and wheel.name.startswith("keras_course-") and wheel.suffix == ".whl"):
        raise CourseError(f"{wheel}: not the learner package (a keras_course-*.whl file from `make dist`)")
    text = workflow_text(workflow(exercises, (WHEELS / wheel.name).as_posix(), scoring, course.timeout))
    written = exercise_files(folder, exercises)
    (folder / WHEELS).mkdir(parents=True, exist_ok=True)
    for old in (folder / WHEELS).glob("keras_course-*.whl"):
        old.unlink()
    written.append(Path(shutil.copyfile(wheel, folder / WHEELS / wheel.name)))
    (folder / WORKFLOW).parent.mkdir(parents=True, exist_ok=True)
    (folder / WORKFLOW).write_text(text, encoding="utf-8")
    return [*written, folder / WORKFLOW]


def exercise_files(folder: Path, exercises: list[Exercise]) -> list[Path]:
    """The notebooks not there yet, and the data files they read."""
    folder.mkdir(parents=True, exist_ok=True)
    written = [
        data.write_learner_file(name, folder) for name in sorted({n for e in exercises for n in e.data})
    ]
    for exercise in exercises:
        notebook = folder / f"{exercise.id}.ipynb"
        if not notebook.exists():
            written.append(Path(shutil.copyfile(EXERCISES / notebook.name, notebook)))
    return written
