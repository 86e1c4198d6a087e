"""The warm slots of a batch or a Dask worker: one fork server per grading thread.

Each slot's kernels start with TensorFlow imported (run/forkserver.py); a slot serves one
notebook after another.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

from keras_course.run.forkserver import ForkServer, Handle


class WarmSlots:
    """A fork server per grading thread (forkserver.py): the kernels of a slot's notebooks start
    with TensorFlow imported. Each starts with its thread's first notebook and ends with close();
    where none can start (no sandbox, no cgroup), kernels start cold, as before."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._local = threading.local()
        self._servers: list[ForkServer] = []
        self._lock = threading.Lock()

    def handle(self) -> Handle | None:
        """This thread's fork server, started or restarted (a notebook may have killed it)."""
        server: ForkServer | None = getattr(self._local, "server", None)
        if server is not None and (server.alive() or server.why_not):
            return server.handle
        if server is None:
            server = ForkServer(Path(tempfile.mkdtemp(prefix="keras-course-slot-")), self.seed)
            self._local.server = server
            with self._lock:
                self._servers.append(server)
        server.stop()
        server.start()
        return server.handle

    def close(self) -> None:
        with self._lock:
            for server in self._servers:
                server.stop()
                shutil.rmtree(server.root, ignore_errors=True)
            self._servers.clear()
