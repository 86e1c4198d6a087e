"""The warm slots of a batch or a Dask worker: one fork server per grading thread.

Each slot's kernels start with TensorFlow imported (run/forkserver.py), and a slot serves one
notebook after another, so each run must find its slot as if it were new. Before a slot serves
its next notebook, it is cleaned (ForkServer.clean: every process of its sandbox ended, its
/tmp, System V IPC and run folder emptied); a slot that is not clean afterwards, or whose server
has gone, is thrown away and a fresh one starts. The cleaning happens between two runs, on no
notebook's clock, so the next notebook never pays for what the last one left.

Slot folders are named after the process that owns them (run/leftovers.py): a batch removes
the slot folders and cgroups of graders that were killed before they could.
"""

from __future__ import annotations

import threading
from pathlib import Path

from keras_course.grade.grading import RESULT_PREFIX
from keras_course.run.cgroups import remove_orphan_groups
from keras_course.run.cleanup import remove_tree
from keras_course.run.forkserver import ForkServer, Handle
from keras_course.run.leftovers import owned_folder, remove_orphans
from keras_course.run.runner import RUN_PREFIX
from keras_course.run.sandbox_provisioner import KERNEL_PREFIX

SLOT_PREFIX = "keras-course-slot-"


def remove_leftovers() -> list[Path]:
    """Remove what killed graders left: their slot, run and result folders and their cgroups;
    what could not be removed."""
    prefixes = (SLOT_PREFIX, RUN_PREFIX, KERNEL_PREFIX, RESULT_PREFIX)
    return [path for prefix in prefixes for path in remove_orphans(prefix)] + remove_orphan_groups()


class WarmSlots:
    """A fork server per grading thread (forkserver.py): the kernels of a slot's notebooks start
    with TensorFlow imported. Each starts with its thread's first notebook and ends with close();
    where none can start (no sandbox, no cgroup), kernels start cold, as before."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.thrown_away: list[list[str]] = []  # for each slot thrown away: what stayed in it
        self._local = threading.local()
        self._servers: list[ForkServer] = []
        self._lock = threading.Lock()
        remove_leftovers()

    def handle(self) -> Handle | None:
        """This thread's fork server, as clean as a new one: the slot is cleaned after the run
        it served, and thrown away for a fresh one where that fails or its server has gone."""
        server: ForkServer | None = getattr(self._local, "server", None)
        if server is not None and server.why_not:
            return None  # no fork server can start here: kernels start cold
        if server is not None:
            left = server.clean()
            if not left:
                return server.handle
            self._throw_away(server, left)
        server = ForkServer(owned_folder(SLOT_PREFIX), self.seed)
        self._local.server = server
        with self._lock:
            self._servers.append(server)
        server.start()
        return server.handle

    def _throw_away(self, server: ForkServer, left: list[str]) -> None:
        self.thrown_away.append(left)
        server.stop()
        with self._lock:
            self._servers.remove(server)
        remove_tree(server.root)  # what stays is removed by a later batch (remove_leftovers)

    def close(self) -> None:
        """End every slot and remove its folder; never raises."""
        with self._lock:
            servers, self._servers = self._servers, []
        for server in servers:
            server.stop()
            remove_tree(server.root)
