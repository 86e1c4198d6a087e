"""Warm kernels (run/forkserver.py): forked from a sandboxed server that imported TensorFlow
once, each run of a slot is alone.

A batch gives each grading thread a fork server. That warm kernels give the verdicts of cold
ones is test_sandbox.py's same_verdicts: its sandboxed batch runs warm, its unsandboxed one
cold. The test here runs hostile notebooks one after another in one slot: what one leaves
behind (files in /tmp, /dev/shm, its home and working folder, a process, System V shared
memory) the next does not find, it cannot read the server's memory, and it cannot kill the
server, which is the init of its sandbox.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from keras_course.course.paths import SOLUTIONS
from keras_course.grade.batch import grade_folder
from keras_course.run.sandbox import unavailable

pytestmark = [
    pytest.mark.notebook,
    pytest.mark.skipif(unavailable() is not None, reason=f"no sandbox here: {unavailable()}"),
]


LEAVE_BEHIND = """
import os, subprocess, pathlib
for folder in ("/tmp", "/dev/shm", os.environ["HOME"], "."):
    try:
        pathlib.Path(folder, "left-behind").write_text("secret of the learner before")
    except PermissionError:
        assert folder == "/dev/shm"  # the sandbox's /dev/shm is not writable at all
subprocess.Popen(["sleep", "300"], start_new_session=True)
subprocess.run(["ipcmk", "--shmem", "4096"], check=True, capture_output=True)
for name in ("mem", "environ"):
    try:
        open(f"/proc/{os.getppid()}/{name}", "rb").read(1)
    except PermissionError:
        pass
    else:
        raise AssertionError(f"the fork server's {name} could be read")
"""

FIND_NOTHING = """
import os, subprocess, pathlib
server = pathlib.Path(f"/proc/{os.getppid()}/cmdline").read_bytes()
assert b"keras_course.run.forkserver" in server, "this kernel was not forked by the slot's server"
for folder in ("/tmp", "/dev/shm", os.environ["HOME"], "."):
    assert not pathlib.Path(folder, "left-behind").exists(), f"found what was left in {folder}"
others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, os.getppid(), os.getpid())]
commands = [pathlib.Path(f"/proc/{p}/cmdline").read_bytes() for p in others]
assert not any(c.startswith(b"sleep") for c in commands), "a process of the learner before is running"
assert "0x" not in subprocess.run(["ipcs", "-m"], capture_output=True, text=True).stdout, "shared memory left"
"""

KILL_SERVER = """
import os, signal, time
for signum in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT):
    os.kill(os.getppid(), signum)  # the sandbox's init: nothing inside can end it
try:
    os.kill(-1, signal.SIGKILL)  # every process it may signal, itself aside
except OSError:
    pass
time.sleep(0.5)
"""


def with_cell(source: Path, code: str) -> nbformat.NotebookNode:
    """The notebook at source with a code cell added before its closing check() cell."""
    nb = nbformat.read(source, as_version=4)
    nb.cells.insert(len(nb.cells) - 1, nbformat.v4.new_code_cell(code))
    return nb


def test_each_run_of_a_slot_is_alone(tmp_path):
    """One slot (--jobs 1) grades four learners in turn: the first leaves files, a process and
    shared memory behind and tries to read the server's memory; the second finds nothing of it;
    the third tries to kill the server and every process it can; the fourth is still forked by
    the slot's server and finds nothing either."""
    reference = SOLUTIONS / "hello_nets.ipynb"
    notebooks = {
        "a_leaves": with_cell(reference, LEAVE_BEHIND),
        "b_finds_nothing": with_cell(reference, FIND_NOTHING),
        "c_kills_the_server": with_cell(reference, KILL_SERVER),
        "d_after": with_cell(reference, FIND_NOTHING),
    }
    for learner, nb in notebooks.items():
        (tmp_path / learner).mkdir()
        nbformat.write(nb, tmp_path / learner / "hello_nets.ipynb")
    results = grade_folder(tmp_path, jobs_at_once=1, results_dir=tmp_path / "results", sandbox="required")
    graded = {r.learner: r for r in results if r.exercise == "hello_nets"}
    for learner in notebooks:
        result = graded[learner]
        assert result.error is None, (learner, result.error)
        assert result.cell_errors == [], (learner, result.cell_errors)
        assert result.score == result.max_score, (learner, json.dumps(dataclasses.asdict(result))[:800])
        assert result.isolation == "sandbox"


OWNER = """
import os, signal, sys, tempfile
from pathlib import Path
from keras_course.run.forkserver import ForkServer

if __name__ == "__main__":
    server = ForkServer(Path(tempfile.mkdtemp(prefix="keras-course-slot-")), 0)
    print(server.start().pid, flush=True)
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
    it reads a pipe that only that process holds open."""
    script = tmp_path / "owner.py"
    script.write_text(OWNER, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    server = int(done.stdout.split()[0])
    deadline = time.monotonic() + 10
    while not ended(server) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ended(server), "the fork server outlived its owner"
