"""Grade a batch on a Dask cluster (`keras-course grade DIR --scheduler ...`): the client's side.

The client (run_jobs_on_dask) submits one task per (learner, exercise) to workers started with
`keras-course worker` (dask_worker.py): the notebook's bytes, read as a real file
(run/real_files.py; one that is no longer is an error result, not sent), its path on the
client, the exercise id, the learner and the grading settings, with the course's data as one
task's result every grading task depends on. Only the client writes the result store, once per
(learner, exercise), so a task that ran twice (a worker died under it) counts once.

A worker whose course differs, or a task that raised, is the grader's failure
(grading.grader_failed), and --resume grades those notebooks again. The scheduler runs the task
of a killed worker again elsewhere; a notebook whose grading killed a worker more often than the
scheduler allows (KilledWorker) is one error result, and the batch goes on.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from keras_course.course.data import data_files
from keras_course.course.errors import CourseError
from keras_course.grade.dask_worker import SLOTS, course_digest, grade_task, require_dask, same
from keras_course.grade.grading import error_result, grader_failed
from keras_course.grade.jobs import Recorder, stopping_on_signals
from keras_course.grade.layouts import Job
from keras_course.grade.settings import Settings
from keras_course.grade.slots import WarmSlots
from keras_course.report.results import Result
from keras_course.run.notebook_file import notebook_bytes

try:  # the extra keras-course[dask]; where it is missing, require_dask says what to install
    from distributed import WorkerPlugin
except ImportError:
    WorkerPlugin = object  # type: ignore[misc,assignment]

WORKER: dict[str, Path] = {}  # "folder": this worker process's private folder (worker_folder)
WARM: dict[int, WarmSlots] = {}  # this worker's slots' fork servers (slots.WarmSlots), by seed


def connect(scheduler: str) -> object:
    """A Dask client of the scheduler at this address, or named in this scheduler file."""
    require_dask()
    from distributed import Client  # lazy: Dask is an optional dependency

    try:
        if "://" in scheduler or not Path(scheduler).is_file():
            return Client(scheduler, timeout="30s")
        return Client(scheduler_file=scheduler, timeout="30s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise CourseError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None


def run_jobs_on_dask(
    jobs: list[Job], settings: Settings, recorder: Recorder, *, scheduler: str
) -> list[Result]:
    """Grade the jobs on the cluster at scheduler; record each result as it comes, once per
    (learner, exercise). When stopped, cancel what is left, keep what is recorded, and raise."""
    from distributed import as_completed  # lazy: Dask is an optional dependency

    if not jobs:
        return recorder.done
    client = connect(scheduler)
    try:
        with stopping_on_signals():
            files = data_files()  # a task's result, not scattered: lost with a worker, it is made again
            key = f"keras-course-data-{files.digest}"
            data = client.submit(same, files, key=key, resources={SLOTS: 1}, pure=False)
            futures, digests = {}, {}
            for job in jobs:
                try:
                    future, digests[job] = submit(client, job, settings, data, recorder.sections)
                    futures[future] = job
                except (CourseError, OSError) as exc:  # not sent: told, and graded again by --resume
                    recorder.record(unsent(job, exc), "")
            # as_completed waits on the loop of the client it is given, by default the process's
            # default client, which need not be this one (dask/distributed#4357): a future whose
            # event was first waited on there then fails with "bound to a different event loop".
            for future in as_completed(futures, loop=client.loop):  # each future once, however often it ran
                job = futures[future]
                result, section = task_result(future, job)
                recorder.record(result, digests[job], section)
    finally:
        client.close()
    return recorder.done


def submit(
    client: object, job: Job, settings: Settings, data: object, sections: bool = False
) -> tuple[object, str]:
    """The grading task of one job on the cluster, and the sha256 of the notebook it grades, read
    as a real file (run/real_files.py): CourseError where it is no longer one, OSError where it
    cannot be read."""
    notebook = notebook_bytes(job.notebook)
    course = course_digest(job.exercise)
    args = (notebook, str(job.notebook), job.exercise, job.learner, settings, course, data, sections)
    future = client.submit(grade_task, *args, resources={SLOTS: 1}, pure=False)  # type: ignore[attr-defined]
    return future, hashlib.sha256(notebook).hexdigest()


def unsent(job: Job, exc: CourseError | OSError) -> Result:
    """The result of a notebook the client could not send: the learner's error where it is no
    longer a real file (submit), the grader's failure where it could not be read (gone, say)."""

    if isinstance(exc, CourseError):
        return error_result(job.learner, job.exercise, str(exc))
    return grader_failed(job.learner, job.exercise, f"{job.notebook}: {exc.strerror or exc}")


def task_result(future: object, job: Job) -> tuple[Result, str | None]:
    """The result of a job's task, and its report section if one was drawn: the learner's error
    where the notebook ended its worker each time it was tried; the grader's failure where the
    task raised or the worker could not grade."""
    from distributed import KilledWorker  # lazy: Dask is an optional dependency

    try:
        answer = future.result()  # type: ignore[attr-defined]
        if "result" in answer:
            return Result.from_dict(answer["result"]), answer.get("section")
        return grader_failed(job.learner, job.exercise, str(answer["error"])), None
    except KilledWorker:
        why = "its grading ended the Dask worker that ran it, each time it was tried"
        return error_result(job.learner, job.exercise, why), None
    except Exception as exc:  # the machinery's failure on one notebook must never stop the batch
        return grader_failed(job.learner, job.exercise, f"{type(exc).__name__}: {exc}"), None
