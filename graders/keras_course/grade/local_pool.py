"""The local pool: a batch's notebooks graded on this machine, a few at a time, each in a grading
process of its own (grading.py), the warm slots giving their kernels a fast start (slots.py).
Dask's executor (dask_executor.py, with dask_worker.py) is the other way to run a batch's jobs;
both take the jobs, the settings and the recorder, and return what was recorded.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path

from keras_course.course.config import load_course
from keras_course.grade.grader_processes import preload_reports
from keras_course.grade.grading import grader_failed
from keras_course.grade.jobs import Recorder, close_slots, grade_job, stopping_on_signals
from keras_course.grade.layouts import Job
from keras_course.grade.result_store import sha256_of
from keras_course.grade.settings import Settings
from keras_course.grade.slots import WarmSlots
from keras_course.report.results import Result
from keras_course.run import process_tree
from keras_course.run.sandbox import isolation


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


def run_jobs(jobs: list[Job], settings: Settings, recorder: Recorder, *, workers: int) -> list[Result]:
    """Grade the jobs here, workers at a time, each in a grading process of its own, with warm
    kernels where runs are sandboxed; record each result as it comes. When stopped, end every
    grading process and kernel, keep the results recorded so far, and raise."""
    course = load_course()
    if recorder.sections:
        preload_reports()
    sandboxed = isolation(settings.sandbox_mode(course)) == "sandbox"
    slots = WarmSlots(settings.limits(course)["seed"]) if sandboxed and jobs else None
    try:

        def grade(job: Job) -> Result:
            return grade_job(job, settings, slots, section=recorder.section_for(job))

        return grade_in_pool(jobs, recorder, grade, workers)
    finally:
        close_slots(slots)


def grade_in_pool(
    jobs: list[Job], recorder: Recorder, grade: Callable[[Job], Result], workers: int
) -> list[Result]:
    """Run grade on each job in a pool of threads, each thread waiting on its grading process."""
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
