"""Warm kernels (run/forkserver.py): forked from a sandboxed server that imported TensorFlow
once, each run of a slot is alone.

A batch gives each grading thread a fork server. That warm kernels give the verdicts of cold
ones is test_sandbox.py's same_verdicts: its sandboxed batch runs warm, its unsandboxed one
cold. That each run of a slot is alone, whatever the run before it did (kill the server, read
its memory, leave files, processes, IPC, keys, a full /tmp or a filled pipe), is test_slots.py.
The test here: a fork server ends with the process that started it, even killed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from keras_course.grade.slots import SLOT_PREFIX, remove_leftovers
from keras_course.run.sandbox import unavailable

pytestmark = [
    pytest.mark.notebook,
    pytest.mark.skipif(unavailable() is not None, reason=f"no sandbox here: {unavailable()}"),
]


OWNER = """
import os, signal
from keras_course.grade.slots import SLOT_PREFIX
from keras_course.run.forkserver import ForkServer
from keras_course.run.leftovers import owned_folder

if __name__ == "__main__":
    server = ForkServer(owned_folder(SLOT_PREFIX), 0)
    print(server.start().pid, server.root, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # no stop(): as a batch or a Dask worker killed
"""


def ended(pid: int) -> bool:
    """Whether the process has ended (gone, or a zombie left for init to reap)."""
    try:
        return "State:\tZ" in Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except FileNotFoundError:
        return True


def test_a_killed_owner_takes_its_fork_server_along(tmp_path):
    """The fork server ends when the process that started it dies without a word (SIGKILL):
    it reads a pipe that only that process holds open. The slot's folder, which the owner could
    not remove, is removed by the next batch (slots.remove_leftovers)."""
    script = tmp_path / "owner.py"
    script.write_text(OWNER, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    server, root = int(done.stdout.split()[0]), Path(done.stdout.split()[1])
    deadline = time.monotonic() + 10
    while not ended(server) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ended(server), "the fork server outlived its owner"
    assert root.name.startswith(SLOT_PREFIX), root
    remove_leftovers()  # unless a batch of another test, beside this one, removed it first
    assert not root.exists()
