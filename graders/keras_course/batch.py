"""Grade a folder of learners' submissions: one sub-folder per learner, `<id>.ipynb` files in it.

Each notebook is graded in its own process, a few at a time. A missing exercise is reported as
not submitted; a notebook that cannot be graded gets an error result; the batch always goes on.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from keras_course.config import CourseError, load_course
from keras_course.grading import error_result, grade_in_subprocess
from keras_course.results import CheckResult, Result


@dataclass(frozen=True)
class Job:
    learner: str
    exercise: str
    notebook: Path


def find_jobs(folder: Path) -> tuple[list[Job], list[Result]]:
    """The notebooks to grade, and a not-submitted result for each missing exercise."""
    if not folder.is_dir():
        raise CourseError(f"{folder}: not a folder of learners' submissions")
    course = load_course()
    jobs, missing = [], []
    learners = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    for learner_dir in learners:
        for exercise_id, exercise in course.exercises.items():
            notebook = learner_dir / f"{exercise_id}.ipynb"
            if notebook.is_file():
                jobs.append(Job(learner_dir.name, exercise_id, notebook))
                continue
            checks = [
                CheckResult(name, False, 0.0, points, "Not submitted.")
                for name, points in exercise.checks.items()
            ]
            missing.append(
                Result(learner_dir.name, exercise_id, 0.0, exercise.max_score, "not submitted", checks)
            )
    return jobs, missing


def grade_job(job: Job, seed: int | None, timeout: float | None) -> Result:
    try:
        return grade_in_subprocess(job.notebook, job.exercise, job.learner, seed, timeout)
    except Exception as exc:  # one learner's failure must never stop the batch
        return error_result(job.learner, job.exercise, f"{type(exc).__name__}: {exc}")


def grade_folder(
    folder: Path, jobs_at_once: int | None = None, seed: int | None = None,
    timeout: float | None = None, on_result=None,
) -> list[Result]:
    """Grade every submission under folder; results sorted by learner and exercise."""
    course = load_course()
    jobs, results = find_jobs(folder)
    workers = max(1, jobs_at_once or course.jobs)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for result in pool.map(lambda job: grade_job(job, seed, timeout), jobs):
            if on_result is not None:
                on_result(result)
            results.append(result)
    order = {ex: i for i, ex in enumerate(course.exercises)}
    return sorted(results, key=lambda r: (r.learner, order.get(r.exercise, 99)))
