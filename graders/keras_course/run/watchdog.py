"""Watch the processes a notebook runs in: its memory and time limits, and ending every one of them.

The kernel leads its own session (jupyter_client starts it with start_new_session=True), and a
notebook can start processes that leave the kernel's group too. So the grader does not signal
a group; it follows the tree:

- the grading process makes itself a child subreaper (Linux), so every process a notebook
  starts, even a daemon that double-forks, stays a descendant of the grader while it lives;
- a Watchdog thread lists the descendants (from /proc/<pid>/task/*/children) every POLL
  seconds and sums their resident memory; past the limit it confirms with the proportional set
  size (a page shared by a forked child counts once) and ends the whole tree;
- when the run ends, however it ends, every descendant started during the run is killed;
- the kernel's environment carries RUN_ENV, a tag derived from the batch's secret and the
  notebook's path, so that a batch can end what a grading process left behind if that process
  itself was killed (end_tagged).

Memory is polled, not capped with RLIMIT_AS: TensorFlow reserves far more address space than it
uses (a kernel that imported Keras and fit a small model: 0.59 GB resident, 2.1 GB of address
space), so an address-space cap would have to sit far above the memory budget to let it start.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from keras_course.run.disk_use import MAX_FILES, disk_use, enough_descriptors
from keras_course.run.process_tree import (
    alive,
    descendants,
    kill_until_none,
    pss,
    reap,
    rss,
    set_subreaper,
    tasks,
)

POLL = 0.1  # seconds between two looks at the tree
GRACE = 5.0  # seconds past the time limit before the watchdog ends a kernel nbclient did not stop

LIMIT_MESSAGES = {
    "time": "the notebook ran past its time limit of {timeout:g} seconds",
    "memory": "the notebook used more than {memory:g} MB of memory",
    "output": "the notebook printed more than {output:g} MB of output",
    "processes": "the notebook started more than {processes:g} processes and threads at once",
    "disk": "the notebook wrote more than {disk:g} MB of files",
}


class Watchdog:
    """Limits the memory and time of the processes started while it watches, and ends them all.

    Use it as a context manager around the notebook's run; `reason` is then "time", "memory",
    "output", "disk" or "processes" when a limit ended the run (see LIMIT_MESSAGES), or None.
    `processes` caps the processes and threads of the tree (a cgroup, where there is one, keeps
    the tree from passing it between two looks). `also` lists more processes of the run that
    are not the grader's descendants (a kernel forked by a fork server). `disk` is the
    folder the notebook writes into and its limit in MB: its size is polled too (a cap on the
    size of any one file, where the sandbox sets one, keeps a single write from passing it).
    """

    def __init__(
        self,
        memory_mb: float | None,
        deadline: float,
        disk: tuple[Path, float] | None = None,
        processes: int | None = None,
        also: Callable[[], list[int]] | None = None,
    ) -> None:
        self.limit = None if memory_mb is None else int(memory_mb * 1024 * 1024)  # None: the cgroup's
        self.deadline = deadline  # time.monotonic() past which the tree is ended
        self.disk = (disk[0], int(disk[1] * 1024 * 1024)) if disk else None
        self.reason: str | None = None
        self.peak = 0  # the largest memory the tree was seen using, in bytes
        self.processes = processes  # processes and threads the tree may have at once
        self.peak_tasks = 0  # the most processes and threads the tree had at once
        self._also = also  # more processes of the run: a forked kernel's cgroup (forkserver.py)
        self._next_disk = 0.0  # time.monotonic() of the next walk of the disk folder
        self._me = os.getpid()
        self._baseline: set[int] = set()
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, name="keras-course-watchdog", daemon=True)

    def __enter__(self) -> Watchdog:
        set_subreaper()
        enough_descriptors()
        self._baseline = set(descendants(self._me))
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def tree(self) -> list[int]:
        """The processes started since the watch began: the kernel and all it started."""
        pids = [pid for pid in descendants(self._me) if pid not in self._baseline]
        return pids + [pid for pid in (self._also() if self._also else []) if pid not in pids]

    def memory(self, pids: list[int]) -> int:
        used = sum(rss(pid) for pid in pids)
        if self.limit is not None and used > self.limit:  # resident sizes count shared pages twice
            used = sum(pss(pid) for pid in pids)
        return used

    def _watch(self) -> None:
        while not self._done.wait(POLL):
            if time.monotonic() > self.deadline:
                self.stop("time")
                return
            tree = self.tree()
            used = self.memory(tree)
            self.peak = max(self.peak, used)
            count = sum(tasks(pid) for pid in tree)
            self.peak_tasks = max(self.peak_tasks, count)
            if self.limit is not None and used > self.limit:
                self.stop("memory")
                return
            if self.processes is not None and count >= self.processes:  # the cgroup's cap, reached
                self.stop("processes")
                return
            if self.disk is not None and time.monotonic() >= self._next_disk:
                started = time.monotonic()
                written, files = disk_use(self.disk[0])
                # A large tree takes long to walk: walk it at most a fifth of the time.
                self._next_disk = time.monotonic() + 4 * (time.monotonic() - started)
                if written >= self.disk[1] or files > MAX_FILES:
                    self.stop("disk")
                    return

    def stop(self, reason: str) -> None:
        """End the run for this reason (the first reason given is the one kept)."""
        with self._lock:
            if self.reason is None:
                self.reason = reason
        self.end_tree()

    def end_tree(self) -> None:
        """Kill every process of the tree, again until none is left (a forking loop, say)."""
        kill_until_none(self._living, tries=50, pause=0.02)

    def _living(self) -> list[int]:
        pids = self.tree()
        reap(pids)  # those of them that were our children and have ended
        return [pid for pid in pids if alive(pid)]

    def close(self) -> None:
        self._done.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()
        self.end_tree()
