"""The job unit of a batch, which the local pool (batch.py) and Dask's workers (dask_worker.py)
share: one notebook graded whatever it does (grade_job), each result recorded as it comes
(Recorder), the slots closed without losing a result (close_slots), and SIGTERM turned into
Stopped while a batch grades.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from keras_course.course.errors import CourseError
from keras_course.grade.grading import error_result, grade_notebook, grader_failed
from keras_course.grade.layouts import Job
from keras_course.grade.result_store import ResultStore
from keras_course.grade.settings import Settings
from keras_course.grade.slots import WarmSlots
from keras_course.report.notices import warn
from keras_course.report.results import Result
from keras_course.run import process_tree
from keras_course.run.notebook_file import read_submission
from keras_course.run.signals import sigterm_raises


class Stopped(KeyboardInterrupt):
    """The batch was asked to stop by a signal; exit_code is 128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by signal {signum}")
        self.exit_code = 128 + signum


def grade_job(
    job: Job, settings: Settings, slots: WarmSlots | None = None, section: Path | None = None
) -> Result:
    """One learner's result, whatever their notebook does; bad input is told without a kernel,
    and whatever else fails is the grader's failure on this notebook. slots gives the kernel a
    warm start, when the run is sandboxed. section: where its report section is drawn, an
    earlier one there removed first (a grading that fails draws none)."""
    if section is not None:
        with contextlib.suppress(OSError):  # not removable: the store's check of its stamp still holds
            section.unlink(missing_ok=True)
    try:
        read_submission(job.notebook, job.exercise)
    except CourseError as exc:
        return error_result(job.learner, job.exercise, str(exc))
    try:
        warm = slots.handle() if slots is not None else None
        return grade_notebook(job.notebook, job.exercise, job.learner, settings, warm=warm, section=section)
    except Exception as exc:  # the machinery's failure on one notebook must never stop the batch
        return grader_failed(job.learner, job.exercise, f"{type(exc).__name__}: {exc}")
    finally:  # a grading process that was killed leaves its kernel behind: end it
        process_tree.end_tagged([process_tree.run_token(job.notebook)])


@dataclass
class Recorder:
    """A batch's results as they come: each stored at once (ResultStore.keep), told to
    on_result, and kept in done. With sections, each grading also draws its notebook's report
    section (section_for: where, beside its stored result), or a Dask worker sends it back."""

    store: ResultStore
    on_result: Callable[[Result], None] | None
    sections: bool = False
    done: list[Result] = field(default_factory=list)

    def section_for(self, job: Job) -> Path | None:
        return self.store.section_path(job.learner, job.exercise) if self.sections else None

    def record(self, result: Result, notebook_sha256: str, section: str | None = None) -> None:
        if section is not None:
            self.store.keep_section(result.learner, result.exercise, section)
        self.done.append(self.store.keep(result, notebook_sha256))
        if self.on_result is not None:
            self.on_result(self.done[-1])


def close_slots(slots: WarmSlots | None) -> None:
    """End the batch's fork servers; a clean-up that fails loses no result: one warning line."""
    if slots is None:
        return
    try:
        slots.close()
    except Exception as exc:
        warn(f"the warm slots were not all cleaned up ({type(exc).__name__}: {exc}); the results are kept")


def stopping_on_signals() -> AbstractContextManager[None]:
    """Turn SIGTERM (and SIGINT, as usual) into Stopped in the main thread while grading."""
    return sigterm_raises(Stopped)
