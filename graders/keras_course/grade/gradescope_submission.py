"""Grade one Gradescope submission: the notebooks of one assignment that a learner handed in.

Before any notebook runs, what the autograder's container gives is checked against the course's
limits (course.toml [limits]): memory enough for a notebook's limit and the grader beside it, and
a way to isolate learner code, bubblewrap's sandbox or, where the container refuses it, an
unprivileged user of its own (run/unprivileged.py). Where either is missing, nothing is graded:
a problem that names the setting to change is reported instead of a run the kernel's OOM killer
ends. Time is Gradescope's to cut: a notebook is only started while the time left holds its
time limit and its grading, so the results of those graded are written before that time ends.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from keras_course.course.config import Course, Exercise, load_course
from keras_course.course.errors import CourseError
from keras_course.grade.batch import not_submitted
from keras_course.grade.grading import error_result
from keras_course.grade.html_reports import graded_with_section
from keras_course.grade.layouts import Found, Job, find_in_one_folder
from keras_course.grade.settings import Settings
from keras_course.report.results import Result
from keras_course.report.section import Section
from keras_course.run import container, sandbox, unprivileged

# What grading needs beside a notebook's limit: this process, its grading processes' fork server
# and one grading process (hello_nets here: 71, 85 and 85 MB resident), and room for the checks.
GRADER_MB = 512
NOTEBOOK_MARGIN = 60.0  # seconds past a notebook's time limit its grading may take: start, checks
START_SECONDS = 60.0  # the autograder's own start and end
SETTINGS = "the assignment's Settings, Autograder Settings"
SETTINGS_STOP = "the autograder's settings do not let it grade (see the test Autograder settings)"
SANDBOXED = "Your notebooks ran in a sandbox (bubblewrap), with no network and none of the grader's files."


@dataclass
class Graded:
    """One submission's results, the notes for the learner (how their code ran, the files not
    graded) and the problems of the autograder's settings, for the instructor."""

    results: list[Result]
    sections: dict[str, Section | None] = field(default_factory=dict)  # by exercise: drawn where graded
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    isolation: str = "none"


def grade_submission(
    folder: Path, assignment: str, deadline: float, on_result: Callable[[Graded], None]
) -> Graded:
    """Grade the notebooks of assignment in folder, each while time is left before deadline
    (time.monotonic()); on_result gets the results so far, at once and after each notebook."""
    course = load_course()
    exercises = exercises_of(course, assignment)
    graded = Graded([unfinished(course, exercises, e) for e in exercises])
    on_result(graded)
    graded.problems = [p for p in (memory_problem(course), isolation_problem()) if p]
    if graded.problems:  # nothing runs: the problems say what to change
        graded.results = [error_result("", e.id, SETTINGS_STOP) for e in exercises]
        return graded
    found = find_in_one_folder(folder, course)
    graded.isolation, note = isolation_note()
    graded.notes = [note, *not_graded(found, exercises)]
    graded.problems = time_problems(course, found, exercises, deadline)
    jobs = {job.exercise: job for job in found.jobs}
    for index, exercise in enumerate(exercises):
        graded.results[index], graded.sections[exercise.id] = grade_one(
            course, exercises, exercise, jobs.get(exercise.id), deadline
        )
        on_result(graded)
    return graded


def grade_one(
    course: Course, exercises: list[Exercise], exercise: Exercise, job: Job | None, deadline: float
) -> tuple[Result, Section | None]:
    """One exercise's notebook, graded if time is left for it, and its report section (the model
    table and the figures, drawn where the export is); not submitted without one."""
    if job is None:
        return not_submitted("", exercise), None
    if time.monotonic() + course.timeout + NOTEBOOK_MARGIN > deadline:
        return error_result("", exercise.id, out_of_time(course, exercises)), None
    return graded_with_section(job.notebook, exercise.id, "", Settings(sandbox="auto"))


def exercises_of(course: Course, assignment: str) -> list[Exercise]:
    if assignment not in course.assignments:
        raise CourseError(f"unknown assignment '{assignment}' (known: {', '.join(course.assignments)})")
    return course.assignment_exercises(assignment)


