"""Grade a folder of learners' submissions: the notebooks that layouts.py finds in it, in whatever
layout a learning management system delivered them.

The batch finds the jobs, keeps what --resume may keep, and hands the rest to an executor: the
local pool (local_pool.py) or a Dask cluster (dask_executor.py), both taking the jobs, the
settings (settings.py) and a recorder (jobs.py). Each notebook is graded in its own process. A
missing exercise is reported as not submitted; a notebook that cannot be graded gets an error
result; the batch always goes on. A failure of the grading machinery itself (anything a grading
raises, a grading process that died) is that one notebook's error result, marked as the grader's
(grading.grader_failed), and a clean-up that fails is a warning: the batch always ends with its
results, for its reports. Each result is stored as soon as it is done (result_store.py), so that
a batch stopped by Ctrl-C or SIGTERM ends its kernels, exits non-zero, and grades only what is
missing when run again with `resume`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from keras_course.course.config import Exercise, load_course
from keras_course.grade.dask_executor import run_jobs_on_dask
from keras_course.grade.jobs import Recorder
from keras_course.grade.layouts import Found, Job, find_submissions
from keras_course.grade.local_pool import run_jobs
from keras_course.grade.result_store import RESULTS_DIR, ResultStore
from keras_course.grade.settings import DEFAULTS, Settings
from keras_course.report.results import NOT_SUBMITTED, Result, zero_result
from keras_course.run.sandbox import isolation

Executor = Callable[[list[Job], Settings, Recorder], list[Result]]


class Progress(Protocol):
    """What a batch tells as it goes (report/progress.py draws it)."""

    def start(self, count: int) -> None: ...  # the number of notebooks to grade now

    def graded(self, result: Result) -> None: ...  # each result graded now, as it comes


def not_submitted(learner: str, exercise: Exercise) -> Result:
    """The result of an exercise that a learner did not hand in: no score, not even 0."""
    return zero_result(learner, exercise, NOT_SUBMITTED, "Not submitted.")


def executor(jobs_at_once: int | None, scheduler: str | None) -> Executor:
    """The local pool, jobs_at_once at a time (default course.toml's), or the Dask cluster at
    scheduler (a scheduler's address or scheduler file)."""
    if scheduler is not None:
        return functools.partial(run_jobs_on_dask, scheduler=scheduler)
    return functools.partial(run_jobs, workers=max(1, jobs_at_once or load_course().jobs))


def grade_folder(
    folder: Path,
    settings: Settings = DEFAULTS,
    *,
    found: Found | None = None,
    learners: Iterable[str] = (),
    jobs_at_once: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    results_dir: Path | None = None,
    progress: Progress | None = None,
    sections: bool = False,
) -> list[Result]:
    """Grade every submission under folder (found: what layouts.find_submissions found there);
    one result per learner and exercise, sorted by learner and exercise. learners adds the
    learners who handed in nothing (a roster's): every exercise of theirs is not submitted.

    Each result is stored under results_dir (default: folder/.keras-course-results) as soon as
    it is done; with resume, a stored result of the same notebook and settings is kept and
    only the rest is graded; a result graded with weaker isolation than this batch gets is
    graded again. CourseError, before anything is graded, when the sandbox is required and
    cannot run. The jobs run on executor(jobs_at_once, scheduler). sections: each grading also
    draws its notebook's report section, kept beside its result (result_store.py), and a result
    kept by resume needs one.
    """
    course = load_course()
    level = isolation(settings.sandbox_mode(course))
    folder = Path(folder).resolve()  # the grading processes run elsewhere: absolute paths
    found = find_submissions(folder, course) if found is None else found
    handed_in = {(job.learner, job.exercise) for job in found.jobs}
    everyone = sorted(set(found.names) | set(learners))
    results = [
        not_submitted(learner, exercise)
        for learner in everyone
        for exercise in course.exercises.values()
        if (learner, exercise.id) not in handed_in
    ]
    store = ResultStore(Path(results_dir) if results_dir else folder / RESULTS_DIR, course, settings, level)
    todo = []
    for job in found.jobs:
        kept = store.load(job.learner, job.exercise, job.notebook, sections) if resume else None
        if kept is None:
            todo.append(job)
        else:
            results.append(kept)
    if progress is not None:
        progress.start(len(todo))
    recorder = Recorder(store, progress.graded if progress is not None else None, sections)
    results += executor(jobs_at_once, scheduler)(todo, settings, recorder)
    order = {ex: i for i, ex in enumerate(course.exercises)}
    return sorted(results, key=lambda r: (r.learner, order.get(r.exercise, 99)))
