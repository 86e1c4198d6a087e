"""How far a batch has got: done/total, failures so far and the time left.

On a terminal it is a rich progress bar; where stderr is not a terminal (CI, a log file) it is a
plain line per notebook graded, with the same figures. A failure is a notebook that could not
be graded to the end (Result.error: a limit, a dead kernel, a file that is not a notebook).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from keras_course.report.results import Result


class BatchProgress:
    """Use as a context manager; call start(total) once the batch knows what it grades, then
    graded(result) for each result."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.terminal = stream.isatty()
        self.total = 0
        self.done = 0
        self.failed = 0
        self._started = time.monotonic()
        self._bar: Progress | None = None
        self._task = None

    def __enter__(self) -> BatchProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def start(self, total: int) -> None:
        self.total = total
        self._started = time.monotonic()
        if self.terminal and total:
            self._bar = Progress(
                TextColumn("grading"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed"),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
                transient=False,
            )
            self._task = self._bar.add_task("grading", total=total, failed=0)
            self._bar.start()

    def graded(self, result: Result) -> None:
        self.done += 1
        self.failed += result.error is not None
        note = f" ({result.error})" if result.error else ""
        line = f"graded {result.learner}/{result.exercise}: {result.score:g}/{result.max_score:g}{note}"
        if self._bar is not None:
            self._bar.console.print(line, markup=False, highlight=False)
            self._bar.update(self._task, advance=1, failed=self.failed)
            return
        print(f"{line} [{self.done}/{self.total}, {self.failed} failed, {self.eta()}]", file=self.stream)

    def eta(self) -> str:
        """The time left, from the pace so far."""
        if not self.done or self.done >= self.total:
            return "ETA 0:00"
        left = (time.monotonic() - self._started) / self.done * (self.total - self.done)
        return f"ETA {int(left // 60)}:{int(left % 60):02d}"