def needed_memory_mb(course: Course) -> float:
    """What the container must give: a notebook's memory limit, and the grader beside it."""
    return course.memory + GRADER_MB


def needed_minutes(course: Course, notebooks: int) -> int:
    """The autograder timeout that lets this many notebooks each run to their time limit."""
    return math.ceil((notebooks * (course.timeout + NOTEBOOK_MARGIN) + START_SECONDS) / 60)


def memory_problem(course: Course) -> str | None:
    """Too little memory for the course's limits, in words that name the setting; else None."""
    have, need = container.memory_mb(), needed_memory_mb(course)
    if have >= need:
        return None
    return (
        f"The autograder has {have:.0f} MB of memory, and grading needs {need:.0f} MB: "
        f"{course.memory:g} MB that course.toml [limits] memory gives a notebook, and {GRADER_MB} MB "
        f"for the grader. Raise the memory in {SETTINGS}, to at least {gigabytes(need)}, "
        "or lower [limits] memory in course.toml and make the autograder zips again."
    )


def gigabytes(mb: float) -> str:
    return f"{mb / 1024:.1f} GB"


def isolation_problem() -> str | None:
    """Why learner code cannot be isolated here, or None."""
    if sandbox.isolation("auto") != "none":
        return None
    try:
        unprivileged.user_to_run_as()
        why = "no user to run it as"
    except CourseError as exc:
        why = str(exc)
    return (
        f"Learner code cannot be isolated here: {sandbox.unavailable()}, and {why}. On Gradescope, "
        "the zip's setup.sh makes the user, and run_autograder, which runs as root, names it."
    )


def isolation_note() -> tuple[str, str]:
    """What isolation learner code runs under here, and the sentence that says it."""
    if sandbox.isolation("auto") == "sandbox":
        return "sandbox", SANDBOXED
    user = unprivileged.user_to_run_as()
    return "user", (
        f"Your notebooks ran as an unprivileged user of their own ({user.name}), with none of the "
        "grader's files: this container does not let the sandbox (bubblewrap) run."
    )


def time_problems(course: Course, found: Found, exercises: list[Exercise], deadline: float) -> list[str]:
    """That the time left may not hold every notebook handed in at its time limit, if so."""
    ids = {e.id for e in exercises}
    notebooks = len([job for job in found.jobs if job.exercise in ids])
    if notebooks * (course.timeout + NOTEBOOK_MARGIN) <= deadline - time.monotonic():
        return []
    short = "The notebooks handed in may need more time than the autograder has left."
    return [f"{short} {advice(course, exercises)}."]


def out_of_time(course: Course, exercises: list[Exercise]) -> str:
    return (
        "the autograder's time ran out before this notebook could have its "
        f"{course.timeout:g} seconds. {advice(course, exercises)}"
    )


def advice(course: Course, exercises: list[Exercise]) -> str:
    """What to set so that every notebook of the assignment has its time limit."""
    minutes = needed_minutes(course, len(exercises))
    return (
        f"Set the timeout in {SETTINGS} to {minutes} minutes and make the autograder zips again "
        f"with keras-course gradescope --minutes {minutes}, or lower course.toml [limits] timeout"
    )


def unfinished(course: Course, exercises: list[Exercise], exercise: Exercise) -> Result:
    """The result of a notebook whose grading has not ended (yet): what results.json says of it
    when Gradescope ends the autograder first."""
    minutes = needed_minutes(course, len(exercises))
    why = (
        "the autograder was stopped before it graded this notebook; its timeout in "
        f"{SETTINGS} may be shorter than the {minutes} minutes it needs"
    )
    return error_result("", exercise.id, why)


def not_graded(found: Found, exercises: list[Exercise]) -> list[str]:
    """A note for each file of the submission not graded, and why."""
    ids = {e.id for e in exercises}
    notes = [f"Not graded: {relative(s.path, found.folder)}: {s.reason}." for s in found.skipped]
    for job in found.jobs:
        if job.exercise not in ids:
            notes.append(
                f"Not graded: {relative(job.notebook, found.folder)}: {job.exercise} is not an exercise "
                f"of this assignment ({', '.join(sorted(ids))})."
            )
    return notes


def relative(path: Path, folder: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return path.name
