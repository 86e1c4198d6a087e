"""Grade a folder of learners' submissions: the notebooks that layouts.py finds in it, in
whatever layout a learning management system delivered them.

Each notebook is graded in its own process, a few at a time. A missing exercise is reported as
not submitted; a notebook that cannot be graded gets an error result; the batch always goes on.
A failure of the grading machinery itself (anything a grading raises, a grading process that
died) is that one notebook's error result, marked as the grader's (grading.grader_failed), and
a clean-up that fails is a warning: the batch always ends with its results, for its reports.
Each result is stored as soon as it is done (result_store.py), so that a batch stopped by
Ctrl-C or SIGTERM ends its kernels, exits non-zero, and grades only what is missing when run
again with `resume`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path

from keras_course.course.config import Exercise, load_course
from keras_course.grade.dask_executor import Settings, run_jobs_on_dask
from keras_course.grade.grading import grader_failed
from keras_course.grade.jobs import Recorder, close_slots, grade_job, stopping_on_signals
from keras_course.grade.layouts import Found, Job, find_submissions
from keras_course.grade.result_store import RESULTS_DIR, ResultStore, sha256_of
from keras_course.grade.slots import WarmSlots
from keras_course.report.results import NOT_SUBMITTED, Result, zero_result
from keras_course.run import process_tree
from keras_course.run.sandbox import isolation


def not_submitted(learner: str, exercise: Exercise) -> Result:
    """The result of an exercise that a learner did not hand in: no score, not even 0."""
    return zero_result(learner, exercise, NOT_SUBMITTED, "Not submitted.")


def outcome(future: Future, job: Job) -> Result:
    """The result of a job graded in the pool: what its grading raised is the grader's failure."""
    try:
        return future.result()
    except Exception as exc:
        return grader_failed(job.learner, job.exercise, f"{type(exc).__name__}: {exc}")


def digest_of(notebook: Path) -> str:
    """The notebook's sha256 as it is before grading; "" where it cannot be read (never kept)."""
    try:
        return sha256_of(notebook)
    except OSError:
        return ""


@contextmanager
def batch_secret() -> Iterator[None]:
    """A secret for this batch in the environment of its grading processes (process_tree.run_token)."""
    previous = os.environ.get(process_tree.BATCH_ENV)
    os.environ[process_tree.BATCH_ENV] = secrets.token_hex(16)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(process_tree.BATCH_ENV, None)
        else:
            os.environ[process_tree.BATCH_ENV] = previous


def run_jobs(
    jobs: list[Job],
    store: ResultStore,
    workers: int,
    grade: Callable[[Job], Result],
    on_result: Callable[[Result], None] | None,
) -> list[Result]:
    """Grade the jobs a few at a time; store each result as it comes. When stopped, end every
    grading process and kernel, keep the results stored so far, and raise."""
    recorder = Recorder(store, on_result)
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        with stopping_on_signals(), batch_secret():
            digests = {job: digest_of(job.notebook) for job in jobs}
            futures = {pool.submit(grade, job): job for job in jobs}
            try:
                for future in as_completed(futures):
                    job = futures[future]
                    recorder.record(outcome(future, job), digests[job])
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                process_tree.end_descendants(grace=5.0)
                process_tree.end_tagged(process_tree.run_token(job.notebook) for job in jobs)
                raise
    finally:
        pool.shutdown(wait=True)
    return recorder.done


def grade_folder(
    folder: Path,
    jobs_at_once: int | None = None,
    seed: int | None = None,
    timeout: float | None = None,
    on_result: Callable[[Result], None] | None = None,
    *,
    memory: float | None = None,
    resume: bool = False,
    results_dir: Path | None = None,
    sandbox: str | None = None,
    found: Found | None = None,
    learners: Iterable[str] = (),
    on_start: Callable[[int], None] | None = None,
    scheduler: str | None = None,
    sections: bool = False,
) -> list[Result]:
    """Grade every submission under folder (found: what layouts.find_submissions found there);
    one result per learner and exercise, sorted by learner and exercise. learners adds the
    learners who handed in nothing (a roster's): every exercise of theirs is not submitted.

    Each result is stored under results_dir (default: folder/.keras-course-results) as soon as
    it is done; with resume, a stored result of the same notebook and settings is kept and
    only the rest is graded; a result graded with weaker isolation than this batch gets (sandbox
    mode, default course.toml [sandbox] grade) is graded again. on_result is called for each
    result graded now, after on_start with the number to grade. CourseError, before anything is
    graded, when the sandbox is required and cannot run. scheduler, a Dask scheduler's address or
    scheduler file, grades on that cluster instead of here (dask_executor.py). sections: each
    grading also draws its notebook's report section, kept beside its result (result_store.py),
    and a result kept by resume needs one.
    """

    course = load_course()
    sandbox = sandbox or course.sandbox["grade"]
    level = isolation(sandbox)
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
    store = ResultStore(
        Path(results_dir) if results_dir else folder / RESULTS_DIR, course, seed, timeout, memory, level
    )
    todo = []
    for job in found.jobs:
        kept = store.load(job.learner, job.exercise, job.notebook, sections) if resume else None
        if kept is None:
            todo.append(job)
        else:
            results.append(kept)
    if on_start is not None:
        on_start(len(todo))
    if scheduler is not None:
        settings = Settings(seed, timeout, memory, sandbox)
        results += run_jobs_on_dask(scheduler, todo, store, settings, on_result, sections)
    else:
        workers = max(1, jobs_at_once or course.jobs)
        slots = WarmSlots(course.seed if seed is None else seed) if level == "sandbox" and todo else None
        options = {"seed": seed, "timeout": timeout, "memory": memory, "sandbox": sandbox, "slots": slots}

        def grade(job: Job) -> Result:
            section = store.section_path(job.learner, job.exercise) if sections else None
            return grade_job(job, **options, section=section)

        try:
            results += run_jobs(todo, store, workers, grade, on_result)
        finally:
            close_slots(slots)
    order = {ex: i for i, ex in enumerate(course.exercises)}
    return sorted(results, key=lambda r: (r.learner, order.get(r.exercise, 99)))
